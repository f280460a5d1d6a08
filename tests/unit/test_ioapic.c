/* arch/x86/ioapic.c: the host I/O APICs found in a MADT (ACPI 6.4 5.2.12) and masked (82093AA
 * registers), issue #13 item 6, on synthesized tables and an I/O APIC model. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "arch/x86/ioapic.h"

static void put32(uint8_t *p, uint32_t v) { for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> 8 * i); }

static void test_madt_ioapics(void **state)
{
    (void)state;
    uint8_t m[128] = "APIC";
    uint32_t a[8];
    uint32_t off = 44;
    m[off] = 0, m[off + 1] = 8, off += 8;                          /* a local APIC */
    m[off] = 1, m[off + 1] = 12, put32(m + off + 4, 0xFEC00000), off += 12;
    m[off] = 2, m[off + 1] = 10, off += 10;                        /* an override */
    m[off] = 1, m[off + 1] = 12, put32(m + off + 4, 0xFEC01000), off += 12;
    assert_int_equal(madt_ioapics(m, off, a, 8), 2);
    assert_int_equal(a[0], 0xFEC00000u);
    assert_int_equal(a[1], 0xFEC01000u);
    assert_int_equal(madt_ioapics(m, off, a, 1), 1);               /* at most max */
    m[44 + 1] = 0;                                                 /* a zero-length entry */
    assert_int_equal(madt_ioapics(m, off, a, 8), 0);
    m[44 + 1] = 8;
    assert_int_equal(madt_ioapics(m, off - 4, a, 8), 1);           /* the last entry cut short */
}

struct model {
    uint32_t ver, lo[24];
    int writes;
};

static uint32_t rd(void *ctx, uint32_t r)
{
    struct model *m = ctx;
    return r == 1 ? m->ver : m->lo[(r - 0x10) / 2];
}

static void wr(void *ctx, uint32_t r, uint32_t v)
{
    struct model *m = ctx;
    assert_true(r >= 0x10 && (r & 1) == 0);                         /* low halves only */
    m->lo[(r - 0x10) / 2] = v;
    m->writes++;
}

static void test_mask_all(void **state)
{
    (void)state;
    struct model m = { .ver = 0x00170020 };                        /* 24 entries, version 20H */
    for (int i = 0; i < 24; i++)
        m.lo[i] = 0x10000 | (0x30 + i);
    m.lo[2] = 0x0030;                                              /* the firmware left IRQ0 on */
    m.lo[9] = 0xA039;                                              /* and the SCI, level/low */
    struct ioapic_io io = { rd, wr, &m };
    int on;
    assert_int_equal(ioapic_mask_all_io(&io, &on), 24);
    assert_int_equal(on, 2);
    assert_int_equal(m.writes, 2);                                 /* masked ones untouched */
    for (int i = 0; i < 24; i++)
        assert_true(m.lo[i] & 0x10000);
    assert_int_equal(m.lo[9], 0x1A039);                             /* the rest of the entry kept */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_madt_ioapics),
        cmocka_unit_test(test_mask_all),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
