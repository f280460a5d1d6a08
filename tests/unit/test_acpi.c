/* hv/acpi.c: the tables read back as an OS reads them (ACPI 6.3 chapter 5.2). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "hv/acpi.h"
#include "hv/errno.h"

#define GPA 0xE0000ull      /* the BIOS area an OS scans (5.2.5.1) */

static uint8_t mem[4096];   /* guest memory at GPA */
static int total;
static struct acpi_desc desc;

static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t get32(const uint8_t *p) { return get16(p) | (uint32_t)get16(p + 2) << 16; }
static uint64_t get64(const uint8_t *p) { return get32(p) | (uint64_t)get32(p + 4) << 32; }

static uint8_t sum(const uint8_t *p, size_t n)
{
    uint8_t s = 0;
    while (n--)
        s = (uint8_t)(s + *p++);
    return s;
}

static int setup(void **state)
{
    (void)state;
    memset(mem, 0xA5, sizeof(mem));
    memset(&desc, 0, sizeof(desc));
    desc.lapic_addr = 0xFEE00000u;
    desc.apic_id = 0;
    desc.ioapic_id = 0;
    desc.ioapic_addr = 0xFEC00000u;
    desc.rsdp_offset = 99;
    total = acpi_build(&desc, mem, GPA, sizeof(mem));
    return 0;
}

/* A table by guest-physical address: inside what was built, checksum zero, its length. */
static const uint8_t *table(uint64_t gpa, const char *sig)
{
    assert_true(gpa >= GPA && gpa + ACPI_HDR_LEN <= GPA + (uint64_t)total);
    const uint8_t *t = mem + (gpa - GPA);
    uint32_t len = get32(t + 4);
    assert_memory_equal(t, sig, 4);
    assert_true(gpa + len <= GPA + (uint64_t)total);
    assert_int_equal(sum(t, len), 0);
    assert_memory_equal(t + 10, "PERFVI", 6);
    assert_memory_equal(t + 16, ACPI_OEM_TABLE_ID, 8);
    assert_memory_equal(t + 28, ACPI_CREATOR_ID, 4);
    return t;
}

/* 5.2.5.1: the OS scans 16-byte boundaries for "RSD PTR "; 5.2.5.3: both checksums. */
static const uint8_t *find_rsdp(void)
{
    for (int off = 0; off + ACPI_RSDP_LEN <= total; off += 16)
        if (!memcmp(mem + off, "RSD PTR ", 8)) {
            assert_int_equal(off, (int)desc.rsdp_offset);
            return mem + off;
        }
    fail_msg("no RSDP");
    return NULL;
}

static void test_rsdp(void **state)
{
    (void)state;
    assert_true(total > 0);
    const uint8_t *r = find_rsdp();
    assert_int_equal(sum(r, 20), 0);
    assert_int_equal(sum(r, ACPI_RSDP_LEN), 0);
    assert_memory_equal(r + 9, "PERFVI", 6);
    assert_int_equal(r[15], 2);                 /* ACPI 2.0+ */
    assert_int_equal(get32(r + 16), 0);         /* no RSDT */
    assert_int_equal(get32(r + 20), ACPI_RSDP_LEN);
    assert_int_equal(get64(r + 32) >> 8, 0);    /* reserved bytes 33-35 zero */
}

/* XSDT -> FADT, MADT; every table's checksum, revision and length. */
static void test_xsdt_walk(void **state)
{
    (void)state;
    const uint8_t *x = table(get64(find_rsdp() + 24), "XSDT");
    uint32_t len = get32(x + 4);
    assert_int_equal(x[8], 1);
    assert_int_equal((len - ACPI_HDR_LEN) % 8, 0);
    assert_int_equal((len - ACPI_HDR_LEN) / 8, 2);
    const uint8_t *fadt = table(get64(x + 36), "FACP");
    const uint8_t *madt = table(get64(x + 44), "APIC");
    assert_int_equal(get32(fadt + 4), ACPI_FADT_LEN);
    assert_int_equal(fadt[8], 6);
    assert_int_equal(madt[8], 5);
}

static void test_fadt_hw_reduced(void **state)
{
    (void)state;
    const uint8_t *x = table(get64(find_rsdp() + 24), "XSDT");
    const uint8_t *f = table(get64(x + 36), "FACP");
    assert_int_equal(get32(f + ACPI_FADT_FLAGS), ACPI_FADT_HW_REDUCED | ACPI_FADT_RESET_REG_SUP);
    assert_int_equal(f[ACPI_FADT_MINOR], 3);
    assert_int_equal(get16(f + ACPI_FADT_SCI_INT), 9);
    /* no fixed hardware: FACS, SMI_CMD, PM1a/b, PM2, PM timer and GPE blocks all 0 */
    for (int off = 36; off < 40; off++)
        assert_int_equal(f[off], 0);
    for (int off = 48; off < 96; off++)
        assert_int_equal(f[off], 0);
    for (int off = 148; off < ACPI_FADT_LEN; off++)
        assert_int_equal(f[off], 0);
    assert_int_equal(get64(f + 132), 0);                /* X_FIRMWARE_CTRL */
    /* reset register: system I/O 0xCF9, 8 bits, value 6 */
    const uint8_t *g = f + ACPI_FADT_RESET_REG;
    assert_int_equal(g[0], 1);
    assert_int_equal(g[1], 8);
    assert_int_equal(get64(g + 4), 0xCF9);
    assert_int_equal(f[ACPI_FADT_RESET_VALUE], 6);
    assert_int_equal(get16(f + ACPI_FADT_IAPC_BOOT), ACPI_BOOT_VGA_ABSENT);
    /* DSDT and X_DSDT agree */
    uint64_t dsdt = get64(f + ACPI_FADT_X_DSDT);
    assert_int_equal(get32(f + ACPI_FADT_DSDT), dsdt);
    const uint8_t *d = table(dsdt, "DSDT");
    assert_int_equal(d[8], 2);
}

/* One-byte PkgLength (ACPI 6.3 20.2.4): bits 7:6 zero, the length in bits 5:0. */
static uint32_t pkglen1(const uint8_t *p)
{
    assert_int_equal(*p & 0xC0, 0);
    return *p;
}

/* The DSDT's AML, decoded by its grammar (20.2): Scope(\_SB) { Device(COM1) { _HID PNP0501,
 * _UID 1, _CRS { I/O 0x3F8 length 8, IRQ 4 } } }, every package length consistent with the
 * table's, so an AML interpreter finds COM1 and its IRQ. */
static void test_dsdt_declares_com1_irq4(void **state)
{
    (void)state;
    const uint8_t *x = table(get64(find_rsdp() + 24), "XSDT");
    const uint8_t *f = table(get64(x + 36), "FACP");
    const uint8_t *d = table(get64(f + ACPI_FADT_X_DSDT), "DSDT");
    uint32_t len = get32(d + 4);
    const uint8_t *p = d + ACPI_HDR_LEN, *end = d + len;

    assert_int_equal(p[0], 0x10);                               /* ScopeOp */
    assert_ptr_equal(p + 1 + pkglen1(p + 1), end);              /* covers the rest */
    assert_memory_equal(p + 2, "\\_SB_", 5);
    p += 7;
    assert_int_equal(p[0], 0x5B);                               /* DeviceOp */
    assert_int_equal(p[1], 0x82);
    const uint8_t *dev_end = p + 2 + pkglen1(p + 2);
    assert_ptr_equal(dev_end, end);
    assert_memory_equal(p + 3, "COM1", 4);
    p += 7;
    assert_memory_equal(p, "\x08_HID\x0C", 6);                 /* NameOp, DWordConst */
    assert_int_equal(get32(p + 6), 0x0105D041);                 /* EisaId("PNP0501") */
    p += 10;
    assert_memory_equal(p, "\x08_UID\x01", 6);                 /* One */
    p += 6;
    assert_memory_equal(p, "\x08_CRS\x11", 6);                 /* BufferOp */
    const uint8_t *buf_end = p + 6 + pkglen1(p + 6);
    assert_ptr_equal(buf_end, dev_end);
    assert_int_equal(p[7], 0x0A);                               /* BufferSize: ByteConst */
    uint32_t n = p[8];
    const uint8_t *r = p + 9;
    assert_ptr_equal(r + n, buf_end);
    /* small resource descriptors (6.4.2): I/O (type 8, 7 bytes), IRQ (type 4, 2), end tag */
    assert_int_equal(r[0], 0x47);
    assert_int_equal(r[1], 1);                                  /* 16-bit decode */
    assert_int_equal(get16(r + 2), 0x3F8);                      /* minimum */
    assert_int_equal(get16(r + 4), 0x3F8);                      /* maximum */
    assert_int_equal(r[7], 8);                                  /* length */
    assert_int_equal(r[8], 0x22);
    assert_int_equal(get16(r + 9), 1u << 4);                    /* IRQ 4 only */
    assert_int_equal(r[11], 0x79);
    assert_ptr_equal(r + 13, buf_end);
}

/* 5.2.12: every entry of the MADT, field by field. */
static void test_madt_entries(void **state)
{
    (void)state;
    const uint8_t *x = table(get64(find_rsdp() + 24), "XSDT");
    const uint8_t *m = table(get64(x + 44), "APIC");
    uint32_t len = get32(m + 4);
    int lapics = 0, ioapics = 0, isos = 0;

    assert_int_equal(get32(m + 36), 0xFEE00000u);
    assert_int_equal(get32(m + 40) & ACPI_MADT_PCAT_COMPAT, 0);
    for (uint32_t off = 44; off < len; off += m[off + 1]) {
        const uint8_t *e = m + off;
        assert_true(e[1] >= 2 && off + e[1] <= len);
        switch (e[0]) {
        case ACPI_MADT_LAPIC:
            assert_int_equal(e[1], 8);
            assert_int_equal(e[2], 0);                  /* ACPI processor UID */
            assert_int_equal(e[3], 0);                  /* APIC ID */
            assert_int_equal(get32(e + 4), ACPI_LAPIC_ENABLED);
            lapics++;
            break;
        case ACPI_MADT_IOAPIC:
            assert_int_equal(e[1], 12);
            assert_int_equal(e[2], 0);
            assert_int_equal(e[3], 0);                  /* reserved */
            assert_int_equal(get32(e + 4), 0xFEC00000u);
            assert_int_equal(get32(e + 8), 0);          /* GSI base */
            ioapics++;
            break;
        case ACPI_MADT_ISO:
            assert_int_equal(e[1], 10);
            assert_int_equal(e[2], 0);                  /* ISA */
            if (e[3] == 0) {
                assert_int_equal(get32(e + 4), 2);
                assert_int_equal(get16(e + 8), 0);      /* conforms: edge, high */
            } else {
                assert_int_equal(e[3], 9);
                assert_int_equal(get32(e + 4), 9);
                assert_int_equal(get16(e + 8), ACPI_INTI_TRIGGER_LEVEL | ACPI_INTI_POLARITY_HIGH);
            }
            isos++;
            break;
        default:
            fail_msg("unexpected MADT entry type %d", e[0]);
        }
    }
    assert_int_equal(lapics, 1);
    assert_int_equal(ioapics, 1);
    assert_int_equal(isos, 2);
}

/* The size bound, and nothing written past the returned length. */
static void test_size_bound(void **state)
{
    (void)state;
    assert_true(total > 0 && total <= ACPI_TABLES_MAX);
    for (size_t i = (size_t)total; i < sizeof(mem); i++)
        assert_int_equal(mem[i], 0xA5);
    uint8_t small[ACPI_TABLES_MAX];
    assert_int_equal(acpi_build(&desc, small, GPA, (size_t)total - 1), -ENOSPC);
    assert_int_equal(acpi_build(&desc, small, GPA, (size_t)total), total);
}

static void test_bad_gpa(void **state)
{
    (void)state;
    uint8_t b[ACPI_TABLES_MAX];
    assert_int_equal(acpi_build(&desc, b, GPA + 8, sizeof(b)), -EINVAL);
    assert_int_equal(acpi_build(&desc, b, 0xFFFFFF00ull, sizeof(b)), -EINVAL);
    /* another address: the pointers move with it */
    assert_true(acpi_build(&desc, b, 0x9F000, sizeof(b)) > 0);
    assert_int_equal(get64(b + 24) & ~0xFFFull, 0x9F000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_rsdp, setup),
        cmocka_unit_test_setup(test_xsdt_walk, setup),
        cmocka_unit_test_setup(test_fadt_hw_reduced, setup),
        cmocka_unit_test_setup(test_madt_entries, setup),
        cmocka_unit_test_setup(test_dsdt_declares_com1_irq4, setup),
        cmocka_unit_test_setup(test_size_bound, setup),
        cmocka_unit_test_setup(test_bad_gpa, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
