/* What to boot: the hypervisor image, its command line and the guests. */
#define _GNU_SOURCE
#include "bootspec.h"
#include "../include/perfvisor/limits.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "linux_btf.h"
#include "util.h"

char *boot_spec_find_image(const char *image_opt, const char **source)
{
	if (image_opt) {
		*source = "--image";
		return xstrdup(image_opt);
	}
	const char *env = getenv("PERFVISOR_IMAGE");
	if (env && *env) {
		*source = "PERFVISOR_IMAGE";
		return xstrdup(env);
	}
	/* build/perfvisor beside build/perfvisor.elf; installed (make install), PREFIX/bin/perfvisor
	 * and PREFIX/lib/perfvisor/perfvisor.elf */
	char *dir = exe_dir();
	char *path = path_join(dir ? dir : ".", "perfvisor.elf");
	*source = "next to the perfvisor program";
	if (dir && access(path, F_OK) < 0) {
		char *installed = path_join(dir, "../lib/perfvisor/perfvisor.elf");
		if (access(installed, F_OK) == 0) {
			free(path);
			path = installed;
			*source = "installed beside the perfvisor program";
		} else {
			free(installed);
		}
	}
	free(dir);
	return path;
}

#define MAX_GRUB_MODULES PV_MAX_GRUB_MODULES   /* include/perfvisor/limits.h */

/* The guest's kind, from its file: an ELF, a multiboot a.out-kludge image or a Linux bzImage
 * (g->bzimage); its initrd= and module= files must exist. */
static int check_guest(struct guest_spec *g, bool native, bool check_limits)
{
	if (check_limits && !native && (g->mem_mib < PV_MIN_MEM_MIB || g->mem_mib > PV_MAX_MEM_MIB)) {
		pv_error("guest %s: mem=%u: a domain has from %u to %u MiB", g->path, g->mem_mib,
			 PV_MIN_MEM_MIB, PV_MAX_MEM_MIB);
		return -1;
	}
	for (size_t j = 0; j < g->nmodules; j++) {
		FILE *f = fopen(g->modules[j], "rb");
		if (!f) {
			pv_error("guest %s: module=%s: %s", g->path, g->modules[j], strerror(errno));
			return -1;
		}
		fclose(f);
	}
	if (g->initrd) {
		struct stat st;
		if (stat(g->initrd, &st) < 0) {
			pv_error("guest %s: initrd=%s: %s", g->path, g->initrd, strerror(errno));
			return -1;
		}
		if (!S_ISREG(st.st_mode)) {
			pv_error("guest %s: initrd=%s is not a regular file", g->path, g->initrd);
			return -1;
		}
	}
	int elf = file_is_elf(g->path);
	if (elf < 0) {
		pv_error("guest %s: %s", g->path, strerror(errno));
		return -1;
	}
	if (elf == 0) {
		/* not ELF: a multiboot1 image with the a.out kludge (flags bit 16, load addresses in the
		 * header) loads as well, and perfvisor's loader takes it (hv/mbkernel.c) */
		if (!native && multiboot1_aout_kludge(g->path) == 1)
			return 0;
		/* a Linux bzImage: GRUB's linux/initrd boot it natively; the Linux loader
		 * (hv/linux_loader.c) is perfvisor's side */
		if (file_is_bzimage(g->path) == 1) {
			g->bzimage = 1;
			if (g->nmodules) {
				pv_error("guest %s is a Linux kernel: it takes one initrd=, not module=",
					 g->path);
				return -1;
			}
			return 0;
		}
		pv_error("guest %s is neither an ELF file, a multiboot image with load addresses (the "
			 "a.out kludge, flags bit 16) nor a Linux bzImage", g->path);
		return -1;
	}
	if (find_multiboot_header(g->path, 1) < 0) {
		if (native) {
			pv_error("guest %s has no multiboot header in its first 8 KiB: GRUB cannot boot it "
				 "natively", g->path);
			return -1;
		}
		pv_warn("guest %s has no multiboot header in its first 8 KiB", g->path);
	}
	return 0;
}

/* A Linux guest's task layout from its kernel's BTF, on its module line for the sampler
 * (profiler/linux_btf.h); without it the hypervisor names processes by CR3 only. */
static void add_linux_layouts(struct boot_spec *bs)
{
	const char *off = getenv("PERFVISOR_NO_LINUX_TASKS");   /* make bench's comparison run */
	if (off && !strcmp(off, "1"))
		return;
	for (size_t i = 0; i < bs->nguests; i++) {
		struct guest_spec *g = &bs->guests[i];
		struct linux_layout lo;
		char why[256];
		if (!g->bzimage)
			continue;
		if (linux_layout_from_file(g->path, &lo, why, sizeof(why))) {
			pv_warn("guest %s: cannot learn the kernel's task layout (%s): its samples name "
				"address spaces (CR3), not processes", g->path, why);
			continue;
		}
		char *key = linux_layout_key(&lo), *old = g->args;
		g->args = xasprintf("%s %s", old, key);
		free(old);
		free(key);
	}
}

int boot_spec_init(struct boot_spec *bs, bool native, const char *image_opt, const char *hv_cmdline,
		   char *const guest_args[], int nguest_args)
{
	memset(bs, 0, sizeof(*bs));
	bs->native = native;
	if (nguest_args < 1) {
		pv_error("no guest given: name at least one GUEST.elf[:ARGS]");
		return -1;
	}
	if (native && nguest_args != 1) {
		pv_error("--native boots exactly one guest (got %d)", nguest_args);
		return -1;
	}
	/* PERFVISOR_SKIP_CLI_LIMITS=1 lets the boot tests reach the hypervisor's own checks of the
	 * same limits (docs/guests.md, "Limits") */
	const char *skip = getenv("PERFVISOR_SKIP_CLI_LIMITS");
	bool check = !skip || strcmp(skip, "1");
	if (check && !native && nguest_args > PV_MAX_DOMAINS) {
		pv_error("%d guests: perfvisor runs at most %d domains", nguest_args, PV_MAX_DOMAINS);
		return -1;
	}
	if (check && hv_cmdline && !native) {
		char *slice = cmdline_get(hv_cmdline, "slice");
		char *end = NULL;
		unsigned long long v = slice ? strtoull(slice, &end, 0) : PV_MIN_SLICE;
		int bad = slice && (!*slice || *end || v < PV_MIN_SLICE || *slice == '-');
		free(slice);
		if (bad) {
			pv_error("--hv-cmdline: slice= must be a number of TSC ticks, at least %llu",
				 (unsigned long long)PV_MIN_SLICE);
			return -1;
		}
	}
	bs->guests = xmalloc(nguest_args * sizeof(*bs->guests));
	memset(bs->guests, 0, nguest_args * sizeof(*bs->guests));
	for (int i = 0; i < nguest_args; i++) {
		const char *err;
		if (guest_parse(guest_args[i], &bs->guests[i], &err)) {
			pv_error("guest '%s': %s", guest_args[i], err);
			goto fail;
		}
		bs->nguests++;
		if (check_guest(&bs->guests[i], native, check))
			goto fail;
	}
	size_t grub_modules = bs->nguests;
	for (size_t i = 0; i < bs->nguests; i++)
		grub_modules += bs->guests[i].nmodules + (bs->guests[i].initrd != NULL);
	if (!native && grub_modules > MAX_GRUB_MODULES) {
		pv_error("%zu guests and modules: perfvisor takes at most %d GRUB modules in all",
			 grub_modules, MAX_GRUB_MODULES);
		goto fail;
	}
	guests_assign_names(bs->guests, bs->nguests);
	for (size_t i = 0; i < bs->nguests; i++)
		for (size_t j = i + 1; j < bs->nguests; j++)
			if (!strcmp(bs->guests[i].name, bs->guests[j].name))
				pv_warn("guests %zu and %zu are both named '%s'", i + 1, j + 1,
					bs->guests[i].name);
	if (!native)
		add_linux_layouts(bs);
	if (hv_cmdline)
		bs->hv_cmdline = xstrdup(hv_cmdline);
	if (native) {
		if (image_opt || hv_cmdline)
			pv_warn("--native boots no hypervisor: --image and --hv-cmdline are ignored");
		return 0;
	}

	const char *source;
	bs->hv_image = boot_spec_find_image(image_opt, &source);
	int elf = file_is_elf(bs->hv_image);
	if (elf < 0) {
		pv_error("hypervisor image %s (%s): %s", bs->hv_image, source, strerror(errno));
		pv_info("hint: build it with 'make hv', or name it with --image PATH or PERFVISOR_IMAGE");
		goto fail;
	}
	if (elf == 0) {
		pv_error("hypervisor image %s (%s) is not an ELF file", bs->hv_image, source);
		goto fail;
	}
	if (find_multiboot_header(bs->hv_image, 2) < 0) {
		pv_error("hypervisor image %s (%s) has no multiboot2 header: GRUB cannot boot it",
			 bs->hv_image, source);
		goto fail;
	}
	return 0;
fail:
	boot_spec_free(bs);
	return -1;
}

struct iso_desc boot_spec_iso_desc(const struct boot_spec *bs)
{
	struct iso_desc d = {
		.native = bs->native,
		.hv_image = bs->hv_image,
		.hv_cmdline = bs->hv_cmdline,
		.guests = bs->guests,
		.nguests = bs->nguests,
	};
	return d;
}

void boot_spec_free(struct boot_spec *bs)
{
	for (size_t i = 0; i < bs->nguests; i++)
		guest_free(&bs->guests[i]);
	free(bs->guests);
	free(bs->hv_image);
	free(bs->hv_cmdline);
	memset(bs, 0, sizeof(*bs));
}
