/* A model of the Intel architectural PMU (SDM Vol. 3B 20.2): configurations and emulator quirks
 * around the SDM state machine in pmu/vpmu/pmu_state.c. */
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

_Static_assert(sizeof(struct pmu_state) == sizeof(((struct pmu_model *)0)->st),
               "the named members overlay struct pmu_state exactly");

void pmu_model_init(struct pmu_model *m, const struct pmu_model_config *cfg)
{
    uint32_t a[4], l1[4];
    struct pmu_caps caps;
    memset(m, 0, sizeof(*m));
    m->cfg = *cfg;
    cpuid_answer(cfg, CPUID_LEAF_PMU, a);
    cpuid_answer(cfg, 1, l1);
    pmu_caps_decode(&caps, l1[2], a);
    caps.full_width_writes = cfg->fw_write;
    pmu_state_reset(&m->st, &caps);
    /* The hypervisor points LVTPC at NMI and unmasks it before sampling; start there. */
    m->lvtpc = LVT_DELIVERY_NMI;
}

static int gp(struct pmu_model *m, uint32_t msr)
{
    m->gp_faults++;
    m->last_gp_msr = msr;
    return -1;
}

/* The emulator quirks come first; the architecture's rules are pmu/vpmu/pmu_state.c. */
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
    if (k == PMU_MSR_PERF_CAPABILITIES && m->cfg.perf_cap_gp)
        return gp(m, msr);
    return pmu_state_rdmsr(&m->st, msr, v) ? gp(m, msr) : 0;
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
    if (pmu_state_wrmsr(&m->st, msr, v))
        return gp(m, msr);
    m->writes++;
    return 0;
}

/* A PMI per overflow, through the modelled LVT performance-counter register. */
static void pmi(void *ctx, uint64_t overflows)
{
    struct pmu_model *m = ctx;
    for (uint64_t i = 0; i < overflows; i++) {
        if (m->lvtpc & LVT_MASKED) {
            m->pmis_blocked++;
            continue;
        }
        m->pmis++;
        m->pmi_status = m->global_status;
        if (m->cfg.lvtpc_mask_on_pmi)
            m->lvtpc |= LVT_MASKED;
    }
}

void pmu_model_count(struct pmu_model *m, unsigned event, uint64_t n)
{
    if (m->cfg.all_msrs_gp || m->cfg.msrs_ignored)
        return;
    pmu_state_count(&m->st, event, m->cpl, n, pmi, m);
}
