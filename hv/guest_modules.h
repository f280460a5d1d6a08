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
/* Domain N's initrd (the CLI's initrd=PATH).  Until the Linux loader is wired into domain_build
 * it is also one of domain N's multiboot modules, as GRUB and QEMU's -initrd give a multiboot
 * kernel its initrd; guest_modules_initrd finds it among them for the Linux loader. */
#define GUEST_INITRD_OF_KEY "perfvisor.initrd-of"
#define GUEST_MAX_MODULES   8         /* per domain, its initrd included */

/* The domain a GRUB module belongs to: N (>= 1) from perfvisor.module-of=N or
 * perfvisor.initrd-of=N, 0 if it has neither marker (it is a kernel: a domain of its own), -1 if
 * the marker is not a positive number or the two name different domains. */
int guest_module_owner(const char *cmdline);
/* N (>= 1) if the GRUB module is domain N's initrd (perfvisor.initrd-of=N), 0 if it has no
 * such marker, -1 if the marker is not a positive number. */
int guest_module_initrd_of(const char *cmdline);
/* Index among a domain's n modules (in GRUB order, as guest_module_owner assigns them) of its
 * initrd: the first one marked perfvisor.initrd-of; -1 if none is. */
int guest_modules_initrd(const struct boot_module *const *mods, int n);

/* Copies the n modules (host bytes at mods[i]->start, identity-mapped) into guest memory gmem
 * of gsize bytes, each at the next page boundary at or above `above`, and fills out[i] (the
 * strings point into strings[i]: the module's command line without perfvisor.* tokens).
 * Returns 0, or -1 with why in err when they do not fit below gsize. */
int guest_modules_place(uint8_t *gmem, uint64_t gsize, uint64_t above,
                        const struct boot_module *const *mods, int n, struct guest_module *out,
                        char (*strings)[BOOT_CMDLINE_MAX], char *err, int errlen);

#endif
