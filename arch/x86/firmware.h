/* The firmware's ACPI tables, as a PC BIOS leaves them (the RSDP in the EBDA's first KiB or in
 * E0000H-FFFFFH, ACPI 6.4 5.2.5.1), for the host's own devices: the console's SPCR, the MADT's
 * I/O APICs.  UEFI boots: GRUB passes the RSDP in multiboot2 tags, which are not read (yet):
 * nothing is found there. */
#ifndef ARCH_X86_FIRMWARE_H
#define ARCH_X86_FIRMWARE_H

#include <stdint.h>

/* The table with this signature, checksums verified, or NULL; *len its length. */
const uint8_t *fw_acpi_table(const char sig[4], uint32_t *len);

#endif
