/* The software backend's operations (pmu/vpmu/vpmu_backend.h), inline: its table,
 * vpmu_sw_backend (pmu/vpmu/vpmu_sw.c), points at these, and the shared logic (pmu/vpmu/vpmu.c)
 * calls them directly when a vCPU has the software backend instead of through the table.  They
 * run on every guest PMU access and overflow exit: through a function pointer each access cost
 * 11-13 more ticks and self-profiling every 1,000,000 cycles went over its 0.3% goal
 * (docs/BENCHMARKS.md). */
#ifndef PMU_VPMU_SW_H
#define PMU_VPMU_SW_H

#include "pmu/vpmu/vpmu.h"

/* The counting plan (struct vpmu: ungated, counting, unmodelled, active) from the controls in
 * p->st. */
void vpmu_sw_plan(struct vpmu *p);

/* The plan after a IA32_PERF_GLOBAL_CTRL write: the ungated plan through the new gate
 * (pmu_state_counting_ungated: the same masks pmu_state_counting gives). */
static inline void vpmu_sw_gate(struct vpmu *p)
{
    uint64_t gate = pmu_state_gate(&p->st);
    for (unsigned c = 0; c < 2; c++) {
        p->counting[c] = p->ungated[c] & gate;
        p->unmodelled[c] = p->ungated_unmodelled[c] & gate;
    }
    p->active = (p->counting[0] | p->counting[1] | p->unmodelled[0] | p->unmodelled[1]) != 0;
}

/* read, save, restore: the counters are p->st itself, current once the caller has given them
 * the time (vpmu_count); nothing lives anywhere else. */
static inline int vpmu_sw_sync(struct vpmu *p)
{
    (void)p;
    return 0;
}

/* program: a control write changes the plan (IA32_PERF_GLOBAL_CTRL only its gate); a counter
 * write only moves the next PMI, which the caller re-arms through arm_overflow. */
static inline int vpmu_sw_program(struct vpmu *p, enum pmu_msr_kind k)
{
    if (k == PMU_MSR_PERFEVTSEL || k == PMU_MSR_FIXED_CTR_CTRL)
        vpmu_sw_plan(p);
    else if (k == PMU_MSR_GLOBAL_CTRL)
        vpmu_sw_gate(p);
    return 0;
}

/* arm_overflow: TSC ticks at cpl until the first counter of the plan with PMI enabled wraps. */
static inline uint64_t vpmu_sw_arm_overflow(const struct vpmu *p, int cpl)
{
    return pmu_state_to_pmi(&p->st, p->counting[cpl != 0]);
}

#endif
