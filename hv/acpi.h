/* Minimal ACPI tables for a domain with one CPU, so that a guest which finds its interrupt
 * controllers only through ACPI (Linux without MP-table support) finds the local APIC, the
 * I/O APIC and the ISA interrupt overrides.  Pure: builds bytes into a buffer the caller
 * places at guest-physical `gpa`; nothing here knows about domains or VMX.
 *
 * ACPI Specification 6.3 (tables follow 6.3: FADT revision 6 minor 3, MADT revision 5):
 *   5.2.5.3 RSDP (Table 5-27)          5.2.6 system description table header (Table 5-29)
 *   5.2.8   XSDT (Table 5-31)          5.2.9 FADT (Table 5-33), flags (Table 5-34)
 *   5.2.9.3 IA-PC boot architecture flags (Table 5-35)     5.2.3.2 Generic Address Structure
 *   5.2.11.1 DSDT                      5.2.12 MADT (Table 5-43), flags (Table 5-44)
 *   5.2.12.2 Processor Local APIC      5.2.12.3 I/O APIC
 *   5.2.12.5 Interrupt Source Override, MPS INTI flags (Table 5-51)
 *   4.1     hardware-reduced ACPI
 *
 * What is built, in this order, each table 16-byte aligned:
 *   RSDP   revision 2, RsdtAddress 0 (no RSDT: every OS that reads revision 2 takes the XSDT),
 *          XsdtAddress, both checksums.  At offset 0, so a `gpa` in 0xE0000-0xFFFFF on a
 *          16-byte boundary is also found by the BIOS-area scan (5.2.5.1).
 *   XSDT   -> FADT, MADT.
 *   FADT   hardware-reduced (flags HW_REDUCED_ACPI; no PM1/GPE/PM timer blocks, no FACS);
 *          DSDT and X_DSDT -> DSDT; SCI_INT 9 (never raised: there are no ACPI events);
 *          RESET_REG_SUP with RESET_REG = system I/O port 0xCF9, value 6 (the domain's reset
 *          port, hv/legacy_ports.c: ends the domain); IAPC_BOOT_ARCH: no 8042, no VGA;
 *          CENTURY = CMOS register 0x32.
 *   MADT   local APIC at `lapic_addr`; flags 0: PCAT_COMPAT clear, because no 8259 ever
 *          delivers an interrupt here (the PIC ports only answer an initialisation, masked),
 *          and a hardware-reduced platform has no legacy PIC to disable; entries: one
 *          Processor Local APIC (UID 0, APIC ID `apic_id`, enabled), one I/O APIC (`ioapic_id`
 *          at `ioapic_addr`, GSI base 0), overrides ISA IRQ0 -> GSI2 (edge, as on a PC) and
 *          IRQ9 -> GSI9 level, active high (the SCI, as PC firmware describes it).
 *   DSDT   revision 2 (64-bit integers); its AML declares one device, COM1 (PNP0501, I/O
 *          0x3F8-0x3FF, IRQ 4 edge): a hardware-reduced platform has no legacy IRQs, so only
 *          a device's _CRS makes Linux map ISA IRQ 4 on the I/O APIC (see hv/acpi.c). */
#ifndef HV_ACPI_H
#define HV_ACPI_H

#include <stddef.h>
#include <stdint.h>

#define ACPI_OEM_ID         "PERFVI"    /* 6 bytes */
#define ACPI_OEM_TABLE_ID   "PERFVISR"  /* 8 bytes */
#define ACPI_CREATOR_ID     "PRFV"      /* 4 bytes */

#define ACPI_HDR_LEN        36          /* 5.2.6 */
#define ACPI_RSDP_LEN       36          /* 5.2.5.3, revision 2 */
#define ACPI_FADT_LEN       276         /* 5.2.9 Table 5-33, up to Hypervisor Vendor Identity */

/* 5.2.12: MADT entry types and fields */
#define ACPI_MADT_LAPIC         0
#define ACPI_MADT_IOAPIC        1
#define ACPI_MADT_ISO           2
#define ACPI_MADT_PCAT_COMPAT   (1u << 0)
#define ACPI_LAPIC_ENABLED      (1u << 0)
/* MPS INTI flags (Table 5-51): polarity bits 1:0, trigger mode bits 3:2 */
#define ACPI_INTI_POLARITY_HIGH (1u << 0)
#define ACPI_INTI_POLARITY_LOW  (3u << 0)
#define ACPI_INTI_TRIGGER_EDGE  (1u << 2)
#define ACPI_INTI_TRIGGER_LEVEL (3u << 2)

/* FADT (Table 5-33) field offsets this builder writes */
#define ACPI_FADT_DSDT          40
#define ACPI_FADT_SCI_INT       46
#define ACPI_FADT_CENTURY       108
#define ACPI_FADT_IAPC_BOOT     109
#define ACPI_FADT_FLAGS         112
#define ACPI_FADT_RESET_REG     116     /* a Generic Address Structure, 12 bytes */
#define ACPI_FADT_RESET_VALUE   128
#define ACPI_FADT_MINOR         131
#define ACPI_FADT_X_DSDT        140
#define ACPI_FADT_HW_REDUCED    (1u << 20)  /* Table 5-34 HW_REDUCED_ACPI */
#define ACPI_FADT_RESET_REG_SUP (1u << 10)
#define ACPI_BOOT_NO_8042       0           /* IAPC_BOOT_ARCH bit 1 clear: no 8042 */
#define ACPI_BOOT_VGA_ABSENT    (1u << 2)
#define ACPI_SCI_IRQ            9

#define ACPI_TABLES_MAX         640     /* what acpi_build needs at most, with padding */

struct acpi_desc {
    uint32_t lapic_addr;        /* 0xFEE00000 */
    uint8_t apic_id;            /* the one CPU's local APIC ID */
    uint8_t ioapic_id;
    uint32_t ioapic_addr;       /* 0xFEC00000 */
    size_t rsdp_offset;         /* out: where the RSDP lies in the buffer (0) */
};

/* Builds the tables into buf[0, cap), which the guest will see at guest-physical `gpa` (16-byte
 * aligned).  Returns the total length, with in->rsdp_offset set; -EINVAL for a misaligned gpa
 * or one whose tables would not lie below 4 GiB (the FADT's 32-bit DSDT field), -ENOSPC when
 * cap is too small. */
int acpi_build(struct acpi_desc *in, uint8_t *buf, uint64_t gpa, size_t cap);

/* The byte that makes the sum of buf[0, len) zero, given that buf's checksum byte is 0. */
uint8_t acpi_checksum(const uint8_t *buf, size_t len);

#endif
