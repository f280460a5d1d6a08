/* A virtual I/O APIC, one per domain: 24 input pins routed to the domain's one local APIC.
 * Pure: the lead routes 32-bit accesses to its page (0xFEC00000) here, devices call
 * vioapic_set_irq, and the vLAPIC's EOI of a level-triggered vector comes back through
 * vioapic_eoi (hv/vlapic.h level_eoi).
 *
 * Intel 82093AA I/O APIC datasheet (order 290566-001), 3.0 "Register Description", with the
 * version (20H) and EOI register of the ICH's I/O APIC (Intel ICH9 datasheet 13.5):
 *   +00H IOREGSEL (8 bits R/W: the register the window shows)   +10H IOWIN (32 bits)
 *   +40H EOI (version 20H; write: the vector, as the LAPIC's broadcast EOI does)
 *   register 00H IOAPICID: ID in bits 27:24 (R/W)
 *            01H IOAPICVER: version 20H (7:0), maximum redirection entry 23 (23:16); R/O
 *            02H IOAPICARB: arbitration ID in bits 27:24; R/O, loaded from the ID on a write
 *            10H-3FH IOREDTBL[0-23]: low dword at 10H + 2n, high at 11H + 2n (3.2.4):
 *              7:0 vector, 10:8 delivery mode, 11 destination mode (1 logical), 12 delivery
 *              status (R/O, reads 0: a message is sent at once), 13 polarity (1 low),
 *              14 remote IRR (R/O), 15 trigger mode (1 level), 16 mask, 63:56 destination.
 *              After reset every entry is masked, everything else 0.
 *   Any other register reads 0 and ignores writes; other offsets in the page read 0.
 *
 * Pins (vioapic_set_irq(pin, level)): level is the line asserted (1) or not (0), after any
 * inversion: the polarity bit is stored and read back but no device here is wired active-low.
 *   edge: a 0->1 transition of an unmasked pin sends one message; an edge while masked is lost.
 *   level: an asserted, unmasked pin with remote IRR clear sends a message and sets remote
 *     IRR; the EOI of its vector clears remote IRR, and a pin still asserted sends again.
 *     Unmasking an asserted level pin sends; switching an entry to edge clears remote IRR.
 * Delivery: fixed and lowest priority (one CPU: the same) go to the callback as (vector,
 * level).  Destination: physical mode reaches APIC ID `apic_id` or the broadcast 0FFH;
 * logical mode reaches the one CPU for any non-zero destination (Linux's flat mode addresses
 * CPU 0 as 01H).  Anything else -- another physical ID, an empty logical destination, SMI,
 * NMI, INIT, ExtINT or a reserved mode -- is dropped and counted in `dropped`; a level entry's
 * remote IRR stays clear then, so it can be reprogrammed and retried. */
#ifndef HV_VIOAPIC_H
#define HV_VIOAPIC_H

#include <stdint.h>

#define VIOAPIC_BASE        0xFEC00000u
#define VIOAPIC_PINS        24
#define VIOAPIC_VERSION     0x20u

#define VIOAPIC_REGSEL      0x00    /* offsets in the page */
#define VIOAPIC_WIN         0x10
#define VIOAPIC_EOI         0x40

#define VIOAPIC_REG_ID      0x00
#define VIOAPIC_REG_VER     0x01
#define VIOAPIC_REG_ARB     0x02
#define VIOAPIC_REG_REDTBL  0x10

/* Redirection entry bits (82093AA 3.2.4) */
#define IOREDTBL_VECTOR(e)      ((uint32_t)(e) & 0xFFu)
#define IOREDTBL_MODE(e)        (((uint32_t)(e) >> 8) & 7u)
#define IOREDTBL_MODE_FIXED     0u
#define IOREDTBL_MODE_LOWEST    1u
#define IOREDTBL_LOGICAL        (1ull << 11)
#define IOREDTBL_DELIVS         (1ull << 12)
#define IOREDTBL_POLARITY_LOW   (1ull << 13)
#define IOREDTBL_REMOTE_IRR     (1ull << 14)
#define IOREDTBL_LEVEL          (1ull << 15)
#define IOREDTBL_MASKED         (1ull << 16)
#define IOREDTBL_DEST(e)        ((uint32_t)((e) >> 56))

/* A message for the local APIC: 1 if it reached the IRR. */
typedef int (*vioapic_deliver_fn)(void *ctx, int vector, int level);

struct vioapic {
    uint8_t regsel;
    uint8_t id;                     /* IOAPICID bits 27:24 */
    uint8_t arb;                    /* IOAPICARB bits 27:24 */
    uint8_t apic_id;                /* the local APIC physical mode reaches */
    uint32_t lines;                 /* pin n asserted: bit n */
    uint64_t redtbl[VIOAPIC_PINS];
    uint64_t sent, dropped;         /* messages to the LAPIC, and those nobody could take */
    vioapic_deliver_fn deliver;
    void *ctx;
};

/* Reset state; `apic_id` is the domain's one local APIC. */
void vioapic_init(struct vioapic *io, uint8_t apic_id, vioapic_deliver_fn deliver, void *ctx);
/* 32-bit access at `offset` in the page.  Non-32-bit accesses are the lead's to refuse. */
uint32_t vioapic_mmio_read(struct vioapic *io, uint32_t offset);
void vioapic_mmio_write(struct vioapic *io, uint32_t offset, uint32_t val);
/* A device's line: level 1 asserted, 0 deasserted.  Pins >= 24 are ignored. */
void vioapic_set_irq(struct vioapic *io, int pin, int level);
/* The local APIC retired level-triggered `vector` (broadcast EOI), or a write of the EOI
 * register: every level entry with that vector and remote IRR set is re-armed. */
void vioapic_eoi(struct vioapic *io, int vector);

#endif
