/* Compile-time checks of what arch/x86/vmx/vmx_entry.asm types by hand: the offsets of struct
 * guest_regs (its R_* %defines) and the VMCS encoding it writes with VMWRITE (SDM Vol. 3
 * Appendix B.4.4: host RSP, natural width, 6C14H).  Change one side and the build stops here
 * until the other follows.  No code. */
#include <stddef.h>
#include "arch/x86/vmx/vmx.h"
#include "arch/x86/vmx/vmcs.h"

#define ASM_OFFSET(field, asm_value) \
    _Static_assert(offsetof(struct guest_regs, field) == (asm_value), \
                   "vmx_entry.asm: offset of guest_regs." #field " is not " #asm_value)

ASM_OFFSET(rax, 0);
ASM_OFFSET(rbx, 8);
ASM_OFFSET(rcx, 16);
ASM_OFFSET(rdx, 24);
ASM_OFFSET(rsi, 32);
ASM_OFFSET(rdi, 40);
ASM_OFFSET(rbp, 48);
ASM_OFFSET(r8, 56);
ASM_OFFSET(r9, 64);
ASM_OFFSET(r10, 72);
ASM_OFFSET(r11, 80);
ASM_OFFSET(r12, 88);
ASM_OFFSET(r13, 96);
ASM_OFFSET(r14, 104);
ASM_OFFSET(r15, 112);
ASM_OFFSET(entry_tsc, 120);
ASM_OFFSET(exit_tsc, 128);
_Static_assert(sizeof(struct guest_regs) == 136, "vmx_entry.asm: struct guest_regs grew");
_Static_assert(VMCS_HOST_RSP == 0x6C14, "vmx_entry.asm: VMCS_HOST_RSP");
