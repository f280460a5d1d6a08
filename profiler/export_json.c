/* convert --to json: perfvisor's own dump of the export model (format in docs/export.md). */
#define _GNU_SOURCE
#include "export.h"

#include <inttypes.h>
#include <string.h>

static const char *level_name(char level)
{
	return level == 'k' ? "hypervisor" : level == '.' ? "user" : "kernel";
}

int export_write_json(FILE *f, const struct export *x, const char *input)
{
	const struct pv_header *h = &x->r.hdr;
	char buf[64];
	fputs("{\n  \"format\": \"perfvisor-export\",\n  \"version\": 1,\n  \"input\": ", f);
	export_json_string(f, input);
	fprintf(f, ",\n  \"event\": \"%s\",\n  \"backend\": \"%s\",\n  \"period\": %" PRIu64
		   ",\n  \"tsc_khz\": %" PRIu64 ",\n  \"callchains\": %s,\n  \"total_weight\": %" PRIu64
		   ",\n  \"total_samples\": %zu,\n  \"lost_samples\": %" PRIu64 ",\n",
		export_event(x), h->backend == CAP_BACKEND_HARDWARE ? "hardware" : "software", h->period,
		h->tsc_khz, h->flags & CAP_HDR_CALLCHAIN ? "true" : "false", x->total, x->nsamples,
		report_lost(&x->r));
	fputs("  \"domains\": [", f);
	for (int i = 0; i < h->ndomains; i++) {
		const struct report_domain_stats *ds = &x->r.dom[h->domains[i].id & (CAP_MAX_DOMAINS - 1)];
		fprintf(f, "%s\n    {\"id\": %d, \"name\": ", i ? "," : "", h->domains[i].id);
		export_json_string(f, h->domains[i].name);
		fprintf(f, ", \"samples\": %" PRIu64 ", \"guest_ticks\": %" PRIu64 ", \"hypervisor_ticks\": %" PRIu64 "}",
			ds->samples, ds->guest_ticks, ds->hv_ticks);
	}
	fputs("\n  ],\n  \"processes\": [", f);
	for (size_t i = 0; i < x->r.nprocs; i++) {
		fprintf(f, "%s\n    {\"id\": %zu, \"domain\": %d, \"cr3\": \"0x%" PRIx64 "\", \"name\": ", i ? "," : "",
			i, x->r.procs[i].domain, x->r.procs[i].cr3);
		export_json_string(f, report_proc_name(&x->r, (uint32_t)i, buf, sizeof(buf)));
		putc('}', f);
	}
	fputs("\n  ],\n  \"frames\": [", f);
	for (size_t i = 0; i < x->nframes; i++) {
		const struct export_frame *fr = &x->frames[i];
		if (fr->loc == HMAP_NONE) { /* resolved but never part of a stack */
			fprintf(f, "%s\n    null", i ? "," : "");
			continue;
		}
		fprintf(f, "%s\n    {\"domain\": %d, \"address\": \"0x%" PRIx64 "\", \"symbol\": ", i ? "," : "",
			fr->domain, fr->ip);
		export_json_string(f, export_sym(x, (uint32_t)i));
		fprintf(f, ", \"offset\": %" PRIu64 ", \"known\": %s, \"hypervisor_row\": %s, \"dso\": ", fr->symoff,
			fr->named ? "true" : "false", fr->hv_row ? "true" : "false");
		export_json_string(f, export_dso(x, (uint32_t)i));
		fputs(", \"srcline\": ", f);
		export_json_string(f, export_srcline(x, (uint32_t)i));
		putc('}', f);
	}
	fputs("\n  ],\n  \"stacks\": [", f);
	for (size_t i = 0; i < x->nstacks; i++) {
		const struct export_stack *s = &x->stacks[i];
		fprintf(f, "%s\n    {\"domain\": %d, \"process\": ", i ? "," : "", s->domain);
		if (s->proc == REPORT_PROC_HV)
			fputs("null", f);
		else
			fprintf(f, "%u", s->proc);
		fprintf(f, ", \"level\": \"%s\", \"weight\": %" PRIu64 ", \"samples\": %" PRIu64 ", \"frames\": [",
			level_name(s->level), s->weight, s->samples);
		for (uint32_t j = 0; j < s->depth; j++)
			fprintf(f, "%s%u", j ? ", " : "", x->chain[s->first + j]);
		fputs("]}", f);
	}
	fputs("\n  ]\n}\n", f);
	return ferror(f) ? -1 : 0;
}
