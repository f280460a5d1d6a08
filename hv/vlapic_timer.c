/* The virtual local APIC's timer (SDM Vol. 3A 11.5.4 "APIC Timer", 11.5.4.1 "TSC-Deadline
 * Mode"; 10.5.4 in editions before 2023): one-shot, periodic and TSC-deadline modes, counted
 * on the TSC that the guest's RDTSC reads.  Pure: `now` is the TSC the lead passes in; the
 * rules it follows are listed in hv/vlapic.h. */
#include "hv/vlapic.h"

/* Divide configuration register (Figure 11-10): bits 0, 1 and 3 form a 3-bit value v;
 * v = 111b divides by 1, any other by 2^(v+1). */
#define DCR_VALUE(d)    (((d) & 3u) | (((d) >> 1) & 4u))
#define DCR_BY_1        7u

uint32_t vlapic_timer_divisor(uint32_t dcr)
{
    uint32_t v = DCR_VALUE(dcr);
    return v == DCR_BY_1 ? 1u : 2u << v;
}

static uint32_t mode(const struct vlapic *a)
{
    return APIC_LVT_TIMER_MODE(a->lvt[VLAPIC_LVT_TIMER]);
}

/* TSC ticks for `count` bus-clock ticks at the current divide value (at most 2^39). */
static uint64_t ticks(const struct vlapic *a, uint32_t count)
{
    return (uint64_t)count * vlapic_timer_divisor(a->timer_dcr);
}

static void disarm(struct vlapic *a)
{
    a->timer.armed = 0;
    a->timer.deadline = 0;
}

static void arm(struct vlapic *a, uint64_t deadline)
{
    a->timer.armed = 1;
    a->timer.deadline = deadline;
}

int vlapic_timer_update(struct vlapic *a, uint64_t now)
{
    struct vlapic_timer *t = &a->timer;
    uint64_t period, missed;

    if (!t->armed || now < t->deadline)
        return 0;
    t->expired++;
    switch (mode(a)) {
    case APIC_TIMER_PERIODIC:
        /* Reload from the initial count; expiries that passed unseen (the domain was not
         * running) are folded into this one, and the next keeps the period's grid. */
        period = ticks(a, a->timer_icr);
        missed = (now - t->deadline) / period;
        t->coalesced += missed;
        t->expired += missed;
        t->deadline += (missed + 1) * period;
        break;
    case APIC_TIMER_TSC_DEADLINE:
        t->tsc_deadline = 0;            /* "it disarms itself and clears IA32_TSC_DEADLINE" */
        disarm(a);
        break;
    default:                            /* one-shot (and the reserved mode 11b) */
        disarm(a);
        break;
    }
    return vlapic_local_fixed(a, VLAPIC_LVT_TIMER);
}

uint32_t vlapic_timer_ccr(struct vlapic *a, uint64_t now)
{
    uint64_t left, div;

    vlapic_timer_update(a, now);
    if (mode(a) == APIC_TIMER_TSC_DEADLINE || !a->timer.armed)
        return 0;                       /* stopped, expired one-shot, or deadline mode */
    div = vlapic_timer_divisor(a->timer_dcr);
    left = a->timer.deadline - now;     /* > 0: update() fired anything due */
    return (uint32_t)((left + div - 1) / div);
}

void vlapic_timer_icr_written(struct vlapic *a, uint64_t now)
{
    if (a->timer_icr == 0)              /* "a write of 0 ... effectively stops" the timer */
        disarm(a);
    else
        arm(a, now + ticks(a, a->timer_icr));
}

void vlapic_timer_dcr_written(struct vlapic *a, uint32_t old_dcr, uint64_t now)
{
    uint32_t new_dcr = a->timer_dcr, count;

    if (!a->timer.armed || mode(a) == APIC_TIMER_TSC_DEADLINE)
        return;
    a->timer_dcr = old_dcr;             /* the count so far, at the old rate */
    count = vlapic_timer_ccr(a, now);
    a->timer_dcr = new_dcr;
    if (a->timer.armed)                 /* the rest at the new rate */
        arm(a, now + ticks(a, count));
}

void vlapic_timer_lvt_written(struct vlapic *a, uint32_t old_lvt, uint64_t now)
{
    int was_deadline = APIC_LVT_TIMER_MODE(old_lvt) == APIC_TIMER_TSC_DEADLINE;
    int is_deadline = mode(a) == APIC_TIMER_TSC_DEADLINE;

    (void)now;
    if (was_deadline != is_deadline) {  /* "transitions ... also disarm the timer" */
        disarm(a);
        a->timer_icr = 0;
        a->timer.tsc_deadline = 0;
    }
}

uint64_t vlapic_tsc_deadline_read(struct vlapic *a, uint64_t now)
{
    vlapic_timer_update(a, now);
    return mode(a) == APIC_TIMER_TSC_DEADLINE ? a->timer.tsc_deadline : 0;
}

void vlapic_tsc_deadline_write(struct vlapic *a, uint64_t value, uint64_t now)
{
    if (a->disabled || mode(a) != APIC_TIMER_TSC_DEADLINE)
        return;                         /* "in other timer modes ... writes are ignored" */
    a->timer.tsc_deadline = value;
    if (value == 0)
        disarm(a);
    else
        arm(a, value);
    vlapic_timer_update(a, now);        /* a deadline already passed fires at once */
}
