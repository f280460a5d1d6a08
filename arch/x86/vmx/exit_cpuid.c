/* CPUID exits: the hardware's answer through cpuid_policy(). */
#include "arch/x86/cpuid_policy.h"
#include "arch/x86/vmx/exits.h"
#include "arch/x86/vmx/vmx_vcpu.h"
#include "hv/domain.h"

enum exit_action exit_cpuid(struct vcpu *v, struct vmx_vcpu *x)
{
    uint32_t leaf = (uint32_t)x->regs.rax, sub = (uint32_t)x->regs.rcx;
    struct cpuid_regs r = { 0, 0, 0, 0 };

    if (leaf < CPUID_HV_LEAF_BASE || leaf >= 0x80000000u)
        cpuid_count(leaf, sub, &r);
    cpuid_policy(leaf, sub, (uint32_t)v->id, &r);
    set32(&x->regs.rax, r.eax);
    set32(&x->regs.rbx, r.ebx);
    set32(&x->regs.rcx, r.ecx);
    set32(&x->regs.rdx, r.edx);
    vmx_skip_instruction();
    return EXIT_RESUME;
}
