/* TSC frequency, measured against the PIT (8254) channel 2 over 10 ms, the way Linux's
 * pit_calibrate_tsc does.  Under Bochs with clock: sync=none this gives the `ips` setting,
 * since the TSC advances one per instruction and the PIT follows emulated time. */
#include "hv/platform.h"
#include "arch/x86/cpu.h"

#define PIT_HZ          1193182u
#define PIT_CH2         0x42
#define PIT_MODE        0x43
#define PIT_CH2_LOHI_M0 0xB0     /* channel 2, lobyte/hibyte, mode 0 (interrupt on terminal count) */
#define PORT_61         0x61     /* bit 0: channel 2 gate, bit 1: speaker, bit 5: channel 2 output */
#define CALIBRATE_MS    10

uint64_t platform_tsc_khz(void)
{
    uint16_t count = PIT_HZ / (1000 / CALIBRATE_MS);
    uint8_t p61 = inb(PORT_61);

    outb(PORT_61, (p61 & ~0x02) | 0x01);        /* gate on, speaker off */
    outb(PIT_MODE, PIT_CH2_LOHI_M0);
    outb(PIT_CH2, count & 0xFF);
    outb(PIT_CH2, count >> 8);
    uint64_t t0 = rdtsc();
    uint64_t spins = 0;
    while (!(inb(PORT_61) & 0x20))
        if (++spins > 100000000ull)             /* no PIT (some bare-metal boards): give up */
            return 0;
    uint64_t t1 = rdtsc();
    outb(PORT_61, p61);
    return (t1 - t0) / CALIBRATE_MS;
}
