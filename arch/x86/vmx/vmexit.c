/* The vCPU run loop, its accounting, and the exit dispatch table (one entry per exit reason,
 * SDM Appendix C).  The preemption timer that bounds each guest run is vmx_timer.c's; the
 * exit handlers (exit_*.c) return what to do next and never call back into this loop. */
#include "arch/x86/cpu.h"
#include "arch/x86/vmx/exits.h"
#include "arch/x86/vmx/vmcs.h"
#include "arch/x86/vmx/vmx_check_cpu.h"
#include "arch/x86/vmx/vmx_vpmu.h"
#include "arch/x86/vmx/vmx_ops.h"
#include "arch/x86/vmx/vmx_timer.h"
#include "arch/x86/vmx/vmx_vcpu.h"
#include "hv/arch.h"
#include "hv/console.h"
#include "hv/domain.h"
#include "hv/printf.h"
#include "hv/summary.h"
#include "hv/vlapic.h"
#include "pmu/sampling/prof.h"
#include "pmu/vpmu/pmu_msr.h"

void vmx_vcpu_load(struct vcpu *v);

static const struct {
    const char *name;
    exit_handler_fn handler;          /* NULL: unhandled, the domain is stopped */
} exit_table[EXIT_REASON_MAX] = {
    [EXIT_EXCEPTION_NMI]      = { "EXCEPTION_NMI", exit_exception_nmi },
    [EXIT_EXTERNAL_INTERRUPT] = { "EXTERNAL_INTERRUPT", exit_interrupt },
    [EXIT_TRIPLE_FAULT]       = { "TRIPLE_FAULT", exit_triple_fault },
    [EXIT_INIT]               = { "INIT", exit_init_signal },
    [EXIT_SIPI]               = { "SIPI", NULL },
    [EXIT_IO_SMI]             = { "IO_SMI", NULL },
    [EXIT_OTHER_SMI]          = { "OTHER_SMI", NULL },
    [EXIT_INTERRUPT_WINDOW]   = { "INTERRUPT_WINDOW", exit_event_window },
    [EXIT_NMI_WINDOW]         = { "NMI_WINDOW", exit_event_window },
    [EXIT_TASK_SWITCH]        = { "TASK_SWITCH", NULL },
    [EXIT_CPUID]              = { "CPUID", exit_cpuid },
    [EXIT_GETSEC]             = { "GETSEC", exit_inject_ud },
    [EXIT_HLT]                = { "HLT", exit_hlt },
    [EXIT_INVD]               = { "INVD", exit_skip },
    [EXIT_INVLPG]             = { "INVLPG", NULL },
    [EXIT_RDPMC]              = { "RDPMC", exit_rdpmc },
    [EXIT_RDTSC]              = { "RDTSC", NULL },
    [EXIT_RSM]                = { "RSM", NULL },
    [EXIT_VMCALL]             = { "VMCALL", exit_vmcall },
    [EXIT_VMCLEAR]            = { "VMCLEAR", exit_inject_ud },
    [EXIT_VMLAUNCH]           = { "VMLAUNCH", exit_inject_ud },
    [EXIT_VMPTRLD]            = { "VMPTRLD", exit_inject_ud },
    [EXIT_VMPTRST]            = { "VMPTRST", exit_inject_ud },
    [EXIT_VMREAD]             = { "VMREAD", exit_inject_ud },
    [EXIT_VMRESUME]           = { "VMRESUME", exit_inject_ud },
    [EXIT_VMWRITE]            = { "VMWRITE", exit_inject_ud },
    [EXIT_VMXOFF]             = { "VMXOFF", exit_inject_ud },
    [EXIT_VMXON]              = { "VMXON", exit_inject_ud },
    [EXIT_CR_ACCESS]          = { "CR_ACCESS", exit_cr_access },
    [EXIT_DR_ACCESS]          = { "DR_ACCESS", NULL },
    [EXIT_IO_INSTRUCTION]     = { "IO", exit_io },
    [EXIT_RDMSR]              = { "RDMSR", exit_rdmsr },
    [EXIT_WRMSR]              = { "WRMSR", exit_wrmsr },
    [EXIT_ENTRY_FAIL_GUEST]   = { "ENTRY_FAIL_GUEST_STATE", NULL },
    [EXIT_ENTRY_FAIL_MSR]     = { "ENTRY_FAIL_MSR_LOAD", NULL },
    [EXIT_MWAIT]              = { "MWAIT", exit_inject_ud },
    [EXIT_MONITOR_TRAP]       = { "MONITOR_TRAP_FLAG", NULL },
    [EXIT_MONITOR]            = { "MONITOR", exit_inject_ud },
    [EXIT_PAUSE]              = { "PAUSE", exit_skip },
    [EXIT_ENTRY_FAIL_MCE]     = { "ENTRY_FAIL_MACHINE_CHECK", NULL },
    [EXIT_TPR_BELOW_THRESHOLD] = { "TPR_BELOW_THRESHOLD", NULL },
    [EXIT_APIC_ACCESS]        = { "APIC_ACCESS", NULL },
    [EXIT_VIRTUALIZED_EOI]    = { "VIRTUALIZED_EOI", NULL },
    [EXIT_GDTR_IDTR]          = { "GDTR_IDTR", NULL },
    [EXIT_LDTR_TR]            = { "LDTR_TR", NULL },
    [EXIT_EPT_VIOLATION]      = { "EPT_VIOLATION", exit_ept_violation },
    [EXIT_EPT_MISCONFIG]      = { "EPT_MISCONFIG", exit_ept_misconfig },
    [EXIT_INVEPT]             = { "INVEPT", exit_inject_ud },
    [EXIT_RDTSCP]             = { "RDTSCP", NULL },
    [EXIT_PREEMPTION_TIMER]   = { "PREEMPTION_TIMER", exit_preemption_timer },
    [EXIT_INVVPID]            = { "INVVPID", exit_inject_ud },
    [EXIT_WBINVD]             = { "WBINVD", exit_skip },
    [EXIT_XSETBV]             = { "XSETBV", exit_inject_ud },
    [EXIT_APIC_WRITE]         = { "APIC_WRITE", NULL },
    [EXIT_RDRAND]             = { "RDRAND", NULL },
    [EXIT_INVPCID]            = { "INVPCID", NULL },
    [EXIT_VMFUNC]             = { "VMFUNC", exit_inject_ud },
    [EXIT_ENCLS]              = { "ENCLS", exit_inject_ud },
    [EXIT_RDSEED]             = { "RDSEED", NULL },
    [EXIT_PML_FULL]           = { "PML_FULL", NULL },
    [EXIT_XSAVES]             = { "XSAVES", NULL },
    [EXIT_XRSTORS]            = { "XRSTORS", NULL },
};
_Static_assert(EXIT_REASON_MAX <= HV_MAX_EXIT_REASONS, "exit statistics must cover every reason");

const char *arch_exit_reason_name(int reason)
{
    if (reason >= 0 && reason < EXIT_REASON_MAX && exit_table[reason].name)
        return exit_table[reason].name;
    return "UNKNOWN";
}

static enum exit_action dispatch(struct vcpu *v, struct vmx_vcpu *x, uint32_t reason)
{
    if (reason & EXIT_REASON_ENTRY_FAILURE) {
        int basic = reason & 0xFFFF;
        vmx_dump_guest(v, reason);
        vmx_check_explain(v);          /* which SDM rule, as far as the checker models them */
        domain_stop(v->dom, "VM entry failed: %s (exit qualification 0x%lx)",
                    arch_exit_reason_name(basic), vmcs_readnat(VMCS_EXIT_QUALIFICATION));
        return EXIT_END_SLICE;
    }
    if (reason < EXIT_REASON_MAX && exit_table[reason].handler)
        return exit_table[reason].handler(v, x);
    vmx_dump_guest(v, reason);
    domain_stop(v->dom, "unhandled VM exit %u (%s)", reason, arch_exit_reason_name((int)reason));
    return EXIT_END_SLICE;
}

/* Accounting (in TSC ticks, which Bochs advances one per instruction): guest time is
 * entry -> exit; hypervisor time for an exit is exit -> the next entry of the same vCPU,
 * not counting other domains that ran in between.
 *
 * The slice is `ticks` of TSC time, the guest's and the hypervisor's work for it together: the
 * preemption timer (guest time only) bounds the guest's part, and the TSC is checked after
 * every exit, so a guest that makes the hypervisor work for it (an exit loop, a console flood)
 * ends its slice as early as one that computes.  It overshoots by at most one exit. */
void arch_vcpu_run(struct vcpu *v, uint64_t ticks)
{
    struct vmx_vcpu *x = v->arch;
    uint64_t slice_start = rdtsc(), slice_end = slice_start + ticks;

    x->mark_tsc = slice_start;
    vmx_vcpu_load(v);
    x->slice_left = ticks;
    /* wall time passed while other domains ran: an expiry due meanwhile fires now, once */
    if (v->vlapic.timer.armed && vlapic_timer_update(&v->vlapic, slice_start))
        v->events_pending = 1;
    vmx_timer_arm(v);

    while (v->dom->state == DOMAIN_RUNNING) {
        vmx_vpmu_before_entry(v);      /* vpmu=hw: a PMI an NMI noted */
        if (v->events_pending)
            vmx_deliver_events(v);
#ifdef VMX_ENTRY_CHECK                 /* make VMX_CHECK=1: SDM 26.2-26.3 before each entry */
        if (vmx_check_current(v)) {
            domain_stop(v->dom, "VM-entry check failed (see above)");
            break;
        }
#endif
        int r = vmx_enter(&x->regs, x->launched);
        if (r) {
            vmx_report_failure(x->launched ? "VMRESUME" : "VMLAUNCH", r);
            vmx_dump_guest(v, 0);
            if (r == 2)
                vmx_check_explain(v);
            domain_stop(v->dom, "VM entry failed (%s)", r == 1 ? "VMfailInvalid" :
                        vmx_instruction_error_name(vmcs_read32(VMCS_VM_INSTRUCTION_ERROR)));
            break;
        }
        if (!hv_first_entry_tsc)
            hv_first_entry_tsc = x->regs.entry_tsc;
        if (!v->first_entry_tsc)
            v->first_entry_tsc = x->regs.entry_tsc;
        if (x->last_reason >= 0) {
            uint64_t hv = x->regs.entry_tsc - x->mark_tsc;
            v->exit_ticks[x->last_reason] += hv;
            if (v->vpmu.mode == VPMU_DOMAIN_SWITCH && vpmu_counting(&v->vpmu)) {
                vpmu_count_hypervisor(&v->vpmu, hv);   /* the hypervisor's work for it */
                if (vpmu_take_pmi(&v->vpmu) && vlapic_pmi(&v->vlapic))
                    v->events_pending = 1;
            }
        }
        x->launched = 1;
        v->guest_ticks += x->regs.exit_tsc - x->regs.entry_tsc;

        uint32_t reason = vmcs_read32(VMCS_EXIT_REASON);
        int basic = reason & 0xFFFF;
        if (basic == EXIT_PREEMPTION_TIMER || vpmu_settle_every_exit(&v->vpmu))
            vmx_timer_settle(v, basic == EXIT_PREEMPTION_TIMER, x->regs.exit_tsc);
        if (basic < HV_MAX_EXIT_REASONS)
            v->exits[basic]++;
        x->last_reason = basic < HV_MAX_EXIT_REASONS ? basic : -1;
        x->mark_tsc = x->regs.exit_tsc;
        x->injected = 0;
        vmx_complete_events(basic);    /* an event the exit interrupted is delivered again */
        enum exit_action action = dispatch(v, x, reason);
        if (!x->injected)              /* last_event names only what the next entry delivers */
            v->last_event[0] = '\0';
        x->mark_tsc += console_service(v);   /* export work, accounted apart from the exit */
        /* the slice's end in TSC time, the guest's and the hypervisor's together (its guest
         * part, slice_left, cannot run out before it: guest time is part of TSC time) */
        uint64_t now = rdtsc();
        if (action == EXIT_END_SLICE || now >= slice_end)
            break;
        if (__builtin_expect(v->vlapic.timer.armed || x->apic_deadline != VMX_APIC_NONE, 0))
            vmx_timer_apic_poll(v, now);
        if (x->rearm)
            vmx_timer_arm(v);
    }
    if (x->armed && v->dom->state == DOMAIN_RUNNING) {   /* leaving early: keep countdowns */
        vmx_timer_settle(v, 0, rdtsc());
        if (prof_samples_guests() && !v->sample_left)
            v->sample_left = 1;
    }
    if (x->last_reason >= 0)
        v->exit_ticks[x->last_reason] += rdtsc() - x->mark_tsc;
}
