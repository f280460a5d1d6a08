/* The virtual I/O APIC (see hv/vioapic.h; 82093AA datasheet 3.0). */
#include "hv/vioapic.h"
#include "hv/string.h"

/* Bits a redirection-table write stores: low dword vector, mode, destination mode, polarity,
 * trigger mode, mask; high dword the destination (63:56).  Delivery status and remote IRR are
 * read-only; 55:17 reserved. */
#define REDTBL_WRITABLE_LO  0x1AFFFu
#define REDTBL_WRITABLE_HI  0xFF000000u

void vioapic_init(struct vioapic *io, uint8_t apic_id, vioapic_deliver_fn deliver, void *ctx)
{
    memset(io, 0, sizeof(*io));
    io->apic_id = apic_id;
    io->deliver = deliver;
    io->ctx = ctx;
    for (int i = 0; i < VIOAPIC_PINS; i++)
        io->redtbl[i] = IOREDTBL_MASKED;
}

/* One message for entry `pin`: 1 if the local APIC took it. */
static int send(struct vioapic *io, int pin)
{
    uint64_t e = io->redtbl[pin];
    uint32_t mode = IOREDTBL_MODE(e), dest = IOREDTBL_DEST(e);
    int reached = (e & IOREDTBL_LOGICAL) ? dest != 0 : dest == io->apic_id || dest == 0xFF;
    int level = (e & IOREDTBL_LEVEL) != 0;

    if (!reached || (mode != IOREDTBL_MODE_FIXED && mode != IOREDTBL_MODE_LOWEST) ||
        !io->deliver(io->ctx, (int)IOREDTBL_VECTOR(e), level)) {
        io->dropped++;
        return 0;
    }
    io->sent++;
    if (level)
        io->redtbl[pin] |= IOREDTBL_REMOTE_IRR;
    return 1;
}

/* A level pin sends while asserted, unmasked and not waiting for its EOI. */
static void level_check(struct vioapic *io, int pin)
{
    uint64_t e = io->redtbl[pin];
    if ((e & IOREDTBL_LEVEL) && !(e & (IOREDTBL_MASKED | IOREDTBL_REMOTE_IRR)) &&
        (io->lines >> pin & 1))
        send(io, pin);
}

void vioapic_set_irq(struct vioapic *io, int pin, int level)
{
    if (pin < 0 || pin >= VIOAPIC_PINS)
        return;
    uint32_t bit = 1u << pin, was = io->lines & bit;
    io->lines = level ? io->lines | bit : io->lines & ~bit;
    if (io->redtbl[pin] & IOREDTBL_LEVEL)
        level_check(io, pin);
    else if (level && !was && !(io->redtbl[pin] & IOREDTBL_MASKED))
        send(io, pin);
}

void vioapic_eoi(struct vioapic *io, int vector)
{
    for (int pin = 0; pin < VIOAPIC_PINS; pin++) {
        uint64_t e = io->redtbl[pin];
        if ((e & IOREDTBL_REMOTE_IRR) && IOREDTBL_VECTOR(e) == (uint32_t)vector) {
            io->redtbl[pin] &= ~IOREDTBL_REMOTE_IRR;
            level_check(io, pin);
        }
    }
}

static uint32_t reg_read(const struct vioapic *io, uint8_t reg)
{
    if (reg >= VIOAPIC_REG_REDTBL && reg < VIOAPIC_REG_REDTBL + 2 * VIOAPIC_PINS) {
        uint64_t e = io->redtbl[(reg - VIOAPIC_REG_REDTBL) >> 1];
        return (reg & 1) ? (uint32_t)(e >> 32) : (uint32_t)e;
    }
    switch (reg) {
    case VIOAPIC_REG_ID:  return (uint32_t)io->id << 24;
    case VIOAPIC_REG_VER: return VIOAPIC_VERSION | (uint32_t)(VIOAPIC_PINS - 1) << 16;
    case VIOAPIC_REG_ARB: return (uint32_t)io->arb << 24;
    default:              return 0;
    }
}

static void reg_write(struct vioapic *io, uint8_t reg, uint32_t val)
{
    if (reg >= VIOAPIC_REG_REDTBL && reg < VIOAPIC_REG_REDTBL + 2 * VIOAPIC_PINS) {
        int pin = (reg - VIOAPIC_REG_REDTBL) >> 1;
        uint64_t e = io->redtbl[pin];
        if (reg & 1) {
            e = (e & 0xFFFFFFFFull) | (uint64_t)(val & REDTBL_WRITABLE_HI) << 32;
        } else {
            e = (e & ~(uint64_t)REDTBL_WRITABLE_LO & ~0xFFFFFFFFull) |
                (e & IOREDTBL_REMOTE_IRR) | (val & REDTBL_WRITABLE_LO);
            if (!(e & IOREDTBL_LEVEL))
                e &= ~IOREDTBL_REMOTE_IRR;      /* edge: nothing waits for an EOI */
        }
        io->redtbl[pin] = e;
        level_check(io, pin);                   /* e.g. an asserted level pin unmasked */
        return;
    }
    if (reg == VIOAPIC_REG_ID) {
        io->id = (uint8_t)(val >> 24 & 0xF);
        io->arb = io->id;
    }
}

uint32_t vioapic_mmio_read(struct vioapic *io, uint32_t offset)
{
    switch (offset) {
    case VIOAPIC_REGSEL: return io->regsel;
    case VIOAPIC_WIN:    return reg_read(io, io->regsel);
    default:             return 0;
    }
}

void vioapic_mmio_write(struct vioapic *io, uint32_t offset, uint32_t val)
{
    switch (offset) {
    case VIOAPIC_REGSEL: io->regsel = (uint8_t)val; break;
    case VIOAPIC_WIN:    reg_write(io, io->regsel, val); break;
    case VIOAPIC_EOI:    vioapic_eoi(io, (int)(val & 0xFF)); break;
    default:             break;
    }
}
