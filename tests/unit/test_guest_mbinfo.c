/* hv/guest_mbinfo.c: the multiboot1 information a domain finds in EBX, read back through
 * boot/multiboot.h's structures as a guest kernel would. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "boot/multiboot.h"
#include "hv/guest_mbinfo.h"

#define MiB (1ull << 20)

static uint8_t *new_guest(uint64_t size)
{
    uint8_t *g = malloc(size);
    memset(g, 0xAA, size);
    return g;
}

static void test_info_fields(void **state)
{
    (void)state;
    uint64_t gsize = 16 * MiB;
    uint8_t *g = new_guest(gsize);
    int n = guest_mbinfo_build(g, gsize, GUEST_MBINFO_GPA, "name=hello mem=16");
    const struct mb1_info *mi = (const void *)(g + GUEST_MBINFO_GPA);

    /* info, 3 map entries, the command line and "perfvisor", back to back */
    assert_int_equal(n, sizeof(struct mb1_info) + 3 * sizeof(struct mb1_mmap_entry) +
                        sizeof("name=hello mem=16") + sizeof("perfvisor"));
    assert_int_equal(mi->flags, MB1_INFO_MEMORY | MB1_INFO_CMDLINE | MB1_INFO_MEM_MAP |
                                MB1_INFO_LOADER_NAME);
    assert_int_equal(mi->mem_lower, 639);                   /* 0x9FC00 / 1024 */
    assert_int_equal(mi->mem_upper, 15 * 1024);             /* KiB above 1 MiB */
    assert_int_equal(mi->mods_count, 0);
    assert_int_equal(mi->boot_device, 0);
    assert_true(mi->cmdline > GUEST_MBINFO_GPA && mi->cmdline < GUEST_MBINFO_GPA + n);
    assert_string_equal((const char *)g + mi->cmdline, "name=hello mem=16");
    assert_string_equal((const char *)g + mi->boot_loader_name, "perfvisor");
    assert_int_equal(g[GUEST_MBINFO_GPA + n], 0xAA);        /* nothing written past the end */
    free(g);
}

static void test_memory_map(void **state)
{
    (void)state;
    uint64_t gsize = 64 * MiB;
    uint8_t *g = new_guest(gsize);
    assert_true(guest_mbinfo_build(g, gsize, GUEST_MBINFO_GPA, "") > 0);
    const struct mb1_info *mi = (const void *)(g + GUEST_MBINFO_GPA);
    assert_int_equal(mi->mem_upper, 63 * 1024);
    assert_int_equal(mi->mmap_length, 3 * 24);

    /* walk it the way the spec says: size does not count itself */
    const struct { uint64_t addr, len; uint32_t type; } want[] = {
        { 0, 0x9FC00, MB_MEMORY_AVAILABLE },
        { 0x9FC00, 0x100000 - 0x9FC00, MB_MEMORY_RESERVED },
        { 0x100000, 63 * MiB, MB_MEMORY_AVAILABLE },
    };
    int count = 0;
    for (uint32_t p = mi->mmap_addr; p < mi->mmap_addr + mi->mmap_length; count++) {
        const struct mb1_mmap_entry *e = (const void *)(g + p);
        assert_true(count < 3);
        assert_int_equal(e->size, 20);
        assert_int_equal(e->addr, want[count].addr);
        assert_int_equal(e->len, want[count].len);
        assert_int_equal(e->type, want[count].type);
        p += e->size + 4;
    }
    assert_int_equal(count, 3);
    free(g);
}

static void test_placed_at_other_address(void **state)
{
    (void)state;
    uint64_t gsize = 2 * MiB;
    uint8_t *g = new_guest(gsize);
    assert_true(guest_mbinfo_build(g, gsize, 0x10000, "x=1") > 0);
    const struct mb1_info *mi = (const void *)(g + 0x10000);
    assert_int_equal(mi->mmap_addr, 0x10000 + sizeof(struct mb1_info));
    assert_int_equal(mi->mem_upper, 1024);
    assert_string_equal((const char *)g + mi->cmdline, "x=1");
    assert_int_equal(g[GUEST_MBINFO_GPA], 0xAA);             /* the usual place untouched */
    free(g);
}

static void test_cmdline_must_fit_the_page(void **state)
{
    (void)state;
    uint64_t gsize = 16 * MiB;
    uint8_t *g = new_guest(gsize);
    size_t room = GUEST_MBINFO_SIZE - sizeof(struct mb1_info) - 3 * sizeof(struct mb1_mmap_entry) -
                  sizeof("perfvisor");                       /* for the cmdline and its NUL */
    char *cl = malloc(room + 1);
    memset(cl, 'c', room);

    cl[room - 1] = '\0';                                     /* exactly fills the page */
    assert_int_equal(guest_mbinfo_build(g, gsize, GUEST_MBINFO_GPA, cl), GUEST_MBINFO_SIZE);
    assert_int_equal(g[GUEST_MBINFO_GPA + GUEST_MBINFO_SIZE], 0xAA);

    memset(g, 0xAA, gsize);
    cl[room - 1] = 'c';
    cl[room] = '\0';                                         /* one byte too many */
    assert_int_equal(guest_mbinfo_build(g, gsize, GUEST_MBINFO_GPA, cl), -1);
    assert_int_equal(g[GUEST_MBINFO_GPA], 0xAA);             /* nothing written */
    free(cl);
    free(g);
}

static void test_guest_too_small(void **state)
{
    (void)state;
    uint64_t gsize = 2 * MiB;
    uint8_t *g = new_guest(gsize);
    assert_int_equal(guest_mbinfo_build(g, 2 * MiB - 4096, GUEST_MBINFO_GPA, ""), -1);
    assert_int_equal(guest_mbinfo_build(g, gsize, gsize - 64, ""), -1);   /* runs off the end */
    free(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_info_fields),
        cmocka_unit_test(test_memory_map),
        cmocka_unit_test(test_placed_at_other_address),
        cmocka_unit_test(test_cmdline_must_fit_the_page),
        cmocka_unit_test(test_guest_too_small),
    };
    return cmocka_run_group_tests_name("hv/guest_mbinfo.c", tests, NULL, NULL);
}
