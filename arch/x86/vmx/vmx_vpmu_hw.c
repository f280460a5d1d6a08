/* The guest vPMU on real counters, VMX side: backend choice, IA32_PERF_GLOBAL_CTRL at entry
 * and exit, switches, PMIs (vmx_vpmu_hw.h).  No VMX instruction, no MSR access of its own:
 * the MSRs go through the probed struct hwpmu_ops. */
#include "arch/x86/vmx/vmx_vpmu_hw.h"
#include "hv/printf.h"

/* allowed-1 settings: bit 32 + control (SDM Vol. 3D A.4, A.5) */
#define MAY(cap, ctl) (((cap) >> 32) & (ctl))

int vmx_vpmu_hw_select(struct vmx_vpmu_hw *s, const struct hwpmu_ops *o, int want,
                       uint64_t exit_cap, uint64_t entry_cap, char *msg, size_t len)
{
    char why[200];

    *s = (struct vmx_vpmu_hw){ 0 };
    s->ctx = (struct vpmu_hw_ctx){ o, &s->host };
    msg[0] = '\0';
    if (!want)
        return 0;
    if (!vpmu_hw_probe(o, VMX_VPMU_HV_GP, &s->host, why, sizeof(why))) {
        hv_snprintf(msg, len, "vpmu=hw: no architectural PMU to run guests' counters on (%s): "
                    "the guests' vPMUs use the software backend", why);
        return 0;
    }
    s->load_controls = MAY(exit_cap, EXIT_LOAD_PERF_GLOBAL_CTRL) &&
                       MAY(entry_cap, ENTRY_LOAD_PERF_GLOBAL_CTRL);
    s->on = 1;
    hv_snprintf(msg, len, "vpmu=hw (experimental): the guests' vPMUs count on the real PMU "
                "(version %u; %u of %u general counters, GP 0 kept by the hypervisor; %u fixed), "
                "IA32_PERF_GLOBAL_CTRL switched by the %s", s->host.caps.version,
                s->host.guest_ngp, s->host.caps.ngp, s->host.caps.nfixed,
                s->load_controls ? "VM-entry/VM-exit load controls" : "VM-entry/VM-exit MSR-load lists");
    return 1;
}

void vmx_vpmu_hw_vcpu_init(struct vmx_vpmu_hw *s, struct vpmu *p)
{
    if (s->on)
        vpmu_init_backend(p, &vpmu_hw_backend, &s->ctx);
    else
        vpmu_init_backend(p, &vpmu_sw_backend, NULL);
}

void vmx_vpmu_hw_values(const struct vmx_vpmu_hw *s, const struct vpmu *p, uint64_t *entry,
                        uint64_t *exit)
{
    *entry = vpmu_hw_entry_global_ctrl(&s->host, &p->st);
    *exit = vpmu_hw_exit_global_ctrl(&s->host, &p->st, p->mode == VPMU_DOMAIN_SWITCH);
}

void vmx_vpmu_hw_image(const struct vmx_vpmu_hw *s, const struct vpmu *p, struct vmcs_image *img,
                       struct vpmu_hw_msr_entry lists[2], uint64_t lists_pa)
{
    if (!vmx_vpmu_on_hw(p))
        return;
    if (s->load_controls) {
        img->entry |= ENTRY_LOAD_PERF_GLOBAL_CTRL;
        img->exit |= EXIT_LOAD_PERF_GLOBAL_CTRL;
        vmx_vpmu_hw_values(s, p, &img->perf_global_ctrl, &img->host_perf_global_ctrl);
        return;
    }
    img->entry_msr_load_count = img->exit_msr_load_count =
        vpmu_hw_global_ctrl_lists(&s->host, &p->st, p->mode == VPMU_DOMAIN_SWITCH, &lists[0],
                                  &lists[1]);
    img->entry_msr_load_addr = lists_pa;
    img->exit_msr_load_addr = lists_pa + sizeof(lists[0]);
}

int vmx_vpmu_hw_switch(const struct vmx_vpmu_hw *s, struct vpmu *out, struct vpmu *in)
{
    int hw_out = out && vmx_vpmu_on_hw(out), hw_in = in && vmx_vpmu_on_hw(in);
    const struct hwpmu_ops *o = s->ctx.o;

    if ((hw_out || hw_in) &&
        o->wrmsr(o->ctx, MSR_IA32_PERF_GLOBAL_CTRL, vpmu_hw_hv_global_ctrl(&s->host)))
        return HWPMU_EIO;
    if (out)
        vpmu_save(out);
    if (in)
        vpmu_restore(in);
    return 0;
}

int vmx_vpmu_hw_nmi_note(const struct vmx_vpmu_hw *s, const struct vpmu *loaded)
{
    const struct hwpmu_ops *o = s->ctx.o;
    const struct pmu_caps *c = &s->host.caps;
    uint64_t status, counters;

    if (!loaded || !vmx_vpmu_on_hw(loaded) ||
        o->rdmsr(o->ctx, MSR_IA32_PERF_GLOBAL_STATUS, &status))
        return 0;
    /* the guest's counters: the host's GP counters the hypervisor does not keep, and the fixed
     * counters, bits 32-47 (each the guest's at the same index; bits 48-63 are other status) */
    counters = (pmu_width_mask(c->ngp) & ~vpmu_hw_hv_global_ctrl(&s->host)) | (0xFFFFull << 32);
    return (status & counters) != 0;
}

int vmx_vpmu_hw_nmi(struct vpmu *loaded)
{
    if (!loaded || !vmx_vpmu_on_hw(loaded))
        return 0;
    return vpmu_hw_overflow(loaded) == 1;
}
