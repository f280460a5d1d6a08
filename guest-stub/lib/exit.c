/* exit.c - how a guest stops: the same code works in QEMU (isa-debug-exit at
 * 0xF4), under perfvisor (0xF4 is its exit port) and in native Bochs (which
 * ignores 0xF4 but exits on "Shutdown" written to 0x8900). */
#include "guest.h"

void guest_exit(int status)
{
    uart_drain();                   /* else Bochs loses the last characters */
    outb(GUEST_EXIT_PORT, (uint8_t)status);
    for (const char *p = "Shutdown"; *p; p++)
        outb(BOCHS_SHUTDOWN_PORT, (uint8_t)*p);
    halt_forever();
}
