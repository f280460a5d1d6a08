/* convert --to pprof: pprof's profile.proto (profiler/proto/profile.proto, the subset written),
 * encoded by protobuf-c and gzipped by zlib, as go tool pprof reads it:
 *   sample types  samples/count and EVENT/events (the default): the stack's sample count and
 *                 event count (the report's weights)
 *   samples       one per distinct stack, locations leaf first, labels domain, process and
 *                 level (kernel, user or hypervisor) as strings, pid (the domain id) a number
 *   locations     one per distinct (domain, address), one line: its function and source line
 *   functions     one per distinct (symbol, dso); mappings one per (domain, dso), guests' first
 *                 (pprof names the profile after the first), has_functions set: pprof takes
 *                 the names as they are and symbolizes nothing. */
#define _GNU_SOURCE
#include "export.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "profile.pb-c.h"
#include "util.h"

typedef Perftools__Profiles__Profile Profile;
typedef Perftools__Profiles__ValueType ValueType;
typedef Perftools__Profiles__Sample Sample;
typedef Perftools__Profiles__Label Label;
typedef Perftools__Profiles__Mapping Mapping;
typedef Perftools__Profiles__Location Location;
typedef Perftools__Profiles__Line Line;
typedef Perftools__Profiles__Function Function;

#define NLABELS 4

static int64_t str_id(struct strtab *t, const char *s)
{
	return (int64_t)strtab_intern(t, s);
}

static int64_t line_of(const char *srcline)
{
	const char *c = strrchr(srcline, ':');
	return c ? strtoll(c + 1, NULL, 10) : 0;
}

int export_gzip(FILE *f, const uint8_t *buf, size_t len)
{
	z_stream z;
	memset(&z, 0, sizeof(z));
	if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return -1;
	static uint8_t out[1 << 16];
	z.next_in = (Bytef *)buf;
	z.avail_in = (uInt)len;
	int rc;
	do {
		z.next_out = out;
		z.avail_out = sizeof(out);
		rc = deflate(&z, Z_FINISH);
		size_t n = sizeof(out) - z.avail_out;
		if (rc == Z_STREAM_ERROR || fwrite(out, 1, n, f) != n) {
			deflateEnd(&z);
			return -1;
		}
	} while (rc != Z_STREAM_END);
	deflateEnd(&z);
	return 0;
}

static const char *level_name(char level)
{
	return level == 'k' ? "hypervisor" : level == '.' ? "user" : "kernel";
}

/* The tables pprof needs besides the samples. */
struct tables {
	struct strtab st;
	struct hmap midx, fidx;
	Mapping *maps;
	Function *funcs;
	Location *locs;
	Line *lines;
	Line **linep;
	size_t nmaps, nfuncs, nlocs;
	uint64_t *loc_id; /* per export frame */
};

static void add_location(struct tables *t, const struct export *x, size_t i)
{
	const struct export_frame *fr = &x->frames[i];
	const struct report_loc *l = &x->r.locs[fr->loc];
	struct hkey mk = { (uint64_t)fr->domain, l->dso, 0 };
	uint32_t m = hmap_get(&t->midx, mk);
	if (m == HMAP_NONE) {
		m = (uint32_t)t->nmaps++;
		hmap_put(&t->midx, mk, m);
		perftools__profiles__mapping__init(&t->maps[m]);
		t->maps[m].id = m + 1;
		t->maps[m].filename = str_id(&t->st, strtab_str(&x->r.strs, l->dso));
		t->maps[m].has_functions = true;
	}
	struct hkey fk = { l->sym, l->dso, 0 };
	uint32_t fn = hmap_get(&t->fidx, fk);
	if (fn == HMAP_NONE) {
		fn = (uint32_t)t->nfuncs++;
		hmap_put(&t->fidx, fk, fn);
		perftools__profiles__function__init(&t->funcs[fn]);
		t->funcs[fn].id = fn + 1;
		t->funcs[fn].name = t->funcs[fn].system_name = str_id(&t->st, strtab_str(&x->r.strs, l->sym));
		t->funcs[fn].filename = str_id(&t->st, strtab_str(&x->r.strs, l->dso));
	}
	size_t li = t->nlocs++;
	perftools__profiles__line__init(&t->lines[li]);
	t->lines[li].function_id = fn + 1;
	t->lines[li].line = line_of(strtab_str(&x->r.strs, l->srcline));
	t->linep[li] = &t->lines[li];
	perftools__profiles__location__init(&t->locs[li]);
	t->locs[li].id = li + 1;
	t->locs[li].mapping_id = m + 1;
	t->locs[li].address = fr->ip;
	t->locs[li].n_line = 1;
	t->locs[li].line = &t->linep[li];
	t->loc_id[i] = li + 1;
}

/* An array of pointers to the n elements of v (protobuf-c's repeated messages). */
static void **ptrs(void *v, size_t size, size_t n)
{
	void **p = xmalloc((n + 1) * sizeof(*p));
	for (size_t i = 0; i < n; i++)
		p[i] = (char *)v + i * size;
	return p;
}

int export_write_pprof(FILE *f, const struct export *x)
{
	struct tables t = { 0 };
	strtab_init(&t.st); /* id 0 is "": pprof's string_table[0] */
	size_t nf = x->nframes + 1;
	t.maps = xmalloc(nf * sizeof(*t.maps));
	t.funcs = xmalloc(nf * sizeof(*t.funcs));
	t.locs = xmalloc(nf * sizeof(*t.locs));
	t.lines = xmalloc(nf * sizeof(*t.lines));
	t.linep = xmalloc(nf * sizeof(*t.linep));
	t.loc_id = calloc(nf, sizeof(*t.loc_id));
	if (!t.loc_id)
		abort();
	for (int pass = 0; pass < 2; pass++) /* the guests' frames first, then the hypervisor's */
		for (size_t i = 0; i < x->nframes; i++)
			if (x->frames[i].loc != HMAP_NONE && (x->frames[i].hv_row || x->frames[i].domain == 0) == pass)
				add_location(&t, x, i);

	Sample *samples = xmalloc((x->nstacks + 1) * sizeof(*samples));
	Label *labels = xmalloc((x->nstacks + 1) * NLABELS * sizeof(*labels));
	Label **labelp = (Label **)ptrs(labels, sizeof(*labels), (x->nstacks + 1) * NLABELS);
	int64_t *values = xmalloc((x->nstacks + 1) * 2 * sizeof(*values));
	uint64_t *ids = xmalloc((x->nchain + 1) * sizeof(*ids));
	size_t nsamples = 0;
	char db[32], pb[64];
	int64_t k_domain = str_id(&t.st, "domain"), k_process = str_id(&t.st, "process"),
		k_level = str_id(&t.st, "level"), k_pid = str_id(&t.st, "pid");
	for (size_t i = 0; i < x->nstacks; i++) {
		const struct export_stack *s = &x->stacks[i];
		if (!s->weight)
			continue;
		Sample *sm = &samples[nsamples];
		perftools__profiles__sample__init(sm);
		for (uint32_t j = 0; j < s->depth; j++)
			ids[s->first + j] = t.loc_id[x->chain[s->first + j]];
		sm->n_location_id = s->depth;
		sm->location_id = ids + s->first;
		sm->n_value = 2;
		sm->value = values + 2 * nsamples;
		sm->value[0] = (int64_t)s->samples;
		sm->value[1] = (int64_t)s->weight;
		Label *lb = labels + NLABELS * nsamples;
		for (int j = 0; j < NLABELS; j++)
			perftools__profiles__label__init(&lb[j]);
		lb[0].key = k_domain;
		lb[0].str = str_id(&t.st, export_domain(x, s->domain, db, sizeof(db)));
		lb[1].key = k_process;
		lb[1].str = str_id(&t.st, export_process(x, s->proc, pb, sizeof(pb)));
		lb[2].key = k_level;
		lb[2].str = str_id(&t.st, level_name(s->level));
		lb[3].key = k_pid;
		lb[3].num = s->domain;
		sm->n_label = NLABELS;
		sm->label = labelp + NLABELS * nsamples;
		nsamples++;
	}

	ValueType types[2], period_type;
	ValueType *typep[2] = { &types[0], &types[1] };
	perftools__profiles__value_type__init(&types[0]);
	perftools__profiles__value_type__init(&types[1]);
	types[0].type = str_id(&t.st, "samples");
	types[0].unit = str_id(&t.st, "count");
	types[1].type = str_id(&t.st, export_event(x));
	types[1].unit = str_id(&t.st, "events");
	period_type = types[1];

	Profile p;
	perftools__profiles__profile__init(&p);
	p.n_sample_type = 2;
	p.sample_type = typep;
	p.default_sample_type = types[1].type;
	p.period_type = &period_type;
	p.period = (int64_t)x->r.hdr.period;
	int64_t comment = str_id(&t.st, "perfvisor convert: event counts of the guests and of the hypervisor");
	p.n_comment = 1;
	p.comment = &comment;
	p.n_sample = nsamples;
	p.sample = (Sample **)ptrs(samples, sizeof(*samples), nsamples);
	p.n_mapping = t.nmaps;
	p.mapping = (Mapping **)ptrs(t.maps, sizeof(*t.maps), t.nmaps);
	p.n_location = t.nlocs;
	p.location = (Location **)ptrs(t.locs, sizeof(*t.locs), t.nlocs);
	p.n_function = t.nfuncs;
	p.function = (Function **)ptrs(t.funcs, sizeof(*t.funcs), t.nfuncs);
	/* the string table last: every string is interned by now */
	p.n_string_table = t.st.n;
	p.string_table = t.st.strs;

	size_t len = perftools__profiles__profile__get_packed_size(&p);
	uint8_t *buf = xmalloc(len + 1);
	perftools__profiles__profile__pack(&p, buf);
	int rc = export_gzip(f, buf, len);

	free(buf);
	free(p.sample);
	free(p.mapping);
	free(p.location);
	free(p.function);
	free(samples);
	free(labels);
	free(labelp);
	free(values);
	free(ids);
	free(t.maps);
	free(t.funcs);
	free(t.locs);
	free(t.lines);
	free(t.linep);
	free(t.loc_id);
	hmap_free(&t.midx);
	hmap_free(&t.fidx);
	strtab_free(&t.st);
	return rc || ferror(f) ? -1 : 0;
}
