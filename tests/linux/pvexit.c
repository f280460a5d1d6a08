/* pvexit.c - tells perfvisor (or QEMU's isa-debug-exit) this guest's exit status: writes the
 * byte STATUS to I/O port 0xF4, as `printf '\NNN' | dd of=/dev/port bs=1 seek=244` does on a
 * kernel with /dev/port (Debian's cloud kernel has CONFIG_DEVPORT off).  perfvisor ends the
 * domain there; if the machine is still running (booted natively in Bochs, which has no such
 * port), it writes "Shutdown" to Bochs' port 0x8900, which ends Bochs.  Needs root (ioperm,
 * CAP_SYS_RAWIO).  Usage: pvexit STATUS (0..255). */
#include <stdio.h>
#include <stdlib.h>
#include <sys/io.h>
#include <termios.h>
#include <unistd.h>

#define EXIT_PORT  0xF4
#define BOCHS_PORT 0x8900

int main(int argc, char **argv)
{
    char *end;
    long status = argc == 2 ? strtol(argv[1], &end, 0) : -1;

    if (argc != 2 || *end || status < 0 || status > 255) {
        fprintf(stderr, "usage: pvexit STATUS (0..255)\n");
        return 2;
    }
    /* what was printed must leave the UART first: an emulator stopping now would drop what is
     * still in the tty buffer (Bochs sends at the emulated baud rate) */
    fflush(stdout);
    tcdrain(STDOUT_FILENO);
    tcdrain(STDERR_FILENO);
    if (ioperm(EXIT_PORT, 1, 1)) {
        perror("pvexit: ioperm(0xF4)");
        return 1;
    }
    outb((unsigned char)status, EXIT_PORT);
    /* perfvisor ends the domain at the OUT; natively in Bochs we are still here */
    fprintf(stderr, "pvexit: port 0xF4 did not end this machine; trying Bochs' shutdown port\n");
    if (ioperm(BOCHS_PORT, 1, 1) == 0)
        for (const char *p = "Shutdown"; *p; p++)
            outb((unsigned char)*p, BOCHS_PORT);
    fprintf(stderr, "pvexit: nothing ended this machine\n");
    return 1;
}
