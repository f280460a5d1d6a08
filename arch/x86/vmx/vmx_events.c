/* Delivering the virtual LAPIC's interrupts and NMIs (the guest's PMIs) through VM-entry event
 * injection (SDM Vol. 3C 27.6), or, when the guest cannot take them yet, asking for the exit
 * that says when it can: interrupt-window exiting (RFLAGS.IF and STI/MOV-SS blocking) and
 * NMI-window exiting (virtual-NMI blocking) (25.6.2, 26.7.5). */
#include "arch/x86/cpu.h"
#include "arch/x86/vmx/exits.h"
#include "arch/x86/vmx/vmcs.h"
#include "arch/x86/vmx/vmx_reinject.h"
#include "arch/x86/vmx/vmx_vcpu.h"
#include "hv/domain.h"

#define BLOCK_STI   (1u << 0)    /* guest interruptibility state (25.4.2, Table 25-3) */
#define BLOCK_MOVSS (1u << 1)
#define BLOCK_NMI   (1u << 3)
#define VECTOR_NMI  2
#define RFLAGS_RF   (1ull << 16)  /* resume flag: no instruction-breakpoint #DB on return */

/* Faults (SDM Vol. 3A Table 6-1, "Type"), as opposed to traps (#DB as injected here, #BP, #OF),
 * aborts (#DF, #MC) and NMI. */
static int exception_is_fault(int vector)
{
    return vector != 1 && vector != 2 && vector != 3 && vector != 4 && vector != 8 &&
           vector != 18 && vector < 32;
}

/* A fault delivered by the CPU pushes RFLAGS with RF set (SDM Vol. 3A 2.3 "RF", 18.3.1.1: so
 * that the IRET back to the faulting instruction does not raise an instruction breakpoint
 * again); an injected one pushes the guest-state RFLAGS as it is (Vol. 3C 27.6.1, "Vectored-
 * Event Injection"), so the VMM sets RF there, as KVM does for its fault-class injections. */
void vmx_fault_rflags(int vector)
{
    if (exception_is_fault(vector))
        vmcs_writenat(VMCS_GUEST_RFLAGS, vmcs_readnat(VMCS_GUEST_RFLAGS) | RFLAGS_RF);
}

static void set_windows(struct vmx_vcpu *x, uint32_t want)
{
    uint32_t proc = (x->proc & ~(PROC_INTERRUPT_WINDOW_EXITING | PROC_NMI_WINDOW_EXITING)) | want;
    if (proc != x->proc) {
        vmcs_write32(VMCS_PROC_BASED_CTLS, proc);
        x->proc = proc;
    }
}

void vmx_deliver_events(struct vcpu *v)
{
    struct vmx_vcpu *x = v->arch;
    struct vlapic *a = &v->vlapic;
    uint32_t want = 0, intr = vmcs_read32(VMCS_GUEST_INTERRUPTIBILITY);
    int busy = (vmcs_read32(VMCS_ENTRY_INTR_INFO) & INTR_INFO_VALID) != 0;  /* e.g. a #GP */
    int vec;

    if (a->nmi_pending) {
        /* STI blocking too: some processors refuse an NMI injection under it (26.3.1.5) */
        if (busy || (intr & (BLOCK_STI | BLOCK_MOVSS | BLOCK_NMI))) {
            want |= PROC_NMI_WINDOW_EXITING;
        } else {
            vlapic_take_nmi(a);
            vmcs_write32(VMCS_ENTRY_INTR_INFO, INTR_INFO_VALID | INTR_TYPE_NMI | VECTOR_NMI);
            busy = 1;
        }
    }
    if (vlapic_pending(a, &vec)) {
        if (busy || !(vmcs_readnat(VMCS_GUEST_RFLAGS) & RFLAGS_IF) ||
            (intr & (BLOCK_STI | BLOCK_MOVSS))) {
            want |= PROC_INTERRUPT_WINDOW_EXITING;
        } else {
            vlapic_accept(a, vec);
            vmcs_write32(VMCS_ENTRY_INTR_INFO, INTR_INFO_VALID | INTR_TYPE_EXTERNAL | (uint32_t)vec);
        }
    }
    set_windows(x, want);
    v->events_pending = 0;             /* until a window opens, an EOI or a new PMI */
}

/* The window we asked for is open: close it and deliver before the next entry. */
enum exit_action exit_event_window(struct vcpu *v, struct vmx_vcpu *x)
{
    set_windows(x, 0);
    v->events_pending = 1;
    return EXIT_RESUME;
}

/* After every exit, before its handler: an event the exit interrupted is injected again, and an
 * IRET the exit interrupted gets its virtual-NMI blocking back (vmx_reinject.c).  A handler that
 * injects its own event overwrites the first; vmx_deliver_events waits behind either. */
void vmx_complete_events_slow(uint32_t reason, uint32_t idt_info)
{
    struct vmx_exit_events e = { .reason = reason, .idt_info = idt_info };
    struct vmx_entry_events out;
    if (e.idt_info & INTR_INFO_VALID) {
        e.idt_error = vmcs_read32(VMCS_IDT_VECTORING_ERROR_CODE);
        e.insn_len = vmcs_read32(VMCS_EXIT_INSTRUCTION_LEN);
    } else if (reason == EXIT_EPT_VIOLATION) {
        e.qualification = vmcs_readnat(VMCS_EXIT_QUALIFICATION);
    } else if (reason == EXIT_EXCEPTION_NMI) {
        e.exit_intr_info = vmcs_read32(VMCS_EXIT_INTR_INFO);
    }
    e.interruptibility = vmcs_read32(VMCS_GUEST_INTERRUPTIBILITY);
    vmx_exit_events_complete(&e, &out);
    if (out.inject) {
        vmcs_write32(VMCS_ENTRY_INTR_INFO, out.entry_intr_info);
        if (out.entry_intr_info & INTR_INFO_DELIVER_CODE)
            vmcs_write32(VMCS_ENTRY_EXCEPTION_ERROR_CODE, out.entry_error);
        if (out.entry_insn_len)
            vmcs_write32(VMCS_ENTRY_INSTRUCTION_LEN, out.entry_insn_len);
    }
    if (out.set_interruptibility)
        vmcs_write32(VMCS_GUEST_INTERRUPTIBILITY, out.interruptibility);
}
