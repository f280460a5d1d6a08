/* perfvisor report --stdio: the header (capture diagnostics, lost samples, event, domains and
 * their time), then the histogram in perf report's layout. */
#define _GNU_SOURCE
#include "report.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "symbols.h"
#include "util.h"

static double pct(uint64_t v, uint64_t total)
{
	return total ? 100.0 * (double)v / (double)total : 0.0;
}

/* perf's "4K of event": 1000 -> 1K, integer division. */
static void unit_number(char *buf, size_t len, uint64_t n)
{
	if (n >= 1000000000ull)
		snprintf(buf, len, "%" PRIu64 "G", n / UINT64_C(1000000000));
	else if (n >= 1000000ull)
		snprintf(buf, len, "%" PRIu64 "M", n / UINT64_C(1000000));
	else if (n >= 1000ull)
		snprintf(buf, len, "%" PRIu64 "K", n / UINT64_C(1000));
	else
		snprintf(buf, len, "%" PRIu64, n);
}

/* Returns whether anything was printed. */
static bool print_diag(FILE *f, const struct pv_diag *dg)
{
	bool any = false;
	char line[512] = "";
	char part[128];
	uint64_t lost_frames = dg->frames_lost_by_seq;
	if (dg->frames_bad_crc) {
		snprintf(part, sizeof(part), "%" PRIu64 " frame%s failed CRC", dg->frames_bad_crc,
			 dg->frames_bad_crc == 1 ? "" : "s");
		str_append(line, sizeof(line), part);
	}
	if (dg->frames_bad_length) {
		snprintf(part, sizeof(part), "%s%" PRIu64 " frame%s with an impossible length", line[0] ? ", " : "",
			 dg->frames_bad_length, dg->frames_bad_length == 1 ? "" : "s");
		str_append(line, sizeof(line), part);
	}
	if (lost_frames) {
		snprintf(part, sizeof(part), "%s%" PRIu64 " frame%s lost (sequence gap)", line[0] ? ", " : "",
			 lost_frames, lost_frames == 1 ? "" : "s");
		str_append(line, sizeof(line), part);
	}
	if (dg->frames_unknown_type) {
		snprintf(part, sizeof(part), "%s%" PRIu64 " frame%s of unknown type", line[0] ? ", " : "",
			 dg->frames_unknown_type, dg->frames_unknown_type == 1 ? "" : "s");
		str_append(line, sizeof(line), part);
	}
	if (dg->records_malformed) {
		snprintf(part, sizeof(part), "%s%" PRIu64 " malformed record%s", line[0] ? ", " : "",
			 dg->records_malformed, dg->records_malformed == 1 ? "" : "s");
		str_append(line, sizeof(line), part);
	}
	if (dg->garbage_bytes) {
		snprintf(part, sizeof(part), "%s%" PRIu64 " garbage byte%s skipped", line[0] ? ", " : "",
			 dg->garbage_bytes, dg->garbage_bytes == 1 ? "" : "s");
		str_append(line, sizeof(line), part);
	}
	if (line[0])
		fprintf(f, "# Capture damaged: %s; recovered at the next good frame\n", line);
	if (dg->frames_in_text)
		fprintf(f, "# Capture warning: %" PRIu64 " frame%s refused: %s inside a line of console text, "
			"where only text can be (docs/capture-format.md, section 7)\n",
			dg->frames_in_text, dg->frames_in_text == 1 ? "" : "s", dg->frames_in_text == 1 ? "it began" : "they began");
	any = line[0] || (dg->have_header && !dg->have_end) || dg->header_changed || dg->frames_in_text;
	if (dg->have_header && !dg->have_end)
		fprintf(f, "# Capture truncated: no END frame — the run was cut short%s\n",
			dg->truncated_tail_bytes ? " (a partial frame at the end)" : "");
	if (dg->header_changed)
		fputs("# Capture warning: the header changed in the middle of the stream; the first one is used\n", f);
	if (line[0] && dg->first_error[0])
		fprintf(f, "# First error at byte %" PRIu64 ": %s\n", dg->first_error_offset, dg->first_error);
	return any;
}

/* The hypervisor's reason for stopping a domain with its "rip 0x..." followed by the symbol and
 * offset there: "triple fault at rip 0x100014 (crash+0x4)". */
static void stop_reason_symbolized(const struct report *r, int d, const char *reason, char *out, size_t len)
{
	str_copy(out, len, reason);
	const char *p = strstr(reason, "rip 0x");
	if (!p || !r->resolver.resolve)
		return;
	char *end;
	uint64_t ip = strtoull(p + 6, &end, 16);
	if (end == p + 6)
		return;
	struct report_sym sym;
	memset(&sym, 0, sizeof(sym));
	r->resolver.resolve(r->resolver.ctx, &r->hdr, d, ip, &sym);
	if (!sym.name[0])
		return;
	char tail[320];
	snprintf(tail, sizeof(tail), " (%s+0x%" PRIx64 ")%s", sym.name, sym.symoff, end);
	size_t head = (size_t)(end - reason) < len ? (size_t)(end - reason) : len - 1;
	out[head] = '\0';
	str_append(out, len, tail);
}

static void print_domains(FILE *f, const struct report *r)
{
	const struct pv_header *h = &r->hdr;
	fputs("# Domains:", f);
	for (int i = 0; i < h->ndomains; i++) {
		char id[96];
		symbols_id_text(h->domains[i].image_id_kind, h->domains[i].image_id, h->domains[i].image_id_len, id,
				sizeof(id));
		fprintf(f, "%s %d %s (%s)", i ? "," : "", h->domains[i].id, h->domains[i].name, id);
	}
	fputc('\n', f);

	uint64_t all = 0;
	for (int d = 0; d < CAP_MAX_DOMAINS; d++)
		all += r->dom[d].guest_ticks + r->dom[d].hv_ticks;
	fputs("#\n# Domain               Samples   Lost  Guest ticks  Guest time     Hv ticks  Hv share\n", f);
	for (int d = 0; d < CAP_MAX_DOMAINS; d++) {
		const struct report_domain_stats *ds = &r->dom[d];
		bool listed = false;
		for (int i = 0; i < h->ndomains; i++)
			listed |= h->domains[i].id == d;
		if (!listed && !ds->samples && !ds->guest_ticks && !ds->hv_ticks)
			continue;
		char nb[32], label[64];
		snprintf(label, sizeof(label), "%d %s", d, report_domain_name(r, d, nb, sizeof(nb)));
		uint64_t lost = ds->have_totals ? ds->lost : ds->lost_events;
		fprintf(f, "# %-18s %9" PRIu64 " %6" PRIu64 " %12" PRIu64 " %10.2f%% %12" PRIu64 " %8.2f%%\n",
			label, ds->samples, lost, ds->guest_ticks, pct(ds->guest_ticks, all), ds->hv_ticks,
			pct(ds->hv_ticks, all));
	}
	/* how the domains that did not simply exit 0 ended (DOMAIN_END records) */
	for (int d = 1; d < CAP_MAX_DOMAINS; d++) {
		const struct report_domain_stats *ds = &r->dom[d];
		char nb[32];
		const char *name = report_domain_name(r, d, nb, sizeof(nb));
		if (ds->end_state == CAP_END_STOPPED && ds->stop_reason[0]) {
			char why[400];
			stop_reason_symbolized(r, d, ds->stop_reason, why, sizeof(why));
			fprintf(f, "# Domain %d (%s) was stopped by the hypervisor: %s\n", d, name, why);
		} else if (ds->end_state == CAP_END_STOPPED)
			fprintf(f, "# Domain %d (%s) was stopped by the hypervisor (the console says why)\n", d, name);
		else if (ds->end_state == CAP_END_HALTED)
			fprintf(f, "# Domain %d (%s) halted without an exit status (HLT with interrupts off)\n", d, name);
		else if (ds->end_state == CAP_END_EXITED && ds->end_status)
			fprintf(f, "# Domain %d (%s) exited with status %d\n", d, name, ds->end_status);
		else if (ds->end_state > CAP_END_HALTED)
			fprintf(f, "# Domain %d (%s) ended in an unknown way (state %d)\n", d, name, ds->end_state);
	}
}

static void print_header(FILE *f, const struct report *r, const struct report_print_info *info)
{
	const struct pv_header *h = &r->hdr;
	fprintf(f, "# Total Lost Samples: %" PRIu64 "\n#\n", report_lost(r));
	bool any = info->diag && print_diag(f, info->diag);
	for (const char *const *w = info->warnings; w && *w; w++, any = true)
		fprintf(f, "# Warning: %s\n", *w);
	for (int d = 1; d < CAP_MAX_DOMAINS; d++)
		if (r->scale[d] > 0) {
			fprintf(f, "# Samples lost: domain %d's rows scaled by %.3f to its exact guest time\n",
				d, r->scale[d]);
			any = true;
		}
	if (any)
		fputs("#\n", f);
	char n[32];
	unit_number(n, sizeof(n), r->nsamples);
	bool sw = h->backend == CAP_BACKEND_SOFTWARE;
	fprintf(f, "# Samples: %s of event '%s' (%s)\n", n, report_event_name(h->event),
		sw ? "software backend: TSC + VMX-preemption timer" : "hardware backend: architectural PMU counter");
	fprintf(f, "# Event count (approx.): %" PRIu64 "\n", r->total);
	fprintf(f, "# Period: %" PRIu64 "   Jitter: %" PRIu64 "   Backend: %s   Call chains: %s\n", h->period,
		h->jitter, sw ? "software" : "hardware",
		h->flags & CAP_HDR_CALLCHAIN ? "yes" : "no");
	fprintf(f, "# Hypervisor: %.2f%% of the event count (%s)\n", pct(r->hv_rows_weight, r->total),
		sw ? "ticks spent handling the domains' exits" : "its own samples");
	print_domains(f, r);
	fputs("#\n", f);
}

/* ------------------------------------------------------------ table */

static const char *const col_title[RK_NKEYS] = {
	[RK_DOMAIN] = "Domain", [RK_PROCESS] = "Process", [RK_SYM] = "Symbol",
	[RK_SRCLINE] = "Source:Line", [RK_DSO] = "Shared Object", [RK_PID] = "Pid:Command", [RK_COMM] = "Command",
};

static const char *cell(const struct report *r, const struct report_entry *e, enum report_key k, char *buf,
			size_t len)
{
	switch (k) {
	case RK_DOMAIN:
		return report_domain_name(r, e->domain, buf, len);
	case RK_PROCESS:
		return report_proc_name(r, e->proc, buf, len);
	case RK_SYM:
		snprintf(buf, len, "[%c] %s", e->level, strtab_str(&r->strs, e->sym));
		return buf;
	case RK_SRCLINE:
		return strtab_str(&r->strs, e->srcline);
	case RK_DSO:
		return strtab_str(&r->strs, e->dso);
	case RK_PID: {        /* perf's "pid:comm"; "-" for what is not a Linux guest's task */
		char c[128];
		int64_t pid = report_entry_pid(r, e);
		const char *comm = report_entry_comm(r, e, c, sizeof(c));
		if (pid < 0)
			snprintf(buf, len, "-:%s", comm);
		else
			snprintf(buf, len, "%lld:%s", (long long)pid, comm);
		return buf;
	}
	case RK_COMM:
		return report_entry_comm(r, e, buf, len);
	default:
		return "";
	}
}

static bool shown(const struct report *r, const struct report_entry *e)
{
	uint64_t v = r->opts.children ? e->children : e->self;
	return v && pct(v, r->total) >= r->opts.percent_limit;
}

/* The columns: -F's, else the share(s), -n's Samples, then the sort keys. */
static int columns(const struct report *r, int col[RK_NKEYS + 4])
{
	int n = 0;
	if (r->opts.nfields) {
		memcpy(col, r->opts.fields, (size_t)r->opts.nfields * sizeof(col[0]));
		return r->opts.nfields;
	}
	if (r->opts.children)
		col[n++] = RF_CHILDREN;
	col[n++] = RF_OVERHEAD;
	if (r->opts.show_nr_samples)
		col[n++] = RF_SAMPLE;
	for (int i = 0; i < r->opts.nsort; i++)
		col[n++] = RF_KEY + (int)r->opts.sort[i];
	return n;
}

static const char *col_name(const struct report *r, int c)
{
	switch (c) {
	case RF_OVERHEAD: return r->opts.children ? "Self" : "Overhead";
	case RF_CHILDREN: return "Children";
	case RF_SAMPLE: return "Samples";
	case RF_PERIOD: return "Period";
	default: return col_title[c - RF_KEY];
	}
}

static const char *col_cell(const struct report *r, const struct report_entry *e, int c, char *buf, size_t len)
{
	switch (c) {
	case RF_OVERHEAD: snprintf(buf, len, "%.2f%%", pct(e->self, r->total)); return buf;
	case RF_CHILDREN: snprintf(buf, len, "%.2f%%", pct(e->children, r->total)); return buf;
	case RF_SAMPLE: snprintf(buf, len, "%" PRIu64, e->samples); return buf;
	case RF_PERIOD: snprintf(buf, len, "%" PRIu64, r->opts.children ? e->children : e->self); return buf;
	default: return cell(r, e, (enum report_key)(c - RF_KEY), buf, len);
	}
}

/* A field for -t: quoted as CSV when it holds the separator or a quote. */
static void put_field(FILE *f, const char *v, const char *sep)
{
	if (!strstr(v, sep) && !strchr(v, '"')) {
		fputs(v, f);
		return;
	}
	fputc('"', f);
	for (; *v; v++) {
		if (*v == '"')
			fputc('"', f);
		fputc(*v, f);
	}
	fputc('"', f);
}

void report_print(FILE *f, struct report *r, const struct report_print_info *info)
{
	print_header(f, r, info);
	size_t n;
	struct report_entry **v = report_sorted(r, &n);
	int col[RK_NKEYS + 4], ncol = columns(r, col);
	int width[RK_NKEYS + 4] = { 0 };
	bool right[RK_NKEYS + 4] = { false };
	char buf[512];
	const char *sep = r->opts.sep;

	if (sep) {
		fputs("# ", f);
		for (int i = 0; i < ncol; i++) {
			if (i)
				fputs(sep, f);
			put_field(f, col_name(r, col[i]), sep);
		}
		fputs("\n#\n", f);
		for (size_t j = 0; j < n; j++) {
			if (!shown(r, v[j]))
				continue;
			for (int i = 0; i < ncol; i++) {
				if (i)
					fputs(sep, f);
				put_field(f, col_cell(r, v[j], col[i], buf, sizeof(buf)), sep);
			}
			fputc('\n', f);
		}
		free(v);
		return;
	}

	/* perf's layout: shares right-aligned in 8 columns, numbers in their widest, keys left */
	int graph_indent = 2; /* the row's leading blank, and one more */
	bool leading = true;
	for (int i = 0; i < ncol; i++) {
		right[i] = col[i] < RF_KEY;
		width[i] = (int)strlen(col_name(r, col[i]));
		if (col[i] == RF_OVERHEAD || col[i] == RF_CHILDREN)
			width[i] = 8;
	}
	for (size_t j = 0; j < n; j++) {
		if (!shown(r, v[j]))
			continue;
		for (int i = 0; i < ncol; i++) {
			int w = (int)strlen(col_cell(r, v[j], col[i], buf, sizeof(buf)));
			if (w > width[i])
				width[i] = w;
		}
	}
	for (int i = 0; i < ncol && leading; i++) {
		if (right[i])
			graph_indent += (i ? 2 : 1) + width[i];
		leading = right[i];
	}

	for (int pass = 0; pass < 2; pass++) { /* the titles, then the dots */
		fputc('#', f);
		for (int i = 0; i < ncol; i++) {
			fputs(i ? "  " : " ", f);
			if (pass) {
				for (int k = 0; k < width[i]; k++)
					fputc('.', f);
			} else if (right[i]) {
				fprintf(f, "%*s", width[i], col_name(r, col[i]));
			} else {
				fprintf(f, "%-*s", i == ncol - 1 ? 0 : width[i], col_name(r, col[i]));
			}
		}
		fputc('\n', f);
	}
	fputs("#\n", f);

	for (size_t j = 0; j < n; j++) {
		const struct report_entry *e = v[j];
		if (!shown(r, e))
			continue;
		fputc(' ', f);
		for (int i = 0; i < ncol; i++) {
			const char *c = col_cell(r, e, col[i], buf, sizeof(buf));
			fputs(i ? "  " : " ", f);
			if (right[i])
				fprintf(f, "%*s", width[i], c);
			else
				fprintf(f, "%-*s", i == ncol - 1 ? 0 : width[i], c);
		}
		fputc('\n', f);
		if (r->opts.callgraph && e->graph != HMAP_NONE) {
			report_print_callgraph(f, r, e, graph_indent > 2 ? graph_indent : 11);
			fputc('\n', f);
		}
	}
	free(v);
}
