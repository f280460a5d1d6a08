/* hv/frames.c: the first-fit physical frame allocator. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "hv/mm.h"

#define KiB (1ull << 10)
#define MiB (1ull << 20)
#define GiB (1ull << 30)

static void assert_free_list(const struct frame_allocator *fa, const struct mem_range *expect, int n)
{
    assert_int_equal(fa->nfree, n);
    for (int i = 0; i < n; i++) {
        assert_int_equal(fa->free[i].start, expect[i].start);
        assert_int_equal(fa->free[i].end, expect[i].end);
    }
}

static void test_init_aligns_to_pages(void **state)
{
    (void)state;
    struct frame_allocator fa;
    const struct mem_range ram[] = { { 0x1001, 0x9FC00 } };
    frames_init(&fa, ram, 1, NULL, 0, 0, UINT64_MAX);
    const struct mem_range want[] = { { 0x2000, 0x9F000 } };     /* start up, end down */
    assert_free_list(&fa, want, 1);
    assert_int_equal(frames_free_bytes(&fa), 0x9D000);
}

static void test_init_drops_ranges_smaller_than_a_page(void **state)
{
    (void)state;
    struct frame_allocator fa;
    const struct mem_range ram[] = { { 0x1800, 0x2800 }, { 0x10000, 0x11000 } };
    frames_init(&fa, ram, 2, NULL, 0, 0, UINT64_MAX);
    const struct mem_range want[] = { { 0x10000, 0x11000 } };
    assert_free_list(&fa, want, 1);
}

static void test_init_sorts_and_merges_overlaps(void **state)
{
    (void)state;
    struct frame_allocator fa;
    const struct mem_range ram[] = {
        { 64 * MiB, 128 * MiB },
        { 1 * MiB, 16 * MiB },
        { 8 * MiB, 32 * MiB },        /* overlaps the previous one */
        { 32 * MiB, 40 * MiB },       /* touches it: merged too */
        { 100 * MiB, 110 * MiB },     /* inside the first one */
    };
    frames_init(&fa, ram, 5, NULL, 0, 0, UINT64_MAX);
    const struct mem_range want[] = { { 1 * MiB, 40 * MiB }, { 64 * MiB, 128 * MiB } };
    assert_free_list(&fa, want, 2);
    assert_int_equal(frames_free_bytes(&fa), 39 * MiB + 64 * MiB);
}

static void test_init_low_and_high_limits(void **state)
{
    (void)state;
    struct frame_allocator fa;
    const struct mem_range ram[] = { { 0, 0x9FC00 }, { 1 * MiB, 3 * GiB }, { 4 * GiB, 6 * GiB } };
    frames_init(&fa, ram, 3, NULL, 0, 2 * MiB + 1, 5 * GiB);
    const struct mem_range want[] = { { 2 * MiB + 4 * KiB, 3 * GiB }, { 4 * GiB, 5 * GiB } };
    assert_free_list(&fa, want, 2);
}

static void test_init_reserved_splits_and_trims(void **state)
{
    (void)state;
    struct frame_allocator fa;
    const struct mem_range ram[] = { { 1 * MiB, 64 * MiB }, { 100 * MiB, 200 * MiB } };
    const struct mem_range reserved[] = {
        { 2 * MiB + 100, 3 * MiB - 100 },   /* the image: widened to whole pages */
        { 0, 1 * MiB + 4 * KiB },          /* trims the start */
        { 150 * MiB, 300 * MiB },          /* trims the end of the second */
        { 70 * MiB, 80 * MiB },            /* in no RAM: no effect */
    };
    frames_init(&fa, ram, 2, reserved, 4, 0, UINT64_MAX);
    const struct mem_range want[] = {
        { 1 * MiB + 4 * KiB, 2 * MiB },
        { 3 * MiB, 64 * MiB },
        { 100 * MiB, 150 * MiB },
    };
    assert_free_list(&fa, want, 3);
    assert_int_equal(frames_free_bytes(&fa), (1 * MiB - 4 * KiB) + 61 * MiB + 50 * MiB);
}

static void test_init_reserved_covering_several_ranges(void **state)
{
    (void)state;
    struct frame_allocator fa;
    const struct mem_range ram[] = { { 0, 1 * MiB }, { 2 * MiB, 3 * MiB }, { 4 * MiB, 5 * MiB },
                                     { 6 * MiB, 7 * MiB } };
    const struct mem_range reserved[] = { { 512 * KiB, 6 * MiB + 512 * KiB } };
    frames_init(&fa, ram, 4, reserved, 1, 0, UINT64_MAX);
    const struct mem_range want[] = { { 0, 512 * KiB }, { 6 * MiB + 512 * KiB, 7 * MiB } };
    assert_free_list(&fa, want, 2);
}

static void test_alloc_first_fit(void **state)
{
    (void)state;
    struct frame_allocator fa;
    const struct mem_range ram[] = { { 1 * MiB, 1 * MiB + 8 * KiB }, { 16 * MiB, 32 * MiB } };
    frames_init(&fa, ram, 2, NULL, 0, 0, UINT64_MAX);
    assert_int_equal(frames_alloc(&fa, 4096, 0), 1 * MiB);
    assert_int_equal(frames_alloc(&fa, 16 * KiB, 0), 16 * MiB);   /* too big for what is left */
    assert_int_equal(frames_alloc(&fa, 1, 0), 1 * MiB + 4 * KiB); /* rounded up to a page */
    assert_int_equal(frames_alloc(&fa, 4096, 0), 16 * MiB + 16 * KiB);
    assert_int_equal(frames_free_bytes(&fa), 16 * MiB - 20 * KiB);
}

static void test_alloc_2mib_alignment(void **state)
{
    (void)state;
    struct frame_allocator fa;
    const struct mem_range ram[] = { { 1 * MiB + 4 * KiB, 16 * MiB } };
    frames_init(&fa, ram, 1, NULL, 0, 0, UINT64_MAX);
    uint64_t a = frames_alloc(&fa, 4 * MiB, 2 * MiB);
    assert_int_equal(a, 2 * MiB);
    /* the gap below the aligned block stays free and is used next */
    assert_int_equal(frames_alloc(&fa, 4096, 0), 1 * MiB + 4 * KiB);
    assert_int_equal(frames_alloc(&fa, 2 * MiB, 2 * MiB), 6 * MiB);
    assert_int_equal(frames_free_bytes(&fa), 15 * MiB - 8 * KiB - 6 * MiB);
}

static void test_alloc_alignment_skips_ranges_that_cannot_hold_it(void **state)
{
    (void)state;
    struct frame_allocator fa;
    const struct mem_range ram[] = { { 1 * MiB, 3 * MiB + 512 * KiB }, { 5 * MiB, 12 * MiB } };
    frames_init(&fa, ram, 2, NULL, 0, 0, UINT64_MAX);
    /* [2, 4) MiB does not fit in the first range, [6, 8) in the second does */
    assert_int_equal(frames_alloc(&fa, 2 * MiB, 2 * MiB), 6 * MiB);
}

static void test_alloc_exhaustion_returns_zero(void **state)
{
    (void)state;
    struct frame_allocator fa;
    const struct mem_range ram[] = { { 1 * MiB, 1 * MiB + 12 * KiB } };
    frames_init(&fa, ram, 1, NULL, 0, 0, UINT64_MAX);
    assert_int_equal(frames_alloc(&fa, 16 * KiB, 0), 0);
    assert_int_equal(frames_alloc(&fa, 0, 0), 0);              /* nothing asked, nothing given */
    assert_int_equal(frames_alloc(&fa, 12 * KiB, 0), 1 * MiB);
    assert_int_equal(frames_free_bytes(&fa), 0);
    assert_int_equal(frames_alloc(&fa, 4096, 0), 0);
    assert_int_equal(fa.nfree, 0);
}

static void test_alloc_huge_size_does_not_wrap(void **state)
{
    (void)state;
    struct frame_allocator fa;
    const struct mem_range ram[] = { { 1 * MiB, 64 * MiB } };
    frames_init(&fa, ram, 1, NULL, 0, 0, UINT64_MAX);
    assert_int_equal(frames_alloc(&fa, UINT64_MAX - 8 * KiB, 0), 0);
    assert_int_equal(frames_free_bytes(&fa), 63 * MiB);
}

static int in_ranges(uint64_t s, uint64_t e, const struct mem_range *r, int n)
{
    for (int i = 0; i < n; i++)
        if (s >= r[i].start && e <= r[i].end)
            return 1;
    return 0;
}

static int overlaps_any(uint64_t s, uint64_t e, const struct mem_range *r, int n)
{
    for (int i = 0; i < n; i++)
        if (s < r[i].end && r[i].start < e)
            return 1;
    return 0;
}

/* Many allocations of assorted sizes and alignments until memory runs out: every block lies
 * in RAM, outside every reserved range, aligned, disjoint from every other block, and the
 * free count goes down by exactly what was handed out, except when the free list is full
 * (MM_MAX_FREE ranges) and a split has to drop a piece: that memory is lost, never reused. */
static void test_alloc_many_disjoint(void **state)
{
    (void)state;
    static struct frame_allocator fa;
    const struct mem_range ram[] = {
        { 0x1000, 0x9F000 }, { 1 * MiB, 40 * MiB }, { 38 * MiB, 48 * MiB }, { 64 * MiB, 70 * MiB },
    };
    const struct mem_range reserved[] = {
        { 1 * MiB, 3 * MiB + 123 }, { 10 * MiB, 10 * MiB + 4096 }, { 45 * MiB, 46 * MiB },
    };
    enum { MAX_BLOCKS = 16384 };
    static struct mem_range got[MAX_BLOCKS];
    int n = 0;

    frames_init(&fa, ram, 4, reserved, 3, 0x1000, UINT64_MAX);
    uint64_t before = frames_free_bytes(&fa);
    assert_int_equal(before, (0x9F000 - 0x1000) + (48 * MiB - 1 * MiB) - (2 * MiB + 4096) -
                             4096 - 1 * MiB + 6 * MiB);

    uint64_t handed_out = 0, lost = 0;
    /* assorted blocks first, then single pages until nothing is left */
    for (unsigned i = 0; n < MAX_BLOCKS; i++) {
        int draining = i >= 600;
        uint64_t size = draining ? 4096 : ((i * 7919u) % 97 + 1) * 4096;
        uint64_t align = draining ? 4096 : (i % 5 == 0) ? 2 * MiB : (i % 3 == 0) ? 64 * KiB : 4096;
        int was_full = fa.nfree == MM_MAX_FREE;
        uint64_t a = frames_alloc(&fa, size, align);
        if (!a) {
            if (draining)
                break;
            continue;
        }
        assert_int_equal(a % align, 0);
        assert_true(in_ranges(a, a + size, ram, 4));
        assert_false(overlaps_any(a, a + size, reserved, 3));
        assert_false(overlaps_any(a, a + size, got, n));
        got[n++] = (struct mem_range){ a, a + size };
        handed_out += size;
        uint64_t free_now = frames_free_bytes(&fa);
        if (was_full) {
            /* a split with the list full drops the piece that does not fit */
            assert_true(free_now <= before - handed_out - lost);
            lost = before - handed_out - free_now;
        } else {
            assert_int_equal(free_now, before - handed_out - lost);
        }
    }
    assert_true(n > 100);
    assert_int_equal(frames_free_bytes(&fa), 0);
    assert_int_equal(handed_out + lost, before);
}

/* A 2 MiB-aligned block carved from the middle of a range leaves the pieces on both sides
 * free: the list grows by one and the accounting is exact. */
static void test_alloc_split_keeps_both_sides(void **state)
{
    (void)state;
    struct frame_allocator fa;
    const struct mem_range ram[] = { { 1 * MiB, 8 * MiB } };
    frames_init(&fa, ram, 1, NULL, 0, 0, UINT64_MAX);
    assert_int_equal(frames_alloc(&fa, 2 * MiB, 2 * MiB), 2 * MiB);
    const struct mem_range want[] = { { 1 * MiB, 2 * MiB }, { 4 * MiB, 8 * MiB } };
    assert_free_list(&fa, want, 2);
    assert_int_equal(frames_free_bytes(&fa), 5 * MiB);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init_aligns_to_pages),
        cmocka_unit_test(test_init_drops_ranges_smaller_than_a_page),
        cmocka_unit_test(test_init_sorts_and_merges_overlaps),
        cmocka_unit_test(test_init_low_and_high_limits),
        cmocka_unit_test(test_init_reserved_splits_and_trims),
        cmocka_unit_test(test_init_reserved_covering_several_ranges),
        cmocka_unit_test(test_alloc_first_fit),
        cmocka_unit_test(test_alloc_2mib_alignment),
        cmocka_unit_test(test_alloc_alignment_skips_ranges_that_cannot_hold_it),
        cmocka_unit_test(test_alloc_exhaustion_returns_zero),
        cmocka_unit_test(test_alloc_huge_size_does_not_wrap),
        cmocka_unit_test(test_alloc_split_keeps_both_sides),
        cmocka_unit_test(test_alloc_many_disjoint),
    };
    return cmocka_run_group_tests_name("hv/frames.c", tests, NULL, NULL);
}
