/* Decoding the guest instruction behind an MMIO exit.  An EPT violation reports the
 * guest-physical address but neither the data nor the instruction length, so the lead fetches
 * up to 15 bytes at the guest's RIP (through the guest's paging) and decodes them here.
 *
 * Only the MOV forms compilers emit for 16/32/64-bit device registers (SDM Vol. 2B "MOV"):
 *   8B /r      mov r, m        (load)             89 /r  mov m, r  (store)
 *   C7 /0 imm  mov m, imm16/32 (store)            A1 / A3 moffs: mov rAX, [moffs] / the store
 * in 16-, 32- and 64-bit code, with prefixes (Vol. 2A 2.1.1, 2.2.1): operand size 66, address
 * size 67, segment overrides 26 2E 36 3E 64 65, and in 64-bit mode one REX (40-4F) right before
 * the opcode (W: 64-bit operand, R: reg 8-15, X/B: SIB/ModRM registers); ModRM, SIB, disp8/16/32,
 * RIP-relative, 16-bit addressing.  Register operands (ModRM.mod = 3) are not memory and are
 * refused, as are LOCK, REP/REPNE (XACQUIRE/XRELEASE hints), byte forms and everything else.
 *
 * For the lead: a 4-byte load into a GPR in 64-bit mode zero-extends to 64 bits; a 2-byte
 * load leaves bits 63:16 alone (Vol. 1 3.4.1.1).  Pure, bounded: never reads past `avail`. */
#ifndef ARCH_X86_INSN_DECODE_H
#define ARCH_X86_INSN_DECODE_H

#include <stddef.h>
#include <stdint.h>

#define INSN_MAX_LEN 15         /* longer is #GP on the CPU (Vol. 2A 2.3.11) */

struct insn_mov {
    uint8_t length;     /* bytes, prefixes included: the lead adds it to RIP */
    uint8_t is_write;   /* 1: register/immediate -> memory */
    uint8_t size;       /* operand size in bytes: 2, 4, or 8 (REX.W) */
    int8_t reg;         /* GPR in ModRM/REX order (0 rAX .. 7 rDI, 8-15 r8-r15), -1: immediate */
    int8_t seg;         /* segment override (0 ES, 1 CS, 2 SS, 3 DS, 4 FS, 5 GS), -1: none */
    uint64_t imm;       /* C7: the immediate, sign-extended to 64 bits when size is 8 */
};

/* mode: 16, 32 or 64 (the code segment's default size, or 64-bit mode).  0 and *out, or -1
 * when the bytes are not one of the forms above or end before the instruction does. */
int insn_decode_mov(const uint8_t *bytes, size_t avail, int mode, struct insn_mov *out);

#endif
