/* Draining the rings into capture frames on the console line (format: perfvisor/capture.h).
 * Between time slices the drain encodes as many frames as the console queue has room for and
 * never waits; at the end of the run it sends everything, the totals and the END frame. */
#include "pmu/sampling/prof.h"
#include "pmu/sampling/cap_encode.h"
#include "pmu/sampling/prof_state.h"
#include "pmu/sampling/prof_linux.h"
#include "pmu/sampling/hw_backend.h"
#include "hv/console.h"
#include "hv/platform.h"
#include "hv/printf.h"
#include "hv/string.h"

extern const uint8_t __build_id_note[];      /* linker.ld: the hypervisor's GNU build-id note */

static struct cap_encoder enc;
static uint8_t frame[CAP_FRAME_HEAD + CAP_MAX_PAYLOAD + CAP_FRAME_CRC];
static unsigned frames_since_header;
static uint32_t headers_sent;         /* a task's executable goes out once per header (exe_sent) */
static uint64_t bytes_sent, frames_sent;

static void send(size_t n, int wait)
{
    bytes_sent += n;
    frames_sent++;
    if (console_try_binary(frame, n) && wait) {
        console_flush();                     /* the queue is far larger than a frame */
        console_try_binary(frame, n);
    }
}

static void hv_build_id(uint8_t *len, uint8_t *id)
{
    /* ELF note: namesz, descsz, type (3 = NT_GNU_BUILD_ID), "GNU\0", descriptor */
    const uint32_t *h = (const uint32_t *)__build_id_note;
    *len = 0;
    if (h[0] == 4 && h[2] == 3 && h[1] <= 20) {
        *len = (uint8_t)h[1];
        memcpy(id, __build_id_note + 16, h[1]);
    }
}

void prof_export_init(void)
{
    cap_enc_init(&enc, prof.period);
}

void prof_export_header(void)
{
    static struct cap_header_desc h;

    if (!h.ndomains) {
        h.backend = (uint8_t)prof.backend;
        h.event = (uint8_t)prof.event;
        h.flags = (prof.callchain ? CAP_HDR_CALLCHAIN : 0) | (prof.jitter ? CAP_HDR_JITTER : 0);
        h.period = prof.period;
        h.jitter = prof.jitter;
        h.tsc_khz = prof.tsc_khz;
        h.max_depth = (uint8_t)prof.callchain;
        hv_build_id(&h.hv_build_id_len, h.hv_build_id);
        for (int i = 0; i < ndomains; i++) {
            struct domain *d = &domains[i];
            struct cap_domain_desc *dd = &h.domains[h.ndomains++];
            dd->id = (uint8_t)d->id;
            hv_strlcpy(dd->name, d->name, sizeof(dd->name));
            dd->mem_mib = (uint32_t)(d->mem_size >> 20);
            dd->image_id_kind = d->image_id_kind;
            dd->image_id_len = d->image_id_len;
            memcpy(dd->image_id, d->image_id, d->image_id_len);
        }
    }
    send(cap_enc_header_frame(&enc, &h, frame), 1);   /* drain() made room: no wait there */
    frames_since_header = 0;
    if (++headers_sent == 0)                      /* tasks' executables are sent again */
        headers_sent = 1;
    prof_names_mark_all(&prof_state.names);      /* late readers learn every name again */
    for (int d = 1; d < CAP_MAX_DOMAINS; d++) {
        struct prof_lx_domain *L = prof_linux_domain(d);
        if (L->syscall_entry)
            L->anchor_pending = 1;
    }
}

/* The ring whose oldest sample is oldest: frames stay in time order across domains. */
static struct sample_ring *oldest_ring(void)
{
    struct sample_ring *best = 0;
    for (int d = 0; d <= ndomains; d++) {
        const struct cap_sample *s = ring_peek(&prof_state.rings[d]);
        if (s && (!best || s->tsc < ring_peek(best)->tsc))
            best = &prof_state.rings[d];
    }
    return best;
}

/* Control records; each is marked sent only once it is in the frame. */
static int add_controls(void)
{
    for (int d = 1; d <= ndomains; d++) {
        for (uint32_t i = 0; i < prof_state.names.count[d]; i++) {
            struct prof_name *n = &prof_state.names.names[d][i];
            if (n->pending) {
                if (cap_enc_process(&enc, (uint8_t)d, n->cr3, n->name, n->len))
                    return -1;
                n->pending = 0;
            }
        }
    }
    for (int d = 1; d <= ndomains; d++) {
        struct prof_lx_domain *L = prof_linux_domain(d);
        if (L && L->anchor_pending) {
            if (cap_enc_anchor(&enc, (uint8_t)d, CAP_ANCHOR_SYSCALL_ENTRY, L->syscall_entry))
                return -1;
            L->anchor_pending = 0;
        }
    }
    for (int d = 0; d <= ndomains; d++) {
        struct sample_ring *r = &prof_state.rings[d];
        if (r->lost != r->lost_reported) {
            if (cap_enc_lost(&enc, (uint8_t)d, r->lost - r->lost_reported))
                return -1;
            r->lost_reported = r->lost;
        }
    }
    for (int i = 0; i < ndomains; i++) {
        struct domain *dom = &domains[i];
        struct vcpu *v = &dom->vcpu;
        int d = dom->id;
        for (int x = 0; x < HV_MAX_EXIT_REASONS; x++) {
            if (v->exits[x] == prof_state.sent_exits[d][x] &&
                v->exit_ticks[x] == prof_state.sent_exit_ticks[d][x])
                continue;
            if (cap_enc_hv_time(&enc, (uint8_t)d, (uint32_t)x, v->exits[x] - prof_state.sent_exits[d][x],
                                v->exit_ticks[x] - prof_state.sent_exit_ticks[d][x]))
                return -1;
            prof_state.sent_exits[d][x] = v->exits[x];
            prof_state.sent_exit_ticks[d][x] = v->exit_ticks[x];
        }
        if (v->export_count != prof_state.sent_export_count[d]) {
            if (cap_enc_hv_time(&enc, (uint8_t)d, CAP_HV_REASON_EXPORT,
                                v->export_count - prof_state.sent_export_count[d],
                                v->export_ticks - prof_state.sent_export_ticks[d]))
                return -1;
            prof_state.sent_export_count[d] = v->export_count;
            prof_state.sent_export_ticks[d] = v->export_ticks;
        }
        if (v->guest_ticks != prof_state.sent_guest_ticks[d]) {
            if (cap_enc_guest_time(&enc, (uint8_t)d, v->guest_ticks - prof_state.sent_guest_ticks[d]))
                return -1;
            prof_state.sent_guest_ticks[d] = v->guest_ticks;
        }
        /* a domain's end follows its last sample */
        if (prof_state.end_pending[d] && !ring_used(&prof_state.rings[d])) {
            if (cap_enc_domain_end(&enc, (uint8_t)d, dom->state != DOMAIN_EXITED ? CAP_END_STOPPED :
                                   dom->halted ? CAP_END_HALTED : CAP_END_EXITED,
                                   (uint8_t)dom->exit_status))
                return -1;
            prof_state.end_pending[d] = 0;
        }
    }
    return 0;
}

/* A sample, after the CAP_R_TASK of its task when that is not the one in force: both fit in
 * this payload, or neither is added. */
static int add_sample(const struct cap_sample *s)
{
    size_t len = enc.len;
    unsigned d = s->domain & 0x0Fu;
    struct prof_lx_task *t = 0;
    if (s->task && enc.dom[d].task != s->task) {
        size_t n = 0;
        while (n < sizeof(s->task_comm) && s->task_comm[n])
            n++;
        /* the task's executable once per header period (it never changes for an id), from its
         * table entry while that still holds it */
        struct cap_task_exe exe;
        t = prof_linux_task_entry((int)d, s->task);
        if (t && (t->exe_state != PROF_LX_EXE_KNOWN || t->exe_sent == headers_sent))
            t = 0;
        if (t)
            exe = (struct cap_task_exe){ t->entry, t->build_id, t->build_id_len };
        if (cap_enc_task(&enc, (uint8_t)d, s->task, s->task_pid, s->task_tid, s->task_comm, n, t ? &exe : 0))
            return -1;
    }
    if (cap_enc_sample(&enc, s)) {
        enc.len = len;
        enc.dom[d].task = 0;
        return -1;
    }
    if (t)
        t->exe_sent = headers_sent;
    return 0;
}

/* Encodes and sends frames while there is something to send (and, unless wait, room). */
static void drain(int wait)
{
    for (;;) {
        if (!wait && console_queue_room() < 2 * sizeof(frame))   /* a frame and maybe a header */
            return;
        struct sample_ring *r = oldest_ring();
        cap_enc_begin(&enc, r ? ring_peek(r)->tsc : platform_ticks());
        int full = add_controls() != 0;
        while (!full && (r = oldest_ring()) != 0) {
            if (add_sample(ring_peek(r)))
                full = 1;
            else
                ring_release(r);
        }
        if (!full)
            full = add_controls() != 0;        /* ends of domains whose rings just emptied */
        if (cap_enc_empty(&enc))
            return;
        send(cap_enc_finish(&enc, frame), wait);
        if (++frames_since_header >= CAP_HEADER_EVERY)
            prof_export_header();
        if (!full)
            return;
    }
}

void prof_drain(void)
{
    if (prof.enabled)
        drain(0);
}

void prof_finish(void)
{
    if (!prof.enabled)
        return;
    hw_backend_stop();
    drain(1);
    cap_enc_begin(&enc, platform_ticks());
    for (int d = 0; d <= ndomains; d++) {
        struct sample_ring *r = &prof_state.rings[d];
        cap_enc_totals(&enc, (uint8_t)d, r->taken, r->recorded, r->lost);
    }
    send(cap_enc_finish(&enc, frame), 1);
    send(cap_enc_end_frame(&enc, frame), 1);
    console_flush();
    for (int d = 0; d <= ndomains; d++) {
        struct sample_ring *r = &prof_state.rings[d];
        if (r->taken)
            hv_printf("perfvisor: profile: domain %d: %lu samples taken = %lu recorded + %lu lost "
                      "(ring of %u)\n", d, r->taken, r->recorded, r->lost, r->capacity);
    }
    uint64_t recorded = 0;
    for (int d = 0; d <= ndomains; d++)
        recorded += prof_state.rings[d].recorded;
    hv_printf("perfvisor: profile: %lu frames, %lu bytes for %lu samples (%lu.%02lu bytes a sample, "
              "headers and accounting included)\n", frames_sent, bytes_sent, recorded,
              recorded ? bytes_sent / recorded : 0,
              recorded ? bytes_sent * 100 / recorded % 100 : 0);
    for (int i = 0; i < ndomains; i++) {
        const struct domain *dom = &domains[i];
        const struct prof_lx_domain *L = prof_linux_domain(dom->id);
        if (L && L->valid)
            hv_printf("perfvisor: profile: domain %d (%s): Linux tasks read from guest memory: %u "
                      "distinct, %lu samples without one (before the kernel's per-CPU area, or "
                      "unreadable)\n", dom->id, dom->name, L->next_id, L->reads_failed);
        if (prof_state.names.dropped[dom->id])
            hv_printf("perfvisor: profile: domain %d (%s): %lu process names refused (HC_NAME_CR3 "
                      "returned %d): its table of %d was full\n", dom->id, dom->name,
                      prof_state.names.dropped[dom->id], HC_ENOSPC, PROF_NAMES_PER_DOMAIN);
    }
}
