/* Round-robin scheduling of the domains' vCPUs; the time slice comes from the architecture's
 * timer (the VMX-preemption timer), so a guest spinning with interrupts off is preempted too. */
#include "hv/sched.h"
#include "hv/arch.h"
#include "hv/domain.h"
#include "hv/console.h"

void sched_run(uint64_t slice)
{
    for (;;) {
        int ran = 0;
        for (int i = 0; i < ndomains; i++) {
            struct domain *d = &domains[i];
            if (d->state != DOMAIN_RUNNING)
                continue;
            uint64_t ticks = slice;
            if (d->budget) {
                uint64_t used = vcpu_charged_ticks(&d->vcpu);
                if (used >= d->budget) {
                    domain_stop(d, "used up its CPU budget of %lu ticks (budget=): %lu in the "
                                "guest, %lu in the hypervisor for it", d->budget, d->vcpu.guest_ticks,
                                used - d->vcpu.guest_ticks);
                    continue;
                }
                if (d->budget - used < ticks)
                    ticks = d->budget - used;
            }
            arch_vcpu_run(&d->vcpu, ticks);
            console_service_slice(&d->vcpu);
            ran = 1;
        }
        if (!ran)
            return;
    }
}
