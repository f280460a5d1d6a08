/* perfvisor run: its options, shared with the unit tests. */
#ifndef PROFILER_BUILTIN_RUN_H
#define PROFILER_BUILTIN_RUN_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>

#include "bootspec.h"

#define DEFAULT_TIMEOUT_S 0 /* none: a hang is what budget= and --timeout are for */
#define SILENT_WARN_S 60    /* say so once when the machine prints nothing for this long */
#define DEFAULT_MEGS 256
#define HV_RESERVED_MEGS 64 /* the hypervisor's own memory on top of the guests' */

struct run_opts {
	int emulator; /* enum emu_kind, or -1: choose */
	unsigned timeout_s;
	bool keep, native;
	bool halt_fails; /* --halt-fails: a domain that halts without an exit status fails the run */
	bool quiet;      /* -q: no informational lines on stderr (errors and warnings stay) */
	const char *log, *hv_cmdline, *image;
	unsigned megs; /* 0: default */
};

struct emu_config;

/* run's long options (--emulator, --timeout, --keep, --log, --hv-cmdline, --megs, --native,
 * --image; no --help), NULL-terminated: record accepts them too. */
extern const struct option run_long_options[];
void run_opts_init(struct run_opts *o);
/* One option getopt_long returned: -1 handled, EXIT_USAGE bad value (message printed),
 * 0 not one of run's. */
int run_handle_option(int c, const char *arg, struct run_opts *o);

/* What a subcommand that boots like run (record) adds to it. */
struct run_hooks {
	const char *prog;    /* in messages: "perfvisor record" (NULL: "perfvisor run") */
	const char *hv_args; /* appended to the hypervisor command line (prof=1 ...) */
	/* Called with what will boot, before the ISO is built and the emulator starts; nonzero
	 * stops with that exit status (negative: 2). */
	int (*start)(void *ctx, const struct boot_spec *bs, const struct emu_config *ec);
	/* emu_config.filter: raw serial bytes in, console text out. */
	void (*filter)(void *ctx, const char *data, size_t len,
		       void (*text)(void *tctx, const char *t, size_t n), void *tctx);
	/* emu_config.tick: called about every 20 ms while the emulator runs (may be NULL). */
	void (*tick)(void *ctx, double elapsed_s);
	void *ctx;
};

/* Boot guests[0..nguests) as `run` does and return its exit status; hooks may be NULL. */
int run_boot(const struct run_opts *o, char *const guests[], int nguests, const struct run_hooks *hooks);

/* Parse argv (argv[0] = "run").  Returns -1 when the run should go on (the
 * guests start at optind), else the exit status (after --help: 0; after a
 * bad option: EXIT_USAGE, with a message printed). */
int run_parse_options(int argc, char **argv, struct run_opts *o);
/* Emulated RAM: --megs or DEFAULT_MEGS, raised to the guests' mem= sum +
 * HV_RESERVED_MEGS when perfvisor runs them. */
unsigned run_choose_megs(const struct run_opts *o, const struct boot_spec *bs);

#endif
