/* The VMX capability MSRs into struct vmx_caps (SDM Vol. 3D Appendix A), given a reader, so the
 * host tests run it on recorded MSRs: which controls perfvisor gets (vmx_controls.h says why
 * each is needed), EPT's capabilities, the fixed CR0/CR4 bits and IA32_VMX_MISC. */
#include "arch/x86/vmx/vmx_caps.h"
#include "arch/x86/vmx/vmx_controls.h"
#include "arch/x86/msr.h"
#include "hv/printf.h"

static int control(const struct vmx_msr_reader *m, uint32_t msr, uint32_t required,
                   uint32_t optional, const char *what, uint32_t *out, char *why, size_t len)
{
    uint64_t cap = m->read(m->ctx, msr);
    if (vmx_ctl_missing(cap, required)) {
        hv_snprintf(why, len, "%s: required control bits %x not allowed (capability MSR 0x%x = "
                    "%016lx)", what, vmx_ctl_missing(cap, required), msr, cap);
        return -1;
    }
    *out = vmx_ctl_adjust(cap, required, optional);
    return 0;
}

int vmx_caps_read(const struct vmx_msr_reader *m, struct vmx_caps *c, char *why, size_t len)
{
    uint64_t basic = m->read(m->ctx, MSR_IA32_VMX_BASIC);
    c->basic = basic;
    if (VMX_BASIC_MEMTYPE(basic) != VMX_MEMTYPE_WB) {
        hv_snprintf(why, len, "VMCS memory type %lu is not write-back (IA32_VMX_BASIC = %016lx)",
                    VMX_BASIC_MEMTYPE(basic), basic);
        return -1;
    }
    int t = (basic & VMX_BASIC_TRUE_CTLS) != 0;
    if (control(m, t ? MSR_IA32_VMX_TRUE_PINBASED_CTLS : MSR_IA32_VMX_PINBASED_CTLS,
                VMX_PIN_REQUIRED, VMX_PIN_OPTIONAL, "pin-based controls", &c->pin, why, len) ||
        control(m, t ? MSR_IA32_VMX_TRUE_PROCBASED_CTLS : MSR_IA32_VMX_PROCBASED_CTLS,
                VMX_PROC_REQUIRED, VMX_PROC_OPTIONAL, "processor-based controls", &c->proc, why,
                len))
        return -1;
    /* IA32_VMX_PROCBASED_CTLS2 exists only if the primary controls allow "activate secondary
     * controls" (bit 63 of the primary capability MSR, A.3.2-A.3.3): reading it otherwise is
     * #GP.  The required list has that bit, so control() refused such a CPU already; this says
     * it again where the read is. */
    if (!(c->proc & PROC_ACTIVATE_SECONDARY)) {
        hv_snprintf(why, len, "no secondary processor-based controls (IA32_VMX_PROCBASED_CTLS "
                    "bit 63 = 0): EPT and unrestricted guest need them");
        return -1;
    }
    if (control(m, MSR_IA32_VMX_PROCBASED_CTLS2, VMX_PROC2_REQUIRED, VMX_PROC2_OPTIONAL,
                "secondary processor-based controls", &c->proc2, why, len) ||
        control(m, t ? MSR_IA32_VMX_TRUE_EXIT_CTLS : MSR_IA32_VMX_EXIT_CTLS, VMX_EXIT_REQUIRED,
                VMX_EXIT_OPTIONAL, "VM-exit controls", &c->exit, why, len) ||
        control(m, t ? MSR_IA32_VMX_TRUE_ENTRY_CTLS : MSR_IA32_VMX_ENTRY_CTLS, VMX_ENTRY_REQUIRED,
                VMX_ENTRY_OPTIONAL, "VM-entry controls", &c->entry, why, len))
        return -1;

    /* EPT: 4-level walks, write-back tables, 2 MiB pages for guest memory, INVEPT (A.10) */
    c->ept_cap = m->read(m->ctx, MSR_IA32_VMX_EPT_VPID_CAP);
    uint64_t need = EPT_CAP_WALK_4 | EPT_CAP_WB | EPT_CAP_2M_PAGES | EPT_CAP_INVEPT;
    if ((c->ept_cap & need) != need) {
        hv_snprintf(why, len, "EPT lacks %s%s%s%s(IA32_VMX_EPT_VPID_CAP = %016lx)",
                    c->ept_cap & EPT_CAP_WALK_4 ? "" : "4-level page walks ",
                    c->ept_cap & EPT_CAP_WB ? "" : "write-back paging structures ",
                    c->ept_cap & EPT_CAP_2M_PAGES ? "" : "2 MiB pages ",
                    c->ept_cap & EPT_CAP_INVEPT ? "" : "INVEPT ", c->ept_cap);
        return -1;
    }
    c->invept_single = (c->ept_cap & EPT_CAP_INVEPT_SINGLE) != 0;

    c->cr0_fixed0 = m->read(m->ctx, MSR_IA32_VMX_CR0_FIXED0);
    c->cr0_fixed1 = m->read(m->ctx, MSR_IA32_VMX_CR0_FIXED1);
    c->cr4_fixed0 = m->read(m->ctx, MSR_IA32_VMX_CR4_FIXED0);
    c->cr4_fixed1 = m->read(m->ctx, MSR_IA32_VMX_CR4_FIXED1);

    uint64_t misc = m->read(m->ctx, MSR_IA32_VMX_MISC);
    c->preempt_rate = VMX_MISC_PREEMPT_RATE(misc);
    /* bit 5: exits store EFER.LMA in the "IA-32e mode guest" entry control (A.6); without it
     * CR0.PG is owned (vmcs_image_cr0_owned) and exit_cr.c keeps the control */
    c->exit_stores_lma = (misc & VMX_MISC_EXIT_STORES_LMA) != 0;
    return 0;
}
