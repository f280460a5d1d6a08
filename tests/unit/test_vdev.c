/* hv/vdev.c (with hv/domain.c behind it): a domain's port I/O. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "hv/domain.h"
#include "hv/vdev.h"
#include "tests/unit/fakes.h"

static struct domain d;

static int setup(void **state)
{
    (void)state;
    char err[128];
    assert_int_equal(domain_configure(&d, 3, "name=hello mem=8", err, sizeof(err)), 0);
    console_reset();
    return 0;
}

static void out8(uint16_t port, uint8_t v)
{
    uint32_t value = 0xFFFFFF00u | v;     /* upper bits of EAX are not part of an OUTB */
    vdev_io(&d.vcpu, port, 1, 0, &value);
}

static uint32_t in(uint16_t port, int size)
{
    uint32_t value = 0x12345678;
    vdev_io(&d.vcpu, port, size, 1, &value);
    return value;
}

static void com1_puts(const char *s)
{
    while (*s)
        out8(VDEV_COM1_BASE, (uint8_t)*s++);
}

static void test_com1_line_is_tagged(void **state)
{
    (void)state;
    com1_puts("hello from the guest\r\n");
    assert_string_equal(console_out, "[3:hello] hello from the guest\n");
    com1_puts("two\nthree");
    assert_string_equal(console_out, "[3:hello] hello from the guest\n[3:hello] two\n");
}

static void test_com1_registers_through_ports(void **state)
{
    (void)state;
    assert_int_equal(in(VDEV_COM1_BASE + 5, 1), 0x60);     /* LSR */
    out8(VDEV_COM1_BASE + 7, 0x42);                        /* scratch */
    assert_int_equal(in(VDEV_COM1_BASE + 7, 1), 0x42);
    out8(VDEV_COM1_BASE + 3, 0x80);                        /* DLAB: port 0 is DLL */
    out8(VDEV_COM1_BASE, 'x');
    out8(VDEV_COM1_BASE + 3, 0x03);
    out8(VDEV_COM1_BASE, '\n');
    assert_string_equal(console_out, "[3:hello] \n");
    assert_int_equal(d.ignored_io, 0);
}

static void test_exit_port_sets_status(void **state)
{
    (void)state;
    com1_puts("partial");
    uint32_t v = 0x1234;                                   /* only the low 8 bits count */
    vdev_io(&d.vcpu, VDEV_EXIT_PORT, 2, 0, &v);
    assert_int_equal(d.state, DOMAIN_EXITED);
    assert_int_equal(d.exit_status, 0x34);
    /* the pending line is flushed first */
    assert_string_equal(console_out, "[3:hello] partial\n"
                                     "perfvisor: domain 3 (hello) exited with status 52\n");
    console_reset();
    domain_stop(&d, "budget of %d ticks used", 5);         /* too late: ignored */
    assert_int_equal(d.state, DOMAIN_EXITED);
    assert_string_equal(d.stop_reason, "");
    assert_string_equal(console_out, "");
    out8(VDEV_EXIT_PORT, 9);                               /* a second exit: ignored too */
    assert_int_equal(d.exit_status, 0x34);
}

static void test_exit_port_read_is_ignored_port(void **state)
{
    (void)state;
    assert_int_equal(in(VDEV_EXIT_PORT, 1), 0xFF);
    assert_int_equal(d.state, DOMAIN_RUNNING);
    assert_int_equal(d.ignored_io, 1);
    assert_int_equal(d.first_ignored_port, VDEV_EXIT_PORT);
}

static void test_other_ports_float_high_and_are_counted(void **state)
{
    (void)state;
    assert_int_equal(in(0x60, 1), 0xFF);
    assert_int_equal(in(0xCFC, 4), 0xFFFFFFFFu);
    assert_int_equal(in(0x1F0, 2), 0xFFFF);
    out8(0x80, 0x12);                                      /* POST code: swallowed */
    assert_int_equal(d.ignored_io, 4);
    assert_int_equal(d.first_ignored_port, 0x60);          /* the first one is remembered */
    assert_int_equal(in(0x3F8 + 8, 1), 0xFF);              /* just past COM1 */
    assert_int_equal(in(0x3F7, 1), 0xFF);                  /* just before */
    assert_int_equal(d.ignored_io, 6);
    assert_int_equal(d.first_ignored_port, 0x60);
    assert_int_equal(d.state, DOMAIN_RUNNING);
    assert_string_equal(console_out, "");
}

static void test_other_port_write_leaves_value(void **state)
{
    (void)state;
    uint32_t v = 0xABCD;
    vdev_io(&d.vcpu, 0x70, 2, 0, &v);
    assert_int_equal(v, 0xABCD);
    assert_int_equal(d.ignored_io, 1);
    assert_int_equal(d.first_ignored_port, 0x70);
}

/* The legacy ports (hv/legacy_ports.h) are not counted; a reset request through the 8042
 * or CF9H stops this domain with its reason. */
static void test_legacy_ports_and_reset(void **state)
{
    (void)state;
    out8(0x70, 0x09);
    assert_int_equal(in(0x71, 1), 0x25);
    assert_int_equal(in(0x21, 1), 0xFF);
    assert_int_equal(d.ignored_io, 0);
    assert_int_equal(d.state, DOMAIN_RUNNING);
    out8(0x64, 0xFE);
    assert_int_equal(d.state, DOMAIN_STOPPED);
    assert_string_equal(d.stop_reason, "the guest asked for a reset");
    setup(state);
    assert_int_equal(d.state, DOMAIN_RUNNING);
    out8(0xCF9, 0x02);
    assert_int_equal(d.state, DOMAIN_RUNNING);
    out8(0xCF9, 0x06);
    assert_int_equal(d.state, DOMAIN_STOPPED);
}

/* fw_cfg at 510H/511H (hv/fwcfg.h): the signature byte by byte, the domain's RAM size (mem=8)
 * with one 32-bit read after a 16-bit selector write; neither port counts as ignored. */
static void test_fwcfg_ports(void **state)
{
    (void)state;
    uint32_t sel = FWCFG_SIGNATURE;
    vdev_io(&d.vcpu, FWCFG_PORT_SELECTOR, 2, 0, &sel);
    assert_int_equal(in(FWCFG_PORT_DATA, 1), 'Q');
    assert_int_equal(in(FWCFG_PORT_DATA, 1), 'E');
    sel = FWCFG_RAM_SIZE;
    vdev_io(&d.vcpu, FWCFG_PORT_SELECTOR, 2, 0, &sel);
    assert_int_equal(in(FWCFG_PORT_DATA, 4), 8u << 20);
    assert_int_equal(in(FWCFG_PORT_DATA, 4), 0);
    assert_int_equal(d.ignored_io, 0);
}

/* COM1's interrupt reaches a Linux domain's I/O APIC pin 4 (edge, ISA IRQ 4); a multiboot
 * domain has no I/O APIC and nothing is routed. */
static int irq_vectors[8], nirq;

static int record_irq(void *ctx, int vector, int level)
{
    (void)ctx;
    (void)level;
    if (nirq < 8)
        irq_vectors[nirq] = vector;
    nirq++;
    return 1;
}

static void test_com1_thre_interrupt_reaches_ioapic_pin4(void **state)
{
    (void)state;
    nirq = 0;
    vioapic_init(&d.ioapic, 0, record_irq, NULL);
    d.has_ioapic = 1;
    vioapic_mmio_write(&d.ioapic, VIOAPIC_REGSEL, VIOAPIC_REG_REDTBL + 2 * VDEV_COM1_IRQ);
    vioapic_mmio_write(&d.ioapic, VIOAPIC_WIN, 0x24);           /* fixed, edge, unmasked */
    out8(VDEV_COM1_BASE + 4, 0x0B);                             /* DTR, RTS, OUT2 */
    assert_int_equal(nirq, 0);
    out8(VDEV_COM1_BASE + 1, 0x02);                             /* ETBEI: THR is empty */
    assert_int_equal(nirq, 1);
    assert_int_equal(irq_vectors[0], 0x24);
    assert_int_equal(in(VDEV_COM1_BASE + 2, 1) & 0x0F, 0x02);  /* IIR: THRE; line drops */
    out8(VDEV_COM1_BASE, 'a');                                  /* empty again: a new edge */
    assert_int_equal(nirq, 2);
    out8(VDEV_COM1_BASE, 'b');                                  /* still asserted: no edge */
    assert_int_equal(nirq, 2);
    out8(VDEV_COM1_BASE + 1, 0x00);                             /* stop_tx */
    out8(VDEV_COM1_BASE, '\n');
    assert_int_equal(nirq, 2);
    assert_string_equal(console_out, "[3:hello] ab\n");
    d.has_ioapic = 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_com1_line_is_tagged, setup),
        cmocka_unit_test_setup(test_com1_registers_through_ports, setup),
        cmocka_unit_test_setup(test_exit_port_sets_status, setup),
        cmocka_unit_test_setup(test_exit_port_read_is_ignored_port, setup),
        cmocka_unit_test_setup(test_other_ports_float_high_and_are_counted, setup),
        cmocka_unit_test_setup(test_other_port_write_leaves_value, setup),
        cmocka_unit_test_setup(test_legacy_ports_and_reset, setup),
        cmocka_unit_test_setup(test_fwcfg_ports, setup),
        cmocka_unit_test_setup(test_com1_thre_interrupt_reaches_ioapic_pin4, setup),
    };
    return cmocka_run_group_tests_name("hv/vdev.c", tests, NULL, NULL);
}
