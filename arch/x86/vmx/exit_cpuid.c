/* CPUID exits: the hardware's answer through cpuid_policy(). */
#include "arch/x86/cpuid_policy.h"
#include "arch/x86/msr.h"
#include "arch/x86/vmx/exits.h"
#include "arch/x86/vmx/vmx_vcpu.h"
#include "hv/domain.h"
#include "pmu/vpmu/vpmu.h"

#define CPUID1_EDX_APIC   (1u << 9)   /* on-chip APIC */
#define CPUID1_ECX_X2APIC (1u << 21)  /* x2APIC */
#define CPUID1_ECX_TSC_DEADLINE (1u << 24)  /* APIC timer TSC-deadline mode (SDM 11.5.4.1) */

enum exit_action exit_cpuid(struct vcpu *v, struct vmx_vcpu *x)
{
    uint32_t leaf = (uint32_t)x->regs.rax, sub = (uint32_t)x->regs.rcx;
    struct cpuid_regs r = { 0, 0, 0, 0 };

    if (leaf < CPUID_HV_LEAF_BASE || leaf >= 0x80000000u)
        cpuid_count(leaf, sub, &r);
    cpuid_policy(leaf, sub, (uint32_t)v->id, &r);
    if (leaf == 0 && (v->misc_enable_flip & MISC_ENABLE_LIMIT_CPUID) && r.eax > 2)
        r.eax = 2;                             /* IA32_MISC_ENABLE[22] (Vol. 4 Table 2-2) */
    if (leaf == 1) {                           /* the virtual LAPIC: xAPIC page and x2APIC */
        if (!v->vlapic.disabled)               /* cleared by a global disable (11.4.3) */
            r.edx |= CPUID1_EDX_APIC;
        r.ecx |= CPUID1_ECX_X2APIC | CPUID1_ECX_TSC_DEADLINE;
    }
    if (v->dom->vpmu_enabled && (leaf == 1 || leaf == 0xA)) {
        uint32_t regs[4] = { r.eax, r.ebx, r.ecx, r.edx };
        vpmu_cpuid(&v->vpmu, leaf, sub, regs);  /* leaf 0AH, and PDCM in leaf 1 */
        r = (struct cpuid_regs){ regs[0], regs[1], regs[2], regs[3] };
    }
    set32(&x->regs.rax, r.eax);
    set32(&x->regs.rbx, r.ebx);
    set32(&x->regs.rcx, r.ecx);
    set32(&x->regs.rdx, r.edx);
    vmx_skip_instruction();
    return EXIT_RESUME;
}
