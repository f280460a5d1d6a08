/* The guest vPMU's hardware backend: guest counters on real ones (pmu/vpmu/vpmu_hw.h). */
#include "pmu/vpmu/vpmu_hw.h"
#include "hv/printf.h"
#include "pmu/vpmu/vpmu.h"

#define LEGACY_WRITE_MASK 0xFFFFFFFFull   /* IA32_PMCx takes EAX only (Vol. 3B 20.2.6) */

static unsigned popcount32(uint32_t v)
{
    unsigned n = 0;
    for (; v; v &= v - 1)
        n++;
    return n;
}

int vpmu_hw_probe(const struct hwpmu_ops *o, uint32_t hv_gp, struct vpmu_hw_host *h,
                  char *why, size_t len)
{
    char found[192];

    for (unsigned i = 0; i < sizeof(*h); i++)
        ((unsigned char *)h)[i] = 0;
    h->hv_gp = hv_gp;
    if (!hwpmu_probe(o, &h->caps, found, sizeof(found))) {
        hv_snprintf(why, len, "no hardware vPMU: %s", found);
        return 0;
    }
    uint32_t have = (uint32_t)pmu_width_mask(h->caps.ngp);
    if (hv_gp & ~have) {
        hv_snprintf(why, len, "no hardware vPMU: the hypervisor keeps GP counters %xH but the "
                    "PMU has %u", hv_gp, h->caps.ngp);
        return 0;
    }
    /* A guest PMU without a GP counter is legal (EAX[15:8] = 0) but useless for profiling,
     * and guests probe the GP counters first. */
    if (popcount32(hv_gp) >= h->caps.ngp) {
        hv_snprintf(why, len, "no hardware vPMU: the PMU has %u GP counters and the hypervisor "
                    "keeps them all (%xH)", h->caps.ngp, hv_gp);
        return 0;
    }
    for (unsigned c = 0; c < h->caps.ngp; c++)
        if (!(hv_gp & (1u << c)))
            h->gp_map[h->guest_ngp++] = (uint8_t)c;
    hv_snprintf(why, len, "hardware vPMU: guests get %u of %u GP counters and %u fixed; %s%s",
                h->guest_ngp, h->caps.ngp, h->caps.nfixed, found,
                h->caps.full_width_writes ? "" : "; counters restored through IA32_PMCx "
                "(exact only while bits [width-1:31] are equal)");
    return 1;
}

void vpmu_hw_guest_caps(const struct vpmu_hw_host *h, struct pmu_caps *guest)
{
    *guest = h->caps;   /* version, widths, EBX events, fixed counters, PDCM, full-width */
    guest->ngp = h->guest_ngp;
    /* From version 5 the guest can be told that AnyThread is gone (CPUID.0AH:EDX[15]); it
     * would count the sibling logical processor, which may run another guest. */
    if (guest->version >= 5)
        guest->any_deprecated = 1;
}

/* Host GLOBAL_CTRL/STATUS/OVF_CTRL bits of the counters the guest owns. */
static uint64_t guest_host_bits(const struct vpmu_hw_host *h)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < h->guest_ngp; i++)
        v |= PERF_GLOBAL_PMC(h->gp_map[i]);
    return v | (pmu_global_counter_bits(&h->caps) & ~pmu_width_mask(32));   /* fixed ones */
}

/* Guest counter bits -> host counter bits (GP renumbered, fixed the same); others dropped. */
static uint64_t to_host(const struct vpmu_hw_host *h, uint64_t guest_bits)
{
    uint64_t v = guest_bits & ~pmu_width_mask(32) & pmu_global_counter_bits(&h->caps);
    for (unsigned i = 0; i < h->guest_ngp; i++)
        if (guest_bits & PERF_GLOBAL_PMC(i))
            v |= PERF_GLOBAL_PMC(h->gp_map[i]);
    return v;
}

static uint64_t to_guest(const struct vpmu_hw_host *h, uint64_t host_bits)
{
    uint64_t v = host_bits & ~pmu_width_mask(32) & pmu_global_counter_bits(&h->caps);
    for (unsigned i = 0; i < h->guest_ngp; i++)
        if (host_bits & PERF_GLOBAL_PMC(h->gp_map[i]))
            v |= PERF_GLOBAL_PMC(i);
    return v;
}

static uint64_t fixed_ctrl_no_any(uint64_t v)
{
    for (unsigned i = 0; i < PMU_MAX_FIXED; i++)
        v = fixed_ctrl_with(v, i, fixed_ctrl_field(v, i) & ~FIXED_CTRL_ANY);
    return v;
}

int vpmu_hw_load(const struct hwpmu_ops *o, const struct vpmu_hw_host *h,
                 const struct pmu_state *guest)
{
    const struct pmu_caps *c = &h->caps;
    uint64_t gmask = pmu_width_mask(c->gp_width), fmask = pmu_width_mask(c->fixed_width);
    int inexact = 0;

    for (unsigned i = 0; i < h->guest_ngp; i++) {
        unsigned hc = h->gp_map[i];
        uint64_t v = guest->pmc[i] & gmask;
        int r;
        if (c->full_width_writes) {
            r = o->wrmsr(o->ctx, MSR_IA32_A_PMC0 + hc, v);
        } else {
            /* the CPU sign-extends EAX[31]: the value survives only if that is what it was */
            r = o->wrmsr(o->ctx, MSR_IA32_PMC0 + hc, v & LEGACY_WRITE_MASK);
            inexact += pmu_pmc_legacy_write_value(v, c->gp_width) != v;
        }
        /* AnyThread off: this thread's events only, whatever a v3/v4 guest asked for */
        if (r || o->wrmsr(o->ctx, MSR_IA32_PERFEVTSEL0 + hc, guest->evtsel[i] & ~PERFEVTSEL_ANY))
            return HWPMU_EIO;
    }
    for (unsigned i = 0; i < PMU_MAX_FIXED; i++)
        if (pmu_fixed_exists(c, i) &&
            o->wrmsr(o->ctx, MSR_IA32_FIXED_CTR0 + i, guest->fixed[i] & fmask))
            return HWPMU_EIO;
    if (o->wrmsr(o->ctx, MSR_IA32_FIXED_CTR_CTRL, fixed_ctrl_no_any(guest->fixed_ctrl)) ||
        /* the previous vCPU's overflows are not this one's (save moved them already; this
         * also covers a first load after the probe or a vCPU that was never saved) */
        o->wrmsr(o->ctx, MSR_IA32_PERF_GLOBAL_OVF_CTRL, guest_host_bits(h)))
        return HWPMU_EIO;
    return inexact;
}

/* Moves the host's overflow bits of the guest's counters into the guest's GLOBAL_STATUS.
 * Returns the guest bits moved, or sets *err. */
static uint64_t move_status(const struct hwpmu_ops *o, const struct vpmu_hw_host *h,
                            struct pmu_state *guest, int *err)
{
    uint64_t status;
    *err = 0;
    if (o->rdmsr(o->ctx, MSR_IA32_PERF_GLOBAL_STATUS, &status)) {
        *err = HWPMU_EIO;
        return 0;
    }
    uint64_t mine = status & guest_host_bits(h);
    if (!mine)
        return 0;
    if (o->wrmsr(o->ctx, MSR_IA32_PERF_GLOBAL_OVF_CTRL, mine)) {
        *err = HWPMU_EIO;
        return 0;
    }
    uint64_t g = to_guest(h, mine);
    guest->global_status |= g;
    return g;
}

int vpmu_hw_save(const struct hwpmu_ops *o, const struct vpmu_hw_host *h,
                 struct pmu_state *guest)
{
    const struct pmu_caps *c = &h->caps;
    uint64_t v;
    int err;

    for (unsigned i = 0; i < h->guest_ngp; i++) {
        if (o->rdmsr(o->ctx, MSR_IA32_PMC0 + h->gp_map[i], &v))   /* reads the full width */
            return HWPMU_EIO;
        guest->pmc[i] = v & pmu_width_mask(c->gp_width);
    }
    for (unsigned i = 0; i < PMU_MAX_FIXED; i++) {
        if (!pmu_fixed_exists(c, i))
            continue;
        if (o->rdmsr(o->ctx, MSR_IA32_FIXED_CTR0 + i, &v))
            return HWPMU_EIO;
        guest->fixed[i] = v & pmu_width_mask(c->fixed_width);
    }
    move_status(o, h, guest, &err);
    return err;
}

uint64_t vpmu_hw_hv_global_ctrl(const struct vpmu_hw_host *h)
{
    return (uint64_t)h->hv_gp & pmu_global_counter_bits(&h->caps);
}

uint64_t vpmu_hw_guest_global_ctrl(const struct vpmu_hw_host *h, const struct pmu_state *guest)
{
    return to_host(h, guest->global_ctrl);
}

uint64_t vpmu_hw_entry_global_ctrl(const struct vpmu_hw_host *h, const struct pmu_state *guest)
{
    return vpmu_hw_guest_global_ctrl(h, guest) | vpmu_hw_hv_global_ctrl(h);
}

uint64_t vpmu_hw_exit_global_ctrl(const struct vpmu_hw_host *h, const struct pmu_state *guest,
                                  int domain_switch)
{
    return vpmu_hw_hv_global_ctrl(h) | (domain_switch ? vpmu_hw_guest_global_ctrl(h, guest) : 0);
}

int vpmu_hw_pmi(const struct hwpmu_ops *o, const struct vpmu_hw_host *h, struct pmu_state *guest)
{
    int err;
    uint64_t g = move_status(o, h, guest, &err);
    if (err)
        return err;
    /* A PMI is due for an overflowed counter whose control asks for one (20.2.1.1 INT,
     * 20.2.2 the fixed counter's PMI bit). */
    for (unsigned i = 0; i < h->guest_ngp; i++)
        if ((g & PERF_GLOBAL_PMC(i)) && (guest->evtsel[i] & PERFEVTSEL_INT))
            return 1;
    for (unsigned i = 0; i < PMU_MAX_FIXED; i++)
        if ((g & PERF_GLOBAL_FIXED(i)) && (fixed_ctrl_field(guest->fixed_ctrl, i) & FIXED_CTRL_PMI))
            return 1;
    return 0;
}

/* ---- the backend interface ---- */

static const struct vpmu_hw_ctx *ctx_of(const struct vpmu *p)
{
    return p->backend_ctx;
}

static void hw_caps(const void *ctx, struct pmu_caps *caps)
{
    vpmu_hw_guest_caps(((const struct vpmu_hw_ctx *)ctx)->h, caps);
}

static int hw_load(struct vpmu *p)
{
    int r = vpmu_hw_load(ctx_of(p)->o, ctx_of(p)->h, &p->st);
    return r < 0 ? r : 0;       /* > 0: counters restored through IA32_PMCx, not an error */
}

static int hw_program(struct vpmu *p, enum pmu_msr_kind k)
{
    (void)k;                    /* every counter and control is rewritten: a few WRMSRs */
    return hw_load(p);
}

static int hw_save(struct vpmu *p)
{
    return vpmu_hw_save(ctx_of(p)->o, ctx_of(p)->h, &p->st);
}

static uint64_t hw_arm_overflow(const struct vpmu *p, int cpl)
{
    (void)p;
    (void)cpl;
    return UINT64_MAX;          /* the real counter overflows and raises the PMI itself */
}

const struct vpmu_backend_ops vpmu_hw_backend = {
    .name = "hardware", .caps = hw_caps, .program = hw_program, .read = hw_save,
    .arm_overflow = hw_arm_overflow, .save = hw_save, .restore = hw_load,
};

int vpmu_hw_overflow(struct vpmu *p)
{
    int r = vpmu_hw_pmi(ctx_of(p)->o, ctx_of(p)->h, &p->st);
    if (r == 1) {
        p->pmi_pending = 1;     /* one PMI, however many counters overflowed */
        p->overflows++;
    }
    return r;
}

static void msr_entry(struct vpmu_hw_msr_entry *e, uint32_t msr, uint64_t v)
{
    e->index = msr;
    e->reserved = 0;
    e->data = v;
}

unsigned vpmu_hw_global_ctrl_lists(const struct vpmu_hw_host *h, const struct pmu_state *guest,
                                   int domain_switch, struct vpmu_hw_msr_entry *entry_list,
                                   struct vpmu_hw_msr_entry *exit_list)
{
    msr_entry(entry_list, MSR_IA32_PERF_GLOBAL_CTRL, vpmu_hw_entry_global_ctrl(h, guest));
    msr_entry(exit_list, MSR_IA32_PERF_GLOBAL_CTRL,
              vpmu_hw_exit_global_ctrl(h, guest, domain_switch));
    return 1;
}
