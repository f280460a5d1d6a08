/* What to boot: the hypervisor image, its command line and the guests, as
 * given on the command line of run / iso (and later record).  Everything is
 * checked here, before any ISO is built. */
#ifndef PROFILER_BOOTSPEC_H
#define PROFILER_BOOTSPEC_H

#include <stdbool.h>
#include <stddef.h>

#include "guest.h"
#include "iso.h"

struct boot_spec {
	bool native;         /* one guest, no hypervisor */
	char *hv_image;      /* NULL when native */
	char *hv_cmdline;    /* may be NULL */
	struct guest_spec *guests;
	size_t nguests;
};

/* image_opt: --image (or NULL: $PERFVISOR_IMAGE, then perfvisor.elf next to
 * this program).  Prints what is wrong and returns -1, or 0. */
int boot_spec_init(struct boot_spec *bs, bool native, const char *image_opt, const char *hv_cmdline,
		   char *const guest_args[], int nguest_args);
/* Where the hypervisor image would be looked for (new string), and where
 * that choice came from ("--image", "PERFVISOR_IMAGE", "next to perfvisor"). */
char *boot_spec_find_image(const char *image_opt, const char **source);
struct iso_desc boot_spec_iso_desc(const struct boot_spec *bs);
void boot_spec_free(struct boot_spec *bs);

#endif
