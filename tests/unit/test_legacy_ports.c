/* hv/legacy_ports.c: the PICs, PIT, port 61H, CMOS/RTC and the reset requests. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "hv/legacy_ports.h"

static struct legacy_ports lp;

static int setup(void **state)
{
    (void)state;
    memset(&lp, 0x5A, sizeof(lp));
    legacy_init(&lp);
    return 0;
}

static enum legacy_result out(uint16_t port, uint8_t v)
{
    uint32_t value = 0xFFFFFF00u | v;
    return legacy_io(&lp, port, 1, 0, &value);
}

static uint32_t in(uint16_t port)
{
    uint32_t value = 0x12345678;
    assert_int_equal(legacy_io(&lp, port, 1, 1, &value), LEGACY_OK);
    return value;
}

/* Linux's init_8259A: mask all, ICW1-ICW4 on both chips, then its masks; probe_8259A's
 * read-back of FBH; IRR, ISR and the poll byte read 0. */
static void test_pic_linux_init(void **state)
{
    (void)state;
    assert_int_equal(in(PIC_MASTER_DATA), 0xFF);        /* reset: all masked */
    assert_int_equal(in(PIC_SLAVE_DATA), 0xFF);
    out(PIC_MASTER_DATA, 0xFF);
    out(PIC_SLAVE_DATA, 0xFF);
    assert_int_equal(out(PIC_MASTER_CMD, 0x11), LEGACY_OK);   /* ICW1: edge, cascade, ICW4 */
    out(PIC_MASTER_DATA, 0x30);                               /* ICW2: vectors 30H-37H */
    out(PIC_MASTER_DATA, 0x04);                               /* ICW3: slave on IR2 */
    out(PIC_MASTER_DATA, 0x01);                               /* ICW4: 8086 mode */
    out(PIC_SLAVE_CMD, 0x11);
    out(PIC_SLAVE_DATA, 0x38);
    out(PIC_SLAVE_DATA, 0x02);
    out(PIC_SLAVE_DATA, 0x01);
    assert_int_equal(lp.pic[0].vector_base, 0x30);
    assert_int_equal(lp.pic[1].vector_base, 0x38);
    assert_int_equal(lp.pic[0].icw_next, 0);
    assert_int_equal(in(PIC_MASTER_DATA), 0x00);        /* ICW1 clears the IMR */
    out(PIC_MASTER_DATA, 0xFB);                         /* probe_8259A */
    assert_int_equal(in(PIC_MASTER_DATA), 0xFB);
    out(PIC_SLAVE_DATA, 0xFF);
    assert_int_equal(in(PIC_SLAVE_DATA), 0xFF);
    out(PIC_MASTER_CMD, 0x0A);                          /* OCW3: read IRR */
    assert_int_equal(in(PIC_MASTER_CMD), 0);
    out(PIC_MASTER_CMD, 0x0B);                          /* OCW3: read ISR */
    assert_int_equal(lp.pic[0].read_isr, 1);
    assert_int_equal(in(PIC_MASTER_CMD), 0);
    out(PIC_MASTER_CMD, 0x0C);                          /* OCW3: poll */
    assert_int_equal(in(PIC_MASTER_CMD), 0);            /* bit 7 clear: no request */
    out(PIC_MASTER_CMD, 0x20);                          /* OCW2: non-specific EOI */
    out(PIC_SLAVE_CMD, 0x60 | 7);                       /* OCW2: specific EOI */
    assert_int_equal(in(PIC_MASTER_DATA), 0xFB);        /* untouched by OCW2/3 */
}

/* Single mode skips ICW3; no ICW4 when ICW1 bit 0 is clear. */
static void test_pic_icw_variants(void **state)
{
    (void)state;
    out(PIC_MASTER_CMD, 0x13);                          /* single, ICW4 */
    out(PIC_MASTER_DATA, 0x08);
    assert_int_equal(lp.pic[0].icw_next, 4);
    out(PIC_MASTER_DATA, 0x01);
    out(PIC_MASTER_DATA, 0xAA);
    assert_int_equal(in(PIC_MASTER_DATA), 0xAA);
    out(PIC_SLAVE_CMD, 0x10);                           /* cascade, no ICW4 */
    out(PIC_SLAVE_DATA, 0x70);
    out(PIC_SLAVE_DATA, 0x02);
    assert_int_equal(lp.pic[1].icw_next, 0);
    out(PIC_SLAVE_DATA, 0x55);
    assert_int_equal(in(PIC_SLAVE_DATA), 0x55);
}

/* PIT: counters read 0, writes accepted; port 61H: bits 3:0 stored, refresh toggles, OUT2 1. */
static void test_pit_and_port61(void **state)
{
    (void)state;
    assert_int_equal(out(PIT_MODE, 0xB0), LEGACY_OK);   /* channel 2, lo/hi, mode 0 */
    out(PIT_CH0 + 2, 0x9B);
    out(PIT_CH0 + 2, 0x2E);
    for (int ch = 0; ch < 3; ch++)
        assert_int_equal(in((uint16_t)(PIT_CH0 + ch)), 0);
    out(PORT_SYS_CTRL_B, 0xFF);
    uint32_t a = in(PORT_SYS_CTRL_B), b = in(PORT_SYS_CTRL_B);
    assert_int_equal(a & 0xEF, 0x2F);
    assert_int_equal(b & 0xEF, 0x2F);
    assert_int_equal((a ^ b) & 0x10, 0x10);
    out(PORT_SYS_CTRL_B, 0x01);
    assert_int_equal(in(PORT_SYS_CTRL_B) & 0xEF, 0x21);
}

static uint8_t cmos(uint8_t reg)
{
    out(CMOS_INDEX, reg);
    return (uint8_t)in(CMOS_DATA);
}

/* The fixed date in BCD, the status registers, NMI-disable bit in the index, RAM stores. */
static void test_rtc(void **state)
{
    (void)state;
    assert_int_equal(cmos(0x00), 0x00);
    assert_int_equal(cmos(0x02), 0x00);
    assert_int_equal(cmos(0x04), 0x00);
    assert_int_equal(cmos(0x06), 0x04);                 /* Wednesday */
    assert_int_equal(cmos(0x07), 0x01);
    assert_int_equal(cmos(0x08), 0x01);
    assert_int_equal(cmos(0x09), 0x25);
    assert_int_equal(cmos(0x32), 0x20);
    assert_int_equal(cmos(0x0A), 0x26);
    assert_int_equal(cmos(0x0B), 0x02);
    assert_int_equal(cmos(0x0C), 0x00);
    assert_int_equal(cmos(0x0D), 0x80);
    assert_int_equal(cmos(0x80 | 0x09), 0x25);          /* bit 7: NMI disable, same register */
    assert_int_equal(in(CMOS_INDEX), 0x89);
    out(CMOS_INDEX, 0x0D);                              /* C, D read-only */
    out(CMOS_DATA, 0);
    assert_int_equal(cmos(0x0D), 0x80);
    out(CMOS_INDEX, 0x0A);                              /* UIP reads 0 */
    out(CMOS_DATA, 0xA6);
    assert_int_equal(cmos(0x0A), 0x26);
    out(CMOS_INDEX, 0x40);                              /* RAM */
    out(CMOS_DATA, 0x77);
    assert_int_equal(cmos(0x40), 0x77);
    out(CMOS_INDEX, 0x00);                              /* time: stored as written */
    out(CMOS_DATA, 0x30);
    assert_int_equal(cmos(0x00), 0x30);
}

/* 8042 command FEH and CF9H bit 2 are resets; nothing else is. */
static void test_reset_requests(void **state)
{
    (void)state;
    assert_int_equal(in(KBC_CMD), 0);
    assert_int_equal(out(KBC_CMD, 0xAD), LEGACY_OK);
    assert_int_equal(out(KBC_CMD, KBC_CMD_RESET), LEGACY_RESET);
    assert_int_equal(out(PORT_RESET_CTRL, 0x02), LEGACY_OK);  /* Linux: SYS_RST, then ... */
    assert_int_equal(in(PORT_RESET_CTRL), 0x02);
    assert_int_equal(out(PORT_RESET_CTRL, 0x06), LEGACY_RESET);   /* ... RST_CPU */
}

/* Only byte accesses to these ports; everything else is not theirs. */
static void test_not_ours(void **state)
{
    (void)state;
    uint32_t v = 0xABCD;
    assert_int_equal(legacy_io(&lp, CMOS_INDEX, 2, 0, &v), LEGACY_NONE);
    assert_int_equal(legacy_io(&lp, 0xCF8, 4, 1, &v), LEGACY_NONE);
    assert_int_equal(legacy_io(&lp, PORT_RESET_CTRL, 2, 0, &v), LEGACY_NONE);
    assert_int_equal(legacy_io(&lp, 0x80, 1, 0, &v), LEGACY_NONE);
    assert_int_equal(legacy_io(&lp, 0x60, 1, 1, &v), LEGACY_NONE);
    assert_int_equal(v, 0xABCD);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_pic_linux_init, setup),
        cmocka_unit_test_setup(test_pic_icw_variants, setup),
        cmocka_unit_test_setup(test_pit_and_port61, setup),
        cmocka_unit_test_setup(test_rtc, setup),
        cmocka_unit_test_setup(test_reset_requests, setup),
        cmocka_unit_test_setup(test_not_ours, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
