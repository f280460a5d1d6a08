/* A Linux domain's I/O APIC (hv/vioapic.c), wired to its one vCPU's vLAPIC: messages go to
 * vlapic_deliver, and the vLAPIC's EOI of a level-triggered vector comes back as vioapic_eoi
 * (the level_eoi hook).  The lead routes 32-bit MOVs to its page at LINUX_IOAPIC_ADDR from EPT
 * violations (arch/x86/vmx/exit_ept.c); the ACPI MADT the Linux loader builds names it. */
#include "hv/domain.h"
#include "hv/linux_loader.h"
#include "hv/string.h"

static int ioapic_to_lapic(void *ctx, int vector, int level)
{
    struct domain *d = ctx;
    int r = vlapic_deliver(&d->vcpu.vlapic, vector, level);
    if (r)
        d->vcpu.events_pending = 1;
    return r;
}

static void lapic_level_eoi(void *ctx, int vector)
{
    struct domain *d = ctx;
    vioapic_eoi(&d->ioapic, vector);
}

void domain_ioapic_init(struct domain *d)
{
    vioapic_init(&d->ioapic, (uint8_t)d->vcpu.vlapic.id, ioapic_to_lapic, d);
    d->ioapic.id = LINUX_IOAPIC_ID;      /* as the MADT says */
    d->ioapic.arb = LINUX_IOAPIC_ID;
    d->vcpu.vlapic.level_eoi = lapic_level_eoi;
    d->vcpu.vlapic.level_eoi_ctx = d;
    d->has_ioapic = 1;
}

int domain_ioapic_page(const struct domain *d, uint64_t gpa)
{
    return d->has_ioapic && gpa >= LINUX_IOAPIC_ADDR && gpa < LINUX_IOAPIC_ADDR + 0x1000ull;
}

uint32_t domain_ioapic_access(struct domain *d, uint64_t gpa, int write, uint32_t val)
{
    uint32_t off = (uint32_t)(gpa & 0xFFF);
    if (write) {
        vioapic_mmio_write(&d->ioapic, off, val);
        return 0;
    }
    return vioapic_mmio_read(&d->ioapic, off);
}
