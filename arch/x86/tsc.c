/* TSC frequency.  On bare metal from CPUID leaf 15H (TSC/crystal ratio and crystal frequency,
 * SDM Vol. 2A "CPUID", Vol. 3B 19.7.3) or, without the crystal, 16H's base frequency; under an
 * emulator or hypervisor those leaves describe the host, not the TSC the guest sees (Bochs'
 * TSC advances one per instruction), so there, and wherever CPUID says nothing, the TSC is
 * measured against the PIT (8254) channel 2 over 10 ms, as Linux's pit_calibrate_tsc does.
 * The PIT wait is bounded by TSC time: a board without a PIT (or with port 61H not wired)
 * gives 0, "unknown", instead of a hang. */
#include "hv/platform.h"
#include "arch/x86/cpu.h"
#include "arch/x86/emulator.h"
#include "arch/x86/tsc.h"
#include "hv/printf.h"

#define PIT_HZ          1193182u
#define PIT_CH2         0x42
#define PIT_MODE        0x43
#define PIT_CH2_LOHI_M0 0xB0     /* channel 2, lobyte/hibyte, mode 0 (interrupt on terminal count) */
#define PORT_61         0x61     /* bit 0: channel 2 gate, bit 1: speaker, bit 5: channel 2 output */
#define PORT_61_OUT2    0x20
#define CALIBRATE_MS    10
/* 10 ms is at most 100 M ticks up to a 10 GHz TSC; 2^30 ticks is ~0.2-1 s on hardware and
 * ~10 s of Bochs (one tick per instruction): past it, no PIT is answering. */
#define PIT_WAIT_MAX_TICKS (1ull << 30)
/* Below 1 MHz the "PIT" answered at once: port 61H reads with OUT2 high (no PIT there). */
#define PIT_MIN_TICKS   (1000ull * CALIBRATE_MS)

uint64_t tsc_khz_from_cpuid(uint32_t max_leaf, const struct cpuid_regs *l15,
                            const struct cpuid_regs *l16)
{
    /* 15H: TSC = crystal (ECX Hz) x EBX / EAX; EAX or EBX 0: ratio not enumerated */
    if (max_leaf >= 0x15 && l15->eax && l15->ebx) {
        if (l15->ecx)
            return (uint64_t)l15->ecx * l15->ebx / l15->eax / 1000;
        /* crystal not enumerated: 16H's base frequency is the TSC's (Linux does the same) */
        if (max_leaf >= 0x16 && (l16->eax & 0xFFFF))
            return (uint64_t)(l16->eax & 0xFFFF) * 1000;
    }
    /* 16H alone: the processor base frequency in MHz, EAX[15:0] (invariant TSC runs at it) */
    if (max_leaf >= 0x16 && (l16->eax & 0xFFFF))
        return (uint64_t)(l16->eax & 0xFFFF) * 1000;
    return 0;
}

static uint64_t pit_tsc_khz(void)
{
    uint16_t count = PIT_HZ / (1000 / CALIBRATE_MS);
    uint8_t p61 = inb(PORT_61);

    outb(PORT_61, (p61 & ~0x02) | 0x01);        /* gate on, speaker off */
    outb(PIT_MODE, PIT_CH2_LOHI_M0);
    outb(PIT_CH2, count & 0xFF);
    outb(PIT_CH2, count >> 8);
    uint64_t t0 = rdtsc(), t1 = t0;
    while (!(inb(PORT_61) & PORT_61_OUT2)) {
        t1 = rdtsc();
        if (t1 - t0 > PIT_WAIT_MAX_TICKS) {     /* no PIT: give up, bounded by TSC time */
            outb(PORT_61, p61);
            return 0;
        }
    }
    t1 = rdtsc();
    outb(PORT_61, p61);
    if (t1 - t0 < PIT_MIN_TICKS)
        return 0;
    return (t1 - t0) / CALIBRATE_MS;
}

static const char *source = "not measured";

uint64_t platform_tsc_khz(void)
{
    static uint64_t khz;
    if (khz)
        return khz;
    struct cpuid_regs r0, l15 = { 0, 0, 0, 0 }, l16 = { 0, 0, 0, 0 };
    cpuid_count(0, 0, &r0);
    if (emulator_detect() == EMULATOR_NONE) {
        if (r0.eax >= 0x15)
            cpuid_count(0x15, 0, &l15);
        if (r0.eax >= 0x16)
            cpuid_count(0x16, 0, &l16);
        khz = tsc_khz_from_cpuid(r0.eax, &l15, &l16);
        source = l15.eax && l15.ebx && l15.ecx ? "CPUID 15H" : "CPUID 16H";
    }
    if (!khz) {
        khz = pit_tsc_khz();
        source = khz ? "PIT channel 2" : "no PIT answered";
    }
    hv_printf("perfvisor: TSC %lu kHz (%s)\n", khz, source);
    return khz;
}

const char *tsc_khz_source(void)
{
    return source;
}
