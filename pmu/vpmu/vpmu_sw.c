/* The guest vPMU's software backend (pmu/vpmu/vpmu_backend.h): the counters are struct
 * pmu_state itself, both cycle events count TSC ticks given by the VMX-preemption timer's
 * settling (vpmu_count), and the hypervisor times the next overflow (arm_overflow).  The
 * operations themselves are inline in pmu/vpmu/vpmu_sw.h. */
#include "pmu/vpmu/vpmu_sw.h"

/* CPUID leaf 0AH of the software backend (SDM Vol. 2A CPUID, Vol. 3B 20.2).
 *
 * Version 5, because it is the first version that can say exactly which fixed counters exist:
 * "FxCtr[i]_is_supported := ECX[i] || (EDX[4:0] > i)" (20.2.5).  The TSC gives cycles but no
 * instruction count, so fixed counter 0 (INST_RETIRED.ANY) must not exist; versions 2-4 can
 * only offer fixed counters contiguously from 0, and offering 1 and 2 there would mean a fixed
 * counter 0 that never counts while the guest believes it does (perf would report 0
 * instructions instead of "not supported").  With ECX = 110b and EDX[4:0] = 0, a v5-aware
 * guest uses fixed 1 and 2; an older one sees no fixed counters and uses GP counters.
 * What v5 brings along, and how it is met:
 *   - AnyThread (v3) is deprecated through EDX[15], so its bits stay reserved: a vCPU has no
 *     sibling thread to count;
 *   - IA32_PERF_GLOBAL_STATUS_RESET/_SET (v4) are emulated from the table; the v4 indicator
 *     bits (LBR_Frz, CTR_Frz, ...) can be set and cleared and have no other effect;
 *   - IA32_DEBUGCTL.FREEZE_PERFMON_ON_PMI (v4) is not emulated (IA32_DEBUGCTL is not a PMU
 *     table MSR; Linux stopped using it in 5.12), nor IA32_PERF_GLOBAL_INUSE (392H), which
 *     pmu/vpmu/pmu_msr.h's table does not hold: it #GPs like any MSR outside the table.
 * GP counters: 4 of 48 bits, like Skylake.  EBX: every event but 0 (UnHalted Core Cycles) and
 * 2 (UnHalted Reference Cycles) unavailable, over the 7 architectural events of EAX[31:24].
 * PDCM with IA32_PERF_CAPABILITIES = full-width writes (bit 13) and nothing else (LBR format
 * 0, no PEBS, as KVM offers without LBR): IA32_A_PMCx exist, so a guest can load a 48-bit
 * period, which a sign-extended 32-bit IA32_PMCx write cannot. */
#define VPMU_VERSION      5
#define VPMU_NGP          4
#define VPMU_GP_WIDTH     48
#define VPMU_EBX_LEN      PMU_ARCH_EVENTS
#define VPMU_UNAVAILABLE  (0x7Fu & ~(1u << 0 | 1u << 2))   /* = 0x7A */
#define VPMU_FIXED_MASK   (1u << 1 | 1u << 2)               /* ECX: fixed 1 and 2 */
#define VPMU_NFIXED       0                                 /* EDX[4:0]: none contiguous */
#define VPMU_FIXED_WIDTH  48

#define EV_CORE_CYCLES 0u   /* CPUID.0AH:EBX bit order (pmu_arch_events[]) */
#define EV_REF_CYCLES  2u

static void sw_caps(const void *ctx, struct pmu_caps *caps)
{
    /* decoded from the CPUID answer the guest gets, so the two agree by construction */
    const uint32_t leaf_0a[4] = {
        CPUID_0A_EAX(VPMU_VERSION, VPMU_NGP, VPMU_GP_WIDTH, VPMU_EBX_LEN),
        VPMU_UNAVAILABLE,
        VPMU_FIXED_MASK,
        CPUID_0A_EDX(VPMU_NFIXED, VPMU_FIXED_WIDTH, 1),
    };
    (void)ctx;
    pmu_caps_decode(caps, CPUID_01_ECX_PDCM, leaf_0a);
    caps->full_width_writes = 1;
}

void vpmu_sw_plan(struct vpmu *p)
{
    for (unsigned c = 0; c < 2; c++) {
        uint64_t u_core, u_ref, cpl = c ? 3 : 0;
        p->ungated[c] = pmu_state_counting_ungated(&p->st, EV_CORE_CYCLES, cpl, &u_core) |
                        pmu_state_counting_ungated(&p->st, EV_REF_CYCLES, cpl, &u_ref);
        p->ungated_unmodelled[c] = u_core | u_ref;
    }
    vpmu_sw_gate(p);
}

const struct vpmu_backend_ops vpmu_sw_backend = {
    .name = "software", .caps = sw_caps, .program = vpmu_sw_program, .read = vpmu_sw_sync,
    .arm_overflow = vpmu_sw_arm_overflow, .save = vpmu_sw_sync, .restore = vpmu_sw_sync,
};

static void overflow_pmi(void *ctx, uint64_t overflows)
{
    struct vpmu *p = ctx;
    p->pmi_pending = 1;         /* one PMI however many wraps: the LVTPC delivers one */
    p->overflows += overflows;
}

/* Both cycle events count TSC ticks, and no counter counts both: one pass over the plan's
 * counters is pmu_state_count for each event. */
void vpmu_count(struct vpmu *p, int cpl, uint64_t ticks)
{
    unsigned c = cpl != 0;

    if (__builtin_expect(p->unmodelled[c] != 0, 0))
        p->st.unmodelled += pmu_mask_count(p->unmodelled[c]);
    pmu_state_advance(&p->st, p->counting[c], ticks, overflow_pmi, p);
}

void vpmu_count_hypervisor(struct vpmu *p, uint64_t ticks)
{
    if (p->mode == VPMU_DOMAIN_SWITCH)
        vpmu_count(p, 0, ticks);
}
