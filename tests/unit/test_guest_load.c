/* hv/guest_load.c: one loader entry point that tells a bzImage from a multiboot kernel by its
 * bytes and leaves the neutral start state (hv/guest_boot.h) arch/ applies: a multiboot
 * kernel's 32-bit handoff (Multiboot 0.6.96 3.2) or Linux's 64-bit entry (boot.rst). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "boot/multiboot.h"
#include "hv/guest_load.h"
#include "hv/guest_mbinfo.h"
#include "hv/linux_loader.h"

#define MiB  (1024ull * 1024)
#define GMEM (64 * MiB)

static uint8_t *g;
static uint8_t img[0x3000];
static struct guest_boot_state st;
static struct guest_load_info info;
static struct guest_module placed[GUEST_MAX_MODULES];
static char strings[GUEST_MAX_MODULES][BOOT_CMDLINE_MAX];
static char err[200];

static void put16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }
static uint32_t get32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }

/* A bzImage: protocol 2.12, relocatable, 64-bit entry, setup_sects 4, 0x1600 bytes of kernel. */
static void make_bzimage(void)
{
    memset(img, 0, sizeof(img));
    img[0x1F1] = 4;
    put16(img + 0x1FE, 0xAA55);
    img[0x200] = 0xEB;
    img[0x201] = 0x6A;
    memcpy(img + 0x202, "HdrS", 4);
    put16(img + 0x206, 0x020C);
    img[0x211] = 0x01;                       /* LOADED_HIGH */
    put32(img + 0x22C, 0x7FFFFFFF);          /* initrd_addr_max */
    put32(img + 0x230, 0x200000);            /* kernel_alignment */
    img[0x234] = 1;                          /* relocatable_kernel */
    put16(img + 0x236, 0x01);                /* XLF_KERNEL_64 */
    put32(img + 0x238, 255);                 /* cmdline_size */
    put64(img + 0x258, 0x1000000);           /* pref_address: 16 MiB */
    put32(img + 0x260, 0x100000);            /* init_size */
    img[0xA00 + 0x200] = 0xF4;               /* hlt at the 64-bit entry */
}

/* An ELF32 kernel: one PT_LOAD of the whole file at 1 MiB, entry at +0x100. */
static void make_elf32(void)
{
    memset(img, 0, sizeof(img));
    memcpy(img, "\x7f" "ELF", 4);
    img[4] = 1;                              /* ELFCLASS32 */
    img[5] = 1;                              /* little-endian */
    put16(img + 16, 2);                      /* ET_EXEC */
    put16(img + 18, 3);                      /* EM_386 */
    put32(img + 20, 1);
    put32(img + 24, 0x100100);               /* e_entry */
    put32(img + 28, 52);                     /* e_phoff */
    put16(img + 42, 32);                     /* e_phentsize */
    put16(img + 44, 1);                      /* e_phnum */
    uint8_t *ph = img + 52;
    put32(ph, 1);                            /* PT_LOAD */
    put32(ph + 4, 0);                        /* p_offset */
    put32(ph + 8, 0x100000);                 /* p_vaddr */
    put32(ph + 12, 0x100000);                /* p_paddr */
    put32(ph + 16, sizeof(img));             /* p_filesz */
    put32(ph + 20, sizeof(img) + 0x1000);    /* p_memsz */
}

static int setup(void **state)
{
    (void)state;
    g = calloc(1, GMEM);
    return g ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    free(g);
    return 0;
}

static int load(const struct boot_module *const *mods, int n, const char *cl)
{
    return guest_load(g, GMEM, img, sizeof(img), cl, mods, n, placed, strings, &st, &info, err,
                      sizeof(err));
}

static void test_kind_from_the_bytes(void **state)
{
    (void)state;
    make_bzimage();
    assert_int_equal(guest_image_kind(img, sizeof(img)), GUEST_KIND_LINUX);
    make_elf32();
    assert_int_equal(guest_image_kind(img, sizeof(img)), GUEST_KIND_MULTIBOOT);
    make_bzimage();
    memcpy(img + 0x202, "HdrX", 4);          /* no setup header: not Linux */
    assert_int_equal(guest_image_kind(img, sizeof(img)), GUEST_KIND_MULTIBOOT);
}

/* Multiboot 0.6.96 3.2: 32-bit protected mode, paging off, EAX magic, EBX the information, flat
 * CS 0x08 / DS 0x10 from the GDT at 0x5000. */
static void test_multiboot_start_state(void **state)
{
    (void)state;
    make_elf32();
    assert_int_equal(load(NULL, 0, "hello"), 0);
    assert_int_equal(info.kind, GUEST_KIND_MULTIBOOT);
    assert_string_equal(info.format, "elf32");
    assert_int_equal(info.lo, 0x100000);
    assert_false(st.long_mode);
    assert_int_equal(st.rip, 0x100100);
    assert_int_equal(st.rax, MB1_BOOTLOADER_MAGIC);
    assert_int_equal(st.rbx, GUEST_MBINFO_GPA);
    assert_int_equal(st.rsp, GUEST_STACK_GPA);
    assert_int_equal(st.cr0 & 0x80000001, 1);               /* PE, not PG */
    assert_int_equal(st.cr3, 0);
    assert_int_equal(st.cr4, 0);
    assert_int_equal(st.efer, 0);
    assert_int_equal(st.cs, GUEST_MB_CS);
    assert_int_equal(st.ds, GUEST_MB_DS);
    assert_int_equal(st.gdtr_base, GUEST_GDT_GPA);
    assert_int_equal(st.gdtr_limit, GUEST_MB_GDT_LIMIT);
    assert_int_equal(get32(g + GUEST_GDT_GPA + 8 + 4) & 0x9A00, 0x9A00);   /* P, S, code, readable */
    assert_memory_equal(g + 0x100000, img, sizeof(img));
}

/* boot.rst "64-bit Boot Protocol": long mode, identity map, __BOOT_CS 0x10, RSI boot_params;
 * the domain's one module is the initrd. */
static void test_linux_start_state(void **state)
{
    (void)state;
    static uint8_t rd[5000];
    memset(rd, 0xA5, sizeof(rd));
    struct boot_module m = { .start = (uint64_t)(uintptr_t)rd,
                             .end = (uint64_t)(uintptr_t)rd + sizeof(rd) };
    const struct boot_module *mods[] = { &m };
    make_bzimage();
    assert_int_equal(load(mods, 1, "console=ttyS0"), 0);
    assert_int_equal(info.kind, GUEST_KIND_LINUX);
    assert_int_equal(info.linux_version, 0x020C);
    assert_int_equal(info.lo, 16 * MiB);
    assert_int_equal(info.entry, 16 * MiB + 0x200);
    assert_true(st.long_mode);
    assert_int_equal(st.rip, 16 * MiB + 0x200);
    assert_int_equal(st.rsi, LINUX_BOOT_PARAMS_GPA);
    assert_int_equal(st.cs, LINUX_BOOT_CS);
    assert_int_equal(st.ds, LINUX_BOOT_DS);
    assert_int_equal(st.cr3, LINUX_PT_GPA);
    assert_true(st.cr4 & (1 << 5));                          /* PAE */
    assert_int_equal(st.efer & 0x500, 0x500);                /* LME, LMA */
    assert_int_equal(st.gdtr_base, GUEST_GDT_GPA);
    assert_true(st.gdtr_limit >= LINUX_BOOT_DS + 7);
    assert_int_equal(st.rax, 0);
    assert_int_equal(g[16 * MiB + 0x200], 0xF4);
    assert_string_equal((const char *)g + LINUX_CMDLINE_GPA, "console=ttyS0");
    assert_int_equal(info.initrd_hi - info.initrd_lo, sizeof(rd));
    assert_memory_equal(g + info.initrd_lo, rd, sizeof(rd));
}

static void test_linux_takes_one_module(void **state)
{
    (void)state;
    static uint8_t a[16], b[16];
    struct boot_module ma = { .start = (uint64_t)(uintptr_t)a, .end = (uint64_t)(uintptr_t)a + 16 };
    struct boot_module mb = { .start = (uint64_t)(uintptr_t)b, .end = (uint64_t)(uintptr_t)b + 16 };
    const struct boot_module *mods[] = { &ma, &mb };
    make_bzimage();
    assert_int_equal(load(mods, 2, ""), -1);
    assert_non_null(strstr(err, "cannot load its modules"));
}

/* The loaders' refusals come back as the domain's stop reason. */
static void test_refusals_name_what_failed(void **state)
{
    (void)state;
    make_bzimage();
    put16(img + 0x206, 0x020B);              /* protocol 2.11: no 64-bit entry */
    assert_int_equal(load(NULL, 0, ""), -1);
    assert_non_null(strstr(err, "cannot load its kernel: boot protocol 2.11"));
    memset(img, 0, sizeof(img));
    assert_int_equal(load(NULL, 0, ""), -1);
    assert_non_null(strstr(err, "cannot load its kernel: not a multiboot kernel"));
    make_elf32();
    put32(img + 52 + 12, 0x1000);            /* p_paddr below the info and stack */
    put32(img + 24, 0x1100);
    assert_int_equal(load(NULL, 0, ""), -1);
    assert_non_null(strstr(err, "cannot load its kernel: it loads at 0x1000"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kind_from_the_bytes),
        cmocka_unit_test_setup_teardown(test_multiboot_start_state, setup, teardown),
        cmocka_unit_test_setup_teardown(test_linux_start_state, setup, teardown),
        cmocka_unit_test_setup_teardown(test_linux_takes_one_module, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refusals_name_what_failed, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
