/* arch/x86/console_select.c: console= values and the ACPI SPCR table (issue #13 item 10), on
 * synthesized tables (ACPI 6.4 5.2.5-5.2.8, Microsoft SPCR: interface type at 36, base address
 * Generic Address Structure at 40). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "arch/x86/console_select.h"

static uint16_t parse(const char *v)
{
    uint16_t port = 0xDEAD;
    assert_int_equal(console_parse(v, &port), 0);
    return port;
}

static void test_console_values(void **state)
{
    (void)state;
    assert_int_equal(parse("com1"), 0x3F8);
    assert_int_equal(parse("com2"), 0x2F8);
    assert_int_equal(parse("COM3"), 0x3E8);
    assert_int_equal(parse("com4"), 0x2E8);
    assert_int_equal(parse("ttyS0"), 0x3F8);
    assert_int_equal(parse("ttyS1"), 0x2F8);
    assert_int_equal(parse("0x2f8"), 0x2F8);
    assert_int_equal(parse("0xE000"), 0xE000);      /* a PCI UART's I/O BAR */
    assert_int_equal(parse("760"), 0x2F8);
    assert_int_equal(parse("uart,io,0x2e8"), 0x2E8);  /* Linux's earlycon spelling */
    assert_int_equal(parse("uart8250,io,0x3e8"), 0x3E8);
    assert_int_equal(parse("vga"), CONSOLE_PORT_NONE);
    assert_int_equal(parse("none"), CONSOLE_PORT_NONE);
}

static void test_console_bad_values(void **state)
{
    (void)state;
    uint16_t port = 0x1234;
    const char *bad[] = { "", "com0", "com5", "com12", "ttyS4", "serial", "0x", "0x80",
                          "0x10000", "12ab", "uart,mmio,0xfe000000", "com1 " };
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(console_parse(bad[i], &port), -1);
    assert_int_equal(port, 0x1234);                  /* untouched on error */
}

static void checksum(uint8_t *t, size_t len, size_t at)
{
    uint8_t s = 0;
    t[at] = 0;
    for (size_t i = 0; i < len; i++)
        s = (uint8_t)(s + t[i]);
    t[at] = (uint8_t)-s;
}

static void put32(uint8_t *p, uint32_t v) { for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> 8 * i); }
static void put64(uint8_t *p, uint64_t v) { put32(p, (uint32_t)v); put32(p + 4, (uint32_t)(v >> 32)); }

static void make_spcr(uint8_t *t, uint8_t iftype, uint8_t space, uint64_t addr)
{
    memset(t, 0, 80);
    memcpy(t, "SPCR", 4);
    put32(t + 4, 80);
    t[8] = 2;                                        /* revision */
    t[36] = iftype;
    t[40] = space;                                   /* GAS: space id */
    t[41] = 8;                                       /* register bit width */
    t[43] = 1;                                       /* byte access */
    put64(t + 44, addr);
    checksum(t, 80, 9);
}

static void test_spcr_io_uart(void **state)
{
    (void)state;
    uint8_t t[80];
    make_spcr(t, 0, 1, 0x2F8);
    assert_int_equal(spcr_uart_port(t, sizeof(t)), 0x2F8);
    make_spcr(t, 1, 1, 0x3E8);                       /* 16450 subset */
    assert_int_equal(spcr_uart_port(t, sizeof(t)), 0x3E8);
    make_spcr(t, 0, 0, 0xFE030000ull);               /* MMIO UART: not driven here */
    assert_int_equal(spcr_uart_port(t, sizeof(t)), 0);
    make_spcr(t, 3, 1, 0x2F8);                       /* ARM PL011 */
    assert_int_equal(spcr_uart_port(t, sizeof(t)), 0);
    make_spcr(t, 0, 1, 0x2F8);
    t[50] ^= 1;                                      /* checksum broken */
    assert_int_equal(spcr_uart_port(t, sizeof(t)), 0);
    make_spcr(t, 0, 1, 0x2F8);
    assert_int_equal(spcr_uart_port(t, 60), 0);      /* shorter than the table says */
    memcpy(t, "SPCX", 4);
    assert_int_equal(spcr_uart_port(t, sizeof(t)), 0);
}

/* A fake physical memory: RSDP, RSDT or XSDT, an unrelated table and the SPCR. */
static uint8_t mem[4096];
#define PA_BASE 0x10000ull
static const uint8_t *phys(uint64_t pa)
{
    return pa >= PA_BASE && pa < PA_BASE + sizeof(mem) ? mem + (pa - PA_BASE) : NULL;
}

static void make_header(uint8_t *t, const char *sig, uint32_t len)
{
    memcpy(t, sig, 4);
    put32(t + 4, len);
    t[8] = 1;
    checksum(t, len, 9);
}

static const uint8_t *build(int xsdt, int with_spcr)
{
    memset(mem, 0, sizeof(mem));
    uint8_t *rsdp = mem, *sdt = mem + 0x100, *facp = mem + 0x200, *spcr = mem + 0x300;
    make_header(facp, "FACP", 36);
    make_spcr(spcr, 0, 1, 0x2E8);
    unsigned esz = xsdt ? 8 : 4, n = with_spcr ? 2 : 1;
    uint64_t ents[2] = { PA_BASE + 0x200, PA_BASE + 0x300 };
    memset(sdt, 0, 36);
    for (unsigned i = 0; i < n; i++) {
        if (xsdt)
            put64(sdt + 36 + i * esz, ents[i]);
        else
            put32(sdt + 36 + i * esz, (uint32_t)ents[i]);
    }
    make_header(sdt, xsdt ? "XSDT" : "RSDT", 36 + n * esz);
    memcpy(rsdp, "RSD PTR ", 8);
    rsdp[15] = xsdt ? 2 : 0;
    put32(rsdp + 16, xsdt ? 0 : (uint32_t)(PA_BASE + 0x100));
    put32(rsdp + 20, 36);
    put64(rsdp + 24, xsdt ? PA_BASE + 0x100 : 0);
    checksum(rsdp, 20, 8);
    checksum(rsdp, 36, 32);
    return rsdp;
}

static void test_acpi_find_spcr(void **state)
{
    (void)state;
    uint32_t len = 0;
    for (int x = 0; x < 2; x++) {
        const uint8_t *rsdp = build(x, 1);
        assert_ptr_equal(acpi_rsdp_scan(mem, 64), rsdp);
        const uint8_t *t = acpi_find(rsdp, "SPCR", phys, &len);
        assert_ptr_equal(t, mem + 0x300);
        assert_int_equal(len, 80);
        assert_int_equal(spcr_uart_port(t, len), 0x2E8);
        assert_ptr_equal(acpi_find(rsdp, "FACP", phys, &len), mem + 0x200);
        assert_null(acpi_find(rsdp, "APIC", phys, &len));
        rsdp = build(x, 0);                          /* no SPCR: COM1 or the screen */
        assert_null(acpi_find(rsdp, "SPCR", phys, &len));
    }
}

static void test_rsdp_scan(void **state)
{
    (void)state;
    build(1, 1);
    mem[8] ^= 1;                                     /* RSDP checksum broken */
    assert_null(acpi_rsdp_scan(mem, 64));
    build(1, 1);
    memmove(mem + 16, mem, 36);                      /* found on the next 16-byte boundary */
    memset(mem, 0, 16);
    assert_ptr_equal(acpi_rsdp_scan(mem, 64), mem + 16);
    assert_null(acpi_rsdp_scan(mem + 8, 48));        /* not on a 16-byte boundary from start */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_console_values),
        cmocka_unit_test(test_console_bad_values),
        cmocka_unit_test(test_spcr_io_uart),
        cmocka_unit_test(test_acpi_find_spcr),
        cmocka_unit_test(test_rsdp_scan),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
