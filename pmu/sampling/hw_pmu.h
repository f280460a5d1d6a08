/* Hardware sampling backend: general-purpose counter 0 of the Intel architectural PMU
 * (version 2 or later) counts one architectural event and interrupts every `period` events.
 *
 * MSR and CPUID access go through struct hwpmu_ops, so the same code runs on the CPU
 * (rdmsr_safe/wrmsr_safe/cpuid_count) and in host unit tests against a PMU model
 * (tests/unit/pmu_model.c).  Register layouts: pmu/vpmu/pmu_msr.h.  The PMI itself arrives through
 * the local APIC's LVT performance-counter register, which the caller programs (NMI delivery)
 * and unmasks again after each PMI on CPUs that mask it on delivery; this file never touches
 * the APIC. */
#ifndef PMU_HW_PMU_H
#define PMU_HW_PMU_H

#include <stddef.h>
#include <stdint.h>

#include "pmu/vpmu/pmu_msr.h"

/* Errors (negative, errno values, like the rest of the hypervisor). */
#define HWPMU_EIO     (-5)    /* an MSR raised #GP */
#define HWPMU_EINVAL  (-22)   /* not an architectural event this PMU counts */
#define HWPMU_ERANGE  (-34)   /* period 0, or above hwpmu_max_period() */

struct hwpmu_ops {
    int (*rdmsr)(void *ctx, uint32_t msr, uint64_t *v);   /* 0, or -1 for #GP */
    int (*wrmsr)(void *ctx, uint32_t msr, uint64_t v);    /* 0, or -1 for #GP */
    void (*cpuid)(void *ctx, uint32_t leaf, uint32_t sub, uint32_t out[4]);  /* EAX..EDX */
    void *ctx;
};

/* Is there a PMU this backend can drive?  Reads CPUID leaves 0, 1 and 0AH into *c, then
 * checks that the MSRs behave: 1 usable, 0 not.  `why` (NUL-terminated, may be cut) says what
 * was found, or which check failed: no leaf 0AH, version < 2, no GP counter, a GP counter
 * narrower than 32 bits, a PMU MSR raising #GP (Bochs advertises version 4 and has no PMU), a
 * write that does not stick (Bochs with ignore_bad_msrs=1).  Leaves GP counter 0 stopped and
 * zeroed, IA32_PERF_GLOBAL_CTRL as it found it.  IA32_PERF_CAPABILITIES[13] is believed only if
 * an IA32_A_PMC0 write reads back; otherwise full_width_writes is 0 and `why` says so. */
int hwpmu_probe(const struct hwpmu_ops *o, struct pmu_caps *c, char *why, size_t len);

/* Can GP counter 0 count cap_event (enum cap_event = CPUID.0AH:EBX bit order)?  Never
 * ref-cycles: on a GP counter its encoding (3CH/01H) counts bus cycles on some processors; only
 * fixed counter 2 counts reference cycles at the TSC rate, and this backend does not use it. */
int hwpmu_event_supported(const struct pmu_caps *c, int cap_event);

/* The longest period hwpmu_start accepts.  With full-width writes: 2^width - 1.  Without, only
 * IA32_PMC0's 32-bit write is there, and it sign-extends bit 31: -period reaches the counter
 * intact only while period <= 2^31, so that is the limit (a longer period is refused, not
 * clamped, so that the capture never claims a period it did not use). */
uint64_t hwpmu_max_period(const struct pmu_caps *c);

/* 0 if the hardware backend can sample every `period` events: at least PV_MIN_HW_PERIOD (a
 * shorter period than the exit path could livelock a guest, include/perfvisor/limits.h) and at
 * most hwpmu_max_period; else HWPMU_ERANGE. */
int hwpmu_check_period(const struct pmu_caps *c, uint64_t period);

/* Counts cap_event at every CPL on GP counter 0, PMI on overflow after `period` events:
 *   IA32_PERF_GLOBAL_CTRL = 0 (all counters stopped while reprogramming)
 *   IA32_PERFEVTSEL0 = event | umask << 8 | USR | OS | INT | EN
 *   IA32_PMC0 = 2^width - period (IA32_A_PMC0 if full-width writes, else a 32-bit IA32_PMC0 write)
 *   IA32_PERF_GLOBAL_OVF_CTRL = bit 0 (a stale overflow would look like a PMI of ours)
 *   IA32_PERF_GLOBAL_CTRL = bit 0
 * Returns 0, HWPMU_EINVAL, HWPMU_ERANGE or HWPMU_EIO (nothing written for the first two). */
int hwpmu_start(const struct hwpmu_ops *o, const struct pmu_caps *c, int cap_event,
                uint64_t period);

/* In the PMI handler: if IA32_PERF_GLOBAL_STATUS bit 0 is set, reloads PMC0 with -period,
 * clears the bit through IA32_PERF_GLOBAL_OVF_CTRL and returns 1 (a sample is due); 0 if the
 * bit is clear (the NMI is not ours); HWPMU_EIO if an MSR faulted.  Other status bits are left
 * alone.  The period must be one hwpmu_start accepted (it may differ from call to call). */
int hwpmu_handle_overflow(const struct hwpmu_ops *o, const struct pmu_caps *c, uint64_t period);

/* Stops counting: GLOBAL_CTRL = 0, PERFEVTSEL0 = 0, overflow bit 0 cleared. */
void hwpmu_stop(const struct hwpmu_ops *o);

/* IA32_PMC0, `width` bits (0 if the read faults). */
uint64_t hwpmu_read(const struct hwpmu_ops *o, const struct pmu_caps *c);

#endif
