/* The preemption timer's multiplexing: one timer for slices, samples, virtual overflows and
 * the virtual APIC timer (docs/ARCHITECTURE.md "One timer for slices, samples and virtual
 * overflows").  The run loop and the exit handlers that change an event time use it; nothing
 * here calls back into the run loop.
 *
 * It counts guest time only (it runs in VMX non-root operation), in units of 2^rate TSC
 * ticks, and is armed for whichever event comes first.  Exits that need none of them do not
 * touch it (the VMCS saves what is left).  What it counted is settled when it expires, when
 * the vCPU leaves, before the guest's PMU accesses, and on every exit while what the guest's
 * virtual PMU counts depends on the CPL (or in domain-switch mode) — so a guest counter
 * advances by exactly the guest ticks that ran.
 *
 * Arming and settling run on the hot exits (every sample, every virtual overflow, every
 * slice's end), so they are inline here; what only the virtual APIC timer needs is
 * vmx_timer.c's. */
#ifndef ARCH_X86_VMX_VMX_TIMER_H
#define ARCH_X86_VMX_VMX_TIMER_H

#include <stdint.h>

#include "arch/x86/vmx/vmcs.h"
#include "arch/x86/vmx/vmx.h"
#include "arch/x86/vmx/vmx_guest.h"
#include "arch/x86/vmx/vmx_vcpu.h"
#include "hv/domain.h"
#include "hv/vlapic.h"
#include "pmu/sampling/prof.h"
#include "pmu/vpmu/vpmu.h"

/* vmx_timer.c: the virtual APIC timer's part of an arming: t, or the wall time (TSC) left to
 * the expiry at apic when that is nearer (then noted in x->apic_bound). */
uint64_t vmx_timer_apic_limit(struct vmx_vcpu *x, uint64_t apic, uint64_t t);

static inline uint64_t vmx_timer_sub_floor(uint64_t a, uint64_t b) { return a > b ? a - b : 0; }

/* Arms the timer for the nearest of: the slice's end, the next sample, the next virtual
 * overflow, the virtual APIC timer's expiry (clears x->rearm). */
static inline __attribute__((always_inline)) void vmx_timer_arm(struct vcpu *v)
{
    struct vmx_vcpu *x = v->arch;
    uint64_t t = x->slice_left, apic;
    if (prof_samples_guests() && v->sample_left < t)
        t = v->sample_left;
    if (vpmu_counting(&v->vpmu)) {
        uint64_t p = vpmu_ticks_to_pmi(&v->vpmu, vpmu_cpl_matters(&v->vpmu) ? vmx_guest_cpl() : 0);
        if (p < t)
            t = p;
    }
    x->apic_bound = 0;
    if (__builtin_expect(!vlapic_timer_next(&v->vlapic, &apic), 1))
        x->apic_deadline = VMX_APIC_NONE;
    else
        t = vmx_timer_apic_limit(x, apic, t);
    t >>= vmx_caps.preempt_rate;
    x->armed = t > 0xFFFFFFFFull ? 0xFFFFFFFFu : t ? (uint32_t)t : 1;
    vmcs_write32(VMCS_GUEST_PREEMPTION_TIMER, x->armed);
    x->rearm = 0;
}

/* Takes what the timer counted since the last settle off the slice and the next sample and
 * gives it to the guest's counters (at its current CPL) when they count; expired: the timer
 * ran out (no need to read it).  Sets x->rearm when an event came due.  An exit handler calls
 * it to bring the counters up to its exit. */
static inline __attribute__((always_inline)) void vmx_timer_settle(struct vcpu *v, int expired, uint64_t tsc)
{
    struct vmx_vcpu *x = v->arch;
    uint32_t remaining = expired ? 0 : vmcs_read32(VMCS_GUEST_PREEMPTION_TIMER);
    uint64_t ran = (uint64_t)(x->armed - remaining) << vmx_caps.preempt_rate;

    x->armed = remaining;
    x->slice_left = vmx_timer_sub_floor(x->slice_left, ran);
    if (prof_samples_guests() && (v->sample_left = vmx_timer_sub_floor(v->sample_left, ran)) == 0) {
        struct guest_sample_state st;   /* the sampler takes the guest's state as given */
        vmx_guest_sample_state(v, &st);
        prof_sample_guest(v, tsc, &st);
        x->rearm = 1;
    }
    if (vpmu_counting(&v->vpmu)) {
        /* The timer keeps counting toward the same overflow, so it needs no re-arm for this;
         * the CPL is the one at the exit (a ring change without an exit is not seen), and
         * matters only when what counts depends on it (then every exit settles). */
        vpmu_count(&v->vpmu, vpmu_cpl_matters(&v->vpmu) ? vmx_guest_cpl() : 0, ran);
        if (vpmu_take_pmi(&v->vpmu)) {
            if (vlapic_pmi(&v->vlapic))
                v->events_pending = 1;       /* delivered before the guest's next instruction */
            x->rearm = 1;
        }
    }
    if (expired)
        x->rearm = 1;
}

/* Before an entry while the virtual APIC timer counts (or just stopped): its expiry to the
 * IRR when due, and a re-arm when its deadline moved (vmx_timer.c). */
void vmx_timer_apic_poll(struct vcpu *v, uint64_t now);

#endif
