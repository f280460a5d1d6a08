/* perfvisor report --guest-wide: a guest's profile of itself beside perfvisor's.
 *
 * A guest that profiles itself with the virtual PMU (guest-stub/gprof.c) prints its result on
 * its console as lines "gprof-sample <symbol> <count>"; the hypervisor prefixes them with
 * "[<id>:<name>] " (docs/console-protocol.md).  Any guest may print them; the last count printed
 * per (domain, symbol) wins.  For each such domain the table sets the guest's shares beside
 * perfvisor's: the weights of the domain's samples whose address symbolizes to that name, both
 * as shares of the same set of symbols, so that each column adds up to 100%. */
#define _GNU_SOURCE
#include "report.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define GW_PREFIX "gprof-sample "

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

void report_text_line(void *ctx, const char *line, size_t len)
{
	struct report *r = ctx;
	char buf[PV_LINE_MAX + 1];
	if (len > PV_LINE_MAX || len < 4 || line[0] != '[')
		return;
	memcpy(buf, line, len);
	buf[len] = 0;
	/* "[<id>:": the domain, 1..CAP_MAX_DOMAINS-1 */
	const char *p = buf + 1;
	int d = 0;
	if (!is_digit(*p))
		return;
	while (is_digit(*p) && d < CAP_MAX_DOMAINS)
		d = d * 10 + (*p++ - '0');
	if (*p++ != ':' || d < 1 || d >= CAP_MAX_DOMAINS)
		return;
	/* "<name>] " (names hold no ']'), then the guest's own text */
	p = strchr(p, ']');
	if (!p || p[1] != ' ' || strncmp(p + 2, GW_PREFIX, strlen(GW_PREFIX)))
		return;
	p += 2 + strlen(GW_PREFIX);
	/* "<symbol> <count>" and nothing else but trailing blanks */
	size_t n = strcspn(p, " \t");
	if (!n || n > 255 || p[n] == 0)
		return;
	char sym[256];
	memcpy(sym, p, n);
	sym[n] = 0;
	p += n;
	while (*p == ' ' || *p == '\t')
		p++;
	if (!is_digit(*p))
		return;
	uint64_t count = 0;
	while (is_digit(*p)) {
		unsigned dig = (unsigned)(*p++ - '0');
		if (count > (UINT64_MAX - dig) / 10)
			return; /* overflow: not a count */
		count = count * 10 + dig;
	}
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p)
		return;

	uint32_t id = strtab_intern(&r->strs, sym);
	struct report_gw *g = &r->gw[d];
	for (size_t i = 0; i < g->n; i++)
		if (g->syms[i].sym == id) {
			g->syms[i].count = count; /* the last set printed wins */
			return;
		}
	if (g->n == g->cap) {
		g->cap = g->cap ? g->cap * 2 : 16;
		g->syms = xrealloc(g->syms, g->cap * sizeof(*g->syms));
	}
	g->syms[g->n++] = (struct report_gw_sym){ .sym = id, .count = count };
}

static double pct(uint64_t v, uint64_t total)
{
	return total ? 100.0 * (double)v / (double)total : 0.0;
}

bool report_guest_wide(struct report *r, int d, struct report_gw_table *t)
{
	memset(t, 0, sizeof(*t));
	t->domain = d;
	if (d < 1 || d >= CAP_MAX_DOMAINS || !r->gw[d].n)
		return false;
	const struct report_gw *g = &r->gw[d];
	uint64_t *sys = xmalloc(g->n * sizeof(*sys)), *nsys = xmalloc(g->n * sizeof(*nsys));
	struct hmap idx;
	memset(&idx, 0, sizeof(idx));
	for (size_t i = 0; i < g->n; i++) {
		sys[i] = nsys[i] = 0;
		hmap_put(&idx, (struct hkey){ g->syms[i].sym, 0, 0 }, (uint32_t)i);
	}
	/* Locations are per (domain, address), whatever the sort keys: sum them by symbol name. */
	for (size_t l = 0; l < r->nlocs; l++) {
		const struct report_loc *loc = &r->locs[l];
		if (loc->domain != d || !loc->samples)
			continue;
		t->domain_weight += loc->weight;
		if (!loc->named)
			continue;
		t->have_symbols = true;
		uint32_t i = hmap_get(&idx, (struct hkey){ loc->sym, 0, 0 });
		if (i != HMAP_NONE) {
			sys[i] += loc->weight;
			nsys[i] += loc->samples;
		}
	}
	hmap_free(&idx);

	t->rows = xmalloc(g->n * sizeof(*t->rows));
	for (size_t i = 0; i < g->n; i++) {
		if (!g->syms[i].count && !sys[i])
			continue; /* reported as 0 and not in perfvisor's samples either */
		t->rows[t->nrows++] = (struct report_gw_row){ .sym = strtab_str(&r->strs, g->syms[i].sym),
							      .guest = g->syms[i].count, .system = sys[i],
							      .system_samples = nsys[i] };
		t->guest_total += g->syms[i].count;
		t->system_total += sys[i];
		t->system_samples += nsys[i];
	}
	for (size_t i = 0; i < t->nrows; i++) {
		t->rows[i].guest_pct = pct(t->rows[i].guest, t->guest_total);
		t->rows[i].system_pct = pct(t->rows[i].system, t->system_total);
	}
	free(sys);
	free(nsys);
	return true;
}

static void print_table(FILE *f, struct report *r, const struct report_gw_table *t)
{
	char nb[32];
	int d = t->domain;
	fprintf(f, "\n# Guest-wide vs system-wide, domain %d (%s): shares of the symbols the guest reported\n#\n", d,
		report_domain_name(r, d, nb, sizeof(nb)));
	/* The system-wide column, or the one line that says why there is none. */
	bool sys = t->have_symbols && t->system_total;
	if (!t->domain_weight)
		fprintf(f, "# System-wide: none: perfvisor has no samples of domain %d\n#\n", d);
	else if (!t->have_symbols)
		fprintf(f, "# System-wide: none: no symbols for domain %d (no ELF image: give one with "
			   "--symbols %d=ELF)\n#\n", d, d);
	else if (!t->system_total)
		fprintf(f, "# System-wide: none: none of perfvisor's samples of domain %d is in these symbols\n#\n",
			d);
	int w = 12;
	for (size_t i = 0; i < t->nrows; i++)
		if ((int)strlen(t->rows[i].sym) > w)
			w = (int)strlen(t->rows[i].sym);
	fprintf(f, "#   %-*s  %10s   %11s\n", w, "Symbol", "Guest-wide", "System-wide");
	for (size_t i = 0; i < t->nrows; i++) {
		const struct report_gw_row *row = &t->rows[i];
		if (!t->guest_total)
			fprintf(f, "#   %-*s  %10s", w, row->sym, "-");
		else
			fprintf(f, "#   %-*s  %9.2f%%", w, row->sym, row->guest_pct);
		if (sys)
			fprintf(f, "   %10.2f%%\n", row->system_pct);
		else
			fprintf(f, "   %11s\n", "-");
	}
	if (!t->nrows)
		fputs("#   (the guest reported only counts of 0, for symbols perfvisor has no samples in)\n", f);
	fprintf(f, "#\n# Guest: %" PRIu64 " samples.", t->guest_total);
	if (sys)
		fprintf(f, "  perfvisor: %" PRIu64 " samples in these symbols, %.2f%% of the domain's event count",
			t->system_samples, pct(t->system_total, t->domain_weight));
	fputc('\n', f);
}

void report_print_guest_wide(FILE *f, struct report *r)
{
	bool any = false;
	for (int d = 1; d < CAP_MAX_DOMAINS; d++) {
		struct report_gw_table t;
		if (!report_guest_wide(r, d, &t))
			continue;
		any = true;
		print_table(f, r, &t);
		free(t.rows);
	}
	if (!any)
		fputs("\n# Guest-wide: no domain printed gprof-sample lines on its console\n", f);
}
