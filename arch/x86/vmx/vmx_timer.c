/* The preemption timer's multiplexing, its cold part: the virtual APIC timer.
 * Arming and settling, on the hot exits, are inline in vmx_timer.h (docs/ARCHITECTURE.md "One
 * timer for slices, samples and virtual overflows"). */
#include "arch/x86/cpu.h"
#include "arch/x86/vmx/vmx_timer.h"

uint64_t vmx_timer_apic_limit(struct vmx_vcpu *x, uint64_t apic, uint64_t t)
{
    /* wall time (TSC) to the expiry: guest time runs no faster, so the timer cannot expire
     * early; vmx_timer_apic_poll corrects for the exits in between */
    uint64_t now = rdtsc(), left = apic > now ? apic - now : 0;
    x->apic_deadline = apic;
    if (left < t) {
        x->apic_bound = 1;
        return left;
    }
    return t;
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
