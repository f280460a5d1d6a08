/* perfvisor record: boot like `perfvisor run` with the hypervisor's sampler on, echo the console
 * text, keep the raw serial stream (text + capture frames) and write it to perfvisor.data with
 * what `perfvisor report` needs to find the images again. */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bootspec.h"
#include "../include/perfvisor/limits.h"
#include "builtin.h"
#include "builtin-run.h"
#include "console.h"
#include "emulator.h"
#include "pv_codec.h"
#include "record.h"
#include "util.h"

#define DEFAULT_OUTPUT "perfvisor.data"

static const char record_usage[] =
	"usage: perfvisor record [OPTIONS] -- GUEST.elf[:ARGS] ...\n"
	"\n"
	"Boot perfvisor with one domain per GUEST (as 'perfvisor run' does) with its\n"
	"sampler on, print the console and write the samples to perfvisor.data for\n"
	"'perfvisor report'.\n"
	"\n"
	"  -e, --event EVENT      cycles (default), ref-cycles, instructions, llc-refs,\n"
	"                         llc-misses, branches, branch-misses (all but the cycles\n"
	"                         need the hardware backend)\n"
	"  -c, --count N          sample every N events (default 1000000; from 1000 to 2^48)\n"
	"  -F, --freq HZ          sample HZ times a second of each guest's time instead (not\n"
	"                         with -c; the period, TSC Hz / HZ, must stay at least 1000)\n"
	"  -g, --call-graph       record call chains (16 frames, from frame pointers)\n"
	"      --jitter PCT       randomise each period by up to PCT percent (needs -c)\n"
	"      --ring N           samples each domain's ring holds (the hypervisor's default\n"
	"                         if not given); a full ring drops samples, counted as lost\n"
	"  -o, --output FILE      write FILE instead of perfvisor.data (an existing FILE is\n"
	"                         kept as FILE.old)\n"
	"      --progress         a progress line on stderr (guest ticks, samples, lost,\n"
	"                         bytes) even when stderr is not a terminal\n"
	"  -q, --quiet            no progress line and no informational lines on stderr\n"
	"  -h, --help             this text\n"
	"\n"
	"The options of 'perfvisor run' apply too: --emulator, --timeout, --keep, --log,\n"
	"--hv-cmdline, --megs, --image, --halt-fails (not --native).\n"
	"\n"
	"The options are checked before the emulator starts: the period bounds, the\n"
	"event against the backend the emulator allows (Bochs and QEMU without KVM have\n"
	"no PMU: cycles and ref-cycles only), the output path.  There is no default\n"
	"timeout: a guest that hangs is stopped with ^C (the data so far is written),\n"
	"or bounded by budget=TICKS or --timeout SEC.\n"
	"\n"
	"Exit status as for 'perfvisor run' (the data file is written in every case\n"
	"where the machine started).\n";

enum { OPT_JITTER = 400, OPT_RING, OPT_PROGRESS };

static const struct option record_own_options[] = {
	{ "event", required_argument, NULL, 'e' },
	{ "count", required_argument, NULL, 'c' },
	{ "freq", required_argument, NULL, 'F' },
	{ "call-graph", no_argument, NULL, 'g' },
	{ "jitter", required_argument, NULL, OPT_JITTER },
	{ "ring", required_argument, NULL, OPT_RING },
	{ "output", required_argument, NULL, 'o' },
	{ "progress", no_argument, NULL, OPT_PROGRESS },
	{ "help", no_argument, NULL, 'h' },
};
#define NOWN (sizeof(record_own_options) / sizeof(record_own_options[0]))

static const char *const event_names[] = {
	"cycles", "ref-cycles", "instructions", "llc-refs", "llc-misses", "branches", "branch-misses",
};

static int parse_u64(const char *opt, const char *s, unsigned long long min, unsigned long long max,
		     unsigned long long *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (!*s || *end || errno || *s == '-' || v < min || v > max) {
		pv_error("%s needs a number from %llu to %llu (got '%s')", opt, min, max, s);
		return -1;
	}
	*out = v;
	return 0;
}

int record_parse_options(int argc, char **argv, struct record_opts *o)
{
	memset(o, 0, sizeof(*o));
	run_opts_init(&o->run);
	o->event = "cycles";
	o->period = RECORD_DEFAULT_PERIOD;
	o->output = DEFAULT_OUTPUT;
	struct option opts[NOWN + 16];
	size_t n = 0;
	for (size_t i = 0; i < NOWN; i++)
		opts[n++] = record_own_options[i];
	for (size_t i = 0; run_long_options[i].name && n < NOWN + 15; i++)
		opts[n++] = run_long_options[i];
	memset(&opts[n], 0, sizeof(opts[n]));
	optind = 1;
	int c;
	unsigned long long v;
	bool have_c = false;
	while ((c = getopt_long(argc, argv, "e:c:F:go:hq", opts, NULL)) != -1) {
		switch (c) {
		case 'e': {
			size_t i;
			for (i = 0; i < sizeof(event_names) / sizeof(event_names[0]); i++)
				if (!strcmp(optarg, event_names[i]))
					break;
			if (i == sizeof(event_names) / sizeof(event_names[0])) {
				pv_error("unknown event '%s': use cycles, ref-cycles, instructions, llc-refs, "
					 "llc-misses, branches or branch-misses", optarg);
				return EXIT_USAGE;
			}
			o->event = event_names[i];
			break;
		}
		case 'c':
			if (parse_u64("-c", optarg, PV_MIN_PERIOD, PV_MAX_PERIOD, &v))
				return EXIT_USAGE;
			o->period = v;
			have_c = true;
			break;
		case 'F':
			if (parse_u64("-F", optarg, 1, RECORD_MAX_FREQ, &v))
				return EXIT_USAGE;
			o->freq = v;
			break;
		case OPT_PROGRESS: o->progress = true; break;
		case 'g': o->callchain = RECORD_CALLCHAIN_DEPTH; break;
		case OPT_JITTER:
			if (parse_u64("--jitter", optarg, 0, 99, &v))
				return EXIT_USAGE;
			o->jitter_pct = (unsigned)v;
			break;
		case OPT_RING:
			if (parse_u64("--ring", optarg, 1, PV_MAX_RING, &v))
				return EXIT_USAGE;
			o->ring = (unsigned)v;
			break;
		case 'o': o->output = optarg; break;
		case 'h':
			fputs(record_usage, stdout);
			return 0;
		default: {
			int r = run_handle_option(c, optarg, &o->run);
			if (r == -1)
				break;
			if (r == 0)
				fputs("see 'perfvisor record --help'\n", stderr);
			return EXIT_USAGE;
		}
		}
	}
	if (have_c && o->freq) {
		pv_error("-c %llu and -F %llu both set the sampling rate: give one of them", o->period, o->freq);
		return EXIT_USAGE;
	}
	if (o->run.native) {
		pv_error("record profiles guests under perfvisor: --native boots none (use 'perfvisor run --native')");
		return EXIT_USAGE;
	}
	if (o->jitter_pct && !record_event_software(o->event)) {
		pv_error("--jitter needs the software backend, which counts only cycles and ref-cycles: "
			 "drop --jitter or use -e cycles");
		return EXIT_USAGE;
	}
	if (o->freq && o->jitter_pct) {
		pv_error("--jitter is a share of the period: use it with -c N, not -F");
		return EXIT_USAGE;
	}
	if (o->jitter_pct && o->period - o->period * o->jitter_pct / 100 < PV_MIN_PERIOD) {
		pv_error("-c %llu --jitter %u would draw periods of %llu events, below the minimum %llu: "
			 "raise -c or lower --jitter", o->period, o->jitter_pct,
			 o->period - o->period * o->jitter_pct / 100, (unsigned long long)PV_MIN_PERIOD);
		return EXIT_USAGE;
	}
	return -1;
}

bool record_event_software(const char *event)
{
	return !strcmp(event, "cycles") || !strcmp(event, "ref-cycles");
}

int record_check_output(const char *path, char *why, size_t len)
{
	struct stat st;
	if (!*path) {
		snprintf(why, len, "-o needs a file name");
		return -1;
	}
	if (path[strlen(path) - 1] == '/' || (stat(path, &st) == 0 && S_ISDIR(st.st_mode))) {
		snprintf(why, len, "-o %s is a directory: name a file in it (-o %s%sperfvisor.data)", path, path,
			 path[strlen(path) - 1] == '/' ? "" : "/");
		return -1;
	}
	if (lstat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		snprintf(why, len, "-o %s exists and is not a regular file: choose another -o FILE", path);
		return -1;
	}
	char *copy = xstrdup(path);
	char *slash = strrchr(copy, '/');
	const char *dir = ".";
	if (slash) {
		*slash = '\0';
		dir = copy[0] ? copy : "/";
	}
	int rc = 0;
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		snprintf(why, len, "-o %s: the directory %s does not exist: create it (mkdir -p %s) or choose "
			 "another -o FILE", path, dir, dir);
		rc = -1;
	} else if (access(dir, W_OK | X_OK) < 0) {
		snprintf(why, len, "-o %s: cannot create files in %s (%s): choose another -o FILE", path, dir,
			 strerror(errno));
		rc = -1;
	}
	free(copy);
	return rc;
}

int record_check_backend(const struct record_opts *o, int emu_kind, bool kvm, char *why, size_t len)
{
	bool no_pmu = emu_kind == EMU_BOCHS || !kvm;
	if (no_pmu && !record_event_software(o->event)) {
		snprintf(why, len, "-e %s needs a hardware PMU, and %s has none, so the software backend "
			 "(cycles and ref-cycles only) would refuse it: use -e cycles, or QEMU with KVM on an "
			 "Intel host (--emulator qemu)", o->event,
			 emu_kind == EMU_BOCHS ? "Bochs" : "QEMU without KVM");
		return -1;
	}
	unsigned long long max_freq = RECORD_BOCHS_MAX_FREQ;
	if (emu_kind == EMU_BOCHS && o->freq > max_freq) {
		snprintf(why, len, "-F %llu under Bochs (a %u Hz TSC) gives a period of %llu ticks, below the "
			 "minimum %llu: use -F %llu or less, or -c N", o->freq, EMU_BOCHS_IPS,
			 (unsigned long long)EMU_BOCHS_IPS / o->freq, (unsigned long long)PV_MIN_PERIOD, max_freq);
		return -1;
	}
	return 0;
}

char *record_hv_args(const struct record_opts *o)
{
	char rate[64], jitter[48] = "", ring[32] = "";
	if (o->freq)
		snprintf(rate, sizeof(rate), "freq=%llu", o->freq);
	else
		snprintf(rate, sizeof(rate), "period=%llu", o->period);
	if (o->jitter_pct && !o->freq)
		snprintf(jitter, sizeof(jitter), " jitter=%llu", o->period * o->jitter_pct / 100);
	if (o->ring)
		snprintf(ring, sizeof(ring), " ring=%u", o->ring);
	return xasprintf("prof=1 event=%s %s%s callchain=%u%s", o->event, rate, jitter, o->callchain, ring);
}

/* ------------------------------------------------------------ the stream */

struct record {
	struct pv_stream ps;
	uint8_t *data;
	size_t len, cap;
	void (*text)(void *tctx, const char *t, size_t n); /* set while the emulator's filter runs */
	void *tctx;
	struct record_counts counts;
	struct pv_meta meta;
	const struct record_opts *opts;
	uint64_t guest_ticks;     /* GUEST_TIME events so far */
	bool progress, progress_tty, progress_shown;
	double progress_next, progress_every; /* elapsed seconds of the next line, and between them */
};

void record_count_event(struct record_counts *c, const struct pv_event *ev)
{
	if (ev->domain < 0 || ev->domain >= CAP_MAX_DOMAINS)
		return;
	if (ev->kind == PV_EV_SAMPLE)
		c->samples++;
	else if (ev->kind == PV_EV_LOST)
		c->lost_records[ev->domain] += ev->count;
	else if (ev->kind == PV_EV_TOTALS) {
		c->have_totals[ev->domain] = true;
		c->lost_totals[ev->domain] = ev->lost;
	}
}

uint64_t record_counts_lost(const struct record_counts *c)
{
	uint64_t n = 0;
	for (int d = 0; d < CAP_MAX_DOMAINS; d++)
		n += c->have_totals[d] ? c->lost_totals[d] : c->lost_records[d];
	return n;
}

static int on_event(void *ctx, const struct pv_header *h, const struct pv_event *ev)
{
	struct record *rec = ctx;
	(void)h;
	record_count_event(&rec->counts, ev);
	if (ev->kind == PV_EV_GUEST_TIME)
		rec->guest_ticks += ev->ticks;
	return 0;
}

static void on_text_line(void *ctx, const char *line, size_t len)
{
	struct record *rec = ctx;
	if (rec->text) {
		rec->text(rec->tctx, line, len);
		rec->text(rec->tctx, "\n", 1);
	} else {
		console_write_line(stdout, line, len);
	}
}

static void record_filter(void *ctx, const char *data, size_t len, void (*text)(void *, const char *, size_t),
			  void *tctx)
{
	struct record *rec = ctx;
	if (rec->len + len > rec->cap) {
		while (rec->len + len > rec->cap)
			rec->cap = rec->cap ? rec->cap * 2 : 1 << 20;
		rec->data = xrealloc(rec->data, rec->cap);
	}
	memcpy(rec->data + rec->len, data, len);
	rec->len += len;
	rec->text = text;
	rec->tctx = tctx;
	if (rec->progress_shown) { /* the console's lines go where the progress line was */
		fputs("\r\033[K", stderr);
		rec->progress_shown = false;
	}
	pv_stream_feed(&rec->ps, (const uint8_t *)data, len);
	rec->text = NULL;
}

static void abs_path(char *dst, size_t cap, const char *path)
{
	char buf[PATH_MAX];
	str_copy(dst, cap, realpath(path, buf) ? buf : path);
}

/* The progress line: on a terminal one line rewritten in place every second, else (--progress
 * into a file or pipe) a line every 10 seconds. */
static void record_tick(void *ctx, double elapsed)
{
	struct record *rec = ctx;
	if (!rec->progress || elapsed < rec->progress_next)
		return;
	rec->progress_next = elapsed + rec->progress_every;
	fprintf(stderr, "%s[ perfvisor record: %.0f s, %llu guest ticks, %llu samples, %llu lost, %.3f MB ]%s",
		rec->progress_tty ? "\r" : "", elapsed, (unsigned long long)rec->guest_ticks,
		(unsigned long long)rec->counts.samples, (unsigned long long)record_counts_lost(&rec->counts),
		(double)rec->len / (1024.0 * 1024.0), rec->progress_tty ? "\033[K" : "\n");
	fflush(stderr);
	rec->progress_shown = rec->progress_tty;
}

static int record_start(void *ctx, const struct boot_spec *bs, const struct emu_config *ec)
{
	struct record *rec = ctx;
	char why[512];
	if (record_check_backend(rec->opts, ec->kind, ec->kvm, why, sizeof(why))) {
		pv_error("%s", why);
		return EXIT_USAGE;
	}
	abs_path(rec->meta.hypervisor, sizeof(rec->meta.hypervisor), bs->hv_image);
	for (size_t i = 0; i < bs->nguests && i + 1 < 16; i++)
		abs_path(rec->meta.images[i + 1], sizeof(rec->meta.images[i + 1]), bs->guests[i].path);
	str_copy(rec->meta.emulator, sizeof(rec->meta.emulator), emu_name(ec->kind));
	return 0;
}

static void describe_command(char *dst, size_t cap, int argc, char **argv)
{
	dst[0] = '\0';
	str_append(dst, cap, "perfvisor");
	for (int i = 0; i < argc; i++) {
		str_append(dst, cap, " ");
		str_append(dst, cap, i == 0 ? "record" : argv[i]);
	}
}

int cmd_record(int argc, char **argv)
{
	struct record_opts o;
	int r = record_parse_options(argc, argv, &o);
	if (r >= 0)
		return r;
	if (optind >= argc) {
		pv_error("no guest given: perfvisor record [OPTIONS] -- GUEST.elf[:ARGS] ...");
		return EXIT_USAGE;
	}
	char why[512];
	if (record_check_output(o.output, why, sizeof(why))) {
		pv_error("%s", why);
		return EXIT_USAGE;
	}
	static struct record rec;
	memset(&rec, 0, sizeof(rec));
	rec.opts = &o;
	rec.progress_tty = isatty(2);
	rec.progress = !o.run.quiet && (o.progress || rec.progress_tty);
	const char *every = getenv("PERFVISOR_PROGRESS_S"); /* the tests shorten it */
	rec.progress_every = every && atof(every) > 0 ? atof(every) : rec.progress_tty ? 1.0 : 10.0;
	rec.progress_next = rec.progress_every;
	struct pv_parse_cb cb = { .ctx = &rec, .event = on_event, .text_line = on_text_line };
	pv_stream_init(&rec.ps, &cb);
	describe_command(rec.meta.command, sizeof(rec.meta.command), argc, argv);
	pv_meta_set_recorded_now(&rec.meta);

	char *hv_args = record_hv_args(&o);
	struct run_hooks hooks = {
		.prog = "perfvisor record",
		.hv_args = hv_args,
		.start = record_start,
		.filter = record_filter,
		.tick = record_tick,
		.ctx = &rec,
	};
	int status = run_boot(&o.run, argv + optind, argc - optind, &hooks);
	free(hv_args);
	if (rec.progress_shown)
		fputs("\r\033[K", stderr);
	pv_stream_finish(&rec.ps);
	fflush(stdout);

	if (!rec.meta.hypervisor[0] || (!rec.len && status == 2)) {
		free(rec.data);
		return status; /* nothing booted: nothing to write */
	}
	if (!rec.ps.diag.have_header)
		fprintf(stderr, "perfvisor record: no capture header in the serial output: %s never started "
				"sampling; its console lines above say why\n", rec.meta.hypervisor);
	char old[PATH_MAX];
	snprintf(old, sizeof(old), "%s.old", o.output);
	if (access(o.output, F_OK) == 0)
		rename(o.output, old); /* like perf: keep the previous capture */
	if (pv_datafile_write(o.output, &rec.meta, rec.data, rec.len)) {
		fprintf(stderr, "perfvisor record: cannot write %s: %s\n", o.output, strerror(errno));
		free(rec.data);
		return status ? status : 2;
	}
	struct stat st;
	double mb = stat(o.output, &st) == 0 ? (double)st.st_size / (1024.0 * 1024.0) : 0;
	if (!o.run.quiet)
		fprintf(stderr, "[ perfvisor record: Captured and wrote %.3f MB %s (%llu samples, %llu lost) ]\n", mb,
		o.output, (unsigned long long)rec.counts.samples, (unsigned long long)record_counts_lost(&rec.counts));
	if (!rec.ps.diag.have_end && rec.ps.diag.have_header)
		fprintf(stderr, "perfvisor record: the capture has no END frame: the run was cut short\n");
	free(rec.data);
	return status;
}
