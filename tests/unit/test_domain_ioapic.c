/* hv/domain_ioapic.c: a Linux domain's I/O APIC page, routed to its vLAPIC, and the vLAPIC's
 * EOI of a level vector back to the I/O APIC (remote IRR). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "hv/domain.h"
#include "hv/linux_loader.h"

static struct domain d;

static int setup(void **state)
{
    (void)state;
    memset(&d, 0, sizeof(d));
    vlapic_init(&d.vcpu.vlapic, 0);
    return 0;
}

static void reg_write(uint32_t reg, uint32_t val)
{
    domain_ioapic_access(&d, LINUX_IOAPIC_ADDR + 0x00, 1, reg);
    domain_ioapic_access(&d, LINUX_IOAPIC_ADDR + 0x10, 1, val);
}

static uint32_t reg_read(uint32_t reg)
{
    domain_ioapic_access(&d, LINUX_IOAPIC_ADDR + 0x00, 1, reg);
    return domain_ioapic_access(&d, LINUX_IOAPIC_ADDR + 0x10, 0, 0);
}

static void test_page_only_for_linux_domains(void **state)
{
    (void)state;
    assert_false(domain_ioapic_page(&d, LINUX_IOAPIC_ADDR));   /* multiboot: none */
    domain_ioapic_init(&d);
    assert_true(domain_ioapic_page(&d, LINUX_IOAPIC_ADDR));
    assert_true(domain_ioapic_page(&d, LINUX_IOAPIC_ADDR + 0xFFF));
    assert_false(domain_ioapic_page(&d, LINUX_IOAPIC_ADDR + 0x1000));
    assert_false(domain_ioapic_page(&d, LINUX_IOAPIC_ADDR - 1));
    assert_int_equal(reg_read(0) >> 24, LINUX_IOAPIC_ID);      /* the MADT's ID */
    assert_int_equal(reg_read(1) & 0xFF, 0x20);
    assert_int_equal(reg_read(1) >> 16 & 0xFF, 23);
}

static void test_level_round_trip(void **state)
{
    (void)state;
    domain_ioapic_init(&d);
    d.vcpu.vlapic.svr = 0x1FF;                                 /* software enabled */
    reg_write(0x10 + 2 * 4, 0x8041);                           /* pin 4: vector 0x41, level */
    reg_write(0x11 + 2 * 4, 0);
    vioapic_set_irq(&d.ioapic, 4, 1);
    assert_int_equal(d.ioapic.sent, 1);
    assert_int_equal(d.vcpu.events_pending, 1);
    assert_true(d.vcpu.vlapic.irr[0x41 / 32] & 1u << (0x41 % 32));
    assert_true(reg_read(0x10 + 2 * 4) & (1u << 14));          /* remote IRR */
    /* the vLAPIC's EOI of the level vector comes back through level_eoi */
    d.vcpu.vlapic.level_eoi(d.vcpu.vlapic.level_eoi_ctx, 0x41);
    assert_int_equal(d.ioapic.sent, 2);                        /* still asserted: again */
    vioapic_set_irq(&d.ioapic, 4, 0);
    d.vcpu.vlapic.level_eoi(d.vcpu.vlapic.level_eoi_ctx, 0x41);
    assert_int_equal(d.ioapic.sent, 2);
    assert_false(reg_read(0x10 + 2 * 4) & (1u << 14));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_page_only_for_linux_domains, setup),
        cmocka_unit_test_setup(test_level_round_trip, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
