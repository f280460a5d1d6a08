/* The firmware's ACPI tables for the host's own devices (the console's SPCR, the MADT's I/O
 * APICs): through the RSDP copy a multiboot2 loader gives (ACPI tags; GRUB EFI has no other way to
 * pass it on UEFI), else where a PC BIOS leaves it (the EBDA's first KiB or E0000H-FFFFFH, ACPI
 * 6.4 5.2.5.1). */
#ifndef ARCH_X86_FIRMWARE_H
#define ARCH_X86_FIRMWARE_H

#include <stdint.h>

/* The table with this signature, checksums verified, or NULL; *len its length. */
const uint8_t *fw_acpi_table(const char sig[4], uint32_t *len);
/* The loader's RSDP copy (checked like a found one); 0: none. */
void fw_set_rsdp(uint64_t pa);
/* Where the last table found came from: "the loader's RSDP" or "the BIOS area". */
const char *fw_acpi_source(void);

#endif
