/* hv/vioapic.c: the I/O APIC's registers and pin rules (82093AA datasheet 3.0), and its
 * round trip through the vLAPIC (IRR, TMR, broadcast EOI: SDM Vol. 3A 11.8.5). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "hv/vioapic.h"
#include "hv/vlapic.h"

static struct vioapic io;
static int got[16], ngot, got_level, refuse;

static int record(void *ctx, int vector, int level)
{
    (void)ctx;
    if (refuse)
        return 0;
    got[ngot++ % 16] = vector;
    got_level = level;
    return 1;
}

static int setup(void **state)
{
    (void)state;
    memset(&io, 0x5A, sizeof(io));
    vioapic_init(&io, 0, record, NULL);
    ngot = got_level = refuse = 0;
    return 0;
}

static uint32_t rd(uint8_t reg)
{
    vioapic_mmio_write(&io, VIOAPIC_REGSEL, reg);
    return vioapic_mmio_read(&io, VIOAPIC_WIN);
}

static void wr(uint8_t reg, uint32_t v)
{
    vioapic_mmio_write(&io, VIOAPIC_REGSEL, reg);
    vioapic_mmio_write(&io, VIOAPIC_WIN, v);
}

static void route(int pin, uint32_t lo, uint32_t dest)
{
    wr((uint8_t)(VIOAPIC_REG_REDTBL + 2 * pin + 1), dest << 24);
    wr((uint8_t)(VIOAPIC_REG_REDTBL + 2 * pin), lo);
}

/* IOREGSEL reads back; ID R/W bits 27:24 only; VER 20H with 23 entries; ARB follows ID. */
static void test_id_ver_arb(void **state)
{
    (void)state;
    vioapic_mmio_write(&io, VIOAPIC_REGSEL, 0x12);
    assert_int_equal(vioapic_mmio_read(&io, VIOAPIC_REGSEL), 0x12);
    assert_int_equal(rd(VIOAPIC_REG_ID), 0);
    assert_int_equal(rd(VIOAPIC_REG_VER), 0x00170020);
    wr(VIOAPIC_REG_ID, 0xFFFFFFFF);
    assert_int_equal(rd(VIOAPIC_REG_ID), 0x0F000000);
    assert_int_equal(rd(VIOAPIC_REG_ARB), 0x0F000000);
    wr(VIOAPIC_REG_VER, 0);                     /* read-only */
    wr(VIOAPIC_REG_ARB, 0);
    assert_int_equal(rd(VIOAPIC_REG_VER), 0x00170020);
    assert_int_equal(rd(VIOAPIC_REG_ARB), 0x0F000000);
    assert_int_equal(rd(0x03), 0);              /* unimplemented registers */
    assert_int_equal(rd(0x40), 0);
    assert_int_equal(vioapic_mmio_read(&io, 0x20), 0);
}

/* Reset: every entry masked, the rest 0; writable bits only; RO bits stay. */
static void test_redtbl_reset_and_bits(void **state)
{
    (void)state;
    for (int pin = 0; pin < VIOAPIC_PINS; pin++) {
        assert_int_equal(rd((uint8_t)(0x10 + 2 * pin)), IOREDTBL_MASKED);
        assert_int_equal(rd((uint8_t)(0x11 + 2 * pin)), 0);
    }
    wr(0x10 + 2 * 5, 0xFFFFFFFF);
    wr(0x11 + 2 * 5, 0xFFFFFFFF);
    assert_int_equal(rd(0x10 + 2 * 5), 0x1AFFF);    /* no delivery status, remote IRR, 55:17 */
    assert_int_equal(rd(0x11 + 2 * 5), 0xFF000000);
    assert_int_equal(rd(0x10 + 2 * 4), IOREDTBL_MASKED);    /* neighbours untouched */
    assert_int_equal(rd(0x10 + 2 * 6), IOREDTBL_MASKED);
    assert_int_equal(ngot, 0);
}

/* Edge: one message per 0->1 transition; held or repeated level sends nothing more. */
static void test_edge(void **state)
{
    (void)state;
    route(4, 0x34, 0);
    vioapic_set_irq(&io, 4, 1);
    vioapic_set_irq(&io, 4, 1);
    assert_int_equal(ngot, 1);
    assert_int_equal(got[0], 0x34);
    assert_int_equal(got_level, 0);
    vioapic_set_irq(&io, 4, 0);
    vioapic_set_irq(&io, 4, 1);
    assert_int_equal(ngot, 2);
    assert_int_equal(rd(0x10 + 8) & IOREDTBL_REMOTE_IRR, 0);
}

/* Masked edges are lost, also after unmasking. */
static void test_edge_masked_lost(void **state)
{
    (void)state;
    route(3, 0x33 | IOREDTBL_MASKED, 0);
    vioapic_set_irq(&io, 3, 1);
    route(3, 0x33, 0);
    assert_int_equal(ngot, 0);
    vioapic_set_irq(&io, 3, 0);
    vioapic_set_irq(&io, 3, 1);
    assert_int_equal(ngot, 1);
}

/* Level: one message, remote IRR set until the EOI of its vector; resent while asserted. */
static void test_level_remote_irr_eoi(void **state)
{
    (void)state;
    route(9, 0x49 | IOREDTBL_LEVEL, 0);
    vioapic_set_irq(&io, 9, 1);
    assert_int_equal(ngot, 1);
    assert_int_equal(got_level, 1);
    assert_true(rd(0x10 + 18) & IOREDTBL_REMOTE_IRR);
    vioapic_set_irq(&io, 9, 1);
    assert_int_equal(ngot, 1);
    vioapic_eoi(&io, 0x50);                     /* another vector: nothing */
    assert_true(rd(0x10 + 18) & IOREDTBL_REMOTE_IRR);
    vioapic_eoi(&io, 0x49);                     /* still asserted: again */
    assert_int_equal(ngot, 2);
    assert_true(rd(0x10 + 18) & IOREDTBL_REMOTE_IRR);
    vioapic_set_irq(&io, 9, 0);
    vioapic_eoi(&io, 0x49);
    assert_int_equal(ngot, 2);
    assert_int_equal(rd(0x10 + 18) & IOREDTBL_REMOTE_IRR, 0);
    /* a write of the low dword keeps remote IRR; the EOI register works as the broadcast */
    vioapic_set_irq(&io, 9, 1);
    wr(0x10 + 18, 0x49 | IOREDTBL_LEVEL | IOREDTBL_POLARITY_LOW);
    assert_int_equal(rd(0x10 + 18), 0x49 | IOREDTBL_LEVEL | IOREDTBL_POLARITY_LOW |
                                    IOREDTBL_REMOTE_IRR);
    vioapic_set_irq(&io, 9, 0);
    vioapic_mmio_write(&io, VIOAPIC_EOI, 0x49);
    assert_int_equal(rd(0x10 + 18) & IOREDTBL_REMOTE_IRR, 0);
}

/* Level masked: held; unmasking an asserted line sends; switching to edge clears remote IRR. */
static void test_level_mask_and_trigger_switch(void **state)
{
    (void)state;
    route(10, 0x4A | IOREDTBL_LEVEL | IOREDTBL_MASKED, 0);
    vioapic_set_irq(&io, 10, 1);
    assert_int_equal(ngot, 0);
    wr(0x10 + 20, 0x4A | IOREDTBL_LEVEL);
    assert_int_equal(ngot, 1);
    assert_true(rd(0x10 + 20) & IOREDTBL_REMOTE_IRR);
    wr(0x10 + 20, 0x4A | IOREDTBL_MASKED);      /* edge */
    assert_int_equal(rd(0x10 + 20) & IOREDTBL_REMOTE_IRR, 0);
    assert_int_equal(ngot, 1);
}

/* Destinations and delivery modes: what is dropped, and a refused message leaves no IRR. */
static void test_destination_and_modes(void **state)
{
    (void)state;
    route(1, 0x31, 1);                          /* physical APIC ID 1: nobody */
    vioapic_set_irq(&io, 1, 1);
    route(2, 0x32, 0xFF);                       /* physical broadcast */
    vioapic_set_irq(&io, 2, 1);
    route(5, 0x35 | IOREDTBL_LOGICAL, 0x01);    /* logical, flat: CPU 0 */
    vioapic_set_irq(&io, 5, 1);
    route(6, 0x36 | IOREDTBL_LOGICAL, 0);       /* logical, empty */
    vioapic_set_irq(&io, 6, 1);
    route(7, 0x37 | 1u << 8, 0);                /* lowest priority: the one CPU */
    vioapic_set_irq(&io, 7, 1);
    route(8, 0x38 | 4u << 8, 0);                /* NMI */
    vioapic_set_irq(&io, 8, 1);
    route(11, 0x3B | 7u << 8, 0);               /* ExtINT */
    vioapic_set_irq(&io, 11, 1);
    assert_int_equal(ngot, 3);
    assert_int_equal(got[0], 0x32);
    assert_int_equal(got[1], 0x35);
    assert_int_equal(got[2], 0x37);
    assert_int_equal(io.dropped, 4);
    refuse = 1;
    route(12, 0x3C | IOREDTBL_LEVEL, 0);
    vioapic_set_irq(&io, 12, 1);
    assert_int_equal(rd(0x10 + 24) & IOREDTBL_REMOTE_IRR, 0);
    vioapic_set_irq(&io, 24, 1);                /* no such pin */
    vioapic_set_irq(&io, -1, 1);
    assert_int_equal(io.dropped, 5);
}

/* Through a real vLAPIC: IRR and TMR set, the guest's EOI broadcast re-arms the pin. */
static struct vlapic lapic;
static int to_lapic(void *ctx, int vector, int level)
{
    return vlapic_deliver(ctx, vector, level);
}
static void lapic_eoi(void *ctx, int vec)
{
    vioapic_eoi(ctx, vec);
}

static void test_vlapic_round_trip(void **state)
{
    (void)state;
    uint32_t v;
    int vec;
    vlapic_init(&lapic, 0);
    lapic.level_eoi = lapic_eoi;
    lapic.level_eoi_ctx = &io;
    vioapic_init(&io, 0, to_lapic, &lapic);
    vlapic_mmio_write(&lapic, APIC_SVR, 0x1FF, 0);
    route(4, 0x64 | IOREDTBL_LEVEL, 0);
    vioapic_set_irq(&io, 4, 1);
    assert_true(vlapic_pending(&lapic, &vec));
    assert_int_equal(vec, 0x64);
    vlapic_mmio_read(&lapic, APIC_TMR0 + 0x30, &v, 0);
    assert_int_equal(v, 1u << 4);
    vlapic_accept(&lapic, vec);
    vioapic_set_irq(&io, 4, 0);
    vlapic_mmio_write(&lapic, APIC_EOI, 0, 0);
    assert_int_equal(rd(0x10 + 8) & IOREDTBL_REMOTE_IRR, 0);
    vlapic_mmio_read(&lapic, APIC_TMR0 + 0x30, &v, 0);
    assert_int_equal(v, 0);
    /* a software-disabled LAPIC refuses: counted as dropped, remote IRR stays clear */
    vlapic_mmio_write(&lapic, APIC_SVR, 0xFF, 0);
    vioapic_set_irq(&io, 4, 1);
    assert_int_equal(io.dropped, 1);
    assert_int_equal(rd(0x10 + 8) & IOREDTBL_REMOTE_IRR, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_id_ver_arb, setup),
        cmocka_unit_test_setup(test_redtbl_reset_and_bits, setup),
        cmocka_unit_test_setup(test_edge, setup),
        cmocka_unit_test_setup(test_edge_masked_lost, setup),
        cmocka_unit_test_setup(test_level_remote_irr_eoi, setup),
        cmocka_unit_test_setup(test_level_mask_and_trigger_switch, setup),
        cmocka_unit_test_setup(test_destination_and_modes, setup),
        cmocka_unit_test_setup(test_vlapic_round_trip, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
