/* Ending a run on each platform perfvisor boots on: an emulator's exit port only where that
 * emulator was detected (arch/x86/emulator.c), otherwise the CPU halts and the operator reads
 * the console. */
#include "hv/platform.h"
#include "arch/x86/cpu.h"
#include "arch/x86/emulator.h"
#include "arch/x86/serial.h"
#include "hv/printf.h"

#define QEMU_DEBUG_EXIT_PORT 0xF4     /* -device isa-debug-exit,iobase=0xf4: exits (v<<1)|1 */
#define BOCHS_SHUTDOWN_PORT  0x8900   /* "Shutdown" written here ends Bochs */

void platform_shutdown(int status)
{
    enum emulator e = emulator_detect();
    if (!emulator_has_exit_port(e))
        hv_printf("perfvisor: %s: halting\n", emulator_name(e));
    serial_drain();
    if (e == EMULATOR_QEMU_TCG || e == EMULATOR_KVM)
        outb(QEMU_DEBUG_EXIT_PORT, (uint8_t)status);
    if (e == EMULATOR_BOCHS)
        for (const char *p = "Shutdown"; *p; p++)
            outb(BOCHS_SHUTDOWN_PORT, (uint8_t)*p);
    cpu_halt_forever();                /* bare metal: the operator reads the console */
}

uint64_t platform_ticks(void)
{
    return rdtsc();
}
