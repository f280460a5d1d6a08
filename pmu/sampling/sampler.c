/* Taking samples: called from the VM-exit path, so it only fills a ring slot and returns. */
#include "pmu/sampling/prof.h"
#include "pmu/sampling/callchain.h"
#include "pmu/sampling/prof_state.h"
#include "pmu/sampling/prof_linux.h"
#include "pmu/sampling/hw_backend.h"
#include "hv/errno.h"
#include "hv/mm.h"
#include "hv/printf.h"
#include "hv/string.h"
#include "hv/platform.h"

struct prof_state prof_state;

void prof_export_init(void);     /* pmu/sampling/export.c */
void prof_export_header(void);

/* The next period: the mean, or uniform in [period - jitter, period + jitter] (xorshift64,
 * fixed seed, so a run is still repeatable). */
static uint64_t next_period(void)
{
    uint64_t x = prof_state.rng;
    if (!prof.jitter)
        return prof.period;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    prof_state.rng = x;
    return prof.period - prof.jitter + x % (2 * prof.jitter + 1);
}

int prof_start(void)
{
    if (!prof.enabled)
        return 0;
    uint64_t need = (uint64_t)(ndomains + 1) * prof.ring * sizeof(struct cap_sample);
    if (need > page_alloc_free_bytes() / 2) {
        hv_printf("perfvisor: profiling: ring=%u needs %lu MiB for %d rings of %lu-byte samples; "
                  "only %lu MiB are free: lower ring=\n", prof.ring, need >> 20, ndomains + 1,
                  (uint64_t)sizeof(struct cap_sample), page_alloc_free_bytes() >> 20);
        return -ENOMEM;
    }
    prof_state.rng = 0x9E3779B97F4A7C15ull;
    prof_export_init();
    for (int d = 0; d <= ndomains; d++) {
        struct cap_sample *slots = page_alloc_zeroed((uint64_t)prof.ring * sizeof(struct cap_sample),
                                                     PAGE_SIZE);
        ring_init(&prof_state.rings[d], slots, prof.ring);
    }
    for (int i = 0; i < ndomains; i++) {
        struct vcpu *v = &domains[i].vcpu;
        v->sample_left = v->sample_weight = next_period();
    }
    prof_export_header();
    char why[192];
    if (prof.backend == CAP_BACKEND_HARDWARE && hw_backend_start(why, sizeof(why))) {
        hv_printf("perfvisor: profiling: cannot start the hardware PMU: %s\n", why);
        return -ENODEV;                /* no run that silently takes no samples */
    }
    return 0;
}

int prof_guest_nmi(struct vcpu *v, uint64_t tsc, const struct guest_sample_state *st)
{
    if (!prof.enabled || prof.backend != CAP_BACKEND_HARDWARE || !hw_backend_overflowed())
        return 0;
    prof_sample_guest(v, tsc, st);
    return 1;
}

int prof_host_nmi(uint64_t rip)
{
    if (!prof.enabled || prof.backend != CAP_BACKEND_HARDWARE || !hw_backend_overflowed())
        return 0;
    prof_sample_hypervisor(rip);
    return 1;
}

void prof_sample_guest(struct vcpu *v, uint64_t tsc, const struct guest_sample_state *st)
{
    struct domain *d = v->dom;
    struct cap_sample *s = ring_reserve(&prof_state.rings[d->id]);

    if (s) {
        s->domain = (uint8_t)d->id;
        s->vcpu = (uint8_t)v->id;
        s->cpl = st->cpl;
        s->mode = st->mode;
        s->tsc = tsc;
        s->ip = st->ip;
        s->cr3 = st->cr3;
        s->weight = v->sample_weight;
        const struct prof_lx_task *t = prof_linux_task(d->id, st);
        s->task = 0;
        if (t) {
            s->task = t->id;
            s->task_pid = t->pid;
            s->task_tid = t->tid;
            uint64_t c0, c1;                     /* two loads, not a byte copy */
            __builtin_memcpy(&c0, t->comm, 8);
            __builtin_memcpy(&c1, t->comm + 8, 8);
            __builtin_memcpy(s->task_comm, &c0, 8);
            __builtin_memcpy(s->task_comm + 8, &c1, 8);
        }
        s->depth = prof.callchain ? (uint8_t)callchain_walk(st->fp, st->word64, (int)prof.callchain,
                                                           s->chain, st->mem.read, st->mem.ctx) : 0;
        if (prof.callchain && t && s->depth < prof.callchain)   /* a Linux task in the kernel */
            s->depth = (uint8_t)(s->depth + prof_linux_user_chain(d->id, st, t, s->chain + s->depth,
                                                                  (int)prof.callchain - s->depth));
        ring_commit(&prof_state.rings[d->id]);
    }
    v->sample_left = v->sample_weight = next_period();
}

int prof_name_process(struct domain *d, uint64_t cr3, const char *name, uint32_t len)
{
    if (!prof.enabled)
        return 0;                        /* nothing records names: accepted, unused */
    return prof_names_set(&prof_state.names, d->id, cr3, name, len);
}

void prof_domain_end(struct domain *d)
{
    if (prof.enabled)
        prof_state.end_pending[d->id] = 1;
}
