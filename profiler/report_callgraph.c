/* perfvisor report -g: the call graph under an entry, in perf's "graph" layout (percentages of
 * the total event count; branches below graph_limit hidden).  Callee order (default): the
 * entry, then its callers outward.  Caller order (-g caller): with --children the entry, then
 * what it calls down to the sampled functions; without, each chain from the outermost caller
 * down to the entry.  The tree is built by report_aggregate.c (add_sample).
 *
 *             |
 *             ---spin_heavy
 *                |
 *                |--50.00%--work_a
 *                |          main
 *                |
 *                 --25.00%--work_b
 *                           main
 */
#include "report.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

#define MAX_PREFIX 1024

static const struct report *cmp_r;

static int cmp_nodes(const void *pa, const void *pb)
{
	const struct report_node *a = &cmp_r->nodes[*(const uint32_t *)pa];
	const struct report_node *b = &cmp_r->nodes[*(const uint32_t *)pb];
	if (a->weight != b->weight)
		return a->weight > b->weight ? -1 : 1;
	return strcmp(strtab_str(&cmp_r->strs, a->sym), strtab_str(&cmp_r->strs, b->sym));
}

static double share(const struct report *r, uint64_t w)
{
	return r->total ? 100.0 * (double)w / (double)r->total : 0.0;
}

static void print_children(FILE *f, const struct report *r, uint32_t node, char *prefix, size_t plen)
{
	size_t n = 0;
	for (uint32_t c = r->nodes[node].child; c != HMAP_NONE; c = r->nodes[c].next)
		if (share(r, r->nodes[c].weight) >= r->opts.graph_limit)
			n++;
	if (!n)
		return;
	uint32_t *kids = xmalloc(n * sizeof(*kids));
	n = 0;
	for (uint32_t c = r->nodes[node].child; c != HMAP_NONE; c = r->nodes[c].next)
		if (share(r, r->nodes[c].weight) >= r->opts.graph_limit)
			kids[n++] = c;
	cmp_r = r;
	qsort(kids, n, sizeof(*kids), cmp_nodes);

	if (n == 1 && r->nodes[kids[0]].weight == r->nodes[node].weight) {
		/* No branch: the only caller takes it all; continue the straight line. */
		fprintf(f, "%.*s%s\n", (int)plen, prefix, strtab_str(&r->strs, r->nodes[kids[0]].sym));
		print_children(f, r, kids[0], prefix, plen);
		free(kids);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		bool last = i == n - 1;
		const struct report_node *k = &r->nodes[kids[i]];
		char head[48];
		int hl = snprintf(head, sizeof(head), "--%.2f%%--", share(r, k->weight));
		fprintf(f, "%.*s|\n", (int)plen, prefix);
		fprintf(f, "%.*s%s%s%s\n", (int)plen, prefix, last ? " " : "|", head, strtab_str(&r->strs, k->sym));
		if (plen + 1 + (size_t)hl >= MAX_PREFIX)
			continue;
		prefix[plen] = last ? ' ' : '|';
		memset(prefix + plen + 1, ' ', (size_t)hl);
		print_children(f, r, kids[i], prefix, plen + 1 + (size_t)hl);
	}
	free(kids);
}

void report_print_callgraph(FILE *f, const struct report *r, const struct report_entry *e, int indent)
{
	char prefix[MAX_PREFIX];
	memset(prefix, ' ', sizeof(prefix));
	uint32_t root = e->graph;
	if (r->opts.caller && !r->opts.children) {
		/* the root stands for the entry; its children are the outermost callers */
		uint32_t only = r->nodes[root].child;
		if (only != HMAP_NONE && r->nodes[only].next == HMAP_NONE &&
		    r->nodes[only].weight == r->nodes[root].weight) {
			fprintf(f, "%*s|\n", indent, "");
			fprintf(f, "%*s---%s\n", indent, "", strtab_str(&r->strs, r->nodes[only].sym));
			print_children(f, r, only, prefix, (size_t)indent + 3);
		} else {
			print_children(f, r, root, prefix, (size_t)indent);
		}
		return;
	}
	fprintf(f, "%*s|\n", indent, "");
	fprintf(f, "%*s---%s\n", indent, "", strtab_str(&r->strs, r->nodes[root].sym));
	print_children(f, r, root, prefix, (size_t)indent + 3);
}
