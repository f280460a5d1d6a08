/* convert --to speedscope: speedscope's JSON file format (its file-format-schema.json): the
 * frames shared, one per distinct (symbol, dso); one "sampled" profile per (domain, process)
 * with its samples in capture order, consecutive samples of the same stack merged into one
 * weighted sample; stacks root first; unit "none" (the weights are event counts). */
#define _GNU_SOURCE
#include "export.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#ifndef PERFVISOR_VERSION
#define PERFVISOR_VERSION "0.1"
#endif

struct group {
	int domain;
	uint32_t proc;
};

int export_write_speedscope(FILE *f, const struct export *x, const char *input)
{
	uint32_t *sframe = xmalloc((x->nframes + 1) * sizeof(*sframe));
	struct hmap idx = { 0 };
	uint32_t nsf = 0;
	fputs("{\"$schema\":\"https://www.speedscope.app/file-format-schema.json\",\"exporter\":\"perfvisor " PERFVISOR_VERSION
	      "\",\"name\":", f);
	export_json_string(f, input);
	fputs(",\"activeProfileIndex\":0,\"shared\":{\"frames\":[", f);
	for (size_t i = 0; i < x->nframes; i++) {
		sframe[i] = HMAP_NONE;
		if (x->frames[i].loc == HMAP_NONE)
			continue;
		const struct report_loc *l = &x->r.locs[x->frames[i].loc];
		struct hkey k = { l->sym, l->dso, 0 };
		uint32_t id = hmap_get(&idx, k);
		if (id == HMAP_NONE) {
			id = nsf++;
			hmap_put(&idx, k, id);
			fputs(id ? ",{\"name\":" : "{\"name\":", f);
			export_json_string(f, strtab_str(&x->r.strs, l->sym));
			fputs(",\"file\":", f);
			export_json_string(f, strtab_str(&x->r.strs, l->dso));
			putc('}', f);
		}
		sframe[i] = id;
	}
	fputs("]},\"profiles\":[", f);

	/* groups: (domain, process) in order of their first stack */
	struct hmap gidx = { 0 };
	struct group *g = NULL;
	size_t ng = 0;
	uint32_t *gof = xmalloc((x->nstacks + 1) * sizeof(*gof));
	for (size_t i = 0; i < x->nstacks; i++) {
		struct hkey k = { (uint64_t)x->stacks[i].domain, x->stacks[i].proc, 0 };
		uint32_t id = hmap_get(&gidx, k);
		if (id == HMAP_NONE) {
			g = xrealloc(g, (ng + 1) * sizeof(*g));
			g[ng] = (struct group){ .domain = x->stacks[i].domain, .proc = x->stacks[i].proc };
			id = (uint32_t)ng++;
			hmap_put(&gidx, k, id);
		}
		gof[i] = id;
	}
	for (size_t gi = 0; gi < ng; gi++) {
		char db[32], pb[64];
		fputs(gi ? ",{\"type\":\"sampled\",\"name\":" : "{\"type\":\"sampled\",\"name\":", f);
		char *name = xasprintf("%s: %s", export_domain(x, g[gi].domain, db, sizeof(db)),
				       export_process(x, g[gi].proc, pb, sizeof(pb)));
		export_json_string(f, name);
		free(name);
		fputs(",\"unit\":\"none\",\"startValue\":0,\"samples\":[", f);
		uint64_t total = 0, *w = NULL;
		size_t n = 0, capw = 0;
		for (size_t i = 0; i < x->nsamples;) {
			uint32_t st = x->samples[i].stack;
			if (gof[st] != gi) {
				i++;
				continue;
			}
			/* this group's next samples while they keep the same stack */
			uint64_t sw = 0;
			size_t j = i;
			for (; j < x->nsamples; j++) {
				if (gof[x->samples[j].stack] != gi)
					continue;
				if (x->samples[j].stack != st)
					break;
				sw += export_sample_weight(x, &x->samples[j]);
			}
			i = j;
			if (!sw)
				continue;
			const struct export_stack *s = &x->stacks[st];
			fputs(n ? ",[" : "[", f);
			for (uint32_t d = s->depth; d-- > 0;) {
				if (d + 1 != s->depth)
					putc(',', f);
				export_u64(f, sframe[x->chain[s->first + d]]);
			}
			putc(']', f);
			if (n == capw) {
				capw = capw ? capw * 2 : 1024;
				w = xrealloc(w, capw * sizeof(*w));
			}
			w[n++] = sw;
			total += sw;
		}
		fputs("],\"weights\":[", f);
		for (size_t i = 0; i < n; i++) {
			if (i)
				putc(',', f);
			export_u64(f, w[i]);
		}
		fprintf(f, "],\"endValue\":%" PRIu64 "}", total);
		free(w);
	}
	fputs("]}\n", f);
	free(g);
	free(gof);
	free(sframe);
	hmap_free(&idx);
	hmap_free(&gidx);
	return ferror(f) ? -1 : 0;
}
