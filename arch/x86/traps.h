/* Host exception handling: IDT setup, register dump, exception-table fixups. */
#ifndef ARCH_X86_TRAPS_H
#define ARCH_X86_TRAPS_H

#include <stdint.h>

struct trap_frame {             /* pushed by arch/x86/trap_entry.asm, lowest address first */
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
    uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
    uint64_t vector, error_code;
    uint64_t rip, cs, rflags, rsp, ss;  /* pushed by the CPU */
};
_Static_assert(sizeof(struct trap_frame) == 22 * 8, "trap_frame must match traps.asm");

void idt_init(void);
void trap_handler(struct trap_frame *f);

/* An NMI that caused a VM exit: runs the host NMI handler through a synthesized interrupt frame
 * ending in IRET (trap_entry.asm), which lifts the NMI blocking the exit left in force, so a PMI
 * arriving while the hypervisor handles the exit is taken in the hypervisor, not after the next
 * VM entry against the next guest's RIP.  For this NMI the handler calls fn(ctx) (the guest's
 * sample) instead of sampling the hypervisor; fn returns 1 if the NMI was the PMU's. */
void trap_nmi_exit(int (*fn)(void *ctx), void *ctx);

#endif
