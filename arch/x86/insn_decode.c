/* MOV-to/from-memory decoding (SDM Vol. 2A chapter 2 "Instruction Format", Vol. 2B "MOV"). */
#include "arch/x86/insn_decode.h"

#define OP_MOV_LOAD     0x8B    /* mov r16/32/64, r/m */
#define OP_MOV_STORE    0x89    /* mov r/m, r16/32/64 */
#define OP_MOV_IMM      0xC7    /* mov r/m, imm16/32 (/0) */
#define OP_MOV_LOAD_AX  0xA1    /* mov rAX, moffs */
#define OP_MOV_STORE_AX 0xA3    /* mov moffs, rAX */

#define PFX_OPSIZE      0x66
#define PFX_ADDRSIZE    0x67

#define REX_W 8     /* 64-bit operand */
#define REX_R 4     /* ModRM.reg extension */

#define MODRM_MOD(m)    ((m) >> 6)
#define MODRM_REG(m)    (((m) >> 3) & 7)
#define MODRM_RM(m)     ((m) & 7)
#define SIB_BASE(s)     ((s) & 7)

struct cursor {
    const uint8_t *p;
    size_t n, i;        /* n: bytes we may read (avail capped at INSN_MAX_LEN) */
};

static int next(struct cursor *c, uint8_t *b)
{
    if (c->i >= c->n)
        return -1;
    *b = c->p[c->i++];
    return 0;
}

static int skip(struct cursor *c, size_t k)
{
    if (k > c->n - c->i)
        return -1;
    c->i += k;
    return 0;
}

/* Reads a little-endian immediate of k bytes (2, 4). */
static int imm(struct cursor *c, size_t k, uint64_t *v)
{
    if (k > c->n - c->i)
        return -1;
    *v = 0;
    for (size_t j = 0; j < k; j++)
        *v |= (uint64_t)c->p[c->i + j] << (8 * j);
    c->i += k;
    return 0;
}

static int segment(uint8_t b)
{
    switch (b) {
    case 0x26: return 0;
    case 0x2E: return 1;
    case 0x36: return 2;
    case 0x3E: return 3;
    case 0x64: return 4;
    case 0x65: return 5;
    default:   return -1;
    }
}

/* The memory operand after ModRM (Vol. 2A Tables 2-1, 2-2, 2-3): SIB and displacement. */
static int memory_operand(struct cursor *c, uint8_t modrm, int addr_bits)
{
    unsigned mod = MODRM_MOD(modrm), rm = MODRM_RM(modrm);
    uint8_t sib;

    if (mod == 3)
        return -1;                      /* a register, not memory */
    if (addr_bits == 16) {              /* [bx+si] ... ; mod 0 rm 6 is disp16 alone */
        if (mod == 1)
            return skip(c, 1);
        return skip(c, mod == 2 || (mod == 0 && rm == 6) ? 2 : 0);
    }
    if (rm == 4) {                      /* SIB follows; base 5 with mod 0: disp32, no base */
        if (next(c, &sib))
            return -1;
        if (mod == 0 && SIB_BASE(sib) == 5)
            return skip(c, 4);
    } else if (mod == 0 && rm == 5) {   /* disp32; RIP-relative in 64-bit mode (2.2.1.6) */
        return skip(c, 4);
    }
    return skip(c, mod == 1 ? 1 : mod == 2 ? 4 : 0);
}

int insn_decode_mov(const uint8_t *bytes, size_t avail, int mode, struct insn_mov *out)
{
    struct cursor c = { bytes, avail < INSN_MAX_LEN ? avail : INSN_MAX_LEN, 0 };
    int opsize16 = 0, addrsize = 0, seg = -1, op_bytes, addr_bits;
    uint8_t b, rex = 0, modrm;
    struct insn_mov r;

    if (mode != 16 && mode != 32 && mode != 64)
        return -1;
    for (;;) {                          /* legacy prefixes, then REX (64-bit mode only) */
        if (next(&c, &b))
            return -1;
        if (b == PFX_OPSIZE)
            opsize16 = 1;
        else if (b == PFX_ADDRSIZE)
            addrsize = 1;
        else if (segment(b) >= 0)
            seg = segment(b);
        else if (mode == 64 && (b & 0xF0) == 0x40)
            rex = b;                    /* a REX followed by another prefix is ignored... */
        else
            break;
        if ((b & 0xF0) != 0x40 || mode != 64)
            rex = 0;                    /* ...so only the one right before the opcode counts */
    }
    /* Operand size (Vol. 1 3.6, Vol. 2A 2.2.1.2): REX.W wins over 66. */
    if (rex & REX_W)
        op_bytes = 8;
    else
        op_bytes = (mode == 16) != opsize16 ? 2 : 4;
    /* Address size: 64-bit mode 64 (67: 32); else the mode's, 67 toggles 16 <-> 32. */
    if (mode == 64)
        addr_bits = addrsize ? 32 : 64;
    else
        addr_bits = (mode == 16) != addrsize ? 16 : 32;

    r.size = (uint8_t)op_bytes;
    r.seg = (int8_t)seg;
    r.imm = 0;
    switch (b) {
    case OP_MOV_LOAD:
    case OP_MOV_STORE:
    case OP_MOV_IMM:
        if (next(&c, &modrm) || memory_operand(&c, modrm, addr_bits))
            return -1;
        r.is_write = b != OP_MOV_LOAD;
        if (b == OP_MOV_IMM) {
            if (MODRM_REG(modrm) != 0)
                return -1;              /* C7 /0 only */
            if (imm(&c, op_bytes == 2 ? 2 : 4, &r.imm))
                return -1;
            if (op_bytes == 8)          /* imm32 sign-extended to 64 bits */
                r.imm = (uint64_t)(int64_t)(int32_t)(uint32_t)r.imm;
            r.reg = -1;
        } else {
            r.reg = (int8_t)(MODRM_REG(modrm) | ((rex & REX_R) ? 8 : 0));
        }
        break;
    case OP_MOV_LOAD_AX:
    case OP_MOV_STORE_AX:               /* the offset is address-size wide (Vol. 2B MOV) */
        if (skip(&c, (size_t)addr_bits / 8))
            return -1;
        r.is_write = b == OP_MOV_STORE_AX;
        r.reg = 0;
        break;
    default:
        return -1;                      /* LOCK, REP, 0F, byte forms, other opcodes */
    }
    r.length = (uint8_t)c.i;
    *out = r;
    return 0;
}
