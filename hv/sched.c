/* Round-robin scheduling of the domains' vCPUs; the time slice comes from the architecture's
 * timer (the VMX-preemption timer), so a guest spinning with interrupts off is preempted too.
 *
 * A vCPU that executed HLT with interrupts on sleeps (vcpu.sleeping): it is passed over until
 * vcpu_wake_tsc() says an interrupt can reach it, so it costs the others nothing.  When every
 * domain left sleeps, the hypervisor idles until the earliest wake-up; a domain that nothing
 * can ever wake (no timer armed, nothing pending) is stopped, since it would wait forever. */
#include "hv/sched.h"
#include "hv/arch.h"
#include "hv/domain.h"
#include "hv/console.h"
#include "hv/platform.h"
#include "hv/summary.h"

uint64_t hv_idle_ticks;

uint64_t vcpu_wake_tsc(const struct vcpu *v)
{
    const struct vlapic *a = &v->vlapic;
    uint64_t deadline;
    int vec;

    if (v->events_pending || a->nmi_pending || vlapic_pending(a, &vec))
        return 0;
    if (vlapic_timer_next(a, &deadline))
        return deadline;
    return UINT64_MAX;
}

/* Runs the domain's vCPU for a slice (less what is left of its budget); 1 if it ran. */
static int run_slice(struct domain *d, uint64_t slice)
{
    uint64_t ticks = slice;

    if (d->budget) {
        uint64_t used = vcpu_charged_ticks(&d->vcpu);
        if (used >= d->budget) {
            domain_stop(d, "used up its CPU budget of %lu ticks (budget=): %lu in the "
                        "guest, %lu in the hypervisor for it", d->budget, d->vcpu.guest_ticks,
                        used - d->vcpu.guest_ticks);
            return 0;
        }
        if (d->budget - used < ticks)
            ticks = d->budget - used;
    }
    arch_vcpu_run(&d->vcpu, ticks);
    console_service_slice(&d->vcpu);
    return 1;
}

void sched_run(uint64_t slice)
{
    for (;;) {
        int ran = 0, asleep = 0;
        uint64_t wake = UINT64_MAX;

        for (int i = 0; i < ndomains; i++) {
            struct domain *d = &domains[i];
            if (d->state != DOMAIN_RUNNING)
                continue;
            if (d->vcpu.sleeping) {
                uint64_t w = vcpu_wake_tsc(&d->vcpu);
                if (w > platform_ticks()) {
                    asleep++;
                    wake = w < wake ? w : wake;
                    continue;
                }
                d->vcpu.sleeping = 0;
            }
            ran |= run_slice(d, slice);
        }
        if (ran)
            continue;
        if (!asleep)
            return;
        if (wake == UINT64_MAX) {
            for (int i = 0; i < ndomains; i++)
                if (domains[i].state == DOMAIN_RUNNING && domains[i].vcpu.sleeping)
                    domain_stop(&domains[i], "waits in HLT with interrupts on, but no timer is "
                                "armed and nothing is pending: it would sleep forever");
            continue;
        }
        uint64_t t0 = platform_ticks();
        platform_idle_until(wake);
        hv_idle_ticks += platform_ticks() - t0;
    }
}
