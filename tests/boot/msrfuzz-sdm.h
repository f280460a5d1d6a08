/* msrfuzz-sdm.h - the virtual PMU a perfvisor guest must see, as a table written from the SDM
 * (Vol. 3B ch. 20 "Performance Monitoring", Vol. 4 Table 2-2) and docs/guests.md "The virtual
 * PMU", for tests/boot/msrfuzz-oracle.c.  It shares no code with pmu/vpmu/: the oracle must
 * check the hypervisor against the SDM, not against itself. */
#ifndef MSRFUZZ_SDM_H
#define MSRFUZZ_SDM_H

#include <stdint.h>

/* The state of one vCPU's PMU that the rules read or write back. */
struct sdm_pmu {
    uint64_t pmc[4], evtsel[4], fixed[3], fixed_ctrl, global_ctrl, global_status;
};

void sdm_pmu_reset(struct sdm_pmu *p);
/* CPUID leaves 1 (ECX) and 0AH over r[4] = EAX..EDX; other leaves untouched. */
void sdm_pmu_cpuid(uint32_t leaf, uint32_t r[4]);
/* 0, or -1 for #GP(0). */
int sdm_pmu_rdmsr(const struct sdm_pmu *p, uint32_t msr, uint64_t *v);
int sdm_pmu_wrmsr(struct sdm_pmu *p, uint32_t msr, uint64_t v);
int sdm_pmu_rdpmc(const struct sdm_pmu *p, uint32_t ecx, uint64_t *v);   /* at CPL 0 */

#endif
