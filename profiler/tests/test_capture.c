/* Capture format v1: pmu/sampling/cap_encode.c against profiler/capture.c (round trips, sizes,
 * corruption, resynchronisation) and profiler/datafile.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "capture.h"
#include "datafile.h"
#include "../../pmu/sampling/cap_encode.h"
#ifndef PV_CAP_ENCODE_LINKED /* profiler/capture.mk links pmu/sampling/cap_encode.c into the CLI objects */
#include "../../pmu/sampling/cap_encode.c"
#endif

/* ---------------------------------------------------------------- helpers */

static uint64_t rng_state;
static uint64_t rnd(void)
{
	uint64_t x = rng_state;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return rng_state = x;
}
static uint64_t rnd_below(uint64_t n) { return rnd() % n; }

struct buf {
	uint8_t *p;
	size_t len, cap;
};
static void buf_add(struct buf *b, const void *p, size_t n)
{
	if (b->len + n > b->cap) {
		b->cap = (b->len + n) * 2 + 64;
		b->p = realloc(b->p, b->cap);
		assert_non_null(b->p);
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
}
static void buf_str(struct buf *b, const char *s) { buf_add(b, s, strlen(s)); }

/* A capture under construction: its bytes, where each frame starts, the events it must give. */
struct cap {
	struct cap_encoder enc;
	struct cap_header_desc hdr;
	struct buf bytes;
	size_t frame_start[4096], frame_len[4096];
	size_t nframes;
	size_t frame_first_ev[4096], frame_nev[4096];   /* events of each frame */
	struct pv_event *ev;
	size_t nev, capev;
	uint64_t cur_tsc;                                  /* tsc control records get */
	size_t open_first_ev;                              /* events of the open payload */
};

static void cap_frame(struct cap *c, const uint8_t *f, size_t n, size_t first_ev, size_t nev)
{
	assert_true(c->nframes < 4096);
	c->frame_start[c->nframes] = c->bytes.len;
	c->frame_len[c->nframes] = n;
	c->frame_first_ev[c->nframes] = first_ev;
	c->frame_nev[c->nframes] = nev;
	c->nframes++;
	buf_add(&c->bytes, f, n);
}

static void cap_header(struct cap *c)
{
	uint8_t f[CAP_ENC_FRAME_MAX];
	size_t n = cap_enc_header_frame(&c->enc, &c->hdr, f);
	assert_true(n > 0);
	cap_frame(c, f, n, c->nev, 0);
}

static void cap_init(struct cap *c, uint64_t period, int max_depth, int ndomains)
{
	memset(c, 0, sizeof(*c));
	cap_enc_init(&c->enc, period);
	c->hdr.backend = CAP_BACKEND_SOFTWARE;
	c->hdr.event = CAP_EVENT_CYCLES;
	c->hdr.flags = max_depth ? CAP_HDR_CALLCHAIN : 0;
	c->hdr.period = period;
	c->hdr.jitter = period / 8;
	c->hdr.tsc_khz = 2400000;
	c->hdr.max_depth = (uint8_t)max_depth;
	c->hdr.hv_build_id_len = 20;
	for (int i = 0; i < 20; i++)
		c->hdr.hv_build_id[i] = (uint8_t)(0x10 + i);
	c->hdr.ndomains = (uint8_t)ndomains;
	for (int i = 0; i < ndomains; i++) {
		struct cap_domain_desc *d = &c->hdr.domains[i];
		d->id = (uint8_t)(i + 1);
		snprintf(d->name, sizeof(d->name), "guest-%d", i + 1);
		d->mem_mib = 16u << (i % 4);
		d->image_id_kind = i % 2 ? CAP_IMAGE_ID_CRC32 : CAP_IMAGE_ID_BUILD_ID;
		d->image_id_len = i % 2 ? 4 : 20;
		for (int k = 0; k < d->image_id_len; k++)
			d->image_id[k] = (uint8_t)(i * 7 + k);
	}
	c->capev = 1024;
	c->ev = malloc(c->capev * sizeof(*c->ev));
	assert_non_null(c->ev);
}

static void cap_free(struct cap *c)
{
	free(c->bytes.p);
	free(c->ev);
}

static struct pv_event *cap_expect(struct cap *c)
{
	if (c->nev == c->capev) {
		c->capev *= 2;
		c->ev = realloc(c->ev, c->capev * sizeof(*c->ev));
		assert_non_null(c->ev);
	}
	struct pv_event *e = &c->ev[c->nev++];
	memset(e, 0, sizeof(*e));
	return e;
}

static void cap_begin(struct cap *c, uint64_t base)
{
	cap_enc_begin(&c->enc, base);
	c->cur_tsc = base;
	c->open_first_ev = c->nev;
}

static void cap_finish(struct cap *c)
{
	uint8_t f[CAP_ENC_FRAME_MAX];
	size_t n = cap_enc_finish(&c->enc, f);
	cap_frame(c, f, n, c->open_first_ev, c->nev - c->open_first_ev);
}

static void cap_end(struct cap *c)
{
	uint8_t f[CAP_ENC_FRAME_MAX];
	cap_frame(c, f, cap_enc_end_frame(&c->enc, f), c->nev, 0);
}

/* Appends a sample (finishing the frame and beginning another when it is full). */
static void cap_sample(struct cap *c, const struct cap_sample *s)
{
	if (cap_enc_sample(&c->enc, s)) {
		assert_false(cap_enc_empty(&c->enc));
		cap_finish(c);
		if (c->nframes % CAP_HEADER_EVERY == 0)
			cap_header(c);
		cap_begin(c, s->tsc - rnd_below(1000));
		assert_int_equal(cap_enc_sample(&c->enc, s), 0);
	}
	struct pv_event *e = cap_expect(c);
	int d = s->domain & 15;
	e->kind = PV_EV_SAMPLE;
	e->domain = d;
	e->tsc = s->tsc;
	e->ip = s->ip;
	e->weight = s->weight;
	if (d) {
		e->cr3 = s->cr3;
		e->cpl = s->cpl & 3;
		e->mode = s->mode & 3;
		e->vcpu = s->vcpu & 15;
		e->depth = s->depth < c->hdr.max_depth ? s->depth : c->hdr.max_depth;
		memcpy(e->chain, s->chain, (size_t)e->depth * sizeof(e->chain[0]));
	}
	c->cur_tsc = s->tsc;
}

/* Appends a random control record. */
static void cap_control(struct cap *c)
{
	uint8_t d = (uint8_t)rnd_below(16);
	uint64_t a = rnd() >> rnd_below(64), b = rnd() >> rnd_below(64), x = rnd() >> rnd_below(64);
	int type = (int)rnd_below(6);
	char name[80];
	size_t nlen = rnd_below(70);
	for (size_t i = 0; i < nlen; i++)
		name[i] = (char)rnd();                   /* any byte, 0xFE and NUL included */
	for (int tries = 0; tries < 2; tries++) {
		int rc = 0;
		switch (type) {
		case 0: rc = cap_enc_lost(&c->enc, d, a); break;
		case 1: rc = cap_enc_process(&c->enc, d, a, name, nlen); break;
		case 2: rc = cap_enc_hv_time(&c->enc, d, (uint32_t)b, a, x); break;
		case 3: rc = cap_enc_guest_time(&c->enc, d, a); break;
		case 4: rc = cap_enc_domain_end(&c->enc, d, (uint8_t)a, (uint8_t)b); break;
		case 5: rc = cap_enc_totals(&c->enc, d, a, b, x); break;
		}
		if (rc == 0)
			break;
		assert_int_equal(tries, 0);
		cap_finish(c);
		cap_begin(c, c->cur_tsc);
	}
	struct pv_event *e = cap_expect(c);
	e->domain = d;
	e->tsc = c->cur_tsc;
	switch (type) {
	case 0: e->kind = PV_EV_LOST; e->count = a; break;
	case 1: {
		e->kind = PV_EV_PROCESS;
		e->cr3 = a;
		size_t keep = nlen > HC_NAME_MAX ? HC_NAME_MAX : nlen;
		memcpy(e->name, name, keep);
		e->name_len = (int)keep;
		break;
	}
	case 2: e->kind = PV_EV_HV_TIME; e->reason = (uint32_t)b; e->count = a; e->ticks = x; break;
	case 3: e->kind = PV_EV_GUEST_TIME; e->ticks = a; break;
	case 4: e->kind = PV_EV_DOMAIN_END; e->state = (uint8_t)a; e->status = (uint8_t)b; break;
	case 5: e->kind = PV_EV_TOTALS; e->taken = a; e->recorded = b; e->lost = x; break;
	}
}

/* What a parse gave. */
struct got {
	struct pv_event *ev;
	size_t nev, cap;
	int header_valid[1];
	uint64_t period_seen;
	char lines[512][256];
	size_t nlines;
	int stop_after;                                    /* 0: never stop */
};

static int got_event(void *ctx, const struct pv_header *h, const struct pv_event *ev)
{
	struct got *g = ctx;
	if (g->nev == g->cap) {
		g->cap = g->cap ? g->cap * 2 : 1024;
		g->ev = realloc(g->ev, g->cap * sizeof(*g->ev));
		assert_non_null(g->ev);
	}
	g->ev[g->nev++] = *ev;
	g->header_valid[0] = h->valid;
	g->period_seen = h->period;
	return g->stop_after && (int)g->nev >= g->stop_after;
}

static void got_line(void *ctx, const char *line, size_t len)
{
	struct got *g = ctx;
	if (g->nlines < 512) {
		size_t n = len < 255 ? len : 255;
		memcpy(g->lines[g->nlines], line, n);
		g->lines[g->nlines][n] = '\0';
	}
	g->nlines++;
}

static int parse(const uint8_t *data, size_t len, struct got *g, struct pv_diag *diag, struct pv_header *h)
{
	struct pv_parse_cb cb = { g, got_event, got_line };
	memset(g, 0, sizeof(*g));
	return pv_capture_parse(data, len, h, &cb, diag);
}

static void assert_events(const struct pv_event *got, const struct pv_event *want, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (memcmp(&got[i], &want[i], sizeof(got[i])) != 0)
			fail_msg("event %zu differs: kind %d/%d domain %d/%d tsc %llu/%llu ip %llx/%llx", i, got[i].kind,
				 want[i].kind, got[i].domain, want[i].domain, (unsigned long long)got[i].tsc,
				 (unsigned long long)want[i].tsc, (unsigned long long)got[i].ip,
				 (unsigned long long)want[i].ip);
	}
}

static void assert_accounted(const struct pv_diag *d)
{
	assert_int_equal(d->bytes, d->text_bytes + d->garbage_bytes + d->truncated_tail_bytes + d->frame_bytes);
}

/* No 0xFE or 0xCA but the sync bytes and no '\n' inside the frames: corruption tests then have
 * exact, easily stated expectations (a flipped bit cannot make a second frame candidate). */
static int frames_are_clean(const struct cap *c)
{
	for (size_t f = 0; f < c->nframes; f++)
		for (size_t i = 1; i < c->frame_len[f]; i++) {
			uint8_t b = c->bytes.p[c->frame_start[f] + i];
			if (b == CAP_SYNC0 || b == '\n' || (i > 1 && b == CAP_SYNC1))
				return 0;
		}
	return 1;
}

/* ---------------------------------------------------------------- round trips */

static void random_sample(struct cap_sample *s, uint64_t *tsc, uint64_t period, const struct cap_sample *prev)
{
	memset(s, 0, sizeof(*s));
	s->domain = (uint8_t)rnd_below(16);
	s->weight = rnd_below(4) ? period : period - period / 8 + rnd_below(period / 4 + 1);
	if (rnd_below(50) == 0)
		s->weight = rnd();                           /* anything at all */
	*tsc += s->weight + rnd_below(5000);
	if (rnd_below(100) == 0)
		*tsc = rnd();                                /* wraps, jumps back */
	s->tsc = *tsc;
	s->ip = rnd_below(3) ? prev->ip + rnd_below(8192) - 4096 : rnd() >> rnd_below(64);
	if (s->domain) {
		s->cr3 = rnd_below(4) ? prev->cr3 : (rnd() & 0xFFFFF000u);
		s->cpl = (uint8_t)(rnd_below(3) ? 3 : 0);
		s->mode = (uint8_t)rnd_below(4);
		s->vcpu = (uint8_t)rnd_below(2);
		s->depth = (uint8_t)rnd_below(CAP_MAX_CHAIN + 1);
		for (int i = 0; i < s->depth; i++)
			s->chain[i] = rnd_below(2) ? prev->chain[i] + rnd_below(64) : rnd() >> rnd_below(64);
	}
}

static void build_random(struct cap *c, uint64_t seed, size_t nsamples, int max_depth)
{
	struct cap_sample s, prev;
	uint64_t tsc = 1000000;
	rng_state = seed;
	cap_init(c, 100000, max_depth, 15);
	memset(&prev, 0, sizeof(prev));
	cap_header(c);
	cap_begin(c, tsc);
	for (size_t i = 0; i < nsamples; i++) {
		random_sample(&s, &tsc, 100000, &prev);
		cap_sample(c, &s);
		prev = s;
		if (rnd_below(20) == 0)
			cap_control(c);
	}
	cap_finish(c);
	cap_end(c);
}

static void roundtrip_random_samples_and_records(void **state)
{
	(void)state;
	static const int depths[] = { 32, 8, 0 };
	for (int k = 0; k < 3; k++) {
		struct cap c;
		struct got g;
		struct pv_diag d;
		struct pv_header h;
		build_random(&c, 0x9E3779B97F4A7C15ull + (uint64_t)k, 5000, depths[k]);
		assert_int_equal(parse(c.bytes.p, c.bytes.len, &g, &d, &h), 0);
		assert_int_equal(g.nev, c.nev);
		assert_events(g.ev, c.ev, c.nev);
		assert_int_equal(d.frames_ok, c.nframes);
		assert_int_equal(d.frame_bytes, c.bytes.len);
		assert_int_equal(d.headers, 1 + (c.nframes - 2) / (CAP_HEADER_EVERY + 1));
		assert_int_equal(d.frames_bad_crc + d.frames_bad_length + d.frames_lost_by_seq + d.frames_unknown_type +
					 d.garbage_bytes + d.text_bytes + d.truncated_tail_bytes + d.records_malformed,
				 0);
		assert_true(d.have_header && d.have_end && !d.header_changed);
		assert_string_equal(d.first_error, "");
		/* the header, field by field */
		assert_true(h.valid);
		assert_int_equal(h.version, CAP_VERSION);
		assert_int_equal(h.period, 100000);
		assert_int_equal(h.jitter, 12500);
		assert_int_equal(h.tsc_khz, 2400000);
		assert_int_equal(h.max_depth, depths[k]);
		assert_int_equal(h.flags, depths[k] ? CAP_HDR_CALLCHAIN : 0);
		assert_int_equal(h.hv_build_id_len, 20);
		assert_memory_equal(h.hv_build_id, c.hdr.hv_build_id, 20);
		assert_int_equal(h.ndomains, 15);
		for (int i = 0; i < 15; i++) {
			assert_int_equal(h.domains[i].id, i + 1);
			assert_string_equal(h.domains[i].name, c.hdr.domains[i].name);
			assert_int_equal(h.domains[i].mem_mib, c.hdr.domains[i].mem_mib);
			assert_int_equal(h.domains[i].image_id_kind, c.hdr.domains[i].image_id_kind);
			assert_int_equal(h.domains[i].image_id_len, c.hdr.domains[i].image_id_len);
			assert_memory_equal(h.domains[i].image_id, c.hdr.domains[i].image_id, h.domains[i].image_id_len);
		}
		free(g.ev);
		cap_free(&c);
	}
}

/* The same stream fed in random pieces (and byte by byte) gives the same result. */
static void streaming_equals_whole_parse(void **state)
{
	(void)state;
	struct cap c;
	build_random(&c, 77, 3000, 16);
	for (int mode = 0; mode < 2; mode++) {
		struct got g;
		memset(&g, 0, sizeof(g));
		struct pv_parse_cb cb = { &g, got_event, got_line };
		struct pv_stream *s = malloc(sizeof(*s));
		assert_non_null(s);
		pv_stream_init(s, &cb);
		for (size_t off = 0; off < c.bytes.len;) {
			size_t n = mode ? 1 : 1 + rnd_below(3000);
			if (n > c.bytes.len - off)
				n = c.bytes.len - off;
			assert_int_equal(pv_stream_feed(s, c.bytes.p + off, n), 0);
			off += n;
		}
		assert_int_equal(pv_stream_finish(s), 0);
		assert_int_equal(g.nev, c.nev);
		assert_events(g.ev, c.ev, c.nev);
		assert_int_equal(s->diag.frames_ok, c.nframes);
		assert_int_equal(s->diag.bytes, c.bytes.len);
		free(s);
		free(g.ev);
	}
	cap_free(&c);
}

/* ---------------------------------------------------------------- sizes */

/* Bytes per sample after the first of its frame; prints the mean and returns the largest. */
static size_t steady_size(int depth, double *mean)
{
	struct cap_encoder e;
	struct cap_sample s;
	uint64_t period = 10000, total = 0, n = 0;
	size_t largest = 0;
	rng_state = 12345;
	cap_enc_init(&e, period);
	memset(&s, 0, sizeof(s));
	s.domain = 1;
	s.cpl = 3;
	s.mode = CAP_MODE_64;
	s.cr3 = 0x1234000;
	s.ip = 0xffffffff81000000ull;
	s.tsc = 1ull << 40;
	s.weight = period;
	s.depth = (uint8_t)depth;
	for (int i = 0; i < depth; i++)
		s.chain[i] = 0xffffffff81100000ull + (uint64_t)i * 0x1234;
	cap_enc_begin(&e, s.tsc);
	for (int i = 0; i < 20000; i++) {
		s.tsc += period + rnd_below(1000);          /* hypervisor time between samples */
		s.ip = 0xffffffff81000000ull + rnd_below(4096); /* a hot 4 KiB of code */
		size_t before = e.len;
		int first = cap_enc_empty(&e);
		if (cap_enc_sample(&e, &s)) {
			cap_enc_begin(&e, s.tsc);
			before = e.len;
			first = 1;
			assert_int_equal(cap_enc_sample(&e, &s), 0);
		}
		if (!first) {
			size_t sz = e.len - before;
			total += sz;
			n++;
			if (sz > largest)
				largest = sz;
		}
	}
	*mean = (double)total / (double)n;
	return largest;
}

static void steady_state_sample_is_under_6_bytes(void **state)
{
	(void)state;
	double mean;
	size_t largest = steady_size(0, &mean);
	print_message("steady state, no call chain: %.2f bytes/sample (largest %zu)\n", mean, largest);
	assert_true(largest < 6);
}

static void repeated_5_frame_chain_is_under_16_bytes(void **state)
{
	(void)state;
	double mean;
	size_t largest = steady_size(5, &mean);
	print_message("steady state, repeated 5-frame chain: %.2f bytes/sample (largest %zu)\n", mean, largest);
	assert_true(largest < 16);
}

static void exact_sample_bytes(void **state)
{
	(void)state;
	struct cap_encoder e;
	struct cap_sample s;
	cap_enc_init(&e, 1000);
	cap_enc_begin(&e, 5000);
	assert_int_equal(e.len, 2);                        /* varint 5000 = 88 27 */
	memset(&s, 0, sizeof(s));
	s.domain = 2;
	s.cpl = 3;
	s.mode = CAP_MODE_32;
	s.vcpu = 0;
	s.cr3 = 0x1000;
	s.tsc = 6003;                                      /* dts - weight = 3 -> zigzag 6 */
	s.weight = 1000;
	s.ip = 0x100;                                      /* zigzag 0x200 = 80 04 */
	assert_int_equal(cap_enc_sample(&e, &s), 0);
	static const uint8_t first[] = { 0x42, 0x06, 0x80, 0x20, 0x07, 0x80, 0x04 };
	assert_int_equal(e.len, 2 + sizeof(first));
	assert_memory_equal(e.buf + 2, first, sizeof(first));
	s.tsc += 1000;                                     /* 1000 - 1001 = -1 -> 1 */
	s.ip -= 2;                                         /* -2 -> 3 */
	s.weight = 1001;                                   /* +1 -> 2 */
	size_t at = e.len;
	assert_int_equal(cap_enc_sample(&e, &s), 0);
	static const uint8_t second[] = { 0x12, 0x01, 0x02, 0x03 };
	assert_int_equal(e.len - at, sizeof(second));
	assert_memory_equal(e.buf + at, second, sizeof(second));
	s.domain = 0;                                      /* hypervisor: tag, dts, ip only */
	s.depth = 3;
	s.weight = 1000;
	s.tsc += 1000;                                     /* 0 */
	at = e.len;
	assert_int_equal(cap_enc_sample(&e, &s), 0);
	static const uint8_t hv[] = { 0x00, 0x00, 0xfc, 0x03 };
	assert_int_equal(e.len - at, sizeof(hv));
	assert_memory_equal(e.buf + at, hv, sizeof(hv));
}

static void full_payload_refuses_and_keeps_state(void **state)
{
	(void)state;
	struct cap_encoder e;
	struct cap_sample s;
	rng_state = 1;
	cap_enc_init(&e, 100);
	cap_enc_begin(&e, 0);
	memset(&s, 0, sizeof(s));
	s.domain = 3;
	s.depth = CAP_MAX_CHAIN;
	int n = 0;
	for (;;) {
		s.tsc = rnd();
		s.ip = rnd();
		s.weight = rnd();
		for (int i = 0; i < CAP_MAX_CHAIN; i++)
			s.chain[i] = rnd();
		size_t before = e.len;
		struct cap_encoder copy = e;
		if (cap_enc_sample(&e, &s)) {
			assert_int_equal(e.len, before);
			assert_memory_equal(&copy, &e, sizeof(e)); /* nothing changed */
			break;
		}
		n++;
	}
	assert_true(n >= 2 && e.len <= CAP_MAX_PAYLOAD);
	cap_enc_begin(&e, 0);
	assert_int_equal(cap_enc_sample(&e, &s), 0);      /* the worst case fits an empty payload */
	assert_true(e.len <= CAP_ENC_SAMPLE_MAX + 10);
}

/* ---------------------------------------------------------------- corruption */

/* HEADER, RECORDS x3, END with a few events each, clean (see frames_are_clean). */
static void build_small(struct cap *c, int nrecords)
{
	for (uint64_t seed = 1;; seed++) {
		struct cap_sample s, prev;
		uint64_t tsc = 5000;
		rng_state = seed;
		cap_init(c, 1000, 4, 3);
		for (int i = 0; i < 3; i++)
			for (int k = 0; k < 20; k++)
				c->hdr.domains[i].image_id[k] = (uint8_t)(0x30 + k);
		memset(&prev, 0, sizeof(prev));
		cap_header(c);
		for (int f = 0; f < nrecords; f++) {
			cap_begin(c, tsc);
			for (int i = 0; i < 4; i++) {          /* small values: few random bytes */
				memset(&s, 0, sizeof(s));
				s.domain = (uint8_t)(1 + rnd_below(3));
				s.weight = 1000 + rnd_below(3);
				tsc += s.weight + rnd_below(40);
				s.tsc = tsc;
				s.ip = prev.ip + rnd_below(60);
				s.cr3 = 0x3000 + 0x1000 * rnd_below(2);
				s.cpl = 3;
				s.depth = (uint8_t)rnd_below(5);
				for (int k = 0; k < s.depth; k++)
					s.chain[k] = prev.chain[k] + rnd_below(50);
				cap_sample(c, &s);
				prev = s;
			}
			if (cap_enc_lost(&c->enc, 2, f + 1) == 0) {
				struct pv_event *e = cap_expect(c);
				e->kind = PV_EV_LOST;
				e->domain = 2;
				e->tsc = c->cur_tsc;
				e->count = (uint64_t)f + 1;
			}
			cap_finish(c);
		}
		cap_end(c);
		assert_int_equal(c->nframes, (size_t)nrecords + 2);
		if (frames_are_clean(c))
			return;
		cap_free(c);
	}
}

static void truncation_at_every_offset(void **state)
{
	(void)state;
	struct cap c;
	build_small(&c, 1);                                /* HEADER, RECORDS, END */
	for (size_t cut = 0; cut <= c.bytes.len; cut++) {
		struct got g;
		struct pv_diag d;
		size_t complete = 0, tail = 0;
		for (size_t f = 0; f < c.nframes; f++) {
			if (c.frame_start[f] + c.frame_len[f] <= cut)
				complete++;
			else if (c.frame_start[f] < cut)
				tail = cut - c.frame_start[f];
		}
		int rc = parse(c.bytes.p, cut, &g, &d, NULL);
		assert_int_equal(rc, complete ? 0 : -1);
		assert_int_equal(d.bytes, cut);
		assert_int_equal(d.frames_ok, complete);
		assert_int_equal(d.truncated_tail_bytes, tail);
		assert_int_equal(d.garbage_bytes + d.text_bytes + d.frames_bad_crc + d.frames_bad_length +
					 d.frames_lost_by_seq + d.records_malformed,
				 0);
		assert_int_equal(d.have_end, complete == 3);
		assert_int_equal(d.have_header, complete >= 1);
		size_t want_ev = complete >= 2 ? c.frame_nev[1] : 0;
		assert_int_equal(g.nev, want_ev);
		assert_events(g.ev, c.ev, want_ev);
		assert_accounted(&d);
		if (tail)
			assert_non_null(strstr(d.first_error, "ends inside a frame"));
		free(g.ev);
	}
	cap_free(&c);
}

static void bit_flips_in_the_middle_frame(void **state)
{
	(void)state;
	struct cap c;
	build_small(&c, 3);                                /* HEADER, R1, R2, R3, END */
	const size_t mid = 2, start = c.frame_start[mid], len = c.frame_len[mid];
	uint8_t *copy = malloc(c.bytes.len);
	assert_non_null(copy);
	for (size_t bit = 0; bit < len * 8; bit++) {
		struct got g;
		struct pv_diag d;
		memcpy(copy, c.bytes.p, c.bytes.len);
		size_t at = start + bit / 8;
		copy[at] ^= (uint8_t)(1u << (bit % 8));
		assert_int_equal(parse(copy, c.bytes.len, &g, &d, NULL), 0);

		/* what the reader must make of it */
		uint64_t bad_crc = 0, bad_len = 0;
		if (bit / 8 >= 2) {
			size_t l = (size_t)(copy[start + 5] | copy[start + 6] << 8);
			if (l > CAP_MAX_PAYLOAD || CAP_FRAME_HEAD + l + CAP_FRAME_CRC > c.bytes.len - start)
				bad_len = 1;                   /* impossible, or past the end of the capture */
			else
				bad_crc = 1;
		}
		assert_int_equal(d.frames_ok, c.nframes - 1);
		assert_int_equal(d.frames_bad_crc, bad_crc);
		assert_int_equal(d.frames_bad_length, bad_len);
		assert_int_equal(d.frames_lost_by_seq, 1);
		assert_int_equal(d.truncated_tail_bytes, 0);
		assert_int_equal(d.records_malformed, 0);
		assert_int_equal(d.text_bytes + d.garbage_bytes, len);
		assert_int_equal(d.frame_bytes, c.bytes.len - len);
		assert_accounted(&d);
		/* R1 and R3 intact, nothing of R2 */
		size_t n1 = c.frame_nev[1], n3 = c.frame_nev[3];
		assert_int_equal(g.nev, n1 + n3);
		assert_events(g.ev, c.ev + c.frame_first_ev[1], n1);
		assert_events(g.ev + n1, c.ev + c.frame_first_ev[3], n3);
		free(g.ev);
	}
	free(copy);
	cap_free(&c);
}

static void garbage_and_text_around_frames(void **state)
{
	(void)state;
	struct cap c;
	struct buf b = { 0 };
	static const char *text[] = {
		"perfvisor: booting\r\n", "[1:hello] Hello from domain 1\n", "plain line\n",
		"[2:compute] done\r\n",   "perfvisor: end status=0\n",
	};
	static const uint8_t tricky[][8] = {
		{ 0xFE, 0xCA, 0x02, 0x00, 0x00, 0x10, 0x00, '\n' },    /* plausible frame head, L=16 */
		{ 0xFE, 0xCA, 0x02, 0x00, 0x00, 0xFF, 0xFF, '\n' },    /* L=65535 */
		{ 0xFE, 0xFE, 0xCA, 0xFE, 0xCA, 0x01, 0x00, '\n' },
	};
	build_random(&c, 4242, 2000, 8);
	rng_state = 99;
	buf_str(&b, text[0]);
	for (size_t f = 0; f < c.nframes; f++) {
		if (f % 3 == 0) {                              /* random bytes, then a newline */
			size_t n = rnd_below(300);
			for (size_t i = 0; i < n; i++) {
				uint8_t x = (uint8_t)rnd();
				buf_add(&b, &x, 1);
			}
			buf_add(&b, tricky[f % 3 == 0 ? (f / 3) % 3 : 0], 8);
		}
		if (f % 2 == 0)
			buf_str(&b, text[1 + f % 4]);
		buf_add(&b, c.bytes.p + c.frame_start[f], c.frame_len[f]);
	}
	buf_add(&b, tricky[0], 7);                         /* a frame head at the very end */
	struct got g;
	struct pv_diag d;
	assert_int_equal(parse(b.p, b.len, &g, &d, NULL), 0);
	assert_int_equal(d.frames_ok, c.nframes);
	assert_int_equal(d.frame_bytes, c.bytes.len);
	assert_int_equal(d.frames_lost_by_seq, 0);
	assert_int_equal(d.records_malformed, 0);
	assert_int_equal(g.nev, c.nev);
	assert_events(g.ev, c.ev, c.nev);
	assert_int_equal(d.truncated_tail_bytes, 7);
	assert_true(d.frames_bad_length >= 1);
	assert_accounted(&d);
	/* every clean text line arrives, in order, without its \r */
	size_t want = 0, k = 0;
	assert_string_equal(g.lines[0], "perfvisor: booting");
	for (size_t f = 0; f < c.nframes; f += 2) {
		char exp[64];
		snprintf(exp, sizeof(exp), "%s", text[1 + f % 4]);
		exp[strcspn(exp, "\r\n")] = '\0';
		while (k < g.nlines && k < 512 && strcmp(g.lines[k], exp) != 0)
			k++;
		assert_true(k < g.nlines && k < 512);
		k++;
		want++;
	}
	assert_true(want > 10);
	free(g.ev);
	free(b.p);
	cap_free(&c);
}

/* A frame whose CRC is right but whose length is above CAP_MAX_PAYLOAD is rejected. */
static void oversized_frame_is_rejected(void **state)
{
	(void)state;
	struct buf b = { 0 };
	size_t L = CAP_MAX_PAYLOAD + 1;
	uint8_t *f = calloc(1, CAP_FRAME_HEAD + L + CAP_FRAME_CRC);
	assert_non_null(f);
	f[0] = CAP_SYNC0;
	f[1] = CAP_SYNC1;
	f[2] = CAP_FRAME_RECORDS;
	f[5] = (uint8_t)L;
	f[6] = (uint8_t)(L >> 8);
	uint32_t crc = cap_crc32(0, f + 2, CAP_FRAME_HEAD - 2 + L);
	for (int i = 0; i < 4; i++)
		f[CAP_FRAME_HEAD + L + (size_t)i] = (uint8_t)(crc >> (8 * i));
	buf_add(&b, f, CAP_FRAME_HEAD + L + CAP_FRAME_CRC);
	struct cap_encoder e;
	uint8_t end[16];
	cap_enc_init(&e, 1);
	e.seq = 1;
	size_t n = cap_enc_end_frame(&e, end);
	buf_add(&b, end, n);
	struct got g;
	struct pv_diag d;
	assert_int_equal(parse(b.p, b.len, &g, &d, NULL), 0);
	assert_int_equal(d.frames_bad_length, 1);
	assert_int_equal(d.frames_bad_crc, 0);
	assert_int_equal(d.frames_ok, 1);
	assert_int_equal(d.garbage_bytes, CAP_FRAME_HEAD + L + CAP_FRAME_CRC);
	assert_int_equal(d.text_bytes, 0);
	assert_true(d.have_end);
	assert_int_equal(g.nev, 0);
	assert_non_null(strstr(d.first_error, "claims 1025 payload bytes"));
	assert_int_equal(d.first_error_offset, 0);
	free(f);
	free(b.p);
}

/* Builds a RECORDS frame around payload (seq 1), after a HEADER (seq 0). */
static size_t records_frame(const uint8_t *payload, size_t n, uint8_t *out)
{
	struct cap_encoder e;
	cap_enc_init(&e, 1000);
	struct cap_header_desc h;
	memset(&h, 0, sizeof(h));
	h.period = 1000;
	h.max_depth = 32;
	size_t hl = cap_enc_header_frame(&e, &h, out);
	assert_true(hl > 0);
	memcpy(e.buf, payload, n);
	e.len = n;
	return hl + cap_enc_finish(&e, out + hl);
}

static void malformed_records_in_a_good_frame(void **state)
{
	(void)state;
	/* base 100; a good sample (tag 0x01: domain 1, dts 0, ip +1), then the bad record */
	static const struct {
		const char *what;
		uint8_t bytes[16];
		size_t n;
	} cases[] = {
		{ "varint overflow", { 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01 }, 12 },
		{ "truncated varint", { 0x01, 0x80 }, 2 },
		{ "chain of 33", { 0x21, 0x00, 0x00, 33 }, 4 },
		{ "control type 6", { 0xE1, 0x00 }, 2 },
		{ "control type 7", { 0xF1 }, 1 },
		{ "name past the end", { 0x91, 0x00, 0x05, 'a', 'b' }, 5 },
		{ "domain end cut", { 0xC1, 0x01 }, 2 },
		{ "reason above 32 bits", { 0xA1, 0x80, 0x80, 0x80, 0x80, 0x10, 0x00, 0x00 }, 8 },
	};
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		uint8_t payload[64], frame[2 * CAP_ENC_FRAME_MAX];
		size_t n = 0;
		payload[n++] = 100;                        /* base_tsc */
		payload[n++] = 0x41;                       /* sample, ctx */
		payload[n++] = 0x00;                       /* dts - weight */
		payload[n++] = 0x05;                       /* cr3 */
		payload[n++] = 0x03;                       /* ctx: cpl 3 */
		payload[n++] = 0x02;                       /* ip +1 */
		memcpy(payload + n, cases[k].bytes, cases[k].n);
		n += cases[k].n;
		size_t fl = records_frame(payload, n, frame);
		struct got g;
		struct pv_diag d;
		assert_int_equal(parse(frame, fl, &g, &d, NULL), 0);
		if (d.records_malformed != 1)
			fail_msg("%s: records_malformed %llu", cases[k].what, (unsigned long long)d.records_malformed);
		assert_int_equal(d.frames_ok, 2);
		assert_int_equal(d.frames_bad_crc, 0);
		assert_int_equal(g.nev, 1);                    /* the good sample before it */
		assert_int_equal(g.ev[0].kind, PV_EV_SAMPLE);
		assert_int_equal(g.ev[0].tsc, 1100);
		assert_int_equal(g.ev[0].ip, 1);
		assert_int_equal(g.ev[0].cr3, 5);
		assert_int_equal(g.ev[0].cpl, 3);
		assert_non_null(strstr(d.first_error, "malformed record"));
		free(g.ev);
	}
}

/* Each record decoder (docs/capture-format.md, one per record type) refuses every truncation
 * of its record and takes the whole record: a good sample first, then the record cut at each
 * length from its tag alone to one byte short. */
static void each_record_decoder_refuses_its_truncations(void **state)
{
	(void)state;
	static const struct {
		const char *what;
		uint8_t bytes[16];
		size_t n;
		enum pv_event_kind kind;
	} records[] = {
		{ "sample", { 0x01, 0x00, 0x02 }, 3, PV_EV_SAMPLE },
		{ "sample, context", { 0x42, 0x00, 0x05, 0x03, 0x02 }, 5, PV_EV_SAMPLE },
		{ "sample, weight", { 0x11, 0x00, 0x04, 0x02 }, 4, PV_EV_SAMPLE },
		{ "sample, chain", { 0x21, 0x00, 0x02, 0x02, 0x04, 0x06 }, 6, PV_EV_SAMPLE },
		{ "lost", { 0x81, 0x03 }, 2, PV_EV_LOST },
		{ "process", { 0x91, 0x05, 0x02, 'a', 'b' }, 5, PV_EV_PROCESS },
		{ "hv_time", { 0xA1, 0x0c, 0x01, 0x10 }, 4, PV_EV_HV_TIME },
		{ "guest_time", { 0xB1, 0x10 }, 2, PV_EV_GUEST_TIME },
		{ "domain_end", { 0xC1, 0x01, 0x00 }, 3, PV_EV_DOMAIN_END },
		{ "totals", { 0xD1, 0x01, 0x01, 0x00 }, 4, PV_EV_TOTALS },
	};
	for (size_t k = 0; k < sizeof(records) / sizeof(records[0]); k++) {
		for (size_t cut = 1; cut <= records[k].n; cut++) {
			uint8_t payload[64], frame[2 * CAP_ENC_FRAME_MAX];
			size_t n = 0;
			payload[n++] = 100;                /* base_tsc */
			payload[n++] = 0x01;               /* a good sample: domain 1, dts 0, ip +1 */
			payload[n++] = 0x00;
			payload[n++] = 0x02;
			memcpy(payload + n, records[k].bytes, cut);
			n += cut;
			size_t fl = records_frame(payload, n, frame);
			struct got g;
			struct pv_diag d;
			assert_int_equal(parse(frame, fl, &g, &d, NULL), 0);
			int whole = cut == records[k].n;
			if (d.records_malformed != (whole ? 0u : 1u) || g.nev != (whole ? 2u : 1u))
				fail_msg("%s cut to %zu bytes: records_malformed %llu, %zu events", records[k].what, cut,
					 (unsigned long long)d.records_malformed, g.nev);
			assert_int_equal(g.ev[0].kind, PV_EV_SAMPLE);
			if (whole)
				assert_int_equal(g.ev[1].kind, records[k].kind);
			else
				assert_non_null(strstr(d.first_error, "truncated record"));
			free(g.ev);
		}
	}
}

/* ---------------------------------------------------------------- headers, sequence */

static void records_before_the_header_wait_for_it(void **state)
{
	(void)state;
	struct cap c;
	struct cap_sample s;
	rng_state = 5;
	cap_init(&c, 777, 4, 2);
	memset(&s, 0, sizeof(s));
	cap_begin(&c, 1000);
	for (int i = 0; i < 3; i++) {
		s.domain = 1;
		s.tsc = 1000 + 800 * (uint64_t)(i + 1);
		s.weight = 777;
		s.ip = 0x1000 + (uint64_t)i;
		cap_sample(&c, &s);
	}
	cap_finish(&c);                                    /* RECORDS seq 0, before any header */
	c.enc.period = 0;                                  /* the header sets it again */
	cap_header(&c);                                    /* seq 1 */
	cap_begin(&c, 9000);
	s.tsc = 9777;
	cap_sample(&c, &s);
	cap_finish(&c);
	cap_end(&c);

	struct got g;
	struct pv_diag d;
	assert_int_equal(parse(c.bytes.p, c.bytes.len, &g, &d, NULL), 0);
	assert_int_equal(g.nev, 4);
	assert_events(g.ev, c.ev, 4);
	assert_int_equal(g.period_seen, 777);
	assert_int_equal(d.frames_lost_by_seq, 0);
	assert_string_equal(d.first_error, "");
	free(g.ev);

	/* without the header the samples still come, at the end, unweighted */
	struct buf b = { 0 };
	buf_add(&b, c.bytes.p, c.frame_len[0]);
	assert_int_equal(parse(b.p, b.len, &g, &d, NULL), 0);
	assert_int_equal(g.nev, 3);
	assert_int_equal(g.header_valid[0], 0);
	assert_int_equal(g.ev[0].weight, 0);
	assert_int_equal(g.ev[2].ip, 0x1002);
	assert_false(d.have_header);
	assert_non_null(strstr(d.first_error, "no header frame"));
	free(g.ev);
	free(b.p);
	cap_free(&c);
}

static void header_that_does_not_fit_is_refused(void **state)
{
	(void)state;
	struct cap_encoder e;
	struct cap_header_desc h;
	uint8_t f[CAP_ENC_FRAME_MAX];
	cap_enc_init(&e, 1);
	memset(&h, 0, sizeof(h));
	h.period = h.jitter = h.tsc_khz = UINT64_MAX;
	h.hv_build_id_len = 20;
	h.ndomains = 16;
	for (int i = 0; i < 16; i++) {
		memset(h.domains[i].name, 'x', 32);            /* 32 bytes, no NUL */
		h.domains[i].mem_mib = UINT32_MAX;
		h.domains[i].image_id_len = 20;
	}
	assert_int_equal(cap_enc_header_frame(&e, &h, f), 0);
	assert_int_equal(e.seq, 0);
	h.ndomains = 14;
	size_t n = cap_enc_header_frame(&e, &h, f);
	assert_true(n > 0 && n <= CAP_ENC_FRAME_MAX);
	assert_int_equal(e.seq, 1);
	struct pv_header ph;
	struct pv_diag d;
	assert_int_equal(pv_capture_parse(f, n, &ph, NULL, &d), 0);
	assert_true(ph.valid);
	assert_int_equal(ph.ndomains, 14);
	assert_string_equal(ph.domains[13].name, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
	assert_int_equal(ph.domains[13].mem_mib, UINT32_MAX);
	assert_int_equal(ph.period, UINT64_MAX);
	h.hv_build_id_len = 21;
	assert_int_equal(cap_enc_header_frame(&e, &h, f), 0);
}

static void header_change_and_version_are_noticed(void **state)
{
	(void)state;
	struct cap_encoder e;
	struct cap_header_desc h;
	uint8_t f[3 * CAP_ENC_FRAME_MAX];
	size_t n = 0;
	cap_enc_init(&e, 1);
	memset(&h, 0, sizeof(h));
	h.period = 10;
	n += cap_enc_header_frame(&e, &h, f + n);
	n += cap_enc_header_frame(&e, &h, f + n);
	struct pv_diag d;
	assert_int_equal(pv_capture_parse(f, n, NULL, NULL, &d), 0);
	assert_int_equal(d.headers, 2);
	assert_false(d.header_changed);
	h.period = 11;
	n += cap_enc_header_frame(&e, &h, f + n);
	assert_int_equal(pv_capture_parse(f, n, NULL, NULL, &d), 0);
	assert_int_equal(d.headers, 3);
	assert_true(d.header_changed);
	/* version 2: the frame is good, the header is not used */
	size_t m = cap_enc_header_frame(&e, &h, f);
	f[CAP_FRAME_HEAD + 5] = 2;
	uint32_t crc = cap_crc32(0, f + 2, m - 6);
	for (int i = 0; i < 4; i++)
		f[m - 4 + (size_t)i] = (uint8_t)(crc >> (8 * i));
	struct pv_header ph;
	assert_int_equal(pv_capture_parse(f, m, &ph, NULL, &d), 0);
	assert_false(ph.valid);
	assert_int_equal(d.headers, 0);
	assert_int_equal(d.records_malformed, 1);
	assert_non_null(strstr(d.first_error, "version"));
}

static void sequence_wraps_and_gaps_count(void **state)
{
	(void)state;
	struct cap_encoder e;
	uint8_t f[8][CAP_ENC_FRAME_MAX];
	size_t n[8];
	cap_enc_init(&e, 1);
	e.seq = 65533;
	for (int i = 0; i < 8; i++)
		n[i] = cap_enc_end_frame(&e, f[i]);            /* 65533 .. 4 */
	struct buf b = { 0 };
	for (int i = 0; i < 8; i++)
		if (i != 2 && i != 3 && i != 6)                /* 65535, 0 and 3 lost */
			buf_add(&b, f[i], n[i]);
	struct pv_diag d;
	assert_int_equal(pv_capture_parse(b.p, b.len, NULL, NULL, &d), 0);
	assert_int_equal(d.frames_ok, 5);
	assert_int_equal(d.frames_lost_by_seq, 3);
	/* a jump back (a new capture in the same log) is not loss */
	buf_add(&b, f[0], n[0]);
	assert_int_equal(pv_capture_parse(b.p, b.len, NULL, NULL, &d), 0);
	assert_int_equal(d.frames_lost_by_seq, 3);
	free(b.p);
}

static void unknown_frame_types_are_skipped(void **state)
{
	(void)state;
	struct cap_encoder e;
	uint8_t f[2][CAP_ENC_FRAME_MAX];
	cap_enc_init(&e, 1);
	size_t n0 = cap_enc_end_frame(&e, f[0]);
	f[0][2] = 9;
	uint32_t crc = cap_crc32(0, f[0] + 2, 5);
	for (int i = 0; i < 4; i++)
		f[0][7 + i] = (uint8_t)(crc >> (8 * i));
	size_t n1 = cap_enc_end_frame(&e, f[1]);
	struct buf b = { 0 };
	buf_add(&b, f[0], n0);
	buf_add(&b, f[1], n1);
	struct pv_diag d;
	assert_int_equal(pv_capture_parse(b.p, b.len, NULL, NULL, &d), 0);
	assert_int_equal(d.frames_ok, 2);
	assert_int_equal(d.frames_unknown_type, 1);
	assert_true(d.have_end);
	free(b.p);
}

/* A good frame that starts inside a line of console text could only have been written as text
 * (a guest forging frames): it is refused whole, a frame nested inside it or following it on the
 * same line too; frames at line starts, after other frames and after a damaged line stand. */
static void frames_inside_text_lines_are_refused(void **state)
{
	(void)state;
	struct cap c;
	build_small(&c, 2);                                /* HEADER, 2 RECORDS, END */
	const uint8_t *hdr = c.bytes.p + c.frame_start[0], *rec = c.bytes.p + c.frame_start[1];
	const uint8_t *end = c.bytes.p + c.frame_start[3];
	size_t hl = c.frame_len[0], rl = c.frame_len[1], el = c.frame_len[3];
	struct buf b = { 0 };
	uint8_t nested[2 * CAP_ENC_FRAME_MAX];
	/* an unknown-type frame whose payload is an END frame: the outer one is refused, and so
	 * must the inner one be, though it is CRC-good and the outer one's tail is not text */
	struct cap_encoder e;
	cap_enc_init(&e, 1);
	size_t nl = cap_enc_end_frame(&e, nested);
	memcpy(nested + 7, end, el);
	nested[2] = 9;
	nested[5] = (uint8_t)el;
	uint32_t crc = cap_crc32(0, nested + 2, 5 + el);
	for (int i = 0; i < 4; i++)
		nested[7 + el + i] = (uint8_t)(crc >> (8 * i));
	nl = 7 + el + 4;

	buf_str(&b, "perfvisor: start\n");
	buf_add(&b, hdr, hl);                              /* at a line start: good */
	buf_str(&b, "[2:evil] look: ");
	buf_add(&b, rec, rl);                              /* inside the guest's line: refused */
	buf_add(&b, end, el);                              /* right after it, same line: refused */
	buf_add(&b, nested, nl);
	buf_str(&b, " done\n");
	buf_add(&b, rec, rl);                              /* line start again: good */
	buf_str(&b, "\x80\x01 damaged ");                   /* a line no guest can write */
	buf_add(&b, c.bytes.p + c.frame_start[2], c.frame_len[2]);  /* good: recovery after damage */
	buf_add(&b, end, el);                              /* after a frame: good */
	buf_str(&b, "perfvisor: end status=0\n");

	struct got g;
	struct pv_diag d;
	assert_int_equal(parse(b.p, b.len, &g, &d, NULL), 0);
	assert_int_equal(d.frames_in_text, 3);
	assert_int_equal(d.frames_ok, 4);
	assert_int_equal(d.frame_bytes, hl + rl + c.frame_len[2] + el);
	assert_true(d.have_end);
	assert_accounted(&d);
	/* the events are those of the accepted frames only: RECORDS 1 (at the line start) and 2 */
	size_t n1 = c.frame_nev[1], n2 = c.frame_nev[2];
	assert_int_equal(g.nev, n1 + n2);
	assert_events(g.ev, c.ev + c.frame_first_ev[1], n1);
	assert_events(g.ev + n1, c.ev + c.frame_first_ev[2], n2);
	/* the guest's line is one line, its refused frames left out; the damaged line is shown */
	assert_int_equal(g.nlines, 4);
	assert_string_equal(g.lines[0], "perfvisor: start");
	assert_string_equal(g.lines[1], "[2:evil] look:  done");
	assert_memory_equal(g.lines[2], "\x80\x01 damaged ", 11);
	assert_string_equal(g.lines[3], "perfvisor: end status=0");
	assert_non_null(strstr(d.first_error, "inside a line of console text"));

	/* the same bytes fed one at a time decide the same way */
	struct pv_stream *ps = malloc(sizeof(*ps));
	struct got g2;
	memset(&g2, 0, sizeof(g2));
	struct pv_parse_cb cb = { &g2, got_event, got_line };
	pv_stream_init(ps, &cb);
	for (size_t i = 0; i < b.len; i++)
		pv_stream_feed(ps, b.p + i, 1);
	pv_stream_finish(ps);
	assert_int_equal(ps->diag.frames_in_text, 3);
	assert_int_equal(ps->diag.frames_ok, 4);
	assert_int_equal(g2.nev, g.nev);
	free(ps);
	free(g2.ev);
	free(g.ev);
	free(b.p);
	cap_free(&c);
}

static void text_only_and_empty_streams(void **state)
{
	(void)state;
	static const uint8_t text[] = "line one\r\nline two\n\nno newline at the end";
	struct got g;
	struct pv_diag d;
	assert_int_equal(parse(text, sizeof(text) - 1, &g, &d, NULL), -1);
	assert_int_equal(g.nlines, 4);
	assert_string_equal(g.lines[0], "line one");
	assert_string_equal(g.lines[1], "line two");
	assert_string_equal(g.lines[2], "");
	assert_string_equal(g.lines[3], "no newline at the end");
	assert_int_equal(d.text_bytes, sizeof(text) - 1);
	assert_int_equal(parse(text, 0, &g, &d, NULL), -1);
	assert_int_equal(d.bytes, 0);
	assert_int_equal(g.nlines, 0);
}

static void a_callback_can_stop_the_parse(void **state)
{
	(void)state;
	struct cap c;
	struct got g;
	build_random(&c, 8, 500, 4);
	memset(&g, 0, sizeof(g));
	g.stop_after = 10;
	struct pv_parse_cb cb = { &g, got_event, NULL };
	assert_int_equal(pv_capture_parse(c.bytes.p, c.bytes.len, NULL, &cb, NULL), 0);
	assert_int_equal(g.nev, 10);
	free(g.ev);
	cap_free(&c);
}

/* ---------------------------------------------------------------- perfvisor.data */

static void datafile_round_trip(void **state)
{
	(void)state;
	char path[] = "/tmp/test_capture_XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	struct cap c;
	build_random(&c, 3, 300, 4);
	static struct pv_meta m, r;
	memset(&m, 0, sizeof(m));
	strcpy(m.hypervisor, "/abs/build/perfvisor.elf");
	strcpy(m.images[1], "/abs/build/guest-stub/hello.elf");
	strcpy(m.images[15], "/x/with space.elf");
	strcpy(m.emulator, "bochs");
	strcpy(m.command, "perfvisor record -o x.data a.elf\nb.elf");
	pv_meta_set_recorded_now(&m);
	assert_int_equal(strlen(m.recorded), 24);
	assert_int_equal(pv_datafile_write(path, &m, c.bytes.p, c.bytes.len), 0);
	uint8_t *stream;
	size_t len;
	char err[256];
	assert_int_equal(pv_datafile_read(path, &r, &stream, &len, err, sizeof(err)), 0);
	assert_int_equal(len, c.bytes.len);
	assert_memory_equal(stream, c.bytes.p, len);
	assert_string_equal(r.hypervisor, m.hypervisor);
	assert_string_equal(r.images[1], m.images[1]);
	assert_string_equal(r.images[15], m.images[15]);
	assert_string_equal(r.images[2], "");
	assert_string_equal(r.emulator, "bochs");
	assert_string_equal(r.command, "perfvisor record -o x.data a.elf b.elf");
	assert_string_equal(r.recorded, m.recorded);
	free(stream);

	/* the streaming writer, in pieces */
	char tmp[64];
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	struct pv_datafile_writer *w = pv_datafile_open(path, &m);
	assert_non_null(w);
	assert_int_equal(access(tmp, F_OK), 0);
	for (size_t off = 0; off < c.bytes.len; off += 100)
		assert_int_equal(pv_datafile_append(w, c.bytes.p + off, c.bytes.len - off < 100 ? c.bytes.len - off : 100),
				 0);
	assert_int_equal(pv_datafile_close(w), 0);
	assert_int_equal(access(tmp, F_OK), -1);
	assert_int_equal(pv_datafile_read(path, &r, &stream, &len, err, sizeof(err)), 0);
	assert_int_equal(len, c.bytes.len);
	assert_memory_equal(stream, c.bytes.p, len);
	free(stream);

	/* a raw serial capture: no metadata */
	FILE *f = fopen(path, "wb");
	fputs("perfvisor: booting\n", f);
	fwrite(c.bytes.p, 1, c.bytes.len, f);
	fclose(f);
	assert_int_equal(pv_datafile_read(path, &r, &stream, &len, err, sizeof(err)), 0);
	assert_int_equal(len, c.bytes.len + 19);
	assert_string_equal(r.hypervisor, "");
	free(stream);
	unlink(path);
	cap_free(&c);
}

static void datafile_errors(void **state)
{
	(void)state;
	static struct pv_meta m;
	size_t off;
	char err[256];
	static const uint8_t elf[] = { 0x7f, 'E', 'L', 'F', 2, 1, 1, 0, 0, 0 };
	assert_int_equal(pv_datafile_parse(elf, sizeof(elf), &m, &off, err, sizeof(err)), -1);
	assert_string_equal(err, "not a perfvisor.data file (magic 7f 45 4c 46 02 01 01 00) and no capture frame in it");
	static const uint8_t trunc[] = { 'P', 'V', 'D', 'A', 'T', 'A', 0, 1, 10, 0, 0, 0, 'h', 'y' };
	assert_int_equal(pv_datafile_parse(trunc, sizeof(trunc), &m, &off, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "truncated metadata"));
	assert_int_equal(pv_datafile_parse(trunc, 10, &m, &off, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "truncated metadata"));
	static const uint8_t v2[] = { 'P', 'V', 'D', 'A', 'T', 'A', 0, 2, 0, 0, 0, 0 };
	assert_int_equal(pv_datafile_parse(v2, sizeof(v2), &m, &off, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "version 2"));
	assert_int_equal(pv_datafile_parse(v2, 0, &m, &off, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "empty"));
	static const uint8_t ok[] = "PVDATA\0\1\x2f\0\0\0image 3 /a b\nimage 99 /x\nfuture y\nemulator qemuSTREAM";
	assert_int_equal(pv_datafile_parse(ok, sizeof(ok) - 1, &m, &off, err, sizeof(err)), 0);
	assert_int_equal(off, 12 + 0x2f);
	assert_string_equal(m.images[3], "/a b");
	assert_string_equal(m.emulator, "qemu");
	assert_memory_equal(ok + off, "STREAM", 6);
	uint8_t *s;
	size_t len;
	assert_int_equal(pv_datafile_read("/nonexistent/x.data", &m, &s, &len, err, sizeof(err)), -1);
	assert_string_equal(err, "cannot open: /nonexistent/x.data: No such file or directory");
}

/* A Linux guest's task (CAP_R_TASK) and KASLR anchor (CAP_R_ANCHOR): the PROCESS event of a task
 * (cr3 = PV_TASK_KEY, name = comm, pid, tid), the task in force on the domain's samples of the
 * same frame only, other domains untouched, the anchor's kind and address. */
static void linux_task_and_anchor_records(void **state)
{
	(void)state;
	struct cap c;
	cap_init(&c, 1000, 0, 2);
	cap_header(&c);
	uint8_t f[CAP_ENC_FRAME_MAX];
	struct buf b = { 0 };
	buf_add(&b, c.bytes.p, c.bytes.len);
	cap_enc_begin(&c.enc, 5000);
	assert_int_equal(cap_enc_anchor(&c.enc, 1, CAP_ANCHOR_SYSCALL_ENTRY, 0xffffffff9a600080ull), 0);
	assert_int_equal(cap_enc_task(&c.enc, 1, 7, 42, 43, "workload", 8, NULL), 0);
	assert_int_equal(c.enc.dom[1].task, 7);
	struct cap_sample s = { .domain = 1, .cpl = 3, .mode = CAP_MODE_64, .tsc = 6000, .ip = 0x401000,
				.cr3 = 0x2000, .weight = 1000, .task = 7 };
	assert_int_equal(cap_enc_sample(&c.enc, &s), 0);
	struct cap_sample s2 = s;
	s2.domain = 2, s2.tsc = 7000, s2.task = 0;
	assert_int_equal(cap_enc_sample(&c.enc, &s2), 0);
	buf_add(&b, f, cap_enc_finish(&c.enc, f));
	cap_enc_begin(&c.enc, 8000);
	assert_int_equal(c.enc.dom[1].task, 0);              /* each frame starts with none */
	s.tsc = 9000;
	assert_int_equal(cap_enc_sample(&c.enc, &s), 0);
	buf_add(&b, f, cap_enc_finish(&c.enc, f));
	struct got g = { 0 };
	struct pv_parse_cb cb = { &g, got_event, NULL };
	assert_int_equal(pv_capture_parse(b.p, b.len, NULL, &cb, NULL), 0);
	assert_int_equal(g.nev, 5);
	assert_int_equal(g.ev[0].kind, PV_EV_ANCHOR);
	assert_int_equal(g.ev[0].domain, 1);
	assert_int_equal(g.ev[0].reason, CAP_ANCHOR_SYSCALL_ENTRY);
	assert_true(g.ev[0].anchor == 0xffffffff9a600080ull);
	assert_int_equal(g.ev[1].kind, PV_EV_PROCESS);
	assert_int_equal(g.ev[1].task, 7);
	assert_int_equal(g.ev[1].pid, 42);
	assert_int_equal(g.ev[1].tid, 43);
	assert_true(g.ev[1].cr3 == PV_TASK_KEY(7));
	assert_string_equal(g.ev[1].name, "workload");
	assert_int_equal(g.ev[2].kind, PV_EV_SAMPLE);
	assert_int_equal(g.ev[2].task, 7);
	assert_int_equal(g.ev[2].pid, 42);
	assert_true(g.ev[2].cr3 == 0x2000);
	assert_int_equal(g.ev[3].domain, 2);
	assert_int_equal(g.ev[3].task, 0);
	assert_int_equal(g.ev[4].kind, PV_EV_SAMPLE);
	assert_int_equal(g.ev[4].task, 0);                   /* a new frame: no task in force */
	free(g.ev);
	free(b.p);
	cap_free(&c);
}

/* A task's executable (CAP_TASK_EXE in CAP_R_TASK's length byte): entry and build-id decoded;
 * a task record without it leaves none on its event; a build-id over 32 bytes is malformed. */
static void linux_task_executable_records(void **state)
{
	(void)state;
	struct cap c;
	cap_init(&c, 1000, 0, 2);
	cap_header(&c);
	uint8_t f[CAP_ENC_FRAME_MAX];
	struct buf b = { 0 };
	buf_add(&b, c.bytes.p, c.bytes.len);
	uint8_t bid[20];
	for (int i = 0; i < 20; i++)
		bid[i] = (uint8_t)(0xa0 + i);
	struct cap_task_exe exe = { 0x5555d2a42040ull, bid, sizeof(bid) };
	cap_enc_begin(&c.enc, 5000);
	assert_int_equal(cap_enc_task(&c.enc, 1, 8, 50, 50, "pie", 3, &exe), 0);
	assert_int_equal(cap_enc_task(&c.enc, 1, 9, 51, 51, "sh", 2, NULL), 0);
	exe.build_id_len = 0;     /* the notes were not mapped: the entry alone */
	assert_int_equal(cap_enc_task(&c.enc, 2, 3, 60, 61, "static", 6, &exe), 0);
	size_t plen = c.enc.len;
	buf_add(&b, f, cap_enc_finish(&c.enc, f));
	struct got g = { 0 };
	struct pv_parse_cb cb = { &g, got_event, NULL };
	struct pv_diag diag;
	assert_int_equal(pv_capture_parse(b.p, b.len, NULL, &cb, &diag), 0);
	assert_int_equal(diag.records_malformed, 0);
	assert_int_equal(g.nev, 3);
	assert_int_equal(g.ev[0].has_exe, 1);
	assert_true(g.ev[0].exe_entry == 0x5555d2a42040ull);
	assert_int_equal(g.ev[0].build_id_len, 20);
	assert_memory_equal(g.ev[0].build_id, bid, 20);
	assert_string_equal(g.ev[0].name, "pie");
	assert_int_equal(g.ev[1].has_exe, 0);
	assert_int_equal(g.ev[1].build_id_len, 0);
	assert_int_equal(g.ev[1].build_id[0], 0);           /* cleared after the record before */
	assert_string_equal(g.ev[1].name, "sh");
	assert_int_equal(g.ev[2].has_exe, 1);
	assert_int_equal(g.ev[2].build_id_len, 0);
	assert_int_equal(g.ev[2].tid, 61);
	free(g.ev);

	/* the first record's build-id length byte (after tag, id, pid, tid, length, "pie" and the
	 * 6-byte entry varint... found by value) made 33: that record is malformed */
	size_t frame = b.len - (CAP_FRAME_HEAD + plen + CAP_FRAME_CRC);
	uint8_t *pl = b.p + frame + CAP_FRAME_HEAD;
	size_t at = 0;
	for (size_t i = 0; i + 1 < plen; i++)
		if (pl[i] == 20 && pl[i + 1] == 0xa0) {
			at = i;
			break;
		}
	assert_true(at > 0);
	pl[at] = 33;
	uint32_t crc = cap_crc32(0, b.p + frame + 2, CAP_FRAME_HEAD - 2 + plen);
	memcpy(pl + plen, &crc, 4);
	memset(&g, 0, sizeof(g));
	assert_int_equal(pv_capture_parse(b.p, b.len, NULL, &cb, &diag), 0);
	assert_int_equal(diag.records_malformed, 1);
	free(g.ev);
	free(b.p);
	cap_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(linux_task_executable_records),
		cmocka_unit_test(roundtrip_random_samples_and_records),
		cmocka_unit_test(streaming_equals_whole_parse),
		cmocka_unit_test(steady_state_sample_is_under_6_bytes),
		cmocka_unit_test(repeated_5_frame_chain_is_under_16_bytes),
		cmocka_unit_test(exact_sample_bytes),
		cmocka_unit_test(full_payload_refuses_and_keeps_state),
		cmocka_unit_test(truncation_at_every_offset),
		cmocka_unit_test(bit_flips_in_the_middle_frame),
		cmocka_unit_test(garbage_and_text_around_frames),
		cmocka_unit_test(oversized_frame_is_rejected),
		cmocka_unit_test(malformed_records_in_a_good_frame),
		cmocka_unit_test(each_record_decoder_refuses_its_truncations),
		cmocka_unit_test(records_before_the_header_wait_for_it),
		cmocka_unit_test(header_that_does_not_fit_is_refused),
		cmocka_unit_test(header_change_and_version_are_noticed),
		cmocka_unit_test(sequence_wraps_and_gaps_count),
		cmocka_unit_test(unknown_frame_types_are_skipped),
		cmocka_unit_test(frames_inside_text_lines_are_refused),
		cmocka_unit_test(text_only_and_empty_streams),
		cmocka_unit_test(a_callback_can_stop_the_parse),
		cmocka_unit_test(datafile_round_trip),
		cmocka_unit_test(datafile_errors),
		cmocka_unit_test(linux_task_and_anchor_records),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
