/* ACPI tables for a one-CPU domain (see hv/acpi.h; ACPI 6.3 section numbers). */
#include "hv/acpi.h"
#include "hv/errno.h"
#include "hv/string.h"

#define ALIGN16(x) (((x) + 15u) & ~(size_t)15u)

/* Offsets of the tables in the buffer (each 16-byte aligned). */
#define MADT_LEN  (ACPI_HDR_LEN + 8 + 8 + 12 + 2 * 10)  /* header, address+flags, entries */
#define XSDT_LEN  (ACPI_HDR_LEN + 2 * 8)
#define OFF_RSDP  0
#define OFF_XSDT  ALIGN16(OFF_RSDP + ACPI_RSDP_LEN)
#define OFF_FADT  ALIGN16(OFF_XSDT + XSDT_LEN)
#define OFF_MADT  ALIGN16(OFF_FADT + ACPI_FADT_LEN)
#define OFF_DSDT  ALIGN16(OFF_MADT + MADT_LEN)
#define DSDT_LEN  (ACPI_HDR_LEN + sizeof(dsdt_aml))
#define TOTAL_LEN (OFF_DSDT + DSDT_LEN)
/* The DSDT's AML (ACPI 6.3 section 20 "ACPI Machine Language Specification"; resource
 * descriptors 6.4.2), what iasl would emit for:
 *   Scope (\_SB) {
 *       Device (COM1) {
 *           Name (_HID, EisaId ("PNP0501"))          // 16550A-compatible COM port
 *           Name (_UID, One)
 *           Name (_CRS, ResourceTemplate () {
 *               IO (Decode16, 0x03F8, 0x03F8, 0x01, 0x08)
 *               IRQNoFlags () {4}                   // edge, active high
 *           })
 *       }
 *   }
 * Without it a hardware-reduced platform has no legacy IRQs at all (Linux then uses no 8259
 * and maps no ISA IRQ), so COM1's IRQ 4 would reach nothing; with it, Linux's PnP layer maps
 * GSI 4 on the I/O APIC for the 8250 driver.  PkgLength bytes (20.2.4) are one byte here:
 * every package is under 64 bytes. */
static const uint8_t dsdt_aml[] = {
    0x10, 0x33, '\\', '_', 'S', 'B', '_',             /* ScopeOp, PkgLength 51, \_SB_ */
    0x5B, 0x82, 0x2B, 'C', 'O', 'M', '1',               /* DeviceOp, PkgLength 43, COM1 */
    0x08, '_', 'H', 'I', 'D', 0x0C, 0x41, 0xD0, 0x05, 0x01,   /* DWordConst 0x0105D041 */
    0x08, '_', 'U', 'I', 'D', 0x01,                     /* OneOp */
    0x08, '_', 'C', 'R', 'S', 0x11, 0x10, 0x0A, 0x0D,   /* BufferOp, PkgLength 16, size 13 */
    0x47, 0x01, 0xF8, 0x03, 0xF8, 0x03, 0x01, 0x08,     /* I/O port descriptor (6.4.2.5) */
    0x22, 0x10, 0x00,                                   /* IRQ descriptor, mask bit 4 (6.4.2.1) */
    0x79, 0x00,                                         /* end tag (6.4.2.9) */
};

_Static_assert(TOTAL_LEN <= ACPI_TABLES_MAX, "hv/acpi.h: ACPI_TABLES_MAX too small");

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void put32(uint8_t *p, uint32_t v) { put16(p, (uint16_t)v); put16(p + 2, (uint16_t)(v >> 16)); }
static void put64(uint8_t *p, uint64_t v) { put32(p, (uint32_t)v); put32(p + 4, (uint32_t)(v >> 32)); }

uint8_t acpi_checksum(const uint8_t *buf, size_t len)
{
    uint8_t sum = 0;
    for (size_t i = 0; i < len; i++)
        sum = (uint8_t)(sum + buf[i]);
    return (uint8_t)-sum;
}

/* 5.2.6 Table 5-29: signature, length, revision, checksum (9), OEMID, OEM table ID, OEM
 * revision, creator ID, creator revision.  The checksum is set by finish(). */
static void header(uint8_t *t, const char *sig, uint32_t len, uint8_t rev)
{
    memcpy(t, sig, 4);
    put32(t + 4, len);
    t[8] = rev;
    memcpy(t + 10, ACPI_OEM_ID, 6);
    memcpy(t + 16, ACPI_OEM_TABLE_ID, 8);
    put32(t + 24, 1);
    memcpy(t + 28, ACPI_CREATOR_ID, 4);
    put32(t + 32, 1);
}

static void finish(uint8_t *t, uint32_t len)
{
    t[9] = acpi_checksum(t, len);
}

/* 5.2.12 Table 5-43 and its entries (5.2.12.2, 5.2.12.3, 5.2.12.5). */
static void build_madt(const struct acpi_desc *in, uint8_t *t)
{
    uint8_t *e = t + ACPI_HDR_LEN + 8;

    header(t, "APIC", MADT_LEN, 5);
    put32(t + 36, in->lapic_addr);
    put32(t + 40, 0);                       /* no PCAT_COMPAT: see hv/acpi.h */
    e[0] = ACPI_MADT_LAPIC; e[1] = 8; e[2] = 0; e[3] = in->apic_id;
    put32(e + 4, ACPI_LAPIC_ENABLED);
    e += 8;
    e[0] = ACPI_MADT_IOAPIC; e[1] = 12; e[2] = in->ioapic_id; e[3] = 0;
    put32(e + 4, in->ioapic_addr);
    put32(e + 8, 0);                        /* GSI base */
    e += 12;
    /* bus 0 = ISA; the PIT's IRQ0 is wired to pin 2 on a PC; the SCI is level, active high */
    static const struct { uint8_t irq, gsi; uint16_t flags; } iso[2] = {
        { 0, 2, 0 },                        /* conforms to ISA: edge, active high */
        { ACPI_SCI_IRQ, ACPI_SCI_IRQ, ACPI_INTI_TRIGGER_LEVEL | ACPI_INTI_POLARITY_HIGH },
    };
    for (int i = 0; i < 2; i++, e += 10) {
        e[0] = ACPI_MADT_ISO; e[1] = 10; e[2] = 0; e[3] = iso[i].irq;
        put32(e + 4, iso[i].gsi);
        put16(e + 8, iso[i].flags);
    }
    finish(t, MADT_LEN);
}

/* 5.2.9 Table 5-33: everything not written is 0 (no fixed-hardware blocks: 4.1). */
static void build_fadt(uint8_t *t, uint64_t dsdt)
{
    header(t, "FACP", ACPI_FADT_LEN, 6);
    put32(t + ACPI_FADT_DSDT, (uint32_t)dsdt);
    put16(t + ACPI_FADT_SCI_INT, ACPI_SCI_IRQ);
    t[ACPI_FADT_CENTURY] = 0x32;
    put16(t + ACPI_FADT_IAPC_BOOT, ACPI_BOOT_NO_8042 | ACPI_BOOT_VGA_ABSENT);
    put32(t + ACPI_FADT_FLAGS, ACPI_FADT_HW_REDUCED | ACPI_FADT_RESET_REG_SUP);
    /* 5.2.3.2: address space 1 = system I/O, bit width 8, offset 0, access size 1 = byte */
    uint8_t *gas = t + ACPI_FADT_RESET_REG;
    gas[0] = 1; gas[1] = 8; gas[2] = 0; gas[3] = 1;
    put64(gas + 4, 0xCF9);
    t[ACPI_FADT_RESET_VALUE] = 0x06;        /* full reset: 0xCF9 bits 1 and 2 */
    t[ACPI_FADT_MINOR] = 3;
    put64(t + ACPI_FADT_X_DSDT, dsdt);
    finish(t, ACPI_FADT_LEN);
}

int acpi_build(struct acpi_desc *in, uint8_t *buf, uint64_t gpa, size_t cap)
{
    if ((gpa & 15) || gpa + TOTAL_LEN > 0x100000000ull)
        return -EINVAL;
    if (cap < TOTAL_LEN)
        return -ENOSPC;
    memset(buf, 0, TOTAL_LEN);

    uint8_t *x = buf + OFF_XSDT;
    header(x, "XSDT", XSDT_LEN, 1);
    put64(x + ACPI_HDR_LEN, gpa + OFF_FADT);
    put64(x + ACPI_HDR_LEN + 8, gpa + OFF_MADT);
    finish(x, XSDT_LEN);

    build_fadt(buf + OFF_FADT, gpa + OFF_DSDT);
    build_madt(in, buf + OFF_MADT);
    header(buf + OFF_DSDT, "DSDT", DSDT_LEN, 2);
    memcpy(buf + OFF_DSDT + ACPI_HDR_LEN, dsdt_aml, sizeof(dsdt_aml));
    finish(buf + OFF_DSDT, DSDT_LEN);

    /* 5.2.5.3 Table 5-27: checksum (8) over the first 20 bytes (the ACPI 1.0 part), extended
     * checksum (32) over all 36. */
    uint8_t *r = buf + OFF_RSDP;
    memcpy(r, "RSD PTR ", 8);
    memcpy(r + 9, ACPI_OEM_ID, 6);
    r[15] = 2;
    put32(r + 16, 0);                       /* RsdtAddress: no RSDT */
    put32(r + 20, ACPI_RSDP_LEN);
    put64(r + 24, gpa + OFF_XSDT);
    r[8] = acpi_checksum(r, 20);
    r[32] = acpi_checksum(r, ACPI_RSDP_LEN);

    in->rsdp_offset = OFF_RSDP;
    return (int)TOTAL_LEN;
}
