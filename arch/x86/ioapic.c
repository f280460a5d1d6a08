/* Masking the host's I/O APICs (see ioapic.h).  Registers: the 82093AA datasheet (IOREGSEL at
 * +0, IOWIN at +10H; IOAPICVER = register 1, bits 23:16 the highest entry; entry n at registers
 * 10H + 2n, low half bit 16 the mask). */
#include "arch/x86/ioapic.h"
#include "arch/x86/firmware.h"
#include "hv/printf.h"

#define IOREGSEL        0x00
#define IOWIN           0x10
#define IOAPIC_VER      0x01
#define IOAPIC_REDTBL(n) (0x10 + 2 * (n))
#define IOAPIC_MASKED   (1u << 16)
#define MADT_ENTRIES    44       /* after the header, the local APIC address and the flags */
#define MADT_IOAPIC     1

static uint32_t le32(const uint8_t *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }

int madt_ioapics(const uint8_t *madt, uint32_t len, uint32_t *addr, int max)
{
    int n = 0;
    for (uint32_t off = MADT_ENTRIES; off + 2 <= len && n < max;) {
        uint8_t type = madt[off], elen = madt[off + 1];
        if (elen < 2 || off + elen > len)
            break;                     /* a malformed entry ends the walk */
        if (type == MADT_IOAPIC && elen >= 12)
            addr[n++] = le32(madt + off + 4);
        off += elen;
    }
    return n;
}

int ioapic_mask_all_io(const struct ioapic_io *io, int *was_on)
{
    int entries = (int)((io->read(io->ctx, IOAPIC_VER) >> 16) & 0xFF) + 1;
    *was_on = 0;
    for (int i = 0; i < entries; i++) {
        uint32_t lo = io->read(io->ctx, IOAPIC_REDTBL(i));
        if (!(lo & IOAPIC_MASKED)) {
            (*was_on)++;
            io->write(io->ctx, IOAPIC_REDTBL(i), lo | IOAPIC_MASKED);
        }
    }
    return entries;
}

static uint32_t mmio_read(void *ctx, uint32_t reg)
{
    volatile uint32_t *base = ctx;
    base[IOREGSEL / 4] = reg;
    return base[IOWIN / 4];
}

static void mmio_write(void *ctx, uint32_t reg, uint32_t v)
{
    volatile uint32_t *base = ctx;
    base[IOREGSEL / 4] = reg;
    base[IOWIN / 4] = v;
}

void ioapic_quiesce(void)
{
    uint32_t len, addr[IOAPIC_MAX];
    const uint8_t *madt = fw_acpi_table("APIC", &len);
    int n = madt ? madt_ioapics(madt, len, addr, IOAPIC_MAX) : 0;
    if (!madt) {
        hv_printf("perfvisor: I/O APIC: no ACPI MADT found: left as the firmware set it\n");
        return;
    }
    for (int i = 0; i < n; i++) {
        if (addr[i] < 0xFE000000u)     /* the 4th GiB, mapped uncached; anything else is odd */
            continue;
        struct ioapic_io io = { mmio_read, mmio_write, (void *)(uintptr_t)addr[i] };
        int on, entries = ioapic_mask_all_io(&io, &on);
        hv_printf("perfvisor: I/O APIC at 0x%x: %d entries masked (%d were unmasked; MADT through "
                  "%s)\n", addr[i], entries, on, fw_acpi_source());
    }
}
