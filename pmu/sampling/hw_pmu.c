/* Hardware sampling backend: GP counter 0 of the architectural PMU (SDM Vol. 3B 20.2). */
#include "pmu/sampling/hw_pmu.h"
#include "hv/printf.h"
#include "perfvisor/capture.h"
#include "perfvisor/limits.h"

_Static_assert(CAP_EVENT_CYCLES == 0 && CAP_EVENT_INSTRUCTIONS == 1 && CAP_EVENT_REF_CYCLES == 2 &&
               CAP_EVENT_LLC_REFS == 3 && CAP_EVENT_LLC_MISSES == 4 && CAP_EVENT_BRANCHES == 5 &&
               CAP_EVENT_BRANCH_MISSES == 6 && CAP_EVENT_COUNT == PMU_ARCH_EVENTS,
               "enum cap_event must follow the CPUID.0AH:EBX bit order");

/* A pattern for the write-sticks check: UnHalted Core Cycles, USR|OS, not enabled. */
#define PROBE_EVTSEL  perfevtsel_make(0x3C, 0x00, PERFEVTSEL_USR | PERFEVTSEL_OS)
#define PROBE_PMC     0x5A5Aull          /* positive as a 32-bit value: no sign extension */

static const char *msr_name(uint32_t msr)
{
    enum pmu_msr_kind k;
    unsigned idx;
    return pmu_msr_lookup(msr, &k, &idx) ? pmu_msrs[k].name : "MSR";
}

/* Puts -period into PMC0, the width the hardware lets us write. */
static int write_minus_period(const struct hwpmu_ops *o, const struct pmu_caps *c, uint64_t period)
{
    uint64_t v = (0 - period) & pmu_width_mask(c->gp_width);
    if (c->full_width_writes)
        return o->wrmsr(o->ctx, MSR_IA32_A_PMC0, v);
    /* EAX[31:0] only; the CPU sign-extends bit 31, which period <= 2^31 makes 1 */
    return o->wrmsr(o->ctx, MSR_IA32_PMC0, v & 0xFFFFFFFFull);
}

/* Writes v to msr and reads it back; 0 if it stuck, else fills why. */
static int sticks(const struct hwpmu_ops *o, uint32_t msr, uint64_t v, char *why, size_t len)
{
    uint64_t got = 0;
    if (o->wrmsr(o->ctx, msr, v) || o->rdmsr(o->ctx, msr, &got)) {
        hv_snprintf(why, len, "writing %s (%xH) raises #GP", msr_name(msr), msr);
        return -1;
    }
    if (got != v) {
        hv_snprintf(why, len, "a write to %s (%xH) does not stick: wrote %lx, read %lx (an "
                    "emulated CPU that ignores PMU MSRs)", msr_name(msr), msr,
                    (unsigned long)v, (unsigned long)got);
        return -1;
    }
    return 0;
}

int hwpmu_probe(const struct hwpmu_ops *o, struct pmu_caps *c, char *why, size_t len)
{
    static const uint32_t must_read[] = { MSR_IA32_PERFEVTSEL0, MSR_IA32_PMC0,
                                          MSR_IA32_PERF_GLOBAL_CTRL, MSR_IA32_PERF_GLOBAL_STATUS };
    uint32_t r[4], leaf1[4];
    uint64_t v, saved_ctrl = 0, saved_sel = 0;
    const char *fw_note = "";

    for (unsigned i = 0; i < sizeof(*c); i++)
        ((unsigned char *)c)[i] = 0;
    o->cpuid(o->ctx, 0, 0, r);
    if (r[0] < CPUID_LEAF_PMU) {
        hv_snprintf(why, len, "CPUID has no leaf 0AH (highest leaf %xH)", r[0]);
        return 0;
    }
    o->cpuid(o->ctx, 1, 0, leaf1);
    o->cpuid(o->ctx, CPUID_LEAF_PMU, 0, r);
    pmu_caps_decode(c, leaf1[2], r);

    /* Version 2 brings IA32_PERF_GLOBAL_CTRL/STATUS/OVF_CTRL (20.2.2): without them an NMI
     * handler cannot tell whether the counter overflowed. */
    if (c->version < 2) {
        hv_snprintf(why, len, "CPUID.0AH reports architectural perfmon version %u; the sampling "
                    "backend needs version 2 (global overflow status)", c->version);
        return 0;
    }
    if (c->ngp == 0) {
        hv_snprintf(why, len, "CPUID.0AH reports perfmon version %u with no general-purpose "
                    "counter", c->version);
        return 0;
    }
    /* Real PMUs have 40-48 bits; below 32 the sign-extending IA32_PMCx write cannot express
     * 2^width - period. */
    if (c->gp_width < 32 || c->gp_width > 64) {
        hv_snprintf(why, len, "CPUID.0AH reports %u-bit counters; the backend needs 32 to 64",
                    c->gp_width);
        return 0;
    }
    /* CPUID alone is not enough: Bochs reports version 4 and raises #GP on every PMU MSR. */
    for (unsigned i = 0; i < sizeof(must_read) / sizeof(must_read[0]); i++)
        if (o->rdmsr(o->ctx, must_read[i], &v)) {
            hv_snprintf(why, len, "CPUID.0AH advertises perfmon version %u with %u counters, but "
                        "%s (%xH) raises #GP (an emulated CPU without a PMU)", c->version,
                        c->ngp, msr_name(must_read[i]), must_read[i]);
            return 0;
        }
    o->rdmsr(o->ctx, MSR_IA32_PERF_GLOBAL_CTRL, &saved_ctrl);
    o->rdmsr(o->ctx, MSR_IA32_PERFEVTSEL0, &saved_sel);

    /* Writes must stick (Bochs with ignore_bad_msrs=1 reads 0 and drops writes).  Counter 0
     * is stopped globally and locally meanwhile, so it holds what was written. */
    if (sticks(o, MSR_IA32_PERF_GLOBAL_CTRL, 0, why, len) ||
        sticks(o, MSR_IA32_PERFEVTSEL0, PROBE_EVTSEL, why, len) ||
        sticks(o, MSR_IA32_PMC0, PROBE_PMC, why, len))
        return 0;

    if (c->pdcm && o->rdmsr(o->ctx, MSR_IA32_PERF_CAPABILITIES, &v) == 0)
        c->full_width_writes = !!(v & PERF_CAP_FW_WRITE);
    else if (c->pdcm)
        fw_note = " (IA32_PERF_CAPABILITIES raises #GP: assuming none)";
    if (c->full_width_writes) {
        /* a value only a full-width write can produce: bit 32 set, bit 31 clear */
        uint64_t probe = (1ull << 32) | PROBE_PMC;
        if (o->wrmsr(o->ctx, MSR_IA32_A_PMC0, probe) || o->rdmsr(o->ctx, MSR_IA32_PMC0, &v) ||
            v != probe) {
            c->full_width_writes = 0;
            fw_note = " (IA32_PERF_CAPABILITIES[13] is set but IA32_A_PMC0 does not work: "
                      "not used)";
        }
    }

    o->wrmsr(o->ctx, MSR_IA32_PMC0, 0);
    o->wrmsr(o->ctx, MSR_IA32_PERFEVTSEL0, saved_sel & ~PERFEVTSEL_EN);
    o->wrmsr(o->ctx, MSR_IA32_PERF_GLOBAL_CTRL, saved_ctrl);
    hv_snprintf(why, len, "architectural perfmon version %u: %u counters of %u bits, %u fixed "
                "of %u bits, full-width writes %s%s", c->version, c->ngp, c->gp_width,
                c->nfixed, c->fixed_width, c->full_width_writes ? "yes" : "no", fw_note);
    return 1;
}

int hwpmu_event_supported(const struct pmu_caps *c, int cap_event)
{
    /* ref-cycles is refused, as Linux refuses it on general counters: 3CH/01H on a GP counter
     * counts at the bus clock on some processors, not the TSC rate of fixed counter 2 (SDM Vol.
     * 3B Table 20-2), and this backend samples with GP counter 0 only */
    return cap_event >= 0 && cap_event < CAP_EVENT_COUNT && cap_event != CAP_EVENT_REF_CYCLES &&
           pmu_event_available(c, (unsigned)cap_event);
}

uint64_t hwpmu_max_period(const struct pmu_caps *c)
{
    return c->full_width_writes ? pmu_width_mask(c->gp_width) : 1ull << 31;
}

int hwpmu_check_period(const struct pmu_caps *c, uint64_t period)
{
    return period >= PV_MIN_HW_PERIOD && period <= hwpmu_max_period(c) ? 0 : HWPMU_ERANGE;
}

int hwpmu_start(const struct hwpmu_ops *o, const struct pmu_caps *c, int cap_event,
                uint64_t period)
{
    if (!hwpmu_event_supported(c, cap_event))
        return HWPMU_EINVAL;
    if (period == 0 || period > hwpmu_max_period(c))
        return HWPMU_ERANGE;
    const struct pmu_arch_event *e = &pmu_arch_events[cap_event];
    uint64_t sel = perfevtsel_make(e->event, e->umask, PERFEVTSEL_USR | PERFEVTSEL_OS |
                                                       PERFEVTSEL_INT | PERFEVTSEL_EN);
    if (o->wrmsr(o->ctx, MSR_IA32_PERF_GLOBAL_CTRL, 0) ||
        o->wrmsr(o->ctx, MSR_IA32_PERFEVTSEL0, sel) ||
        write_minus_period(o, c, period) ||
        o->wrmsr(o->ctx, MSR_IA32_PERF_GLOBAL_OVF_CTRL, PERF_GLOBAL_PMC(0)) ||
        o->wrmsr(o->ctx, MSR_IA32_PERF_GLOBAL_CTRL, PERF_GLOBAL_PMC(0)))
        return HWPMU_EIO;
    return 0;
}

int hwpmu_handle_overflow(const struct hwpmu_ops *o, const struct pmu_caps *c, uint64_t period)
{
    uint64_t status;
    if (o->rdmsr(o->ctx, MSR_IA32_PERF_GLOBAL_STATUS, &status))
        return HWPMU_EIO;
    if (!(status & PERF_GLOBAL_PMC(0)))
        return 0;
    /* Reload first, then clear: the status bit stays set until the counter is re-armed. */
    if (write_minus_period(o, c, period) ||
        o->wrmsr(o->ctx, MSR_IA32_PERF_GLOBAL_OVF_CTRL, PERF_GLOBAL_PMC(0)))
        return HWPMU_EIO;
    return 1;
}

void hwpmu_stop(const struct hwpmu_ops *o)
{
    o->wrmsr(o->ctx, MSR_IA32_PERF_GLOBAL_CTRL, 0);
    o->wrmsr(o->ctx, MSR_IA32_PERFEVTSEL0, 0);
    o->wrmsr(o->ctx, MSR_IA32_PERF_GLOBAL_OVF_CTRL, PERF_GLOBAL_PMC(0));
}

uint64_t hwpmu_read(const struct hwpmu_ops *o, const struct pmu_caps *c)
{
    uint64_t v;
    if (o->rdmsr(o->ctx, MSR_IA32_PMC0, &v))
        return 0;
    return v & pmu_width_mask(c->gp_width);
}
