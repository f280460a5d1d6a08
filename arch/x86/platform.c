/* Ending a run on each platform perfvisor boots on. */
#include "hv/platform.h"
#include "arch/x86/cpu.h"
#include "arch/x86/serial.h"

#define QEMU_DEBUG_EXIT_PORT 0xF4     /* -device isa-debug-exit,iobase=0xf4: exits (v<<1)|1 */
#define BOCHS_SHUTDOWN_PORT  0x8900   /* "Shutdown" written here ends Bochs */

void platform_shutdown(int status)
{
    serial_drain();
    outb(QEMU_DEBUG_EXIT_PORT, (uint8_t)status);
    for (const char *p = "Shutdown"; *p; p++)
        outb(BOCHS_SHUTDOWN_PORT, (uint8_t)*p);
    cpu_halt_forever();                /* bare metal: the operator reads the console */
}

uint64_t platform_ticks(void)
{
    return rdtsc();
}
