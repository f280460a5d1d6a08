/* perfvisor script: the samples in `perf script`'s text format, which FlameGraph's
 * stackcollapse-perf.pl and the Firefox Profiler's perf importer read (docs/export.md):
 *
 *   COMM PID/TID [CPU] SECONDS: PERIOD EVENT:
 *   <TAB>ADDRESS SYMBOL+0xOFFSET (DSO)        one line per frame, the sampled one first
 *   <blank line>
 *
 * COMM is "DOMAIN:PROCESS" (the report's names), PID the domain id, TID export_tid(). */
#define _GNU_SOURCE
#include "export.h"

#include <inttypes.h>

static void frame_line(FILE *f, const struct export *x, uint32_t id)
{
	const struct export_frame *fr = &x->frames[id];
	const char *dso = export_dso(x, id);
	if (fr->hv_row)
		fprintf(f, "\t%16" PRIx64 " %s (%s)\n", (uint64_t)0, export_sym(x, id), dso);
	else if (fr->named)
		fprintf(f, "\t%16" PRIx64 " %s+0x%" PRIx64 " (%s)\n", fr->ip, export_sym(x, id), fr->symoff, dso);
	else
		fprintf(f, "\t%16" PRIx64 " [unknown] (%s)\n", fr->ip, dso);
}

int export_write_script(FILE *f, const struct export *x)
{
	const char *event = export_event(x);
	char db[32], pb[64];
	for (size_t i = 0; i < x->nsamples; i++) {
		const struct export_sample *sm = &x->samples[i];
		const struct export_stack *s = &x->stacks[sm->stack];
		fprintf(f, "%s:%s %5d/%-5u [000] %12.6f: %10" PRIu64 " %s: \n", export_domain(x, s->domain, db, sizeof(db)),
			export_process(x, s->proc, pb, sizeof(pb)), s->domain, export_tid(x, s),
			export_seconds(x, sm->tsc), sm->period, event);
		for (uint32_t j = 0; j < s->depth; j++)
			frame_line(f, x, x->chain[s->first + j]);
		putc('\n', f);
	}
	return ferror(f) ? -1 : 0;
}
