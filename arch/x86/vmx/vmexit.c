/* The vCPU run loop and the exit dispatch table (one entry per exit reason, SDM Appendix C). */
#include "arch/x86/cpu.h"
#include "arch/x86/vmx/exits.h"
#include "arch/x86/vmx/vmcs.h"
#include "arch/x86/vmx/vmx_ops.h"
#include "arch/x86/vmx/vmx_vcpu.h"
#include "hv/arch.h"
#include "hv/console.h"
#include "hv/domain.h"
#include "hv/printf.h"
#include "hv/summary.h"
#include "pmu/prof.h"

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
    [EXIT_INTERRUPT_WINDOW]   = { "INTERRUPT_WINDOW", NULL },
    [EXIT_NMI_WINDOW]         = { "NMI_WINDOW", NULL },
    [EXIT_TASK_SWITCH]        = { "TASK_SWITCH", NULL },
    [EXIT_CPUID]              = { "CPUID", exit_cpuid },
    [EXIT_GETSEC]             = { "GETSEC", exit_inject_ud },
    [EXIT_HLT]                = { "HLT", exit_hlt },
    [EXIT_INVD]               = { "INVD", exit_skip },
    [EXIT_INVLPG]             = { "INVLPG", NULL },
    [EXIT_RDPMC]              = { "RDPMC", NULL },
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

/* The VMX-preemption timer counts guest time only (it runs in VMX non-root operation), in
 * units of 2^rate TSC ticks.  One timer serves both the time slice and, with the software
 * sampling backend, the next sample: it is armed for whichever comes first.  Other exits do
 * not touch it (the VMCS saves what is left); what it counted is settled when it expires and
 * when the vCPU leaves the CPU, so the common exit path pays nothing for it. */
/* Programs the timer for min(slice left, next sample); returns the value programmed.  Between
 * re-arms the VMCS keeps counting down by itself ("save VMX-preemption timer value"). */
static uint32_t arm_timer(struct vcpu *v, uint64_t slice_left)
{
    uint64_t t = slice_left;
    if (prof_samples_guests() && v->sample_left < t)
        t = v->sample_left;
    t >>= vmx_caps.preempt_rate;
    uint32_t timer = t > 0xFFFFFFFFull ? 0xFFFFFFFFu : t ? (uint32_t)t : 1;
    vmcs_write32(VMCS_GUEST_PREEMPTION_TIMER, timer);
    return timer;
}

static uint64_t sub_floor(uint64_t a, uint64_t b) { return a > b ? a - b : 0; }

/* Accounting (in TSC ticks, which Bochs advances one per instruction): guest time is
 * entry -> exit; hypervisor time for an exit is exit -> the next entry of the same vCPU,
 * not counting other domains that ran in between. */
void arch_vcpu_run(struct vcpu *v, uint64_t ticks)
{
    struct vmx_vcpu *x = v->arch;
    uint64_t slice_left = ticks;

    x->mark_tsc = rdtsc();
    vmx_vcpu_load(v);
    uint32_t armed = arm_timer(v, slice_left);

    while (v->dom->state == DOMAIN_RUNNING) {
        int r = vmx_enter(&x->regs, x->launched);
        if (r) {
            vmx_report_failure(x->launched ? "VMRESUME" : "VMLAUNCH", r);
            vmx_dump_guest(v, 0);
            domain_stop(v->dom, "VM entry failed (%s)", r == 1 ? "VMfailInvalid" :
                        vmx_instruction_error_name(vmcs_read32(VMCS_VM_INSTRUCTION_ERROR)));
            break;
        }
        if (!hv_first_entry_tsc)
            hv_first_entry_tsc = x->regs.entry_tsc;
        if (x->last_reason >= 0)
            v->exit_ticks[x->last_reason] += x->regs.entry_tsc - x->mark_tsc;
        x->launched = 1;
        v->guest_ticks += x->regs.exit_tsc - x->regs.entry_tsc;

        uint32_t reason = vmcs_read32(VMCS_EXIT_REASON);
        int basic = reason & 0xFFFF;
        if (basic == EXIT_PREEMPTION_TIMER) {    /* it ran out: settle, sample, re-arm */
            uint64_t ran = (uint64_t)armed << vmx_caps.preempt_rate;
            slice_left = sub_floor(slice_left, ran);
            if (prof_samples_guests() && (v->sample_left = sub_floor(v->sample_left, ran)) == 0)
                prof_sample_guest(v, x->regs.exit_tsc);
            armed = slice_left ? arm_timer(v, slice_left) : 0;
        }
        if (basic < HV_MAX_EXIT_REASONS)
            v->exits[basic]++;
        x->last_reason = basic < HV_MAX_EXIT_REASONS ? basic : -1;
        x->mark_tsc = x->regs.exit_tsc;
        x->injected = 0;
        enum exit_action action = dispatch(v, x, reason);
        if (!x->injected)              /* last_event names only what the next entry delivers */
            v->last_event[0] = '\0';
        if (console_pending()) {        /* keep the serial line busy, never wait on it */
            uint64_t t0 = rdtsc();      /* export work, accounted apart from the exit */
            console_pump();
            uint64_t dt = rdtsc() - t0;
            v->export_ticks += dt;
            x->mark_tsc += dt;
        }
        if (action == EXIT_END_SLICE || slice_left == 0)
            break;
    }
    if (armed && prof_samples_guests()) {       /* leaving early: keep the sample countdown */
        uint64_t ran = (uint64_t)(armed - vmcs_read32(VMCS_GUEST_PREEMPTION_TIMER))
                       << vmx_caps.preempt_rate;
        v->sample_left = sub_floor(v->sample_left, ran);
        if (!v->sample_left)
            v->sample_left = 1;
    }
    if (x->last_reason >= 0)
        v->exit_ticks[x->last_reason] += rdtsc() - x->mark_tsc;
}
