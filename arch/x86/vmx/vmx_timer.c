/* One timer for slices, samples, virtual overflows and the virtual APIC timer: the
 * VMX-preemption timer, multiplexed (docs/ARCHITECTURE.md "One timer for slices, samples and
 * virtual overflows").
 *
 * It counts guest time only (it runs in VMX non-root operation), in units of 2^rate TSC
 * ticks.  One timer serves the time slice, the software sampler's next sample, the virtual
 * PMU's next overflow and the virtual APIC timer's next expiry: it is armed for whichever
 * comes first.  Exits that need none of them do not touch it (the VMCS saves what is left). */
#include "arch/x86/cpu.h"
#include "arch/x86/vmx/vmcs.h"
#include "arch/x86/vmx/vmx_timer.h"
#include "arch/x86/vmx/vmx_vcpu.h"
#include "hv/domain.h"
#include "hv/vlapic.h"
#include "pmu/sampling/prof.h"
#include "pmu/vpmu/vpmu.h"

/* What the timer counted is settled when it expires, when the vCPU leaves, before the guest's
 * PMU accesses, and on every exit while what the guest's virtual PMU counts depends on the CPL
 * (or in domain-switch mode) — so a guest counter advances by exactly the guest ticks that
 * ran. */
static uint64_t sub_floor(uint64_t a, uint64_t b) { return a > b ? a - b : 0; }

void vmx_timer_arm(struct vcpu *v)
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
    if (__builtin_expect(!vlapic_timer_next(&v->vlapic, &apic), 1)) {
        x->apic_deadline = VMX_APIC_NONE;
    } else {
        /* wall time (TSC) to the expiry: guest time runs no faster, so the timer cannot
         * expire early; vmx_timer_apic_poll corrects for the exits in between */
        uint64_t now = rdtsc(), left = apic > now ? apic - now : 0;
        x->apic_deadline = apic;
        if (left < t) {
            t = left;
            x->apic_bound = 1;
        }
    }
    t >>= vmx_caps.preempt_rate;
    x->armed = t > 0xFFFFFFFFull ? 0xFFFFFFFFu : t ? (uint32_t)t : 1;
    vmcs_write32(VMCS_GUEST_PREEMPTION_TIMER, x->armed);
    x->rearm = 0;
}

/* Takes what the timer counted since the last settle off the slice and the next sample, and
 * gives it to the guest's counters (at its current CPL) when they count.  expired: the timer
 * ran out (no need to read it). */
void vmx_timer_settle(struct vcpu *v, int expired, uint64_t tsc)
{
    struct vmx_vcpu *x = v->arch;
    uint32_t remaining = expired ? 0 : vmcs_read32(VMCS_GUEST_PREEMPTION_TIMER);
    uint64_t ran = (uint64_t)(x->armed - remaining) << vmx_caps.preempt_rate;

    x->armed = remaining;
    x->slice_left = sub_floor(x->slice_left, ran);
    if (prof_samples_guests() && (v->sample_left = sub_floor(v->sample_left, ran)) == 0) {
        prof_sample_guest(v, tsc);
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

/* The virtual APIC timer counts the TSC (wall time), the preemption timer guest time only.
 * Before each entry while it counts (or just stopped): an expiry due by now goes to the IRR;
 * if the expiry moved (the guest wrote a timer register, a periodic reload, a stop), or it was
 * the nearest event and hypervisor time has passed since the timer was armed, the timer is
 * settled and re-armed from the TSC.  Nothing happens here while the APIC timer is idle. */
void vmx_timer_apic_poll(struct vcpu *v, uint64_t now)
{
    struct vmx_vcpu *x = v->arch;
    uint64_t d;

    if (vlapic_timer_next(&v->vlapic, &d) && now >= d && vlapic_timer_update(&v->vlapic, now))
        v->events_pending = 1;           /* delivered at this entry if the guest can take it */
    if (!vlapic_timer_next(&v->vlapic, &d))
        d = VMX_APIC_NONE;
    if (d != x->apic_deadline || x->apic_bound) {
        vmx_timer_settle(v, 0, now);
        x->rearm = 1;
    }
}
