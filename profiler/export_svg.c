/* convert --to svg: an interactive flame graph in one self-contained SVG file (no external
 * resources): the stacks merged into a tree, "all" (the total) at the bottom, then the domain,
 * the process, and the frames from the outermost caller up to the sampled function; a box's
 * width is its event count.  Colours tell kinds apart: domain and process rows blue, guest
 * kernel frames orange, guest user frames green, hypervisor rows red; or, toggled by "Colour",
 * one hue per domain (data-ck and data-cd hold both colours of a box).  Its script: click a box
 * to zoom to it, the bottom row, "Reset zoom" or Escape to reset, "Search" (or Ctrl-F) to
 * highlight the frames matching a regular expression and show their share.  Every box is a
 * <g class="fg"> with its name (data-n), event count (data-w), self count (data-s), depth
 * (data-d) and kind (data-k), for other tools. */
#define _GNU_SOURCE
#include "export.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define SVG_W      1200
#define SVG_ROW    17
#define SVG_TOP    36  /* title and controls */
#define SVG_BOTTOM 24  /* details line */

enum { K_ALL, K_DOMAIN, K_PROCESS, K_KERNEL, K_USER, K_HV };
static const char *const kind_names[] = { "all", "domain", "process", "kernel", "user", "hypervisor" };

struct node {
	uint32_t name;      /* in tree.names */
	int kind;
	uint64_t weight, self;
	uint32_t child, next;
	uint32_t depth;
};

struct tree {
	struct node *v;
	size_t n, cap;
	struct hmap idx;    /* (parent, name, kind) -> node */
	struct strtab names;
	uint32_t maxdepth;
};

static uint32_t child(struct tree *t, uint32_t parent, const char *name, int kind)
{
	uint32_t nm = strtab_intern(&t->names, name);
	struct hkey k = { parent, nm, (uint64_t)kind };
	uint32_t id = hmap_get(&t->idx, k);
	if (id != HMAP_NONE)
		return id;
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 256;
		t->v = xrealloc(t->v, t->cap * sizeof(*t->v));
	}
	id = (uint32_t)t->n++;
	t->v[id] = (struct node){ .name = nm, .kind = kind, .child = HMAP_NONE, .next = HMAP_NONE,
				  .depth = parent == HMAP_NONE ? 0 : t->v[parent].depth + 1 };
	if (parent != HMAP_NONE) {
		t->v[id].next = t->v[parent].child;
		t->v[parent].child = id;
	}
	if (t->v[id].depth > t->maxdepth)
		t->maxdepth = t->v[id].depth;
	hmap_put(&t->idx, k, id);
	return id;
}

static const struct tree *cmp_t;
static int cmp_nodes(const void *a, const void *b)
{
	const struct node *x = &cmp_t->v[*(const uint32_t *)a], *y = &cmp_t->v[*(const uint32_t *)b];
	int c = strcmp(strtab_str(&cmp_t->names, x->name), strtab_str(&cmp_t->names, y->name));
	return c ? c : x->kind - y->kind;
}

static void colour(char *buf, size_t len, int kind, const char *name)
{
	uint32_t h = 2166136261u;
	for (const char *p = name; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	int v = (int)(h % 55);
	switch (kind) {
	case K_HV: snprintf(buf, len, "rgb(%d,%d,%d)", 220 + v / 2, 60 + v, 60 + v); break;
	case K_KERNEL: snprintf(buf, len, "rgb(%d,%d,%d)", 230, 130 + v * 2, 40 + v / 2); break;
	case K_USER: snprintf(buf, len, "rgb(%d,%d,%d)", 90 + v, 190 + v / 2, 80 + v / 2); break;
	case K_ALL: snprintf(buf, len, "rgb(200,200,210)"); break;
	default: snprintf(buf, len, "rgb(%d,%d,%d)", 110 + v, 150 + v, 225); break;
	}
}

/* Colour by domain: one hue per domain (its index among the domains, golden-angle spaced), the
 * lightness varied by the frame's name. */
static void domain_colour(char *buf, size_t len, int dom, const char *name)
{
	uint32_t h = 2166136261u;
	for (const char *p = name; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	if (dom < 0) {
		snprintf(buf, len, "rgb(200,200,210)");
		return;
	}
	snprintf(buf, len, "hsl(%d,60%%,%d%%)", (dom * 137 + 30) % 360, 55 + (int)(h % 20));
}

static void emit(FILE *f, const struct tree *t, uint32_t id, uint64_t start, uint64_t total, double height, int dom)
{
	const struct node *n = &t->v[id];
	const char *name = strtab_str(&t->names, n->name);
	double scale = (double)(SVG_W - 20) / (double)total;
	double x = 10 + (double)start * scale, w = (double)n->weight * scale;
	double y = height - SVG_BOTTOM - (double)(n->depth + 1) * SVG_ROW;
	char fill[32], dfill[32];
	colour(fill, sizeof(fill), n->kind, name);
	domain_colour(dfill, sizeof(dfill), dom, name);
	fprintf(f, "<g class=\"fg\" data-x=\"%" PRIu64 "\" data-w=\"%" PRIu64 "\" data-s=\"%" PRIu64
		   "\" data-d=\"%u\" data-k=\"%s\" data-ck=\"%s\" data-cd=\"%s\" data-n=\"",
		start, n->weight, n->self, n->depth, kind_names[n->kind], fill, dfill);
	export_xml_text(f, name);
	fputs("\"><title>", f);
	export_xml_text(f, name);
	fprintf(f, " (%s, %" PRIu64 " events, %.2f%%)</title><rect x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" height=\"%d\" "
		   "fill=\"%s\" rx=\"2\"/><text x=\"%.2f\" y=\"%.1f\">",
		kind_names[n->kind], n->weight, 100.0 * (double)n->weight / (double)total, x, y, w, SVG_ROW - 1, fill,
		x + 3, y + SVG_ROW - 5);
	/* the label as the script's fit() makes it, for viewers that run no script */
	int fits = (int)((w - 6) / 7);
	size_t len = strlen(name);
	if (fits >= 3 && len <= (size_t)fits) {
		export_xml_text(f, name);
	} else if (fits >= 3) {
		size_t k = (size_t)fits - 2;
		while (k && ((unsigned char)name[k] & 0xc0) == 0x80) /* not inside a UTF-8 character */
			k--;
		char *cut = strndup(name, k);
		export_xml_text(f, cut);
		fputs("..", f);
		free(cut);
	}
	fputs("</text></g>\n", f);
	/* children left to right by name, as FlameGraph orders them */
	size_t nk = 0;
	for (uint32_t c = n->child; c != HMAP_NONE; c = t->v[c].next)
		nk++;
	if (!nk)
		return;
	uint32_t *kids = xmalloc(nk * sizeof(*kids));
	nk = 0;
	for (uint32_t c = n->child; c != HMAP_NONE; c = t->v[c].next)
		kids[nk++] = c;
	cmp_t = t;
	qsort(kids, nk, sizeof(*kids), cmp_nodes);
	uint64_t s = start;
	for (size_t i = 0; i < nk; i++) {
		/* the domains in the order drawn: their index picks their hue */
		int kd = n->depth == 0 ? (int)i : dom;
		emit(f, t, kids[i], s, total, height, kd);
		s += t->v[kids[i]].weight;
	}
	free(kids);
}

/* The viewer: plain ECMAScript, no library. */
static const char svg_script[] =
	"<script type=\"text/ecmascript\"><![CDATA[\n"
	"'use strict';\n"
	"var W = %d, PAD = 10, boxes = [], details, matched, byDomain = false;\n"
	"function paint() {\n"
	"  boxes.forEach(function (g) {\n"
	"    var r = g.querySelector('rect');\n"
	"    if (!r.hasAttribute('data-hit')) r.setAttribute('fill', attr(g, byDomain ? 'data-cd' : 'data-ck'));\n"
	"  });\n"
	"  document.getElementById('colour').textContent = 'Colour: ' + (byDomain ? 'domain' : 'kind');\n"
	"}\n"
	"function attr(g, a) { return g.getAttribute(a); }\n"
	"function fit(g) {\n"
	"  var r = g.querySelector('rect'), t = g.querySelector('text'), n = attr(g, 'data-n');\n"
	"  var w = +r.getAttribute('width'), c = Math.floor((w - 6) / 7);\n"
	"  t.setAttribute('x', +r.getAttribute('x') + 3);\n"
	"  t.textContent = c < 3 ? '' : n.length <= c ? n : n.substring(0, c - 2) + '..';\n"
	"}\n"
	"function layout(x0, w0, d0) {\n"
	"  var s = (W - 2 * PAD) / w0;\n"
	"  boxes.forEach(function (g) {\n"
	"    var x = +attr(g, 'data-x'), w = +attr(g, 'data-w'), d = +attr(g, 'data-d'), r = g.querySelector('rect');\n"
	"    var inside = x >= x0 && x + w <= x0 + w0 && d >= d0, below = d < d0 && x <= x0 && x + w >= x0 + w0;\n"
	"    g.style.display = inside || below ? '' : 'none';\n"
	"    g.style.opacity = below ? 0.6 : 1;\n"
	"    if (inside) { r.setAttribute('x', PAD + (x - x0) * s); r.setAttribute('width', w * s); }\n"
	"    else if (below) { r.setAttribute('x', PAD); r.setAttribute('width', W - 2 * PAD); }\n"
	"    fit(g);\n"
	"  });\n"
	"}\n"
	"function zoom(g) {\n"
	"  if (!g || +attr(g, 'data-d') === 0) { layout(0, +attr(boxes[0], 'data-w'), 0); return; }\n"
	"  layout(+attr(g, 'data-x'), +attr(g, 'data-w'), +attr(g, 'data-d'));\n"
	"}\n"
	"function search() {\n"
	"  var re = prompt('Regular expression to search for (empty: clear)', '');\n"
	"  if (re === null) return;\n"
	"  var rx = null, total = +attr(boxes[0], 'data-w'), sum = 0, spans = [];\n"
	"  try { rx = re ? new RegExp(re) : null; } catch (e) { alert(e); return; }\n"
	"  boxes.forEach(function (g) {\n"
	"    var m = rx && rx.test(attr(g, 'data-n')), r = g.querySelector('rect');\n"
	"    if (m) r.setAttribute('data-hit', '1'); else r.removeAttribute('data-hit');\n"
	"    r.setAttribute('fill', m ? 'rgb(230,0,230)' : attr(g, byDomain ? 'data-cd' : 'data-ck'));\n"
	"    if (m) {\n"
	"      var x = +attr(g, 'data-x'), w = +attr(g, 'data-w');\n"
	"      if (!spans.some(function (p) { return x >= p[0] && x + w <= p[1]; })) { spans.push([x, x + w]); sum += w; }\n"
	"    }\n"
	"  });\n"
	"  matched.textContent = rx ? 'Matched: ' + (100 * sum / total).toFixed(2) + '%%' : '';\n"
	"}\n"
	"window.addEventListener('load', function () {\n"
	"  boxes = Array.prototype.slice.call(document.querySelectorAll('g.fg'));\n"
	"  details = document.getElementById('details'); matched = document.getElementById('matched');\n"
	"  boxes.forEach(function (g) {\n"
	"    g.addEventListener('click', function () { zoom(g); });\n"
	"    g.addEventListener('mouseover', function () { details.textContent = g.querySelector('title').textContent; });\n"
	"    g.addEventListener('mouseout', function () { details.textContent = ' '; });\n"
	"  });\n"
	"  document.getElementById('search').addEventListener('click', search);\n"
	"  document.getElementById('colour').addEventListener('click', function () { byDomain = !byDomain; paint(); });\n"
	"  document.getElementById('reset').addEventListener('click', function () { zoom(null); });\n"
	"  window.addEventListener('keydown', function (e) {\n"
	"    if (e.key === 'Escape') zoom(null);\n"
	"    if ((e.ctrlKey || e.metaKey) && e.key === 'f') { e.preventDefault(); search(); }\n"
	"  });\n"
	"  zoom(null);\n"
	"});\n"
	"]]></script>\n";

int export_write_svg(FILE *f, const struct export *x, const char *title)
{
	struct tree t = { 0 };
	strtab_init(&t.names);
	uint32_t root = child(&t, HMAP_NONE, "all", K_ALL);
	char db[32], pb[64];
	for (size_t i = 0; i < x->nstacks; i++) {
		const struct export_stack *s = &x->stacks[i];
		if (!s->weight)
			continue;
		uint32_t n = child(&t, root, export_domain(x, s->domain, db, sizeof(db)), K_DOMAIN);
		t.v[n].weight += s->weight;
		n = child(&t, n, export_process(x, s->proc, pb, sizeof(pb)), K_PROCESS);
		t.v[n].weight += s->weight;
		int kind = s->level == 'k' ? K_HV : s->level == '.' ? K_USER : K_KERNEL;
		/* as report: a kernel sample taken in the upper half of the address space (Linux)
		 * has its chain's frames below that half in user space */
		bool high = x->frames[x->chain[s->first]].ip >> 63;
		for (uint32_t j = s->depth; j-- > 0;) {
			const struct export_frame *fr = &x->frames[x->chain[s->first + j]];
			int k = kind == K_KERNEL && high && !(fr->ip >> 63) && !fr->hv_row ? K_USER : kind;
			n = child(&t, n, export_sym(x, x->chain[s->first + j]), k);
			t.v[n].weight += s->weight;
		}
		t.v[n].self += s->weight;
		t.v[root].weight += s->weight;
	}
	double height = SVG_TOP + SVG_BOTTOM + (double)(t.maxdepth + 1) * SVG_ROW + 4;
	fprintf(f, "<?xml version=\"1.0\" standalone=\"no\"?>\n"
		   "<svg version=\"1.1\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%.0f\" "
		   "viewBox=\"0 0 %d %.0f\" font-family=\"monospace\" font-size=\"12\">\n",
		SVG_W, height, SVG_W, height);
	fprintf(f, svg_script, SVG_W);
	fputs("<style>g.fg:hover rect { stroke: black; stroke-width: 0.5; } g.fg text { pointer-events: none; }"
	      " .btn { cursor: pointer; fill: rgb(40,40,160); }</style>\n", f);
	fprintf(f, "<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%.0f\" fill=\"rgb(248,248,244)\"/>\n", SVG_W, height);
	fprintf(f, "<text x=\"%d\" y=\"22\" text-anchor=\"middle\" font-size=\"16\">perfvisor: ", SVG_W / 2);
	export_xml_text(f, title);
	fprintf(f, " (%s)</text>\n", export_event(x));
	fputs("<text id=\"reset\" class=\"btn\" x=\"10\" y=\"22\">Reset zoom</text>\n", f);
	fprintf(f, "<text id=\"search\" class=\"btn\" x=\"%d\" y=\"22\" text-anchor=\"end\">Search</text>\n", SVG_W - 10);
	fputs("<text id=\"colour\" class=\"btn\" x=\"110\" y=\"22\">Colour: kind</text>\n", f);
	fprintf(f, "<text id=\"matched\" x=\"%d\" y=\"%.0f\" text-anchor=\"end\"></text>\n", SVG_W - 10, height - 8);
	fprintf(f, "<text id=\"details\" x=\"10\" y=\"%.0f\"> </text>\n", height - 8);
	if (t.v[root].weight)
		emit(f, &t, root, 0, t.v[root].weight, height, -1);
	fputs("</svg>\n", f);
	free(t.v);
	hmap_free(&t.idx);
	strtab_free(&t.names);
	return ferror(f) ? -1 : 0;
}
