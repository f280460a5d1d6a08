/* The host local APIC (see lapic.h).  Register map and IA32_APIC_BASE bits: hv/vlapic.h, the
 * LVT layout: pmu/vpmu/pmu_msr.h, defined once. */
#include "arch/x86/lapic.h"
#include "arch/x86/cpu.h"
#include "arch/x86/msr.h"
#include "hv/printf.h"
#include "hv/vlapic.h"
#include "pmu/vpmu/pmu_msr.h"

#define APIC_BASE_ADDR    0xFFFFFF000ull /* xAPIC page (identity-mapped, uncached; Figure 11-5) */
#define APIC_LVT_CMCI     0x2F0          /* LVT CMCI (11.5.1), present with max LVT >= 6 */
#define LVT_VERSION_MAX(v) (((v) >> 16) & 0xFF) /* version register: max LVT entry (11.4.8) */
#define LVT_MAX_THERMAL   5              /* the thermal entry exists from max LVT 5 (P6 family: 4) */
#define LVT_MAX_CMCI      6
#define LVT_MAX_PMC       4              /* the LVTPC exists from max LVT 4 */
#define LVT_VECTOR_MASK   0xFFu
#define SVR_SPURIOUS_DEFAULT 0xFFu       /* the spurious vector after RESET (11.9) */

static uint32_t lvt_max(const struct lapic_io *io)
{
    return LVT_VERSION_MAX(io->read(io->ctx, APIC_VERSION));
}

static void svr_enable(const struct lapic_io *io)
{
    uint32_t svr = io->read(io->ctx, APIC_SVR);
    if (!(svr & APIC_SVR_ENABLE)) {
        if (!(svr & LVT_VECTOR_MASK))
            svr |= SVR_SPURIOUS_DEFAULT;
        io->write(io->ctx, APIC_SVR, svr | APIC_SVR_ENABLE);
    }
}

unsigned lapic_quiesce_io(const struct lapic_io *io)
{
    uint32_t max = lvt_max(io);
    unsigned done = 0;
    svr_enable(io);
    io->write(io->ctx, APIC_TIMER_ICR, 0);                  /* the timer stops */
    io->write(io->ctx, APIC_LVT_TIMER, LVT_MASKED);
    done |= LAPIC_Q_TIMER;
    if (max >= LVT_MAX_THERMAL) {
        io->write(io->ctx, APIC_LVT_THERM, LVT_MASKED);
        done |= LAPIC_Q_THERMAL;
    }
    if (max >= LVT_MAX_PMC) {
        io->write(io->ctx, APIC_LVT_PMC, LVT_MASKED);
        done |= LAPIC_Q_PMC;
    }
    io->write(io->ctx, APIC_LVT_LINT0, LVT_MASKED);        /* the 8259 (ExtINT) stays out */
    io->write(io->ctx, APIC_LVT_ERROR, LVT_MASKED);
    done |= LAPIC_Q_LINT0 | LAPIC_Q_ERROR;
    if (max >= LVT_MAX_CMCI) {
        io->write(io->ctx, APIC_LVT_CMCI, LVT_MASKED);
        done |= LAPIC_Q_CMCI;
    }
    io->write(io->ctx, APIC_TPR, 0);
    return done;
}

int lapic_pmi_nmi_io(const struct lapic_io *io, char *why, size_t len)
{
    uint32_t max = lvt_max(io);
    if (max < LVT_MAX_PMC) {
        hv_snprintf(why, len, "the local APIC has no LVT performance-counter entry (max LVT "
                    "entry %u)", max);
        return -1;
    }
    svr_enable(io);
    io->write(io->ctx, APIC_LVT_PMC, LVT_DELIVERY_NMI);
    uint32_t got = io->read(io->ctx, APIC_LVT_PMC);
    if ((got & (LVT_MASKED | LVT_DELIVERY_MASK)) != LVT_DELIVERY_NMI) {
        hv_snprintf(why, len, "the local APIC's LVTPC reads %x after writing %x (NMI, unmasked; "
                    "SVR %x): PMIs would never arrive", got, LVT_DELIVERY_NMI,
                    io->read(io->ctx, APIC_SVR));
        return -1;
    }
    return 0;
}

/* ---- on the CPU ---- */

static int x2apic;
static volatile uint32_t *xapic;

static uint32_t hw_read(void *ctx, uint32_t reg)
{
    (void)ctx;
    return x2apic ? (uint32_t)rdmsr(X2APIC_MSR(reg)) : xapic[reg / 4];
}

static void hw_write(void *ctx, uint32_t reg, uint32_t v)
{
    (void)ctx;
    if (x2apic)
        wrmsr(X2APIC_MSR(reg), v);
    else
        xapic[reg / 4] = v;
}

static const struct lapic_io hw_io = { hw_read, hw_write, 0 };
static int found = -1;                 /* -1 not looked, 0 disabled, 1 usable */

int lapic_init(void)
{
    uint64_t base = rdmsr(MSR_IA32_APIC_BASE);
    if (!(base & APIC_BASE_EN)) {
        found = 0;
        hv_printf("perfvisor: local APIC: disabled in IA32_APIC_BASE (%lx): left alone\n", base);
        return -1;
    }
    x2apic = (base & APIC_BASE_EXTD) != 0;
    xapic = (volatile uint32_t *)(uintptr_t)(base & APIC_BASE_ADDR);
    found = 1;
    unsigned q = lapic_quiesce_io(&hw_io);
    hv_printf("perfvisor: local APIC (%s): masked timer%s%s, LINT0, error%s; LINT1 kept\n",
              x2apic ? "x2APIC" : "xAPIC", q & LAPIC_Q_THERMAL ? ", thermal" : "",
              q & LAPIC_Q_PMC ? ", PMC" : "", q & LAPIC_Q_CMCI ? ", CMCI" : "");
    return 0;
}

int lapic_pmi_as_nmi(char *why, size_t len)
{
    if (found < 0)
        lapic_init();
    if (!found) {
        hv_snprintf(why, len, "the local APIC is disabled (IA32_APIC_BASE bit 11 clear)");
        return -1;
    }
    return lapic_pmi_nmi_io(&hw_io, why, len);
}

void lapic_pmi_unmask(void)
{
    hw_write(0, APIC_LVT_PMC, LVT_DELIVERY_NMI);
}

void lapic_eoi_vector(unsigned vector)
{
    if (found > 0 && vector != (hw_read(0, APIC_SVR) & LVT_VECTOR_MASK))
        hw_write(0, APIC_EOI, 0);
}
