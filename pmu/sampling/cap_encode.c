/* Capture format v1 encoder: see pmu/sampling/cap_encode.h and include/perfvisor/capture.h. */
#include "cap_encode.h"
#include "../../include/perfvisor/hypercall.h"

#ifdef PERFVISOR_HV
#include "hv/string.h"
#else
#include <string.h>
#endif

#define CTL_MAX (1 + 10 + 1 + HC_NAME_MAX)  /* the largest control record: PROCESS */

void cap_enc_init(struct cap_encoder *e, uint64_t period)
{
    memset(e, 0, sizeof(*e));
    e->period = period;
    e->max_depth = CAP_MAX_CHAIN;
    cap_enc_begin(e, 0);
}

void cap_enc_begin(struct cap_encoder *e, uint64_t base_tsc)
{
    e->base_tsc = e->prev_tsc = base_tsc;
    e->have_ctx = 0;
    for (int d = 0; d < CAP_MAX_DOMAINS; d++) {
        e->dom[d].ip = 0;
        e->dom[d].depth = 0;
        e->dom[d].task = 0;
    }
    e->len = cap_put_varint(e->buf, base_tsc);
    e->base_len = (uint8_t)e->len;
}

int cap_enc_empty(const struct cap_encoder *e)
{
    return e->len == e->base_len;
}

static uint8_t *put_zz(uint8_t *p, uint64_t delta)
{
    return p + cap_put_varint(p, cap_zigzag((int64_t)delta));
}

int cap_enc_sample(struct cap_encoder *e, const struct cap_sample *s)
{
    uint8_t tmp[CAP_ENC_SAMPLE_MAX];
    size_t room = CAP_MAX_PAYLOAD - e->len;
    /* Encode in place when even the largest sample fits, else on the side and check. */
    uint8_t *p0 = room >= CAP_ENC_SAMPLE_MAX ? e->buf + e->len : tmp;
    uint8_t *p = p0 + 1;
    unsigned d = s->domain & 0x0Fu;
    struct cap_enc_domain *st = &e->dom[d];
    uint8_t tag = (uint8_t)d, ctx = 0;
    unsigned depth = 0;

    p = put_zz(p, s->tsc - e->prev_tsc - s->weight);
    if (d != 0) {
        ctx = (uint8_t)((s->cpl & 3u) | (s->mode & 3u) << 2 | (s->vcpu & 15u) << 4);
        if (!(e->have_ctx & (1u << d)) || st->cr3 != s->cr3 || st->ctx != ctx) {
            tag |= CAP_S_CTX;
            p += cap_put_varint(p, s->cr3);
            *p++ = ctx;
        }
        depth = s->depth < e->max_depth ? s->depth : e->max_depth;
    }
    if (s->weight != e->period) {
        tag |= CAP_S_WEIGHT;
        p = put_zz(p, s->weight - e->period);
    }
    p = put_zz(p, s->ip - st->ip);
    if (depth) {
        tag |= CAP_S_CHAIN;
        *p++ = (uint8_t)depth;                       /* <= CAP_MAX_CHAIN: one varint byte */
        for (unsigned i = 0; i < depth; i++)
            p = put_zz(p, s->chain[i] - (i < st->depth ? st->chain[i] : 0));
    }
    p0[0] = tag;

    size_t n = (size_t)(p - p0);
    if (p0 == tmp) {
        if (n > room)
            return -1;
        memcpy(e->buf + e->len, tmp, n);
    }
    e->len += n;
    e->prev_tsc = s->tsc;
    st->ip = s->ip;
    if (tag & CAP_S_CTX) {
        e->have_ctx |= (uint16_t)(1u << d);
        st->cr3 = s->cr3;
        st->ctx = ctx;
    }
    if (depth) {
        for (unsigned i = 0; i < depth; i++)
            st->chain[i] = s->chain[i];
        st->depth = (uint8_t)depth;
    }
    return 0;
}

/* Appends a control record built in rec[0..n). */
static int put_record(struct cap_encoder *e, const uint8_t *rec, size_t n)
{
    if (n > CAP_MAX_PAYLOAD - e->len)
        return -1;
    memcpy(e->buf + e->len, rec, n);
    e->len += n;
    return 0;
}

static uint8_t ctl_tag(unsigned type, uint8_t domain)
{
    return (uint8_t)(CAP_TAG_CONTROL | type << 4 | (domain & 0x0Fu));
}

int cap_enc_lost(struct cap_encoder *e, uint8_t domain, uint64_t n)
{
    uint8_t r[CTL_MAX], *p = r;
    *p++ = ctl_tag(CAP_R_LOST, domain);
    p += cap_put_varint(p, n);
    return put_record(e, r, (size_t)(p - r));
}

int cap_enc_task(struct cap_encoder *e, uint8_t domain, uint32_t id, uint32_t pid, uint32_t tid,
                 const char *comm, size_t len, const struct cap_task_exe *exe)
{
    uint8_t r[1 + 3 * 5 + 1 + 16 + 10 + 1 + CAP_TASK_BUILD_ID_MAX], *p = r;
    if (len > 16)
        len = 16;
    *p++ = ctl_tag(CAP_R_TASK, domain);
    p += cap_put_varint(p, id);
    p += cap_put_varint(p, pid);
    p += cap_put_varint(p, tid);
    *p++ = (uint8_t)(len | (exe ? CAP_TASK_EXE : 0));
    for (size_t i = 0; i < len; i++)
        *p++ = (uint8_t)comm[i];
    if (exe) {
        size_t n = exe->build_id_len <= CAP_TASK_BUILD_ID_MAX ? exe->build_id_len : 0;
        p += cap_put_varint(p, exe->entry);
        *p++ = (uint8_t)n;
        for (size_t i = 0; i < n; i++)
            *p++ = exe->build_id[i];
    }
    if (put_record(e, r, (size_t)(p - r)))
        return -1;
    e->dom[domain & 0x0Fu].task = id;
    return 0;
}

int cap_enc_anchor(struct cap_encoder *e, uint8_t domain, uint8_t kind, uint64_t value)
{
    uint8_t r[12], *p = r;
    *p++ = ctl_tag(CAP_R_ANCHOR, domain);
    *p++ = kind;
    p += cap_put_varint(p, value);
    return put_record(e, r, (size_t)(p - r));
}

int cap_enc_process(struct cap_encoder *e, uint8_t domain, uint64_t cr3, const char *name, size_t len)
{
    uint8_t r[CTL_MAX], *p = r;
    if (len > HC_NAME_MAX)
        len = HC_NAME_MAX;
    *p++ = ctl_tag(CAP_R_PROCESS, domain);
    p += cap_put_varint(p, cr3);
    *p++ = (uint8_t)len;
    for (size_t i = 0; i < len; i++)
        *p++ = (uint8_t)name[i];
    return put_record(e, r, (size_t)(p - r));
}

int cap_enc_hv_time(struct cap_encoder *e, uint8_t domain, uint32_t reason, uint64_t count, uint64_t ticks)
{
    uint8_t r[CTL_MAX], *p = r;
    *p++ = ctl_tag(CAP_R_HV_TIME, domain);
    p += cap_put_varint(p, reason);
    p += cap_put_varint(p, count);
    p += cap_put_varint(p, ticks);
    return put_record(e, r, (size_t)(p - r));
}

int cap_enc_guest_time(struct cap_encoder *e, uint8_t domain, uint64_t ticks)
{
    uint8_t r[CTL_MAX], *p = r;
    *p++ = ctl_tag(CAP_R_GUEST_TIME, domain);
    p += cap_put_varint(p, ticks);
    return put_record(e, r, (size_t)(p - r));
}

int cap_enc_domain_end(struct cap_encoder *e, uint8_t domain, uint8_t state, uint8_t status)
{
    uint8_t r[3] = { ctl_tag(CAP_R_DOMAIN_END, domain), state, status };
    return put_record(e, r, sizeof(r));
}

int cap_enc_totals(struct cap_encoder *e, uint8_t domain, uint64_t taken, uint64_t recorded, uint64_t lost)
{
    uint8_t r[CTL_MAX], *p = r;
    *p++ = ctl_tag(CAP_R_TOTALS, domain);
    p += cap_put_varint(p, taken);
    p += cap_put_varint(p, recorded);
    p += cap_put_varint(p, lost);
    return put_record(e, r, (size_t)(p - r));
}

/* Frame head and CRC around the len payload bytes already at out + CAP_FRAME_HEAD. */
static size_t wrap(struct cap_encoder *e, uint8_t type, uint8_t *out, size_t len)
{
    uint16_t seq = e->seq++;
    out[0] = CAP_SYNC0;
    out[1] = CAP_SYNC1;
    out[2] = type;
    out[3] = (uint8_t)seq;
    out[4] = (uint8_t)(seq >> 8);
    out[5] = (uint8_t)len;
    out[6] = (uint8_t)(len >> 8);
    uint32_t crc = cap_crc32(0, out + 2, CAP_FRAME_HEAD - 2 + len);
    uint8_t *c = out + CAP_FRAME_HEAD + len;
    c[0] = (uint8_t)crc;
    c[1] = (uint8_t)(crc >> 8);
    c[2] = (uint8_t)(crc >> 16);
    c[3] = (uint8_t)(crc >> 24);
    return CAP_FRAME_HEAD + len + CAP_FRAME_CRC;
}

size_t cap_enc_finish(struct cap_encoder *e, uint8_t *out)
{
    memcpy(out + CAP_FRAME_HEAD, e->buf, e->len);
    return wrap(e, CAP_FRAME_RECORDS, out, e->len);
}

size_t cap_enc_end_frame(struct cap_encoder *e, uint8_t *out)
{
    return wrap(e, CAP_FRAME_END, out, 0);
}

/* Bounded writer for the header payload. */
struct hbuf {
    uint8_t *p;
    size_t len;
    int overflow;
};

static void hb_bytes(struct hbuf *b, const void *src, size_t n)
{
    if (b->overflow || n > CAP_MAX_PAYLOAD - b->len) {
        b->overflow = 1;
        return;
    }
    memcpy(b->p + b->len, src, n);
    b->len += n;
}

static void hb_u8(struct hbuf *b, unsigned v)
{
    uint8_t c = (uint8_t)v;
    hb_bytes(b, &c, 1);
}

static void hb_varint(struct hbuf *b, uint64_t v)
{
    uint8_t t[10];
    hb_bytes(b, t, cap_put_varint(t, v));
}

size_t cap_enc_header_frame(struct cap_encoder *e, const struct cap_header_desc *h, uint8_t *out)
{
    struct hbuf b = { out + CAP_FRAME_HEAD, 0, 0 };

    if (h->hv_build_id_len > sizeof(h->hv_build_id) || h->ndomains > CAP_MAX_DOMAINS)
        return 0;
    hb_bytes(&b, CAP_MAGIC, 5);
    hb_u8(&b, CAP_VERSION);
    hb_u8(&b, h->backend);
    hb_u8(&b, h->event);
    hb_u8(&b, h->flags);
    hb_varint(&b, h->period);
    hb_varint(&b, h->jitter);
    hb_varint(&b, h->tsc_khz);
    hb_varint(&b, h->max_depth);
    hb_u8(&b, h->hv_build_id_len);
    hb_bytes(&b, h->hv_build_id, h->hv_build_id_len);
    hb_u8(&b, h->ndomains);
    for (unsigned i = 0; i < h->ndomains; i++) {
        const struct cap_domain_desc *d = &h->domains[i];
        size_t nl = 0;
        while (nl < sizeof(d->name) && d->name[nl])
            nl++;
        if (d->image_id_len > sizeof(d->image_id))
            return 0;
        hb_u8(&b, d->id);
        hb_u8(&b, (unsigned)nl);
        hb_bytes(&b, d->name, nl);
        hb_varint(&b, d->mem_mib);
        hb_u8(&b, d->image_id_kind);
        hb_u8(&b, d->image_id_len);
        hb_bytes(&b, d->image_id, d->image_id_len);
    }
    if (b.overflow)
        return 0;
    e->period = h->period;
    e->max_depth = h->max_depth < CAP_MAX_CHAIN ? h->max_depth : CAP_MAX_CHAIN;
    return wrap(e, CAP_FRAME_HEADER, out, b.len);
}
