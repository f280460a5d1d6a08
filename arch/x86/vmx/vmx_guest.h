/* The guest as the profiler sees it (vmx_guest.c): its registers at the exit, and its memory
 * through its own paging.  The sampler gets both from here as a struct guest_sample_state
 * (pmu/sampling/prof.h) and never calls back into arch/. */
#ifndef ARCH_X86_VMX_VMX_GUEST_H
#define ARCH_X86_VMX_VMX_GUEST_H

#include <stdint.h>

#include "arch/x86/cpu.h"
#include "arch/x86/vmx/vmcs.h"
#include "arch/x86/vmx/vmx_vcpu.h"
#include "hv/domain.h"
#include "perfvisor/capture.h"
#include "pmu/sampling/prof.h"

/* The sampler's guest memory reader (struct guest_mem_reader): ctx is the loaded vCPU. */
int vmx_guest_read(void *ctx, uint64_t gva, void *buf, uint64_t len);
/* The sampler's Linux-task helpers (struct guest_sample_state's sysreg and read_as). */
uint64_t vmx_guest_sysreg(void *ctx, int which);
int vmx_guest_read_as(void *ctx, uint64_t cr3, uint64_t gva, void *buf, uint64_t len);
int vmx_guest_read_kernel(void *ctx, uint64_t gva, void *buf, uint64_t len);

/* RIP, CR3, CPL (SS.DPL), mode, RBP (EBP outside 64-bit code) from the VMCS and the saved
 * registers, and vmx_guest_read for the call chain: what the sampler records.  Inline: the
 * software backend builds it on every sampling exit. */
static inline void vmx_guest_sample_state(struct vcpu *v, struct guest_sample_state *s)
{
    struct vmx_vcpu *x = v->arch;
    uint64_t cr0 = vmcs_readnat(VMCS_GUEST_CR0);

    s->ip = vmcs_readnat(VMCS_GUEST_RIP);
    s->cr3 = vmcs_readnat(VMCS_GUEST_CR3);
    s->cpl = (uint8_t)vmx_guest_cpl();
    s->word64 = (uint8_t)vmx_guest_64bit();
    s->mode = !(cr0 & CR0_PE) ? CAP_MODE_REAL : s->word64 ? CAP_MODE_64 : CAP_MODE_32;
    s->fp = s->word64 ? x->regs.rbp : (uint32_t)x->regs.rbp;
    s->mem = (struct guest_mem_reader){ .read = vmx_guest_read, .ctx = v };
    s->sysreg = vmx_guest_sysreg;
    s->read_as = vmx_guest_read_as;
    s->kread = vmx_guest_read_kernel;
}

#endif
