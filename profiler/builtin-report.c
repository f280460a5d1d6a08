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
#include "guest_syms.h"
#include "image_symbols.h"
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
	"  -s, --sort KEYS        comma-separated keys: domain, process, sym, srcline, dso,\n"
	"                         pid, comm (a Linux guest's task)\n"
	"                         (default domain,process,sym)\n"
	"      --children         add callers' totals from the call chains (Children column)\n"
	"      --no-children      self time only (default)\n"
	"  -g, --call-graph[=ARG]\n"
	"                         print the call graph under each entry (needs record -g);\n"
	"                         ARG as perf's: caller or callee (default: from the\n"
	"                         sampled function out to its callers), a threshold in\n"
	"                         percent (default 0.5), comma-separated: -g caller,1\n"
	"  -G, --inverted         -g caller\n"
	"  -n, --show-nr-samples  a Samples column\n"
	"  -F, --fields LIST      the columns, in order: overhead, overhead_children,\n"
	"                         sample, period and the sort keys (which they imply\n"
	"                         without -s): -F overhead,sample,sym\n"
	"  -t, --field-separator SEP\n"
	"                         columns separated by SEP, not padded, no graphs:\n"
	"                         -t , is CSV (a field holding SEP or a quote is quoted)\n"
	"      --header           first the recording's description: the command, the\n"
	"                         emulator, when, the images, the guest time\n"
	"      --no-demangle      C++ and Rust names as the symbol table has them\n"
	"      --symbols D=ELF    symbols of domain D (0: the hypervisor) from ELF instead of\n"
	"                         the path recorded in the capture; repeatable; D must be\n"
	"                         a domain of the capture\n"
	"      --guest-kallsyms [D=]FILE\n"
	"                         a Linux guest's kernel symbols from its /proc/kallsyms or\n"
	"                         System.map, from any boot of the same kernel (relocated\n"
	"                         for KASLR by the guest's IA32_LSTAR = entry_SYSCALL_64)\n"
	"      --guest-vmlinux [D=]FILE\n"
	"                         the same from a vmlinux with a symbol table\n"
	"      --guest-root [D=]DIR\n"
	"                         a Linux guest's root file system: user-space samples\n"
	"                         resolve in the executable named by the task's comm\n"
	"                         (D= for one domain, else every domain)\n"
	"      --stdio            text output (the only one)\n"
	"      --percent-limit P  hide entries below P percent\n"
	"      --guest-wide       after the report, for each domain whose console printed\n"
	"                         'gprof-sample SYMBOL COUNT' lines (its own guest-wide\n"
	"                         profile, e.g. guest-stub gprof), set those shares beside\n"
	"                         perfvisor's samples of the same symbols (the last count\n"
	"                         printed per symbol wins)\n"
	"  -h, --help             this text\n";

enum { OPT_CHILDREN = 256, OPT_NO_CHILDREN, OPT_SYMBOLS, OPT_STDIO, OPT_PERCENT_LIMIT, OPT_GUEST_WIDE, OPT_HEADER,
       OPT_NO_DEMANGLE, OPT_GUEST_KALLSYMS, OPT_GUEST_VMLINUX, OPT_GUEST_ROOT };

static const struct option report_options[] = {
	{ "input", required_argument, NULL, 'i' },
	{ "sort", required_argument, NULL, 's' },
	{ "children", no_argument, NULL, OPT_CHILDREN },
	{ "no-children", no_argument, NULL, OPT_NO_CHILDREN },
	{ "call-graph", optional_argument, NULL, 'g' },
	{ "inverted", no_argument, NULL, 'G' },
	{ "show-nr-samples", no_argument, NULL, 'n' },
	{ "fields", required_argument, NULL, 'F' },
	{ "field-separator", required_argument, NULL, 't' },
	{ "header", no_argument, NULL, OPT_HEADER },
	{ "no-demangle", no_argument, NULL, OPT_NO_DEMANGLE },
	{ "symbols", required_argument, NULL, OPT_SYMBOLS },
	{ "stdio", no_argument, NULL, OPT_STDIO },
	{ "percent-limit", required_argument, NULL, OPT_PERCENT_LIMIT },
	{ "guest-wide", no_argument, NULL, OPT_GUEST_WIDE },
	{ "guest-kallsyms", required_argument, NULL, OPT_GUEST_KALLSYMS },
	{ "guest-vmlinux", required_argument, NULL, OPT_GUEST_VMLINUX },
	{ "guest-root", required_argument, NULL, OPT_GUEST_ROOT },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* Loads the images the first time an address is resolved: by then the header is known. */
struct report_symbols {
	struct image_symbols is;     /* images, --symbols, and Linux guests' --guest-* sources */
	const char *override[CAP_MAX_DOMAINS];
	char *warnings[MAX_WARNINGS + 1];
	int nwarnings;
	bool guest_opts;
};

/* A warning already printed, kept for the report's header. */
static void keep_warning(void *ctx, const char *w)
{
	struct report_symbols *rs = ctx;
	if (rs->nwarnings < MAX_WARNINGS)
		rs->warnings[rs->nwarnings++] = xstrdup(w);
}

static void warn_line(struct report_symbols *rs, const char *w)
{
	pv_warn("%s", w);
	keep_warning(rs, w);
}

static int parse_symbols_opt(struct report_symbols *rs, const char *arg)
{
	char *end;
	long d = strtol(arg, &end, 10);
	if (end == arg || *end != '=' || d < 0 || d >= CAP_MAX_DOMAINS || !end[1]) {
		pv_error("--symbols takes DOMAIN=ELF with DOMAIN from 0 (the hypervisor) to 15 (got '%s')", arg);
		return -1;
	}
	char why[160];
	int fd = pv_open_regular(end + 1, 1ull << 30, why, sizeof(why));
	if (fd < 0) {
		pv_error("--symbols %s: %s", arg, why);
		return -1;
	}
	close(fd);
	rs->override[d] = end + 1;
	return 0;
}

/* The first header of the capture (an event callback that stops the parser). */
static int first_header(void *ctx, const struct pv_header *h, const struct pv_event *ev)
{
	(void)ev;
	if (!h->valid)
		return 0;
	*(struct pv_header *)ctx = *h;
	return 1;
}

/* --symbols D=ELF for a domain the capture does not have: an error that lists the ones it has. */
static int check_symbols_domains(const struct report_symbols *rs, const char *input, const uint8_t *stream, size_t len)
{
	static struct pv_header h;
	struct pv_diag diag;
	struct pv_parse_cb cb = { .ctx = &h, .event = first_header };
	memset(&h, 0, sizeof(h));
	pv_capture_parse(stream, len, &h, &cb, &diag);
	if (!h.valid)
		return 0; /* no header: reported as such later */
	for (int d = 0; d < CAP_MAX_DOMAINS; d++) {
		if (!rs->override[d] || d == 0)
			continue;
		bool found = false;
		for (int i = 0; i < h.ndomains; i++)
			found |= h.domains[i].id == d;
		if (found)
			continue;
		char list[512] = "";
		for (int i = 0; i < h.ndomains; i++) {
			char one[96];
			snprintf(one, sizeof(one), "%s%d %s", i ? ", " : "", h.domains[i].id, h.domains[i].name);
			str_append(list, sizeof(list), one);
		}
		pv_error("--symbols %d=%s: %s has no domain %d (its domains: %s; 0 is the hypervisor)", d,
			 rs->override[d], input, d, list[0] ? list : "none");
		return -1;
	}
	return 0;
}

/* --header: what the metadata of perfvisor.data says about the recording, perf's "# ====". */
static void print_recording(FILE *f, const struct pv_meta *m, const struct report *r)
{
	fputs("# ========\n", f);
	fprintf(f, "# recorded: %s\n", m->recorded[0] ? m->recorded : "(unknown: a raw serial capture)");
	fprintf(f, "# command: %s\n", m->command[0] ? m->command : "(unknown)");
	fprintf(f, "# emulator: %s\n", m->emulator[0] ? m->emulator : "(unknown: none, or bare metal)");
	fprintf(f, "# hypervisor: %s\n", m->hypervisor[0] ? m->hypervisor : "(unknown)");
	for (int d = 1; d < CAP_MAX_DOMAINS; d++)
		if (m->images[d][0])
			fprintf(f, "# image of domain %d: %s\n", d, m->images[d]);
	uint64_t guest = 0, hv = 0;
	for (int d = 0; d < CAP_MAX_DOMAINS; d++)
		guest += r->dom[d].guest_ticks, hv += r->dom[d].hv_ticks;
	if (r->hdr.tsc_khz)
		fprintf(f, "# TSC: %llu kHz; guest time %.3f s, hypervisor time %.3f s (of the emulated machine)\n",
			(unsigned long long)r->hdr.tsc_khz, (double)guest / ((double)r->hdr.tsc_khz * 1000.0),
			(double)hv / ((double)r->hdr.tsc_khz * 1000.0));
	fputs("# ========\n#\n", f);
}

/* Warnings drawn from the samples: call chains that never go past one frame. */
static void chain_warnings(struct report_symbols *rs, const struct report *r)
{
	if (!(r->hdr.flags & CAP_HDR_CALLCHAIN)) {
		if (r->opts.callgraph || r->opts.children)
			warn_line(rs, "the capture has no call chains (it was recorded without -g): -g and "
				      "--children show the samples' own functions only");
		return;
	}
	for (int d = 1; d < CAP_MAX_DOMAINS; d++) {
		const struct report_domain_stats *ds = &r->dom[d];
		if (ds->chain_samples < 2 || ds->max_depth > 1)
			continue;
		char w[256], nb[32];
		snprintf(w, sizeof(w), "domain %d (%s): every call chain of its %llu samples has at most one frame: "
			 "built without frame pointers? (rebuild it with -fno-omit-frame-pointer)", d,
			 report_domain_name(r, d, nb, sizeof(nb)), (unsigned long long)ds->chain_samples);
		warn_line(rs, w);
	}
}

int cmd_report(int argc, char **argv)
{
	const char *input = DEFAULT_INPUT, *sort = DEFAULT_SORT, *bad;
	struct report_opts o = { .graph_limit = 0.5 };
	struct report_symbols rs = { 0 };
	bool guest_wide = false, header = false, demangle = true, sort_given = false;
	const char *fields = NULL;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "i:s:g::GnF:t:h", report_options, NULL)) != -1) {
		switch (c) {
		case 'i': input = optarg; break;
		case 's': sort = optarg; sort_given = true; break;
		case 'g':
			o.callgraph = true;
			/* perf's "-g caller": a separate word that reads as -g's argument */
			if (!optarg && optind < argc && argv[optind][0] != '-')
				optarg = argv[optind++]; /* report takes no other word */
			if (optarg && report_parse_callgraph(&o, optarg)) {
				pv_error("-g takes caller, callee and a threshold in percent, comma-separated "
					 "(got '%s'): -g caller,0.5", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'G': o.callgraph = true; o.caller = true; break;
		case 'n': o.show_nr_samples = true; break;
		case 'F': fields = optarg; break;
		case 't':
			if (!*optarg) {
				pv_error("-t needs a separator: -t , for CSV");
				return EXIT_USAGE;
			}
			o.sep = optarg;
			break;
		case OPT_HEADER: header = true; break;
		case OPT_NO_DEMANGLE: demangle = false; break;
		case OPT_CHILDREN: o.children = true; break;
		case OPT_NO_CHILDREN: o.children = false; break;
		case OPT_STDIO: break;
		case OPT_GUEST_WIDE: guest_wide = true; break;
		case OPT_SYMBOLS:
			if (parse_symbols_opt(&rs, optarg))
				return EXIT_USAGE;
			break;
		case OPT_GUEST_KALLSYMS:
		case OPT_GUEST_VMLINUX:
		case OPT_GUEST_ROOT: {
			char why[512];
			if (!rs.is.gs)
				rs.is.gs = guest_syms_new();
			rs.guest_opts = true;
			if ((c == OPT_GUEST_KALLSYMS ? guest_syms_add_kallsyms :
			     c == OPT_GUEST_VMLINUX ? guest_syms_add_vmlinux : guest_syms_add_root)(rs.is.gs, optarg, why,
												     sizeof(why))) {
				pv_error("--%s %s", c == OPT_GUEST_KALLSYMS ? "guest-kallsyms" :
					 c == OPT_GUEST_VMLINUX ? "guest-vmlinux" : "guest-root", why);
				guest_syms_free(rs.is.gs);
				return EXIT_USAGE;
			}
			break;
		}
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
		pv_error("--sort: unknown key '%s': the keys are domain, process, sym, srcline, dso, pid, comm", bad);
		return EXIT_USAGE;
	}
	if (fields && report_parse_fields(&o, fields, sort_given, &bad)) {
		pv_error("-F: '%s' is not a field, or a key the rows are not sorted by (-s): the fields are "
			 "overhead, overhead_children, sample, period, domain, process, sym, srcline, dso", bad);
		return EXIT_USAGE;
	}

	if (access(input, R_OK) < 0) {
		if (errno == ENOENT)
			fprintf(stderr, "perfvisor report: cannot open %s: %s — run 'perfvisor record -- GUEST.elf' "
					"first%s\n", input, strerror(errno),
				strcmp(input, DEFAULT_INPUT) ? "" : " (or name a file with -i)");
		else
			fprintf(stderr, "perfvisor report: cannot open %s: %s\n", input, strerror(errno));
		return 1;
	}
	static struct pv_meta meta;
	uint8_t *stream = NULL;
	size_t len = 0;
	char err[256] = "";
	if (pv_datafile_read(input, &meta, &stream, &len, err, sizeof(err))) {
		fprintf(stderr, "perfvisor report: %s\n", err[0] ? err : strerror(errno));
		return 1;
	}
	if (check_symbols_domains(&rs, input, stream, len)) {
		free(stream);
		return EXIT_USAGE;
	}

	rs.is.syms = symbols_new();
	symbols_set_demangle(rs.is.syms, demangle);
	rs.is.meta = &meta;
	rs.is.override = rs.override;
	rs.is.warned = keep_warning;
	rs.is.warned_ctx = &rs;
	if (!rs.is.gs)
		rs.is.gs = guest_syms_new();
	if (rs.guest_opts) {
		struct pv_parse_cb acb = { .ctx = rs.is.gs, .event = image_symbols_anchor_event };
		pv_capture_parse(stream, len, NULL, &acb, NULL);
	}
	struct report_resolver res = { .ctx = &rs.is, .resolve = image_symbols_resolve,
				       .resolve_user = image_symbols_resolve_user };
	struct report r;
	report_init(&r, &o, &res);
	struct pv_header h;
	struct pv_diag diag;
	report_load(&r, stream, len, guest_wide, &h, &diag);

	int status = 0;
	if (!r.have_hdr) {
		fprintf(stderr, "perfvisor report: %s holds no capture header (%llu bytes, %llu of console text): "
				"the hypervisor never started sampling, or the header frame was lost\n",
			input, (unsigned long long)diag.bytes, (unsigned long long)diag.text_bytes);
		if (diag.first_error[0])
			fprintf(stderr, "perfvisor report: first error: %s\n", diag.first_error);
		status = 1;
	} else if (!r.total) {
		fprintf(stderr, "perfvisor report: no samples in %s: the guests ended before the first sample "
				"(period %llu): lower the period (record -c N) or run them longer\n", input,
			(unsigned long long)r.hdr.period);
		status = 1;
	} else {
		if (!rs.is.loaded)
			image_symbols_load(&rs.is, &r.hdr);
		chain_warnings(&rs, &r);
		image_symbols_guest_hints(&rs.is, &r);
		static char obuf[1 << 16];
		setvbuf(stdout, obuf, _IOFBF, sizeof(obuf));
		struct report_print_info pi = { .input = input, .diag = &diag,
						.warnings = (const char *const *)rs.warnings };
		if (header)
			print_recording(stdout, &meta, &r);
		report_print(stdout, &r, &pi);
		if (guest_wide)
			report_print_guest_wide(stdout, &r);
		if (fflush(stdout) == EOF && errno != EPIPE) {
			pv_error("cannot write the report: %s", strerror(errno));
			status = 1;
		}
	}
	report_free(&r);
	symbols_free(rs.is.syms);
	guest_syms_free(rs.is.gs);
	for (int i = 0; i < rs.nwarnings; i++)
		free(rs.warnings[i]);
	free(stream);
	return status;
}
