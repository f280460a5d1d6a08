/* hv/page_alloc.c: the hypervisor's memory from the loader's map — what is kept out of it, the
 * zeroed pages for hypervisor structures and the 2 MiB-aligned guest memory. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "hv/mm.h"
#include "tests/unit/fakes.h"

#define KiB (1ull << 10)
#define MiB (1ull << 20)
#define GiB (1ull << 30)

/* Host memory the allocator may hand out for real: the tests are linked below 4 GiB (-no-pie),
 * above 1 MiB, so these addresses are inside the allocator's window. */
static uint8_t arena[8 * MiB] __attribute__((aligned(2 * 1024 * 1024)));

static struct boot_info bi_with_ram(uint64_t start, uint64_t end)
{
    struct boot_info bi;
    memset(&bi, 0, sizeof(bi));
    bi.ram[0] = (struct mem_range){ start, end };
    bi.nram = 1;
    return bi;
}

/* Every byte of the arena 0xFF, so that zeroing shows. */
static int dirty_arena(void **state)
{
    (void)state;
    memset(arena, 0xFF, sizeof(arena));
    return 0;
}

static void test_init_keeps_out_low_memory_image_info_and_modules(void **state)
{
    (void)state;
    struct boot_info bi;
    memset(&bi, 0, sizeof(bi));
    bi.ram[0] = (struct mem_range){ 0, 0x9F000 };                  /* below 1 MiB: not used */
    bi.ram[1] = (struct mem_range){ 1 * MiB, 4 * GiB };            /* clipped at 3 GiB */
    bi.nram = 2;
    bi.info_start = 16 * MiB + 100;                                  /* page-rounded outwards */
    bi.info_end = 16 * MiB + 200;
    bi.modules[0] = (struct boot_module){ .start = 32 * MiB, .end = 33 * MiB + 5 };
    bi.modules[1] = (struct boot_module){ .start = 40 * MiB, .end = 40 * MiB + 4 * KiB };
    bi.nmodules = 2;
    console_reset();
    page_alloc_init(&bi, 1 * MiB, 2 * MiB + 300);                   /* the image */

    const struct mem_range want[] = {
        { 2 * MiB + 4 * KiB, 16 * MiB },
        { 16 * MiB + 4 * KiB, 32 * MiB },
        { 33 * MiB + 4 * KiB, 40 * MiB },
        { 40 * MiB + 4 * KiB, 3 * GiB },
    };
    assert_int_equal(hv_frames.nfree, 4);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(hv_frames.free[i].start, want[i].start);
        assert_int_equal(hv_frames.free[i].end, want[i].end);
    }
    uint64_t free = 3 * GiB - 2 * MiB - 4 * 4 * KiB - 1 * MiB;
    assert_int_equal(page_alloc_free_bytes(), free);
    assert_non_null(strstr(console_out, "perfvisor: 3068 MiB free for domains\n"));
}

static void test_zeroed_pages_are_zero_and_page_aligned(void **state)
{
    (void)state;
    uint64_t base = (uint64_t)(uintptr_t)arena;
    struct boot_info bi = bi_with_ram(base, base + 64 * KiB);
    page_alloc_init(&bi, 0, 0);
    uint8_t *a = page_alloc_zeroed(100, PAGE_SIZE);
    uint8_t *b = page_alloc_zeroed(PAGE_SIZE + 1, PAGE_SIZE);      /* two pages */
    assert_ptr_equal(a, arena);
    assert_ptr_equal(b, arena + PAGE_SIZE);
    for (size_t i = 0; i < 3 * PAGE_SIZE; i++)
        assert_int_equal(arena[i], 0);                              /* whole pages, both */
    assert_int_equal(arena[3 * PAGE_SIZE], 0xFF);                   /* not beyond */
    assert_int_equal(page_alloc_free_bytes(), 64 * KiB - 3 * PAGE_SIZE);
}

static void test_guest_memory_is_2mib_aligned_and_zeroed(void **state)
{
    (void)state;
    uint64_t base = (uint64_t)(uintptr_t)arena;
    struct boot_info bi = bi_with_ram(base, base + sizeof(arena));
    page_alloc_init(&bi, 0, 0);
    assert_non_null(page_alloc_zeroed(PAGE_SIZE, PAGE_SIZE));      /* arena's first page */
    uint64_t g = page_alloc_guest(2 * MiB);
    assert_int_equal(g, base + 2 * MiB);                            /* the next 2 MiB boundary */
    for (size_t i = 0; i < 2 * MiB; i++)
        if (arena[2 * MiB + i])
            fail_msg("guest byte %zu not zeroed", i);
    assert_int_equal(arena[PAGE_SIZE], 0xFF);                       /* the gap stays free */
    assert_int_equal(page_alloc_free_bytes(), sizeof(arena) - PAGE_SIZE - 2 * MiB);
}

static void test_guest_memory_that_does_not_fit_is_refused_and_nothing_is_taken(void **state)
{
    (void)state;
    uint64_t base = (uint64_t)(uintptr_t)arena;
    struct boot_info bi = bi_with_ram(base, base + 4 * MiB);
    page_alloc_init(&bi, 0, 0);
    assert_int_equal(page_alloc_guest(6 * MiB), 0);
    assert_int_equal(page_alloc_free_bytes(), 4 * MiB);
    assert_int_not_equal(page_alloc_guest(4 * MiB), 0);
    assert_int_equal(page_alloc_guest(2 * MiB), 0);                 /* now exhausted */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init_keeps_out_low_memory_image_info_and_modules),
        cmocka_unit_test_setup(test_zeroed_pages_are_zero_and_page_aligned, dirty_arena),
        cmocka_unit_test_setup(test_guest_memory_is_2mib_aligned_and_zeroed, dirty_arena),
        cmocka_unit_test_setup(test_guest_memory_that_does_not_fit_is_refused_and_nothing_is_taken,
                               dirty_arena),
    };
    return cmocka_run_group_tests_name("page_alloc", tests, NULL, NULL);
}
