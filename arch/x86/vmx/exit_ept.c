/* EPT exits: a guest touching guest-physical memory it does not have is stopped, except for a
 * MOV to its xAPIC page, which exit_apic.c emulates.  The instruction at RIP is the access only
 * when the exit qualification says so (ept_violation_cause, SDM Vol. 3C 28.2.1 and Table 28-7):
 * a page walk through a paging-structure entry on the page, an event delivery reading a gate,
 * descriptor or stack there, or a descriptor-table access by a segment load is not the MOV at
 * RIP, and decoding it as one would apply some other instruction's operand to an APIC register.
 * Those stop the domain with the reason. */
#include "arch/x86/vmx/ept.h"
#include "arch/x86/vmx/exits.h"
#include "arch/x86/vmx/vmcs.h"
#include "arch/x86/vmx/vmx_vcpu.h"
#include "hv/domain.h"

#define AR_UNUSABLE (1u << 16)   /* segment access rights: unusable (SDM Vol. 3C 25.4.1) */

/* The descriptor table or TSS that linear address `lin` falls in, or NULL. */
static const char *descriptor_table_at(uint64_t lin)
{
    static const struct { uint32_t base, limit, ar; const char *name; } tables[] = {
        { VMCS_GUEST_GDTR_BASE, VMCS_GUEST_GDTR_LIMIT, 0, "GDT" },
        { VMCS_GUEST_IDTR_BASE, VMCS_GUEST_IDTR_LIMIT, 0, "IDT" },
        { VMCS_GUEST_LDTR_BASE, VMCS_GUEST_LDTR_LIMIT, VMCS_GUEST_LDTR_AR, "LDT" },
        { VMCS_GUEST_TR_BASE, VMCS_GUEST_TR_LIMIT, VMCS_GUEST_TR_AR, "TSS" },
    };
    for (unsigned i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
        if (tables[i].ar && (vmcs_read32(tables[i].ar) & AR_UNUSABLE))
            continue;
        if (ept_linear_in_table(lin, vmcs_readnat(tables[i].base), vmcs_read32(tables[i].limit)))
            return tables[i].name;
    }
    return NULL;
}

static enum exit_action xapic_page_violation(struct vcpu *v, struct vmx_vcpu *x, uint64_t q,
                                             uint64_t gpa)
{
    uint32_t idt = vmcs_read32(VMCS_IDT_VECTORING_INFO);
    uint64_t rip = vmcs_readnat(VMCS_GUEST_RIP);
    uint64_t lin = q & EPT_VIOL_LINEAR_VALID ? vmcs_readnat(VMCS_GUEST_LINEAR_ADDRESS) : 0;
    const char *table;

    switch (ept_violation_cause(q, idt)) {
    case EPT_CAUSE_DATA:
        if ((table = descriptor_table_at(lin)) != NULL) {
            domain_stop(v->dom, "EPT violation: the guest's %s lies on the xAPIC page (access to "
                        "guest-physical 0x%lx, linear 0x%lx, at rip 0x%lx; qualification 0x%lx)",
                        table, gpa, lin, rip, q);
            return EXIT_END_SLICE;
        }
        return exit_apic_mmio(v, x, gpa);
    case EPT_CAUSE_PAGE_WALK:
        domain_stop(v->dom, "EPT violation: page-table walk touched the xAPIC page at "
                    "guest-physical 0x%lx (translating linear 0x%lx) at rip 0x%lx; qualification "
                    "0x%lx", gpa, lin, rip, q);
        return EXIT_END_SLICE;
    case EPT_CAUSE_EVENT_DELIVERY:
        domain_stop(v->dom, "EPT violation: delivering vector %u touched the xAPIC page at "
                    "guest-physical 0x%lx (linear 0x%lx: an IDT gate, descriptor or stack there) "
                    "at rip 0x%lx; qualification 0x%lx", IDT_VECTORING_VECTOR(idt), gpa, lin, rip, q);
        return EXIT_END_SLICE;
    case EPT_CAUSE_NO_LINEAR:
        domain_stop(v->dom, "EPT violation: an access without a linear address (PAE "
                    "page-directory pointers?) touched the xAPIC page at guest-physical 0x%lx "
                    "at rip 0x%lx; qualification 0x%lx", gpa, rip, q);
        return EXIT_END_SLICE;
    case EPT_CAUSE_FETCH:
        break;
    }
    domain_stop(v->dom, "EPT violation: instruction fetch from the xAPIC page at guest-physical "
                "0x%lx at rip 0x%lx", gpa, rip);
    return EXIT_END_SLICE;
}

enum exit_action exit_ept_violation(struct vcpu *v, struct vmx_vcpu *x)
{
    uint64_t q = vmcs_readnat(VMCS_EXIT_QUALIFICATION);
    uint64_t gpa = vmcs_read64(VMCS_GUEST_PHYSICAL_ADDRESS);

    if (gpa >= GUEST_XAPIC_BASE && gpa < GUEST_XAPIC_BASE + 0x1000 && !v->vlapic.x2apic)
        return xapic_page_violation(v, x, q, gpa);
    if (domain_ioapic_page(v->dom, gpa)) {     /* a Linux domain's I/O APIC */
        uint32_t idt = vmcs_read32(VMCS_IDT_VECTORING_INFO);
        uint64_t lin = q & EPT_VIOL_LINEAR_VALID ? vmcs_readnat(VMCS_GUEST_LINEAR_ADDRESS) : 0;
        if (ept_violation_cause(q, idt) == EPT_CAUSE_DATA && !descriptor_table_at(lin))
            return exit_ioapic_mmio(v, x, gpa);
        domain_stop(v->dom, "EPT violation: an access to the I/O APIC page at guest-physical "
                    "0x%lx that is not a MOV (rip 0x%lx, qualification 0x%lx)", gpa,
                    vmcs_readnat(VMCS_GUEST_RIP), q);
        return EXIT_END_SLICE;
    }
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
