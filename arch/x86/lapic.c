#include "arch/x86/lapic.h"
#include "arch/x86/cpu.h"
#include "arch/x86/msr.h"
#include "hv/vlapic.h"               /* the APIC's register map and IA32_APIC_BASE bits, once */
#include "pmu/vpmu/pmu_msr.h"         /* the LVTPC's layout */

#define APIC_BASE_ADDR    0xFFFFFF000ull /* xAPIC page (identity-mapped, uncached; Figure 11-5) */

static int x2apic;
static volatile uint32_t *lvtpc;

static void lvtpc_write(uint32_t v)
{
    if (x2apic)
        wrmsr(X2APIC_MSR(APIC_LVT_PMC), v);
    else
        *lvtpc = v;
}

int lapic_pmi_as_nmi(void)
{
    uint64_t base = rdmsr(MSR_IA32_APIC_BASE);
    if (!(base & APIC_BASE_EN))
        return -1;
    x2apic = (base & APIC_BASE_EXTD) != 0;
    lvtpc = (volatile uint32_t *)(uintptr_t)((base & APIC_BASE_ADDR) + APIC_LVT_PMC);
    lvtpc_write(LVT_DELIVERY_NMI);
    return 0;
}

void lapic_pmi_unmask(void)
{
    lvtpc_write(LVT_DELIVERY_NMI);
}
