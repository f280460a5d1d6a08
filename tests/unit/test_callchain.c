/* pmu/sampling/callchain.c: frame-pointer walks over a fake guest stack.  Layout (System V, i386 and
 * x86-64): [fp] = the caller's fp, [fp + word] = the return address. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "pmu/sampling/callchain.h"

/* The fake stack: linear addresses [STACK_BASE, STACK_BASE + STACK_SIZE). */
#define STACK_BASE 0x7FF000000ull
#define STACK_SIZE 0x300000u            /* 3 MiB: room for a frame more than 1 MiB away */

static struct fake_stack {
    uint8_t bytes[STACK_SIZE];
    int reads;
    uint64_t last_addr, last_len;
    uint64_t fail_at;                   /* a read of this address fails (0: none) */
} st;

static int read_stack(void *ctx, uint64_t addr, void *buf, uint64_t len)
{
    struct fake_stack *s = ctx;
    assert_ptr_equal(s, &st);
    s->reads++;
    s->last_addr = addr;
    s->last_len = len;
    if (addr == s->fail_at || addr < STACK_BASE || addr - STACK_BASE > STACK_SIZE ||
        len > STACK_SIZE - (addr - STACK_BASE))
        return -1;
    memcpy(buf, s->bytes + (addr - STACK_BASE), len);
    return 0;
}

/* Writes a frame at fp: the saved fp, then the return address, in words of 4 or 8 bytes. */
static void frame(int word64, uint64_t fp, uint64_t saved_fp, uint64_t ret)
{
    uint8_t *p = st.bytes + (fp - STACK_BASE);
    if (word64) {
        memcpy(p, &saved_fp, 8);
        memcpy(p + 8, &ret, 8);
    } else {
        uint32_t a = (uint32_t)saved_fp, b = (uint32_t)ret;
        memcpy(p, &a, 4);
        memcpy(p + 4, &b, 4);
    }
}

static uint64_t out[64];

static int walk(uint64_t fp, int word64, int max)
{
    for (size_t i = 0; i < sizeof(out) / sizeof(out[0]); i++)
        out[i] = 0xBADBADBADull;
    return callchain_walk(fp, word64, max, out, read_stack, &st);
}

static int setup(void **state)
{
    (void)state;
    memset(&st, 0, sizeof(st));
    return 0;
}

#define F0 (STACK_BASE + 0x1000)
#define F1 (STACK_BASE + 0x1040)
#define F2 (STACK_BASE + 0x10A0)

static void build_chain(int word64)
{
    frame(word64, F0, F1, 0x401111);
    frame(word64, F1, F2, 0x402222);
    frame(word64, F2, 0, 0x403333);     /* outermost: saved fp 0 */
}

static void test_three_frames_64(void **state)
{
    (void)state;
    build_chain(1);
    assert_int_equal(walk(F0, 1, 16), 3);
    assert_int_equal(out[0], 0x401111);
    assert_int_equal(out[1], 0x402222);
    assert_int_equal(out[2], 0x403333);
    assert_int_equal(out[3], 0xBADBADBADull);           /* nothing written past the count */
    assert_int_equal(st.reads, 3);
    assert_int_equal(st.last_addr, F2);
    assert_int_equal(st.last_len, 16);
}

static void test_three_frames_64_high_addresses(void **state)
{
    (void)state;
    frame(1, F0, F1, 0xFFFFFFFF81000123ull);             /* kernel text at -2 GiB */
    frame(1, F1, F2, 0xFFFFFFFF81000456ull);
    frame(1, F2, 0, 0x00007F0000001000ull);
    assert_int_equal(walk(F0, 1, 16), 3);
    assert_int_equal(out[0], 0xFFFFFFFF81000123ull);
    assert_int_equal(out[1], 0xFFFFFFFF81000456ull);
    assert_int_equal(out[2], 0x00007F0000001000ull);
}

/* A 32-bit stack must lie below 4 GiB (saved fps are 4 bytes): a second fake memory. */
static uint8_t low_stack[0x2000];
static uint64_t low_base, low_last_len;
static int low_reads;
static int read_low(void *ctx, uint64_t addr, void *buf, uint64_t len)
{
    assert_ptr_equal(ctx, low_stack);
    low_reads++;
    low_last_len = len;
    if (addr < low_base || addr - low_base > sizeof(low_stack) ||
        len > sizeof(low_stack) - (addr - low_base))
        return -1;
    memcpy(buf, low_stack + (addr - low_base), len);
    return 0;
}

static void low_frame(uint32_t fp, uint32_t saved, uint32_t ret)
{
    memcpy(low_stack + (fp - low_base), &saved, 4);
    memcpy(low_stack + (fp - low_base) + 4, &ret, 4);
}

static void test_three_frames_32(void **state)
{
    (void)state;
    low_base = 0x00100000;
    memset(low_stack, 0x55, sizeof(low_stack));          /* junk beyond each 8-byte frame */
    low_frame(0x00100FF4, 0x00101010, 0xC0101111u);     /* 4-aligned, not 8-aligned: fine */
    low_frame(0x00101010, 0x00101804, 0xC0102222u);
    low_frame(0x00101804, 0, 0x08048333u);
    low_reads = 0;
    assert_int_equal(callchain_walk(0x00100FF4, 0, 16, out, read_low, low_stack), 3);
    assert_int_equal(out[0], 0xC0101111u);
    assert_int_equal(out[1], 0xC0102222u);
    assert_int_equal(out[2], 0x08048333u);
    assert_int_equal(low_reads, 3);
    assert_int_equal(low_last_len, 8);                   /* two 4-byte words per frame */
    /* max depth, a self-loop, and a decreasing saved fp in 32-bit frames */
    assert_int_equal(callchain_walk(0x00100FF4, 0, 2, out, read_low, low_stack), 2);
    low_frame(0x00101010, 0x00101010, 0xC0102222u);
    assert_int_equal(callchain_walk(0x00100FF4, 0, 16, out, read_low, low_stack), 2);
    assert_int_equal(out[1], 0xC0102222u);
    low_frame(0x00101010, 0x00100FF0, 0xC0102222u);
    assert_int_equal(callchain_walk(0x00100FF4, 0, 16, out, read_low, low_stack), 2);
    assert_int_equal(callchain_walk(0x00100FF2, 0, 16, out, read_low, low_stack), 0);
}

static void test_max_depth_honoured(void **state)
{
    (void)state;
    build_chain(1);
    assert_int_equal(walk(F0, 1, 2), 2);
    assert_int_equal(out[0], 0x401111);
    assert_int_equal(out[1], 0x402222);
    assert_int_equal(out[2], 0xBADBADBADull);
    assert_int_equal(st.reads, 2);
    st.reads = 0;
    assert_int_equal(walk(F0, 1, 1), 1);
    assert_int_equal(out[0], 0x401111);
    assert_int_equal(out[1], 0xBADBADBADull);
    st.reads = 0;
    assert_int_equal(walk(F0, 1, 0), 0);
    assert_int_equal(st.reads, 0);
    assert_int_equal(out[0], 0xBADBADBADull);
}

static void test_long_chain_stops_at_max(void **state)
{
    (void)state;
    for (int i = 0; i < 40; i++)
        frame(1, STACK_BASE + 0x100 + 0x40 * i, STACK_BASE + 0x100 + 0x40 * (i + 1), 0x500000 + i);
    assert_int_equal(walk(STACK_BASE + 0x100, 1, 32), 32);
    for (int i = 0; i < 32; i++)
        assert_int_equal(out[i], 0x500000 + i);
    assert_int_equal(out[32], 0xBADBADBADull);
}

static void test_fp_zero(void **state)
{
    (void)state;
    build_chain(1);
    assert_int_equal(walk(0, 1, 16), 0);
    assert_int_equal(walk(0, 0, 16), 0);
    assert_int_equal(st.reads, 0);
}

static void test_misaligned_fp(void **state)
{
    (void)state;
    build_chain(1);
    assert_int_equal(walk(F0 + 4, 1, 16), 0);            /* 64-bit: 8-byte alignment */
    assert_int_equal(walk(F0 + 1, 1, 16), 0);
    assert_int_equal(walk(F0 + 2, 0, 16), 0);            /* 32-bit: 4-byte alignment */
    assert_int_equal(st.reads, 0);
    /* a misaligned saved fp ends the chain after the frame that holds it */
    frame(1, F1, F2 + 3, 0x402222);
    assert_int_equal(walk(F0, 1, 16), 2);
    assert_int_equal(out[0], 0x401111);
    assert_int_equal(out[1], 0x402222);
}

static void test_self_loop(void **state)
{
    (void)state;
    frame(1, F0, F0, 0x401111);
    assert_int_equal(walk(F0, 1, 64), 1);
    assert_int_equal(out[0], 0x401111);
    assert_int_equal(st.reads, 1);
    /* a loop one frame further out */
    st.reads = 0;
    frame(1, F0, F1, 0x401111);
    frame(1, F1, F1, 0x402222);
    assert_int_equal(walk(F0, 1, 64), 2);
    assert_int_equal(out[1], 0x402222);
    assert_int_equal(st.reads, 2);
}

static void test_decreasing_fp(void **state)
{
    (void)state;
    frame(1, F1, F0, 0x402222);                          /* points back down the stack */
    frame(1, F0, F1, 0x401111);
    assert_int_equal(walk(F1, 1, 64), 1);
    assert_int_equal(out[0], 0x402222);
    assert_int_equal(st.reads, 1);
    /* in the middle of a chain */
    st.reads = 0;
    frame(1, F0, F2, 0x401111);
    frame(1, F2, F1, 0x403333);
    assert_int_equal(walk(F0, 1, 64), 2);
    assert_int_equal(out[0], 0x401111);
    assert_int_equal(out[1], 0x403333);
    assert_int_equal(st.reads, 2);
}

static void test_far_jump(void **state)
{
    (void)state;
    uint64_t near = F0 + CALLCHAIN_MAX_FRAME;            /* exactly 1 MiB: still a frame */
    uint64_t far = near + 0x40 + CALLCHAIN_MAX_FRAME + 8; /* just over 1 MiB from near+0x40 */
    assert_int_equal(CALLCHAIN_MAX_FRAME, 0x100000);
    frame(1, F0, near, 0x401111);
    frame(1, near, near + 0x40, 0x402222);
    frame(1, near + 0x40, far, 0x403333);
    frame(1, far, 0, 0x404444);
    assert_true(far + 16 <= STACK_BASE + STACK_SIZE);
    assert_int_equal(walk(F0, 1, 64), 3);
    assert_int_equal(out[0], 0x401111);
    assert_int_equal(out[1], 0x402222);
    assert_int_equal(out[2], 0x403333);
    assert_int_equal(st.reads, 3);
    /* 1 MiB + 8 from the start */
    st.reads = 0;
    frame(1, F0, F0 + CALLCHAIN_MAX_FRAME + 8, 0x401111);
    frame(1, F0 + CALLCHAIN_MAX_FRAME + 8, 0, 0x402222);
    assert_int_equal(walk(F0, 1, 64), 1);
    assert_int_equal(st.reads, 1);
}

static void test_unreadable(void **state)
{
    (void)state;
    build_chain(1);
    st.fail_at = F1;                                     /* the second frame cannot be read */
    assert_int_equal(walk(F0, 1, 16), 1);
    assert_int_equal(out[0], 0x401111);
    assert_int_equal(st.reads, 2);
    /* fp outside the stack altogether */
    st.fail_at = 0;
    assert_int_equal(walk(0x1000, 1, 16), 0);
    /* the last frame straddles the end of readable memory */
    uint64_t last = STACK_BASE + STACK_SIZE - 8;
    frame(1, F2, last, 0x403333);
    assert_int_equal(walk(F0, 1, 16), 3);
    assert_int_equal(out[2], 0x403333);
}

static void test_return_address_zero(void **state)
{
    (void)state;
    build_chain(1);
    frame(1, F1, F2, 0);
    assert_int_equal(walk(F0, 1, 16), 1);
    assert_int_equal(out[0], 0x401111);
    assert_int_equal(out[1], 0xBADBADBADull);
    frame(1, F0, F1, 0);
    assert_int_equal(walk(F0, 1, 16), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_three_frames_64, setup),
        cmocka_unit_test_setup(test_three_frames_64_high_addresses, setup),
        cmocka_unit_test_setup(test_three_frames_32, setup),
        cmocka_unit_test_setup(test_max_depth_honoured, setup),
        cmocka_unit_test_setup(test_long_chain_stops_at_max, setup),
        cmocka_unit_test_setup(test_fp_zero, setup),
        cmocka_unit_test_setup(test_misaligned_fp, setup),
        cmocka_unit_test_setup(test_self_loop, setup),
        cmocka_unit_test_setup(test_decreasing_fp, setup),
        cmocka_unit_test_setup(test_far_jump, setup),
        cmocka_unit_test_setup(test_unreadable, setup),
        cmocka_unit_test_setup(test_return_address_zero, setup),
    };
    return cmocka_run_group_tests_name("pmu/sampling/callchain.c", tests, NULL, NULL);
}
