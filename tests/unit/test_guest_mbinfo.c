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
#include "hv/guest_modules.h"

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
    int n = guest_mbinfo_build(g, gsize, GUEST_MBINFO_GPA, "name=hello mem=16", NULL, 0);
    const struct mb1_info *mi = (const void *)(g + GUEST_MBINFO_GPA);

    /* info, 5 map entries, the command line and "perfvisor", back to back */
    assert_int_equal(n, sizeof(struct mb1_info) + 5 * sizeof(struct mb1_mmap_entry) +
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
    assert_true(guest_mbinfo_build(g, gsize, GUEST_MBINFO_GPA, "", NULL, 0) > 0);
    const struct mb1_info *mi = (const void *)(g + GUEST_MBINFO_GPA);
    assert_int_equal(mi->mem_upper, 63 * 1024);
    assert_int_equal(mi->mmap_length, 5 * 24);

    /* walk it the way the spec says: size does not count itself */
    const struct { uint64_t addr, len; uint32_t type; } want[] = {
        { 0, 0x5000, MB_MEMORY_AVAILABLE },
        { 0x5000, 0x1000, MB_MEMORY_RESERVED },                 /* the handoff's GDT */
        { 0x6000, 0x9FC00 - 0x6000, MB_MEMORY_AVAILABLE },
        { 0x9FC00, 0x100000 - 0x9FC00, MB_MEMORY_RESERVED },
        { 0x100000, 63 * MiB, MB_MEMORY_AVAILABLE },
    };
    int count = 0;
    for (uint32_t p = mi->mmap_addr; p < mi->mmap_addr + mi->mmap_length; count++) {
        const struct mb1_mmap_entry *e = (const void *)(g + p);
        assert_true(count < 5);
        assert_int_equal(e->size, 20);
        assert_int_equal(e->addr, want[count].addr);
        assert_int_equal(e->len, want[count].len);
        assert_int_equal(e->type, want[count].type);
        p += e->size + 4;
    }
    assert_int_equal(count, 5);
    free(g);
}

/* The handoff GDT: GDTR's selectors at entry index flat 32-bit code and data (GRUB's layout). */
static void test_handoff_gdt(void **state)
{
    (void)state;
    uint64_t gsize = 4 * MiB;
    uint8_t *g = new_guest(gsize);
    memset(g + GUEST_GDT_GPA, 0xAA, GUEST_GDT_SIZE);
    guest_mbinfo_gdt(g);
    const uint64_t *gdt = (const void *)(g + GUEST_GDT_GPA);
    assert_int_equal(gdt[0], 0);
    assert_int_equal(gdt[GUEST_MB_CS / 8], 0x00CF9B000000FFFFull);   /* base 0, 4 GiB, D=1, P, code */
    assert_int_equal(gdt[GUEST_MB_DS / 8], 0x00CF93000000FFFFull);   /* base 0, 4 GiB, B=1, P, data */
    assert_true(GUEST_MB_GDT_LIMIT >= (GUEST_MB_CS | 7) && GUEST_MB_GDT_LIMIT >= (GUEST_MB_DS | 7));
    assert_int_equal(gdt[GUEST_MB_GDT_LIMIT / 8 + 1], 0);            /* the rest of the page zeroed */
    assert_true(GUEST_GDT_GPA + GUEST_GDT_SIZE <= GUEST_MBINFO_GPA);
    free(g);
}

static void test_placed_at_other_address(void **state)
{
    (void)state;
    uint64_t gsize = 2 * MiB;
    uint8_t *g = new_guest(gsize);
    assert_true(guest_mbinfo_build(g, gsize, 0x10000, "x=1", NULL, 0) > 0);
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
    size_t room = GUEST_MBINFO_SIZE - sizeof(struct mb1_info) - 5 * sizeof(struct mb1_mmap_entry) -
                  sizeof("perfvisor");                       /* for the cmdline and its NUL */
    char *cl = malloc(room + 1);
    memset(cl, 'c', room);

    cl[room - 1] = '\0';                                     /* exactly fills the page */
    assert_int_equal(guest_mbinfo_build(g, gsize, GUEST_MBINFO_GPA, cl, NULL, 0), GUEST_MBINFO_SIZE);
    assert_int_equal(g[GUEST_MBINFO_GPA + GUEST_MBINFO_SIZE], 0xAA);

    memset(g, 0xAA, gsize);
    cl[room - 1] = 'c';
    cl[room] = '\0';                                         /* one byte too many */
    assert_int_equal(guest_mbinfo_build(g, gsize, GUEST_MBINFO_GPA, cl, NULL, 0), -1);
    assert_int_equal(g[GUEST_MBINFO_GPA], 0xAA);             /* nothing written */
    free(cl);
    free(g);
}

static void test_guest_too_small(void **state)
{
    (void)state;
    uint64_t gsize = 2 * MiB;
    uint8_t *g = new_guest(gsize);
    assert_int_equal(guest_mbinfo_build(g, 2 * MiB - 4096, GUEST_MBINFO_GPA, "", NULL, 0), -1);
    assert_int_equal(guest_mbinfo_build(g, gsize, gsize - 64, "", NULL, 0), -1);   /* runs off the end */
    free(g);
}

/* Modules listed as GRUB lists them (Multiboot 0.6.96 3.3): flags bit 3, mods_count, mods_addr
 * pointing at {mod_start, mod_end, string, 0} entries inside the info page. */
static void test_modules_listed(void **state)
{
    (void)state;
    uint64_t gsize = 16 * MiB;
    uint8_t *g = new_guest(gsize);
    const struct guest_module mods[] = {
        { 0x200000, 0x200024, "mod1.txt" }, { 0x201000, 0x203710, "initrd x=1" },
    };
    int n = guest_mbinfo_build(g, gsize, GUEST_MBINFO_GPA, "k", mods, 2);
    const struct mb1_info *mi = (const void *)(g + GUEST_MBINFO_GPA);
    assert_true(n > 0);
    assert_true(mi->flags & MB1_INFO_MODS);
    assert_int_equal(mi->mods_count, 2);
    assert_int_equal(mi->mods_addr % 4, 0);
    assert_true(mi->mods_addr > GUEST_MBINFO_GPA && mi->mods_addr < GUEST_MBINFO_GPA + n);
    const struct mb1_module *m = (const void *)(g + mi->mods_addr);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(m[i].mod_start, mods[i].start);
        assert_int_equal(m[i].mod_end, mods[i].end);
        assert_int_equal(m[i].reserved, 0);
        assert_string_equal((const char *)g + m[i].cmdline, mods[i].string);
        assert_true(m[i].cmdline < GUEST_MBINFO_GPA + n);
    }
    assert_int_equal(g[GUEST_MBINFO_GPA + n], 0xAA);
    free(g);
}

/* Module strings must fit the info page too. */
static void test_module_strings_must_fit(void **state)
{
    (void)state;
    static char big[3000];
    uint8_t *g = new_guest(16 * MiB);
    memset(big, 's', sizeof(big) - 1);
    const struct guest_module mods[] = { { 0x200000, 0x201000, big }, { 0x201000, 0x202000, big } };
    assert_int_equal(guest_mbinfo_build(g, 16 * MiB, GUEST_MBINFO_GPA, "", mods, 2), -1);
    free(g);
}

/* The marker: perfvisor.module-of=N names domain N; none is a kernel; junk is -1. */
static void test_module_owner(void **state)
{
    (void)state;
    assert_int_equal(guest_module_owner("name=k mem=4"), 0);
    assert_int_equal(guest_module_owner("perfvisor.module-of=3 data.bin"), 3);
    assert_int_equal(guest_module_owner("x perfvisor.module-of=0x2"), 2);
    assert_int_equal(guest_module_owner("perfvisor.module-of=0"), -1);
    assert_int_equal(guest_module_owner("perfvisor.module-of=two"), -1);
}

/* perfvisor.initrd-of=N: domain N's initrd, one of its modules (so a multiboot guest lists it
 * as an ordinary module); guest_modules_initrd finds it among the domain's modules. */
static void test_initrd_marker(void **state)
{
    (void)state;
    assert_int_equal(guest_module_owner("perfvisor.initrd-of=2 initrd.img"), 2);
    assert_int_equal(guest_module_initrd_of("perfvisor.initrd-of=2 initrd.img"), 2);
    assert_int_equal(guest_module_initrd_of("perfvisor.module-of=2 data.bin"), 0);
    assert_int_equal(guest_module_initrd_of("name=k"), 0);
    assert_int_equal(guest_module_initrd_of("perfvisor.initrd-of=0"), -1);
    assert_int_equal(guest_module_owner("perfvisor.initrd-of=x"), -1);
    assert_int_equal(guest_module_owner("perfvisor.module-of=1 perfvisor.initrd-of=1"), 1);
    assert_int_equal(guest_module_owner("perfvisor.module-of=1 perfvisor.initrd-of=2"), -1);

    const struct boot_module m1 = { 0, 0, "perfvisor.module-of=1 a.bin" };
    const struct boot_module rd = { 0, 0, "perfvisor.initrd-of=1 initrd.img" };
    const struct boot_module *mods[] = { &m1, &rd };
    assert_int_equal(guest_modules_initrd(mods, 2), 1);
    assert_int_equal(guest_modules_initrd(mods, 1), -1);
    assert_int_equal(guest_modules_initrd(mods, 0), -1);
}

/* Placement: page-aligned from the first page at or above the kernel's end, one after the
 * other, bytes copied, strings without perfvisor.* tokens; too big for mem= is an error. */
static void test_modules_placed(void **state)
{
    (void)state;
    uint64_t gsize = 4 * MiB;
    uint8_t *g = new_guest(gsize);
    static uint8_t a[100], b[5000];
    memset(a, 1, sizeof(a));
    memset(b, 2, sizeof(b));
    const struct boot_module ma = { (uintptr_t)a, (uintptr_t)a + sizeof(a),
                                    "perfvisor.module-of=1 a.bin" };
    const struct boot_module mb = { (uintptr_t)b, (uintptr_t)b + sizeof(b), "b.bin x=1" };
    const struct boot_module *mods[] = { &ma, &mb };
    struct guest_module out[2];
    char strings[2][BOOT_CMDLINE_MAX], err[128];
    assert_int_equal(guest_modules_place(g, gsize, 0x10752C, mods, 2, out, strings, err,
                                         sizeof(err)), 0);
    assert_int_equal(out[0].start, 0x108000);
    assert_int_equal(out[0].end, 0x108000 + 100);
    assert_int_equal(out[1].start, 0x109000);
    assert_int_equal(out[1].end, 0x109000 + 5000);
    assert_string_equal(out[0].string, "a.bin");
    assert_string_equal(out[1].string, "b.bin x=1");
    assert_memory_equal(g + 0x108000, a, sizeof(a));
    assert_memory_equal(g + 0x109000, b, sizeof(b));
    assert_int_equal(guest_modules_place(g, gsize, gsize - 0x1000, mods, 2, out, strings, err,
                                         sizeof(err)), -1);
    assert_non_null(strstr(err, "does not fit"));
    free(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_info_fields),
        cmocka_unit_test(test_memory_map),
        cmocka_unit_test(test_handoff_gdt),
        cmocka_unit_test(test_placed_at_other_address),
        cmocka_unit_test(test_cmdline_must_fit_the_page),
        cmocka_unit_test(test_guest_too_small),
        cmocka_unit_test(test_modules_listed),
        cmocka_unit_test(test_module_strings_must_fit),
        cmocka_unit_test(test_module_owner),
        cmocka_unit_test(test_initrd_marker),
        cmocka_unit_test(test_modules_placed),
    };
    return cmocka_run_group_tests_name("hv/guest_mbinfo.c", tests, NULL, NULL);
}
