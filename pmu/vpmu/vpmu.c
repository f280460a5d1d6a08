/* The guest's virtual PMU, software backend (pmu/vpmu/vpmu.h). */
#include "pmu/vpmu/vpmu.h"

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

void vpmu_init(struct vpmu *p)
{
    /* caps decoded from the CPUID answer the guest gets, so the two agree by construction */
    const uint32_t leaf_0a[4] = {
        CPUID_0A_EAX(VPMU_VERSION, VPMU_NGP, VPMU_GP_WIDTH, VPMU_EBX_LEN),
        VPMU_UNAVAILABLE,
        VPMU_FIXED_MASK,
        CPUID_0A_EDX(VPMU_NFIXED, VPMU_FIXED_WIDTH, 1),
    };
    struct pmu_caps caps;

    pmu_caps_decode(&caps, CPUID_01_ECX_PDCM, leaf_0a);
    caps.full_width_writes = 1;
    pmu_state_reset(&p->st, &caps);
    p->mode = VPMU_CPU_SWITCH;
    p->pmi_pending = 0;
    p->overflows = 0;
    p->counting[0] = p->counting[1] = p->unmodelled[0] = p->unmodelled[1] = 0;
    p->active = 0;
    p->moved = 0;
}

void vpmu_cpuid(const struct vpmu *p, uint32_t leaf, uint32_t subleaf, uint32_t regs[4])
{
    const struct pmu_caps *c = &p->st.caps;
    (void)subleaf;              /* leaf 0AH has no subleaves */

    if (leaf == 1) {
        regs[2] = (regs[2] & ~CPUID_01_ECX_PDCM) | (c->pdcm ? CPUID_01_ECX_PDCM : 0);
    } else if (leaf == CPUID_LEAF_PMU) {
        regs[0] = CPUID_0A_EAX(c->version, c->ngp, c->gp_width, c->ebx_len);
        regs[1] = c->unavailable_events;
        regs[2] = c->version >= 5 ? c->fixed_bitmap : 0;
        regs[3] = c->version > 1 ? CPUID_0A_EDX(c->nfixed, c->fixed_width, c->any_deprecated)
                                 : 0;
    }
}

int vpmu_msr_is_pmu(uint32_t msr)
{
    enum pmu_msr_kind k;
    unsigned idx;
    return pmu_msr_lookup(msr, &k, &idx);
}

/* The counting plan (struct vpmu): which counters a tick advances at each CPL. */
static void plan(struct vpmu *p)
{
    for (unsigned c = 0; c < 2; c++) {
        uint64_t u_core, u_ref, cpl = c ? 3 : 0;
        p->counting[c] = pmu_state_counting(&p->st, EV_CORE_CYCLES, cpl, &u_core) |
                         pmu_state_counting(&p->st, EV_REF_CYCLES, cpl, &u_ref);
        p->unmodelled[c] = u_core | u_ref;
    }
    p->active = (p->counting[0] | p->counting[1] | p->unmodelled[0] | p->unmodelled[1]) != 0;
}

int vpmu_read(struct vpmu *p, enum pmu_msr_kind k, unsigned idx, uint64_t *v)
{
    return pmu_state_read(&p->st, k, idx, v);
}

int vpmu_write(struct vpmu *p, enum pmu_msr_kind k, unsigned idx, uint64_t v)
{
    if (pmu_state_write(&p->st, k, idx, v))
        return -1;
    switch (k) {
    case PMU_MSR_PERFEVTSEL:
    case PMU_MSR_FIXED_CTR_CTRL:
    case PMU_MSR_GLOBAL_CTRL:
        plan(p);
        /* fall through */
    case PMU_MSR_PMC:
    case PMU_MSR_A_PMC:
    case PMU_MSR_FIXED_CTR:
        p->moved = 1;
        break;
    default:                    /* status bits: counting and the next PMI stay as they were */
        break;
    }
    return 0;
}

int vpmu_rdmsr(struct vpmu *p, uint32_t msr, uint64_t *v)
{
    enum pmu_msr_kind k;
    unsigned idx;
    return pmu_msr_lookup(msr, &k, &idx) ? vpmu_read(p, k, idx, v) : -1;
}

int vpmu_wrmsr(struct vpmu *p, uint32_t msr, uint64_t v)
{
    enum pmu_msr_kind k;
    unsigned idx;
    return pmu_msr_lookup(msr, &k, &idx) ? vpmu_write(p, k, idx, v) : -1;
}

int vpmu_rdpmc(struct vpmu *p, uint32_t ecx, int cpl, int cr4_pce, uint64_t *v)
{
    /* "#GP(0) if the current privilege level is not 0 and the PCE flag in CR4 is clear" */
    if (cpl != 0 && !cr4_pce)
        return -1;
    return pmu_state_rdpmc(&p->st, ecx, v);
}

static void overflow_pmi(void *ctx, uint64_t overflows)
{
    struct vpmu *p = ctx;
    p->pmi_pending = 1;         /* one PMI however many wraps: the LVTPC delivers one */
    p->overflows += overflows;
}

static unsigned cpl_of(int cpl)
{
    return cpl == 0 ? 0u : 3u;
}

/* Both cycle events count TSC ticks, and no counter counts both: one pass over the plan's
 * counters is pmu_state_count for each event. */
void vpmu_count(struct vpmu *p, int cpl, uint64_t ticks)
{
    unsigned c = cpl_of(cpl) ? 1 : 0;

    if (__builtin_expect(p->unmodelled[c] != 0, 0))
        p->st.unmodelled += pmu_mask_count(p->unmodelled[c]);
    pmu_state_advance(&p->st, p->counting[c], ticks, overflow_pmi, p);
}

void vpmu_count_hypervisor(struct vpmu *p, uint64_t ticks)
{
    if (p->mode == VPMU_DOMAIN_SWITCH)
        vpmu_count(p, 0, ticks);
}

uint64_t vpmu_ticks_to_pmi(const struct vpmu *p, int cpl)
{
    return pmu_state_to_pmi(&p->st, p->counting[cpl_of(cpl) ? 1 : 0]);
}

int vpmu_take_pmi(struct vpmu *p)
{
    int pending = p->pmi_pending;
    p->pmi_pending = 0;
    return pending;
}
