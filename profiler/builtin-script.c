/* perfvisor script: print every sample of a capture in perf script's text format. */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "builtin.h"
#include "export_cli.h"
#include "util.h"

static const char script_usage[] =
	"usage: perfvisor script [OPTIONS]\n"
	"\n"
	"Print every sample of a capture the way 'perf script' prints a perf.data with\n"
	"call chains: a line 'COMM PID/TID [CPU] TIME: PERIOD EVENT:' and one line\n"
	"'ADDRESS SYMBOL+OFFSET (DSO)' per frame, the sampled function first, then a\n"
	"blank line.  COMM is DOMAIN:PROCESS, PID the domain id, TID the domain id x\n"
	"10000 plus the process's number (0: the hypervisor's time for that domain).\n"
	"FlameGraph's stackcollapse-perf.pl and the Firefox Profiler read it as is.\n"
	"\n"
	"  -i, --input FILE       the capture (default perfvisor.data)\n"
	EXPORT_CLI_HELP
	"  -h, --help             this text\n";

static const struct option script_options[] = {
	{ "input", required_argument, NULL, 'i' },
	EXPORT_CLI_OPTIONS,
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

int cmd_script(int argc, char **argv)
{
	struct export_input in = { .input = "perfvisor.data" };
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "i:h", script_options, NULL)) != -1) {
		switch (c) {
		case 'i': in.input = optarg; in.input_given = true; break;
		case EXPORT_OPT_SYMBOLS:
		case EXPORT_OPT_NO_DEMANGLE:
		case EXPORT_OPT_GUEST_KALLSYMS:
		case EXPORT_OPT_GUEST_VMLINUX:
		case EXPORT_OPT_GUEST_ROOT:
			if (export_cli_option(&in, c, optarg)) {
				export_cli_done(&in);
				return EXIT_USAGE;
			}
			break;
		case 'h':
			fputs(script_usage, stdout);
			return 0;
		default:
			fputs("see 'perfvisor script --help'\n", stderr);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		pv_error("unexpected argument '%s' (the capture is given with -i FILE)", argv[optind]);
		return EXIT_USAGE;
	}
	static struct export x;
	int st = export_cli_load("script", &in, &x);
	if (st)
		return st;
	static char obuf[1 << 16];
	setvbuf(stdout, obuf, _IOFBF, sizeof(obuf));
	export_write_script(stdout, &x);
	if (fflush(stdout) == EOF && errno != EPIPE) {
		pv_error("cannot write the samples: %s", strerror(errno));
		st = 1;
	}
	export_free(&x);
	return st;
}
