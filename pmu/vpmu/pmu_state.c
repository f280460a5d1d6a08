/* The architectural PMU's registers and SDM rules (pmu/vpmu/pmu_state.h). */
#ifdef PERFVISOR_HV
#include "hv/string.h"
#else
#include <string.h>
#endif

#include "pmu/vpmu/pmu_state.h"

void pmu_state_reset(struct pmu_state *s, const struct pmu_caps *caps)
{
    memset(s, 0, sizeof(*s));
    s->caps = *caps;
    /* version 1 has no IA32_PERF_GLOBAL_CTRL (Vol. 4 Table 2-2) */
    s->global_ctrl = caps->version >= 2 ? pmu_global_ctrl_reset(caps) : 0;
}

uint64_t pmu_state_perf_capabilities(const struct pmu_state *s)
{
    return s->caps.full_width_writes ? PERF_CAP_FW_WRITE : 0;
}

/* The register an existing MSR names; NULL for those that read 0 or are computed. */
static uint64_t *reg(struct pmu_state *s, enum pmu_msr_kind k, unsigned idx)
{
    switch (k) {
    case PMU_MSR_PERFEVTSEL:     return &s->evtsel[idx];
    case PMU_MSR_PMC:
    case PMU_MSR_A_PMC:          return &s->pmc[idx];   /* two addresses, one counter (20.2.6) */
    case PMU_MSR_FIXED_CTR:      return &s->fixed[idx];
    case PMU_MSR_FIXED_CTR_CTRL: return &s->fixed_ctrl;
    case PMU_MSR_GLOBAL_STATUS:  return &s->global_status;
    case PMU_MSR_GLOBAL_CTRL:    return &s->global_ctrl;
    default:                     return NULL;
    }
}

int pmu_state_read(const struct pmu_state *s, enum pmu_msr_kind k, unsigned idx, uint64_t *v)
{
    if (!pmu_msr_exists(&s->caps, k, idx))
        return -1;
    if (k == PMU_MSR_PERF_CAPABILITIES) {
        *v = pmu_state_perf_capabilities(s);
        return 0;
    }
    const uint64_t *r = reg((struct pmu_state *)s, k, idx);
    *v = r ? *r : 0;            /* OVF_CTRL (STATUS_RESET) and STATUS_SET read 0 */
    return 0;
}

int pmu_state_rdmsr(const struct pmu_state *s, uint32_t msr, uint64_t *v)
{
    enum pmu_msr_kind k;
    unsigned idx;

    if (!pmu_msr_lookup(msr, &k, &idx))
        return -1;
    return pmu_state_read(s, k, idx, v);
}

int pmu_state_write(struct pmu_state *s, enum pmu_msr_kind k, unsigned idx, uint64_t v)
{
    if (!pmu_msr_exists(&s->caps, k, idx) || pmu_msrs[k].access == PMU_RO ||
        (v & pmu_msr_reserved(&s->caps, k)))
        return -1;
    switch (k) {
    case PMU_MSR_PMC:
        s->pmc[idx] = pmu_pmc_legacy_write_value(v, s->caps.gp_width);
        break;
    case PMU_MSR_GLOBAL_OVF_CTRL:
        s->global_status &= ~v;
        break;
    case PMU_MSR_GLOBAL_STATUS_SET:
        s->global_status |= v;
        break;
    default:
        *reg(s, k, idx) = v;    /* reserved bits (above the width for counters) are clear */
        break;
    }
    return 0;
}

int pmu_state_wrmsr(struct pmu_state *s, uint32_t msr, uint64_t v)
{
    enum pmu_msr_kind k;
    unsigned idx;

    if (!pmu_msr_lookup(msr, &k, &idx))
        return -1;
    return pmu_state_write(s, k, idx, v);
}

int pmu_state_rdpmc(const struct pmu_state *s, uint32_t ecx, uint64_t *v)
{
    const uint32_t fixed_type = 1u << 30, fast_read = 1u << 31;
    uint32_t idx = ecx & ~(fixed_type | fast_read);

    if (s->caps.version == 0 || (ecx & fast_read))
        return -1;
    if (ecx & fixed_type) {
        if (idx >= PMU_MAX_FIXED || !pmu_fixed_exists(&s->caps, idx))
            return -1;
        *v = s->fixed[idx] & pmu_width_mask(s->caps.fixed_width);
        return 0;
    }
    if (idx >= s->caps.ngp)
        return -1;
    *v = s->pmc[idx] & pmu_width_mask(s->caps.gp_width);
    return 0;
}

/* Adds n to a width-bit counter and returns how many times it wrapped from 2^width - 1 to 0. */
static uint64_t advance(uint64_t *ctr, unsigned width, uint64_t n)
{
    if (width >= 64) {
        uint64_t sum = *ctr + n;
        uint64_t wraps = sum < *ctr;
        *ctr = sum;
        return wraps;
    }
    uint64_t mask = pmu_width_mask(width);
    uint64_t sum = (*ctr & mask) + (n & mask);      /* < 2^(width+1): no carry out */
    *ctr = sum & mask;
    return (n >> width) + (sum >> width);
}

/* Occurrences until a width-bit counter at ctr wraps: 2^width - ctr. */
static uint64_t to_wrap(uint64_t ctr, unsigned width)
{
    uint64_t mask = pmu_width_mask(width);
    uint64_t left = mask - (ctr & mask) + 1;
    return left ? left : UINT64_MAX;    /* 2^64: does not fit */
}

static int cpl_enabled(unsigned cpl, int os, int usr)
{
    return cpl == 0 ? os : usr;
}

enum counts { COUNTS_NOT, COUNTS, COUNTS_UNMODELLED };

/* Whether GP counter i counts architectural event `event` at cpl, IA32_PERF_GLOBAL_CTRL aside. */
static enum counts gp_counts(const struct pmu_state *s, unsigned i, unsigned event, unsigned cpl)
{
    const struct pmu_arch_event *e = &pmu_arch_events[event];
    uint64_t sel = s->evtsel[i];

    if (!(sel & PERFEVTSEL_EN) ||
        !cpl_enabled(cpl, !!(sel & PERFEVTSEL_OS), !!(sel & PERFEVTSEL_USR)))
        return COUNTS_NOT;
    /* an encoding CPUID says is unavailable counts nothing we could model */
    if (perfevtsel_event(sel) != e->event || perfevtsel_umask(sel) != e->umask ||
        !pmu_event_available(&s->caps, event))
        return COUNTS_NOT;
    if (sel & (PERFEVTSEL_EDGE | PERFEVTSEL_INV | PERFEVTSEL_CMASK_MASK))
        return COUNTS_UNMODELLED;
    return COUNTS;
}

/* The fixed counter that counts `event` at cpl, IA32_PERF_GLOBAL_CTRL aside, or -1 (Table
 * 20-2: one event each). */
static int fixed_counting(const struct pmu_state *s, unsigned event, unsigned cpl)
{
    int i = pmu_arch_events[event].fixed;
    if (i < 0 || !pmu_fixed_exists(&s->caps, (unsigned)i))
        return -1;
    unsigned f = fixed_ctrl_field(s->fixed_ctrl, (unsigned)i);
    if (!cpl_enabled(cpl, !!(f & FIXED_CTRL_OS), !!(f & FIXED_CTRL_USR)))
        return -1;
    return i;
}

uint64_t pmu_state_counting(const struct pmu_state *s, unsigned event, unsigned cpl,
                            uint64_t *unmodelled)
{
    uint64_t gate = pmu_state_gate(s), skipped;
    uint64_t mask = pmu_state_counting_ungated(s, event, cpl, &skipped) & gate;

    if (unmodelled)
        *unmodelled = skipped & gate;
    return mask;
}

uint64_t pmu_state_counting_ungated(const struct pmu_state *s, unsigned event, unsigned cpl,
                                    uint64_t *unmodelled)
{
    uint64_t mask = 0, skipped = 0;

    if (event < PMU_ARCH_EVENTS) {
        for (unsigned i = 0; i < s->caps.ngp; i++) {
            enum counts c = gp_counts(s, i, event, cpl);
            if (c == COUNTS)
                mask |= PERF_GLOBAL_PMC(i);
            else if (c == COUNTS_UNMODELLED)
                skipped |= PERF_GLOBAL_PMC(i);
        }
        int f = fixed_counting(s, event, cpl);
        if (f >= 0)
            mask |= PERF_GLOBAL_FIXED(f);
    }
    if (unmodelled)
        *unmodelled = skipped;
    return mask;
}

/* Whether the counter at `bit` (IA32_PERF_GLOBAL_* order) raises a PMI when it wraps. */
static int pmi_enabled(const struct pmu_state *s, unsigned bit)
{
    if (bit < 32)
        return (s->evtsel[bit] & PERFEVTSEL_INT) != 0;
    return (fixed_ctrl_field(s->fixed_ctrl, bit - 32) & FIXED_CTRL_PMI) != 0;
}

void pmu_state_advance(struct pmu_state *s, uint64_t mask, uint64_t n, pmu_pmi_fn *pmi,
                       void *ctx)
{
    while (mask) {
        unsigned bit = (unsigned)__builtin_ctzll(mask);
        mask &= mask - 1;
        uint64_t wraps = bit < 32 ? advance(&s->pmc[bit], s->caps.gp_width, n)
                                  : advance(&s->fixed[bit - 32], s->caps.fixed_width, n);
        if (wraps) {
            s->global_status |= 1ull << bit;
            if (pmi && pmi_enabled(s, bit))
                pmi(ctx, wraps);
        }
    }
}

uint64_t pmu_state_to_pmi(const struct pmu_state *s, uint64_t mask)
{
    uint64_t best = UINT64_MAX;

    while (mask) {
        unsigned bit = (unsigned)__builtin_ctzll(mask);
        mask &= mask - 1;
        if (!pmi_enabled(s, bit))
            continue;
        uint64_t left = bit < 32 ? to_wrap(s->pmc[bit], s->caps.gp_width)
                                 : to_wrap(s->fixed[bit - 32], s->caps.fixed_width);
        best = left < best ? left : best;
    }
    return best;
}

void pmu_state_count(struct pmu_state *s, unsigned event, unsigned cpl, uint64_t n,
                     pmu_pmi_fn *pmi, void *ctx)
{
    uint64_t skipped, mask = pmu_state_counting(s, event, cpl, &skipped);

    s->unmodelled += pmu_mask_count(skipped);
    pmu_state_advance(s, mask, n, pmi, ctx);
}

uint64_t pmu_state_events_to_pmi(const struct pmu_state *s, unsigned event, unsigned cpl)
{
    return pmu_state_to_pmi(s, pmu_state_counting(s, event, cpl, NULL));
}
