/* perfvisor iso: build the bootable ISO that `run` would boot, without an
 * emulator, to boot perfvisor on bare metal (dd it to a USB stick). */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bootspec.h"
#include "builtin.h"
#include "iso.h"
#include "util.h"

static const char iso_usage[] =
	"usage: perfvisor iso -o OUT.iso [OPTIONS] GUEST.elf[:ARGS] ...\n"
	"\n"
	"Build a GRUB ISO (BIOS boot) with perfvisor and one domain per GUEST, as\n"
	"`perfvisor run` boots it.  Write it to a USB stick to run on bare metal:\n"
	"  dd if=OUT.iso of=/dev/sdX bs=4M conv=fsync\n"
	"\n"
	"  -o, --output FILE      the ISO to write (required)\n"
	"  --hv-cmdline STR       hypervisor command line (e.g. slice=1000000)\n"
	"  --native               boot the one GUEST alone, without perfvisor\n"
	"  --image PATH           hypervisor image (default: $PERFVISOR_IMAGE, else\n"
	"                         perfvisor.elf next to this program, else\n"
	"                         ../lib/perfvisor/perfvisor.elf from it: make install)\n"
	"  -h, --help             this text\n";

enum { OPT_HV_CMDLINE = 256, OPT_NATIVE, OPT_IMAGE };

static const struct option iso_options[] = {
	{ "output", required_argument, NULL, 'o' },
	{ "hv-cmdline", required_argument, NULL, OPT_HV_CMDLINE },
	{ "native", no_argument, NULL, OPT_NATIVE },
	{ "image", required_argument, NULL, OPT_IMAGE },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

int cmd_iso(int argc, char **argv)
{
	const char *out = NULL, *hv_cmdline = NULL, *image = NULL;
	bool native = false;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "o:h", iso_options, NULL)) != -1) {
		switch (c) {
		case 'o': out = optarg; break;
		case OPT_HV_CMDLINE: hv_cmdline = optarg; break;
		case OPT_NATIVE: native = true; break;
		case OPT_IMAGE: image = optarg; break;
		case 'h':
			fputs(iso_usage, stdout);
			return 0;
		default:
			fputs("see 'perfvisor iso --help'\n", stderr);
			return EXIT_USAGE;
		}
	}
	if (!out || optind >= argc) {
		pv_error(!out ? "-o OUT.iso is required" : "no guest given");
		fputs(iso_usage, stderr);
		return EXIT_USAGE;
	}

	char *slash = strrchr(out, '/');
	char *outdir = slash ? strndup(out, slash == out ? 1 : (size_t)(slash - out)) : strdup(".");
	if (!outdir || access(outdir, W_OK) < 0) {
		pv_error("cannot write %s: %s", out, outdir ? strerror(errno) : "out of memory");
		free(outdir);
		return 2;
	}
	free(outdir);

	struct boot_spec bs;
	if (boot_spec_init(&bs, native, image, hv_cmdline, argv + optind, argc - optind))
		return 2;
	int status = 2;
	char *dir = make_temp_dir();
	if (dir) {
		struct iso_desc desc = boot_spec_iso_desc(&bs);
		if (iso_build(&desc, dir, out) == 0) {
			status = 0;
			fprintf(stderr, "perfvisor iso: wrote %s (%zu guest%s%s)\n", out, bs.nguests,
				bs.nguests == 1 ? "" : "s", native ? ", native" : "");
		}
		remove_tree(dir);
		free(dir);
	}
	boot_spec_free(&bs);
	return status;
}
