/* What the loader told us, in a loader-neutral form (filled by boot/boot_info.c). */
#ifndef HV_BOOT_INFO_H
#define HV_BOOT_INFO_H

#include <stdint.h>

#include "perfvisor/limits.h"

#define BOOT_MAX_RANGES  64
#define BOOT_MAX_MODULES PV_MAX_GRUB_MODULES          /* domains and their multiboot modules */
#define BOOT_CMDLINE_MAX 256

struct mem_range {
    uint64_t start, end;          /* [start, end) */
};

struct boot_module {
    uint64_t start, end;          /* physical, [start, end) */
    char cmdline[BOOT_CMDLINE_MAX];
};

struct boot_info {
    const char *loader;           /* "multiboot2" or "multiboot1" */
    char cmdline[BOOT_CMDLINE_MAX];
    struct mem_range ram[BOOT_MAX_RANGES];      /* usable RAM (type 1) */
    int nram;
    struct boot_module modules[BOOT_MAX_MODULES];
    int nmodules;
    int modules_dropped;          /* modules beyond BOOT_MAX_MODULES */
    uint64_t info_start, info_end; /* the loader's info structure itself */
    uint64_t acpi_rsdp;           /* the RSDP copy in a multiboot2 ACPI tag (new preferred), or 0 */
};

/* Parses the loader's information; returns 0, or -1 with a message if the magic is unknown. */
int boot_info_parse(uint32_t magic, uint64_t info, struct boot_info *bi);

#endif
