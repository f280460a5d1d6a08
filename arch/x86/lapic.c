#include "arch/x86/lapic.h"
#include "arch/x86/cpu.h"
#include "arch/x86/msr.h"
#include "pmu/vpmu/pmu_msr.h"

#define APIC_BASE_EXTD    (1ull << 10)   /* x2APIC mode: registers are MSRs 800H-8FFH */
#define APIC_BASE_ENABLE  (1ull << 11)   /* the APIC is globally enabled */
#define APIC_BASE_ADDR    0xFFFFFF000ull /* xAPIC page (identity-mapped, uncached) */

static int x2apic;
static volatile uint32_t *lvtpc;

static void lvtpc_write(uint32_t v)
{
    if (x2apic)
        wrmsr(MSR_X2APIC_LVTPC, v);
    else
        *lvtpc = v;
}

int lapic_pmi_as_nmi(void)
{
    uint64_t base = rdmsr(MSR_IA32_APIC_BASE);
    if (!(base & APIC_BASE_ENABLE))
        return -1;
    x2apic = (base & APIC_BASE_EXTD) != 0;
    lvtpc = (volatile uint32_t *)(uintptr_t)((base & APIC_BASE_ADDR) + LAPIC_LVTPC);
    lvtpc_write(LVT_DELIVERY_NMI);
    return 0;
}

void lapic_pmi_unmask(void)
{
    lvtpc_write(LVT_DELIVERY_NMI);
}
