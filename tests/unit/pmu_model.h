/* A model of the Intel architectural PMU, for host tests of code that drives one (the hardware
 * sampling backend, later the vPMU).  It answers CPUID from a configuration and implements
 * the SDM's MSR rules from the same table the hypervisor uses (pmu/vpmu/pmu_msr.h):
 *   - an MSR the configuration does not enumerate raises #GP (returns -1), so does a write
 *     with a reserved bit set or any write to a read-only register;
 *   - IA32_PMCx writes take EAX[31:0] sign-extended, IA32_A_PMCx writes are full width;
 *     counters keep `width` bits;
 *   - IA32_PERF_GLOBAL_STATUS is read-only, OVF_CTRL clears (write 1), STATUS_SET sets;
 *   - IA32_PERF_GLOBAL_CTRL starts with the GP enable bits set.
 * pmu_model_count() makes events happen: every counter enabled for that event (EN and the
 * CPL bits in its control, and its IA32_PERF_GLOBAL_CTRL bit) advances; a wrap past 2^width - 1
 * sets the counter's overflow bit and, with INT (GP) or PMI (fixed), raises a PMI through the
 * modelled LVT performance-counter register.
 * The SDM rules themselves are pmu/vpmu/pmu_state.c, the same code the guest vPMU runs; this model
 * adds only what is not the architecture's: configurations (CPUID answers, emulator quirks),
 * the LVT performance-counter register and counts of what happened. */
#ifndef TESTS_UNIT_PMU_MODEL_H
#define TESTS_UNIT_PMU_MODEL_H

#include <stdint.h>

#include "pmu/vpmu/pmu_msr.h"
#include "pmu/vpmu/pmu_state.h"

struct pmu_model_config {
    const char *name;
    unsigned max_leaf;            /* CPUID.0:EAX */
    unsigned version, ngp, gp_width, ebx_len, nfixed, fixed_width;
    uint32_t unavailable_events;  /* CPUID.0AH:EBX */
    uint32_t fixed_bitmap;        /* CPUID.0AH:ECX (reported from version 5) */
    int any_deprecated;           /* CPUID.0AH:EDX[15] */
    int pdcm;                     /* CPUID.01H:ECX[15] */
    int fw_write;                 /* IA32_PERF_CAPABILITIES[13] */
    int all_msrs_gp;              /* Bochs, ignore_bad_msrs=0: CPUID as above, every MSR #GPs */
    int msrs_ignored;             /* Bochs, ignore_bad_msrs=1: reads 0, writes vanish */
    int perf_cap_gp;              /* IA32_PERF_CAPABILITIES #GPs although PDCM is set */
    int lvtpc_mask_on_pmi;        /* the CPU sets LVT_MASKED when it delivers a PMI */
};

/* Configurations: a Core 2 (v2: 2 counters of 40 bits, 3 fixed), a Skylake (v4: 4 x 48 bits,
 * full-width writes), a v5 part (8 counters, no LLC Misses, fixed counters 0 and 2 only:
 * EDX[4:0] = 1 and ECX = 101b, AnyThread deprecated), a v1
 * part, Bochs 2.7 (corei7_skylake_x CPUID, no PMU). */
extern const struct pmu_model_config PMU_CFG_V1, PMU_CFG_V2, PMU_CFG_V4, PMU_CFG_V5,
    PMU_CFG_BOCHS, PMU_CFG_BOCHS_IGNORE;

struct pmu_model {
    struct pmu_model_config cfg;
    /* the architectural state (pmu/vpmu/pmu_state.h): st, or its members by name (m.caps,
     * m.pmc[i], m.global_status, m.unmodelled, ...) */
    union {
        struct pmu_state st;
        struct { PMU_STATE_MEMBERS };
    };
    unsigned cpl;                 /* privilege level events happen at (0: OS, else USR) */
    uint32_t lvtpc;               /* the LVT performance-counter register */
    unsigned pmis;                /* PMIs delivered */
    unsigned pmis_blocked;        /* overflows with a PMI enabled while LVTPC was masked */
    uint64_t pmi_status;          /* IA32_PERF_GLOBAL_STATUS when the last PMI was delivered */
    unsigned gp_faults;           /* #GPs raised */
    uint32_t last_gp_msr;
    unsigned writes;              /* WRMSRs that succeeded */
};

void pmu_model_init(struct pmu_model *m, const struct pmu_model_config *cfg);

/* hwpmu_ops-shaped: ctx is the struct pmu_model. */
int pmu_model_rdmsr(void *ctx, uint32_t msr, uint64_t *v);
int pmu_model_wrmsr(void *ctx, uint32_t msr, uint64_t v);
void pmu_model_cpuid(void *ctx, uint32_t leaf, uint32_t sub, uint32_t out[4]);

/* n occurrences of architectural event `event` (CPUID.0AH:EBX bit order) at m->cpl. */
void pmu_model_count(struct pmu_model *m, unsigned event, uint64_t n);

#endif
