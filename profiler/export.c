/* perfvisor script / convert: the export model (see export.h). */
#define _GNU_SOURCE
#include "export.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

void export_init(struct export *x, const struct report_resolver *res)
{
	memset(x, 0, sizeof(*x));
	struct report_opts o = { .graph_limit = 0.5 };
	const char *bad;
	report_parse_sort(&o, "domain,process,sym", &bad);
	report_init(&x->r, &o, res);
}

void export_free(struct export *x)
{
	report_free(&x->r);
	hmap_free(&x->stack_index);
	free(x->frames);
	free(x->hv_loc);
	free(x->chain);
	free(x->stacks);
	free(x->samples);
	memset(x, 0, sizeof(*x));
}

static void mark_hv_loc(struct export *x, uint32_t loc)
{
	if (loc >= x->caphv) {
		size_t cap = x->caphv ? x->caphv : 64;
		while (cap <= loc)
			cap *= 2;
		x->hv_loc = xrealloc(x->hv_loc, cap);
		memset(x->hv_loc + x->caphv, 0, cap - x->caphv);
		x->caphv = cap;
	}
	x->hv_loc[loc] = 1;
}

static uint64_t stack_hash(const uint32_t *f, uint32_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (uint32_t i = 0; i < n; i++) {
		h ^= f[i];
		h *= 0x100000001b3ull;
		h ^= h >> 29;
	}
	return h;
}

/* The stack (domain, level, proc, frames[0..n)), interned: equal hashes are told apart by
 * comparing the frames, the next probe number taking the next key. */
static uint32_t stack_of(struct export *x, int d, char level, uint32_t proc, const uint32_t *f, uint32_t n)
{
	uint64_t head = (uint64_t)d | (uint64_t)(unsigned char)level << 8 | (uint64_t)n << 16 | (uint64_t)proc << 32;
	struct hkey k = { stack_hash(f, n), head, 0 };
	for (;; k.c++) {
		uint32_t id = hmap_get(&x->stack_index, k);
		if (id == HMAP_NONE)
			break;
		const struct export_stack *s = &x->stacks[id];
		if (s->domain == d && s->level == level && s->proc == proc && s->depth == n &&
		    !memcmp(x->chain + s->first, f, n * sizeof(*f)))
			return id;
	}
	while (x->capchain - x->nchain < n) {
		x->capchain = x->capchain ? x->capchain * 2 : 4096;
		x->chain = xrealloc(x->chain, x->capchain * sizeof(*x->chain));
	}
	memcpy(x->chain + x->nchain, f, n * sizeof(*f));
	GROW(x->stacks, x->nstacks, x->capstacks);
	uint32_t id = (uint32_t)x->nstacks++;
	x->stacks[id] = (struct export_stack){ .domain = d, .level = level, .proc = proc,
					       .first = (uint32_t)x->nchain, .depth = n };
	x->nchain += n;
	hmap_put(&x->stack_index, k, id);
	return id;
}

static void add_sample(struct export *x, uint32_t stack, uint64_t tsc, uint64_t period)
{
	GROW(x->samples, x->nsamples, x->capsamples);
	if (!x->nsamples)
		x->tsc0 = tsc;
	x->samples[x->nsamples++] = (struct export_sample){ .tsc = tsc, .period = period, .stack = stack };
	x->stacks[stack].weight += period;
	x->stacks[stack].samples++;
	x->total += period;
}

int export_add_event(void *ctx, const struct pv_header *h, const struct pv_event *ev)
{
	struct export *x = ctx;
	report_add_event(&x->r, h, ev);
	int d = ev->domain;
	if (d < 0 || d >= CAP_MAX_DOMAINS)
		return 0;
	if (ev->kind == PV_EV_SAMPLE) {
		/* the frames as the report resolved them for this sample: one loc each */
		uint32_t f[CAP_MAX_CHAIN + 1];
		uint32_t n = 0;
		f[n++] = report_sample_loc(&x->r, ev, -1);
		int depth = ev->depth < 0 ? 0 : ev->depth > CAP_MAX_CHAIN ? CAP_MAX_CHAIN : ev->depth;
		for (int i = 0; i < depth; i++)
			f[n++] = report_sample_loc(&x->r, ev, i);
		char level = d == 0 ? 'k' : ev->cpl == 3 ? '.' : 'g';
		add_sample(x, stack_of(x, d, level, report_sample_proc(&x->r, ev), f, n), ev->tsc, ev->weight);
	} else if (ev->kind == PV_EV_HV_TIME && ev->ticks && x->r.have_hdr &&
		   x->r.hdr.backend == CAP_BACKEND_SOFTWARE) {
		/* the report made (or found) the reason's row: the same row here */
		uint32_t f = report_hv_loc(&x->r, d, ev->reason);
		if (f != HMAP_NONE) {
			mark_hv_loc(x, f);
			add_sample(x, stack_of(x, d, 'k', REPORT_PROC_HV, &f, 1), ev->tsc, ev->ticks);
		}
	}
	return 0;
}

uint64_t export_sample_weight(const struct export *x, const struct export_sample *sm)
{
	const struct export_stack *s = &x->stacks[sm->stack];
	double sc = s->proc != REPORT_PROC_HV ? x->r.scale[s->domain] : 0;
	return sc > 0 ? (uint64_t)((double)sm->period * sc + 0.5) : sm->period;
}

void export_finish(struct export *x)
{
	report_finish(&x->r);
	free(x->frames);
	x->nframes = x->r.nlocs;
	x->frames = xmalloc((x->nframes + 1) * sizeof(*x->frames));
	for (size_t i = 0; i < x->nframes; i++) {
		const struct report_loc *l = &x->r.locs[i];
		bool hv = i < x->caphv && x->hv_loc[i];
		x->frames[i] = (struct export_frame){ .ip = hv ? 0 : l->ip, .symoff = l->symoff, .loc = (uint32_t)i,
						      .domain = l->domain, .named = l->named, .hv_row = hv };
	}
	bool any = false;
	for (int d = 0; d < CAP_MAX_DOMAINS; d++)
		any |= x->r.scale[d] > 0;
	if (!any)
		return;
	/* As the report does: each guest sample of a domain that lost samples is scaled and
	 * rounded on its own. */
	for (size_t i = 0; i < x->nstacks; i++)
		if (x->stacks[i].proc != REPORT_PROC_HV && x->r.scale[x->stacks[i].domain] > 0)
			x->stacks[i].weight = 0;
	x->total = 0;
	for (size_t i = 0; i < x->nsamples; i++) {
		struct export_stack *s = &x->stacks[x->samples[i].stack];
		if (s->proc != REPORT_PROC_HV && x->r.scale[s->domain] > 0)
			s->weight += export_sample_weight(x, &x->samples[i]);
	}
	for (size_t i = 0; i < x->nstacks; i++)
		x->total += x->stacks[i].weight;
}

int export_load(struct export *x, const uint8_t *data, size_t len, struct pv_header *h, struct pv_diag *diag)
{
	struct pv_parse_cb cb = { .ctx = x, .event = export_add_event };
	memset(h, 0, sizeof(*h));
	memset(diag, 0, sizeof(*diag));
	int rc = pv_capture_parse(data, len, h, &cb, diag);
	if (!x->r.have_hdr && h->valid) {
		x->r.hdr = *h;
		x->r.have_hdr = true;
	}
	export_finish(x);
	return rc;
}

/* ------------------------------------------------------------ names */

const char *export_sym(const struct export *x, uint32_t frame)
{
	return strtab_str(&x->r.strs, x->r.locs[x->frames[frame].loc].sym);
}

const char *export_dso(const struct export *x, uint32_t frame)
{
	return strtab_str(&x->r.strs, x->r.locs[x->frames[frame].loc].dso);
}

const char *export_srcline(const struct export *x, uint32_t frame)
{
	return strtab_str(&x->r.strs, x->r.locs[x->frames[frame].loc].srcline);
}

const char *export_domain(const struct export *x, int domain, char *buf, size_t len)
{
	return report_domain_name(&x->r, domain, buf, len);
}

const char *export_process(const struct export *x, uint32_t proc, char *buf, size_t len)
{
	return report_proc_name(&x->r, proc, buf, len);
}

const char *export_event(const struct export *x)
{
	return report_event_name(x->r.hdr.event);
}

unsigned export_tid(const struct export *x, const struct export_stack *s)
{
	(void)x;
	return (unsigned)s->domain * 10000u + (s->proc == REPORT_PROC_HV ? 0u : 1u + s->proc % 9999u);
}

double export_seconds(const struct export *x, uint64_t tsc)
{
	double hz = x->r.hdr.tsc_khz ? (double)x->r.hdr.tsc_khz * 1000.0 : 1e9;
	return (double)tsc / hz;
}

/* ------------------------------------------------------------ writing */

void export_u64(FILE *f, uint64_t v)
{
	char b[24];
	int n = sizeof(b);
	do {
		b[--n] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	fwrite(b + n, 1, sizeof(b) - (size_t)n, f);
}

void export_json_string(FILE *f, const char *s)
{
	putc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"': fputs("\\\"", f); break;
		case '\\': fputs("\\\\", f); break;
		case '\n': fputs("\\n", f); break;
		case '\r': fputs("\\r", f); break;
		case '\t': fputs("\\t", f); break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				fprintf(f, "\\u%04x", *p);
			else
				putc(*p, f);
		}
	}
	putc('"', f);
}

void export_xml_text(FILE *f, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		default:
			/* XML 1.0 allows no control characters but tab, newline and return */
			putc(*p < 0x20 && *p != '\t' && *p != '\n' && *p != '\r' ? '?' : *p, f);
		}
	}
}

void export_folded_name(FILE *f, const char *s)
{
	for (const char *p = s; *p; p++)
		putc(*p == ';' ? ':' : *p == '\n' || *p == '\r' ? ' ' : *p, f);
}
