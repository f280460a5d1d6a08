/* perfvisor selftest: boots the counter self-test guest (guest-stub/selftest.c) under perfvisor
 * with vpmu=hw, so that on a CPU with a PMU (bare metal, nested KVM) the guest's counters are the
 * real ones; where there is none (Bochs) the hypervisor says so and the software vPMU answers.
 * Prints the run's console: the guest's "selftest:" lines are the report to paste into a bug
 * report.  Every option of `perfvisor run` is accepted. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "builtin.h"
#include "builtin-run.h"
#include "util.h"

static const char selftest_usage[] =
	"usage: perfvisor selftest [OPTIONS]\n"
	"\n"
	"Boot perfvisor with its counter self-test guest and print what the performance\n"
	"counters count: a loop of known length on every general-purpose and fixed counter\n"
	"(read with RDMSR and RDPMC), and one PMI from a general and a fixed counter; one\n"
	"PASS/FAIL/SKIP line each, between 'selftest: ----' and 'selftest: end'.  Paste\n"
	"that into a bug report.  The hypervisor runs with vpmu=hw (experimental): on a CPU\n"
	"with an architectural PMU the guest counts on the real counters; without one (Bochs)\n"
	"perfvisor says so and the software vPMU (TSC ticks) answers.\n"
	"\n"
	"  --guest PATH           the self-test guest (default: $PERFVISOR_SELFTEST, else\n"
	"                         guest-stub/selftest.elf next to this program, else\n"
	"                         ../lib/perfvisor/selftest.elf)\n"
	"  --loop N               loop iterations (3N instructions; default 1000000)\n"
	"  --sw                   keep the software vPMU (no vpmu=hw)\n"
	"  and every option of 'perfvisor run' (--emulator, --timeout, --hv-cmdline, --image,\n"
	"  --native to run the guest on the bare (emulated) CPU, ...)\n"
	"  -h, --help             this text\n"
	"\n"
	"Exit status: as 'perfvisor run': 0 every check passed or was skipped, 1 one failed\n"
	"(the guest's exit status is the number of FAILs), 2 the run did not finish.\n";

enum { OPT_GUEST = 512, OPT_LOOP, OPT_SW };

/* The guest: --guest, $PERFVISOR_SELFTEST, beside the program (build tree), installed. */
static char *find_guest(const char *opt)
{
	const char *env = getenv("PERFVISOR_SELFTEST");
	if (opt)
		return xstrdup(opt);
	if (env && *env)
		return xstrdup(env);
	char *dir = exe_dir();
	char *path = path_join(dir ? dir : ".", "guest-stub/selftest.elf");
	if (dir && access(path, F_OK) < 0) {
		char *installed = path_join(dir, "../lib/perfvisor/selftest.elf");
		if (access(installed, F_OK) == 0) {
			free(path);
			path = installed;
		} else {
			free(installed);
		}
	}
	free(dir);
	return path;
}

int cmd_selftest(int argc, char **argv)
{
	static const struct option own[] = {
		{ "guest", required_argument, NULL, OPT_GUEST },
		{ "loop", required_argument, NULL, OPT_LOOP },
		{ "sw", no_argument, NULL, OPT_SW },
		{ "help", no_argument, NULL, 'h' },
	};
	struct option opts[64];
	size_t n = 0;
	for (; run_long_options[n].name && n < 64 - 5; n++)
		opts[n] = run_long_options[n];
	for (size_t i = 0; i < sizeof(own) / sizeof(own[0]); i++)
		opts[n++] = own[i];
	opts[n] = (struct option){ 0 };

	struct run_opts o;
	const char *guest_opt = NULL;
	unsigned loop = 1000000;
	int sw = 0, c;
	run_opts_init(&o);
	optind = 1;
	while ((c = getopt_long(argc, argv, "hq", opts, NULL)) != -1) {
		switch (c) {
		case 'h': fputs(selftest_usage, stdout); return 0;
		case OPT_GUEST: guest_opt = optarg; continue;
		case OPT_SW: sw = 1; continue;
		case OPT_LOOP: {
			char *end;
			unsigned long v = strtoul(optarg, &end, 10);
			if (!*optarg || *end || v < 1000 || v > 100000000) {
				pv_error("--loop takes 1000 to 100000000 iterations (got '%s')", optarg);
				return EXIT_USAGE;
			}
			loop = (unsigned)v;
			continue;
		}
		}
		int r = run_handle_option(c, optarg, &o);
		if (r == -1)
			continue;
		if (r == 0)
			fputs("see 'perfvisor selftest --help'\n", stderr);
		return EXIT_USAGE;
	}
	if (optind < argc) {
		pv_error("selftest takes no guest: it boots its own (--guest PATH to choose it)");
		return EXIT_USAGE;
	}
	char *path = find_guest(guest_opt);
	if (access(path, R_OK) < 0) {
		pv_error("self-test guest %s: not found: build it with 'make guests', or name it with "
			 "--guest PATH or PERFVISOR_SELFTEST", path);
		free(path);
		return 2;
	}
	char *guest = xasprintf("%s:name=selftest loop=%u", path, loop);
	char *const guests[] = { guest };
	const struct run_hooks hooks = { .prog = "perfvisor selftest", .hv_args = sw ? NULL : "vpmu=hw" };
	int r = run_boot(&o, guests, 1, &hooks);
	free(guest);
	free(path);
	return r;
}
