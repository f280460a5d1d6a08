/* convert --to folded: Brendan Gregg's folded stacks, one line per distinct stack,
 *   DOMAIN;PROCESS;root;...;leaf WEIGHT
 * WEIGHT the stack's event count (the report's unit), lines sorted, equal lines merged. */
#define _GNU_SOURCE
#include "export.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

struct line {
	char *text;
	uint64_t weight;
};

static int cmp_lines(const void *a, const void *b)
{
	return strcmp(((const struct line *)a)->text, ((const struct line *)b)->text);
}

/* The stack's frames, ';'-separated from the domain down to the leaf, in a new string. */
static char *stack_text(const struct export *x, const struct export_stack *s)
{
	char *buf = NULL, db[32], pb[64];
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	if (!m) {
		pv_error("out of memory");
		exit(1);
	}
	export_folded_name(m, export_domain(x, s->domain, db, sizeof(db)));
	putc(';', m);
	export_folded_name(m, export_process(x, s->proc, pb, sizeof(pb)));
	for (uint32_t j = s->depth; j-- > 0;) {
		putc(';', m);
		export_folded_name(m, export_sym(x, x->chain[s->first + j]));
	}
	fclose(m);
	return buf;
}

int export_write_folded(FILE *f, const struct export *x)
{
	struct line *v = xmalloc((x->nstacks + 1) * sizeof(*v));
	size_t n = 0;
	for (size_t i = 0; i < x->nstacks; i++) {
		if (!x->stacks[i].weight)
			continue;
		v[n].text = stack_text(x, &x->stacks[i]);
		v[n++].weight = x->stacks[i].weight;
	}
	qsort(v, n, sizeof(*v), cmp_lines);
	for (size_t i = 0; i < n;) {
		uint64_t w = v[i].weight;
		size_t j = i + 1;
		for (; j < n && !strcmp(v[j].text, v[i].text); j++)
			w += v[j].weight;
		fprintf(f, "%s %" PRIu64 "\n", v[i].text, w);
		for (; i < j; i++)
			free(v[i].text);
	}
	free(v);
	return ferror(f) ? -1 : 0;
}
