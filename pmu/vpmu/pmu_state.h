/* The architectural PMU as a state machine: the registers pmu/vpmu/pmu_msr.h describes and the SDM
 * rules for reading, writing and counting them, once.  The guest vPMU (pmu/vpmu/vpmu.c) keeps one
 * per vCPU; the PMU model the hardware backend is tested against (tests/unit/pmu_model.c) is
 * a thin wrapper around the same code, so the two cannot drift apart.
 *
 * Rules (SDM Vol. 3B 20.2, Vol. 4 Table 2-2; pmu/vpmu/pmu_msr.h cites each):
 *   - an address the table does not hold, or an instance caps does not enumerate, #GPs;
 *   - a write with a reserved bit set (pmu_msr_reserved) #GPs, so does any write to a read-only
 *     register (IA32_PERF_GLOBAL_STATUS, IA32_PERF_CAPABILITIES);
 *   - IA32_PMCx takes EAX[31:0] sign-extended, IA32_A_PMCx the full width; counters keep
 *     `width` bits;
 *   - IA32_PERF_GLOBAL_OVF_CTRL (STATUS_RESET) clears the status bits written as 1,
 *     IA32_PERF_GLOBAL_STATUS_SET sets them; both read 0;
 *   - IA32_PERF_GLOBAL_CTRL resets with the GP counters' enable bits set (version 2 on);
 *   - a counter advances when its control enables it (PERFEVTSELx.EN, or a non-zero CPL field
 *     of IA32_FIXED_CTR_CTRL) for the current CPL (OS: CPL 0, USR: CPL > 0) and its
 *     IA32_PERF_GLOBAL_CTRL bit is set (version 2 on); a wrap past 2^width - 1 sets its
 *     IA32_PERF_GLOBAL_STATUS bit and, with PERFEVTSELx.INT or the fixed PMI bit, is a PMI;
 *   - EDGE, INV and CMASK change what a cycle contributes, which an occurrence count cannot
 *     say: such a counter does not count and the attempt is counted in `unmodelled`.
 * Not modelled: the version 4 freeze-on-PMI (IA32_DEBUGCTL is no PMU-table MSR), PEBS/DS, the
 * OvfBuf, Ovf_Uncore and v4 indicator bits (software may only set and clear them). */
#ifndef PMU_PMU_STATE_H
#define PMU_PMU_STATE_H

#include <stddef.h>
#include <stdint.h>

#include "pmu/vpmu/pmu_msr.h"

/* The members, as a macro so that the test model can overlay them with its historical field
 * names (an anonymous struct in a union with struct pmu_state); code uses struct pmu_state. */
#define PMU_STATE_MEMBERS                                                            \
    struct pmu_caps caps;               /* what CPUID and PERF_CAPABILITIES say */    \
    uint64_t evtsel[PMU_MAX_GP];        /* IA32_PERFEVTSELx */                        \
    uint64_t pmc[PMU_MAX_GP];           /* IA32_PMCx = IA32_A_PMCx, `gp_width` bits */ \
    uint64_t fixed[PMU_MAX_FIXED];      /* IA32_FIXED_CTRx, `fixed_width` bits */     \
    uint64_t fixed_ctrl;                /* IA32_FIXED_CTR_CTRL */                     \
    uint64_t global_ctrl;               /* IA32_PERF_GLOBAL_CTRL */                   \
    uint64_t global_status;             /* IA32_PERF_GLOBAL_STATUS */                 \
    unsigned unmodelled;                /* counts skipped: EDGE, INV or CMASK set */

struct pmu_state {
    PMU_STATE_MEMBERS
};

/* Called once per overflow burst of a counter with PMI enabled; `overflows` >= 1 wraps. */
typedef void pmu_pmi_fn(void *ctx, uint64_t overflows);

/* Registers at their RESET values for a PMU that enumerates *caps. */
void pmu_state_reset(struct pmu_state *s, const struct pmu_caps *caps);

/* IA32_PERF_CAPABILITIES as this PMU reads it (bit 13 = full-width writes, nothing else). */
uint64_t pmu_state_perf_capabilities(const struct pmu_state *s);

/* RDMSR / WRMSR of any address: 0, or -1 where the CPU raises #GP. */
int pmu_state_rdmsr(const struct pmu_state *s, uint32_t msr, uint64_t *v);
int pmu_state_wrmsr(struct pmu_state *s, uint32_t msr, uint64_t v);

/* The same for an address already looked up (pmu_msr_lookup): instance idx of kind k. */
int pmu_state_read(const struct pmu_state *s, enum pmu_msr_kind k, unsigned idx, uint64_t *v);
int pmu_state_write(struct pmu_state *s, enum pmu_msr_kind k, unsigned idx, uint64_t v);

/* RDPMC's counter selection (Vol. 2B RDPMC): ECX[30] = 1 selects fixed counter ECX[29:0],
 * else GP counter ECX[29:0]; ECX[31] ("fast read", 32 bits only) exists only on processors
 * without architectural perfmon and is reserved here.  0 and the counter's full width in *v,
 * or -1 (#GP) for a counter caps does not enumerate.  The CPL/CR4.PCE check is the caller's. */
int pmu_state_rdpmc(const struct pmu_state *s, uint32_t ecx, uint64_t *v);

/* The counters that count architectural event `event` at privilege level cpl, as bits in
 * IA32_PERF_GLOBAL_CTRL order (GP i = bit i, fixed i = bit 32 + i): a plan that stays valid
 * until a control register (PERFEVTSELx, IA32_FIXED_CTR_CTRL, IA32_PERF_GLOBAL_CTRL) changes.
 * *unmodelled (may be NULL) gets those enabled for it with EDGE, INV or CMASK set. */
uint64_t pmu_state_counting(const struct pmu_state *s, unsigned event, unsigned cpl,
                            uint64_t *unmodelled);

/* IA32_PERF_GLOBAL_CTRL as a gate over the counters, in its own bit order: its value from
 * version 2 on; version 1 has no such register and gates nothing (Vol. 3B 20.2.2). */
static inline uint64_t pmu_state_gate(const struct pmu_state *s)
{
    return s->caps.version < 2 ? ~0ull : s->global_ctrl;
}

/* pmu_state_counting with every counter's IA32_PERF_GLOBAL_CTRL bit taken as set.  The global
 * enable is one more AND on each counter's own conditions (Vol. 3B 20.2.2), so
 *   pmu_state_counting(s, e, cpl, &u) == pmu_state_counting_ungated(s, e, cpl, &v) & gate,
 *   u == v & gate,  gate = pmu_state_gate(s):
 * a plan taken from the ungated masks stays valid across IA32_PERF_GLOBAL_CTRL writes, which
 * change it by one AND (the guest's PMI handler writes it twice per PMI). */
uint64_t pmu_state_counting_ungated(const struct pmu_state *s, unsigned event, unsigned cpl,
                                    uint64_t *unmodelled);

/* n occurrences on every counter of `mask` (pmu_state_counting's bits): each wrap sets its
 * IA32_PERF_GLOBAL_STATUS bit and, with PMI enabled, calls pmi(ctx, wraps), in bit order. */
void pmu_state_advance(struct pmu_state *s, uint64_t mask, uint64_t n, pmu_pmi_fn *pmi,
                       void *ctx);

/* Occurrences until the first counter of `mask` with PMI enabled wraps; UINT64_MAX: none. */
uint64_t pmu_state_to_pmi(const struct pmu_state *s, uint64_t mask);

/* Bits set in a counter mask (no libgcc in the hypervisor: no __builtin_popcountll). */
static inline unsigned pmu_mask_count(uint64_t m)
{
    unsigned n = 0;
    for (; m; m &= m - 1)
        n++;
    return n;
}

/* pmu_state_count and pmu_state_events_to_pmi are these three together. */
/* n occurrences of architectural event `event` (CPUID.0AH:EBX bit order) at privilege level
 * cpl.  For each counter with PMI enabled that wraps, calls pmi(ctx, wraps) (pmi may be NULL)
 * after setting its status bit, counters in order GP 0.. then fixed. */
void pmu_state_count(struct pmu_state *s, unsigned event, unsigned cpl, uint64_t n,
                     pmu_pmi_fn *pmi, void *ctx);

/* Occurrences of `event` at cpl until the first counter that counts it with PMI enabled
 * wraps: counting exactly that many raises the PMI, one fewer does not.  UINT64_MAX if no
 * such counter (or the distance does not fit in 64 bits). */
uint64_t pmu_state_events_to_pmi(const struct pmu_state *s, unsigned event, unsigned cpl);

#endif
