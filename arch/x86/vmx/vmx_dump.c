/* Guest state dump for exits we cannot handle: enough to debug the guest post mortem. */
#include "arch/x86/vmx/vmcs.h"
#include "arch/x86/vmx/vmx_vcpu.h"
#include "hv/arch.h"
#include "hv/domain.h"
#include "hv/printf.h"

void vmx_dump_guest(struct vcpu *v, uint32_t reason)
{
    struct vmx_vcpu *x = v->arch;
    struct guest_regs *r = &x->regs;

    hv_printf("perfvisor: domain %d (%s) guest state at exit %u (%s):\n", v->dom->id, v->dom->name,
              reason, arch_exit_reason_name((int)(reason & 0xFFFF)));
    hv_printf("  rip %016lx  rsp %016lx  rflags %016lx  qual %016lx\n",
              vmcs_readnat(VMCS_GUEST_RIP), vmcs_readnat(VMCS_GUEST_RSP),
              vmcs_readnat(VMCS_GUEST_RFLAGS), vmcs_readnat(VMCS_EXIT_QUALIFICATION));
    hv_printf("  cr0 %016lx  cr3 %016lx  cr4 %016lx  efer %016lx\n", vmcs_readnat(VMCS_GUEST_CR0),
              vmcs_readnat(VMCS_GUEST_CR3), vmcs_readnat(VMCS_GUEST_CR4),
              vmcs_read64(VMCS_GUEST_IA32_EFER));
    hv_printf("  cs %04x ar %05x  ss %04x ar %05x  intr-info %08x  idt-vectoring %08x\n",
              vmcs_read16(VMCS_GUEST_CS_SEL), vmcs_read32(VMCS_GUEST_CS_AR),
              vmcs_read16(VMCS_GUEST_SS_SEL), vmcs_read32(VMCS_GUEST_SS_AR),
              vmcs_read32(VMCS_EXIT_INTR_INFO), vmcs_read32(VMCS_IDT_VECTORING_INFO));
    hv_printf("  rax %016lx  rbx %016lx  rcx %016lx  rdx %016lx\n", r->rax, r->rbx, r->rcx, r->rdx);
    hv_printf("  rsi %016lx  rdi %016lx  rbp %016lx  gpa %016lx\n", r->rsi, r->rdi, r->rbp,
              vmcs_read64(VMCS_GUEST_PHYSICAL_ADDRESS));
    hv_printf("  entry ctls %08x  interruptibility %08x  activity %u\n",
              vmcs_read32(VMCS_ENTRY_CTLS), vmcs_read32(VMCS_GUEST_INTERRUPTIBILITY),
              vmcs_read32(VMCS_GUEST_ACTIVITY_STATE));
}
