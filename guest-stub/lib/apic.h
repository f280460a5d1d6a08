/* apic.h - just enough local APIC for performance-monitoring interrupts (SDM
 * Vol. 3A chapter 11 "Advanced Programmable Interrupt Controller"; 11.5.1 the
 * local vector table; 11.12 x2APIC).  Header only, like idt.h.
 *
 * xAPIC: registers are 32-bit MMIO at IA32_APIC_BASE[35:12] (0xFEE00000 after
 * reset) + offset.  x2APIC (CPUID.1:ECX[21]): the same register at MSR
 * 0x800 + offset / 16, after setting IA32_APIC_BASE[10] (EXTD) with [11] (EN).
 *
 * Only touch the xAPIC page if CPUID.1:EDX[9] says there is an APIC: under a
 * hypervisor without a virtual APIC the access is fatal, not a #GP. */
#ifndef GUEST_APIC_H
#define GUEST_APIC_H

#include "guest.h"
#include "idt.h"

#define APIC_REG_ID     0x020
#define APIC_REG_VER    0x030
#define APIC_REG_TPR    0x080
#define APIC_REG_EOI    0x0B0
#define APIC_REG_SVR    0x0F0
#define APIC_REG_LVTPC  0x340

#define APIC_SVR_ENABLE     (1u << 8)   /* APIC software enable */
#define APIC_LVT_MASKED     (1u << 16)
#define APIC_LVT_PENDING    (1u << 12)  /* delivery status (xAPIC only) */
#define APIC_LVT_DM_FIXED   (0u << 8)
#define APIC_LVT_DM_NMI     (4u << 8)
#define APIC_SPURIOUS_VEC   0xFF

#define MSR_APIC_BASE_ADDR  0x01Bu     /* IA32_APIC_BASE */
#define APIC_BASE_EN        (1ull << 11)
#define APIC_BASE_EXTD      (1ull << 10)

enum apic_mode { APIC_NONE, APIC_XAPIC, APIC_X2APIC };

static enum apic_mode apic_mode __attribute__((unused));
static volatile uint32_t *apic_mmio __attribute__((unused));

static inline uint32_t apic_read(uint32_t reg)
{
    if (apic_mode == APIC_X2APIC)
        return (uint32_t)rdmsr(0x800 + (reg >> 4));
    return apic_mmio[reg / 4];
}

static inline void apic_write(uint32_t reg, uint32_t v)
{
    if (apic_mode == APIC_X2APIC)
        wrmsr(0x800 + (reg >> 4), v);
    else
        apic_mmio[reg / 4] = v;
}

static inline void apic_eoi(void)
{
    apic_write(APIC_REG_EOI, 0);
}

static inline const char *apic_mode_name(enum apic_mode m)
{
    return m == APIC_X2APIC ? "x2apic" : m == APIC_XAPIC ? "xapic" : "none";
}

/* Bring the local APIC up in `want` mode (APIC_NONE: x2APIC if CPUID.1:ECX[21],
 * else xAPIC if CPUID.1:EDX[9]): enable it, software-enable it through the SVR
 * (spurious vector 0xFF), TPR 0, LVTPC masked.  Needs idt_init().  Returns 0,
 * -2 if CPUID does not offer the mode, -1 if it failed, with *why set (nothing is
 * touched that CPUID did not promise). */
static int __attribute__((unused)) apic_init(enum apic_mode want, const char **why)
{
    uint32_t a, b, c, d;
    cpuid(1, 0, &a, &b, &c, &d);
    int has_x2 = !!(c & (1u << 21)), has_x = !!(d & (1u << 9));
    if (want == APIC_NONE)
        want = has_x2 ? APIC_X2APIC : APIC_XAPIC;
    if (want == APIC_X2APIC && !has_x2) {
        *why = "x2APIC not offered: CPUID.1:ECX[21]=0";
        return -2;
    }
    if (want == APIC_XAPIC && !has_x) {
        *why = "no local APIC: CPUID.1:EDX[9]=0";
        return -2;
    }
    uint64_t base;
    if (safe_rdmsr(MSR_APIC_BASE_ADDR, &base)) {
        *why = "RDMSR IA32_APIC_BASE #GP";
        return -1;
    }
    if (want == APIC_X2APIC) {
        /* Enable first, then EXTD (SDM 11.12.5: xAPIC -> x2APIC needs EN set). */
        if (!(base & APIC_BASE_EN) && safe_wrmsr(MSR_APIC_BASE_ADDR, base | APIC_BASE_EN)) {
            *why = "WRMSR IA32_APIC_BASE (EN) #GP";
            return -1;
        }
        if (safe_wrmsr(MSR_APIC_BASE_ADDR, base | APIC_BASE_EN | APIC_BASE_EXTD) ||
            safe_rdmsr(MSR_APIC_BASE_ADDR, &base) || !(base & APIC_BASE_EXTD)) {
            *why = "could not set IA32_APIC_BASE.EXTD (x2APIC mode)";
            return -1;
        }
        uint64_t v;
        if (safe_rdmsr(0x800 + (APIC_REG_VER >> 4), &v)) {
            *why = "x2APIC version register (MSR 803H) #GP";
            return -1;
        }
    } else {
        if (!(base & APIC_BASE_EN) && safe_wrmsr(MSR_APIC_BASE_ADDR, base | APIC_BASE_EN)) {
            *why = "WRMSR IA32_APIC_BASE (EN) #GP";
            return -1;
        }
        apic_mmio = (volatile uint32_t *)(uint32_t)(base & 0xFFFFF000u);
    }
    apic_mode = want;
    apic_write(APIC_REG_LVTPC, APIC_LVT_MASKED);
    apic_write(APIC_REG_TPR, 0);
    apic_write(APIC_REG_SVR, APIC_SVR_ENABLE | APIC_SPURIOUS_VEC);
    return 0;
}

#endif
