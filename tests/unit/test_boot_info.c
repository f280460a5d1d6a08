/* boot/boot_info.c: multiboot2 and multiboot1 information into struct boot_info.
 * The parser reads the loader's structures through physical addresses; multiboot1 ones are
 * 32 bits wide, so the structures live in static buffers of this non-PIE binary (below
 * 4 GiB; checked, the tests skip with a reason otherwise). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "boot/multiboot.h"
#include "hv/boot_info.h"
#include "tests/unit/fakes.h"

#define MiB (1ull << 20)

static struct boot_info bi;

/* ------------------------------------------------------------------ multiboot2 */

static _Alignas(8) uint8_t mb2[4096];
static size_t mb2_len;

static void *mb2_tag(uint32_t type, uint32_t size)
{
    struct mb2_tag *t = (void *)(mb2 + mb2_len);
    t->type = type;
    t->size = size;
    mb2_len += (size + 7) & ~7u;
    return t;
}

static void mb2_begin(void)
{
    memset(mb2, 0xEE, sizeof(mb2));
    mb2_len = 8;
}

static uint64_t mb2_end(void)
{
    mb2_tag(MB2_TAG_END, 8);
    ((uint32_t *)mb2)[0] = (uint32_t)mb2_len;
    ((uint32_t *)mb2)[1] = 0;
    return (uint64_t)(uintptr_t)mb2;
}

static void mb2_cmdline(const char *s)
{
    char *t = mb2_tag(MB2_TAG_CMDLINE, 8 + strlen(s) + 1);
    memcpy(t + 8, s, strlen(s) + 1);
}

static void mb2_module(uint32_t start, uint32_t end, const char *cmdline)
{
    struct mb2_tag_module *m = mb2_tag(MB2_TAG_MODULE, sizeof(*m) + strlen(cmdline) + 1);
    m->mod_start = start;
    m->mod_end = end;
    memcpy(m->cmdline, cmdline, strlen(cmdline) + 1);
}

static void test_mb2_cmdline_modules_and_mmap(void **state)
{
    (void)state;
    mb2_begin();
    mb2_module(0x200000, 0x203456, "hello.elf name=hello mem=8");
    mb2_cmdline("perfvisor slice=1000");
    mb2_tag(42, 20);                                      /* unknown tag: skipped */
    mb2_module(0x300000, 0x301000, "");
    struct mb2_tag_mmap *mm = mb2_tag(MB2_TAG_MMAP, sizeof(*mm) + 4 * 24);
    mm->entry_size = 24;
    mm->entry_version = 0;
    struct mb2_mmap_entry *e = (void *)(mm + 1);
    e[0] = (struct mb2_mmap_entry){ 0, 0x9FC00, MB_MEMORY_AVAILABLE, 0 };
    e[1] = (struct mb2_mmap_entry){ 0xF0000, 0x10000, MB_MEMORY_RESERVED, 0 };
    e[2] = (struct mb2_mmap_entry){ 1 * MiB, 511 * MiB, MB_MEMORY_AVAILABLE, 0 };
    e[3] = (struct mb2_mmap_entry){ 4096ull * MiB, 0, MB_MEMORY_AVAILABLE, 0 };   /* empty */
    uint64_t info = mb2_end();

    assert_int_equal(boot_info_parse(MB2_BOOTLOADER_MAGIC, info, &bi), 0);
    assert_string_equal(bi.loader, "multiboot2");
    assert_int_equal(bi.info_start, info);
    assert_int_equal(bi.info_end, info + mb2_len);
    assert_string_equal(bi.cmdline, "perfvisor slice=1000");
    assert_int_equal(bi.nmodules, 2);
    assert_int_equal(bi.modules_dropped, 0);
    assert_int_equal(bi.modules[0].start, 0x200000);
    assert_int_equal(bi.modules[0].end, 0x203456);
    assert_string_equal(bi.modules[0].cmdline, "hello.elf name=hello mem=8");
    assert_int_equal(bi.modules[1].start, 0x300000);
    assert_int_equal(bi.modules[1].end, 0x301000);
    assert_string_equal(bi.modules[1].cmdline, "");
    assert_int_equal(bi.nram, 2);                         /* reserved and empty left out */
    assert_int_equal(bi.ram[0].start, 0);
    assert_int_equal(bi.ram[0].end, 0x9FC00);
    assert_int_equal(bi.ram[1].start, 1 * MiB);
    assert_int_equal(bi.ram[1].end, 512 * MiB);
}

static void test_mb2_larger_mmap_entries_and_stops_at_end_tag(void **state)
{
    (void)state;
    mb2_begin();
    /* a later entry_version may have bigger entries: step by entry_size */
    struct mb2_tag_mmap *mm = mb2_tag(MB2_TAG_MMAP, sizeof(*mm) + 2 * 32);
    mm->entry_size = 32;
    uint8_t *p = (uint8_t *)(mm + 1);
    *(struct mb2_mmap_entry *)p = (struct mb2_mmap_entry){ 1 * MiB, 3 * MiB, MB_MEMORY_AVAILABLE, 0 };
    *(struct mb2_mmap_entry *)(p + 32) = (struct mb2_mmap_entry){ 8 * MiB, 8 * MiB, MB_MEMORY_AVAILABLE, 0 };
    uint64_t info = mb2_end();
    mb2_cmdline("after the end tag");                     /* must not be seen */
    ((uint32_t *)mb2)[0] = (uint32_t)mb2_len;

    assert_int_equal(boot_info_parse(MB2_BOOTLOADER_MAGIC, info, &bi), 0);
    assert_int_equal(bi.nram, 2);
    assert_int_equal(bi.ram[0].end, 4 * MiB);
    assert_int_equal(bi.ram[1].start, 8 * MiB);
    assert_int_equal(bi.ram[1].end, 16 * MiB);
    assert_string_equal(bi.cmdline, "");
}

/* The ACPI tags (14: RSDP 1.0 copy, 15: 2.0+ copy): the address of the copy inside the
 * information, the 2.0 one preferred whatever the order; too short a tag is ignored */
static void test_mb2_acpi_rsdp_tags(void **state)
{
    (void)state;
    mb2_begin();
    uint8_t *old = mb2_tag(MB2_TAG_ACPI_OLD, 8 + 20);
    uint8_t *new = mb2_tag(MB2_TAG_ACPI_NEW, 8 + 36);
    assert_int_equal(boot_info_parse(MB2_BOOTLOADER_MAGIC, mb2_end(), &bi), 0);
    assert_int_equal(bi.acpi_rsdp, (uint64_t)(uintptr_t)(new + 8));
    mb2_begin();
    new = mb2_tag(MB2_TAG_ACPI_NEW, 8 + 36);
    mb2_tag(MB2_TAG_ACPI_OLD, 8 + 20);
    assert_int_equal(boot_info_parse(MB2_BOOTLOADER_MAGIC, mb2_end(), &bi), 0);
    assert_int_equal(bi.acpi_rsdp, (uint64_t)(uintptr_t)(new + 8));
    mb2_begin();
    old = mb2_tag(MB2_TAG_ACPI_OLD, 8 + 20);
    mb2_tag(MB2_TAG_ACPI_NEW, 8 + 20);                    /* shorter than an ACPI 2.0 RSDP */
    assert_int_equal(boot_info_parse(MB2_BOOTLOADER_MAGIC, mb2_end(), &bi), 0);
    assert_int_equal(bi.acpi_rsdp, (uint64_t)(uintptr_t)(old + 8));
    mb2_begin();
    mb2_cmdline("no acpi");
    assert_int_equal(boot_info_parse(MB2_BOOTLOADER_MAGIC, mb2_end(), &bi), 0);
    assert_int_equal(bi.acpi_rsdp, 0);
}

static void test_mb2_too_many_modules_and_long_cmdline(void **state)
{
    (void)state;
    char longcl[BOOT_CMDLINE_MAX + 50];
    memset(longcl, 'x', sizeof(longcl) - 1);
    longcl[sizeof(longcl) - 1] = '\0';
    mb2_begin();
    mb2_cmdline(longcl);
    for (int i = 0; i < BOOT_MAX_MODULES + 3; i++)
        mb2_module(0x1000000 + i * 0x1000, 0x1000000 + i * 0x1000 + 0x800, "m");
    uint64_t info = mb2_end();

    assert_int_equal(boot_info_parse(MB2_BOOTLOADER_MAGIC, info, &bi), 0);
    assert_int_equal(strlen(bi.cmdline), BOOT_CMDLINE_MAX - 1);
    assert_int_equal(bi.nmodules, BOOT_MAX_MODULES);
    assert_int_equal(bi.modules_dropped, 3);
    assert_int_equal(bi.modules[BOOT_MAX_MODULES - 1].start, 0x1000000 + (BOOT_MAX_MODULES - 1) * 0x1000);
}

/* ------------------------------------------------------------------ multiboot1 */

static struct {
    struct mb1_info info;
    struct mb1_module mods[2];
    uint8_t mmap[128];
    char cmdline[64], mod0[64], mod1[64];
} mb1;

static uint32_t low32(const void *p)
{
    return (uint32_t)(uintptr_t)p;
}

static int mb1_setup(void **state)
{
    (void)state;
    if ((uintptr_t)&mb1 + sizeof(mb1) > UINT32_MAX) {
        print_message("multiboot1 structures at %p, above 4 GiB: binary not linked -no-pie?\n",
                      (void *)&mb1);
        return -1;
    }
    memset(&mb1, 0, sizeof(mb1));
    return 0;
}

static void mb1_mmap_add(size_t *off, uint32_t size, uint64_t addr, uint64_t len, uint32_t type)
{
    struct mb1_mmap_entry *e = (void *)(mb1.mmap + *off);
    e->size = size;
    e->addr = addr;
    e->len = len;
    e->type = type;
    *off += size + 4;
}

static void test_mb1_cmdline_mods_and_mmap(void **state)
{
    if (mb1_setup(state))
        skip();
    strcpy(mb1.cmdline, "perfvisor.elf slice=2000");
    strcpy(mb1.mod0, "compute.elf name=compute");
    strcpy(mb1.mod1, "hello.elf");
    mb1.mods[0] = (struct mb1_module){ 0x400000, 0x401234, low32(mb1.mod0), 0 };
    mb1.mods[1] = (struct mb1_module){ 0x402000, 0x403000, low32(mb1.mod1), 0 };
    size_t off = 0;
    mb1_mmap_add(&off, 20, 0, 0x9FC00, MB_MEMORY_AVAILABLE);
    mb1_mmap_add(&off, 20, 0x9FC00, 0x400, MB_MEMORY_RESERVED);
    mb1_mmap_add(&off, 24, 1 * MiB, 127 * MiB, MB_MEMORY_AVAILABLE);   /* bigger entry */
    mb1_mmap_add(&off, 20, 0xFFFC0000, 0x40000, MB_MEMORY_RESERVED);
    mb1_mmap_add(&off, 20, 4096ull * MiB, 1024 * MiB, MB_MEMORY_AVAILABLE);
    mb1.info.flags = MB1_INFO_MEMORY | MB1_INFO_CMDLINE | MB1_INFO_MODS | MB1_INFO_MEM_MAP;
    mb1.info.mem_lower = 639;
    mb1.info.mem_upper = 1;                               /* ignored: the map wins */
    mb1.info.cmdline = low32(mb1.cmdline);
    mb1.info.mods_count = 2;
    mb1.info.mods_addr = low32(mb1.mods);
    mb1.info.mmap_addr = low32(mb1.mmap);
    mb1.info.mmap_length = (uint32_t)off;
    uint64_t info = (uintptr_t)&mb1.info;

    assert_int_equal(boot_info_parse(MB1_BOOTLOADER_MAGIC, info, &bi), 0);
    assert_string_equal(bi.loader, "multiboot1");
    assert_int_equal(bi.info_start, info);
    assert_int_equal(bi.info_end, info + sizeof(struct mb1_info));
    assert_string_equal(bi.cmdline, "perfvisor.elf slice=2000");
    assert_int_equal(bi.nmodules, 2);
    assert_int_equal(bi.modules[0].start, 0x400000);
    assert_int_equal(bi.modules[0].end, 0x401234);
    assert_string_equal(bi.modules[0].cmdline, "compute.elf name=compute");
    assert_int_equal(bi.modules[1].start, 0x402000);
    assert_string_equal(bi.modules[1].cmdline, "hello.elf");
    assert_int_equal(bi.nram, 3);
    assert_int_equal(bi.ram[0].start, 0);
    assert_int_equal(bi.ram[0].end, 0x9FC00);
    assert_int_equal(bi.ram[1].start, 1 * MiB);
    assert_int_equal(bi.ram[1].end, 128 * MiB);
    assert_int_equal(bi.ram[2].start, 4096ull * MiB);
    assert_int_equal(bi.ram[2].end, 5120ull * MiB);
}

static void test_mb1_memory_fields_without_map(void **state)
{
    if (mb1_setup(state))
        skip();
    mb1.info.flags = MB1_INFO_MEMORY;
    mb1.info.mem_lower = 639;
    mb1.info.mem_upper = 31 * 1024;
    mb1.info.cmdline = 0xDEAD;                            /* flag clear: never read */
    mb1.info.mods_count = 7;
    assert_int_equal(boot_info_parse(MB1_BOOTLOADER_MAGIC, (uintptr_t)&mb1.info, &bi), 0);
    assert_int_equal(bi.nram, 2);
    assert_int_equal(bi.ram[0].start, 0);
    assert_int_equal(bi.ram[0].end, 639 * 1024);
    assert_int_equal(bi.ram[1].start, 1 * MiB);
    assert_int_equal(bi.ram[1].end, 32 * MiB);
    assert_int_equal(bi.nmodules, 0);
    assert_string_equal(bi.cmdline, "");
}

static void test_unknown_magic(void **state)
{
    (void)state;
    console_reset();
    memset(&bi, 0x55, sizeof(bi));
    assert_int_equal(boot_info_parse(0x12345678, (uintptr_t)mb2, &bi), -1);
    assert_string_equal(console_out, "perfvisor: not started by a multiboot loader (eax=12345678)\n");
    assert_int_equal(bi.nram, 0);
    assert_int_equal(bi.nmodules, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mb2_cmdline_modules_and_mmap),
        cmocka_unit_test(test_mb2_larger_mmap_entries_and_stops_at_end_tag),
        cmocka_unit_test(test_mb2_acpi_rsdp_tags),
        cmocka_unit_test(test_mb2_too_many_modules_and_long_cmdline),
        cmocka_unit_test(test_mb1_cmdline_mods_and_mmap),
        cmocka_unit_test(test_mb1_memory_fields_without_map),
        cmocka_unit_test(test_unknown_magic),
    };
    return cmocka_run_group_tests_name("boot/boot_info.c", tests, NULL, NULL);
}
