/* arch/x86/insn_decode.c: the MOV forms behind an xAPIC MMIO exit (SDM Vol. 2A chapter 2,
 * Vol. 2B "MOV").  Every encoding below was assembled by GNU as (--64, --32, .code16) and the
 * bytes copied from objdump -d; the comment is the AT&T source line. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "arch/x86/insn_decode.h"

enum { RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8, R9, R10, R11, R12, R13, R14, R15 };
enum { NOSEG = -1, ES, CS, SS, DS, FS, GS };
#define IMM (-1)
#define RD 0
#define WR 1

struct enc {
    int mode;
    uint8_t len;
    uint8_t bytes[15];
    uint8_t is_write, size;
    int8_t reg, seg;
    uint64_t imm;
    const char *src;
};

static const struct enc table[] = {
    /* ---- 64-bit mode ---- */
    { 64, 2, { 0x8b, 0x00 }, RD, 4, RAX, NOSEG, 0, "mov (%rax),%eax" },
    { 64, 2, { 0x89, 0x03 }, WR, 4, RAX, NOSEG, 0, "mov %eax,(%rbx)" },
    { 64, 6, { 0x8b, 0x8f, 0x00, 0x03, 0x00, 0x00 }, RD, 4, RCX, NOSEG, 0, "mov 0x300(%rdi),%ecx" },
    { 64, 6, { 0x89, 0x96, 0xb0, 0x00, 0x00, 0x00 }, WR, 4, RDX, NOSEG, 0, "mov %edx,0xb0(%rsi)" },
    { 64, 9, { 0xa1, 0x20, 0x00, 0xe0, 0xfe, 0x00, 0x00, 0x00, 0x00 }, RD, 4, RAX, NOSEG, 0,
      "movabs 0xfee00020,%eax" },
    { 64, 9, { 0xa3, 0xb0, 0x00, 0xe0, 0xfe, 0x00, 0x00, 0x00, 0x00 }, WR, 4, RAX, NOSEG, 0,
      "movabs %eax,0xfee000b0" },
    { 64, 10, { 0x48, 0xa1, 0x20, 0x00, 0xe0, 0xfe, 0x00, 0x00, 0x00, 0x00 }, RD, 8, RAX, NOSEG, 0,
      "movabs 0xfee00020,%rax" },
    { 64, 6, { 0x67, 0xa1, 0x20, 0x00, 0xe0, 0xfe }, RD, 4, RAX, NOSEG, 0,
      "addr32 mov 0xfee00020,%eax" },
    { 64, 10, { 0xc7, 0x80, 0x40, 0x03, 0x00, 0x00, 0x78, 0x56, 0x34, 0x12 }, WR, 4, IMM, NOSEG,
      0x12345678, "movl $0x12345678,0x340(%rax)" },
    { 64, 11, { 0x41, 0xc7, 0x80, 0xb0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00 }, WR, 4, IMM,
      NOSEG, 0, "movl $0x0,0xb0(%r8)" },
    { 64, 3, { 0x45, 0x8b, 0x11 }, RD, 4, R10, NOSEG, 0, "mov (%r9),%r10d" },
    { 64, 5, { 0x47, 0x89, 0x7c, 0xac, 0x10 }, WR, 4, R15, NOSEG, 0,
      "mov %r15d,0x10(%r12,%r13,4)" },
    { 64, 7, { 0x8b, 0xac, 0x24, 0x80, 0x00, 0x00, 0x00 }, RD, 4, RBP, NOSEG, 0,
      "mov 0x80(%rsp),%ebp" },
    { 64, 6, { 0x8b, 0x05, 0x34, 0x12, 0x00, 0x00 }, RD, 4, RAX, NOSEG, 0, "mov 0x1234(%rip),%eax" },
    { 64, 10, { 0xc7, 0x05, 0x00, 0x01, 0x00, 0x00, 0xef, 0xbe, 0xad, 0xde }, WR, 4, IMM, NOSEG,
      0xdeadbeef, "movl $0xdeadbeef,0x100(%rip)" },
    { 64, 3, { 0x8b, 0x45, 0x00 }, RD, 4, RAX, NOSEG, 0, "mov 0x0(%rbp),%eax" },
    { 64, 7, { 0x8b, 0x34, 0xcd, 0x20, 0x00, 0x00, 0x00 }, RD, 4, RSI, NOSEG, 0,
      "mov 0x20(,%rcx,8),%esi" },
    { 64, 7, { 0x8b, 0x0c, 0x25, 0x20, 0x00, 0x00, 0x00 }, RD, 4, RCX, NOSEG, 0, "mov 0x20,%ecx" },
    { 64, 4, { 0x41, 0x8b, 0x7d, 0x00 }, RD, 4, RDI, NOSEG, 0, "mov 0x0(%r13),%edi" },
    { 64, 3, { 0x66, 0x89, 0x02 }, WR, 2, RAX, NOSEG, 0, "mov %ax,(%rdx)" },
    { 64, 6, { 0x66, 0xc7, 0x40, 0x20, 0xcd, 0xab }, WR, 2, IMM, NOSEG, 0xabcd,
      "movw $0xabcd,0x20(%rax)" },
    { 64, 3, { 0x48, 0x8b, 0x00 }, RD, 8, RAX, NOSEG, 0, "mov (%rax),%rax" },
    { 64, 7, { 0x48, 0xc7, 0x00, 0xff, 0xff, 0xff, 0xff }, WR, 8, IMM, NOSEG, ~0ull,
      "movq $0xffffffffffffffff,(%rax)" },
    { 64, 3, { 0x67, 0x8b, 0x00 }, RD, 4, RAX, NOSEG, 0, "mov (%eax),%eax" },
    { 64, 3, { 0x64, 0x8b, 0x00 }, RD, 4, RAX, FS, 0, "mov %fs:(%rax),%eax" },
    { 64, 4, { 0x65, 0x44, 0x89, 0x00 }, WR, 4, R8, GS, 0, "mov %r8d,%gs:(%rax)" },
    { 64, 5, { 0x67, 0x44, 0x8b, 0x1c, 0x24 }, RD, 4, R11, NOSEG, 0, "mov (%esp),%r11d" },
    { 64, 3, { 0x89, 0x45, 0xf8 }, WR, 4, RAX, NOSEG, 0, "mov %eax,-0x8(%rbp)" },
    { 64, 11, { 0xc7, 0x84, 0x58, 0x78, 0x56, 0x34, 0x12, 0x44, 0x33, 0x22, 0x11 }, WR, 4, IMM,
      NOSEG, 0x11223344, "movl $0x11223344,0x12345678(%rax,%rbx,2)" },
    /* A REX followed by a legacy prefix is ignored (Vol. 2A 2.2.1): 48 66 8B 00 is mov (%rax),%ax */
    { 64, 4, { 0x48, 0x66, 0x8b, 0x00 }, RD, 2, RAX, NOSEG, 0, "rex.W data16 mov (%rax),%ax" },
    /* REX.W wins over 66 */
    { 64, 4, { 0x66, 0x48, 0x8b, 0x00 }, RD, 8, RAX, NOSEG, 0, "data16 mov (%rax),%rax" },
    /* ---- 32-bit code ---- */
    { 32, 2, { 0x8b, 0x00 }, RD, 4, RAX, NOSEG, 0, "mov (%eax),%eax" },
    { 32, 2, { 0x89, 0x0b }, WR, 4, RCX, NOSEG, 0, "mov %ecx,(%ebx)" },
    { 32, 5, { 0xa1, 0x20, 0x00, 0xe0, 0xfe }, RD, 4, RAX, NOSEG, 0, "mov 0xfee00020,%eax" },
    { 32, 5, { 0xa3, 0xb0, 0x00, 0xe0, 0xfe }, WR, 4, RAX, NOSEG, 0, "mov %eax,0xfee000b0" },
    { 32, 6, { 0x8b, 0x15, 0x00, 0x03, 0xe0, 0xfe }, RD, 4, RDX, NOSEG, 0, "mov 0xfee00300,%edx" },
    { 32, 10, { 0xc7, 0x05, 0x40, 0x03, 0xe0, 0xfe, 0x00, 0x00, 0x00, 0x80 }, WR, 4, IMM, NOSEG,
      0x80000000, "movl $0x80000000,0xfee00340" },
    { 32, 10, { 0xc7, 0x87, 0x00, 0x00, 0xe0, 0xfe, 0x00, 0x00, 0x00, 0x00 }, WR, 4, IMM, NOSEG,
      0, "movl $0x0,-0x1200000(%edi)" },
    { 32, 4, { 0x8b, 0x7c, 0x24, 0x10 }, RD, 4, RDI, NOSEG, 0, "mov 0x10(%esp),%edi" },
    { 32, 3, { 0x8b, 0x75, 0x00 }, RD, 4, RSI, NOSEG, 0, "mov 0x0(%ebp),%esi" },
    { 32, 4, { 0x8b, 0x5c, 0x88, 0x04 }, RD, 4, RBX, NOSEG, 0, "mov 0x4(%eax,%ecx,4),%ebx" },
    { 32, 3, { 0x66, 0x89, 0x03 }, WR, 2, RAX, NOSEG, 0, "mov %ax,(%ebx)" },
    { 32, 5, { 0x66, 0xc7, 0x00, 0x34, 0x12 }, WR, 2, IMM, NOSEG, 0x1234, "movw $0x1234,(%eax)" },
    { 32, 3, { 0x67, 0x8b, 0x00 }, RD, 4, RAX, NOSEG, 0, "mov (%bx,%si),%eax" },
    { 32, 4, { 0x67, 0xa1, 0x00, 0x03 }, RD, 4, RAX, NOSEG, 0, "addr16 mov 0x300,%eax" },
    { 32, 5, { 0x67, 0x8b, 0x0e, 0x00, 0x03 }, RD, 4, RCX, NOSEG, 0, "addr16 mov 0x300,%ecx" },
    { 32, 4, { 0x26, 0x8b, 0x42, 0x10 }, RD, 4, RAX, ES, 0, "mov %es:0x10(%edx),%eax" },
    { 32, 7, { 0x8b, 0x04, 0x0d, 0x20, 0x00, 0xe0, 0xfe }, RD, 4, RAX, NOSEG, 0,
      "mov -0x11fffe0(,%ecx,1),%eax" },
    /* ---- 16-bit code ---- */
    { 16, 2, { 0x8b, 0x07 }, RD, 2, RAX, NOSEG, 0, "mov (%bx),%ax" },
    { 16, 2, { 0x89, 0x00 }, WR, 2, RAX, NOSEG, 0, "mov %ax,(%bx,%si)" },
    { 16, 3, { 0xa1, 0x20, 0x00 }, RD, 2, RAX, NOSEG, 0, "mov 0x20,%ax" },
    { 16, 3, { 0xa3, 0x00, 0x03 }, WR, 2, RAX, NOSEG, 0, "mov %ax,0x300" },
    { 16, 5, { 0xc7, 0x46, 0x10, 0x34, 0x12 }, WR, 2, IMM, NOSEG, 0x1234, "movw $0x1234,0x10(%bp)" },
    { 16, 3, { 0x66, 0x8b, 0x05 }, RD, 4, RAX, NOSEG, 0, "mov (%di),%eax" },
    { 16, 5, { 0x66, 0x89, 0x91, 0x34, 0x12 }, WR, 4, RDX, NOSEG, 0, "mov %edx,0x1234(%bx,%di)" },
    { 16, 7, { 0x66, 0xc7, 0x04, 0x00, 0x00, 0xe0, 0xfe }, WR, 4, IMM, NOSEG, 0xfee00000,
      "movl $0xfee00000,(%si)" },
    { 16, 4, { 0x8b, 0x0e, 0x20, 0x00 }, RD, 2, RCX, NOSEG, 0, "mov 0x20,%cx" },
    { 16, 3, { 0x8b, 0x42, 0x04 }, RD, 2, RAX, NOSEG, 0, "mov 0x4(%bp,%si),%ax" },
    { 16, 4, { 0x8b, 0x8a, 0x00, 0x10 }, RD, 2, RCX, NOSEG, 0, "mov 0x1000(%bp,%si),%cx" },
    { 16, 4, { 0x67, 0x66, 0x8b, 0x00 }, RD, 4, RAX, NOSEG, 0, "mov (%eax),%eax" },
    { 16, 7, { 0x67, 0x66, 0xa1, 0x20, 0x00, 0xe0, 0xfe }, RD, 4, RAX, NOSEG, 0,
      "addr32 mov 0xfee00020,%eax" },
    { 16, 6, { 0x67, 0x66, 0x8b, 0x5c, 0x24, 0x08 }, RD, 4, RBX, NOSEG, 0, "mov 0x8(%esp),%ebx" },
    { 16, 3, { 0x2e, 0x8b, 0x17 }, RD, 2, RDX, CS, 0, "mov %cs:(%bx),%dx" },
};
#define NTABLE (sizeof(table) / sizeof(table[0]))

/* Decodes exactly n bytes held in a heap block of that size, so ASan sees any read past it. */
static int decode_exact(const uint8_t *bytes, size_t n, int mode, struct insn_mov *out)
{
    uint8_t *buf = malloc(n ? n : 1);
    int r;
    assert_non_null(buf);
    memcpy(buf, bytes, n);
    r = insn_decode_mov(buf, n, mode, out);
    free(buf);
    return r;
}

static void check(const struct enc *e, const struct insn_mov *m)
{
    if (m->length != e->len || m->is_write != e->is_write || m->size != e->size ||
        m->reg != e->reg || m->seg != e->seg || m->imm != e->imm)
        fail_msg("%d-bit \"%s\": got length %u write %u size %u reg %d seg %d imm %#llx",
                 e->mode, e->src, m->length, m->is_write, m->size, m->reg, m->seg,
                 (unsigned long long)m->imm);
}

/* Every table entry of that mode decodes to exactly its length, direction, size, register,
 * segment and immediate. */
static void decode_mode(int mode)
{
    int seen = 0;
    for (size_t i = 0; i < NTABLE; i++) {
        struct insn_mov m;
        if (table[i].mode != mode)
            continue;
        memset(&m, 0xA5, sizeof(m));
        if (decode_exact(table[i].bytes, table[i].len, table[i].mode, &m))
            fail_msg("%d-bit \"%s\" not decoded", table[i].mode, table[i].src);
        check(&table[i], &m);
        seen++;
    }
    assert_true(seen > 10);
}

static void test_64bit_forms(void **state) { (void)state; decode_mode(64); }
static void test_32bit_forms(void **state) { (void)state; decode_mode(32); }
static void test_16bit_forms(void **state) { (void)state; decode_mode(16); }

/* The lead fetches 15 bytes: what follows the instruction must not change the answer. */
static void test_trailing_bytes_ignored(void **state)
{
    (void)state;
    for (size_t i = 0; i < NTABLE; i++) {
        uint8_t buf[INSN_MAX_LEN + 5];
        struct insn_mov m;
        memset(buf, 0xCC, sizeof(buf));
        memcpy(buf, table[i].bytes, table[i].len);
        assert_int_equal(decode_exact(buf, sizeof(buf), table[i].mode, &m), 0);
        check(&table[i], &m);
    }
}

/* Every truncation of a valid instruction is refused, without reading past the end. */
static void test_truncated_refused(void **state)
{
    (void)state;
    for (size_t i = 0; i < NTABLE; i++)
        for (size_t n = 0; n < table[i].len; n++) {
            struct insn_mov m;
            if (decode_exact(table[i].bytes, n, table[i].mode, &m) != -1)
                fail_msg("\"%s\" cut to %zu bytes was accepted", table[i].src, n);
        }
}

/* Register operands (mod 3), LOCK, REP, C7 /1-7, byte forms, other opcodes, REX outside
 * 64-bit mode (INC/DEC there), an unknown mode. */
static void test_unsupported_refused(void **state)
{
    (void)state;
    static const struct { int mode; uint8_t len, bytes[15]; } bad[] = {
        { 64, 2, { 0x8b, 0xc0 } },                  /* mov %eax,%eax: no memory */
        { 32, 2, { 0x89, 0xd8 } },
        { 64, 6, { 0xc7, 0xc0, 1, 0, 0, 0 } },      /* mov $1,%eax (C7 /0 mod 3) */
        { 64, 7, { 0xc7, 0x48, 0x10, 1, 0, 0, 0 } },/* C7 /1 */
        { 64, 6, { 0xc7, 0xf8, 0, 0, 0, 0 } },      /* xbegin */
        { 64, 3, { 0xf0, 0x89, 0x00 } },            /* lock mov: #UD */
        { 64, 3, { 0xf3, 0x89, 0x00 } },            /* xrelease mov */
        { 64, 3, { 0xf2, 0x8b, 0x00 } },
        { 64, 2, { 0x88, 0x00 } },                  /* mov %al,(%rax): byte forms */
        { 64, 2, { 0x8a, 0x00 } },
        { 64, 3, { 0xc6, 0x00, 0x12 } },
        { 32, 5, { 0xa0, 0x20, 0x00, 0xe0, 0xfe } },
        { 32, 5, { 0xa2, 0x20, 0x00, 0xe0, 0xfe } },
        { 64, 2, { 0x0f, 0x0b } },                  /* ud2 */
        { 64, 3, { 0x0f, 0xb6, 0x00 } },            /* movzbl */
        { 64, 3, { 0x87, 0x00, 0x00 } },            /* xchg */
        { 64, 5, { 0xc5, 0xf8, 0x10, 0x00, 0x00 } },/* VEX */
        { 32, 3, { 0x40, 0x8b, 0x00 } },            /* inc %eax; mov */
        { 16, 3, { 0x48, 0x8b, 0x00 } },
        { 64, 1, { 0x90 } },
        { 64, 3, { 0x66, 0x67, 0x66 } },            /* prefixes only */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct insn_mov m;
        if (decode_exact(bad[i].bytes, bad[i].len, bad[i].mode, &m) != -1)
            fail_msg("bad[%zu] was accepted", i);
    }
    assert_int_equal(decode_exact((const uint8_t[]){ 0x8b, 0x00 }, 2, 8, &(struct insn_mov){ 0 }),
                     -1);
}

/* More than 15 bytes is no instruction (#GP): 14 prefixes + mov (%rax),%eax needs 16. */
static void test_longer_than_15_refused(void **state)
{
    (void)state;
    uint8_t buf[20];
    struct insn_mov m;
    memset(buf, 0x3e, sizeof(buf));
    buf[13] = 0x8b;
    buf[14] = 0x00;                                         /* 15 bytes: fine */
    assert_int_equal(decode_exact(buf, sizeof(buf), 64, &m), 0);
    assert_int_equal(m.length, 15);
    memset(buf, 0x3e, sizeof(buf));
    buf[14] = 0x8b;
    buf[15] = 0x00;                                         /* 16 bytes */
    assert_int_equal(decode_exact(buf, sizeof(buf), 64, &m), -1);
}

/* Random bytes in every mode: never a read out of bounds, never a length beyond what was given. */
static void test_random_bytes_stay_in_bounds(void **state)
{
    (void)state;
    static const int modes[] = { 16, 32, 64 };
    uint32_t x = 12345;
    for (int iter = 0; iter < 200000; iter++) {
        uint8_t buf[15];
        size_t n;
        struct insn_mov m;
        for (size_t j = 0; j < sizeof(buf); j++) {
            x = x * 1103515245u + 12345u;
            buf[j] = (uint8_t)(x >> 16);
            /* bias toward the interesting bytes so the accepting paths are exercised */
            if ((x >> 8 & 7) == 0)
                buf[j] = (const uint8_t[]){ 0x8b, 0x89, 0xc7, 0xa1, 0xa3, 0x66, 0x67, 0x48 }[x >> 24 & 7];
        }
        n = (x >> 4) % 16;
        if (decode_exact(buf, n, modes[iter % 3], &m) == 0) {
            assert_true(m.length >= 1 && m.length <= n);
            assert_true(m.size == 2 || m.size == 4 || m.size == 8);
            assert_true(m.reg >= -1 && m.reg <= 15);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_64bit_forms),
        cmocka_unit_test(test_32bit_forms),
        cmocka_unit_test(test_16bit_forms),
        cmocka_unit_test(test_trailing_bytes_ignored),
        cmocka_unit_test(test_truncated_refused),
        cmocka_unit_test(test_unsupported_refused),
        cmocka_unit_test(test_longer_than_15_refused),
        cmocka_unit_test(test_random_bytes_stay_in_bounds),
    };
    return cmocka_run_group_tests_name("arch/x86/insn_decode.c", tests, NULL, NULL);
}
