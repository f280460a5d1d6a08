/* perfvisor script / convert: the export model (see export.h). */
#define _GNU_SOURCE
#include "export.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define GROW(arr, n, cap)                                                \
	do {                                                             \
		if ((n) == (cap)) {                                      \
			(cap) = (cap) ? (cap) * 2 : 256;                 \
			(arr) = xrealloc((arr), (cap) * sizeof(*(arr))); \
		}                                                        \
	} while (0)

static uint32_t new_frame(struct export *x, struct hkey k, int domain, uint64_t ip)
{
	GROW(x->frames, x->nframes, x->capframes);
	uint32_t id = (uint32_t)x->nframes++;
	x->frames[id] = (struct export_frame){ .ip = ip, .loc = HMAP_NONE, .domain = domain };
	hmap_put(&x->frame_index, k, id);
	return id;
}

/* The report's resolver, wrapped: each (domain, ip) is resolved once, here, and becomes a
 * frame that keeps the symbol offset the report's loc does not. */
static void resolve_wrap(void *ctx, const struct pv_header *h, int domain, uint64_t ip, struct report_sym *out)
{
	struct export *x = ctx;
	if (x->inner.resolve)
		x->inner.resolve(x->inner.ctx, h, domain, ip, out);
	struct hkey k = { (uint64_t)domain, ip, 0 };
	uint32_t id = hmap_get(&x->frame_index, k);
	if (id == HMAP_NONE)
		id = new_frame(x, k, domain, ip);
	x->frames[id].named = out->name[0] != '\0';
	x->frames[id].symoff = out->name[0] ? out->symoff : 0;
}

void export_init(struct export *x, const struct report_resolver *res)
{
	memset(x, 0, sizeof(*x));
	if (res)
		x->inner = *res;
	struct report_opts o = { .graph_limit = 0.5 };
	const char *bad;
	report_parse_sort(&o, "domain,process,sym", &bad);
	struct report_resolver wrap = { .ctx = x, .resolve = resolve_wrap };
	report_init(&x->r, &o, &wrap);
}

void export_free(struct export *x)
{
	report_free(&x->r);
	hmap_free(&x->frame_index);
	hmap_free(&x->stack_index);
	free(x->frames);
	free(x->chain);
	free(x->stacks);
	free(x->samples);
	free(x->fcache);
	memset(x, 0, sizeof(*x));
}

#define FCACHE_SLOTS 4096 /* the hash's top 12 bits pick the slot */

/* The frame of a sampled address of domain d (resolved through the report the first time). */
static uint32_t frame_of(struct export *x, int d, uint64_t ip)
{
	if (!x->fcache && !(x->fcache = calloc(FCACHE_SLOTS, sizeof(*x->fcache))))
		abort();
	struct export_frame_slot *c = &x->fcache[(ip * 0x9e3779b97f4a7c15ull ^ (uint64_t)d * 0xc2b2ae3d27d4eb4full) >> 52];
	if (c->frame1 && c->ip == ip && c->domain == (uint32_t)d)
		return c->frame1 - 1;
	struct hkey k = { (uint64_t)d, ip, 0 };
	uint32_t id = hmap_get(&x->frame_index, k);
	if (id == HMAP_NONE || x->frames[id].loc == HMAP_NONE) {
		uint32_t loc = report_loc(&x->r, d, ip); /* may call resolve_wrap */
		id = hmap_get(&x->frame_index, k);
		if (id == HMAP_NONE)
			id = new_frame(x, k, d, ip);
		x->frames[id].loc = loc;
		x->frames[id].named = x->r.locs[loc].named;
	}
	*c = (struct export_frame_slot){ .ip = ip, .domain = (uint32_t)d, .frame1 = id + 1 };
	return id;
}

static uint32_t hv_frame_of(struct export *x, int d, uint32_t reason)
{
	struct hkey k = { (uint64_t)d, reason, 1 };
	uint32_t id = hmap_get(&x->frame_index, k);
	if (id != HMAP_NONE)
		return id;
	uint32_t loc = report_hv_loc(&x->r, d, reason);
	if (loc == HMAP_NONE)
		return HMAP_NONE;
	id = new_frame(x, k, d, 0);
	x->frames[id].loc = loc;
	x->frames[id].named = true;
	x->frames[id].hv_row = true;
	return id;
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
		uint32_t f[CAP_MAX_CHAIN + 1];
		uint32_t n = 0;
		f[n++] = frame_of(x, d, ev->ip);
		int depth = ev->depth < 0 ? 0 : ev->depth > CAP_MAX_CHAIN ? CAP_MAX_CHAIN : ev->depth;
		for (int i = 0; i < depth; i++)
			f[n++] = frame_of(x, d, ev->chain[i] ? ev->chain[i] - 1 : 0); /* the call, not the return */
		char level = d == 0 ? 'k' : ev->cpl == 3 ? '.' : 'g';
		uint32_t proc = d == 0 ? REPORT_PROC_HV : report_proc(&x->r, d, ev->cr3);
		add_sample(x, stack_of(x, d, level, proc, f, n), ev->tsc, ev->weight);
	} else if (ev->kind == PV_EV_HV_TIME && ev->ticks && x->r.have_hdr &&
		   x->r.hdr.backend == CAP_BACKEND_SOFTWARE) {
		/* the report made (or found) the reason's row: the same row here */
		uint32_t f = hv_frame_of(x, d, ev->reason);
		if (f != HMAP_NONE)
			add_sample(x, stack_of(x, d, 'k', REPORT_PROC_HV, &f, 1), ev->tsc, ev->ticks);
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
