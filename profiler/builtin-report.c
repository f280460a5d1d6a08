/* perfvisor report: read perfvisor.data and print where the time went, per domain, process and
 * symbol, like perf report --stdio. */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "builtin.h"
#include "pv_codec.h"
#include "report.h"
#include "symbols.h"
#include "util.h"

#define DEFAULT_INPUT "perfvisor.data"
#define DEFAULT_SORT "domain,process,sym"
#define MAX_WARNINGS 40

static const char report_usage[] =
	"usage: perfvisor report [OPTIONS]\n"
	"\n"
	"Read a capture written by 'perfvisor record' or 'perfvisor capture' and print\n"
	"where the events went: per domain, guest process and symbol, with the\n"
	"hypervisor's own share.\n"
	"\n"
	"  -i, --input FILE       the capture (default perfvisor.data)\n"
	"  -s, --sort KEYS        comma-separated keys: domain, process, sym, srcline, dso\n"
	"                         (default domain,process,sym)\n"
	"      --children         add callers' totals from the call chains (Children column)\n"
	"      --no-children      self time only (default)\n"
	"  -g, --call-graph       print the call graph under each entry (needs record -g)\n"
	"      --symbols D=ELF    symbols of domain D (0: the hypervisor) from ELF instead of\n"
	"                         the path recorded in the capture; repeatable\n"
	"      --stdio            text output (the only one)\n"
	"      --percent-limit P  hide entries below P percent\n"
	"      --guest-wide       after the report, for each domain whose console printed\n"
	"                         'gprof-sample SYMBOL COUNT' lines (its own guest-wide\n"
	"                         profile, e.g. guest-stub gprof), set those shares beside\n"
	"                         perfvisor's samples of the same symbols (the last count\n"
	"                         printed per symbol wins)\n"
	"  -h, --help             this text\n";

enum { OPT_CHILDREN = 256, OPT_NO_CHILDREN, OPT_SYMBOLS, OPT_STDIO, OPT_PERCENT_LIMIT, OPT_GUEST_WIDE };

static const struct option report_options[] = {
	{ "input", required_argument, NULL, 'i' },
	{ "sort", required_argument, NULL, 's' },
	{ "children", no_argument, NULL, OPT_CHILDREN },
	{ "no-children", no_argument, NULL, OPT_NO_CHILDREN },
	{ "call-graph", no_argument, NULL, 'g' },
	{ "symbols", required_argument, NULL, OPT_SYMBOLS },
	{ "stdio", no_argument, NULL, OPT_STDIO },
	{ "percent-limit", required_argument, NULL, OPT_PERCENT_LIMIT },
	{ "guest-wide", no_argument, NULL, OPT_GUEST_WIDE },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* Loads the images the first time an address is resolved: by then the header is known. */
struct report_symbols {
	struct symbols *syms;
	bool loaded;
	const struct pv_meta *meta;
	const char *override[CAP_MAX_DOMAINS];
	char *warnings[MAX_WARNINGS + 1];
	int nwarnings;
};

static void warn_line(struct report_symbols *rs, const char *w)
{
	pv_warn("%s", w);
	if (rs->nwarnings < MAX_WARNINGS)
		rs->warnings[rs->nwarnings++] = xstrdup(w);
}

static void load_one(struct report_symbols *rs, int d, const char *name, int kind, const uint8_t *id, int len)
{
	const char *path = rs->override[d];
	if (!path && d == 0 && rs->meta->hypervisor[0])
		path = rs->meta->hypervisor;
	if (!path && d > 0 && d < 16 && rs->meta->images[d][0])
		path = rs->meta->images[d];
	char w[1024];
	if (!path) {
		snprintf(w, sizeof(w), "domain %d (%s): no image recorded for it: addresses stay raw; use --symbols %d=PATH",
			 d, name, d);
		warn_line(rs, w);
		return;
	}
	if (symbols_load(rs->syms, d, name, path, kind, id, len, w, sizeof(w)))
		warn_line(rs, w);
}

static void load_images(struct report_symbols *rs, const struct pv_header *h)
{
	rs->loaded = true;
	for (int i = 0; i < h->ndomains; i++) {
		const struct pv_domain_info *di = &h->domains[i];
		if (di->id > 0 && di->id < CAP_MAX_DOMAINS)
			load_one(rs, di->id, di->name, di->image_id_kind, di->image_id, di->image_id_len);
	}
	if (h->backend == CAP_BACKEND_HARDWARE)
		load_one(rs, 0, "perfvisor", CAP_IMAGE_ID_BUILD_ID, h->hv_build_id, h->hv_build_id_len);
}

static void resolve(void *ctx, const struct pv_header *h, int domain, uint64_t ip, struct report_sym *out)
{
	struct report_symbols *rs = ctx;
	if (!rs->loaded)
		load_images(rs, h);
	symbols_resolve(rs->syms, h, domain, ip, out);
}

static int parse_symbols_opt(struct report_symbols *rs, const char *arg)
{
	char *end;
	long d = strtol(arg, &end, 10);
	if (end == arg || *end != '=' || d < 0 || d >= CAP_MAX_DOMAINS || !end[1]) {
		pv_error("--symbols takes DOMAIN=ELF with DOMAIN from 0 (the hypervisor) to 15 (got '%s')", arg);
		return -1;
	}
	rs->override[d] = end + 1;
	return 0;
}

int cmd_report(int argc, char **argv)
{
	const char *input = DEFAULT_INPUT, *sort = DEFAULT_SORT, *bad;
	struct report_opts o = { .graph_limit = 0.5 };
	struct report_symbols rs = { 0 };
	bool guest_wide = false;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "i:s:gh", report_options, NULL)) != -1) {
		switch (c) {
		case 'i': input = optarg; break;
		case 's': sort = optarg; break;
		case 'g': o.callgraph = true; break;
		case OPT_CHILDREN: o.children = true; break;
		case OPT_NO_CHILDREN: o.children = false; break;
		case OPT_STDIO: break;
		case OPT_GUEST_WIDE: guest_wide = true; break;
		case OPT_SYMBOLS:
			if (parse_symbols_opt(&rs, optarg))
				return EXIT_USAGE;
			break;
		case OPT_PERCENT_LIMIT: {
			char *end;
			o.percent_limit = strtod(optarg, &end);
			if (end == optarg || *end || o.percent_limit < 0 || o.percent_limit > 100) {
				pv_error("--percent-limit takes a percentage from 0 to 100 (got '%s')", optarg);
				return EXIT_USAGE;
			}
			break;
		}
		case 'h':
			fputs(report_usage, stdout);
			return 0;
		default:
			fputs("see 'perfvisor report --help'\n", stderr);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		pv_error("unexpected argument '%s' (the capture is given with -i FILE)", argv[optind]);
		return EXIT_USAGE;
	}
	if (report_parse_sort(&o, sort, &bad)) {
		pv_error("--sort: unknown key '%s': the keys are domain, process, sym, srcline, dso", bad);
		return EXIT_USAGE;
	}

	if (access(input, R_OK) < 0) {
		fprintf(stderr, "perfvisor report: cannot open %s: %s — run 'perfvisor record -- GUEST.elf' first%s\n",
			input, strerror(errno), strcmp(input, DEFAULT_INPUT) ? "" : " (or name a file with -i)");
		return 1;
	}
	static struct pv_meta meta;
	uint8_t *stream = NULL;
	size_t len = 0;
	char err[256] = "";
	if (pv_datafile_read(input, &meta, &stream, &len, err, sizeof(err))) {
		fprintf(stderr, "perfvisor report: %s — is it a file written by 'perfvisor record' or 'perfvisor "
				"capture'?\n", err[0] ? err : strerror(errno));
		return 1;
	}

	rs.syms = symbols_new();
	rs.meta = &meta;
	struct report_resolver res = { .ctx = &rs, .resolve = resolve };
	struct report r;
	report_init(&r, &o, &res);
	struct pv_header h;
	struct pv_diag diag;
	report_load(&r, stream, len, guest_wide, &h, &diag);

	int status = 0;
	if (!r.have_hdr) {
		fprintf(stderr, "perfvisor report: %s holds no capture header (%llu bytes, %llu of console text): "
				"did you run record with profiling? Try 'perfvisor record -- GUEST.elf'%s\n",
			input, (unsigned long long)diag.bytes, (unsigned long long)diag.text_bytes,
			diag.first_error[0] ? "" : "");
		if (diag.first_error[0])
			fprintf(stderr, "perfvisor report: first error: %s\n", diag.first_error);
		status = 1;
	} else if (!r.total) {
		fprintf(stderr, "perfvisor report: no samples in %s: did you run record with profiling? The "
				"guests may have ended before the first sample: lower the period (record -c N) "
				"or run them longer\n", input);
		status = 1;
	} else {
		if (!rs.loaded)
			load_images(&rs, &r.hdr);
		static char obuf[1 << 16];
		setvbuf(stdout, obuf, _IOFBF, sizeof(obuf));
		struct report_print_info pi = { .input = input, .diag = &diag,
						.warnings = (const char *const *)rs.warnings };
		report_print(stdout, &r, &pi);
		if (guest_wide)
			report_print_guest_wide(stdout, &r);
		if (fflush(stdout) == EOF && errno != EPIPE) {
			pv_error("cannot write the report: %s", strerror(errno));
			status = 1;
		}
	}
	report_free(&r);
	symbols_free(rs.syms);
	for (int i = 0; i < rs.nwarnings; i++)
		free(rs.warnings[i]);
	free(stream);
	return status;
}
