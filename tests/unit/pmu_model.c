/* A model of the Intel architectural PMU (SDM Vol. 3B 20.2), built on pmu/pmu_msr.h. */
#include <string.h>

#include "pmu_model.h"

const struct pmu_model_config PMU_CFG_V1 = {
    .name = "v1", .max_leaf = 0xA, .version = 1, .ngp = 2, .gp_width = 40, .ebx_len = 7,
};
const struct pmu_model_config PMU_CFG_V2 = {
    .name = "core2 v2", .max_leaf = 0xA, .version = 2, .ngp = 2, .gp_width = 40, .ebx_len = 7,
    .nfixed = 3, .fixed_width = 40, .pdcm = 1,
};
const struct pmu_model_config PMU_CFG_V4 = {
    .name = "skylake v4", .max_leaf = 0x16, .version = 4, .ngp = 4, .gp_width = 48, .ebx_len = 7,
    .nfixed = 3, .fixed_width = 48, .pdcm = 1, .fw_write = 1, .lvtpc_mask_on_pmi = 1,
};
const struct pmu_model_config PMU_CFG_V5 = {
    .name = "v5", .max_leaf = 0x20, .version = 5, .ngp = 8, .gp_width = 48, .ebx_len = 7,
    .unavailable_events = 1u << 4,    /* no LLC Misses */
    .nfixed = 1, .fixed_width = 48, .fixed_bitmap = 0x5, .any_deprecated = 1, .pdcm = 1,
    .fw_write = 1, .lvtpc_mask_on_pmi = 1,
};
/* EMULATORS.md: CPUID.0AH says version 4, 4 x 48-bit counters, 3 fixed, PDCM=1. */
const struct pmu_model_config PMU_CFG_BOCHS = {
    .name = "bochs", .max_leaf = 0x16, .version = 4, .ngp = 4, .gp_width = 48, .ebx_len = 7,
    .nfixed = 3, .fixed_width = 48, .pdcm = 1, .all_msrs_gp = 1,
};
const struct pmu_model_config PMU_CFG_BOCHS_IGNORE = {
    .name = "bochs ignore_bad_msrs", .max_leaf = 0x16, .version = 4, .ngp = 4, .gp_width = 48,
    .ebx_len = 7, .nfixed = 3, .fixed_width = 48, .pdcm = 1, .msrs_ignored = 1,
};

static void cpuid_answer(const struct pmu_model_config *g, uint32_t leaf, uint32_t out[4])
{
    out[0] = out[1] = out[2] = out[3] = 0;
    if (leaf > g->max_leaf)
        return;
    switch (leaf) {
    case 0:
        out[0] = g->max_leaf;
        out[1] = 0x756E6547;    /* "GenuineIntel" */
        out[3] = 0x49656E69;
        out[2] = 0x6C65746E;
        break;
    case 1:
        out[2] = g->pdcm ? CPUID_01_ECX_PDCM : 0;
        break;
    case CPUID_LEAF_PMU:
        out[0] = CPUID_0A_EAX(g->version, g->ngp, g->gp_width, g->ebx_len);
        out[1] = g->unavailable_events;
        out[2] = g->version >= 5 ? g->fixed_bitmap : 0;
        out[3] = g->version > 1 ? CPUID_0A_EDX(g->nfixed, g->fixed_width, g->any_deprecated) : 0;
        break;
    }
}

void pmu_model_cpuid(void *ctx, uint32_t leaf, uint32_t sub, uint32_t out[4])
{
    (void)sub;
    cpuid_answer(&((struct pmu_model *)ctx)->cfg, leaf, out);
}

void pmu_model_init(struct pmu_model *m, const struct pmu_model_config *cfg)
{
    uint32_t a[4], l1[4];
    memset(m, 0, sizeof(*m));
    m->cfg = *cfg;
    cpuid_answer(cfg, CPUID_LEAF_PMU, a);
    cpuid_answer(cfg, 1, l1);
    pmu_caps_decode(&m->caps, l1[2], a);
    m->caps.full_width_writes = cfg->fw_write;
    m->global_ctrl = m->caps.version >= 2 ? pmu_global_ctrl_reset(&m->caps) : 0;
    /* The hypervisor points LVTPC at NMI and unmasks it before sampling; start there. */
    m->lvtpc = LVT_DELIVERY_NMI;
}

static int gp(struct pmu_model *m, uint32_t msr)
{
    m->gp_faults++;
    m->last_gp_msr = msr;
    return -1;
}

/* The register an (existing) MSR reads. */
static uint64_t *reg(struct pmu_model *m, enum pmu_msr_kind k, unsigned idx)
{
    switch (k) {
    case PMU_MSR_PERFEVTSEL:     return &m->evtsel[idx];
    case PMU_MSR_PMC:
    case PMU_MSR_A_PMC:          return &m->pmc[idx];
    case PMU_MSR_FIXED_CTR:      return &m->fixed[idx];
    case PMU_MSR_FIXED_CTR_CTRL: return &m->fixed_ctrl;
    case PMU_MSR_GLOBAL_STATUS:  return &m->global_status;
    case PMU_MSR_GLOBAL_CTRL:    return &m->global_ctrl;
    default:                     return NULL;
    }
}

int pmu_model_rdmsr(void *ctx, uint32_t msr, uint64_t *v)
{
    struct pmu_model *m = ctx;
    enum pmu_msr_kind k;
    unsigned idx;

    if (m->cfg.all_msrs_gp || !pmu_msr_lookup(msr, &k, &idx))
        return gp(m, msr);
    if (m->cfg.msrs_ignored) {
        *v = 0;
        return 0;
    }
    if (!pmu_msr_exists(&m->caps, k, idx))
        return gp(m, msr);
    if (k == PMU_MSR_PERF_CAPABILITIES) {
        if (m->cfg.perf_cap_gp)
            return gp(m, msr);
        *v = m->cfg.fw_write ? PERF_CAP_FW_WRITE : 0;
        return 0;
    }
    uint64_t *r = reg(m, k, idx);
    *v = r ? *r : 0;            /* OVF_CTRL and STATUS_SET read 0 */
    return 0;
}

int pmu_model_wrmsr(void *ctx, uint32_t msr, uint64_t v)
{
    struct pmu_model *m = ctx;
    enum pmu_msr_kind k;
    unsigned idx;

    if (m->cfg.all_msrs_gp || !pmu_msr_lookup(msr, &k, &idx))
        return gp(m, msr);
    if (m->cfg.msrs_ignored)
        return 0;
    if (!pmu_msr_exists(&m->caps, k, idx) || pmu_msrs[k].access == PMU_RO ||
        (v & pmu_msr_reserved(&m->caps, k)))
        return gp(m, msr);
    m->writes++;
    switch (k) {
    case PMU_MSR_PMC:
        m->pmc[idx] = pmu_pmc_legacy_write_value(v, m->caps.gp_width);
        break;
    case PMU_MSR_GLOBAL_OVF_CTRL:
        m->global_status &= ~v;
        break;
    case PMU_MSR_GLOBAL_STATUS_SET:
        m->global_status |= v;
        break;
    default:
        *reg(m, k, idx) = v;
        break;
    }
    return 0;
}

static void pmi(struct pmu_model *m)
{
    if (m->lvtpc & LVT_MASKED) {
        m->pmis_blocked++;
        return;
    }
    m->pmis++;
    m->pmi_status = m->global_status;
    if (m->cfg.lvtpc_mask_on_pmi)
        m->lvtpc |= LVT_MASKED;
}

/* Adds n to a width-bit counter; each wrap from 2^width - 1 to 0 is an overflow. */
static void advance(struct pmu_model *m, uint64_t *ctr, unsigned width, uint64_t n,
                    uint64_t status_bit, int interrupt)
{
    unsigned __int128 sum = (unsigned __int128)*ctr + n;
    uint64_t wraps = (uint64_t)(sum >> width);
    *ctr = (uint64_t)sum & pmu_width_mask(width);
    for (uint64_t w = 0; w < wraps; w++) {
        m->global_status |= status_bit;
        if (interrupt)
            pmi(m);
    }
}

static int cpl_enabled(unsigned cpl, int os, int usr)
{
    return cpl == 0 ? os : usr;
}

void pmu_model_count(struct pmu_model *m, unsigned event, uint64_t n)
{
    if (event >= PMU_ARCH_EVENTS || m->cfg.all_msrs_gp || m->cfg.msrs_ignored)
        return;
    const struct pmu_arch_event *e = &pmu_arch_events[event];
    int global = m->caps.version >= 2;    /* version 1 has no IA32_PERF_GLOBAL_CTRL */

    for (unsigned i = 0; i < m->caps.ngp; i++) {
        uint64_t sel = m->evtsel[i];
        if (!(sel & PERFEVTSEL_EN) || (global && !(m->global_ctrl & PERF_GLOBAL_PMC(i))) ||
            !cpl_enabled(m->cpl, !!(sel & PERFEVTSEL_OS), !!(sel & PERFEVTSEL_USR)))
            continue;
        /* an encoding CPUID says is unavailable counts nothing we could model */
        if (perfevtsel_event(sel) != e->event || perfevtsel_umask(sel) != e->umask ||
            !pmu_event_available(&m->caps, event))
            continue;
        if (sel & (PERFEVTSEL_EDGE | PERFEVTSEL_INV | PERFEVTSEL_CMASK_MASK)) {
            m->unmodelled++;
            continue;
        }
        advance(m, &m->pmc[i], m->caps.gp_width, n, PERF_GLOBAL_PMC(i),
                !!(sel & PERFEVTSEL_INT));
    }
    if (e->fixed >= 0 && pmu_fixed_exists(&m->caps, (unsigned)e->fixed)) {
        unsigned i = (unsigned)e->fixed;
        unsigned f = fixed_ctrl_field(m->fixed_ctrl, i);
        if ((m->global_ctrl & PERF_GLOBAL_FIXED(i)) &&
            cpl_enabled(m->cpl, !!(f & FIXED_CTRL_OS), !!(f & FIXED_CTRL_USR)))
            advance(m, &m->fixed[i], m->caps.fixed_width, n, PERF_GLOBAL_FIXED(i),
                    !!(f & FIXED_CTRL_PMI));
    }
}
