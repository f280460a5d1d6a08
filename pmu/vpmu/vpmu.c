/* The guest's virtual PMU: the logic every backend shares (pmu/vpmu/vpmu.h).  The SDM
 * semantics of CPUID 0AH, the PMU MSRs and RDPMC are pmu/vpmu/pmu_state.c's, on p->st; the
 * backend (pmu/vpmu/vpmu_backend.h) is reached only through p->ops, whose operations the
 * be_* functions below call: those of the software backend directly (pmu/vpmu/vpmu_sw.h). */
#include "pmu/vpmu/vpmu.h"
#include "pmu/vpmu/vpmu_sw.h"

void vpmu_init_backend(struct vpmu *p, const struct vpmu_backend_ops *ops, const void *ctx)
{
    struct pmu_caps caps;

    ops->caps(ctx, &caps);
    pmu_state_reset(&p->st, &caps);
    p->ops = ops;
    p->backend_ctx = ctx;
    p->backend_errors = 0;
    p->mode = VPMU_CPU_SWITCH;
    p->pmi_pending = 0;
    p->overflows = 0;
    p->counting[0] = p->counting[1] = p->unmodelled[0] = p->unmodelled[1] = 0;
    p->ungated[0] = p->ungated[1] = p->ungated_unmodelled[0] = p->ungated_unmodelled[1] = 0;
    p->active = 0;
    p->moved = 0;
}

void vpmu_init(struct vpmu *p)
{
    vpmu_init_backend(p, &vpmu_sw_backend, NULL);
}

/* A backend failure is the host PMU's, not the guest's: counted, never a #GP. */
static void backend_result(struct vpmu *p, int r)
{
    if (__builtin_expect(r < 0, 0))
        p->backend_errors++;
}

static inline int software(const struct vpmu *p)
{
    return __builtin_expect(p->ops == &vpmu_sw_backend, 1);
}

static inline void be_program(struct vpmu *p, enum pmu_msr_kind k)
{
    backend_result(p, software(p) ? vpmu_sw_program(p, k) : p->ops->program(p, k));
}

static inline void be_read(struct vpmu *p)
{
    backend_result(p, software(p) ? vpmu_sw_sync(p) : p->ops->read(p));
}

uint64_t vpmu_ticks_to_pmi(const struct vpmu *p, int cpl)
{
    return software(p) ? vpmu_sw_arm_overflow(p, cpl) : p->ops->arm_overflow(p, cpl);
}

void vpmu_save(struct vpmu *p)
{
    backend_result(p, software(p) ? vpmu_sw_sync(p) : p->ops->save(p));
}

void vpmu_restore(struct vpmu *p)
{
    backend_result(p, software(p) ? vpmu_sw_sync(p) : p->ops->restore(p));
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

/* Registers the counters change by themselves (values and overflow bits): a read of one
 * needs the backend's latest. */
static int counter_kind(enum pmu_msr_kind k)
{
    return k == PMU_MSR_PMC || k == PMU_MSR_A_PMC || k == PMU_MSR_FIXED_CTR ||
           k == PMU_MSR_GLOBAL_STATUS;
}

int vpmu_read(struct vpmu *p, enum pmu_msr_kind k, unsigned idx, uint64_t *v)
{
    if (counter_kind(k))
        be_read(p);
    return pmu_state_read(&p->st, k, idx, v);
}

int vpmu_write(struct vpmu *p, enum pmu_msr_kind k, unsigned idx, uint64_t v)
{
    /* a write lands on the counters as they are now (a status write clears what is set now) */
    be_read(p);
    if (pmu_state_write(&p->st, k, idx, v))
        return -1;
    switch (k) {
    case PMU_MSR_PERFEVTSEL:
    case PMU_MSR_FIXED_CTR_CTRL:
    case PMU_MSR_GLOBAL_CTRL:
    case PMU_MSR_PMC:
    case PMU_MSR_A_PMC:
    case PMU_MSR_FIXED_CTR:
        be_program(p, k);
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
    be_read(p);
    return pmu_state_rdpmc(&p->st, ecx, v);
}

int vpmu_take_pmi(struct vpmu *p)
{
    int pending = p->pmi_pending;
    p->pmi_pending = 0;
    return pending;
}
