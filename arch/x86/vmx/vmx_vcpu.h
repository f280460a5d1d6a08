/* Helpers for exit handlers: the loaded vCPU's registers, RIP, exceptions. */
#ifndef ARCH_X86_VMX_VMX_VCPU_H
#define ARCH_X86_VMX_VMX_VCPU_H

#include <stdint.h>
#include "arch/x86/vmx/vmcs.h"
#include "arch/x86/vmx/vmx.h"

struct vcpu;


/* Advances RIP past the exiting instruction and clears STI/MOV-SS blocking, as completing
 * the instruction would (SDM Vol. 3C 25.4.2). */
void vmx_skip_instruction(void);
/* The same for an instruction of len bytes decoded by the hypervisor (EPT-violation exits
 * leave the exit instruction length undefined). */
void vmx_advance_rip(uint64_t len);
/* Queues a hardware exception for the next VM entry (25.8.3) and notes it in last_event. */
void vmx_inject_exception(struct vcpu *v, int vector, int has_error_code, uint32_t error_code,
                          const char *why);
/* RFLAGS.RF set in the guest state when `vector` is a fault-class exception (vmx_events.c). */
void vmx_fault_rflags(int vector);
/* The guest's current privilege level: SS.DPL, bits 6:5 of its access rights (SDM 5.5,
 * Vol. 3C 24.4.1); inline: the timer and the sampler read it on hot exits. */
static inline int vmx_guest_cpl(void) { return (vmcs_read32(VMCS_GUEST_SS_AR) >> 5) & 3; }
/* Whether the guest runs 64-bit code (CS.L, bit 13 of its access rights). */
static inline int vmx_guest_64bit(void) { return (vmcs_read32(VMCS_GUEST_CS_AR) >> 13) & 1; }
/* General-purpose register by its encoding in exit qualifications (0 RAX ... 15 R15);
 * reads are truncated to 32 bits outside 64-bit mode. */
uint64_t vmx_gpr_read(struct vmx_vcpu *x, int index);
void vmx_gpr_write(struct vmx_vcpu *x, int index, uint64_t value);
/* Writes a 32-bit result into a register as a 32-bit operation would (upper half zeroed). */
static inline void set32(uint64_t *reg, uint64_t v) { *reg = v & 0xFFFFFFFFull; }

/* Where a guest's xAPIC registers are (IA32_APIC_BASE, fixed: the guest cannot move them). */
#define GUEST_XAPIC_BASE 0xFEE00000ull

/* Delivers what the virtual LAPIC has pending, or opens a window exit (vmx_events.c). */
void vmx_deliver_events(struct vcpu *v);
/* After each exit, before its handler: re-injects the event the exit interrupted (IDT-vectoring
 * information) and restores NMI blocking after a faulting IRET (vmx_events.c, vmx_reinject.c). */
void vmx_complete_events_slow(uint32_t reason, uint32_t idt_info);
static inline __attribute__((always_inline)) void vmx_complete_events(uint32_t reason)
{
    uint32_t idt = vmcs_read32(VMCS_IDT_VECTORING_INFO);   /* the common case: one VMREAD */
    if (__builtin_expect((idt & INTR_INFO_VALID) || reason == EXIT_EPT_VIOLATION ||
                         reason == EXIT_EXCEPTION_NMI, 0))
        vmx_complete_events_slow(reason, idt);
}

/* The guest's paging registers changed within this exit (vmx_guest.c caches them). */
void vmx_guest_paging_changed(void);

/* DR0-3 and DR6 of the vCPU leaving / arriving (vmx_debug.c). */
void vmx_debug_regs_save(struct vmx_vcpu *x);
void vmx_debug_regs_load(const struct vmx_vcpu *x);

/* Prints the guest state after an exit we cannot handle. */
void vmx_dump_guest(struct vcpu *v, uint32_t reason);

#endif
