/* The guest's virtual PMU and LAPIC through RDPMC and RDMSR/WRMSR exits.  The counters are
 * current here: the run loop settles guest time into them before every exit is handled. */
#include "arch/x86/vmx/exit_vpmu.h"
#include "arch/x86/cpu.h"
#include "arch/x86/msr.h"
#include "arch/x86/vmx/exits.h"
#include "arch/x86/vmx/vmcs.h"
#include "arch/x86/vmx/vmx_vcpu.h"
#include "hv/domain.h"
#include "hv/vlapic.h"
#include "pmu/vpmu/vpmu.h"

#define CR4_PCE           (1ull << 8)     /* RDPMC allowed at any CPL */
#define X2APIC_MSR_FIRST  0x800u
#define X2APIC_MSR_LAST   0x8FFu

enum exit_action exit_rdpmc(struct vcpu *v, struct vmx_vcpu *x)
{
    uint64_t value;
    int cpl = (vmcs_readnat(VMCS_GUEST_CR0) & CR0_PE) ? vmx_guest_cpl() : 0;

    if (!v->dom->vpmu_enabled ||
        vpmu_rdpmc(&v->vpmu, (uint32_t)x->regs.rcx, cpl,
                   (vmcs_readnat(VMCS_GUEST_CR4) & CR4_PCE) != 0, &value)) {
        vmx_inject_exception(v, VECTOR_GP, 1, 0, "RDPMC");
        return EXIT_RESUME;
    }
    set32(&x->regs.rax, value);
    set32(&x->regs.rdx, value >> 32);
    vmx_skip_instruction();
    return EXIT_RESUME;
}

int vpmu_msr_access(struct vcpu *v, uint32_t msr, int write, uint64_t *value)
{
    struct vmx_vcpu *x = v->arch;

    if (vpmu_msr_is_pmu(msr)) {
        if (!v->dom->vpmu_enabled)
            return -1;
        if (!write)
            return vpmu_rdmsr(&v->vpmu, msr, value);
        /* time so far counts under the old settings; the next overflow may move */
        vmx_timer_settle(v, 0, x->regs.exit_tsc);
        x->rearm = 1;
        int r = vpmu_wrmsr(&v->vpmu, msr, *value);
        v->vpmu_active = vmx_vpmu_counting(v);
        return r;
    }
    if (msr >= X2APIC_MSR_FIRST && msr <= X2APIC_MSR_LAST) {
        v->events_pending = 1;             /* an EOI, a self-IPI, an unmasked LVT, a timer */
        if (!write)
            return vlapic_msr_read(&v->vlapic, msr, value, x->regs.exit_tsc);
        return vlapic_msr_write(&v->vlapic, msr, *value, x->regs.exit_tsc);
    }
    if (msr == MSR_IA32_APIC_BASE) {       /* the state transitions of SDM 11.12.5 */
        if (!write) {
            *value = vlapic_base_read(&v->vlapic);
            return 0;
        }
        v->events_pending = 1;             /* a disable drops what was pending */
        return vlapic_base_write(&v->vlapic, *value);
    }
    return 1;                              /* not ours */
}
