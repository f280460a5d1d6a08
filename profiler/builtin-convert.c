/* perfvisor convert: a capture in the formats other tools read (docs/export.md). */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "builtin.h"
#include "export_cli.h"
#include "util.h"

static const char convert_usage[] =
	"usage: perfvisor convert --to FORMAT [-i perfvisor.data] -o OUT\n"
	"\n"
	"Write a capture in another tool's format.  Weights (event counts), domains,\n"
	"processes and call chains are kept in each:\n"
	"  folded      FlameGraph's folded stacks: DOMAIN;PROCESS;root;...;leaf WEIGHT\n"
	"  svg         an interactive flame graph, one self-contained file (search, zoom)\n"
	"  pprof       pprof's profile.proto, gzipped (go tool pprof OUT)\n"
	"  speedscope  speedscope's JSON file format, one profile per domain and process\n"
	"  json        perfvisor's own JSON dump (docs/export.md)\n"
	"\n"
	"  -t, --to FORMAT        one of the above\n"
	"  -i, --input FILE       the capture (default perfvisor.data)\n"
	"  -o, --output OUT       the file to write ('-': standard output)\n"
	EXPORT_CLI_HELP
	"  -h, --help             this text\n";

static const struct option convert_options[] = {
	{ "to", required_argument, NULL, 't' },
	{ "input", required_argument, NULL, 'i' },
	{ "output", required_argument, NULL, 'o' },
	EXPORT_CLI_OPTIONS,
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static const char *const formats[] = { "folded", "svg", "pprof", "speedscope", "json" };
#define NFORMATS (sizeof(formats) / sizeof(formats[0]))

static int write_format(int fmt, FILE *f, const struct export *x, const char *input)
{
	switch (fmt) {
	case 0: return export_write_folded(f, x);
	case 1: return export_write_svg(f, x, input);
	case 2: return export_write_pprof(f, x);
	case 3: return export_write_speedscope(f, x, input);
	default: return export_write_json(f, x, input);
	}
}

int cmd_convert(int argc, char **argv)
{
	struct export_input in = { .input = "perfvisor.data" };
	const char *to = NULL, *out = NULL;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "t:i:o:h", convert_options, NULL)) != -1) {
		switch (c) {
		case 't': to = optarg; break;
		case 'i': in.input = optarg; in.input_given = true; break;
		case 'o': out = optarg; break;
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
			fputs(convert_usage, stdout);
			return 0;
		default:
			fputs("see 'perfvisor convert --help'\n", stderr);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		pv_error("unexpected argument '%s' (the capture is given with -i FILE, the output with -o OUT)",
			 argv[optind]);
		return EXIT_USAGE;
	}
	int fmt = -1;
	for (size_t i = 0; to && i < NFORMATS; i++)
		if (!strcmp(to, formats[i]))
			fmt = (int)i;
	if (fmt < 0) {
		pv_error("%s: the formats are folded, svg, pprof, speedscope, json (--to FORMAT)",
			 to ? "unknown format" : "no format given");
		return EXIT_USAGE;
	}
	if (!out) {
		pv_error("no output file: give one with -o OUT ('-o -' for standard output)");
		return EXIT_USAGE;
	}
	bool to_stdout = !strcmp(out, "-");
	if (to_stdout && fmt == 2 && isatty(STDOUT_FILENO)) {
		pv_error("pprof's format is gzipped binary: give a file with -o OUT");
		return EXIT_USAGE;
	}
	struct stat si, so;
	if (!to_stdout && stat(in.input, &si) == 0 && stat(out, &so) == 0 && si.st_dev == so.st_dev &&
	    si.st_ino == so.st_ino) {
		pv_error("%s is the capture itself: give another file with -o OUT", out);
		return EXIT_USAGE;
	}
	static struct export x;
	int st = export_cli_load("convert", &in, &x);
	if (st)
		return st;
	/* A regular file (or a new one) is written as OUT.tmp, then renamed: a failed conversion
	 * leaves no half-written file behind.  Anything else (a device such as /dev/null, a FIFO)
	 * is written directly: renaming over it would replace it. */
	struct stat sb;
	bool direct = to_stdout || (stat(out, &sb) == 0 && !S_ISREG(sb.st_mode));
	char *tmp = direct ? NULL : xasprintf("%s.tmp", out);
	FILE *f = to_stdout ? stdout : fopen(tmp ? tmp : out, "wb");
	if (!f) {
		pv_error("cannot write %s: %s", tmp ? tmp : out, strerror(errno));
		free(tmp);
		export_free(&x);
		return 1;
	}
	static char obuf[1 << 16];
	setvbuf(f, obuf, _IOFBF, sizeof(obuf));
	errno = 0;
	int wr = write_format(fmt, f, &x, in.input);
	int cl = f == stdout ? fflush(f) : fclose(f);
	if (wr || cl == EOF) {
		pv_error("cannot write %s: %s", out, strerror(errno ? errno : EIO));
		st = 1;
		if (tmp)
			unlink(tmp);
	} else if (tmp && rename(tmp, out) < 0) {
		pv_error("cannot rename %s to %s: %s", tmp, out, strerror(errno));
		unlink(tmp);
		st = 1;
	}
	free(tmp);
	export_free(&x);
	return st;
}
