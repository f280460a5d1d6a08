/* guest.h - what every guest-stub includes. */
#ifndef GUEST_GUEST_H
#define GUEST_GUEST_H

#include <stdint.h>
#include "multiboot.h"
#include "printf.h"
#include "string.h"
#include "uart.h"
#include "x86.h"

#define GUEST_EXIT_PORT     0xF4    /* QEMU isa-debug-exit and perfvisor's exit port */
#define BOCHS_SHUTDOWN_PORT 0x8900  /* Bochs exits on the bytes "Shutdown" */

/* Start-up common to all guests: init COM1, parse the multiboot info, print
 * "hello from guest-stub NAME (cmdline: ...)".  Returns mb_init's result. */
int guest_start(const char *name, uint32_t magic, const struct mb_info *mbi);

/* Drain COM1, report `status` on port 0xF4, ask Bochs to shut down, halt. */
void guest_exit(int status) __attribute__((noreturn));

#endif
