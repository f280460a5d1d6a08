/* The guest as the profiler sees it: its registers and its memory through its own paging. */
#include "arch/x86/cpu.h"
#include "arch/x86/guest_paging.h"
#include "arch/x86/msr.h"
#include "arch/x86/vmx/vmcs.h"
#include "arch/x86/vmx/vmx_vcpu.h"
#include "hv/arch.h"
#include "hv/domain.h"
#include "hv/string.h"
#include "perfvisor/capture.h"

void arch_vcpu_sample_state(struct vcpu *v, struct guest_sample_state *s)
{
    struct vmx_vcpu *x = v->arch;
    uint64_t cr0 = vmcs_readnat(VMCS_GUEST_CR0);

    s->ip = vmcs_readnat(VMCS_GUEST_RIP);
    s->cr3 = vmcs_readnat(VMCS_GUEST_CR3);
    s->cpl = (uint8_t)vmx_guest_cpl();
    s->word64 = (uint8_t)vmx_guest_64bit();
    s->mode = !(cr0 & CR0_PE) ? CAP_MODE_REAL : s->word64 ? CAP_MODE_64 : CAP_MODE_32;
    s->fp = s->word64 ? x->regs.rbp : (uint32_t)x->regs.rbp;
}

static int read_phys(void *ctx, uint64_t gpa, void *buf, size_t len)
{
    const void *p = domain_gpa_ptr(ctx, gpa, len);
    if (!p)
        return -1;
    memcpy(buf, p, len);
    return 0;
}

int arch_guest_read(struct vcpu *v, uint64_t gva, void *buf, uint64_t len)
{
    struct guest_paging pg = {
        .cr0 = vmcs_readnat(VMCS_GUEST_CR0),
        .cr3 = vmcs_readnat(VMCS_GUEST_CR3),
        .cr4 = vmcs_readnat(VMCS_GUEST_CR4),
        .efer = vmcs_read64(VMCS_GUEST_IA32_EFER),
        .read_phys = read_phys,
        .ctx = v->dom,
    };
    return guest_paging_read(&pg, gva, buf, len);
}
