/* arch/x86/guest_paging.c: guest linear -> guest-physical through hand-built page tables
 * (SDM Vol. 3A 4.3 32-bit paging, 4.4 PAE paging, 4.5 4-level paging).  A 1 MiB host buffer
 * stands for guest-physical [0, 1 MiB); read_phys fails for anything outside it. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "arch/x86/guest_paging.h"

/* The architectural bits, spelled out here rather than taken from the code under test. */
#define CR0_PG_BIT   (1ull << 31)
#define CR4_PSE_BIT  (1ull << 4)
#define CR4_PAE_BIT  (1ull << 5)
#define CR4_LA57_BIT (1ull << 12)
#define EFER_LME_BIT (1ull << 8)
#define EFER_LMA_BIT (1ull << 10)
#define P   (1ull << 0)
#define RW  (1ull << 1)
#define PS  (1ull << 7)
#define PAT_LARGE (1ull << 12)          /* PAT bit of a 4 MiB / 2 MiB / 1 GiB entry */
#define XD  (1ull << 63)

#define MEM_SIZE 0x100000u

static struct guest_mem {
    uint8_t bytes[MEM_SIZE];
    int reads;                          /* read_phys calls */
    int failed;                         /* of them, refused */
} gm;

static int read_phys(void *ctx, uint64_t gpa, void *buf, size_t len)
{
    struct guest_mem *m = ctx;
    assert_ptr_equal(m, &gm);
    m->reads++;
    if (gpa > MEM_SIZE || len > MEM_SIZE - gpa) {
        m->failed++;
        return -1;
    }
    memcpy(buf, m->bytes + gpa, len);
    return 0;
}

static void put32(uint64_t gpa, uint32_t v) { memcpy(gm.bytes + gpa, &v, 4); }
static void put64(uint64_t gpa, uint64_t v) { memcpy(gm.bytes + gpa, &v, 8); }

static struct guest_paging pg;

static int setup(void **state)
{
    (void)state;
    memset(&gm, 0, sizeof(gm));
    memset(&pg, 0, sizeof(pg));
    pg.read_phys = read_phys;
    pg.ctx = &gm;
    return 0;
}

/* translate, expecting success */
static uint64_t tr(uint64_t gva)
{
    uint64_t gpa = 0xDEADBEEFDEADBEEFull;
    int r = guest_paging_translate(&pg, gva, &gpa);
    if (r != 0)
        fail_msg("gva %#llx: translate returned %d", (unsigned long long)gva, r);
    return gpa;
}

static int tr_fails(uint64_t gva)
{
    uint64_t gpa = 0x5A5A5A5A5A5A5A5Aull;
    int r = guest_paging_translate(&pg, gva, &gpa);
    return r;
}

/* A 4-level linear address from its table indices, sign-extended from bit 47. */
static uint64_t va4(uint64_t l4, uint64_t l3, uint64_t l2, uint64_t l1, uint64_t off)
{
    uint64_t va = l4 << 39 | l3 << 30 | l2 << 21 | l1 << 12 | off;
    if (va & (1ull << 47))
        va |= 0xFFFF000000000000ull;
    return va;
}

/* ---- paging off ---------------------------------------------------------------------- */

static void test_paging_off_is_identity_32bit(void **state)
{
    (void)state;
    pg.cr0 = 0x11;                                   /* PE, ET: protected mode, no paging */
    pg.cr3 = 0x1000;
    pg.cr4 = CR4_PAE_BIT | CR4_PSE_BIT;              /* irrelevant while CR0.PG = 0 */
    assert_int_equal(tr(0), 0);
    assert_int_equal(tr(0x12345678), 0x12345678);
    assert_int_equal(tr(0xFFFFFFFF), 0xFFFFFFFF);
    assert_int_equal(tr(0xABCD000012345678ull), 0x12345678);   /* truncated to 32 bits */
    assert_int_equal(tr(0x100000000ull), 0);
    assert_int_equal(gm.reads, 0);                    /* no table was read */
}

/* ---- 32-bit paging -------------------------------------------------------------------- */

static void build_32bit(void)
{
    pg.cr0 = CR0_PG_BIT | 0x11;
    pg.cr3 = 0x1000 | 0x18;                           /* PWT, PCD: not address bits */
    /* 4 KiB pages */
    put32(0x1000 + 1 * 4, 0x2000 | P | RW);           /* PDE 1 -> PT at 0x2000 */
    put32(0x2000 + 3 * 4, 0x7000 | P | RW);           /* 0x00403xxx -> 0x7xxx */
    put32(0x2000 + 4 * 4, 0x7000 | RW);               /* not present */
    put32(0x1000 + 0x3FF * 4, 0x3000 | P);
    put32(0x3000 + 0x3FF * 4, 0xFFFFF000u | P);       /* 0xFFFFFxxx -> 0xFFFFFxxx */
    put32(0x1000 + 5 * 4, 0x2000 | RW);               /* PDE not present */
    put32(0x1000 + 6 * 4, 0x80000000u | P);           /* PT outside guest memory */
    /* 4 MiB pages */
    put32(0x1000 + 0x300 * 4, 0x12C00000u | PS | P);
    put32(0x1000 + 0x301 * 4, 0x12C00000u | (0x5Au << 13) | PAT_LARGE | PS | P);   /* PSE-36 */
    put32(0x1000 + 0x303 * 4, 0x12C00000u | PS);      /* large but not present */
    /* PS set: a 4 MiB page with CR4.PSE, a page-table pointer without */
    put32(0x1000 + 0x302 * 4, 0x4000 | PS | P);
    put32(0x4000 + 5 * 4, 0x9000 | P);
}

static void test_32bit_4k_pages(void **state)
{
    (void)state;
    build_32bit();
    assert_int_equal(tr(0x00403ABC), 0x7ABC);
    assert_int_equal(tr(0x00403000), 0x7000);
    assert_int_equal(tr(0x00403FFF), 0x7FFF);
    assert_int_equal(tr(0xFFFFF123), 0xFFFFF123);
    assert_int_equal(tr(0xABCD000000403ABCull), 0x7ABC);   /* bits 63:32 of gva ignored */
    pg.cr4 = CR4_PSE_BIT;                                   /* PSE changes nothing for 4 KiB */
    assert_int_equal(tr(0x00403ABC), 0x7ABC);
}

static void test_32bit_4m_pages_pse(void **state)
{
    (void)state;
    build_32bit();
    pg.cr4 = CR4_PSE_BIT;
    assert_int_equal(tr(0xC0123456), 0x12D23456);
    assert_int_equal(tr(0xC0000000), 0x12C00000);
    assert_int_equal(tr(0xC03FFFFF), 0x12FFFFFF);
    /* PSE-36: PDE bits 20:13 are physical bits 39:32; bit 12 (PAT) is no address bit */
    assert_int_equal(tr(0xC0654321), 0x5A12E54321ull);
    /* the PDE with PS is now a 4 MiB page: 0x4000 >> 13 = 2 -> physical bit 33 */
    assert_int_equal(tr(0xC0805678), 0x200005678ull);
    assert_int_equal(tr_fails(0xC0C00000), -1);           /* large, not present */
}

static void test_32bit_ps_ignored_without_cr4_pse(void **state)
{
    (void)state;
    build_32bit();
    pg.cr4 = 0;
    assert_int_equal(tr(0xC0805678), 0x9678);             /* PT at 0x4000, PTE 5 */
    assert_int_equal(tr_fails(0xC0123456), -1);           /* PT at 0x12C00000: outside */
}

static void test_32bit_not_present_and_outside(void **state)
{
    (void)state;
    build_32bit();
    assert_int_equal(tr_fails(0x00404000), -1);           /* PTE P = 0 */
    assert_int_equal(tr_fails(0x01400000), -1);           /* PDE P = 0 */
    assert_int_equal(tr_fails(0x00000000), -1);           /* PDE 0 empty */
    int failed = gm.failed;
    assert_int_equal(tr_fails(0x01800000), -1);           /* PT outside guest memory */
    assert_int_equal(gm.failed, failed + 1);
    pg.cr3 = 0x200000;                                    /* PD outside guest memory */
    assert_int_equal(tr_fails(0x00403ABC), -1);
    pg.cr3 = MEM_SIZE - 0x1000;                           /* PD inside, all zero */
    assert_int_equal(tr_fails(0x00403ABC), -1);
}

/* ---- PAE paging ----------------------------------------------------------------------- */

static void build_pae(void)
{
    pg.cr0 = CR0_PG_BIT | 0x11;
    pg.cr4 = CR4_PAE_BIT;
    pg.efer = EFER_LME_BIT;                           /* LME without LMA: still PAE */
    pg.cr3 = 0x1FE0 | 0x18;                           /* 32-byte aligned PDPT; PWT, PCD */
    put64(0x1FE0 + 0 * 8, 0x5000 | P);
    put64(0x1FE0 + 1 * 8, 0x40000000ull | P);         /* PD outside guest memory */
    put64(0x1FE0 + 2 * 8, 0x3000 | P);
    put64(0x1FE0 + 3 * 8, 0x6000);                    /* not present */
    put64(0x5000 + 0 * 8, 0x6000 | P | RW);
    put64(0x6000 + 0 * 8, 0x7000 | P | RW);           /* 0x00000xxx -> 0x7xxx */
    put64(0x3000 + 3 * 8, 0x123400000ull | PAT_LARGE | PS | P | RW | XD);   /* 2 MiB */
    put64(0x3000 + 4 * 8, 0x4000 | P | RW);
    put64(0x4000 + 0x12 * 8, 0x42ABCDE000ull | P | XD);                     /* 4 KiB */
    put64(0x4000 + 0x13 * 8, 0x42ABCD0000ull);                               /* not present */
    put64(0x3000 + 5 * 8, 0x123600000ull | PS);                             /* not present */
    put64(0x3000 + 6 * 8, 0xFFFFF000ull | P);                               /* PT outside */
}

static void test_pae_2m_and_4k_pages(void **state)
{
    (void)state;
    build_pae();
    assert_int_equal(tr(0x80654321), 0x123454321ull);
    assert_int_equal(tr(0x80600000), 0x123400000ull);
    assert_int_equal(tr(0x807FFFFF), 0x1235FFFFFull);
    assert_int_equal(tr(0x80812345), 0x42ABCDE345ull);
    assert_int_equal(tr(0x00000ABC), 0x7ABC);
    assert_int_equal(tr(0xFFFFFFFF80654321ull), 0x123454321ull);   /* only 32 bits of gva */
}

static void test_pae_pdpt_needs_only_32_byte_alignment(void **state)
{
    (void)state;
    build_pae();
    /* the same PDPT moved to 0x8020: a 32-byte aligned CR3 that is not page aligned */
    memcpy(gm.bytes + 0x8020, gm.bytes + 0x1FE0, 32);
    memset(gm.bytes + 0x1FE0, 0, 32);
    pg.cr3 = 0x8020;
    assert_int_equal(tr(0x80654321), 0x123454321ull);
    assert_int_equal(tr(0x80812345), 0x42ABCDE345ull);
    pg.cr3 = 0x8020 | 0x1F;                                        /* bits 4:0 ignored */
    assert_int_equal(tr(0x80812345), 0x42ABCDE345ull);
}

static void test_pae_not_present_and_outside(void **state)
{
    (void)state;
    build_pae();
    assert_int_equal(tr_fails(0xC0000000), -1);           /* PDPTE P = 0 */
    assert_int_equal(tr_fails(0x80A00000), -1);           /* PDE (2 MiB) P = 0 */
    assert_int_equal(tr_fails(0x80E00000), -1);           /* PDE 7 empty */
    assert_int_equal(tr_fails(0x80813000), -1);           /* PTE P = 0 */
    assert_int_equal(tr_fails(0x40000000), -1);           /* PD outside guest memory */
    assert_int_equal(tr_fails(0x80C00000), -1);           /* PT outside guest memory */
    pg.cr3 = 0xFFFFFFE0;                                  /* PDPT outside guest memory */
    assert_int_equal(tr_fails(0x80812345), -1);
}

/* ---- 4-level paging ------------------------------------------------------------------- */

static void build_4level(void)
{
    pg.cr0 = CR0_PG_BIT | 0x11;
    pg.cr4 = CR4_PAE_BIT | CR4_PSE_BIT;
    pg.efer = EFER_LME_BIT | EFER_LMA_BIT;
    pg.cr3 = 0x1000 | 0x18;
    /* low half */
    put64(0x1000 + 0 * 8, 0xFFF0000000002000ull | P | RW);     /* bits 63:52 are no address */
    put64(0x2000 + 1 * 8, 0x8040000000ull | PAT_LARGE | PS | P);   /* 1 GiB */
    put64(0x2000 + 2 * 8, 0x3000 | P | RW);
    put64(0x2000 + 3 * 8, 0x3000 | RW);                          /* PDPTE not present */
    put64(0x2000 + 4 * 8, 0x8040000000ull | PS);                 /* 1 GiB, not present */
    put64(0x3000 + 3 * 8, 0x123400000ull | PAT_LARGE | PS | P);  /* 2 MiB */
    put64(0x3000 + 4 * 8, 0x4000 | P | RW | XD);
    put64(0x3000 + 5 * 8, 0x4000 | RW);                          /* PDE not present */
    put64(0x3000 + 6 * 8, 0xFFFFF000ull | P);                    /* PT outside */
    put64(0x4000 + 0x12 * 8, 0x42ABCDE000ull | 0xE00 | P | XD);  /* 4 KiB; bits 11:9 ignored */
    put64(0x4000 + 0x13 * 8, 0x42ABCDE000ull);                   /* PTE not present */
    put64(0x1000 + 1 * 8, 0x2000 | RW);                          /* PML4E not present */
    put64(0x1000 + 2 * 8, 0x7FFFFFF000ull | P);                  /* PDPT outside */
    /* high half: a kernel at -2 GiB and the direct map at 0xFFFF800000000000 */
    put64(0x1000 + 511 * 8, 0x5000 | P);
    put64(0x5000 + 510 * 8, 0x6000 | P);
    put64(0x6000 + 0 * 8, 0x7000 | P);
    put64(0x7000 + 1 * 8, 0x9000 | P);
    put64(0x1000 + 256 * 8, 0x8000 | P);
    put64(0x8000 + 0 * 8, 0x100000000ull | PS | P);
}

static void test_4level_1g_2m_4k_pages(void **state)
{
    (void)state;
    build_4level();
    assert_int_equal(va4(0, 1, 0, 0, 0) + 0x12345678, 0x52345678);
    assert_int_equal(tr(0x52345678), 0x8052345678ull);             /* 1 GiB */
    assert_int_equal(tr(0x40000000), 0x8040000000ull);
    assert_int_equal(tr(0x7FFFFFFF), 0x807FFFFFFFull);
    assert_int_equal(tr(0x80654321), 0x123454321ull);              /* 2 MiB */
    assert_int_equal(tr(0x807FFFFF), 0x1235FFFFFull);
    assert_int_equal(tr(0x80812345), 0x42ABCDE345ull);             /* 4 KiB */
    assert_int_equal(tr(va4(0, 2, 4, 0x12, 0xFFF)), 0x42ABCDEFFFull);
}

static void test_4level_high_canonical(void **state)
{
    (void)state;
    build_4level();
    assert_int_equal(va4(511, 510, 0, 1, 0xABC), 0xFFFFFFFF80001ABCull);
    assert_int_equal(tr(0xFFFFFFFF80001ABCull), 0x9ABC);
    assert_int_equal(tr(0xFFFF800000123456ull), 0x100123456ull);
    assert_int_equal(tr(0xFFFF80003FFFFFFFull), 0x13FFFFFFFull);
    assert_int_equal(tr_fails(0xFFFFFFFF80002000ull), -1);         /* PTE 2 empty */
}

static void test_4level_not_present_and_outside(void **state)
{
    (void)state;
    build_4level();
    assert_int_equal(tr_fails(va4(1, 0, 0, 0, 0)), -1);            /* PML4E P = 0 */
    assert_int_equal(tr_fails(va4(3, 0, 0, 0, 0)), -1);            /* PML4E empty */
    assert_int_equal(tr_fails(va4(0, 3, 0, 0, 0)), -1);            /* PDPTE P = 0 */
    assert_int_equal(tr_fails(va4(0, 4, 0, 0, 0x123)), -1);        /* 1 GiB, P = 0 */
    assert_int_equal(tr_fails(va4(0, 2, 5, 0, 0)), -1);            /* PDE P = 0 */
    assert_int_equal(tr_fails(va4(0, 2, 7, 0, 0)), -1);            /* PDE empty */
    assert_int_equal(tr_fails(va4(0, 2, 4, 0x13, 0)), -1);         /* PTE P = 0 */
    assert_int_equal(tr_fails(va4(0, 2, 4, 0x14, 0)), -1);         /* PTE empty */
    assert_int_equal(tr_fails(va4(2, 0, 0, 0, 0)), -1);            /* PDPT outside */
    assert_int_equal(tr_fails(va4(0, 2, 6, 0, 0)), -1);            /* PT outside */
    pg.cr3 = 0xFFFF0000000ull;                                     /* PML4 outside */
    assert_int_equal(tr_fails(0x80812345), -1);
}

static void test_4level_la57_refused(void **state)
{
    (void)state;
    build_4level();
    assert_int_equal(tr(0x80812345), 0x42ABCDE345ull);
    pg.cr4 |= CR4_LA57_BIT;
    int reads = gm.reads;
    assert_int_equal(tr_fails(0x80812345), -1);
    assert_int_equal(tr_fails(0xFFFFFFFF80001ABCull), -1);
    assert_int_equal(gm.reads, reads);                             /* not even tried */
}

static void test_efer_lma_selects_4level(void **state)
{
    (void)state;
    build_4level();
    pg.efer = EFER_LMA_BIT;                     /* LMA alone decides, not LME */
    assert_int_equal(tr(0x80812345), 0x42ABCDE345ull);
    /* LME without LMA: PAE, so the PML4 at 0x1000 is read as a PDPT and its entry 2
     * (PML4E 2 -> 0x7FFFFFF000) as the PDPTE for 0x80812345: outside guest memory */
    pg.efer = EFER_LME_BIT;
    assert_int_equal(tr_fails(0x80812345), -1);
}

/* ---- guest_paging_read ---------------------------------------------------------------- */

static void build_read(void)
{
    pg.cr0 = CR0_PG_BIT;
    pg.cr3 = 0x1000;
    put32(0x1000, 0x2000 | P);
    put32(0x2000 + 0x10 * 4, 0x9000 | P);       /* 0x10000 -> 0x9000 */
    put32(0x2000 + 0x11 * 4, 0x5000 | P);       /* 0x11000 -> 0x5000: not after 0x9000 */
    put32(0x2000 + 0x12 * 4, 0xA000 | P);       /* 0x12000 -> 0xA000 */
    put32(0x2000 + 0x14 * 4, 0x80000000u | P);  /* 0x14000 -> outside guest memory */
    put32(0x2000 + 0x15 * 4, 0xB000 | P);       /* 0x15000 -> 0xB000, then 0x16000 unmapped */
    for (unsigned i = 0; i < 0x1000; i++) {
        gm.bytes[0x9000 + i] = (uint8_t)(i * 7 + 1);
        gm.bytes[0x5000 + i] = (uint8_t)(i * 13 + 5);
        gm.bytes[0xA000 + i] = (uint8_t)(i * 3 + 11);
        gm.bytes[0xB000 + i] = 0xEE;
    }
}

static void test_read_across_page_boundary(void **state)
{
    (void)state;
    build_read();
    uint8_t buf[16], want[16];
    memcpy(want, gm.bytes + 0x9FF8, 8);
    memcpy(want + 8, gm.bytes + 0x5000, 8);
    memset(buf, 0, sizeof(buf));
    assert_int_equal(guest_paging_read(&pg, 0x10FF8, buf, 16), 0);
    assert_memory_equal(buf, want, 16);
    /* within one page */
    assert_int_equal(guest_paging_read(&pg, 0x11010, buf, 16), 0);
    assert_memory_equal(buf, gm.bytes + 0x5010, 16);
    /* ending exactly at a page end */
    assert_int_equal(guest_paging_read(&pg, 0x10FF0, buf, 16), 0);
    assert_memory_equal(buf, gm.bytes + 0x9FF0, 16);
}

static void test_read_three_pages(void **state)
{
    (void)state;
    build_read();
    static uint8_t buf[4 + 4096 + 4], want[4 + 4096 + 4];
    memcpy(want, gm.bytes + 0x9FFC, 4);
    memcpy(want + 4, gm.bytes + 0x5000, 4096);
    memcpy(want + 4 + 4096, gm.bytes + 0xA000, 4);
    assert_int_equal(guest_paging_read(&pg, 0x10FFC, buf, sizeof(buf)), 0);
    assert_memory_equal(buf, want, sizeof(buf));
}

static void test_read_second_page_unmapped(void **state)
{
    (void)state;
    build_read();
    uint8_t buf[16];
    assert_int_equal(guest_paging_read(&pg, 0x12FF8, buf, 16), -1);   /* 0x13000 unmapped */
    assert_int_equal(guest_paging_read(&pg, 0x15FFF, buf, 2), -1);    /* 0x16000 unmapped */
    assert_int_equal(guest_paging_read(&pg, 0x15FFF, buf, 1), 0);     /* last byte is fine */
    assert_int_equal(buf[0], 0xEE);
    assert_int_equal(guest_paging_read(&pg, 0x13000, buf, 1), -1);    /* first page unmapped */
    assert_int_equal(guest_paging_read(&pg, 0x14000, buf, 4), -1);    /* frame outside */
    assert_int_equal(guest_paging_read(&pg, 0x13000, buf, 0), 0);     /* nothing to read */
}

static void test_read_paging_off(void **state)
{
    (void)state;
    build_read();
    pg.cr0 = 0;
    uint8_t buf[8];
    assert_int_equal(guest_paging_read(&pg, 0x9FFC, buf, 8), 0);      /* contiguous */
    assert_memory_equal(buf, gm.bytes + 0x9FFC, 8);
    assert_int_equal(guest_paging_read(&pg, 0x1000009FFCull, buf, 8), 0);  /* truncated */
    assert_memory_equal(buf, gm.bytes + 0x9FFC, 8);
    assert_int_equal(guest_paging_read(&pg, MEM_SIZE - 4, buf, 8), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_paging_off_is_identity_32bit, setup),
        cmocka_unit_test_setup(test_32bit_4k_pages, setup),
        cmocka_unit_test_setup(test_32bit_4m_pages_pse, setup),
        cmocka_unit_test_setup(test_32bit_ps_ignored_without_cr4_pse, setup),
        cmocka_unit_test_setup(test_32bit_not_present_and_outside, setup),
        cmocka_unit_test_setup(test_pae_2m_and_4k_pages, setup),
        cmocka_unit_test_setup(test_pae_pdpt_needs_only_32_byte_alignment, setup),
        cmocka_unit_test_setup(test_pae_not_present_and_outside, setup),
        cmocka_unit_test_setup(test_4level_1g_2m_4k_pages, setup),
        cmocka_unit_test_setup(test_4level_high_canonical, setup),
        cmocka_unit_test_setup(test_4level_not_present_and_outside, setup),
        cmocka_unit_test_setup(test_4level_la57_refused, setup),
        cmocka_unit_test_setup(test_efer_lma_selects_4level, setup),
        cmocka_unit_test_setup(test_read_across_page_boundary, setup),
        cmocka_unit_test_setup(test_read_three_pages, setup),
        cmocka_unit_test_setup(test_read_second_page_unmapped, setup),
        cmocka_unit_test_setup(test_read_paging_off, setup),
    };
    return cmocka_run_group_tests_name("arch/x86/guest_paging.c", tests, NULL, NULL);
}
