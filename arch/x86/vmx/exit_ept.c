/* EPT exits: a guest touching guest-physical memory it does not have is stopped. */
#include "arch/x86/vmx/ept.h"
#include "arch/x86/vmx/exits.h"
#include "arch/x86/vmx/vmcs.h"
#include "arch/x86/vmx/vmx_vcpu.h"
#include "hv/domain.h"


enum exit_action exit_ept_violation(struct vcpu *v, struct vmx_vcpu *x)
{
    uint64_t q = vmcs_readnat(VMCS_EXIT_QUALIFICATION);
    uint64_t gpa = vmcs_read64(VMCS_GUEST_PHYSICAL_ADDRESS);

    if (gpa >= GUEST_XAPIC_BASE && gpa < GUEST_XAPIC_BASE + 0x1000 && !v->vlapic.x2apic &&
        !(q & EPT_VIOL_FETCH))
        return exit_apic_mmio(v, x, gpa);
    const char *what = q & EPT_VIOL_FETCH ? "instruction fetch" : q & EPT_VIOL_WRITE ? "write" : "read";

    domain_stop(v->dom, "EPT violation: %s of guest-physical 0x%lx at rip 0x%lx, outside its "
                "%lu MiB of memory", what, gpa, vmcs_readnat(VMCS_GUEST_RIP), v->dom->mem_size >> 20);
    return EXIT_END_SLICE;
}

enum exit_action exit_ept_misconfig(struct vcpu *v, struct vmx_vcpu *x)
{
    (void)x;
    domain_stop(v->dom, "EPT misconfiguration at guest-physical 0x%lx (hypervisor bug)",
                vmcs_read64(VMCS_GUEST_PHYSICAL_ADDRESS));
    return EXIT_END_SLICE;
}
