/* perfvisor run: its options, shared with the unit tests. */
#ifndef PROFILER_BUILTIN_RUN_H
#define PROFILER_BUILTIN_RUN_H

#include <stdbool.h>

#include "bootspec.h"

#define DEFAULT_TIMEOUT_S 600
#define DEFAULT_MEGS 256
#define HV_RESERVED_MEGS 64 /* the hypervisor's own memory on top of the guests' */

struct run_opts {
	int emulator; /* enum emu_kind, or -1: choose */
	unsigned timeout_s;
	bool keep, native;
	const char *log, *hv_cmdline, *image;
	unsigned megs; /* 0: default */
};

/* Parse argv (argv[0] = "run").  Returns -1 when the run should go on (the
 * guests start at optind), else the exit status (after --help: 0; after a
 * bad option: EXIT_USAGE, with a message printed). */
int run_parse_options(int argc, char **argv, struct run_opts *o);
/* Emulated RAM: --megs or DEFAULT_MEGS, raised to the guests' mem= sum +
 * HV_RESERVED_MEGS when perfvisor runs them. */
unsigned run_choose_megs(const struct run_opts *o, const struct boot_spec *bs);

#endif
