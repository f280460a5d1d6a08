/* The host's I/O APICs, only to mask them (issue #13 item 6): perfvisor uses no device
 * interrupt, and a redirection entry the firmware left unmasked would make external-interrupt
 * exits for nothing.  The I/O APICs are found in the firmware's MADT (BIOS boots). */
#ifndef ARCH_X86_IOAPIC_H
#define ARCH_X86_IOAPIC_H

#include <stddef.h>
#include <stdint.h>

#define IOAPIC_MAX 8

/* Pure: the I/O APIC addresses (MADT entries of type 1, ACPI 6.4 5.2.12.3) of a MADT of `len`
 * bytes; returns how many (at most max). */
int madt_ioapics(const uint8_t *madt, uint32_t len, uint32_t *addr, int max);

/* One I/O APIC's indirect registers (IOREGSEL/IOWIN), so the host tests run the logic on a model. */
struct ioapic_io {
    uint32_t (*read)(void *ctx, uint32_t reg);
    void (*write)(void *ctx, uint32_t reg, uint32_t v);
    void *ctx;
};

/* Sets the mask bit of every redirection entry (IOAPICVER[23:16] + 1 of them); returns how many
 * there are, and in *was_on how many were unmasked before. */
int ioapic_mask_all_io(const struct ioapic_io *io, int *was_on);

/* On the CPU: every I/O APIC the MADT names, masked, and one line printed. */
void ioapic_quiesce(void);

#endif
