/* hv/linux_loader.c: the Linux boot protocol's 64-bit entry (boot.rst), on synthesized bzImage
 * setup headers, read back as the kernel's decompressor would. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "hv/guest_mbinfo.h"
#include "hv/linux_loader.h"

#define MiB (1024ull * 1024)
#define PM_OFF  0xA00            /* setup_sects 4: the protected-mode kernel after 5 sectors */
#define PM_LEN  0x10000

static uint8_t img[PM_OFF + PM_LEN];
static char err[200];

static void put16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }
static uint32_t get32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint64_t get64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }

/* A bzImage as Debian's 6.1 kernel has it: protocol 2.15, relocatable, 64-bit entry. */
static void make_bzimage(void)
{
    memset(img, 0, sizeof(img));
    img[0x1F1] = 4;                          /* setup_sects */
    put16(img + 0x1FE, 0xAA55);              /* boot_flag */
    img[0x200] = 0xEB;                       /* jmp short: the header ends at 0x202 + 0x6A */
    img[0x201] = 0x6A;
    memcpy(img + 0x202, "HdrS", 4);
    put16(img + 0x206, 0x020F);              /* version */
    img[0x211] = 0x01;                       /* loadflags: LOADED_HIGH */
    put32(img + 0x22C, 0x7FFFFFFF);          /* initrd_addr_max */
    put32(img + 0x230, 0x200000);            /* kernel_alignment */
    img[0x234] = 1;                          /* relocatable_kernel */
    put16(img + 0x236, 0x7F);                /* xloadflags: XLF_KERNEL_64 and more */
    put32(img + 0x238, 2047);                /* cmdline_size */
    put64(img + 0x258, 0x1000000);           /* pref_address: 16 MiB */
    put32(img + 0x260, 0x800000);            /* init_size: 8 MiB */
    for (int i = 0; i < PM_LEN; i++)
        img[PM_OFF + i] = (uint8_t)(i * 7 + 1);
}

/* Each test: 64 MiB of guest memory (a test passes a smaller gsize to shrink it), a fresh image. */
#define GMEM (64 * MiB)
static uint8_t *g;
static struct guest_boot_state st;
static struct linux_load ld;

static int setup(void **state)
{
    (void)state;
    g = calloc(1, GMEM);
    make_bzimage();
    return g ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    free(g);
    return 0;
}

static int load(uint64_t gsize, const char *cl, const uint8_t *rd, size_t rdlen)
{
    return linux_load(img, sizeof(img), g, gsize, cl, rd, rdlen, &st, &ld, err, sizeof(err));
}

static void test_detects_bzimage(void **state)
{
    (void)state;
    assert_true(linux_is_bzimage(img, sizeof(img)));
    assert_false(linux_is_bzimage(img, 0x200));              /* too short for the header */
    static const uint8_t elf[0x300] = { 0x7F, 'E', 'L', 'F' };
    assert_false(linux_is_bzimage(elf, sizeof(elf)));
    img[0x1FE] = 0;
    assert_false(linux_is_bzimage(img, sizeof(img)));        /* no 0xAA55 boot_flag */
}

static void test_loads_for_the_64bit_entry(void **state)
{
    (void)state;
    uint8_t rd[10000];
    memset(rd, 0x5A, sizeof(rd));
    assert_int_equal(load(GMEM, "console=ttyS0 quiet", rd, sizeof(rd)), 0);

    /* the kernel at pref_address, entered at +0x200 */
    assert_int_equal(ld.version, 0x020F);
    assert_int_equal(ld.kernel_lo, 16 * MiB);
    assert_int_equal(ld.kernel_hi, 24 * MiB);
    assert_int_equal(st.rip, 16 * MiB + 0x200);
    assert_memory_equal(g + 16 * MiB, img + PM_OFF, PM_LEN);

    /* boot_params: the setup header copied, the loader's fields set */
    const uint8_t *bp = g + LINUX_BOOT_PARAMS_GPA;
    assert_int_equal(st.rsi, LINUX_BOOT_PARAMS_GPA);
    assert_memory_equal(bp + 0x1F1, img + 0x1F1, 0x210 - 0x1F1);
    assert_int_equal(bp[0x210], 0xFF);                       /* type_of_loader: undefined */
    assert_int_equal(bp[0x000], 0);                          /* the rest zeroed */
    assert_int_equal(bp[0x26C], 0);                          /* nothing past the header */
    assert_int_equal(get32(bp + 0x228), LINUX_CMDLINE_GPA);  /* cmd_line_ptr */
    assert_string_equal((const char *)g + LINUX_CMDLINE_GPA, "console=ttyS0 quiet");

    /* the initrd page aligned at the top of RAM */
    assert_int_equal(get32(bp + 0x218), ld.initrd_lo);       /* ramdisk_image */
    assert_int_equal(get32(bp + 0x21C), sizeof(rd));         /* ramdisk_size */
    assert_int_equal(ld.initrd_lo, (GMEM - sizeof(rd)) & ~0xFFFull);
    assert_memory_equal(g + ld.initrd_lo, rd, sizeof(rd));

    /* e820: RAM but perfvisor's low pages and the EBDA/BIOS hole, up to mem= */
    assert_int_equal(bp[0x1E8], 5);
    const struct { uint64_t addr, size; uint32_t type; } want[] = {
        { 0, 0x1000, 1 }, { 0x1000, 0x1F000, 2 }, { 0x20000, 0x9FC00 - 0x20000, 1 },
        { 0x9FC00, 0x100000 - 0x9FC00, 2 }, { 0x100000, GMEM - 0x100000, 1 },
    };
    for (int i = 0; i < 5; i++) {
        const uint8_t *e = bp + 0x2D0 + 20 * i;
        assert_int_equal(get64(e), want[i].addr);
        assert_int_equal(get64(e + 8), want[i].size);
        assert_int_equal(get32(e + 16), want[i].type);
    }
}

/* ACPI: acpi_rsdp_addr (boot_params 0x070, protocol 2.14+) names a revision-2 RSDP with valid
 * checksums, 16-byte aligned in the BIOS area the kernel scans, which the e820 reports reserved;
 * its XSDT lists a FADT and an MADT whose I/O APIC sits at 0xFEC00000. */
static void test_acpi_rsdp(void **state)
{
    (void)state;
    assert_int_equal(load(GMEM, "x", NULL, 0), 0);
    const uint8_t *bp = g + LINUX_BOOT_PARAMS_GPA;
    uint64_t rsdp = get64(bp + 0x070);
    assert_int_equal(rsdp, LINUX_ACPI_GPA);
    assert_true(rsdp >= 0xE0000 && rsdp + 36 <= 0x100000 && !(rsdp & 15));
    const uint8_t *r = g + rsdp;
    assert_memory_equal(r, "RSD PTR ", 8);
    uint8_t sum = 0;
    for (int i = 0; i < 20; i++)
        sum = (uint8_t)(sum + r[i]);
    assert_int_equal(sum, 0);
    sum = 0;
    for (int i = 0; i < 36; i++)
        sum = (uint8_t)(sum + r[i]);
    assert_int_equal(sum, 0);
    assert_int_equal(r[15], 2);
    /* in the reserved e820 entry [0x9FC00, 1 MiB) */
    const uint8_t *e = bp + 0x2D0 + 20 * 3;
    assert_true(get64(e) <= rsdp && rsdp + 640 <= get64(e) + get64(e + 8));
    assert_int_equal(get32(e + 16), 2);
    /* XSDT -> FADT, MADT; the MADT's I/O APIC entry */
    const uint8_t *x = g + get64(r + 24);
    assert_memory_equal(x, "XSDT", 4);
    int found = 0;
    for (uint32_t off = 36; off + 8 <= get32(x + 4); off += 8) {
        const uint8_t *t = g + get64(x + off);
        if (memcmp(t, "APIC", 4))
            continue;
        for (uint32_t o = 44; o + 2 <= get32(t + 4); o += t[o + 1])
            if (t[o] == 1 && get32(t + o + 4) == 0xFEC00000u)
                found = 1;
    }
    assert_true(found);
}

/* The reset vector F000:FFF0 holds a stub that resets through port 0xCF9 (a kernel restarting
 * through the BIOS, as Linux does on a hardware-reduced platform without EFI, ends the domain),
 * inside the reserved e820 entry. */
static void test_reset_vector_stub(void **state)
{
    (void)state;
    assert_int_equal(load(GMEM, "x", NULL, 0), 0);
    const uint8_t *v = g + LINUX_RESET_VECTOR;
    static const uint8_t want[] = { 0xB0, 0x06, 0xBA, 0xF9, 0x0C, 0xEE };
    assert_int_equal(LINUX_RESET_VECTOR, 0xF0000 + 0xFFF0);
    assert_memory_equal(v, want, sizeof(want));   /* mov al,6; mov dx,0xCF9; out dx,al */
    const uint8_t *bp = g + LINUX_BOOT_PARAMS_GPA;
    const uint8_t *e = bp + 0x2D0 + 20 * 3;
    assert_true(get64(e) <= LINUX_RESET_VECTOR && LINUX_RESET_VECTOR + 16 <= get64(e) + get64(e + 8));
    assert_int_equal(get32(e + 16), 2);
}

/* boot.rst: long mode, paging on, an identity map of what the loader placed, __BOOT_CS 0x10 and
 * __BOOT_DS 0x18 flat, interrupts off. */
static void test_long_mode_state(void **state)
{
    (void)state;
    assert_int_equal(load(GMEM, "", NULL, 0), 0);
    assert_int_equal(ld.initrd_lo, 0);
    assert_int_equal(get32(g + LINUX_BOOT_PARAMS_GPA + 0x21C), 0);
    assert_true(st.long_mode);
    assert_true((st.cr0 & 0x80000001) == 0x80000001);        /* PG, PE */
    assert_true(st.cr4 & (1 << 5));                          /* PAE */
    assert_int_equal(st.efer, (1 << 8) | (1 << 10));         /* LME, LMA */
    assert_int_equal(st.cs, 0x10);
    assert_int_equal(st.ds, 0x18);

    /* walk the page tables for a few addresses: identity, 2 MiB pages, present and writable */
    const uint64_t addrs[] = { 0, LINUX_BOOT_PARAMS_GPA, 16 * MiB + 0x200, GMEM - 1,
                               3ull * 1024 * MiB + 5 };
    for (unsigned i = 0; i < sizeof(addrs) / sizeof(addrs[0]); i++) {
        uint64_t a = addrs[i];
        uint64_t pml4e = get64(g + st.cr3 + 8 * ((a >> 39) & 511));
        assert_true(pml4e & 1);
        uint64_t pdpte = get64(g + (pml4e & ~0xFFFull) + 8 * ((a >> 30) & 511));
        assert_true(pdpte & 1);
        uint64_t pde = get64(g + (pdpte & ~0xFFFull) + 8 * ((a >> 21) & 511));
        assert_int_equal(pde & 0x83, 0x83);                  /* P, RW, PS */
        assert_int_equal((pde & ~0x1FFFFFull) | (a & 0x1FFFFF), a);
    }
    const uint64_t *gdt = (const void *)(g + st.gdtr_base);
    assert_true(st.gdtr_limit >= 0x1F);
    assert_int_equal(gdt[0x10 / 8], 0x00AF9B000000FFFFull);  /* L=1, D=0, P, code */
    assert_int_equal(gdt[0x18 / 8], 0x00CF93000000FFFFull);  /* flat data */
}

static void test_refuses_old_protocol_and_32bit_only(void **state)
{
    (void)state;
    put16(img + 0x206, 0x020A);
    assert_int_equal(load(GMEM, "", NULL, 0), -1);
    assert_non_null(strstr(err, "2.10"));
    make_bzimage();
    put16(img + 0x236, 0x7E);                                /* XLF_KERNEL_64 clear */
    assert_int_equal(load(GMEM, "", NULL, 0), -1);
    assert_non_null(strstr(err, "64-bit"));
    make_bzimage();
    img[0x211] = 0;                                          /* a zImage */
    assert_int_equal(load(GMEM, "", NULL, 0), -1);
    assert_non_null(strstr(err, "zImage"));
}

/* pref_address is where a non-relocatable kernel must go; a relocatable one is rounded up to
 * kernel_alignment. */
static void test_load_address(void **state)
{
    (void)state;
    put64(img + 0x258, 0x1100000);
    img[0x234] = 0;
    assert_int_equal(load(GMEM, "", NULL, 0), 0);
    assert_int_equal(ld.kernel_lo, 0x1100000);
    assert_int_equal(st.rip, 0x1100200);
    img[0x234] = 1;
    assert_int_equal(load(GMEM, "", NULL, 0), 0);
    assert_int_equal(ld.kernel_lo, 0x1200000);
}

static void test_refuses_what_does_not_fit(void **state)
{
    (void)state;
    assert_int_equal(load(16 * MiB, "", NULL, 0), -1);   /* kernel beyond mem= */
    assert_non_null(strstr(err, "raise mem="));

    size_t big = 8 * MiB + 1;                                /* 24 MiB end + 8 MiB > 32 MiB */
    uint8_t *rd = calloc(1, big);
    assert_int_equal(load(32 * MiB, "", rd, big), -1);
    assert_non_null(strstr(err, "initrd"));
    assert_int_equal(load(32 * MiB, "", rd, big - 1), 0);             /* exactly fits */
    assert_int_equal(ld.initrd_lo, 24 * MiB);

    put32(img + 0x22C, 28 * MiB - 1);                        /* initrd_addr_max below RAM's top */
    assert_int_equal(load(32 * MiB, "", rd, 4 * MiB), 0);
    assert_int_equal(ld.initrd_hi, 28 * MiB);
    assert_int_equal(load(32 * MiB, "", rd, 4 * MiB + 1), -1);
    free(rd);
}

static void test_cmdline_within_cmdline_size(void **state)
{
    (void)state;
    put32(img + 0x238, 16);
    assert_int_equal(load(GMEM, "0123456789abcdef", NULL, 0), 0);
    assert_int_equal(load(GMEM, "0123456789abcdefg", NULL, 0), -1);
    assert_non_null(strstr(err, "at most 16"));
}

#define T(test) cmocka_unit_test_setup_teardown(test, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_detects_bzimage),
        T(test_loads_for_the_64bit_entry),
        T(test_acpi_rsdp),
        T(test_reset_vector_stub),
        T(test_long_mode_state),
        T(test_refuses_old_protocol_and_32bit_only),
        T(test_load_address),
        T(test_refuses_what_does_not_fit),
        T(test_cmdline_within_cmdline_size),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
