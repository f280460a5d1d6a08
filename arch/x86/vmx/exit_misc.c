/* Small exit families: HLT, VMCALL, triple fault, timer, interrupts, instructions we refuse. */
#include "arch/x86/cpu.h"
#include "arch/x86/lapic.h"
#include "arch/x86/traps.h"
#include "arch/x86/vmx/exits.h"
#include "arch/x86/vmx/vmcs.h"
#include "arch/x86/vmx/vmx_guest.h"
#include "arch/x86/vmx/vmx_vcpu.h"
#include "arch/x86/vmx/vmx_vpmu.h"
#include "hv/domain.h"
#include "hv/hypercall.h"
#include "hv/printf.h"
#include "pmu/sampling/prof.h"

/* HLT with interrupts off can never wake up: the guest has finished.  With interrupts on it
 * waits for one: the vCPU sleeps (hv/sched.c runs the other domains, or idles, until
 * vcpu_wake_tsc() says an interrupt can reach it) unless one is deliverable already.  The HLT
 * is completed here, so the interrupt injected on waking returns after it, as on hardware. */
enum exit_action exit_hlt(struct vcpu *v, struct vmx_vcpu *x)
{
    (void)x;
    if (!(vmcs_readnat(VMCS_GUEST_RFLAGS) & RFLAGS_IF)) {
        domain_halt(v->dom);
        return EXIT_END_SLICE;
    }
    vmx_skip_instruction();
    if (vcpu_wake_tsc(v) == 0) {       /* something is deliverable now: no sleep */
        v->events_pending = 1;
        return EXIT_RESUME;
    }
    v->sleeping = 1;
    return EXIT_END_SLICE;
}

enum exit_action exit_vmcall(struct vcpu *v, struct vmx_vcpu *x)
{
    /* outside 64-bit mode the number and arguments are the low 32 bits of the registers */
    uint64_t mask = vmx_guest_64bit() ? ~0ull : 0xFFFFFFFFull;
    const uint64_t args[4] = { x->regs.rbx & mask, x->regs.rcx & mask, x->regs.rdx & mask,
                               x->regs.rsi & mask };
    int64_t ret = 0;
    enum hc_result r = hypercall(v, vmx_guest_cpl(), x->regs.rax & mask, args, &ret);
    if (vmx_guest_64bit())
        x->regs.rax = (uint64_t)ret;
    else
        set32(&x->regs.rax, (uint64_t)ret);   /* a 32-bit guest sees a 32-bit result */
    vmx_skip_instruction();
    return r == HC_END_SLICE ? EXIT_END_SLICE : EXIT_RESUME;
}

enum exit_action exit_triple_fault(struct vcpu *v, struct vmx_vcpu *x)
{
    (void)x;
    domain_stop(v->dom, "triple fault at rip 0x%lx%s%s", vmcs_readnat(VMCS_GUEST_RIP),
                v->last_event[0] ? " after " : "", v->last_event);
    return EXIT_END_SLICE;
}

/* The timer armed by vmexit.c ran out: the run loop has already taken the sample or ended
 * the slice, whichever was due. */
enum exit_action exit_preemption_timer(struct vcpu *v, struct vmx_vcpu *x)
{
    (void)v;
    (void)x;
    return EXIT_RESUME;
}

/* A host interrupt arrived while the guest ran.  "Acknowledge interrupt on exit" took it from
 * the local APIC (SDM Vol. 3C 28.2.2: the vector is in the exit interruption information), so its
 * ISR bit stays set, blocking every interrupt of its priority class and below, until an EOI
 * (Vol. 3A 11.8.5).  perfvisor enables no source itself (lapic_init masks them), so this is one
 * the firmware left on: EOI it and resume. */
enum exit_action exit_interrupt(struct vcpu *v, struct vmx_vcpu *x)
{
    (void)v;
    (void)x;
    lapic_eoi_vector(vmcs_read32(VMCS_EXIT_INTR_INFO) & 0xFF);
    return EXIT_RESUME;
}

struct guest_nmi {
    struct vcpu *v;
    uint64_t exit_tsc;
};

static int guest_nmi(void *ctx)
{
    struct guest_nmi *n = ctx;
    struct guest_sample_state st;
    vmx_guest_sample_state(n->v, &st);
    return prof_guest_nmi(n->v, n->exit_tsc, &st) | vmx_vpmu_nmi_note();   /* vpmu=hw: a guest's PMI */
}

/* No exception is intercepted (bitmap 0), so this is an NMI for the host. */
enum exit_action exit_exception_nmi(struct vcpu *v, struct vmx_vcpu *x)
{
    uint32_t info = vmcs_read32(VMCS_EXIT_INTR_INFO);
    (void)x;
    if ((info & INTR_TYPE_MASK) == INTR_TYPE_NMI) {
        /* through the host NMI handler and its IRET (traps.h): a PMU overflow samples the guest */
        struct guest_nmi n = { v, x->regs.exit_tsc };
        trap_nmi_exit(guest_nmi, &n);
        return EXIT_RESUME;
    }
    vmx_dump_guest(v, EXIT_EXCEPTION_NMI);
    domain_stop(v->dom, "unexpected exception exit (interruption info 0x%x)", info);
    return EXIT_END_SLICE;
}

/* VMX instructions, GETSEC, MONITOR/MWAIT, XSETBV: CPUID does not offer them, so #UD. */
enum exit_action exit_inject_ud(struct vcpu *v, struct vmx_vcpu *x)
{
    (void)x;
    vmx_inject_exception(v, VECTOR_UD, 0, 0, "instruction not offered to guests");
    return EXIT_RESUME;
}

/* INVD, WBINVD: caches are coherent for us; completing them is enough. */
enum exit_action exit_skip(struct vcpu *v, struct vmx_vcpu *x)
{
    (void)v;
    (void)x;
    vmx_skip_instruction();
    return EXIT_RESUME;
}

enum exit_action exit_init_signal(struct vcpu *v, struct vmx_vcpu *x)
{
    (void)x;
    domain_stop(v->dom, "received an INIT signal");
    return EXIT_END_SLICE;
}
