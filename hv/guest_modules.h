/* Multiboot modules of a domain: GRUB modules that are not kernels but data for one (a test
 * kernel's initrd, a configuration), marked in their command line with
 * `perfvisor.module-of=N` (docs/console-protocol.md "Module command lines"; the CLI's
 * `module=PATH` writes them).  They are copied into the domain's memory the way GRUB loads a
 * multiboot kernel's modules: page-aligned, one after the other, above the kernel. */
#ifndef HV_GUEST_MODULES_H
#define HV_GUEST_MODULES_H

#include <stdint.h>
#include "hv/boot_info.h"
#include "hv/guest_mbinfo.h"

#define GUEST_MODULE_OF_KEY "perfvisor.module-of"
#define GUEST_MAX_MODULES   8         /* per domain */

/* The domain a GRUB module belongs to: N (>= 1) from perfvisor.module-of=N, 0 if it has no
 * marker (it is a kernel: a domain of its own), -1 if the marker is not a positive number. */
int guest_module_owner(const char *cmdline);

/* Copies the n modules (host bytes at mods[i]->start, identity-mapped) into guest memory gmem
 * of gsize bytes, each at the next page boundary at or above `above`, and fills out[i] (the
 * strings point into strings[i]: the module's command line without perfvisor.* tokens).
 * Returns 0, or -1 with why in err when they do not fit below gsize. */
int guest_modules_place(uint8_t *gmem, uint64_t gsize, uint64_t above,
                        const struct boot_module *const *mods, int n, struct guest_module *out,
                        char (*strings)[BOOT_CMDLINE_MAX], char *err, int errlen);

#endif
