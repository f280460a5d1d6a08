/* The one entry point that puts a guest kernel into a domain's memory: it tells a Linux bzImage
 * (a setup header, "HdrS" at 0x202) from a multiboot kernel (ELF, or a multiboot header with
 * a.out-kludge addresses) by the image's bytes, loads it with hv/linux_loader.c or
 * hv/mbkernel.c, and fills the neutral start state (hv/guest_boot.h) that arch/ applies. */
#ifndef HV_GUEST_LOAD_H
#define HV_GUEST_LOAD_H

#include "hv/boot_info.h"
#include "hv/guest_boot.h"
#include "hv/guest_modules.h"

#include <stddef.h>
#include <stdint.h>

enum guest_kind { GUEST_KIND_MULTIBOOT, GUEST_KIND_LINUX };

/* What guest_load placed, for the start-up lines. */
struct guest_load_info {
    enum guest_kind kind;
    const char *format;            /* "elf32", "elf64", "multiboot a.out kludge", "bzImage" */
    uint64_t lo, hi, entry;        /* the kernel's guest-physical [lo, hi) and first instruction */
    int has_mb1_header;            /* multiboot: the image has a multiboot1 header */
    uint16_t linux_version;        /* Linux: the boot protocol version, e.g. 0x020F */
    int nmods;                     /* multiboot: modules listed in the info, in placed[] */
    uint64_t initrd_lo, initrd_hi; /* Linux: the initrd (its only module), 0 when none */
};

/* The image's kind from its bytes: GUEST_KIND_LINUX for a bzImage setup header, else
 * GUEST_KIND_MULTIBOOT (mbkernel_load refuses what is not a multiboot kernel either). */
int guest_image_kind(const uint8_t *img, size_t len);

/* Loads the kernel image into gmem (guest-physical 0 .. gsize-1, zeroed) with the guest's
 * command line and its n modules: a multiboot kernel gets them as multiboot modules (placed[]
 * and strings[] are filled, GUEST_MAX_MODULES at most) with the multiboot information and the
 * flat GDT; a Linux kernel takes at most one, its initrd.  Fills st with the start state (32-bit
 * protected mode, EAX magic, EBX info; or the Linux 64-bit entry).  Returns 0, or -1 with the
 * domain's stop reason in err ("cannot load its kernel: ...", "cannot load its modules: ..."). */
int guest_load(uint8_t *gmem, uint64_t gsize, const uint8_t *img, size_t len, const char *cmdline,
               const struct boot_module *const *mods, int nmods, struct guest_module *placed,
               char (*strings)[BOOT_CMDLINE_MAX], struct guest_boot_state *st,
               struct guest_load_info *out, char *err, int errlen);

#endif
