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
#include "pmu/vpmu.h"

#define CR4_PCE           (1ull << 8)     /* RDPMC allowed at any CPL */
#define APIC_BASE_BSP     (1ull << 8)
#define APIC_BASE_EXTD    (1ull << 10)    /* x2APIC mode */
#define APIC_BASE_EN      (1ull << 11)
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
        if (!write)
            return vlapic_msr_read(&v->vlapic, msr, value);
        v->events_pending = 1;             /* an EOI, a self-IPI or an unmasked LVT */
        return vlapic_msr_write(&v->vlapic, msr, *value);
    }
    if (msr == MSR_IA32_APIC_BASE) {
        uint64_t now = GUEST_XAPIC_BASE | APIC_BASE_BSP | APIC_BASE_EN |
                       (v->vlapic.x2apic ? APIC_BASE_EXTD : 0);
        if (!write) {
            *value = now;
            return 0;
        }
        /* the base stays put and the APIC enabled; xAPIC -> x2APIC is the one change offered
         * (x2APIC -> xAPIC needs a disable in between, SDM 11.12.5: #GP) */
        if ((*value & ~APIC_BASE_EXTD) != (now & ~APIC_BASE_EXTD) ||
            (v->vlapic.x2apic && !(*value & APIC_BASE_EXTD)))
            return -1;
        vlapic_set_x2apic(&v->vlapic, (*value & APIC_BASE_EXTD) != 0);
        return 0;
    }
    return 1;                              /* not ours */
}
