/* pmu/vpmu/vpmu_hw.c: the guest vPMU's hardware backend, driven against the SDM PMU model
 * (tests/unit/pmu_model.c).  A VM entry or exit is simulated by writing the value the VMX
 * "load IA32_PERF_GLOBAL_CTRL" controls would load (Vol. 3C 27.3.2.1, 28.5.1) into the
 * model's IA32_PERF_GLOBAL_CTRL; events then happen "in the guest" or "in the hypervisor". */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "pmu/vpmu/vpmu_hw.h"
#include "pmu/sampling/hw_pmu.h"
#include "perfvisor/capture.h"
#include "pmu_model.h"

static struct pmu_model m;
static struct vpmu_hw_host host;
static struct pmu_caps gcaps;
static char why[512];
static const struct hwpmu_ops ops = { pmu_model_rdmsr, pmu_model_wrmsr, pmu_model_cpuid, &m };

#define EV_CYCLES  0u   /* CPUID.0AH:EBX bit order (pmu/vpmu/pmu_msr.h) */
#define EV_INSNS   1u
#define EV_BRANCH  5u
#define HV_GP0     1u   /* the system-wide sampler's counter */
#define W48        ((1ull << 48) - 1)
#define EN_ALL     (PERFEVTSEL_USR | PERFEVTSEL_OS | PERFEVTSEL_EN)

static int probe(const struct pmu_model_config *cfg, uint32_t hv_gp)
{
    pmu_model_init(&m, cfg);
    memset(&host, 0x5A, sizeof(host));
    memset(why, 0, sizeof(why));
    int r = vpmu_hw_probe(&ops, hv_gp, &host, why, sizeof(why));
    assert_true(strlen(why) > 0);
    if (r)
        vpmu_hw_guest_caps(&host, &gcaps);
    return r;
}

static uint64_t rd(uint32_t msr)
{
    uint64_t v = 0xBAD;
    assert_int_equal(pmu_model_rdmsr(&m, msr, &v), 0);
    return v;
}

static void wr(uint32_t msr, uint64_t v)
{
    assert_int_equal(pmu_model_wrmsr(&m, msr, v), 0);
}

/* A guest vCPU's PMU at RESET, as the software backend keeps it, and its WRMSRs. */
static void guest_init(struct pmu_state *g)
{
    pmu_state_reset(g, &gcaps);
}

static void gw(struct pmu_state *g, uint32_t msr, uint64_t v)
{
    assert_int_equal(pmu_state_wrmsr(g, msr, v), 0);
}

static uint64_t sel(unsigned ev, uint64_t flags)
{
    return perfevtsel_make(pmu_arch_events[ev].event, pmu_arch_events[ev].umask, flags);
}

/* One guest slice: VM entry, `in_guest` events of ev, VM exit, `in_hv` events of ev. */
static void slice(const struct pmu_state *g, int domain_switch, unsigned ev, uint64_t in_guest,
                  uint64_t in_hv)
{
    wr(MSR_IA32_PERF_GLOBAL_CTRL, vpmu_hw_entry_global_ctrl(&host, g));
    pmu_model_count(&m, ev, in_guest);
    wr(MSR_IA32_PERF_GLOBAL_CTRL, vpmu_hw_exit_global_ctrl(&host, g, domain_switch));
    pmu_model_count(&m, ev, in_hv);
}

/* ---- probe and guest caps ---- */

static void test_probe_v2_usable_without_full_width_writes(void **state)
{
    (void)state;
    assert_int_equal(probe(&PMU_CFG_V2, HV_GP0), 1);
    assert_int_equal(host.caps.version, 2);
    assert_int_equal(host.caps.full_width_writes, 0);
    assert_int_equal(host.guest_ngp, 1);
    assert_int_equal(host.gp_map[0], 1);
    assert_non_null(strstr(why, "1 of 2 GP counters"));
    assert_non_null(strstr(why, "IA32_PMCx"));
}

static void test_probe_v4_v5_usable(void **state)
{
    (void)state;
    assert_int_equal(probe(&PMU_CFG_V4, HV_GP0), 1);
    assert_int_equal(host.caps.full_width_writes, 1);
    assert_int_equal(host.guest_ngp, 3);
    for (unsigned i = 0; i < 3; i++)
        assert_int_equal(host.gp_map[i], i + 1);
    assert_non_null(strstr(why, "3 of 4 GP counters"));
    assert_null(strstr(why, "IA32_PMCx"));

    assert_int_equal(probe(&PMU_CFG_V5, HV_GP0), 1);
    assert_int_equal(host.guest_ngp, 7);
    assert_int_equal(host.gp_map[6], 7);
    /* with no counter kept, the guest gets them all, unrenumbered */
    assert_int_equal(probe(&PMU_CFG_V4, 0), 1);
    assert_int_equal(host.guest_ngp, 4);
    assert_int_equal(host.gp_map[0], 0);
    /* a kept counter in the middle */
    assert_int_equal(probe(&PMU_CFG_V4, 1u << 2), 1);
    assert_int_equal(host.gp_map[0], 0);
    assert_int_equal(host.gp_map[1], 1);
    assert_int_equal(host.gp_map[2], 3);
}

/* Bochs advertises version 4 and #GPs on every PMU MSR; with ignore_bad_msrs writes vanish. */
static void test_probe_bochs_not_usable(void **state)
{
    (void)state;
    assert_int_equal(probe(&PMU_CFG_BOCHS, HV_GP0), 0);
    assert_non_null(strstr(why, "no hardware vPMU"));
    assert_non_null(strstr(why, "#GP"));
    assert_int_equal(probe(&PMU_CFG_BOCHS_IGNORE, HV_GP0), 0);
    assert_non_null(strstr(why, "does not stick"));
    assert_int_equal(probe(&PMU_CFG_V1, HV_GP0), 0);
    assert_non_null(strstr(why, "version 1"));
}

static void test_probe_counter_ownership_checked(void **state)
{
    (void)state;
    assert_int_equal(probe(&PMU_CFG_V2, 0x3), 0);          /* the hypervisor keeps both */
    assert_non_null(strstr(why, "keeps them all"));
    assert_int_equal(probe(&PMU_CFG_V2, 1u << 2), 0);      /* a counter the PMU lacks */
    assert_non_null(strstr(why, "has 2"));
}

/* CPUID 0AH for the guest: the host's counters minus the hypervisor's, same widths and events. */
static void test_guest_caps_exclude_hypervisor_counter(void **state)
{
    (void)state;
    struct pmu_state g;
    uint64_t v;

    probe(&PMU_CFG_V4, HV_GP0);
    assert_int_equal(gcaps.version, 4);
    assert_int_equal(gcaps.ngp, 3);
    assert_int_equal(gcaps.gp_width, 48);
    assert_int_equal(gcaps.nfixed, 3);
    assert_int_equal(gcaps.fixed_width, 48);
    assert_int_equal(gcaps.unavailable_events, 0);
    assert_int_equal(gcaps.ebx_len, 7);
    assert_int_equal(gcaps.full_width_writes, 1);
    assert_false(gcaps.any_deprecated);
    guest_init(&g);
    assert_int_equal(pmu_state_rdmsr(&g, MSR_IA32_PMC0 + 2, &v), 0);
    assert_int_equal(pmu_state_rdmsr(&g, MSR_IA32_PMC0 + 3, &v), -1);   /* #GP: not its */
    assert_int_equal(g.global_ctrl, 0x7);                               /* its RESET value */

    probe(&PMU_CFG_V5, HV_GP0);
    assert_int_equal(gcaps.ngp, 7);
    assert_int_equal(gcaps.unavailable_events, 1u << CAP_EVENT_LLC_MISSES);
    assert_int_equal(gcaps.fixed_bitmap, 0x5);
    assert_int_equal(gcaps.nfixed, 1);
    assert_true(gcaps.any_deprecated);

    probe(&PMU_CFG_V2, HV_GP0);
    assert_int_equal(gcaps.ngp, 1);
    assert_int_equal(gcaps.gp_width, 40);
    assert_int_equal(gcaps.full_width_writes, 0);
}

/* ---- load / count / save ---- */

/* Guest GP 0 counts instructions from 100, fixed 1 core cycles; the hypervisor's sampler
 * counts core cycles on GP 0 throughout. */
static void program_guest(struct pmu_state *g)
{
    guest_init(g);
    gw(g, MSR_IA32_PERFEVTSEL0, sel(EV_INSNS, EN_ALL));
    gw(g, MSR_IA32_A_PMC0, 100);
    gw(g, MSR_IA32_FIXED_CTR_CTRL, fixed_ctrl_with(0, 1, FIXED_CTRL_OS | FIXED_CTRL_USR));
    gw(g, MSR_IA32_PERF_GLOBAL_CTRL, 0x7 | PERF_GLOBAL_FIXED(1));
}

static void test_entry_exit_values(void **state)
{
    (void)state;
    struct pmu_state g;
    probe(&PMU_CFG_V4, HV_GP0);
    program_guest(&g);
    /* guest GP 0..2 -> host 1..3, fixed unchanged, plus the hypervisor's GP 0 */
    assert_int_equal(vpmu_hw_guest_global_ctrl(&host, &g), 0xE | PERF_GLOBAL_FIXED(1));
    assert_int_equal(vpmu_hw_entry_global_ctrl(&host, &g), 0xF | PERF_GLOBAL_FIXED(1));
    assert_int_equal(vpmu_hw_exit_global_ctrl(&host, &g, 0), 0x1);
    assert_int_equal(vpmu_hw_exit_global_ctrl(&host, &g, 1), 0xF | PERF_GLOBAL_FIXED(1));
    /* only bits the host enumerates: VM entry fails on a reserved bit (26.2.2, 26.3.1.1) */
    uint64_t ok = pmu_global_counter_bits(&host.caps);
    assert_int_equal(vpmu_hw_entry_global_ctrl(&host, &g) & ~ok, 0);
    gw(&g, MSR_IA32_PERF_GLOBAL_CTRL, 0);
    assert_int_equal(vpmu_hw_entry_global_ctrl(&host, &g), 0x1);
}

static void test_load_programs_mapped_counters_not_global_ctrl(void **state)
{
    (void)state;
    struct pmu_state g;
    probe(&PMU_CFG_V4, HV_GP0);
    program_guest(&g);
    wr(MSR_IA32_PERF_GLOBAL_CTRL, 0x1);
    assert_int_equal(vpmu_hw_load(&ops, &host, &g), 0);
    assert_int_equal(rd(MSR_IA32_PERFEVTSEL0 + 1), sel(EV_INSNS, EN_ALL));
    assert_int_equal(rd(MSR_IA32_PMC0 + 1), 100);
    assert_int_equal(rd(MSR_IA32_PERFEVTSEL0), 0);       /* the hypervisor's: untouched */
    assert_int_equal(rd(MSR_IA32_FIXED_CTR_CTRL), g.fixed_ctrl);
    assert_int_equal(rd(MSR_IA32_PERF_GLOBAL_CTRL), 0x1);
    assert_int_equal(m.gp_faults, 0);
    /* outside the guest (cpu-switch), its counters do not move */
    pmu_model_count(&m, EV_INSNS, 50);
    assert_int_equal(rd(MSR_IA32_PMC0 + 1), 100);
}

static void test_cpu_switch_guest_counts_only_between_entry_and_exit(void **state)
{
    (void)state;
    struct pmu_state g;
    probe(&PMU_CFG_V4, HV_GP0);
    assert_int_equal(hwpmu_start(&ops, &host.caps, CAP_EVENT_CYCLES, 1000000), 0);
    program_guest(&g);
    assert_int_equal(vpmu_hw_load(&ops, &host, &g), 0);
    slice(&g, 0, EV_INSNS, 40, 7);        /* N = 40 in the guest, M = 7 in the hypervisor */
    slice(&g, 0, EV_CYCLES, 300, 20);
    assert_int_equal(vpmu_hw_save(&ops, &host, &g), 0);
    assert_int_equal(g.pmc[0], 100 + 40);
    assert_int_equal(g.fixed[1], 300);
    assert_int_equal(g.global_status, 0);
    /* the hypervisor's counter saw everything */
    assert_int_equal(hwpmu_read(&ops, &host.caps), (1ull << 48) - 1000000 + 320);
    /* and the guest reads what it counted, through the emulated MSRs */
    uint64_t v;
    assert_int_equal(pmu_state_rdmsr(&g, MSR_IA32_PMC0, &v), 0);
    assert_int_equal(v, 140);
}

static void test_domain_switch_guest_also_counts_hypervisor_work(void **state)
{
    (void)state;
    struct pmu_state g;
    probe(&PMU_CFG_V4, HV_GP0);
    assert_int_equal(hwpmu_start(&ops, &host.caps, CAP_EVENT_CYCLES, 1000000), 0);
    program_guest(&g);
    assert_int_equal(vpmu_hw_load(&ops, &host, &g), 0);
    slice(&g, 1, EV_INSNS, 40, 7);
    slice(&g, 1, EV_CYCLES, 300, 20);
    /* switching the vCPU out: its counters stop before they are saved */
    wr(MSR_IA32_PERF_GLOBAL_CTRL, vpmu_hw_hv_global_ctrl(&host));
    pmu_model_count(&m, EV_CYCLES, 1000);
    assert_int_equal(vpmu_hw_save(&ops, &host, &g), 0);
    assert_int_equal(g.pmc[0], 100 + 47);
    assert_int_equal(g.fixed[1], 320);
    assert_int_equal(hwpmu_read(&ops, &host.caps), (1ull << 48) - 1000000 + 1320);
}

/* Two vCPUs on one CPU, alternating: neither sees the other's events, counters or overflows. */
static void test_two_guests_isolated(void **state)
{
    (void)state;
    struct pmu_state a, b;
    probe(&PMU_CFG_V4, HV_GP0);
    guest_init(&a);
    gw(&a, MSR_IA32_PERFEVTSEL0, sel(EV_INSNS, EN_ALL));
    gw(&a, MSR_IA32_A_PMC0, 1000);
    guest_init(&b);
    gw(&b, MSR_IA32_PERFEVTSEL0, sel(EV_BRANCH, EN_ALL));
    gw(&b, MSR_IA32_PERFEVTSEL0 + 1, sel(EV_INSNS, EN_ALL));      /* no INT */
    gw(&b, MSR_IA32_A_PMC0 + 1, W48 - 2);                         /* wraps after 3 */
    gw(&b, MSR_IA32_FIXED_CTR_CTRL, fixed_ctrl_with(0, 0, FIXED_CTRL_OS | FIXED_CTRL_USR));
    gw(&b, MSR_IA32_PERF_GLOBAL_CTRL, 0x7 | PERF_GLOBAL_FIXED(0));

    assert_int_equal(vpmu_hw_load(&ops, &host, &a), 0);
    slice(&a, 0, EV_INSNS, 10, 1);
    slice(&a, 0, EV_BRANCH, 5, 1);
    assert_int_equal(vpmu_hw_save(&ops, &host, &a), 0);

    assert_int_equal(vpmu_hw_load(&ops, &host, &b), 0);
    slice(&b, 0, EV_INSNS, 7, 1);
    slice(&b, 0, EV_BRANCH, 3, 1);
    assert_int_equal(vpmu_hw_save(&ops, &host, &b), 0);

    assert_int_equal(vpmu_hw_load(&ops, &host, &a), 0);
    slice(&a, 0, EV_INSNS, 1, 1);
    assert_int_equal(vpmu_hw_save(&ops, &host, &a), 0);

    assert_int_equal(a.pmc[0], 1011);
    assert_int_equal(a.pmc[1], 0);
    assert_int_equal(a.fixed[0], 0);
    assert_int_equal(a.global_status, 0);         /* B's overflow is B's */
    assert_int_equal(b.pmc[0], 3);
    assert_int_equal(b.pmc[1], 4);                /* W48 - 2 + 7 wrapped */
    assert_int_equal(b.fixed[0], 7);              /* fixed 0: instructions retired */
    assert_int_equal(b.global_status, PERF_GLOBAL_PMC(1));
    assert_int_equal(m.pmis, 0);
}

/* ---- PMIs ---- */

static void test_guest_counter_overflow_with_int_goes_to_guest(void **state)
{
    (void)state;
    struct pmu_state g;
    probe(&PMU_CFG_V4, HV_GP0);
    guest_init(&g);
    gw(&g, MSR_IA32_PERFEVTSEL0 + 1, sel(EV_INSNS, EN_ALL | PERFEVTSEL_INT));
    gw(&g, MSR_IA32_A_PMC0 + 1, W48 - 4);                       /* -5 */
    assert_int_equal(vpmu_hw_load(&ops, &host, &g), 0);
    wr(MSR_IA32_PERF_GLOBAL_CTRL, vpmu_hw_entry_global_ctrl(&host, &g));
    pmu_model_count(&m, EV_INSNS, 4);
    assert_int_equal(m.pmis, 0);
    pmu_model_count(&m, EV_INSNS, 1);
    assert_int_equal(m.pmis, 1);                                /* the NMI: a VM exit */
    assert_int_equal(m.pmi_status, PERF_GLOBAL_PMC(2));          /* host counter 2 */
    wr(MSR_IA32_PERF_GLOBAL_CTRL, vpmu_hw_exit_global_ctrl(&host, &g, 0));
    assert_int_equal(vpmu_hw_pmi(&ops, &host, &g), 1);
    assert_int_equal(g.global_status, PERF_GLOBAL_PMC(1));        /* guest counter 1 */
    assert_int_equal(rd(MSR_IA32_PERF_GLOBAL_STATUS), 0);        /* cleared on the host */
    /* a second call finds nothing */
    assert_int_equal(vpmu_hw_pmi(&ops, &host, &g), 0);
    assert_int_equal(g.global_status, PERF_GLOBAL_PMC(1));
}

static void test_guest_fixed_counter_overflow_with_pmi(void **state)
{
    (void)state;
    struct pmu_state g;
    probe(&PMU_CFG_V4, HV_GP0);
    guest_init(&g);
    gw(&g, MSR_IA32_FIXED_CTR0 + 1, W48);
    gw(&g, MSR_IA32_FIXED_CTR_CTRL, fixed_ctrl_with(0, 1, FIXED_CTRL_OS | FIXED_CTRL_PMI));
    gw(&g, MSR_IA32_PERF_GLOBAL_CTRL, PERF_GLOBAL_FIXED(1));
    assert_int_equal(vpmu_hw_load(&ops, &host, &g), 0);
    slice(&g, 0, EV_CYCLES, 1, 0);
    assert_int_equal(m.pmis, 1);
    assert_int_equal(vpmu_hw_pmi(&ops, &host, &g), 1);
    assert_int_equal(g.global_status, PERF_GLOBAL_FIXED(1));
    assert_int_equal(rd(MSR_IA32_PERF_GLOBAL_STATUS), 0);
}

/* An overflow without INT sets the status bit (20.2.2) but is no PMI for the guest. */
static void test_guest_overflow_without_int_no_pmi(void **state)
{
    (void)state;
    struct pmu_state g;
    probe(&PMU_CFG_V4, HV_GP0);
    guest_init(&g);
    gw(&g, MSR_IA32_PERFEVTSEL0, sel(EV_INSNS, EN_ALL));
    gw(&g, MSR_IA32_A_PMC0, W48);
    assert_int_equal(vpmu_hw_load(&ops, &host, &g), 0);
    slice(&g, 0, EV_INSNS, 1, 0);
    assert_int_equal(vpmu_hw_pmi(&ops, &host, &g), 0);
    assert_int_equal(g.global_status, PERF_GLOBAL_PMC(0));
    assert_int_equal(rd(MSR_IA32_PERF_GLOBAL_STATUS), 0);
}

/* The hypervisor's sampler overflows: not the guest's PMI, its state untouched, the status
 * bit left for hwpmu_handle_overflow. */
static void test_hypervisor_overflow_not_guests(void **state)
{
    (void)state;
    struct pmu_state g, before;
    probe(&PMU_CFG_V4, HV_GP0);
    assert_int_equal(hwpmu_start(&ops, &host.caps, CAP_EVENT_CYCLES, 10), 0);
    program_guest(&g);
    gw(&g, MSR_IA32_PERFEVTSEL0 + 1, sel(EV_INSNS, EN_ALL | PERFEVTSEL_INT));
    assert_int_equal(vpmu_hw_load(&ops, &host, &g), 0);
    slice(&g, 0, EV_INSNS, 3, 0);
    slice(&g, 0, EV_CYCLES, 10, 0);
    assert_int_equal(m.pmis, 1);
    assert_int_equal(m.pmi_status, PERF_GLOBAL_PMC(0));
    memcpy(&before, &g, sizeof(g));
    assert_int_equal(vpmu_hw_pmi(&ops, &host, &g), 0);
    assert_memory_equal(&before, &g, sizeof(g));
    assert_int_equal(rd(MSR_IA32_PERF_GLOBAL_STATUS), PERF_GLOBAL_PMC(0));
    assert_int_equal(hwpmu_handle_overflow(&ops, &host.caps, 10), 1);
    assert_int_equal(rd(MSR_IA32_PERF_GLOBAL_STATUS), 0);
}

/* Save moves a pending overflow into the guest; a stale host bit never reaches the next. */
static void test_save_moves_status_load_clears_stale(void **state)
{
    (void)state;
    struct pmu_state g;
    probe(&PMU_CFG_V4, HV_GP0);
    guest_init(&g);
    wr(MSR_IA32_PERF_GLOBAL_STATUS_SET, PERF_GLOBAL_PMC(3) | PERF_GLOBAL_PMC(0));
    assert_int_equal(vpmu_hw_load(&ops, &host, &g), 0);
    assert_int_equal(rd(MSR_IA32_PERF_GLOBAL_STATUS), PERF_GLOBAL_PMC(0));   /* hv's kept */
    assert_int_equal(vpmu_hw_save(&ops, &host, &g), 0);
    assert_int_equal(g.global_status, 0);
    wr(MSR_IA32_PERF_GLOBAL_STATUS_SET, PERF_GLOBAL_PMC(3));
    assert_int_equal(vpmu_hw_save(&ops, &host, &g), 0);
    assert_int_equal(g.global_status, PERF_GLOBAL_PMC(2));
    assert_int_equal(rd(MSR_IA32_PERF_GLOBAL_STATUS), PERF_GLOBAL_PMC(0));
}

/* ---- what the hardware cannot take ---- */

/* Without full-width writes (Core 2), IA32_PMCx sign-extends EAX[31] (20.2.6). */
static void test_no_full_width_writes_restore(void **state)
{
    (void)state;
    struct pmu_state g;
    uint64_t w40 = (1ull << 40) - 1;
    probe(&PMU_CFG_V2, HV_GP0);
    guest_init(&g);
    gw(&g, MSR_IA32_PERFEVTSEL0, sel(EV_INSNS, EN_ALL));
    gw(&g, MSR_IA32_PMC0, 0xFFFFFF00);                 /* -256, as the guest can write it */
    assert_int_equal(g.pmc[0], w40 - 255);
    assert_int_equal(vpmu_hw_load(&ops, &host, &g), 0);
    assert_int_equal(rd(MSR_IA32_PMC0 + 1), w40 - 255);
    slice(&g, 0, EV_INSNS, 300, 0);
    assert_int_equal(vpmu_hw_save(&ops, &host, &g), 0);
    assert_int_equal(g.pmc[0], 44);
    assert_int_equal(g.global_status, PERF_GLOBAL_PMC(0));
    assert_int_equal(vpmu_hw_load(&ops, &host, &g), 0);
    assert_int_equal(rd(MSR_IA32_PMC0 + 1), 44);
    /* counted past 2^31 from there: bit 31 set, bits 39:32 clear, not restorable */
    g.pmc[0] = 0x80000000ull;
    assert_int_equal(vpmu_hw_load(&ops, &host, &g), 1);
}

/* A v3/v4 guest may set AnyThread; the hardware counter counts this thread only. */
static void test_anythread_not_passed_to_hardware(void **state)
{
    (void)state;
    struct pmu_state g;
    probe(&PMU_CFG_V4, HV_GP0);
    guest_init(&g);
    gw(&g, MSR_IA32_PERFEVTSEL0, sel(EV_INSNS, EN_ALL | PERFEVTSEL_ANY));
    gw(&g, MSR_IA32_FIXED_CTR_CTRL, fixed_ctrl_with(0, 2, FIXED_CTRL_OS | FIXED_CTRL_ANY));
    assert_int_equal(vpmu_hw_load(&ops, &host, &g), 0);
    assert_int_equal(rd(MSR_IA32_PERFEVTSEL0 + 1), sel(EV_INSNS, EN_ALL));
    assert_int_equal(rd(MSR_IA32_FIXED_CTR_CTRL), fixed_ctrl_with(0, 2, FIXED_CTRL_OS));
    assert_true(g.evtsel[0] & PERFEVTSEL_ANY);     /* the guest reads back what it wrote */
}

/* ---- the MSR-load-list form ---- */

static void test_msr_load_lists_layout(void **state)
{
    (void)state;
    struct pmu_state g;
    struct vpmu_hw_msr_entry entry[2], exit_[2];
    unsigned char raw[32];

    probe(&PMU_CFG_V4, HV_GP0);
    program_guest(&g);
    memset(entry, 0xCC, sizeof(entry));
    memset(exit_, 0xCC, sizeof(exit_));
    assert_int_equal(vpmu_hw_global_ctrl_lists(&host, &g, 0, entry, exit_), 1);
    assert_int_equal(entry[0].index, MSR_IA32_PERF_GLOBAL_CTRL);
    assert_int_equal(entry[0].reserved, 0);
    assert_int_equal(entry[0].data, vpmu_hw_entry_global_ctrl(&host, &g));
    assert_int_equal(exit_[0].data, vpmu_hw_exit_global_ctrl(&host, &g, 0));
    assert_int_equal(entry[1].index, 0xCCCCCCCCu);                 /* one entry only */

    /* the bytes the CPU reads: bits 31:0 index, 63:32 zero, 127:64 data, little-endian */
    memcpy(raw, entry, sizeof(raw));
    static const unsigned char head[8] = { 0x8F, 0x03, 0, 0, 0, 0, 0, 0 };
    assert_memory_equal(raw, head, 8);
    uint64_t data = 0;
    for (unsigned i = 0; i < 8; i++)
        data |= (uint64_t)raw[8 + i] << (8 * i);
    assert_int_equal(data, 0xFull | PERF_GLOBAL_FIXED(1));
    assert_int_equal(raw[16], 0xCC);

    assert_int_equal(vpmu_hw_global_ctrl_lists(&host, &g, 1, entry, exit_), 1);
    assert_int_equal(exit_[0].index, MSR_IA32_PERF_GLOBAL_CTRL);
    assert_int_equal(exit_[0].data, 0xFull | PERF_GLOBAL_FIXED(1));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_probe_v2_usable_without_full_width_writes),
        cmocka_unit_test(test_probe_v4_v5_usable),
        cmocka_unit_test(test_probe_bochs_not_usable),
        cmocka_unit_test(test_probe_counter_ownership_checked),
        cmocka_unit_test(test_guest_caps_exclude_hypervisor_counter),
        cmocka_unit_test(test_entry_exit_values),
        cmocka_unit_test(test_load_programs_mapped_counters_not_global_ctrl),
        cmocka_unit_test(test_cpu_switch_guest_counts_only_between_entry_and_exit),
        cmocka_unit_test(test_domain_switch_guest_also_counts_hypervisor_work),
        cmocka_unit_test(test_two_guests_isolated),
        cmocka_unit_test(test_guest_counter_overflow_with_int_goes_to_guest),
        cmocka_unit_test(test_guest_fixed_counter_overflow_with_pmi),
        cmocka_unit_test(test_guest_overflow_without_int_no_pmi),
        cmocka_unit_test(test_hypervisor_overflow_not_guests),
        cmocka_unit_test(test_save_moves_status_load_clears_stale),
        cmocka_unit_test(test_no_full_width_writes_restore),
        cmocka_unit_test(test_anythread_not_passed_to_hardware),
        cmocka_unit_test(test_msr_load_lists_layout),
    };
    return cmocka_run_group_tests_name("vpmu_hw", tests, NULL, NULL);
}
