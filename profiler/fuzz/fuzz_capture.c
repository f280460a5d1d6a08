/* libFuzzer target for the capture reader (make fuzz-capture; profiler/capture.mk).
 * Each input is:
 *  1. parsed whole by pv_capture_parse, and every byte must be accounted for;
 *  2. fed to a pv_stream in pieces whose sizes come from the input, which must give the same
 *     events, lines and counts as the whole parse;
 *  3. read as a perfvisor.data file from memory (pv_datafile_parse), and its stream parsed;
 *  4. taken as a script of samples and records for the encoder, whose frames must decode to
 *     exactly the events that went in.
 * Any difference aborts (libFuzzer reports it as a crash). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture.h"
#include "datafile.h"
#include "../../pmu/sampling/cap_encode.h"

struct digest {
	uint64_t h, events, lines;
};

static void mix(struct digest *d, const void *p, size_t n)
{
	const uint8_t *b = p;
	for (size_t i = 0; i < n; i++)
		d->h = (d->h ^ b[i]) * 0x100000001b3ull;
}

static int on_event(void *ctx, const struct pv_header *h, const struct pv_event *ev)
{
	struct digest *d = ctx;
	mix(d, ev, sizeof(*ev));
	mix(d, &h->valid, sizeof(h->valid));
	mix(d, &h->period, sizeof(h->period));
	d->events++;
	return 0;
}

static void on_line(void *ctx, const char *line, size_t len)
{
	struct digest *d = ctx;
	if (memchr(line, '\n', len) || memchr(line, '\r', len) || len > PV_LINE_MAX)
		abort();
	mix(d, line, len);
	mix(d, &len, sizeof(len));
	d->lines++;
}

static void check_accounting(const struct pv_diag *g, size_t len)
{
	if (g->bytes != len ||
	    g->bytes != g->text_bytes + g->garbage_bytes + g->truncated_tail_bytes + g->frame_bytes)
		abort();
}

static void whole_and_streamed(const uint8_t *data, size_t size)
{
	struct digest a = { 0xcbf29ce484222325ull, 0, 0 }, b = a;
	struct pv_parse_cb cba = { &a, on_event, on_line }, cbb = { &b, on_event, on_line };
	struct pv_diag da;
	struct pv_header ha;
	int rca = pv_capture_parse(data, size, &ha, &cba, &da);
	check_accounting(&da, size);

	static struct pv_stream s;
	pv_stream_init(&s, &cbb);
	size_t off = 0, k = 0;
	while (off < size) {
		size_t n = 1 + (data[k % size] % 97) * (k % 3 ? 1 : 53);
		k++;
		if (n > size - off)
			n = size - off;
		pv_stream_feed(&s, data + off, n);
		off += n;
	}
	int rcb = pv_stream_finish(&s);
	if (rca != rcb || a.h != b.h || a.events != b.events || a.lines != b.lines ||
	    memcmp(&da, &s.diag, sizeof(da)) != 0 || memcmp(&ha, &s.hdr, sizeof(ha)) != 0)
		abort();
}

static void datafile(const uint8_t *data, size_t size)
{
	static struct pv_meta m;
	size_t off;
	char err[200];
	if (pv_datafile_parse(data, size, &m, &off, err, sizeof(err)) == 0) {
		if (off > size)
			abort();
		struct pv_diag d;
		pv_capture_parse(data + off, size - off, NULL, NULL, &d);
	} else if (!err[0] || !memchr(err, '\0', sizeof(err))) {
		abort();
	}
}

/* ---- 4: the encoder, driven by the input ---- */

struct script {
	const uint8_t *p, *end;
};

static uint64_t take(struct script *s, int bytes)
{
	uint64_t v = 0;
	for (int i = 0; i < bytes && s->p < s->end; i++)
		v = v << 8 | *s->p++;
	return v;
}

struct expect {
	struct pv_event *ev;
	size_t n, cap, next;
	int bad;
};

static struct pv_event *expect_new(struct expect *x)
{
	if (x->n == x->cap) {
		x->cap = x->cap ? 2 * x->cap : 64;
		x->ev = realloc(x->ev, x->cap * sizeof(*x->ev));
		if (!x->ev)
			abort();
	}
	memset(&x->ev[x->n], 0, sizeof(x->ev[0]));
	return &x->ev[x->n++];
}

static int check_event(void *ctx, const struct pv_header *h, const struct pv_event *ev)
{
	struct expect *x = ctx;
	(void)h;
	if (x->next >= x->n || memcmp(ev, &x->ev[x->next], sizeof(*ev)) != 0)
		x->bad = 1;
	x->next++;
	return 0;
}

static void encoder_round_trip(const uint8_t *data, size_t size)
{
	static struct cap_encoder e;
	static struct cap_header_desc hd;
	static uint8_t frame[CAP_ENC_FRAME_MAX];
	struct script sc = { data, data + size };
	struct expect x = { 0 };
	uint8_t *out = NULL;
	size_t olen = 0, ocap = 0;
	uint64_t cur_tsc = 0;

	memset(&hd, 0, sizeof(hd));
	hd.period = take(&sc, 3);
	hd.max_depth = (uint8_t)(take(&sc, 1) % (CAP_MAX_CHAIN + 1));
	cap_enc_init(&e, hd.period);
#define EMIT(n)                                                                                    \
	do {                                                                                       \
		size_t n_ = (n);                                                                   \
		if (olen + n_ > ocap) {                                                            \
			ocap = 2 * (olen + n_);                                                    \
			out = realloc(out, ocap);                                                  \
			if (!out)                                                                  \
				abort();                                                           \
		}                                                                                  \
		memcpy(out + olen, frame, n_);                                                     \
		olen += n_;                                                                        \
	} while (0)
	EMIT(cap_enc_header_frame(&e, &hd, frame));
	cap_enc_begin(&e, cur_tsc = take(&sc, 8));
	while (sc.p < sc.end) {
		uint8_t op = (uint8_t)take(&sc, 1);
		struct pv_event *ev = expect_new(&x);
		int rc;
		if (op < 200) {                                /* a sample */
			struct cap_sample s;
			memset(&s, 0, sizeof(s));
			s.domain = op & 15;
			s.vcpu = (uint8_t)(take(&sc, 1) & 15);
			s.cpl = s.vcpu & 3;
			s.mode = (s.vcpu >> 2) & 3;
			s.tsc = cur_tsc + take(&sc, op & 0x10 ? 8 : 2);
			s.ip = take(&sc, op & 0x20 ? 8 : 1);
			s.cr3 = op & 0x40 ? take(&sc, 4) : 0x1000;
			s.weight = op & 0x80 ? take(&sc, 3) : hd.period;
			s.depth = (uint8_t)(take(&sc, 1) % (CAP_MAX_CHAIN + 1));
			for (int i = 0; i < s.depth; i++)
				s.chain[i] = take(&sc, 2);
			rc = cap_enc_sample(&e, &s);
			if (rc) {
				EMIT(cap_enc_finish(&e, frame));
				cap_enc_begin(&e, s.tsc);
				if (cap_enc_sample(&e, &s))
					abort();               /* a record always fits an empty payload */
			}
			cur_tsc = s.tsc;
			ev->kind = PV_EV_SAMPLE;
			ev->domain = s.domain;
			ev->tsc = s.tsc;
			ev->ip = s.ip;
			ev->weight = s.weight;
			if (s.domain) {
				ev->cr3 = s.cr3;
				ev->cpl = s.cpl;
				ev->mode = s.mode;
				ev->vcpu = s.vcpu;
				ev->depth = s.depth < hd.max_depth ? s.depth : hd.max_depth;
				memcpy(ev->chain, s.chain, (size_t)ev->depth * 8);
			}
		} else {                                       /* a control record */
			uint8_t d = op & 15;
			uint64_t a = take(&sc, 4), b = take(&sc, 1);
			ev->domain = d;
			ev->kind = PV_EV_TOTALS;
			ev->taken = a;
			ev->recorded = b;
			ev->lost = 7;
			if (cap_enc_totals(&e, d, a, b, 7)) {
				EMIT(cap_enc_finish(&e, frame));
				cap_enc_begin(&e, cur_tsc);
				if (cap_enc_totals(&e, d, a, b, 7))
					abort();
			}
			ev->tsc = cur_tsc;
		}
	}
	EMIT(cap_enc_finish(&e, frame));
	EMIT(cap_enc_end_frame(&e, frame));
	struct pv_parse_cb cb = { &x, check_event, NULL };
	struct pv_diag d;
	if (pv_capture_parse(out, olen, NULL, &cb, &d) != 0 || x.bad || x.next != x.n || d.frames_bad_crc ||
	    d.records_malformed || d.garbage_bytes || d.text_bytes || !d.have_end)
		abort();
	free(out);
	free(x.ev);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	whole_and_streamed(data, size);
	datafile(data, size);
	if (size < 4096)
		encoder_round_trip(data, size);
	return 0;
}
