/* The multiboot1 information a domain receives in EBX: its own memory map and command line. */
#ifndef HV_GUEST_MBINFO_H
#define HV_GUEST_MBINFO_H

#include "perfvisor/limits.h"

#include <stdint.h>

#define GUEST_GDT_GPA     0x5000ull    /* the flat GDT of the handoff, a reserved page */
#define GUEST_GDT_SIZE    0x1000ull
#define GUEST_MB_CS       0x08         /* CS at entry: GDT entry 1, flat 32-bit code */
#define GUEST_MB_DS       0x10         /* SS, DS, ES, FS, GS at entry: entry 2, flat 32-bit data */
#define GUEST_MB_GDT_LIMIT 0x17        /* three descriptors: null, code, data */
#define GUEST_MBINFO_GPA  0x6000ull    /* one page below the kernel's usual 1 MiB home */
#define GUEST_MBINFO_SIZE 0x1000ull
#define GUEST_STACK_GPA   0x7FF0ull    /* ESP at entry; multiboot leaves it undefined */
#define GUEST_LOW_END     PV_GUEST_LOW_END /* info + stack: a kernel must load above this */
#define GUEST_EBDA_START  0x9FC00ull   /* reported reserved, like a PC's EBDA and BIOS area */

/* Writes the handoff's flat GDT at GUEST_GDT_GPA (null, 32-bit code at GUEST_MB_CS, 32-bit data
 * at GUEST_MB_DS, base 0 and limit 4 GiB each), what GRUB and QEMU -kernel leave in GDTR: the
 * multiboot spec lets GDTR be invalid, but kernels build interrupt gates with the CS they were
 * entered with and IRET reloads it from the GDT. */
void guest_mbinfo_gdt(uint8_t *gmem);

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
