/* perfvisor report: aggregating capture events into histogram entries (see report.h). */
#define _GNU_SOURCE
#include "report.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "console.h"
#include "../include/perfvisor/visible.h"
#include "util.h"

static const char *const key_names[RK_NKEYS] = {
	[RK_DOMAIN] = "domain", [RK_PROCESS] = "process", [RK_SYM] = "sym",
	[RK_SRCLINE] = "srcline", [RK_DSO] = "dso", [RK_PID] = "pid", [RK_COMM] = "comm",
};

const char *report_key_name(enum report_key k)
{
	return key_names[k];
}

static const char *const field_names[RF_KEY] = {
	[RF_OVERHEAD] = "overhead", [RF_CHILDREN] = "overhead_children", [RF_SAMPLE] = "sample",
	[RF_PERIOD] = "period",
};

int report_parse_fields(struct report_opts *o, const char *fields, bool sort_given, const char **bad)
{
	static char badbuf[64];
	struct report_opts keys = *o;
	keys.nsort = 0;
	o->nfields = 0;
	for (const char *p = fields; *p;) {
		size_t n = strcspn(p, ",");
		int f = -1;
		for (int i = 0; i < RF_KEY && f < 0; i++)
			if (strlen(field_names[i]) == n && !strncmp(p, field_names[i], n))
				f = i;
		if (f < 0 && n == 8 && !strncmp(p, "children", 8))
			f = RF_CHILDREN;
		if (f < 0 && n == 7 && !strncmp(p, "samples", 7))
			f = RF_SAMPLE;
		for (int k = 0; k < RK_NKEYS && f < 0; k++)
			if (strlen(key_names[k]) == n && !strncmp(p, key_names[k], n))
				f = RF_KEY + k;
		if (f < 0 || o->nfields == (int)(sizeof(o->fields) / sizeof(o->fields[0]))) {
			snprintf(badbuf, sizeof(badbuf), "%.*s", (int)(n < 60 ? n : 60), p);
			*bad = badbuf;
			return -1;
		}
		o->fields[o->nfields++] = f;
		if (f == RF_CHILDREN)
			o->children = true;
		if (f >= RF_KEY && keys.nsort < RK_NKEYS)
			keys.sort[keys.nsort++] = f - RF_KEY;
		p += n;
		if (*p == ',')
			p++;
	}
	if (!o->nfields) {
		*bad = "";
		return -1;
	}
	if (!sort_given && keys.nsort) {
		o->nsort = keys.nsort;
		memcpy(o->sort, keys.sort, sizeof(o->sort));
	}
	/* a key column must be one the rows are told apart by */
	for (int i = 0; i < o->nfields; i++) {
		if (o->fields[i] < RF_KEY)
			continue;
		int j;
		for (j = 0; j < o->nsort && (int)o->sort[j] != o->fields[i] - RF_KEY; j++)
			;
		if (j == o->nsort) {
			*bad = key_names[o->fields[i] - RF_KEY];
			return -1;
		}
	}
	return 0;
}

int report_parse_callgraph(struct report_opts *o, const char *arg)
{
	char buf[128];
	str_copy(buf, sizeof(buf), arg);
	if (strlen(arg) >= sizeof(buf) || !*arg)
		return -1;
	for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		char *end;
		double v = strtod(t, &end);
		if (!strcmp(t, "caller"))
			o->caller = true;
		else if (!strcmp(t, "callee"))
			o->caller = false;
		else if (!strcmp(t, "graph"))
			;
		else if (end != t && !*end && v >= 0 && v <= 100)
			o->graph_limit = v;
		else
			return -1;
	}
	return 0;
}

int report_parse_sort(struct report_opts *o, const char *keys, const char **bad)
{
	static char badbuf[64];
	o->nsort = 0;
	const char *p = keys;
	while (*p) {
		size_t n = strcspn(p, ",");
		int k;
		for (k = 0; k < RK_NKEYS; k++)
			if (strlen(key_names[k]) == n && !strncmp(p, key_names[k], n))
				break;
		if (k == RK_NKEYS || n == 0 || o->nsort == RK_NKEYS) {
			snprintf(badbuf, sizeof(badbuf), "%.*s", (int)(n < 60 ? n : 60), p);
			*bad = badbuf;
			return -1;
		}
		o->sort[o->nsort++] = k;
		p += n;
		if (*p == ',')
			p++;
	}
	if (!o->nsort) {
		*bad = "";
		return -1;
	}
	return 0;
}

static bool has_key(const struct report *r, enum report_key k)
{
	return r->keymask >> k & 1;
}

void report_init(struct report *r, const struct report_opts *o, const struct report_resolver *res)
{
	memset(r, 0, sizeof(*r));
	r->opts = *o;
	if (res)
		r->resolver = *res;
	strtab_init(&r->strs);
	for (int i = 0; i < r->opts.nsort; i++)
		r->keymask |= 1u << r->opts.sort[i];
	r->cache_gen = 1;
}

void report_free(struct report *r)
{
	strtab_free(&r->strs);
	hmap_free(&r->loc_index);
	hmap_free(&r->proc_index);
	hmap_free(&r->entry_index);
	free(r->locs);
	free(r->procs);
	free(r->entries);
	free(r->nodes);
	free(r->cache);
	free(r->scale_log.v);
	for (int d = 0; d < CAP_MAX_DOMAINS; d++)
		free(r->gw[d].syms);
	memset(r, 0, sizeof(*r));
}

/* (domain, ip) -> interned symbol, source line and image, resolved once; a Linux task's
 * user-space addresses per (domain, executable, ip), through resolve_user (user: the task's
 * process, else NULL). */
static uint32_t loc_of_comm(struct report *r, int domain, uint64_t ip, const struct report_proc *user)
{
	struct hkey k = { (uint64_t)domain, ip, user ? 16 + (uint64_t)user->ukey : 0 };
	uint32_t id = hmap_get(&r->loc_index, k);
	if (id != HMAP_NONE)
		return id;
	struct report_sym s;
	memset(&s, 0, sizeof(s));
	if (user) {
		struct report_task_exe x = { .comm = strtab_str(&r->strs, user->comm), .has_exe = user->has_exe,
					     .entry = user->exe_entry, .build_id = user->build_id,
					     .build_id_len = user->build_id_len };
		r->resolver.resolve_user(r->resolver.ctx, &r->hdr, domain, &x, ip, &s);
	} else if (r->resolver.resolve)
		r->resolver.resolve(r->resolver.ctx, &r->hdr, domain, ip, &s);
	bool named = s.name[0];
	if (!named)
		snprintf(s.name, sizeof(s.name), "[unknown] 0x%" PRIx64, ip);
	GROW(r->locs, r->nlocs, r->caplocs);
	id = (uint32_t)r->nlocs++;
	r->locs[id] = (struct report_loc){ .domain = domain, .named = named, .ip = ip, .symoff = named ? s.symoff : 0 };
	r->locs[id].sym = strtab_intern(&r->strs, s.name);
	r->locs[id].srcline = strtab_intern(&r->strs, s.srcline[0] ? s.srcline : "??:0");
	r->locs[id].dso = strtab_intern(&r->strs, s.dso[0] ? s.dso : "[unknown]");
	hmap_put(&r->loc_index, k, id);
	return id;
}

static uint32_t proc_of(struct report *r, int domain, uint64_t cr3)
{
	struct hkey k = { (uint64_t)domain, cr3, 1 };
	uint32_t id = hmap_get(&r->proc_index, k);
	if (id != HMAP_NONE)
		return id;
	GROW(r->procs, r->nprocs, r->capprocs);
	id = (uint32_t)r->nprocs++;
	r->procs[id] = (struct report_proc){ .domain = domain, .cr3 = cr3 };
	hmap_put(&r->proc_index, k, id);
	return id;
}

/* The entry for a row; only the selected sort keys tell rows apart. */
static struct report_entry *entry_of(struct report *r, int domain, char level, uint32_t proc, uint32_t loc_id)
{
	const struct report_loc *loc = &r->locs[loc_id];
	uint64_t d = has_key(r, RK_DOMAIN) ? (uint64_t)domain + 1 : 0;
	uint64_t s = has_key(r, RK_SYM) ? loc->sym : 0;
	uint64_t l = has_key(r, RK_SRCLINE) ? loc->srcline : 0;
	uint64_t o = has_key(r, RK_DSO) ? loc->dso : 0;
	uint64_t lv = has_key(r, RK_SYM) ? (uint64_t)(unsigned char)level : 0;
	/* The process as displayed: its name once a PROCESS event gave one, else its CR3 (page
	 * aligned, so 1 is free for the hypervisor rows); the same in every domain unless the
	 * domain is a key too. */
	uint64_t p = 0;
	if (has_key(r, RK_PROCESS)) {
		if (proc == REPORT_PROC_HV)
			p = 1;
		else if (r->procs[proc].task) /* a Linux task: by its id, so that a reused pid is apart */
			p = 3ull << 60 | (uint64_t)domain << 32 | r->procs[proc].task;
		else if (r->procs[proc].name)
			p = 1ull << 63 | r->procs[proc].name;
		else
			p = r->procs[proc].cr3 & ~(1ull << 63);
	} else if (has_key(r, RK_PID) || has_key(r, RK_COMM)) {
		/* a task's pid (+1; 0: none) and comm, or the hypervisor's rows */
		uint64_t pid = proc != REPORT_PROC_HV && r->procs[proc].task ? r->procs[proc].pid + 1ull : 0;
		uint64_t comm = proc == REPORT_PROC_HV ? 1 : r->procs[proc].comm ? 2 + (uint64_t)r->procs[proc].comm : 0;
		p = 1ull << 62 | (has_key(r, RK_PID) ? pid << 32 : 0) | (has_key(r, RK_COMM) ? comm : 0);
		if (has_key(r, RK_COMM) && proc != REPORT_PROC_HV && !r->procs[proc].comm)
			p |= 1ull << 61 | (r->procs[proc].cr3 & 0xFFFFFFFFull); /* unnamed: by CR3 */
	}
	struct hkey k = { d | lv << 8 | o << 16, s | l << 32, p };
	uint32_t id = hmap_get(&r->entry_index, k);
	if (id == HMAP_NONE) {
		GROW(r->entries, r->nentries, r->capentries);
		id = (uint32_t)r->nentries++;
		struct report_entry *e = &r->entries[id];
		memset(e, 0, sizeof(*e));
		e->domain = domain;
		e->level = level;
		e->proc = proc;
		e->sym = loc->sym;
		e->srcline = loc->srcline;
		e->dso = loc->dso;
		e->graph = HMAP_NONE;
		hmap_put(&r->entry_index, k, id);
	}
	return &r->entries[id];
}

static uint32_t new_node(struct report *r, uint32_t sym)
{
	GROW(r->nodes, r->nnodes, r->capnodes);
	uint32_t id = (uint32_t)r->nnodes++;
	r->nodes[id] = (struct report_node){ .sym = sym, .weight = 0, .child = HMAP_NONE, .next = HMAP_NONE };
	return id;
}

static uint32_t child_of(struct report *r, uint32_t parent, uint32_t sym)
{
	uint32_t c;
	for (c = r->nodes[parent].child; c != HMAP_NONE; c = r->nodes[c].next)
		if (r->nodes[c].sym == sym)
			return c;
	c = new_node(r, sym); /* may move r->nodes */
	r->nodes[c].next = r->nodes[parent].child;
	r->nodes[parent].child = c;
	return c;
}

/* Call chains hold return addresses: the call is the instruction before. */
static uint64_t caller_ip(uint64_t ret)
{
	return ret ? ret - 1 : 0;
}

/* The entry a sample of domain d at (level, cr3, ip) adds to, and its loc in *loc: from the
 * cache, else through proc_of, loc_of and entry_of (which create them in first-seen order). */
static inline uint32_t sample_entry(struct report *r, int d, char level, uint64_t cr3, uint64_t ip, uint32_t *loc)
{
	uint32_t dl = (uint32_t)d | (uint32_t)(unsigned char)level << 8;
	uint64_t h = ip * 0x9e3779b97f4a7c15ull ^ cr3 * 0xc2b2ae3d27d4eb4full ^ (uint64_t)dl * 0x165667b19e3779f9ull;
	struct report_cache_slot *c = &r->cache[h >> 52];
	if (c->gen == r->cache_gen && c->ip == ip && c->cr3 == cr3 && c->dl == dl) {
		*loc = c->loc;
		return c->entry;
	}
	uint32_t proc = d == 0 ? REPORT_PROC_HV : proc_of(r, d, cr3);
	const struct report_proc *user = level == '.' && proc != REPORT_PROC_HV && r->procs[proc].task &&
						 r->resolver.resolve_user ? &r->procs[proc] : NULL;
	uint32_t l = loc_of_comm(r, d, ip, user);
	struct report_entry *e = entry_of(r, d, level, proc, l);
	*c = (struct report_cache_slot){ .ip = ip, .cr3 = cr3, .dl = dl, .gen = r->cache_gen, .loc = l,
					  .entry = (uint32_t)(e - r->entries) };
	*loc = l;
	return c->entry;
}

/* The scale log (report.scale_log): per guest sample of the software backend, what it added its
 * weight to, so that report_finish can scale the rows of domains that lost samples without a
 * second pass over the capture:
 *   domain | SCALE_LOG_WEIGHT, [weight low, high 32 bits: only with that flag, else the
 *   period], entry, loc,
 *   with --children: n, the n distinct entries of the chain (the sample's own first),
 *   with -g:         n, the n call-graph nodes the sample added to (each graph's from the
 *                    root down). */
/* u32s one sample may add: the head, the children list, and with -g up to a path per entry */
#define SCALE_LOG_MAX (5 + (CAP_MAX_CHAIN + 2) + 1 + (CAP_MAX_CHAIN + 1) * (CAP_MAX_CHAIN + 2))
#define SCALE_LOG_WEIGHT 0x100u                      /* the weight is not the period */

static bool may_scale(const struct report *r, int d)
{
	return d > 0 && r->have_hdr && r->hdr.backend == CAP_BACKEND_SOFTWARE;
}

static uint32_t *scale_log_reserve(struct report *r)
{
	struct report_scale_log *l = &r->scale_log;
	if (l->cap - l->n < SCALE_LOG_MAX) {
		l->cap = l->cap ? l->cap * 2 : 1 << 18;
		l->v = xrealloc(l->v, l->cap * sizeof(*l->v));
	}
	return l->v + l->n;
}

/* A frame of a chain: the chain of a guest kernel sample taken in the upper half of a 64-bit
 * address space (Linux) may go on into user space, the frames below that half.  A kernel that
 * runs low (our 32-bit guests, a 64-bit multiboot kernel mapped 1:1) has its callers low too. */
static char chain_level(int d, char level, uint64_t ip, uint64_t ret)
{
	if (d != 0 && level == 'g' && (ip >> 63) && !(ret >> 63) && ret)
		return '.';
	return level;
}

static void add_sample(struct report *r, const struct pv_event *ev)
{
	int d = ev->domain;
	char level = d == 0 ? 'k' : ev->cpl == 3 ? '.' : 'g';
	uint64_t w = ev->weight;
	if (!r->cache)
		r->cache = memset(xmalloc(REPORT_CACHE_SLOTS * sizeof(*r->cache)), 0, REPORT_CACHE_SLOTS * sizeof(*r->cache));
	if (r->have_hdr && r->hdr.flags & CAP_HDR_CALLCHAIN) {
		r->dom[d].chain_samples++;
		if (ev->depth > r->dom[d].max_depth)
			r->dom[d].max_depth = ev->depth;
	}
	uint32_t loc;
	uint64_t cr3 = ev->task ? PV_TASK_KEY(ev->task) : ev->cr3; /* a Linux task: its process */
	uint32_t ei = sample_entry(r, d, level, cr3, ev->ip, &loc);
	struct report_entry *e = &r->entries[ei];
	e->self += w;
	e->samples++;
	r->locs[loc].weight += w;
	r->locs[loc].samples++;
	r->total += w;
	if (d == 0)
		r->hv_rows_weight += w;
	uint32_t *lg = NULL, nl = 0;
	if (may_scale(r, d)) {
		lg = scale_log_reserve(r);
		if (w == r->hdr.period) {
			lg[nl++] = (uint32_t)d;
		} else {
			lg[nl++] = (uint32_t)d | SCALE_LOG_WEIGHT;
			lg[nl++] = (uint32_t)w;
			lg[nl++] = (uint32_t)(w >> 32);
		}
		lg[nl++] = ei;
		lg[nl++] = loc;
	}
	if (!r->opts.children && !r->opts.callgraph) {
		r->scale_log.n += nl;
		return;
	}
	int depth = ev->depth < 0 ? 0 : ev->depth > CAP_MAX_CHAIN ? CAP_MAX_CHAIN : ev->depth;
	uint32_t locs[CAP_MAX_CHAIN], ents[CAP_MAX_CHAIN];
	for (int i = 0; i < depth; i++)
		ents[i] = sample_entry(r, d, chain_level(d, level, ev->ip, ev->chain[i]), cr3, caller_ip(ev->chain[i]),
				       &locs[i]);

	if (r->opts.children) {
		/* Every distinct entry on the chain (recursion counts once) gets the weight. */
		uint32_t seen[CAP_MAX_CHAIN + 1];
		int nseen = 0;
		r->entries[ei].children += w;
		seen[nseen++] = ei;
		for (int i = 0; i < depth; i++) {
			uint32_t ci = ents[i];
			int j;
			for (j = 0; j < nseen && seen[j] != ci; j++)
				;
			if (j == nseen) {
				seen[nseen++] = ci;
				r->entries[ci].children += w;
			}
		}
		if (lg) {
			lg[nl++] = (uint32_t)nseen;
			memcpy(lg + nl, seen, (size_t)nseen * sizeof(seen[0]));
			nl += (uint32_t)nseen;
		}
	}
	if (r->opts.callgraph) {
		/* The syms from the sampled function (0) out to the outermost caller (depth). */
		uint32_t path[CAP_MAX_CHAIN + 1];
		path[0] = r->locs[loc].sym;
		for (int i = 0; i < depth; i++)
			path[i + 1] = r->locs[locs[i]].sym;
		uint32_t *lgn = NULL;
		if (lg) {
			lgn = &lg[nl++];
			*lgn = 0;
		}
		/* The graph of each entry the sample adds to: the sampled one (position 0) and, with
		 * --children, each distinct caller.  Callee order: the entry, then its callers outward;
		 * caller order: with --children the entry, then its callees down to the sampled
		 * function; without, the whole chain from the outermost caller down. */
		uint32_t done[CAP_MAX_CHAIN + 1];
		int ndone = 0;
		for (int pos = 0; pos <= (r->opts.children ? depth : 0); pos++) {
			uint32_t ent = pos == 0 ? ei : ents[pos - 1];
			int j;
			for (j = 0; j < ndone && done[j] != ent; j++)
				;
			if (j < ndone)
				continue; /* recursion: once per sample, at its innermost position */
			done[ndone++] = ent;
			if (r->entries[ent].graph == HMAP_NONE) {
				uint32_t root = new_node(r, path[pos]);
				r->entries[ent].graph = root;
			}
			uint32_t node = r->entries[ent].graph;
			r->nodes[node].weight += w;
			if (lg)
				lg[nl++] = node;
			int from, to, step;
			if (!r->opts.caller) {
				from = pos + 1, to = depth + 1, step = 1;
			} else if (r->opts.children) {
				from = pos - 1, to = -1, step = -1;
			} else {
				from = depth, to = -1, step = -1;
			}
			for (int i = from; i != to; i += step) {
				node = child_of(r, node, path[i]);
				r->nodes[node].weight += w;
				if (lg)
					lg[nl++] = node;
			}
		}
		if (lgn)
			*lgn = (uint32_t)(&lg[nl] - lgn - 1);
	}
	r->scale_log.n += nl;
}

/* Adds to what each logged sample of a scaled domain added to the difference between its
 * scaled weight (rounded per sample, as if it had been aggregated scaled) and its weight. */
static void apply_scales(struct report *r)
{
	const uint32_t *p = r->scale_log.v, *end = p + r->scale_log.n;
	while (p < end) {
		int d = (int)(p[0] & 0xff);
		uint64_t w = r->hdr.period;
		if (p[0] & SCALE_LOG_WEIGHT) {
			w = p[1] | (uint64_t)p[2] << 32;
			p += 2;
		}
		uint64_t delta = r->scale[d] > 0 ? (uint64_t)((double)w * r->scale[d] + 0.5) - w : 0;
		r->entries[p[1]].self += delta;
		r->locs[p[2]].weight += delta;
		r->total += delta;
		p += 3;
		if (r->opts.children) {
			for (uint32_t i = 1; i <= p[0]; i++)
				r->entries[p[i]].children += delta;
			p += 1 + p[0];
		}
		if (r->opts.callgraph) {
			for (uint32_t i = 1; i <= p[0]; i++)
				r->nodes[p[i]].weight += delta;
			p += 1 + p[0];
		}
	}
}

void report_finish(struct report *r)
{
	if (report_loss_scales(r, r->scale))
		apply_scales(r);
	free(r->scale_log.v);
	memset(&r->scale_log, 0, sizeof(r->scale_log));
}

/* The console text in the capture: why a domain was stopped, and --guest-wide's lines. */
static void console_line(void *ctx, const char *line, size_t len)
{
	struct report *r = ctx;
	struct console_line_info info;
	if (console_classify(line, len, &info) == CONSOLE_DOMAIN_STOP && info.domain > 0 &&
	    info.domain < CAP_MAX_DOMAINS)
		str_copy(r->dom[info.domain].stop_reason, sizeof(r->dom[info.domain].stop_reason), info.reason);
	if (r->gw_lines)
		report_text_line(r, line, len);
}

int report_load(struct report *r, const uint8_t *data, size_t len, bool text_lines, struct pv_header *h,
		struct pv_diag *diag)
{
	r->gw_lines = text_lines;
	struct pv_parse_cb cb = { .ctx = r, .event = report_add_event, .text_line = console_line };
	memset(h, 0, sizeof(*h));
	memset(diag, 0, sizeof(*diag));
	int rc = pv_capture_parse(data, len, h, &cb, diag);
	report_finish(r);
	if (!r->have_hdr && h->valid) {
		r->hdr = *h;
		r->have_hdr = true;
	}
	return rc;
}

/* Software backend: the hypervisor's time for domain d, one row per exit reason. */
static void add_hv_time(struct report *r, const struct pv_event *ev)
{
	if (r->hdr.backend != CAP_BACKEND_SOFTWARE || !ev->ticks)
		return;
	char name[96];
	if (ev->reason == CAP_HV_REASON_EXPORT)
		snprintf(name, sizeof(name), "export:drain_rings");
	else
		snprintf(name, sizeof(name), "exit:%s", vmx_exit_reason_name(ev->reason));
	uint64_t key = (uint64_t)1 << 63 | ev->reason; /* not an address: a private loc key */
	struct hkey k = { (uint64_t)ev->domain, key, 2 };
	uint32_t loc = hmap_get(&r->loc_index, k);
	if (loc == HMAP_NONE) {
		GROW(r->locs, r->nlocs, r->caplocs);
		loc = (uint32_t)r->nlocs++;
		r->locs[loc] = (struct report_loc){ .domain = ev->domain };
		r->locs[loc].sym = strtab_intern(&r->strs, name);
		r->locs[loc].srcline = strtab_intern(&r->strs, "??:0");
		r->locs[loc].dso = strtab_intern(&r->strs, "[hypervisor]");
		hmap_put(&r->loc_index, k, loc);
	}
	struct report_entry *e = entry_of(r, ev->domain, 'k', REPORT_PROC_HV, loc);
	e->self += ev->ticks;
	e->children += ev->ticks;
	r->total += ev->ticks;
	r->hv_rows_weight += ev->ticks;
}

/* The level and process key add_sample uses for ev. */
static char sample_level(const struct pv_event *ev)
{
	return ev->domain == 0 ? 'k' : ev->cpl == 3 ? '.' : 'g';
}

static uint64_t sample_cr3(const struct pv_event *ev)
{
	return ev->task ? PV_TASK_KEY(ev->task) : ev->cr3;
}

uint32_t report_sample_loc(struct report *r, const struct pv_event *ev, int i)
{
	int d = ev->domain;
	char level = sample_level(ev);
	uint32_t loc;
	if (!r->cache)
		r->cache = memset(xmalloc(REPORT_CACHE_SLOTS * sizeof(*r->cache)), 0, REPORT_CACHE_SLOTS * sizeof(*r->cache));
	if (i < 0)
		sample_entry(r, d, level, sample_cr3(ev), ev->ip, &loc);
	else
		sample_entry(r, d, chain_level(d, level, ev->ip, ev->chain[i]), sample_cr3(ev), caller_ip(ev->chain[i]),
			     &loc);
	return loc;
}

uint32_t report_sample_proc(struct report *r, const struct pv_event *ev)
{
	return ev->domain == 0 ? REPORT_PROC_HV : proc_of(r, ev->domain, sample_cr3(ev));
}

uint32_t report_hv_loc(const struct report *r, int domain, uint32_t reason)
{
	struct hkey k = { (uint64_t)domain, (uint64_t)1 << 63 | reason, 2 };
	return hmap_get(&r->loc_index, k);
}

int report_add_event(void *ctx, const struct pv_header *h, const struct pv_event *ev)
{
	struct report *r = ctx;
	r->nevents++;
	if (h && h->valid && !r->have_hdr) {
		r->hdr = *h;
		r->have_hdr = true;
	}
	if (ev->domain < 0 || ev->domain >= CAP_MAX_DOMAINS)
		return 0;
	struct report_domain_stats *ds = &r->dom[ev->domain];
	switch (ev->kind) {
	case PV_EV_SAMPLE:
		ds->samples++;
		ds->weight += ev->weight;
		r->nsamples++;
		add_sample(r, ev);
		break;
	case PV_EV_LOST:
		ds->lost_events += ev->count;
		break;
	case PV_EV_PROCESS: {
		uint32_t p = proc_of(r, ev->domain, ev->cr3); /* may move r->procs */
		char vis[VIS_MAX * HC_NAME_MAX + 1];   /* a guest's bytes, shown as cat -v would */
		console_visible(vis, sizeof(vis), ev->name, (size_t)ev->name_len);
		if (ev->task) {        /* a Linux guest's task: "comm[pid]", or "comm[pid/tid]" */
			char nm[sizeof(vis) + 32];
			if (ev->pid == ev->tid)
				snprintf(nm, sizeof(nm), "%s[%u]", vis, ev->pid);
			else
				snprintf(nm, sizeof(nm), "%s[%u/%u]", vis, ev->pid, ev->tid);
			r->procs[p].name = strtab_intern(&r->strs, nm);
			r->procs[p].task = ev->task;
			r->procs[p].pid = ev->pid;
			r->procs[p].tid = ev->tid;
		} else {
			r->procs[p].name = strtab_intern(&r->strs, vis);
		}
		r->procs[p].comm = strtab_intern(&r->strs, vis);
		/* once known, kept; a build-id found later (its pages mapped after the first read) added */
		if (ev->task && ev->has_exe &&
		    (!r->procs[p].has_exe || (!r->procs[p].build_id_len && ev->build_id_len))) {
			r->procs[p].has_exe = true;
			r->procs[p].exe_entry = ev->exe_entry;
			r->procs[p].build_id_len = (uint8_t)ev->build_id_len;
			memcpy(r->procs[p].build_id, ev->build_id, (size_t)ev->build_id_len);
		}
		r->procs[p].ukey = r->procs[p].comm;
		if (r->procs[p].has_exe) {  /* the same comm may run other executables, or load elsewhere */
			char key[sizeof(vis) + 32 + 2 * CAP_TASK_BUILD_ID_MAX];
			snprintf(key, sizeof(key), "%s\x1f%" PRIx64 "\x1f", vis, r->procs[p].exe_entry);
			str_append_hex(key, sizeof(key), r->procs[p].build_id, r->procs[p].build_id_len);
			r->procs[p].ukey = strtab_intern(&r->strs, key);
		}
		if (++r->cache_gen == 0) { /* wrapped: no slot may look valid */
			if (r->cache)
				memset(r->cache, 0, REPORT_CACHE_SLOTS * sizeof(*r->cache));
			r->cache_gen = 1;
		}
		break;
	}
	case PV_EV_HV_TIME:
		ds->hv_ticks += ev->ticks;
		ds->hv_exits += ev->count;
		add_hv_time(r, ev);
		break;
	case PV_EV_GUEST_TIME:
		ds->guest_ticks += ev->ticks;
		break;
	case PV_EV_DOMAIN_END:
		ds->end_state = ev->state;
		ds->end_status = ev->status;
		break;
	case PV_EV_ANCHOR:
		if (ev->reason == CAP_ANCHOR_SYSCALL_ENTRY)
			ds->syscall_entry = ev->anchor;
		break;
	case PV_EV_TOTALS:
		ds->have_totals = true;
		ds->taken = ev->taken;
		ds->recorded = ev->recorded;
		ds->lost = ev->lost;
		break;
	}
	return 0;
}

uint64_t report_lost(const struct report *r)
{
	uint64_t n = 0;
	for (int d = 0; d < CAP_MAX_DOMAINS; d++)
		n += r->dom[d].have_totals ? r->dom[d].lost : r->dom[d].lost_events;
	return n;
}

/* ------------------------------------------------------------ names */

const char *report_domain_name(const struct report *r, int domain, char *buf, size_t len)
{
	if (domain == 0)
		return "perfvisor";
	for (int i = 0; i < r->hdr.ndomains; i++)
		if (r->hdr.domains[i].id == domain && r->hdr.domains[i].name[0])
			return r->hdr.domains[i].name;
	snprintf(buf, len, "domain-%d", domain);
	return buf;
}

const char *report_proc_name(const struct report *r, uint32_t proc, char *buf, size_t len)
{
	if (proc == REPORT_PROC_HV)
		return "[hypervisor]";
	const struct report_proc *p = &r->procs[proc];
	if (p->name)
		return strtab_str(&r->strs, p->name);
	if (p->cr3 == 0)
		return "[kernel]"; /* paging off: the guest kernel's physical address space */
	snprintf(buf, len, "[cr3 0x%" PRIx64 "]", p->cr3);
	return buf;
}

int64_t report_entry_pid(const struct report *r, const struct report_entry *e)
{
	if (e->proc == REPORT_PROC_HV || !r->procs[e->proc].task)
		return -1;
	return r->procs[e->proc].pid;
}

const char *report_entry_comm(const struct report *r, const struct report_entry *e, char *buf, size_t len)
{
	if (e->proc != REPORT_PROC_HV && r->procs[e->proc].comm)
		return strtab_str(&r->strs, r->procs[e->proc].comm);
	return report_proc_name(r, e->proc, buf, len);
}

const char *report_event_name(int event)
{
	static const char *const names[CAP_EVENT_COUNT] = {
		[CAP_EVENT_CYCLES] = "cycles", [CAP_EVENT_INSTRUCTIONS] = "instructions",
		[CAP_EVENT_REF_CYCLES] = "ref-cycles", [CAP_EVENT_LLC_REFS] = "llc-refs",
		[CAP_EVENT_LLC_MISSES] = "llc-misses", [CAP_EVENT_BRANCHES] = "branches",
		[CAP_EVENT_BRANCH_MISSES] = "branch-misses",
	};
	return event >= 0 && event < CAP_EVENT_COUNT ? names[event] : "unknown-event";
}

/* ------------------------------------------------------------ sorting */

static const struct report *sort_r;

static int cmp_str(uint32_t a, uint32_t b)
{
	return a == b ? 0 : strcmp(strtab_str(&sort_r->strs, a), strtab_str(&sort_r->strs, b));
}

static int cmp_entries(const void *pa, const void *pb)
{
	const struct report_entry *a = *(struct report_entry *const *)pa, *b = *(struct report_entry *const *)pb;
	uint64_t va = sort_r->opts.children ? a->children : a->self;
	uint64_t vb = sort_r->opts.children ? b->children : b->self;
	if (va != vb)
		return va > vb ? -1 : 1;
	if (a->self != b->self)
		return a->self > b->self ? -1 : 1;
	for (int i = 0; i < sort_r->opts.nsort; i++) {
		int c = 0;
		char ba[64], bb[64];
		switch (sort_r->opts.sort[i]) {
		case RK_DOMAIN:
			c = (a->domain > b->domain) - (a->domain < b->domain);
			break;
		case RK_PROCESS:
			if (a->proc != b->proc)
				c = strcmp(report_proc_name(sort_r, a->proc, ba, sizeof(ba)),
					   report_proc_name(sort_r, b->proc, bb, sizeof(bb)));
			break;
		case RK_SYM:
			c = cmp_str(a->sym, b->sym);
			if (!c)
				c = (a->level > b->level) - (a->level < b->level);
			break;
		case RK_SRCLINE:
			c = cmp_str(a->srcline, b->srcline);
			break;
		case RK_DSO:
			c = cmp_str(a->dso, b->dso);
			break;
		case RK_PID: {
			int64_t pa = report_entry_pid(sort_r, a), pb = report_entry_pid(sort_r, b);
			c = (pa > pb) - (pa < pb);
			break;
		}
		case RK_COMM:
			c = strcmp(report_entry_comm(sort_r, a, ba, sizeof(ba)), report_entry_comm(sort_r, b, bb, sizeof(bb)));
			break;
		default:
			break;
		}
		if (c)
			return c;
	}
	return 0;
}

struct report_entry **report_sorted(struct report *r, size_t *n)
{
	struct report_entry **v = xmalloc((r->nentries + 1) * sizeof(*v));
	for (size_t i = 0; i < r->nentries; i++)
		v[i] = &r->entries[i];
	sort_r = r;
	qsort(v, r->nentries, sizeof(*v), cmp_entries);
	sort_r = NULL;
	*n = r->nentries;
	return v;
}

int report_loss_scales(const struct report *r, double scale[CAP_MAX_DOMAINS])
{
	int any = 0;
	memset(scale, 0, CAP_MAX_DOMAINS * sizeof(scale[0]));
	if (!r->have_hdr || r->hdr.backend != CAP_BACKEND_SOFTWARE)
		return 0;
	for (int d = 1; d < CAP_MAX_DOMAINS; d++) {
		const struct report_domain_stats *ds = &r->dom[d];
		uint64_t lost = ds->have_totals ? ds->lost : ds->lost_events;
		if (lost && ds->weight && ds->guest_ticks > ds->weight) {
			scale[d] = (double)ds->guest_ticks / (double)ds->weight;
			any = 1;
		}
	}
	return any;
}
