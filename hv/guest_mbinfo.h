/* The multiboot1 information a domain receives in EBX: its own memory map and command line. */
#ifndef HV_GUEST_MBINFO_H
#define HV_GUEST_MBINFO_H

#include "perfvisor/limits.h"

#include <stdint.h>

#define GUEST_MBINFO_GPA  0x6000ull    /* one page below the kernel's usual 1 MiB home */
#define GUEST_MBINFO_SIZE 0x1000ull
#define GUEST_STACK_GPA   0x7FF0ull    /* ESP at entry; multiboot leaves it undefined */
#define GUEST_LOW_END     PV_GUEST_LOW_END /* info + stack: a kernel must load above this */
#define GUEST_EBDA_START  0x9FC00ull   /* reported reserved, like a PC's EBDA and BIOS area */

/* A multiboot module already in guest memory, as the info lists it (Multiboot 0.6.96 3.3). */
struct guest_module {
    uint64_t start, end;          /* guest-physical [start, end) */
    const char *string;           /* its command line */
};

/* Writes the info at guest-physical `at` (within gmem of gsize bytes), listing the nmods
 * modules (flags bit 3, mods_count, mods_addr) as GRUB does; returns its size or -1 when it
 * does not fit in GUEST_MBINFO_SIZE. */
int guest_mbinfo_build(uint8_t *gmem, uint64_t gsize, uint64_t at, const char *cmdline,
                       const struct guest_module *mods, int nmods);

#endif
