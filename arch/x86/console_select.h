/* Which UART is the console (issue #13 item 10), as pure functions the host tests run:
 * the `console=` value of the hypervisor command line and the ACPI SPCR table.  The probing
 * and the switch are arch/x86/serial.c's. */
#ifndef ARCH_X86_CONSOLE_SELECT_H
#define ARCH_X86_CONSOLE_SELECT_H

#include <stddef.h>
#include <stdint.h>

#define CONSOLE_PORT_NONE 0       /* no UART: the VGA text screen */

/* console=VALUE: com1..com4 / ttyS0..ttyS3 (the PC's 3F8H, 2F8H, 3E8H, 2E8H), an I/O port
 * (0x2f8, 760, "uart,io,0x2f8" as Linux writes it) or vga/none (no UART).  Returns 0 and *port,
 * or -1 if the value is none of these. */
int console_parse(const char *value, uint16_t *port);

/* The I/O port of the 16550-compatible UART an ACPI SPCR table (Serial Port Console
 * Redirection, Microsoft's specification, revision 1+) names, or 0: not a checksummed SPCR, an
 * interface other than 16550/16450, or a UART in memory space (MMIO, not driven here). */
uint16_t spcr_uart_port(const uint8_t *table, size_t len);

/* An ACPI table by signature through the RSDP at `rsdp` (XSDT when revision >= 2, else RSDT);
 * `phys` maps a physical address to a pointer (identity in the hypervisor).  NULL if absent or
 * a checksum is wrong.  *len gets the table's length. */
const uint8_t *acpi_find(const uint8_t *rsdp, const char sig[4],
                         const uint8_t *(*phys)(uint64_t pa), uint32_t *len);
/* The RSDP in [start, start + len): 16-byte aligned "RSD PTR " with a valid checksum. */
const uint8_t *acpi_rsdp_scan(const uint8_t *start, size_t len);

#endif
