/* pmu/vpmu/vpmu_backend.h: the shared vPMU logic (pmu/vpmu/vpmu.c) drives both backends
 * through struct vpmu_backend_ops alone, and a guest sees the same SDM behaviour on either.
 * Every test runs twice, once per backend: the software backend (pmu/vpmu/vpmu_sw.c, events =
 * TSC ticks given with vpmu_count) and the hardware backend (pmu/vpmu/vpmu_hw.c) on the SDM
 * PMU model (tests/unit/pmu_model.c, a Skylake-like v4 PMU whose GP counter 0 the hypervisor
 * keeps), where events happen on the model's real counters between a simulated VM entry and
 * exit (the values the "load IA32_PERF_GLOBAL_CTRL" controls would load). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "pmu/vpmu/vpmu.h"
#include "pmu/vpmu/vpmu_hw.h"
#include "pmu_model.h"

#define EV_CYCLES 0u    /* CPUID.0AH:EBX bit order: UnHalted Core Cycles */
#define HV_GP0    1u    /* the system-wide sampler's counter on the real PMU */
#define W48       ((1ull << 48) - 1)
#define ALL_RINGS (PERFEVTSEL_USR | PERFEVTSEL_OS | PERFEVTSEL_EN)

static struct pmu_model m;
static struct vpmu_hw_host host;
static const struct hwpmu_ops model_ops = { pmu_model_rdmsr, pmu_model_wrmsr, pmu_model_cpuid, &m };
static const struct vpmu_hw_ctx hw_ctx = { &model_ops, &host };

/* One backend under test: how a vCPU gets it and how its guest's cycles happen. */
struct backend {
    const struct vpmu_backend_ops *ops;
    void (*init)(struct vpmu *p);
    void (*run)(struct vpmu *p, uint64_t cycles);   /* the guest runs, p loaded */
    int (*pmi)(struct vpmu *p);                     /* the backend's PMI path, then take it */
};

static void sw_init(struct vpmu *p)
{
    vpmu_init_backend(p, &vpmu_sw_backend, NULL);
}

static void sw_run(struct vpmu *p, uint64_t cycles)
{
    vpmu_count(p, 0, cycles);               /* the preemption timer's settling */
}

static int sw_pmi(struct vpmu *p)
{
    return vpmu_take_pmi(p);                /* vpmu_count raised it */
}

static void hw_init(struct vpmu *p)
{
    char why[256];
    if (m.cfg.name == NULL) {               /* one real PMU for every vCPU of a test */
        pmu_model_init(&m, &PMU_CFG_V4);
        assert_int_equal(vpmu_hw_probe(&model_ops, HV_GP0, &host, why, sizeof(why)), 1);
    }
    vpmu_init_backend(p, &vpmu_hw_backend, &hw_ctx);
    vpmu_restore(p);                        /* its vCPU is loaded */
}

static void hw_run(struct vpmu *p, uint64_t cycles)
{
    assert_int_equal(pmu_model_wrmsr(&m, MSR_IA32_PERF_GLOBAL_CTRL,
                                     vpmu_hw_entry_global_ctrl(&host, &p->st)), 0);
    pmu_model_count(&m, EV_CYCLES, cycles);
    assert_int_equal(pmu_model_wrmsr(&m, MSR_IA32_PERF_GLOBAL_CTRL,
                                     vpmu_hw_exit_global_ctrl(&host, &p->st, 0)), 0);
}

static int hw_pmi(struct vpmu *p)
{
    if (m.pmis == 0)                        /* no NMI: nothing for the guest */
        return vpmu_take_pmi(p);
    m.pmis = 0;
    m.lvtpc &= ~LVT_MASKED;                 /* the hypervisor's NMI handler re-arms it */
    assert_true(vpmu_hw_overflow(p) >= 0);
    return vpmu_take_pmi(p);
}

static const struct backend software = { &vpmu_sw_backend, sw_init, sw_run, sw_pmi };
static const struct backend hardware = { &vpmu_hw_backend, hw_init, hw_run, hw_pmi };

static int reset_model(void **state)
{
    (void)state;
    memset(&m, 0, sizeof(m));
    return 0;
}

static uint64_t rd(struct vpmu *p, uint32_t msr)
{
    uint64_t v = 0xBAD;
    assert_int_equal(vpmu_rdmsr(p, msr, &v), 0);
    return v;
}

static void wr(struct vpmu *p, uint32_t msr, uint64_t v)
{
    assert_int_equal(vpmu_wrmsr(p, msr, v), 0);
}

static uint64_t cycles_sel(uint64_t flags)
{
    return perfevtsel_make(pmu_arch_events[EV_CYCLES].event, pmu_arch_events[EV_CYCLES].umask,
                           flags);
}

/* The interface is complete: every operation is there, and the vPMU keeps the one it got. */
static void test_ops_complete_and_kept(void **state)
{
    const struct backend *b = *state;
    struct vpmu p;

    assert_non_null(b->ops->name);
    assert_non_null(b->ops->caps);
    assert_non_null(b->ops->program);
    assert_non_null(b->ops->read);
    assert_non_null(b->ops->arm_overflow);
    assert_non_null(b->ops->save);
    assert_non_null(b->ops->restore);
    b->init(&p);
    assert_ptr_equal(p.ops, b->ops);
    assert_int_equal(p.backend_errors, 0);
}

/* CPUID 0AH is the backend's caps: the software backend's v5 with 4 counters, the hardware
 * backend's host PMU minus the hypervisor's GP counter (v4: 3 of 4). */
static void test_cpuid_from_backend_caps(void **state)
{
    const struct backend *b = *state;
    struct vpmu p;
    uint32_t r[4] = { 0, 0, 0, 0 };

    b->init(&p);
    vpmu_cpuid(&p, CPUID_LEAF_PMU, 0, r);
    assert_int_equal(r[0] & 0xFF, b == &software ? 5 : 4);          /* EAX[7:0] version */
    assert_int_equal((r[0] >> 8) & 0xFF, b == &software ? 4 : 3);   /* EAX[15:8] GP counters */
    assert_int_equal((r[0] >> 16) & 0xFF, 48);                      /* EAX[23:16] width */
}

/* SDM Vol. 3B 20.2.1: an enabled counter counts its event from the value written; a read
 * returns the count, whichever backend counted it. */
static void test_write_count_read(void **state)
{
    const struct backend *b = *state;
    struct vpmu p;

    b->init(&p);
    wr(&p, MSR_IA32_A_PMC0, 1000);
    wr(&p, MSR_IA32_PERFEVTSEL0, cycles_sel(ALL_RINGS));
    b->run(&p, 12345);
    assert_int_equal(rd(&p, MSR_IA32_PMC0), 1000 + 12345);
    assert_int_equal(rd(&p, MSR_IA32_A_PMC0), 1000 + 12345);
    /* RDPMC reads the same counter */
    uint64_t v = 0;
    assert_int_equal(vpmu_rdpmc(&p, 0, 0, 0, &v), 0);
    assert_int_equal(v, 1000 + 12345);
    /* disabled: no more counting */
    wr(&p, MSR_IA32_PERFEVTSEL0, cycles_sel(PERFEVTSEL_USR | PERFEVTSEL_OS));
    b->run(&p, 500);
    assert_int_equal(rd(&p, MSR_IA32_PMC0), 1000 + 12345);
    assert_int_equal(p.backend_errors, 0);
}

/* 20.2.2: a wrap sets the IA32_PERF_GLOBAL_STATUS bit and, with INT, raises one PMI; the
 * software backend times it (arm_overflow = the events left), the hardware one's real counter
 * raises it itself (arm_overflow = none). */
static void test_overflow_status_and_pmi(void **state)
{
    const struct backend *b = *state;
    struct vpmu p;

    b->init(&p);
    wr(&p, MSR_IA32_A_PMC0, W48 - 99);
    wr(&p, MSR_IA32_PERFEVTSEL0, cycles_sel(ALL_RINGS | PERFEVTSEL_INT));
    assert_int_equal(vpmu_ticks_to_pmi(&p, 0), b == &software ? 100 : UINT64_MAX);
    b->run(&p, 99);
    assert_int_equal(b->pmi(&p), 0);
    assert_int_equal(rd(&p, MSR_IA32_PERF_GLOBAL_STATUS), 0);
    b->run(&p, 1);
    assert_int_equal(b->pmi(&p), 1);
    assert_int_equal(rd(&p, MSR_IA32_PERF_GLOBAL_STATUS), PERF_GLOBAL_PMC(0));
    assert_int_equal(rd(&p, MSR_IA32_PMC0), 0);
    /* OVF_CTRL clears the bit, on the backend's counters too */
    wr(&p, MSR_IA32_PERF_GLOBAL_OVF_CTRL, PERF_GLOBAL_PMC(0));
    assert_int_equal(rd(&p, MSR_IA32_PERF_GLOBAL_STATUS), 0);
    assert_int_equal(p.overflows, 1);
}

/* Two vCPUs share one CPU: save when one leaves, restore when the other comes; each keeps its
 * own counts, and time spent by one never reaches the other. */
static void test_save_restore_keeps_each_vcpu(void **state)
{
    const struct backend *b = *state;
    struct vpmu a, c;

    b->init(&a);
    wr(&a, MSR_IA32_A_PMC0, 100);
    wr(&a, MSR_IA32_PERFEVTSEL0, cycles_sel(ALL_RINGS));
    b->run(&a, 1000);
    vpmu_save(&a);

    b->init(&c);                           /* restored: c's counters are loaded now */
    wr(&c, MSR_IA32_A_PMC0, 7);
    wr(&c, MSR_IA32_PERFEVTSEL0, cycles_sel(ALL_RINGS));
    b->run(&c, 50);
    vpmu_save(&c);

    vpmu_restore(&a);
    b->run(&a, 1);
    assert_int_equal(rd(&a, MSR_IA32_PMC0), 100 + 1000 + 1);
    vpmu_save(&a);
    vpmu_restore(&c);
    assert_int_equal(rd(&c, MSR_IA32_PMC0), 7 + 50);
    assert_int_equal(a.backend_errors + c.backend_errors, 0);
}

/* A backend whose real MSRs fault is the host's failure, not the guest's: the guest's access
 * still follows the SDM (no #GP) and the failure is counted. */
static void test_backend_failure_counted_not_a_guest_gp(void **state)
{
    const struct backend *b = *state;
    struct vpmu p;

    b->init(&p);
    if (b == &hardware)
        m.cfg.all_msrs_gp = 1;             /* the real PMU stops answering */
    wr(&p, MSR_IA32_PERFEVTSEL0, cycles_sel(ALL_RINGS));
    assert_int_equal(rd(&p, MSR_IA32_PERFEVTSEL0), cycles_sel(ALL_RINGS));
    assert_int_equal(p.backend_errors, b == &hardware ? 2 : 0);   /* read, then program */
}

#define BOTH(t)                                                                              \
    cmocka_unit_test_prestate_setup_teardown(t, reset_model, NULL, (void *)&software),       \
    cmocka_unit_test_prestate_setup_teardown(t, reset_model, NULL, (void *)&hardware)

int main(void)
{
    const struct CMUnitTest tests[] = {
        BOTH(test_ops_complete_and_kept),
        BOTH(test_cpuid_from_backend_caps),
        BOTH(test_write_count_read),
        BOTH(test_overflow_status_and_pmi),
        BOTH(test_save_restore_keeps_each_vcpu),
        BOTH(test_backend_failure_counted_not_a_guest_gp),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
