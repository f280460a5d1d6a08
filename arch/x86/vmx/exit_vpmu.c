/* The guest's virtual PMU through RDPMC and RDMSR/WRMSR exits.  The counters may lag
 * behind the guest (the run loop settles them at every exit only when the CPL matters or in
 * domain-switch mode): every access brings them up to the exit first. */
#include "arch/x86/vmx/exit_vpmu.h"
#include "arch/x86/cpu.h"
#include "arch/x86/msr.h"
#include "arch/x86/vmx/exits.h"
#include "arch/x86/vmx/vmcs.h"
#include "arch/x86/vmx/vmx_timer.h"
#include "arch/x86/vmx/vmx_vcpu.h"
#include "arch/x86/vmx/vmx_vpmu.h"
#include "hv/domain.h"
#include "pmu/vpmu/vpmu.h"

#define CR4_PCE           (1ull << 8)     /* RDPMC allowed at any CPL */

enum exit_action exit_rdpmc(struct vcpu *v, struct vmx_vcpu *x)
{
    uint64_t value;
    int cpl = (vmcs_readnat(VMCS_GUEST_CR0) & CR0_PE) ? vmx_guest_cpl() : 0;

    if (vpmu_counting(&v->vpmu))
        vmx_timer_settle(v, 0, x->regs.exit_tsc);
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
    enum pmu_msr_kind k;
    unsigned idx;

    if (!pmu_msr_lookup(msr, &k, &idx))
        return 1;                          /* not ours */
    if (!v->dom->vpmu_enabled)
        return -1;
    if (vpmu_counting(&v->vpmu))           /* time so far counts under the old settings */
        vmx_timer_settle(v, 0, x->regs.exit_tsc);
    if (!write)
        return vpmu_read(&v->vpmu, k, idx, value);
    int r = vpmu_write(&v->vpmu, k, idx, *value);
    if (vpmu_take_moved(&v->vpmu))         /* a counter or a control: the next PMI moved */
        x->rearm = 1;
    vmx_vpmu_refresh(v);                   /* real counters: IA32_PERF_GLOBAL_CTRL at entry/exit */
    return r;
}
