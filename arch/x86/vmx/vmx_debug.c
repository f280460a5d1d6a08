/* Each vCPU's debug state (SDM Vol. 3B chapter 19 "Debug, Branch Profile, TSC, and Intel
 * Resource Director Technology Features"): DR7 and IA32_DEBUGCTL live in the VMCS guest-state
 * area, loaded at every VM entry ("load debug controls") and saved at every VM exit ("save
 * debug controls"); DR0-3 and DR6 are not in the VMCS, so they change hands with the vCPU. */
#include "arch/x86/cpu.h"
#include "arch/x86/vmx/msr_policy.h"
#include "arch/x86/vmx/vmcs.h"
#include "arch/x86/vmx/vmx_vcpu.h"

/* IA32_DEBUGCTL bits a guest may set (SDM Vol. 3B 19.4.1, Figure 19-3): LBR (0) records
 * branches in the LBR stack (whose MSRs a guest cannot read: they #GP) and BTF (1) makes
 * single-stepping stop on branches only.  Both are defined on every processor with VMX (the
 * first ones allowed only these two in the VMCS field, SDM 27.3.1.1).  TR/BTS (6, 7) would
 * store branch records at the host's IA32_DS_AREA, and the freeze bits (11, 12) belong to a
 * PMU the guest does not drive, so a write that sets them, or a reserved bit, #GPs. */
#define DEBUGCTL_LBR      (1ull << 0)
#define DEBUGCTL_BTF      (1ull << 1)
#define DEBUGCTL_WRITABLE (DEBUGCTL_LBR | DEBUGCTL_BTF)

int debugctl_read(struct vcpu *v, uint64_t *value)
{
    (void)v;
    *value = vmcs_read64(VMCS_GUEST_IA32_DEBUGCTL);
    return 0;
}

int debugctl_write(struct vcpu *v, uint64_t value)
{
    (void)v;
    if (value & ~DEBUGCTL_WRITABLE)
        return -1;
    vmcs_write64(VMCS_GUEST_IA32_DEBUGCTL, value);
    return 0;
}

/* The guest's DR0-3 and DR6 stay in the CPU across its exits: the hypervisor never uses them,
 * and a VM exit sets DR7 to 400H (SDM Vol. 3C 28.5.1), which disables every breakpoint while
 * it runs.  vmx_vcpu_load swaps them with the VMCS, so no domain sees another's. */
void vmx_debug_regs_save(struct vmx_vcpu *x)
{
    x->dr[0] = read_dr0();
    x->dr[1] = read_dr1();
    x->dr[2] = read_dr2();
    x->dr[3] = read_dr3();
    x->dr6 = read_dr6();
}

void vmx_debug_regs_load(const struct vmx_vcpu *x)
{
    write_dr0(x->dr[0]);
    write_dr1(x->dr[1]);
    write_dr2(x->dr[2]);
    write_dr3(x->dr[3]);
    write_dr6(x->dr6);
}
