/* End-of-run report: one line per domain, then its exits by reason with their average cost. */
#include "hv/summary.h"
#include "hv/arch.h"
#include "hv/domain.h"
#include "hv/printf.h"

uint64_t hv_first_entry_tsc;

static const char *result_name(const struct domain *d)
{
    switch (d->state) {
    case DOMAIN_EXITED: return d->halted ? "halted" : "exited";
    case DOMAIN_STOPPED: return "stopped";
    default: return "running";
    }
}

static void print_exits(const struct domain *d)
{
    const struct vcpu *v = &d->vcpu;
    char line[400];
    int n = hv_snprintf(line, sizeof(line), "perfvisor:   exits of domain %d (%s):", d->id, d->name);
    int any = 0;

    for (int r = 0; r < HV_MAX_EXIT_REASONS; r++) {
        if (!v->exits[r])
            continue;
        if (n > (int)sizeof(line) - 60) {
            hv_printf("%s\n", line);
            n = hv_snprintf(line, sizeof(line), "perfvisor:     ");
        }
        n += hv_snprintf(line + n, sizeof(line) - n, "%s %s %lu (avg %lu ticks)", any ? "," : "",
                         arch_exit_reason_name(r), v->exits[r], v->exit_ticks[r] / v->exits[r]);
        any = 1;
    }
    if (any)
        hv_printf("%s\n", line);
    if (d->ignored_io)
        hv_printf("perfvisor:   domain %d (%s): %lu accesses to unemulated I/O ports ignored "
                  "(first: port 0x%x)\n", d->id, d->name, d->ignored_io, d->first_ignored_port);
    if (d->vcpu.msr_faults) {
        char list[160];
        int n = 0;
        list[0] = '\0';
        for (int i = 0; i < d->vcpu.msr_fault_kept; i++) {
            uint32_t k = d->vcpu.msr_fault_list[i];
            n += hv_snprintf(list + n, sizeof(list) - n, "%s%s 0x%x", i ? ", " : "",
                             (k & VCPU_MSR_FAULT_WRITE) ? "WRMSR" : "RDMSR",
                             k & ~VCPU_MSR_FAULT_WRITE);
        }
        hv_printf("perfvisor:   domain %d (%s): %lu MSR accesses refused with #GP, as a CPU without "
                  "them does: %s%s\n", d->id, d->name, d->vcpu.msr_faults, list,
                  d->vcpu.msr_fault_more ? ", ..." : "");
    }
    if (d->has_ioapic)
        hv_printf("perfvisor:   domain %d (%s): I/O APIC: %lu interrupts delivered, %lu dropped "
                  "(masked or misrouted); APIC timer: %lu expiries; first instruction at TSC "
                  "%lu\n", d->id, d->name, d->ioapic.sent, d->ioapic.dropped,
                  d->vcpu.vlapic.timer.expired, d->vcpu.first_entry_tsc);
}

int summary_print(void)
{
    int status = 0;

    hv_printf("perfvisor: summary (TSC ticks; under Bochs a tick is one instruction)\n");
    hv_printf("perfvisor:   %-4s %-16s %-8s %6s %14s %12s %8s %14s\n", "dom", "name", "result",
              "status", "guest-ticks", "hv-ticks", "exits", "charged");
    for (int i = 0; i < ndomains; i++) {
        const struct domain *d = &domains[i];
        uint64_t exits = 0, hv = 0;
        for (int r = 0; r < HV_MAX_EXIT_REASONS; r++) {
            exits += d->vcpu.exits[r];
            hv += d->vcpu.exit_ticks[r];
        }
        /* charged: what its slices and budget= count, guest time and all hypervisor time for it */
        uint64_t charged = vcpu_charged_ticks(&d->vcpu);
        if (d->state == DOMAIN_EXITED)
            hv_printf("perfvisor:   %-4d %-16s %-8s %6d %14lu %12lu %8lu %14lu\n", d->id, d->name,
                      result_name(d), d->exit_status, d->vcpu.guest_ticks, hv, exits, charged);
        else
            hv_printf("perfvisor:   %-4d %-16s %-8s %6s %14lu %12lu %8lu %14lu  (%s)\n", d->id, d->name,
                      result_name(d), "-", d->vcpu.guest_ticks, hv, exits, charged, d->stop_reason);
        if (d->state != DOMAIN_EXITED || d->exit_status != 0)
            status = 1;
    }
    for (int i = 0; i < ndomains; i++)
        print_exits(&domains[i]);
    if (host_nmis_ignored)
        hv_printf("perfvisor: %lu NMIs in the hypervisor that were not PMU overflows (ignored)\n",
                  host_nmis_ignored);
    if (hv_idle_ticks)
        hv_printf("perfvisor: idle: %lu ticks with every domain asleep in HLT\n", hv_idle_ticks);
    if (hv_first_entry_tsc)
        hv_printf("perfvisor: boot: %lu ticks from loader handoff to the first guest instruction\n",
                  hv_first_entry_tsc - boot_tsc);
    return status;
}
