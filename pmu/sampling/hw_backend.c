/* The hardware sampling backend on the real CPU: pmu/sampling/hw_pmu.c's logic with real MSRs, its
 * PMIs routed to NMI.  An NMI while a guest runs exits (pin-based NMI exiting) and samples the
 * guest; an NMI in the hypervisor samples the hypervisor's own RIP into ring 0. */
#include "pmu/sampling/hw_backend.h"
#include "arch/x86/cpu.h"
#include "arch/x86/lapic.h"
#include "pmu/sampling/hw_pmu.h"
#include "pmu/sampling/prof.h"
#include "pmu/sampling/prof_state.h"
#include "hv/platform.h"
#include "hv/printf.h"
#include "perfvisor/limits.h"

static int ops_rdmsr(void *ctx, uint32_t msr, uint64_t *v) { (void)ctx; return rdmsr_safe(msr, v); }
static int ops_wrmsr(void *ctx, uint32_t msr, uint64_t v) { (void)ctx; return wrmsr_safe(msr, v); }
static void ops_cpuid(void *ctx, uint32_t leaf, uint32_t sub, uint32_t out[4])
{
    struct cpuid_regs r;
    (void)ctx;
    cpuid_count(leaf, sub, &r);
    out[0] = r.eax, out[1] = r.ebx, out[2] = r.ecx, out[3] = r.edx;
}

const struct hwpmu_ops hwpmu_cpu_ops = { ops_rdmsr, ops_wrmsr, ops_cpuid, 0 };
static struct pmu_caps caps;
static int running;

int hw_backend_probe(char *why, size_t len)
{
    if (!hwpmu_probe(&hwpmu_cpu_ops, &caps, why, len))
        return 0;
    /* a PMU whose interrupts cannot arrive takes no samples: say so now (issue #13 item 2) */
    char apic[160];
    if (lapic_pmi_as_nmi(apic, sizeof(apic))) {
        hv_snprintf(why, len, "%s", apic);
        return 0;
    }
    return 1;
}

int hw_backend_check(int event, uint64_t period, char *why, size_t len)
{
    if (event == CAP_EVENT_REF_CYCLES) {
        hv_snprintf(why, len, "ref-cycles counts at the TSC rate only on fixed counter 2, which "
                    "the hardware backend does not use (on general counter 0 its encoding 3CH/01H "
                    "counts bus cycles on some CPUs): sample cycles instead");
        return -1;
    }
    if (!hwpmu_event_supported(&caps, event)) {
        hv_snprintf(why, len, "this PMU does not count that event (CPUID.0AH:EBX)");
        return -1;
    }
    if (period < PV_MIN_HW_PERIOD) {
        hv_snprintf(why, len, "periods under %lu events could livelock a guest on the hardware "
                    "backend (it counts the hypervisor's exit path too)", (unsigned long)PV_MIN_HW_PERIOD);
        return -1;
    }
    if (hwpmu_check_period(&caps, period)) {
        hv_snprintf(why, len, "period above %lu needs full-width counter writes, which this PMU "
                    "lacks", hwpmu_max_period(&caps));
        return -1;
    }
    return 0;
}

int hw_backend_start(char *why, size_t len)
{
    if (lapic_pmi_as_nmi(why, len))
        return -1;
    int r = hwpmu_start(&hwpmu_cpu_ops, &caps, prof.event, prof.period);
    if (r) {
        hv_snprintf(why, len, "programming counter 0 failed (%d)", r);
        return -1;
    }
    running = 1;
    return 0;
}

void hw_backend_stop(void)
{
    if (running)
        hwpmu_stop(&hwpmu_cpu_ops);
    running = 0;
}

/* An NMI: ours if counter 0 overflowed (then re-armed); 0 otherwise. */
int hw_backend_overflowed(void)
{
    if (!running || hwpmu_handle_overflow(&hwpmu_cpu_ops, &caps, prof.period) != 1)
        return 0;
    lapic_pmi_unmask();
    return 1;
}

void prof_sample_hypervisor(uint64_t rip)
{
    struct sample_ring *r = &prof_state.rings[0];
    struct cap_sample *s = ring_reserve(r);
    if (!s)
        return;
    s->domain = 0;
    s->vcpu = 0;
    s->cpl = 0;
    s->mode = CAP_MODE_64;
    s->tsc = platform_ticks();
    s->ip = rip;
    s->cr3 = 0;
    s->weight = prof.period;
    s->depth = 0;
    __asm__ volatile("" ::: "memory");  /* the slot is written before it is published */
    ring_commit(r);
}
