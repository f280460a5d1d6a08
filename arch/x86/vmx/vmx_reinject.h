/* After every VM exit, what the next VM entry must deliver or restore about events the exit
 * interrupted (SDM Vol. 3C 28.2.3-28.2.4, 27.7.1.2; KVM's vmx_complete_interrupts and
 * vmx_recover_nmi_blocking are the model): pure, so the host tests run it on exit records. */
#ifndef ARCH_X86_VMX_VMX_REINJECT_H
#define ARCH_X86_VMX_VMX_REINJECT_H

#include <stdint.h>

struct vmx_exit_events {          /* read from the VMCS after the exit */
    uint32_t reason;              /* basic exit reason */
    uint64_t qualification;       /* EPT violations: bit 12 is "NMI unblocking due to IRET" */
    uint32_t exit_intr_info;      /* exception/NMI exits: bit 12, the same for the IRET */
    uint32_t idt_info;            /* IDT-vectoring information: valid = delivery interrupted */
    uint32_t idt_error;
    uint32_t insn_len;            /* VM-exit instruction length (software events) */
    uint32_t interruptibility;    /* guest interruptibility state */
};

struct vmx_entry_events {         /* what to write before the next entry */
    int inject;                   /* write entry_intr_info (and the two below) */
    uint32_t entry_intr_info, entry_error, entry_insn_len;
    int set_interruptibility;     /* write interruptibility */
    uint32_t interruptibility;
};

/* Interruption types (IDT-vectoring and VM-entry interruption information, bits 10:8) */
#define VMX_EVT_TYPE(i)         (((i) >> 8) & 7u)
#define VMX_EVT_NMI             2u
#define VMX_EVT_SOFT_INT        4u   /* INT n */
#define VMX_EVT_PRIV_SOFT_EXC   5u   /* INT1 (ICEBP) */
#define VMX_EVT_SOFT_EXC        6u   /* INT3, INTO */
#define VMX_INTR_NMI_UNBLOCK    (1u << 12)   /* "NMI unblocking due to IRET" (exit intr info) */
#define VMX_QUAL_NMI_UNBLOCK    (1ull << 12) /* the same in an EPT violation's qualification */
#define VMX_BLOCK_NMI           (1u << 3)    /* interruptibility state: blocking by NMI */

void vmx_exit_events_complete(const struct vmx_exit_events *e, struct vmx_entry_events *out);

#endif
