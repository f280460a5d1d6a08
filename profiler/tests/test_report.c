/* perfvisor report: aggregation, weighting, sorting, percentages, children and call graphs,
 * on synthesized events (a fake resolver stands in for the ELF images). */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "report.h"
#include "../../pmu/sampling/cap_encode.h"

/* Fake images: 0x1000.. "main", 0x2000.. "work", 0x3000.. "spin"; anything else unknown. */
static void fake_resolve(void *ctx, const struct pv_header *h, int domain, uint64_t ip, struct report_sym *out)
{
	(void)h;
	int *calls = ctx;
	(*calls)++;
	const char *name = ip >= 0x1000 && ip < 0x2000 ? "main" : ip >= 0x2000 && ip < 0x3000 ? "work"
			 : ip >= 0x3000 && ip < 0x4000 ? "spin" : NULL;
	if (name)
		snprintf(out->name, sizeof(out->name), "%s", name);
	snprintf(out->dso, sizeof(out->dso), domain ? "guest%d.elf" : "perfvisor.elf", domain);
	snprintf(out->srcline, sizeof(out->srcline), "f.c:%u", (unsigned)(ip & 0xfff));
}

static struct pv_header header(int backend)
{
	struct pv_header h;
	memset(&h, 0, sizeof(h));
	h.valid = 1;
	h.backend = backend;
	h.period = 1000;
	h.ndomains = 2;
	h.domains[0].id = 1;
	strcpy(h.domains[0].name, "alpha");
	h.domains[1].id = 2;
	strcpy(h.domains[1].name, "beta");
	return h;
}

static int resolves;

static void setup_report(struct report *r, const char *sort, bool children, bool graph)
{
	struct report_opts o = { .children = children, .callgraph = graph, .graph_limit = 0.5 };
	const char *bad;
	assert_int_equal(report_parse_sort(&o, sort, &bad), 0);
	struct report_resolver res = { .ctx = &resolves, .resolve = fake_resolve };
	resolves = 0;
	report_init(r, &o, &res);
}

static void add_sample(struct report *r, const struct pv_header *h, int dom, uint64_t ip, uint64_t w, int depth,
		       const uint64_t *chain)
{
	struct pv_event ev;
	memset(&ev, 0, sizeof(ev));
	ev.kind = PV_EV_SAMPLE;
	ev.domain = dom;
	ev.ip = ip;
	ev.weight = w;
	ev.depth = depth;
	for (int i = 0; i < depth; i++)
		ev.chain[i] = chain[i];
	report_add_event(r, h, &ev);
}

static void add_event(struct report *r, const struct pv_header *h, enum pv_event_kind kind, int dom, uint32_t reason,
		      uint64_t ticks, uint64_t count)
{
	struct pv_event ev;
	memset(&ev, 0, sizeof(ev));
	ev.kind = kind;
	ev.domain = dom;
	ev.reason = reason;
	ev.ticks = ticks;
	ev.count = count;
	ev.lost = count;
	report_add_event(r, h, &ev);
}

static const char *sym_of(const struct report *r, const struct report_entry *e)
{
	return strtab_str(&r->strs, e->sym);
}

static void sort_keys_parse_and_reject_unknown(void **state)
{
	(void)state;
	struct report_opts o;
	const char *bad;
	assert_int_equal(report_parse_sort(&o, "domain,process,sym", &bad), 0);
	assert_int_equal(o.nsort, 3);
	assert_int_equal(o.sort[2], RK_SYM);
	assert_int_equal(report_parse_sort(&o, "srcline,dso", &bad), 0);
	assert_int_equal(o.sort[0], RK_SRCLINE);
	assert_int_equal(report_parse_sort(&o, "pid,comm,dso", &bad), 0);
	assert_int_equal(o.sort[0], RK_PID);
	assert_int_equal(o.sort[1], RK_COMM);
	assert_int_equal(report_parse_sort(&o, "sym,tid", &bad), -1);
	assert_string_equal(bad, "tid");
	assert_int_equal(report_parse_sort(&o, "", &bad), -1);
}

/* Guest rows weigh their samples' periods, hypervisor rows their ticks; all add to 100%. */
static void software_backend_weights_guest_samples_and_hypervisor_ticks(void **state)
{
	(void)state;
	struct report r;
	struct pv_header h = header(CAP_BACKEND_SOFTWARE);
	setup_report(&r, "domain,process,sym", false, false);
	for (int i = 0; i < 6; i++)
		add_sample(&r, &h, 1, 0x3000 + (uint64_t)(i % 2), 1000, 0, NULL);
	for (int i = 0; i < 2; i++)
		add_sample(&r, &h, 2, 0x1000, 1000, 0, NULL);
	add_event(&r, &h, PV_EV_HV_TIME, 1, 52, 1500, 3);
	add_event(&r, &h, PV_EV_HV_TIME, 1, 52, 500, 1);
	add_event(&r, &h, PV_EV_GUEST_TIME, 1, 0, 6000, 0);
	assert_int_equal(r.total, 10000);
	assert_int_equal(r.nsamples, 8);
	assert_int_equal(r.hv_rows_weight, 2000);
	assert_int_equal(r.dom[1].hv_ticks, 2000);
	assert_int_equal(r.dom[1].hv_exits, 4);
	assert_int_equal(resolves, 3); /* cached per (domain, ip) */

	size_t n;
	struct report_entry **v = report_sorted(&r, &n);
	assert_int_equal(n, 3);
	assert_string_equal(sym_of(&r, v[0]), "spin");
	assert_int_equal(v[0]->self, 6000);
	assert_int_equal(v[0]->level, 'g');
	assert_string_equal(sym_of(&r, v[1]), "exit:PREEMPTION_TIMER");
	assert_int_equal(v[1]->proc, REPORT_PROC_HV);
	assert_int_equal(v[1]->self, 2000);
	assert_int_equal(v[2]->domain, 2);
	uint64_t sum = 0;
	for (size_t i = 0; i < n; i++)
		sum += v[i]->self;
	assert_int_equal(sum, r.total);
	free(v);
	report_free(&r);
}

/* Hardware backend: the hypervisor's rows are its own samples (domain 0), HV_TIME is context. */
static void hardware_backend_uses_hypervisor_samples(void **state)
{
	(void)state;
	struct report r;
	struct pv_header h = header(CAP_BACKEND_HARDWARE);
	setup_report(&r, "domain,sym", false, false);
	add_sample(&r, &h, 0, 0x2000, 1000, 0, NULL);
	add_sample(&r, &h, 1, 0x1000, 3000, 0, NULL);
	add_event(&r, &h, PV_EV_HV_TIME, 1, 52, 99999, 1);
	assert_int_equal(r.total, 4000);
	assert_int_equal(r.hv_rows_weight, 1000);
	size_t n;
	struct report_entry **v = report_sorted(&r, &n);
	assert_int_equal(n, 2);
	assert_int_equal(v[1]->domain, 0);
	assert_int_equal(v[1]->level, 'k');
	char buf[32];
	assert_string_equal(report_domain_name(&r, 0, buf, sizeof(buf)), "perfvisor");
	free(v);
	report_free(&r);
}

/* Rows differ only by the chosen keys; equal values sort by key. */
static void only_the_sort_keys_split_rows(void **state)
{
	(void)state;
	struct report r;
	struct pv_header h = header(CAP_BACKEND_SOFTWARE);
	setup_report(&r, "sym", false, false);
	add_sample(&r, &h, 1, 0x1000, 1000, 0, NULL);
	add_sample(&r, &h, 2, 0x1004, 1000, 0, NULL);
	add_sample(&r, &h, 2, 0x3000, 2000, 0, NULL);
	size_t n;
	struct report_entry **v = report_sorted(&r, &n);
	assert_int_equal(n, 2);
	assert_string_equal(sym_of(&r, v[0]), "main"); /* 2000 each: tie broken by name */
	assert_string_equal(sym_of(&r, v[1]), "spin");
	free(v);
	report_free(&r);

	setup_report(&r, "srcline", false, false);
	add_sample(&r, &h, 1, 0x1000, 1000, 0, NULL);
	add_sample(&r, &h, 1, 0x1004, 1000, 0, NULL);
	assert_int_equal(r.nentries, 2);
	report_free(&r);
}

/* A PROCESS event naming domain 1's CR3 0x5000 with name[0..len), then a user-mode sample in
 * that address space; ev is left holding the sample. */
static void name_and_sample(struct report *r, const struct pv_header *h, struct pv_event *ev,
			    const char *name, int len)
{
	memset(ev, 0, sizeof(*ev));
	ev->kind = PV_EV_PROCESS;
	ev->domain = 1;
	ev->cr3 = 0x5000;
	memcpy(ev->name, name, (size_t)len);
	ev->name_len = len;
	report_add_event(r, h, ev);
	memset(ev, 0, sizeof(*ev));
	ev->kind = PV_EV_SAMPLE;
	ev->domain = 1;
	ev->ip = 0x1000;
	ev->weight = 10;
	ev->cr3 = 0x5000;
	ev->cpl = 3;
	report_add_event(r, h, ev);
}

static void processes_are_named_by_process_events(void **state)
{
	(void)state;
	struct report r;
	struct pv_header h = header(CAP_BACKEND_SOFTWARE);
	setup_report(&r, "process", false, false);
	struct pv_event ev;
	name_and_sample(&r, &h, &ev, "init", 4);
	ev.cr3 = 0x7000;
	report_add_event(&r, &h, &ev);
	ev.cr3 = 0;
	ev.cpl = 0;
	report_add_event(&r, &h, &ev);
	size_t n;
	struct report_entry **v = report_sorted(&r, &n);
	assert_int_equal(n, 3);
	char buf[64];
	assert_string_equal(report_proc_name(&r, v[0]->proc, buf, sizeof(buf)), "[cr3 0x7000]");
	assert_string_equal(report_proc_name(&r, v[1]->proc, buf, sizeof(buf)), "[kernel]");
	assert_string_equal(report_proc_name(&r, v[2]->proc, buf, sizeof(buf)), "init");
	assert_int_equal(v[2]->level, '.');
	free(v);
	report_free(&r);
}

/* A guest's process name reaches the report as cat -v shows it: an escape sequence or a NUL in
 * it can neither drive the user's terminal nor cut the name. */
static void process_names_are_shown_visibly(void **state)
{
	(void)state;
	struct report r;
	struct pv_header h = header(CAP_BACKEND_SOFTWARE);
	setup_report(&r, "process", false, false);
	struct pv_event ev;
	name_and_sample(&r, &h, &ev, "\x1b]0;pwn\x07\0x\xfe", 11);
	size_t n;
	struct report_entry **v = report_sorted(&r, &n);
	assert_int_equal(n, 1);
	char buf[64];
	assert_string_equal(report_proc_name(&r, v[0]->proc, buf, sizeof(buf)), "^[]0;pwn^G^@xM-~");
	free(v);
	report_free(&r);
}

static void lost_counts_prefer_totals(void **state)
{
	(void)state;
	struct report r;
	struct pv_header h = header(CAP_BACKEND_SOFTWARE);
	setup_report(&r, "sym", false, false);
	add_event(&r, &h, PV_EV_LOST, 1, 0, 0, 3);
	add_event(&r, &h, PV_EV_LOST, 1, 0, 0, 2);
	add_event(&r, &h, PV_EV_LOST, 2, 0, 0, 4);
	assert_int_equal(report_lost(&r), 9);
	add_event(&r, &h, PV_EV_TOTALS, 2, 0, 0, 6); /* final word for domain 2 */
	assert_int_equal(report_lost(&r), 11);
	report_free(&r);
}

/* main -> work -> spin (x3), main -> spin (x1), recursive work -> work -> spin (x1). */
static void add_chains(struct report *r, const struct pv_header *h)
{
	static const uint64_t c1[] = { 0x2010, 0x1010 };
	static const uint64_t c2[] = { 0x1020 };
	static const uint64_t c3[] = { 0x2010, 0x2020, 0x1010 };
	for (int i = 0; i < 3; i++)
		add_sample(r, h, 1, 0x3000, 100, 2, c1);
	add_sample(r, h, 1, 0x3000, 100, 1, c2);
	add_sample(r, h, 1, 0x3000, 100, 3, c3);
}

static struct report_entry *find(struct report *r, const char *sym)
{
	for (size_t i = 0; i < r->nentries; i++)
		if (!strcmp(sym_of(r, &r->entries[i]), sym))
			return &r->entries[i];
	return NULL;
}

static void children_accumulate_callers_once_per_sample(void **state)
{
	(void)state;
	struct report r;
	struct pv_header h = header(CAP_BACKEND_SOFTWARE);
	setup_report(&r, "sym", true, false);
	add_chains(&r, &h);
	assert_int_equal(r.total, 500);
	assert_int_equal(find(&r, "spin")->self, 500);
	assert_int_equal(find(&r, "spin")->children, 500);
	assert_int_equal(find(&r, "main")->self, 0);
	assert_int_equal(find(&r, "main")->children, 500);
	assert_int_equal(find(&r, "work")->children, 400); /* the recursive sample counts once */
	size_t n;
	struct report_entry **v = report_sorted(&r, &n);
	assert_string_equal(sym_of(&r, v[0]), "spin"); /* same children as main: more self first */
	assert_string_equal(sym_of(&r, v[1]), "main");
	assert_string_equal(sym_of(&r, v[2]), "work");
	free(v);
	report_free(&r);
}

static void call_graph_tree_holds_caller_paths(void **state)
{
	(void)state;
	struct report r;
	struct pv_header h = header(CAP_BACKEND_SOFTWARE);
	setup_report(&r, "sym", false, true);
	add_chains(&r, &h);
	struct report_entry *e = find(&r, "spin");
	assert_non_null(e);
	const struct report_node *root = &r.nodes[e->graph];
	assert_int_equal(root->weight, 500);
	uint64_t via_work = 0, via_main = 0;
	for (uint32_t c = root->child; c != HMAP_NONE; c = r.nodes[c].next) {
		const char *s = strtab_str(&r.strs, r.nodes[c].sym);
		if (!strcmp(s, "work"))
			via_work = r.nodes[c].weight;
		else if (!strcmp(s, "main"))
			via_main = r.nodes[c].weight;
	}
	assert_int_equal(via_work, 400);
	assert_int_equal(via_main, 100);

	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	report_print_callgraph(f, &r, e, 4);
	fclose(f);
	assert_non_null(strstr(out, "    ---spin\n"));
	assert_non_null(strstr(out, "|--80.00%--work\n"));
	assert_non_null(strstr(out, " --20.00%--main\n"));
	free(out);
	report_free(&r);
}

static uint64_t child_weight(const struct report *r, uint32_t node, const char *sym)
{
	for (uint32_t c = r->nodes[node].child; c != HMAP_NONE; c = r->nodes[c].next)
		if (!strcmp(strtab_str(&r->strs, r->nodes[c].sym), sym))
			return r->nodes[c].weight;
	return 0;
}

static uint32_t child_node(const struct report *r, uint32_t node, const char *sym)
{
	for (uint32_t c = r->nodes[node].child; c != HMAP_NONE; c = r->nodes[c].next)
		if (!strcmp(strtab_str(&r->strs, r->nodes[c].sym), sym))
			return c;
	fail_msg("no child %s", sym);
	return HMAP_NONE;
}

/* -g caller with --children: under each entry, what it calls down to the sampled function
 * (perf's callee trees under children entries); recursion counts once, at the innermost. */
static void caller_graphs_under_children_entries(void **state)
{
	(void)state;
	struct report r;
	struct pv_header h = header(CAP_BACKEND_SOFTWARE);
	setup_report(&r, "sym", true, true);
	r.opts.caller = true;
	add_chains(&r, &h);
	struct report_entry *m = find(&r, "main"), *w = find(&r, "work"), *s = find(&r, "spin");
	assert_int_equal(r.nodes[m->graph].weight, m->children); /* every root weighs its row */
	assert_int_equal(r.nodes[w->graph].weight, w->children);
	assert_int_equal(r.nodes[s->graph].weight, s->children);
	assert_int_equal(child_weight(&r, m->graph, "work"), 400);
	assert_int_equal(child_weight(&r, m->graph, "spin"), 100);
	uint32_t mw = child_node(&r, m->graph, "work");
	assert_int_equal(child_weight(&r, mw, "spin"), 300);
	assert_int_equal(child_weight(&r, mw, "work"), 100);   /* main > work > work > spin */
	assert_int_equal(child_weight(&r, w->graph, "spin"), 400);
	assert_int_equal(r.nodes[s->graph].child, HMAP_NONE);   /* spin calls nothing */
	report_free(&r);

	/* without --children: each chain from the outermost caller down to the entry */
	setup_report(&r, "sym", false, true);
	r.opts.caller = true;
	add_chains(&r, &h);
	s = find(&r, "spin");
	assert_int_equal(r.nodes[s->graph].weight, 500);
	uint32_t top = child_node(&r, s->graph, "main");
	assert_int_equal(r.nodes[top].weight, 500);
	assert_int_equal(child_weight(&r, top, "work"), 400);
	assert_int_equal(child_weight(&r, top, "spin"), 100);
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	report_print_callgraph(f, &r, s, 4);
	fclose(f);
	assert_non_null(strstr(out, "    |\n    ---main\n"));
	assert_non_null(strstr(out, "|--80.00%--work\n"));
	free(out);
	report_free(&r);
}

static void callgraph_and_fields_options_parse(void **state)
{
	(void)state;
	struct report_opts o = { .graph_limit = 0.5 };
	const char *bad;
	assert_int_equal(report_parse_callgraph(&o, "caller,2.5"), 0);
	assert_true(o.caller);
	assert_true(o.graph_limit == 2.5);
	assert_int_equal(report_parse_callgraph(&o, "graph,callee"), 0);
	assert_false(o.caller);
	assert_int_equal(report_parse_callgraph(&o, "sideways"), -1);
	assert_int_equal(report_parse_callgraph(&o, "101"), -1);
	assert_int_equal(report_parse_sort(&o, "domain,process,sym", &bad), 0);
	assert_int_equal(report_parse_fields(&o, "sample,overhead,sym", false, &bad), 0);
	assert_int_equal(o.nfields, 3);
	assert_int_equal(o.fields[0], RF_SAMPLE);
	assert_int_equal(o.nsort, 1);                 /* -F's keys are the sort keys without -s */
	assert_int_equal(o.sort[0], RK_SYM);
	assert_int_equal(report_parse_sort(&o, "domain", &bad), 0);
	assert_int_equal(report_parse_fields(&o, "overhead,sym", true, &bad), -1); /* not a -s key */
	assert_string_equal(bad, "sym");
	assert_int_equal(report_parse_fields(&o, "overhead,cpu", false, &bad), -1);
	assert_string_equal(bad, "cpu");
	o.children = false;
	assert_int_equal(report_parse_fields(&o, "children,overhead,domain", true, &bad), 0);
	assert_true(o.children);                      /* the Children column needs them */
}

static void printed_table_has_perf_layout_and_percent_limit(void **state)
{
	(void)state;
	struct report r;
	struct pv_header h = header(CAP_BACKEND_SOFTWARE);
	setup_report(&r, "domain,sym", false, false);
	for (int i = 0; i < 99; i++)
		add_sample(&r, &h, 1, 0x3000, 1000, 0, NULL);
	add_sample(&r, &h, 2, 0x9000, 1000, 0, NULL); /* unknown address, 1% */
	r.opts.percent_limit = 0;
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	struct report_print_info pi = { .input = "x" };
	report_print(f, &r, &pi);
	fclose(f);
	assert_non_null(strstr(out, "# Total Lost Samples: 0\n"));
	assert_non_null(strstr(out, "# Samples: 100 of event 'cycles'"));
	assert_non_null(strstr(out, "# Overhead  Domain  Symbol\n# ........  ......  "));
	assert_non_null(strstr(out, "    99.00%  alpha   [g] spin\n"));
	assert_non_null(strstr(out, "     1.00%  beta    [g] [unknown] 0x9000\n"));
	free(out);

	r.opts.percent_limit = 5;
	f = open_memstream(&out, &len);
	report_print(f, &r, &pi);
	fclose(f);
	assert_null(strstr(out, "[unknown]"));
	free(out);
	report_free(&r);
}

static void exit_reason_names_cover_the_table(void **state)
{
	(void)state;
	assert_string_equal(vmx_exit_reason_name(0), "EXCEPTION_NMI");
	assert_string_equal(vmx_exit_reason_name(30), "IO_INSTRUCTION");
	assert_string_equal(vmx_exit_reason_name(52), "PREEMPTION_TIMER");
	assert_string_equal(vmx_exit_reason_name(64), "XRSTORS");
	assert_string_equal(vmx_exit_reason_name(77), "REASON_77");
}

static void text(struct report *r, const char *line)
{
	report_text_line(r, line, strlen(line));
}

/* --guest-wide: the guest's gprof-sample lines (last set wins) beside perfvisor's samples of the
 * same symbols; both columns are shares of the symbols the guest listed. */
static void guest_wide_sets_guest_counts_beside_system_samples(void **state)
{
	(void)state;
	struct report r;
	struct pv_header h = header(CAP_BACKEND_SOFTWARE);
	setup_report(&r, "process", false, false); /* the sort keys do not matter */
	/* perfvisor: domain 1 main 60 x 1000, work 30 x 1000 + one of 2000 (a jittered period), 5 x
	 * 1000 at an unknown address, spin nothing (yet); domain 2 work, but no gprof-sample lines */
	for (int i = 0; i < 60; i++)
		add_sample(&r, &h, 1, 0x1000 + (uint64_t)(i % 3), 1000, 0, NULL);
	for (int i = 0; i < 30; i++)
		add_sample(&r, &h, 1, 0x2000, 1000, 0, NULL);
	add_sample(&r, &h, 1, 0x2010, 2000, 0, NULL);
	for (int i = 0; i < 5; i++)
		add_sample(&r, &h, 1, 0x9000, 1000, 0, NULL);
	for (int i = 0; i < 50; i++)
		add_sample(&r, &h, 2, 0x2000, 1000, 0, NULL);
	add_event(&r, &h, PV_EV_HV_TIME, 1, 52, 50000, 3); /* hypervisor rows: not the guest's */

	text(&r, "perfvisor: gprof-sample main 1");           /* not a guest line */
	text(&r, "[1:alpha] gprof-sample main 10");           /* an earlier set: replaced */
	text(&r, "[1:alpha] gprof-sample main 61");
	text(&r, "[1:alpha] gprof-sample work 37");
	text(&r, "[1:alpha] gprof-sample spin 2");
	text(&r, "[1:alpha] gprof-sample other 0");           /* 0 and not sampled: left out */
	text(&r, "[1:alpha] gprof-sample bad 12x");           /* malformed: ignored */
	text(&r, "[1:alpha] gprof-sample bad");
	text(&r, "[1:alpha] gprof-sample bad 99999999999999999999999");
	text(&r, "[1:alpha] [2:beta] gprof-sample main 5");   /* the guest's text, not a prefix */
	text(&r, "[16:x] gprof-sample main 5");
	text(&r, "[1:alpha] gprof-sample work 39  ");         /* the last count wins */

	struct report_gw_table t;
	assert_false(report_guest_wide(&r, 2, &t));
	assert_false(report_guest_wide(&r, 3, &t));
	assert_true(report_guest_wide(&r, 1, &t));
	assert_true(t.have_symbols);
	assert_int_equal(t.nrows, 3);
	assert_string_equal(t.rows[0].sym, "main");
	assert_string_equal(t.rows[1].sym, "work");
	assert_string_equal(t.rows[2].sym, "spin");
	assert_int_equal(t.rows[0].guest, 61);
	assert_int_equal(t.rows[1].guest, 39);
	assert_int_equal(t.rows[2].guest, 2);
	assert_int_equal(t.guest_total, 102);
	assert_int_equal(t.rows[0].system, 60000);
	assert_int_equal(t.rows[1].system, 32000); /* weights, not sample counts */
	assert_int_equal(t.rows[1].system_samples, 31);
	assert_int_equal(t.rows[2].system, 0);
	assert_int_equal(t.system_total, 92000);
	assert_int_equal(t.domain_weight, 97000);
	assert_float_equal(t.rows[0].guest_pct, 100.0 * 61 / 102, 1e-9);
	assert_float_equal(t.rows[0].system_pct, 100.0 * 60 / 92, 1e-9);
	assert_float_equal(t.rows[1].system_pct, 100.0 * 32 / 92, 1e-9);
	free(t.rows);

	/* A 0 the guest reported for a symbol perfvisor did sample stays, at 0%. */
	text(&r, "[1:alpha] gprof-sample spin 0");
	text(&r, "[2:beta] gprof-sample spin 0");
	add_sample(&r, &h, 1, 0x3000, 1000, 0, NULL);
	assert_true(report_guest_wide(&r, 1, &t));
	assert_int_equal(t.nrows, 3);
	assert_int_equal(t.rows[2].guest, 0);
	assert_int_equal(t.rows[2].system, 1000);
	assert_int_equal(t.guest_total, 100);
	assert_int_equal(t.system_total, 93000);
	free(t.rows);
	assert_true(report_guest_wide(&r, 2, &t)); /* a domain with only a 0 left out: no rows */
	assert_int_equal(t.nrows, 0);
	free(t.rows);

	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	report_print_guest_wide(f, &r);
	fclose(f);
	assert_non_null(strstr(out, "\n# Guest-wide vs system-wide, domain 1 (alpha): shares of the symbols the guest "
				    "reported\n#\n#   Symbol        Guest-wide   System-wide\n"
				    "#   main              61.00%        64.52%\n"
				    "#   work              39.00%        34.41%\n"
				    "#   spin               0.00%         1.08%\n"));
	assert_non_null(strstr(out, "# Guest-wide vs system-wide, domain 2 (beta)"));
	free(out);
	report_free(&r);
}

/* Without symbols the system-wide column is empty and one line says why. */
static void guest_wide_without_symbols_says_so(void **state)
{
	(void)state;
	struct report r;
	struct pv_header h = header(CAP_BACKEND_SOFTWARE);
	struct report_opts o = { .graph_limit = 0.5 };
	const char *bad;
	assert_int_equal(report_parse_sort(&o, "domain,sym", &bad), 0);
	report_init(&r, &o, NULL); /* no resolver: every address unknown */
	for (int i = 0; i < 10; i++)
		add_sample(&r, &h, 1, 0x1000, 1000, 0, NULL);
	text(&r, "[1:alpha] gprof-sample main 3");
	text(&r, "[1:alpha] gprof-sample work 1");
	struct report_gw_table t;
	assert_true(report_guest_wide(&r, 1, &t));
	assert_false(t.have_symbols);
	assert_int_equal(t.system_total, 0);
	free(t.rows);
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	report_print_guest_wide(f, &r);
	fclose(f);
	assert_non_null(strstr(out, "# System-wide: none: no symbols for domain 1 (no ELF image: give one with "
				    "--symbols 1=ELF)\n"));
	assert_non_null(strstr(out, "#   main              75.00%             -\n"));
	free(out);
	report_free(&r);

	/* No guest printed anything. */
	report_init(&r, &o, NULL);
	add_sample(&r, &h, 1, 0x1000, 1000, 0, NULL);
	f = open_memstream(&out, &len);
	report_print_guest_wide(f, &r);
	fclose(f);
	assert_string_equal(out, "\n# Guest-wide: no domain printed gprof-sample lines on its console\n");
	free(out);
	report_free(&r);
}

/* A capture with lost samples is read once (one parser callback per event), and the lost
 * domain's rows come out as if each sample had been scaled as it was aggregated: per-sample
 * rounding of weight x guest ticks / weight that arrived, here with jittered weights, children
 * and call graphs. */
static void lossy_capture_is_decoded_once(bool caller)
{
	static uint8_t buf[1 << 16];
	size_t len = 0;
	struct cap_encoder e;
	struct cap_header_desc hd;
	memset(&hd, 0, sizeof(hd));
	hd.backend = CAP_BACKEND_SOFTWARE;
	hd.period = 1000;
	hd.max_depth = 4;
	hd.ndomains = 2;
	hd.domains[0].id = 1;
	hd.domains[1].id = 2;
	cap_enc_init(&e, 1000);
	len += cap_enc_header_frame(&e, &hd, buf + len);
	cap_enc_begin(&e, 1);
	uint64_t weight1 = 0, tsc = 1;
	size_t nevents = 0;
	for (int i = 0; i < 30; i++) {
		struct cap_sample cs;
		memset(&cs, 0, sizeof(cs));
		cs.domain = (uint8_t)(1 + i % 2);
		cs.weight = 1000 + (uint64_t)(i * 7 % 13);   /* jitter: weights differ */
		cs.tsc = tsc += cs.weight;
		cs.ip = i % 3 ? 0x3000 : 0x2000;
		cs.depth = 1;
		cs.chain[0] = 0x1001;
		if (cs.domain == 1)
			weight1 += cs.weight;
		assert_int_equal(cap_enc_sample(&e, &cs), 0);
		nevents++;
	}
	assert_int_equal(cap_enc_lost(&e, 1, 5), 0);
	assert_int_equal(cap_enc_guest_time(&e, 1, 20000), 0);  /* > weight1: domain 1 scales */
	assert_int_equal(cap_enc_guest_time(&e, 2, 15000), 0);
	nevents += 3;
	len += cap_enc_finish(&e, buf + len);
	len += cap_enc_end_frame(&e, buf + len);

	struct report r;
	struct pv_header h;
	struct pv_diag d;
	setup_report(&r, "domain,sym", true, true);
	r.opts.caller = caller;
	report_load(&r, buf, len, false, &h, &d);
	assert_int_equal(d.records_malformed, 0);
	assert_int_equal(r.nevents, nevents);            /* not twice: one pass */
	double s = 20000.0 / (double)weight1;
	assert_true(r.scale[1] == s);
	assert_true(r.scale[2] == 0);

	/* The same events aggregated one by one with the weights scaled beforehand. */
	struct report want;
	setup_report(&want, "domain,sym", true, true);
	want.opts.caller = caller;
	tsc = 1;
	for (int i = 0; i < 30; i++) {
		int dom = 1 + i % 2;
		uint64_t w = 1000 + (uint64_t)(i * 7 % 13);
		uint64_t chain[1] = { 0x1001 };
		if (dom == 1)
			w = (uint64_t)((double)w * s + 0.5);
		add_sample(&want, &h, dom, i % 3 ? 0x3000 : 0x2000, w, 1, chain);
	}
	assert_int_equal(r.total, want.total);
	assert_int_equal(r.nentries, want.nentries);
	assert_int_equal(r.nnodes, want.nnodes);
	for (size_t i = 0; i < r.nentries; i++) {
		assert_int_equal(r.entries[i].self, want.entries[i].self);
		assert_int_equal(r.entries[i].children, want.entries[i].children);
	}
	for (size_t i = 0; i < r.nnodes; i++)
		assert_int_equal(r.nodes[i].weight, want.nodes[i].weight);
	for (size_t i = 0; i < r.nlocs; i++)
		assert_int_equal(r.locs[i].weight, want.locs[i].weight);
	report_free(&want);
	report_free(&r);
}

/* A Linux guest's tasks (CAP_R_TASK): named "comm[pid]"; --sort pid,comm groups by them; a reused
 * pid (another task id) is another process; user-space addresses resolve per comm. */
static char user_comm_seen[32];
static void fake_resolve_user(void *ctx, const struct pv_header *h, int domain, const struct report_task_exe *x,
			      uint64_t ip, struct report_sym *out)
{
	(void)ctx, (void)h, (void)domain;
	snprintf(user_comm_seen, sizeof(user_comm_seen), "%s", x->comm);
	if (x->has_exe)   /* as a PIE's load bias would: the same ip is elsewhere in the file */
		snprintf(out->name, sizeof(out->name), "%s_fn_%llx_at_%llx_id%d", x->comm, (unsigned long long)ip,
			 (unsigned long long)x->entry, x->build_id_len ? x->build_id[0] : -1);
	else
		snprintf(out->name, sizeof(out->name), "%s_fn_%llx", x->comm, (unsigned long long)ip);
	snprintf(out->dso, sizeof(out->dso), "%s", x->comm);
}

static void linux_task_exe(struct report *r, const struct pv_header *h, int dom, uint32_t id, uint32_t pid,
			   const char *comm, int nsamples, uint64_t ip, uint64_t entry, uint8_t build_id)
{
	struct pv_event ev;
	memset(&ev, 0, sizeof(ev));
	ev.kind = PV_EV_PROCESS;
	if (entry) {
		ev.has_exe = 1;
		ev.exe_entry = entry;
		ev.build_id[0] = build_id;
		ev.build_id_len = build_id ? 20 : 0;
	}
	ev.domain = dom;
	ev.task = id, ev.pid = pid, ev.tid = pid;
	ev.cr3 = PV_TASK_KEY(id);
	snprintf(ev.name, sizeof(ev.name), "%s", comm);
	ev.name_len = (int)strlen(comm);
	report_add_event(r, h, &ev);
	memset(&ev, 0, sizeof(ev));
	ev.kind = PV_EV_SAMPLE;
	ev.domain = dom;
	ev.ip = ip;
	ev.cr3 = 0x5000;             /* one CR3 for all: the task tells them apart */
	ev.cpl = 3;
	ev.weight = 1000;
	ev.task = id, ev.pid = pid, ev.tid = pid;
	for (int i = 0; i < nsamples; i++)
		report_add_event(r, h, &ev);
}

static void linux_task(struct report *r, const struct pv_header *h, int dom, uint32_t id, uint32_t pid,
		       const char *comm, int nsamples, uint64_t ip)
{
	linux_task_exe(r, h, dom, id, pid, comm, nsamples, ip, 0, 0);
}

/* A task's executable (CAP_TASK_EXE) reaches the resolver, and keys its addresses: the same comm
 * and ip in two runs of a PIE loaded at other bases, or of two different builds, resolve apart. */
static void linux_task_executables_key_user_addresses(void **state)
{
	(void)state;
	struct report r;
	struct pv_header h = header(CAP_BACKEND_SOFTWARE);
	struct report_opts o = { .graph_limit = 0.5 };
	const char *bad;
	assert_int_equal(report_parse_sort(&o, "sym", &bad), 0);
	struct report_resolver res = { .ctx = &resolves, .resolve = fake_resolve, .resolve_user = fake_resolve_user };
	report_init(&r, &o, &res);
	linux_task_exe(&r, &h, 1, 1, 42, "pie", 5, 0x55550000, 0x55551000, 0xaa);
	linux_task_exe(&r, &h, 1, 2, 43, "pie", 3, 0x55550000, 0x77771000, 0xaa);   /* another base */
	linux_task_exe(&r, &h, 1, 3, 44, "pie", 2, 0x55550000, 0x55551000, 0xbb);   /* another build */
	linux_task(&r, &h, 1, 4, 45, "pie", 1, 0x55550000);                        /* nothing known */
	size_t n;
	struct report_entry **v = report_sorted(&r, &n);
	assert_int_equal(n, 4);
	assert_string_equal(sym_of(&r, v[0]), "pie_fn_55550000_at_55551000_id170");
	assert_string_equal(sym_of(&r, v[1]), "pie_fn_55550000_at_77771000_id170");
	assert_string_equal(sym_of(&r, v[2]), "pie_fn_55550000_at_55551000_id187");
	assert_string_equal(sym_of(&r, v[3]), "pie_fn_55550000");
	free(v);
	report_free(&r);
}

static void linux_tasks_name_processes(void **state)
{
	(void)state;
	struct report r;
	struct pv_header h = header(CAP_BACKEND_SOFTWARE);
	struct report_opts o = { .graph_limit = 0.5 };
	const char *bad;
	assert_int_equal(report_parse_sort(&o, "domain,process,sym", &bad), 0);
	struct report_resolver res = { .ctx = &resolves, .resolve = fake_resolve, .resolve_user = fake_resolve_user };
	report_init(&r, &o, &res);
	linux_task(&r, &h, 1, 1, 42, "workload", 5, 0x401000);
	linux_task(&r, &h, 1, 2, 42, "workload", 3, 0x401000);   /* pid 42 reused */
	linux_task(&r, &h, 2, 1, 42, "sh", 2, 0x401000);         /* domain 2's own task 1 */
	size_t n;
	struct report_entry **v = report_sorted(&r, &n);
	char buf[64];
	assert_int_equal(n, 3);
	assert_string_equal(report_proc_name(&r, v[0]->proc, buf, sizeof(buf)), "workload[42]");
	assert_int_equal(v[0]->samples, 5);
	assert_int_equal(v[1]->samples, 3);
	assert_int_not_equal(v[0]->proc, v[1]->proc);
	assert_string_equal(report_proc_name(&r, v[2]->proc, buf, sizeof(buf)), "sh[42]");
	assert_string_equal(sym_of(&r, v[2]), "sh_fn_401000");
	assert_string_equal(sym_of(&r, v[0]), "workload_fn_401000");
	assert_int_equal(report_entry_pid(&r, v[0]), 42);
	free(v);
	report_free(&r);
	/* --sort pid,comm: the two workload tasks with pid 42 share a row, sh its own */
	o = (struct report_opts){ .graph_limit = 0.5 };
	assert_int_equal(report_parse_sort(&o, "pid,comm", &bad), 0);
	report_init(&r, &o, &res);
	linux_task(&r, &h, 1, 1, 42, "workload", 5, 0x401000);
	linux_task(&r, &h, 1, 2, 42, "workload", 3, 0x402000);
	linux_task(&r, &h, 1, 3, 7, "sh", 2, 0x401000);
	v = report_sorted(&r, &n);
	assert_int_equal(n, 2);
	assert_int_equal(v[0]->samples, 8);
	assert_string_equal(report_entry_comm(&r, v[0], buf, sizeof(buf)), "workload");
	assert_int_equal(report_entry_pid(&r, v[1]), 7);
	free(v);
	report_free(&r);
}

static void a_lossy_capture_is_decoded_once(void **state)
{
	(void)state;
	lossy_capture_is_decoded_once(false);
}

/* The same with -g caller: every children entry's graph (two paths a sample) is scaled too. */
static void a_lossy_capture_is_decoded_once_caller_graphs(void **state)
{
	(void)state;
	lossy_capture_is_decoded_once(true);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sort_keys_parse_and_reject_unknown),
		cmocka_unit_test(linux_task_executables_key_user_addresses),
		cmocka_unit_test(software_backend_weights_guest_samples_and_hypervisor_ticks),
		cmocka_unit_test(hardware_backend_uses_hypervisor_samples),
		cmocka_unit_test(only_the_sort_keys_split_rows),
		cmocka_unit_test(processes_are_named_by_process_events),
		cmocka_unit_test(linux_tasks_name_processes),
		cmocka_unit_test(process_names_are_shown_visibly),
		cmocka_unit_test(lost_counts_prefer_totals),
		cmocka_unit_test(children_accumulate_callers_once_per_sample),
		cmocka_unit_test(call_graph_tree_holds_caller_paths),
		cmocka_unit_test(caller_graphs_under_children_entries),
		cmocka_unit_test(callgraph_and_fields_options_parse),
		cmocka_unit_test(printed_table_has_perf_layout_and_percent_limit),
		cmocka_unit_test(exit_reason_names_cover_the_table),
		cmocka_unit_test(guest_wide_sets_guest_counts_beside_system_samples),
		cmocka_unit_test(guest_wide_without_symbols_says_so),
		cmocka_unit_test(a_lossy_capture_is_decoded_once),
		cmocka_unit_test(a_lossy_capture_is_decoded_once_caller_graphs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
