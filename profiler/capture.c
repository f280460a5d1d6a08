/* Capture format v1 reader: stream scanning, frame checks, header and record decoding.
 * The rules are in capture.h and docs/capture-format.md. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <limits.h>
#include <string.h>
#include <zlib.h>

#include "capture.h"
#include "../include/perfvisor/visible.h"

/* A RECORDS frame kept until a header says what the period is. */
struct pv_wait_frame {
	uint8_t *payload;
	size_t len;
	uint64_t offset;
};

static const char *const kind_names[] = {
	[PV_EV_SAMPLE] = "sample",         [PV_EV_LOST] = "lost",
	[PV_EV_PROCESS] = "process",       [PV_EV_HV_TIME] = "hv_time",
	[PV_EV_GUEST_TIME] = "guest_time", [PV_EV_DOMAIN_END] = "domain_end",
	[PV_EV_TOTALS] = "totals", [PV_EV_ANCHOR] = "anchor",
};

const char *pv_event_kind_name(enum pv_event_kind k)
{
	if ((unsigned)k < sizeof(kind_names) / sizeof(kind_names[0]))
		return kind_names[k];
	return "?";
}

__attribute__((format(printf, 3, 4)))
static void note_error(struct pv_stream *s, uint64_t offset, const char *fmt, ...)
{
	if (s->diag.first_error[0])
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(s->diag.first_error, sizeof(s->diag.first_error), fmt, ap);
	va_end(ap);
	s->diag.first_error_offset = offset;
}

void pv_stream_init(struct pv_stream *s, const struct pv_parse_cb *cb)
{
	memset(s, 0, sizeof(*s));
	if (cb)
		s->cb = *cb;
}

/* ---------------------------------------------------------------- text */

static void flush_line(struct pv_stream *s)
{
	if (s->line_open && s->cb.text_line && !s->stopped)
		s->cb.text_line(s->cb.ctx, s->line, s->line_len);
	s->line_len = 0;
	s->line_open = 0;
	s->line_damaged = 0;
}

/* Bytes outside frames, none of them 0xFE.  NUL and bytes >= 0x80 cannot be console text (the
 * hypervisor escapes what guests print, include/perfvisor/visible.h): they are counted as
 * garbage, kept in the line for the printer to show as cat -v does, and mark the line as
 * damaged rather than text. */
static void text_bytes(struct pv_stream *s, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t c = p[i];
		if (s->resync) {                       /* residue of a rejected frame */
			s->diag.garbage_bytes++;
			if (c == '\n')
				s->resync = 0;
			continue;
		}
		if (c == 0 || c >= 0x80) {
			s->diag.garbage_bytes++;
			s->line_damaged = 1;
		} else {
			s->diag.text_bytes++;
		}
		s->line_open = 1;
		if (c == '\n') {
			flush_line(s);
			continue;
		}
		if (c == '\r')
			continue;
		if (s->line_len == sizeof(s->line))
			flush_line(s);
		s->line[s->line_len++] = (char)c;
		s->line_open = 1;
	}
}

/* ---------------------------------------------------------------- CRC */

/* The frame CRC: cap_crc32 in include/perfvisor/capture.h is zlib's CRC-32 (reflected 0xEDB88320,
 * initial and final inversion), which the freestanding hypervisor computes itself; the host takes
 * it from zlib. */
static uint32_t frame_crc32(const uint8_t *p, size_t n)
{
	uLong crc = crc32(0L, Z_NULL, 0);
	while (n > UINT_MAX) { /* zlib's length is a uInt */
		crc = crc32(crc, p, UINT_MAX);
		p += UINT_MAX;
		n -= UINT_MAX;
	}
	return (uint32_t)crc32(crc, p, (uInt)n);
}

/* ---------------------------------------------------------------- header */

struct rd {
	const uint8_t *p, *end;
};

static int rd_u8(struct rd *r, uint8_t *v)
{
	if (r->p >= r->end)
		return -1;
	*v = *r->p++;
	return 0;
}

static inline int rd_varint(struct rd *r, uint64_t *v)
{
	if (r->p < r->end && !(*r->p & 0x80)) { /* one byte: most deltas */
		*v = *r->p++;
		return 0;
	}
	return cap_get_varint(&r->p, r->end, v);
}

static int rd_bytes(struct rd *r, size_t n, const uint8_t **out)
{
	if ((size_t)(r->end - r->p) < n)
		return -1;
	*out = r->p;
	r->p += n;
	return 0;
}

/* 0, or -1 with why set. */
static int parse_header(const uint8_t *pl, size_t len, struct pv_header *h, const char **why)
{
	struct rd r = { pl, pl + len };
	const uint8_t *b;
	uint8_t u, n;
	uint64_t v;

	memset(h, 0, sizeof(*h));
	*why = "truncated";
	if (rd_bytes(&r, 5, &b) || memcmp(b, CAP_MAGIC, 5) != 0) {
		*why = "no PVCAP magic";
		return -1;
	}
	if (rd_u8(&r, &u))
		return -1;
	h->version = u;
	if (u != CAP_VERSION) {
		*why = "unsupported capture format version (this perfvisor reads version 1)";
		return -1;
	}
	if (rd_u8(&r, &u))
		return -1;
	h->backend = u;
	if (rd_u8(&r, &u))
		return -1;
	h->event = u;
	if (rd_u8(&r, &u))
		return -1;
	h->flags = u;
	if (rd_varint(&r, &h->period) || rd_varint(&r, &h->jitter) || rd_varint(&r, &h->tsc_khz) ||
	    rd_varint(&r, &v))
		return -1;
	if (v > CAP_MAX_CHAIN) {
		*why = "call-chain depth above 32";
		return -1;
	}
	h->max_depth = (int)v;
	if (rd_u8(&r, &n))
		return -1;
	if (n > sizeof(h->hv_build_id)) {
		*why = "hypervisor build-id longer than 20 bytes";
		return -1;
	}
	if (rd_bytes(&r, n, &b))
		return -1;
	h->hv_build_id_len = n;
	memcpy(h->hv_build_id, b, n);
	if (rd_u8(&r, &n))
		return -1;
	if (n > CAP_MAX_DOMAINS) {
		*why = "more than 16 domains";
		return -1;
	}
	for (int i = 0; i < n; i++) {
		struct pv_domain_info *d = &h->domains[i];
		uint8_t nl, kind, il;
		if (rd_u8(&r, &u))
			return -1;
		if (u >= CAP_MAX_DOMAINS) {
			*why = "domain id above 15";
			return -1;
		}
		d->id = u;
		if (rd_u8(&r, &nl) || rd_bytes(&r, nl, &b))
			return -1;
		size_t keep = nl < sizeof(d->name) - 1 ? nl : sizeof(d->name) - 1;
		for (size_t k = 0; k < keep; k++)      /* never a control byte on the user's terminal */
			d->name[k] = vis_is_plain(b[k]) && b[k] != '\t' ? (char)b[k] : '?';
		d->name[keep] = '\0';
		if (rd_varint(&r, &v))
			return -1;
		if (v > UINT32_MAX) {
			*why = "domain memory size out of range";
			return -1;
		}
		d->mem_mib = (uint32_t)v;
		if (rd_u8(&r, &kind) || rd_u8(&r, &il))
			return -1;
		if (il > sizeof(d->image_id)) {
			*why = "image id longer than 20 bytes";
			return -1;
		}
		if (rd_bytes(&r, il, &b))
			return -1;
		d->image_id_kind = kind;
		d->image_id_len = il;
		memcpy(d->image_id, b, il);
	}
	h->ndomains = n;
	/* Bytes after the domain table are ignored: later versions may append fields. */
	h->valid = 1;
	return 0;
}

/* ---------------------------------------------------------------- records */

struct dec_domain {
	uint64_t ip, cr3;
	int have_ctx;
	uint8_t ctx, depth;
	uint64_t chain[CAP_MAX_CHAIN];
	uint32_t task, pid, tid;           /* CAP_R_TASK in force */
};

/* The decoder of one RECORDS payload.  ev is zeroed once; each record then sets every field it
 * owns and clears what the record before may have left (control fields, name, chain entries
 * past the depth), so every event reads as freshly zeroed apart from its own fields. */
struct dec {
	struct rd r;
	struct dec_domain dom[CAP_MAX_DOMAINS];
	struct pv_event ev;
	uint64_t prev_tsc, period;
	unsigned chain_used;     /* ev.chain[chain_used ..] are 0 */
	int ctl_dirty;           /* a control record set count .. lost or the name */
	const char *why;         /* what was wrong when a decoder returned -1 */
};

static int emit(struct pv_stream *s, const struct pv_event *ev)
{
	if (s->stopped)
		return 1;
	if (s->cb.event && s->cb.event(s->cb.ctx, &s->hdr, ev))
		s->stopped = 1;
	return s->stopped;
}

static void clear_control_fields(struct pv_event *ev)
{
	ev->count = ev->ticks = ev->taken = ev->recorded = ev->lost = 0;
	ev->reason = 0;
	ev->state = ev->status = 0;
	ev->task = ev->pid = ev->tid = 0;
	ev->has_exe = 0;
	ev->exe_entry = 0;
	if (ev->build_id_len)
		memset(ev->build_id, 0, sizeof(ev->build_id));
	ev->build_id_len = 0;
	ev->anchor = 0;
}

/* The call chain of a sample: depth, then each frame as a delta from the domain's last chain. */
static int dec_chain(struct dec *x, struct dec_domain *st, unsigned *depth)
{
	uint64_t cn, v;
	if (rd_varint(&x->r, &cn))
		return -1;
	if (cn > CAP_MAX_CHAIN) {
		x->why = "call chain longer than 32 frames";
		return -1;
	}
	unsigned n = (unsigned)cn, had = st->depth;
	if (n > x->chain_used)
		x->chain_used = n;       /* entries written below: cleared later if need be */
	for (unsigned i = 0; i < n; i++) {
		if (rd_varint(&x->r, &v))
			return -1;
		uint64_t f = (i < had ? st->chain[i] : 0) + (uint64_t)cap_unzigzag(v);
		x->ev.chain[i] = f;
		st->chain[i] = f;
	}
	st->depth = (uint8_t)n;
	*depth = n;
	return 0;
}

/* A SAMPLE record of domain d (docs/capture-format.md, "Sample records"). */
static int dec_sample(struct dec *x, uint8_t tag, int d)
{
	struct dec_domain *st = &x->dom[d];
	struct pv_event *ev = &x->ev;
	uint64_t dts, v, weight = x->period;
	unsigned n = 0;
	if (rd_varint(&x->r, &dts))
		return -1;
	if (tag & CAP_S_CTX) {
		uint8_t c;
		if (rd_varint(&x->r, &v) || rd_u8(&x->r, &c))
			return -1;
		st->cr3 = v;
		st->ctx = c;
		st->have_ctx = 1;
	}
	if (tag & CAP_S_WEIGHT) {
		if (rd_varint(&x->r, &v))
			return -1;
		weight = x->period + (uint64_t)cap_unzigzag(v);
	}
	if (rd_varint(&x->r, &v))
		return -1;
	st->ip += (uint64_t)cap_unzigzag(v);
	if ((tag & CAP_S_CHAIN) && dec_chain(x, st, &n))
		return -1;
	if (x->chain_used > n) {
		memset(ev->chain + n, 0, (x->chain_used - n) * sizeof(ev->chain[0]));
		x->chain_used = n;
	}
	if (x->ctl_dirty) {
		clear_control_fields(ev);
		memset(ev->name, 0, sizeof(ev->name));
		ev->name_len = 0;
		x->ctl_dirty = 0;
	}
	x->prev_tsc += weight + (uint64_t)cap_unzigzag(dts);
	ev->kind = PV_EV_SAMPLE;
	ev->depth = (int)n;
	ev->tsc = x->prev_tsc;
	ev->ip = st->ip;
	ev->weight = weight;
	ev->task = st->task;
	ev->pid = st->pid;
	ev->tid = st->tid;
	if (st->have_ctx) {
		ev->cr3 = st->cr3;
		ev->cpl = CAP_CTX_CPL(st->ctx);
		ev->mode = CAP_CTX_MODE(st->ctx);
		ev->vcpu = CAP_CTX_VCPU(st->ctx);
	} else {
		ev->cr3 = 0;
		ev->cpl = ev->mode = ev->vcpu = 0;
	}
	return 0;
}

/* Control records: each decoder reads its fields into ev (already cleared) and returns 0, or
 * -1 (why set when it is more than truncation).  docs/capture-format.md, "Control records". */
static int dec_lost(struct rd *r, struct pv_event *ev, const char **why)
{
	(void)why;
	ev->kind = PV_EV_LOST;
	return rd_varint(r, &ev->count);
}

static int dec_process(struct rd *r, struct pv_event *ev, const char **why)
{
	uint8_t n;
	const uint8_t *b;
	(void)why;
	ev->kind = PV_EV_PROCESS;
	if (rd_varint(r, &ev->cr3) || rd_u8(r, &n) || rd_bytes(r, n, &b))
		return -1;
	size_t keep = n < sizeof(ev->name) - 1 ? n : sizeof(ev->name) - 1;
	memcpy(ev->name, b, keep);
	ev->name[keep] = '\0';
	ev->name_len = (int)keep;
	return 0;
}

static int dec_hv_time(struct rd *r, struct pv_event *ev, const char **why)
{
	uint64_t v;
	ev->kind = PV_EV_HV_TIME;
	if (rd_varint(r, &v) || rd_varint(r, &ev->count) || rd_varint(r, &ev->ticks))
		return -1;
	if (v > UINT32_MAX) {
		*why = "exit reason out of range";
		return -1;
	}
	ev->reason = (uint32_t)v;
	return 0;
}

static int dec_guest_time(struct rd *r, struct pv_event *ev, const char **why)
{
	(void)why;
	ev->kind = PV_EV_GUEST_TIME;
	return rd_varint(r, &ev->ticks);
}

static int dec_domain_end(struct rd *r, struct pv_event *ev, const char **why)
{
	uint8_t a, b;
	(void)why;
	ev->kind = PV_EV_DOMAIN_END;
	if (rd_u8(r, &a) || rd_u8(r, &b))
		return -1;
	ev->state = a;
	ev->status = b;
	return 0;
}

static int dec_totals(struct rd *r, struct pv_event *ev, const char **why)
{
	(void)why;
	ev->kind = PV_EV_TOTALS;
	return rd_varint(r, &ev->taken) || rd_varint(r, &ev->recorded) || rd_varint(r, &ev->lost) ? -1 : 0;
}

static int dec_task(struct rd *r, struct pv_event *ev, const char **why)
{
	uint64_t id, pid, tid;
	uint8_t n;
	const uint8_t *b;
	ev->kind = PV_EV_PROCESS;
	if (rd_varint(r, &id) || rd_varint(r, &pid) || rd_varint(r, &tid) || rd_u8(r, &n))
		return -1;
	uint8_t flags = n & (uint8_t)~CAP_TASK_COMM_LEN(0xFFu);
	n = (uint8_t)CAP_TASK_COMM_LEN(n);
	if (!id || id > UINT32_MAX || pid > UINT32_MAX || tid > UINT32_MAX || n > 16 || (flags & ~CAP_TASK_EXE)) {
		*why = "task record out of range";
		return -1;
	}
	if (rd_bytes(r, n, &b))
		return -1;
	if (flags & CAP_TASK_EXE) {
		uint8_t bl;
		const uint8_t *bid;
		if (rd_varint(r, &ev->exe_entry) || rd_u8(r, &bl))
			return -1;
		if (bl > CAP_TASK_BUILD_ID_MAX) {
			*why = "task record's build-id longer than 32 bytes";
			return -1;
		}
		if (rd_bytes(r, bl, &bid))
			return -1;
		memcpy(ev->build_id, bid, bl);
		ev->build_id_len = bl;
		ev->has_exe = 1;
	}
	size_t keep = strnlen((const char *)b, n);
	memcpy(ev->name, b, keep);
	ev->name[keep] = '\0';
	ev->name_len = (int)keep;
	ev->task = (uint32_t)id;
	ev->pid = (uint32_t)pid;
	ev->tid = (uint32_t)tid;
	ev->cr3 = PV_TASK_KEY(id);
	return 0;
}

static int dec_anchor(struct rd *r, struct pv_event *ev, const char **why)
{
	uint8_t kind;
	(void)why;
	ev->kind = PV_EV_ANCHOR;
	if (rd_u8(r, &kind) || rd_varint(r, &ev->anchor))
		return -1;
	ev->reason = kind;
	return 0;
}

static int (*const control_decoders[8])(struct rd *, struct pv_event *, const char **) = {
	[CAP_R_LOST] = dec_lost,             [CAP_R_PROCESS] = dec_process,
	[CAP_R_HV_TIME] = dec_hv_time,       [CAP_R_GUEST_TIME] = dec_guest_time,
	[CAP_R_DOMAIN_END] = dec_domain_end, [CAP_R_TOTALS] = dec_totals,
	[CAP_R_TASK] = dec_task,             [CAP_R_ANCHOR] = dec_anchor,
};

/* A control record: the event's tsc is the last sample's, its other fields cleared first. */
static int dec_control(struct dec *x, uint8_t tag)
{
	struct pv_event *ev = &x->ev;
	int (*decode)(struct rd *, struct pv_event *, const char **) = control_decoders[CAP_TAG_TYPE(tag)];
	ev->tsc = x->prev_tsc;
	ev->ip = ev->cr3 = ev->weight = 0;
	ev->cpl = ev->mode = ev->vcpu = ev->depth = 0;
	if (x->chain_used) {
		memset(ev->chain, 0, x->chain_used * sizeof(ev->chain[0]));
		x->chain_used = 0;
	}
	if (x->ctl_dirty) {
		memset(ev->name, 0, sizeof(ev->name));
		ev->name_len = 0;
	}
	clear_control_fields(ev);
	x->ctl_dirty = 1;
	if (!decode) {
		x->why = "unknown control record type";
		return -1;
	}
	if (decode(&x->r, ev, &x->why))
		return -1;
	if (CAP_TAG_TYPE(tag) == CAP_R_TASK) {
		struct dec_domain *st = &x->dom[CAP_TAG_DOMAIN(tag)];
		st->task = ev->task;
		st->pid = ev->pid;
		st->tid = ev->tid;
	}
	return 0;
}

/* Decodes one good RECORDS payload; offset is the frame's stream offset.  A malformed record
 * ends the frame: the events before it have been delivered. */
static void decode_records(struct pv_stream *s, const uint8_t *pl, size_t len, uint64_t offset)
{
	struct dec x;
	uint8_t tag = 0;

	x.r = (struct rd){ pl, pl + len };
	for (int d = 0; d < CAP_MAX_DOMAINS; d++)
		x.dom[d].ip = 0, x.dom[d].have_ctx = 0, x.dom[d].depth = 0, x.dom[d].task = x.dom[d].pid = x.dom[d].tid = 0;
	memset(&x.ev, 0, sizeof(x.ev));
	x.period = s->hdr.valid ? s->hdr.period : 0;
	x.chain_used = 0;
	x.ctl_dirty = 0;
	x.why = "truncated record";
	if (rd_varint(&x.r, &x.prev_tsc)) {
		x.why = "no base timestamp";
		goto malformed;
	}
	while (x.r.p < x.r.end) {
		tag = *x.r.p++;
		int d = CAP_TAG_DOMAIN(tag);
		x.ev.domain = d;
		if (tag & CAP_TAG_CONTROL ? dec_control(&x, tag) : dec_sample(&x, tag, d))
			goto malformed;
		if (emit(s, &x.ev))
			return;
	}
	return;

malformed:
	s->diag.records_malformed++;
	note_error(s, offset, "malformed record in the frame at offset %llu: %s (tag 0x%02x)",
		   (unsigned long long)offset, x.why, tag);
}

/* ---------------------------------------------------------------- frames */

static void decode_waiting(struct pv_stream *s)
{
	for (size_t i = 0; i < s->nwait; i++) {
		if (!s->stopped)
			decode_records(s, s->wait[i].payload, s->wait[i].len, s->wait[i].offset);
		free(s->wait[i].payload);
	}
	free(s->wait);
	s->wait = NULL;
	s->nwait = 0;
}

static void keep_waiting(struct pv_stream *s, const uint8_t *pl, size_t len, uint64_t offset)
{
	if (s->nwait == PV_WAIT_FRAMES) {          /* no header for that long: decode the oldest */
		decode_records(s, s->wait[0].payload, s->wait[0].len, s->wait[0].offset);
		free(s->wait[0].payload);
		memmove(&s->wait[0], &s->wait[1], (s->nwait - 1) * sizeof(s->wait[0]));
		s->nwait--;
	}
	if (!s->wait) {
		s->wait = malloc(PV_WAIT_FRAMES * sizeof(s->wait[0]));
		if (!s->wait)
			goto no_memory;
	}
	uint8_t *copy = malloc(len ? len : 1);
	if (!copy)
		goto no_memory;
	memcpy(copy, pl, len);
	s->wait[s->nwait++] = (struct pv_wait_frame){ copy, len, offset };
	return;
no_memory:
	decode_records(s, pl, len, offset);
}

/* A frame that passed the sync, length and CRC checks. */
static void frame(struct pv_stream *s, const uint8_t *f, size_t total)
{
	uint8_t type = f[2];
	uint16_t seq = (uint16_t)(f[3] | f[4] << 8);
	size_t len = total - CAP_FRAME_HEAD - CAP_FRAME_CRC;
	const uint8_t *pl = f + CAP_FRAME_HEAD;
	uint64_t offset = s->pend_off;

	s->diag.frames_ok++;
	s->diag.frame_bytes += total;
	if (s->have_seq) {
		uint16_t gap = (uint16_t)(seq - s->last_seq - 1);
		if (gap < 32768)
			s->diag.frames_lost_by_seq += gap;
	}
	s->have_seq = 1;
	s->last_seq = seq;

	switch (type) {
	case CAP_FRAME_HEADER: {
		struct pv_header h;
		const char *why;
		if (parse_header(pl, len, &h, &why)) {
			s->diag.records_malformed++;
			note_error(s, offset, "bad header frame at offset %llu: %s", (unsigned long long)offset, why);
			break;
		}
		s->diag.headers++;
		if (s->hdr.valid && memcmp(&h, &s->hdr, sizeof(h)) != 0)
			s->diag.header_changed = 1;
		memcpy(&s->hdr, &h, sizeof(h));        /* padding too: memcmp above stays exact */
		s->diag.have_header = 1;
		decode_waiting(s);
		break;
	}
	case CAP_FRAME_RECORDS:
		if (s->hdr.valid)
			decode_records(s, pl, len, offset);
		else
			keep_waiting(s, pl, len, offset);
		break;
	case CAP_FRAME_END:
		s->diag.have_end = 1;
		break;
	default:
		s->diag.frames_unknown_type++;
		break;
	}
}

static void consume(struct pv_stream *s, size_t n)
{
	s->pend_pos += n;
	s->pend_off += n;
}

/* The 0xFE at the front does not start a good frame: skip it, discard the residue. */
static void reject(struct pv_stream *s)
{
	s->diag.garbage_bytes++;
	flush_line(s);
	s->resync = 1;
	consume(s, 1);
}

/* Classifies as much of pend as can be decided; final: no more bytes will come. */
static void process(struct pv_stream *s, int final)
{
	while (s->pend_pos < s->pend_len && !s->stopped) {
		const uint8_t *p = s->pend + s->pend_pos;
		size_t avail = s->pend_len - s->pend_pos;
		if (p[0] != CAP_SYNC0) {
			const uint8_t *fe = memchr(p, CAP_SYNC0, avail);
			size_t n = fe ? (size_t)(fe - p) : avail;
			text_bytes(s, p, n);
			consume(s, n);
			continue;
		}
		if (avail >= 2 && p[1] != CAP_SYNC1) {
			reject(s);
			continue;
		}
		size_t total = 0;
		if (avail >= CAP_FRAME_HEAD) {
			size_t len = (size_t)(p[5] | p[6] << 8);
			if (len > CAP_MAX_PAYLOAD) {
				s->diag.frames_bad_length++;
				note_error(s, s->pend_off, "frame at offset %llu claims %zu payload bytes (at most %d)",
					   (unsigned long long)s->pend_off, len, CAP_MAX_PAYLOAD);
				reject(s);
				continue;
			}
			total = CAP_FRAME_HEAD + len + CAP_FRAME_CRC;
		}
		if (!total || avail < total) {         /* incomplete */
			if (!final)
				return;
			if (avail > 1 && memchr(p + 1, CAP_SYNC0, avail - 1)) {
				if (total) {
					s->diag.frames_bad_length++;
					note_error(s, s->pend_off, "frame at offset %llu runs past the end of the capture",
						   (unsigned long long)s->pend_off);
				}
				reject(s);
				continue;
			}
			s->diag.truncated_tail_bytes += avail;
			note_error(s, s->pend_off, "the capture ends inside a frame (last %zu bytes)", avail);
			consume(s, avail);
			return;
		}
		const uint8_t *c = p + total - CAP_FRAME_CRC;
		uint32_t want = (uint32_t)c[0] | (uint32_t)c[1] << 8 | (uint32_t)c[2] << 16 | (uint32_t)c[3] << 24;
		if (frame_crc32(p + 2, total - CAP_FRAME_CRC - 2) != want) {
			s->diag.frames_bad_crc++;
			note_error(s, s->pend_off, "bad CRC in the frame at offset %llu", (unsigned long long)s->pend_off);
			reject(s);
			continue;
		}
		if (s->line_open && !s->line_damaged) {
			/* A good frame inside a line of console text could only have been written as
			 * text: the hypervisor writes frames between lines.  Refuse all of it (an inner
			 * frame is not looked for) and stay inside the line. */
			s->diag.frames_in_text++;
			s->diag.garbage_bytes += total;
			note_error(s, s->pend_off,
				   "refused the frame at offset %llu: it starts inside a line of console text",
				   (unsigned long long)s->pend_off);
			consume(s, total);
			continue;
		}
		flush_line(s);
		s->resync = 0;
		frame(s, p, total);
		consume(s, total);
	}
}

long pv_capture_find_frame(const uint8_t *data, size_t len)
{
	for (size_t i = 0; i + CAP_FRAME_HEAD + CAP_FRAME_CRC <= len; i++) {
		const uint8_t *p = data + i;
		if (p[0] != CAP_SYNC0 || p[1] != CAP_SYNC1)
			continue;
		size_t plen = (size_t)(p[5] | p[6] << 8);
		size_t total = CAP_FRAME_HEAD + plen + CAP_FRAME_CRC;
		if (plen > CAP_MAX_PAYLOAD || total > len - i)
			continue;
		const uint8_t *c = p + total - CAP_FRAME_CRC;
		uint32_t want = (uint32_t)c[0] | (uint32_t)c[1] << 8 | (uint32_t)c[2] << 16 | (uint32_t)c[3] << 24;
		if (frame_crc32(p + 2, total - CAP_FRAME_CRC - 2) == want)
			return (long)i;
	}
	return -1;
}

int pv_stream_feed(struct pv_stream *s, const uint8_t *data, size_t len)
{
	while (len && !s->stopped) {
		if (s->pend_pos) {                     /* keep the undecided bytes at the front */
			memmove(s->pend, s->pend + s->pend_pos, s->pend_len - s->pend_pos);
			s->pend_len -= s->pend_pos;
			s->pend_pos = 0;
		}
		size_t n = sizeof(s->pend) - s->pend_len;
		if (n > len)
			n = len;
		memcpy(s->pend + s->pend_len, data, n);
		s->pend_len += n;
		s->diag.bytes += n;
		data += n;
		len -= n;
		process(s, 0);
	}
	return s->stopped;
}

int pv_stream_finish(struct pv_stream *s)
{
	process(s, 1);
	if (s->nwait) {
		note_error(s, s->wait[0].offset,
			   "no header frame before the records at offset %llu: weights and timestamps unknown",
			   (unsigned long long)s->wait[0].offset);
		decode_waiting(s);
	}
	flush_line(s);
	return s->diag.frames_ok ? 0 : -1;
}

int pv_capture_parse(const uint8_t *data, size_t len, struct pv_header *h, const struct pv_parse_cb *cb,
		     struct pv_diag *diag)
{
	struct pv_stream *s = malloc(sizeof(*s));
	if (!s)
		return -1;
	pv_stream_init(s, cb);
	pv_stream_feed(s, data, len);
	int rc = pv_stream_finish(s);
	if (h)
		*h = s->hdr;
	if (diag)
		*diag = s->diag;
	free(s);
	return rc;
}
