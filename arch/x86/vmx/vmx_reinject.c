/* Events a VM exit interrupted (see vmx_reinject.h).
 *
 * 1. An exit during event delivery (an EPT violation on the guest's IDT or stack, a host NMI or
 *    interrupt arriving while an injected event is being delivered) leaves the event in the
 *    IDT-vectoring information (28.2.4) and nowhere else: it is injected again at the next entry,
 *    with its error code, and, for software interrupts and exceptions, the instruction length
 *    (27.6.1.1: they are re-executed from the length).  If it was an NMI, blocking by NMI is
 *    cleared: delivery did not complete (27.7.1.2), and the entry checks forbid injecting an NMI
 *    under virtual-NMI blocking (26.3.1.5).
 * 2. Otherwise, an exit caused by a fault in a guest IRET ("NMI unblocking due to IRET": bit 12 of
 *    an EPT violation's qualification, 28.2.1, or of an exception's interruption information,
 *    28.2.2) happened after the IRET had lifted virtual-NMI blocking; the IRET will run again, so
 *    blocking by NMI is set again (28.2.3, "Information for VM Exits During Event Delivery" and
 *    the note on bit 12).  Not for a #DF (28.2.2: bit 12 is undefined then). */
#include "arch/x86/vmx/vmx_reinject.h"
#include "arch/x86/vmx/vmx.h"

#define VECTOR_DF 8

void vmx_exit_events_complete(const struct vmx_exit_events *e, struct vmx_entry_events *out)
{
    *out = (struct vmx_entry_events){ 0 };
    if (e->idt_info & INTR_INFO_VALID) {
        uint32_t type = VMX_EVT_TYPE(e->idt_info);
        out->inject = 1;
        /* bits 31, 11, 10:8, 7:0 carry over; 12 is undefined and 30:12 reserved at entry */
        out->entry_intr_info = e->idt_info & (INTR_INFO_VALID | INTR_INFO_DELIVER_CODE |
                                              INTR_TYPE_MASK | 0xFFu);
        out->entry_error = e->idt_info & INTR_INFO_DELIVER_CODE ? e->idt_error : 0;
        if (type == VMX_EVT_SOFT_INT || type == VMX_EVT_PRIV_SOFT_EXC || type == VMX_EVT_SOFT_EXC)
            out->entry_insn_len = e->insn_len;
        if (type == VMX_EVT_NMI && (e->interruptibility & VMX_BLOCK_NMI)) {
            out->set_interruptibility = 1;
            out->interruptibility = e->interruptibility & ~VMX_BLOCK_NMI;
        }
        return;
    }
    int unblocked = 0;
    if (e->reason == EXIT_EPT_VIOLATION)
        unblocked = (e->qualification & VMX_QUAL_NMI_UNBLOCK) != 0;
    else if (e->reason == EXIT_EXCEPTION_NMI && (e->exit_intr_info & INTR_INFO_VALID))
        unblocked = (e->exit_intr_info & VMX_INTR_NMI_UNBLOCK) &&
                    (e->exit_intr_info & 0xFFu) != VECTOR_DF;
    if (unblocked && !(e->interruptibility & VMX_BLOCK_NMI)) {
        out->set_interruptibility = 1;
        out->interruptibility = e->interruptibility | VMX_BLOCK_NMI;
    }
}
