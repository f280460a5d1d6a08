/* Building a GRUB rescue ISO that boots the hypervisor and its guests
 * (one multiboot2 module per domain), or one guest natively. */
#ifndef PROFILER_ISO_H
#define PROFILER_ISO_H

#include <stdbool.h>
#include <stddef.h>

#include "guest.h"

struct iso_desc {
	bool native;               /* boot guests[0] alone with multiboot (v1) */
	const char *hv_image;      /* the hypervisor ELF (ignored when native) */
	const char *hv_cmdline;    /* after "multiboot2 /boot/perfvisor.elf" (may be NULL) */
	struct guest_spec *guests; /* names and args already assigned */
	size_t nguests;
};

/* The grub.cfg text for desc (new string). */
char *grub_cfg_generate(const struct iso_desc *desc);
/* A command line with every word made safe for grub.cfg (new string). */
char *grub_quote_cmdline(const char *cmdline);
/* Stage boot/ in workdir/iso and run grub-mkrescue -o out_iso.  Messages are
 * printed; returns 0 or -1. */
int iso_build(const struct iso_desc *desc, const char *workdir, const char *out_iso);

#endif
