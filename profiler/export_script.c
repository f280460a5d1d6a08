/* perfvisor script: the samples in `perf script`'s text format, which FlameGraph's
 * stackcollapse-perf.pl and the Firefox Profiler's perf importer read (docs/export.md):
 *
 *   COMM PID/TID [CPU] SECONDS: PERIOD EVENT:
 *   <TAB>ADDRESS SYMBOL+0xOFFSET (DSO)        one line per frame, the sampled one first
 *   <blank line>
 *
 * COMM is "DOMAIN:PROCESS" (the report's names), PID the domain id, TID export_tid().  Each
 * frame's line and each stack's "COMM PID/TID [CPU] " are formatted once; a sample formats only
 * its time and period. */
#define _GNU_SOURCE
#include "export.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

static char *frame_line(const struct export *x, uint32_t id)
{
	const struct export_frame *fr = &x->frames[id];
	const char *dso = export_dso(x, id);
	if (fr->hv_row)
		return xasprintf("\t%16" PRIx64 " %s (%s)\n", (uint64_t)0, export_sym(x, id), dso);
	if (fr->named)
		return xasprintf("\t%16" PRIx64 " %s+0x%" PRIx64 " (%s)\n", fr->ip, export_sym(x, id), fr->symoff, dso);
	return xasprintf("\t%16" PRIx64 " [unknown] (%s)\n", fr->ip, dso);
}

/* v in decimal, right-aligned in at least width characters, at p; returns the end. */
static char *put_u64(char *p, uint64_t v, int width)
{
	char tmp[24];
	int n = 0;
	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	for (int i = n; i < width; i++)
		*p++ = ' ';
	while (n)
		*p++ = tmp[--n];
	return p;
}

/* export_seconds in microseconds, rounded, in integers. */
static uint64_t export_micros(const struct export *x, uint64_t tsc)
{
	uint64_t khz = x->r.hdr.tsc_khz ? x->r.hdr.tsc_khz : 1000000;
	return (uint64_t)(((unsigned __int128)tsc * 1000 + khz / 2) / khz);
}

int export_write_script(FILE *f, const struct export *x)
{
	const char *event = export_event(x);
	size_t evlen = strlen(event);
	char **lines = calloc(x->nframes + 1, sizeof(*lines));
	char **heads = calloc(x->nstacks + 1, sizeof(*heads));
	if (!lines || !heads)
		abort();
	char db[32], pb[64], buf[128];
	for (size_t i = 0; i < x->nsamples; i++) {
		const struct export_sample *sm = &x->samples[i];
		const struct export_stack *s = &x->stacks[sm->stack];
		if (!heads[sm->stack])
			heads[sm->stack] = xasprintf("%s:%s %5d/%-5u [000] ", export_domain(x, s->domain, db, sizeof(db)),
						     export_process(x, s->proc, pb, sizeof(pb)), s->domain,
						     export_tid(x, s));
		fputs(heads[sm->stack], f);
		/* "%12.6f: %10" PRIu64 " EVENT: \n" */
		uint64_t us = export_micros(x, sm->tsc);
		char *p = put_u64(buf, us / 1000000, 5);
		*p++ = '.';
		uint64_t frac = us % 1000000;
		for (int d = 100000; d; d /= 10)
			*p++ = (char)('0' + frac / (uint64_t)d % 10);
		*p++ = ':';
		*p++ = ' ';
		p = put_u64(p, sm->period, 10);
		*p++ = ' ';
		memcpy(p, event, evlen < 40 ? evlen : 40);
		p += evlen < 40 ? evlen : 40;
		memcpy(p, ": \n", 3);
		p += 3;
		fwrite(buf, 1, (size_t)(p - buf), f);
		for (uint32_t j = 0; j < s->depth; j++) {
			uint32_t fr = x->chain[s->first + j];
			if (!lines[fr])
				lines[fr] = frame_line(x, fr);
			fputs(lines[fr], f);
		}
		putc('\n', f);
	}
	for (size_t i = 0; i < x->nframes; i++)
		free(lines[i]);
	for (size_t i = 0; i < x->nstacks; i++)
		free(heads[i]);
	free(lines);
	free(heads);
	return ferror(f) ? -1 : 0;
}
