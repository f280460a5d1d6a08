/* pmu/sampling/hw_pmu.c: the hardware sampling backend, driven against the SDM PMU model
 * (tests/unit/pmu_model.c) since no emulator here has a PMU. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "pmu/sampling/hw_pmu.h"
#include "perfvisor/limits.h"
#include "perfvisor/capture.h"
#include "pmu_model.h"

static struct pmu_model m;
static struct pmu_caps caps;
static char why[256];
static const struct hwpmu_ops ops = { pmu_model_rdmsr, pmu_model_wrmsr, pmu_model_cpuid, &m };

#define W48 ((1ull << 48) - 1)

/* Builds the model and probes it; returns what hwpmu_probe said. */
static int probe(const struct pmu_model_config *cfg)
{
    pmu_model_init(&m, cfg);
    memset(&caps, 0x5A, sizeof(caps));
    memset(why, 0, sizeof(why));
    int r = hwpmu_probe(&ops, &caps, why, sizeof(why));
    assert_true(strlen(why) > 0);
    return r;
}

static uint64_t rd(uint32_t msr)
{
    uint64_t v = 0xBAD;
    assert_int_equal(pmu_model_rdmsr(&m, msr, &v), 0);
    return v;
}

static void test_probe_v2_usable(void **state)
{
    (void)state;
    assert_int_equal(probe(&PMU_CFG_V2), 1);
    assert_int_equal(caps.version, 2);
    assert_int_equal(caps.ngp, 2);
    assert_int_equal(caps.gp_width, 40);
    assert_int_equal(caps.nfixed, 3);
    assert_int_equal(caps.fixed_width, 40);
    assert_int_equal(caps.unavailable_events, 0);
    assert_int_equal(caps.full_width_writes, 0);
    assert_non_null(strstr(why, "version 2"));
    assert_non_null(strstr(why, "full-width writes no"));
}

static void test_probe_v4_usable_with_full_width_writes(void **state)
{
    (void)state;
    assert_int_equal(probe(&PMU_CFG_V4), 1);
    assert_int_equal(caps.version, 4);
    assert_int_equal(caps.ngp, 4);
    assert_int_equal(caps.gp_width, 48);
    assert_int_equal(caps.nfixed, 3);
    assert_int_equal(caps.fixed_width, 48);
    assert_int_equal(caps.full_width_writes, 1);
    assert_non_null(strstr(why, "full-width writes yes"));
}

static void test_probe_v5_usable(void **state)
{
    (void)state;
    assert_int_equal(probe(&PMU_CFG_V5), 1);
    assert_int_equal(caps.version, 5);
    assert_int_equal(caps.ngp, 8);
    assert_int_equal(caps.unavailable_events, 1u << CAP_EVENT_LLC_MISSES);
    assert_int_equal(caps.fixed_bitmap, 0x5);
    assert_true(caps.any_deprecated);
    assert_int_equal(caps.full_width_writes, 1);
}

/* The probe restores what it borrowed: counter 0 stopped and zeroed, GLOBAL_CTRL as found. */
static void test_probe_leaves_pmu_as_found(void **state)
{
    (void)state;
    assert_int_equal(probe(&PMU_CFG_V4), 1);
    assert_int_equal(rd(MSR_IA32_PERF_GLOBAL_CTRL), 0xF);       /* the reset value */
    assert_int_equal(rd(MSR_IA32_PERFEVTSEL0) & PERFEVTSEL_EN, 0);
    assert_int_equal(rd(MSR_IA32_PMC0), 0);
    assert_int_equal(m.gp_faults, 0);
}

static void test_probe_bochs_not_usable_gp(void **state)
{
    (void)state;
    assert_int_equal(probe(&PMU_CFG_BOCHS), 0);
    assert_non_null(strstr(why, "#GP"));
    assert_non_null(strstr(why, "version 4"));
    assert_non_null(strstr(why, "IA32_PERFEVTSEL"));
}

static void test_probe_bochs_ignore_bad_msrs_write_does_not_stick(void **state)
{
    (void)state;
    assert_int_equal(probe(&PMU_CFG_BOCHS_IGNORE), 0);
    assert_non_null(strstr(why, "does not stick"));
}

static void test_probe_v1_not_usable(void **state)
{
    (void)state;
    assert_int_equal(probe(&PMU_CFG_V1), 0);
    assert_non_null(strstr(why, "version 1"));
    assert_int_equal(m.writes, 0);
}

static void test_probe_no_leaf_0ah(void **state)
{
    (void)state;
    struct pmu_model_config c = PMU_CFG_V4;
    c.max_leaf = 7;
    assert_int_equal(probe(&c), 0);
    assert_non_null(strstr(why, "no leaf 0AH"));
}

static void test_probe_no_gp_counter(void **state)
{
    (void)state;
    struct pmu_model_config c = PMU_CFG_V4;
    c.ngp = 0;
    assert_int_equal(probe(&c), 0);
    assert_non_null(strstr(why, "no general-purpose counter"));
}

static void test_probe_narrow_counter(void **state)
{
    (void)state;
    struct pmu_model_config c = PMU_CFG_V2;
    c.gp_width = 24;
    assert_int_equal(probe(&c), 0);
    assert_non_null(strstr(why, "24-bit"));
}

/* PDCM set but IA32_PERF_CAPABILITIES faults (Bochs-like): usable, without full-width writes. */
static void test_probe_perf_capabilities_gp_means_no_full_width(void **state)
{
    (void)state;
    struct pmu_model_config c = PMU_CFG_V4;
    c.perf_cap_gp = 1;
    assert_int_equal(probe(&c), 1);
    assert_int_equal(caps.full_width_writes, 0);
    assert_non_null(strstr(why, "IA32_PERF_CAPABILITIES raises #GP"));
    assert_int_equal(hwpmu_max_period(&caps), 1ull << 31);
}

/* CPUID.0AH:EBX bit i set, or i >= EAX[31:24]: event i cannot be counted. */
static void test_event_supported_from_ebx(void **state)
{
    (void)state;
    probe(&PMU_CFG_V5);
    for (int e = 0; e < CAP_EVENT_COUNT; e++)
        assert_int_equal(hwpmu_event_supported(&caps, e),
                         e != CAP_EVENT_LLC_MISSES && e != CAP_EVENT_REF_CYCLES);
    assert_false(hwpmu_event_supported(&caps, -1));
    assert_false(hwpmu_event_supported(&caps, CAP_EVENT_COUNT));
    struct pmu_model_config c = PMU_CFG_V4;
    c.ebx_len = 3;
    c.unavailable_events = 1u << CAP_EVENT_INSTRUCTIONS;
    probe(&c);
    assert_true(hwpmu_event_supported(&caps, CAP_EVENT_CYCLES));
    assert_false(hwpmu_event_supported(&caps, CAP_EVENT_INSTRUCTIONS));
    assert_false(hwpmu_event_supported(&caps, CAP_EVENT_REF_CYCLES));   /* see below */
    assert_false(hwpmu_event_supported(&caps, CAP_EVENT_LLC_REFS));
    assert_false(hwpmu_event_supported(&caps, CAP_EVENT_BRANCHES));
}

/* ref-cycles (issue #13 item 3): on every PMU that enumerates it, refused before any MSR is
 * written, so GP counter 0 never counts 3CH/01H (bus cycles on some CPUs), as Linux refuses it
 * outside fixed counter 2. */
static void test_ref_cycles_refused_on_gp_counter(void **state)
{
    (void)state;
    const struct pmu_model_config *cfgs[] = { &PMU_CFG_V2, &PMU_CFG_V4, &PMU_CFG_V5 };
    for (unsigned c = 0; c < 3; c++) {
        assert_int_equal(probe(cfgs[c]), 1);
        assert_true(pmu_event_available(&caps, CAP_EVENT_REF_CYCLES));   /* CPUID offers it */
        assert_false(hwpmu_event_supported(&caps, CAP_EVENT_REF_CYCLES));
        unsigned writes = m.writes;
        assert_int_equal(hwpmu_start(&ops, &caps, CAP_EVENT_REF_CYCLES, 1000), HWPMU_EINVAL);
        assert_int_equal(m.writes, writes);
        assert_int_equal(perfevtsel_event(rd(MSR_IA32_PERFEVTSEL0)) == 0x3C &&
                         perfevtsel_umask(rd(MSR_IA32_PERFEVTSEL0)) == 0x01, 0);
        pmu_model_count(&m, CAP_EVENT_REF_CYCLES, 1ull << 32);
        assert_int_equal(m.pmis, 0);
    }
}

/* The hardware backend's period bounds (issue #13 item 1): below PV_MIN_HW_PERIOD the exit
 * path could outlast the period; above hwpmu_max_period the counter cannot hold it. */
static void test_check_period_bounds(void **state)
{
    (void)state;
    probe(&PMU_CFG_V2);                              /* no full-width writes: at most 2^31 */
    assert_int_equal(hwpmu_check_period(&caps, PV_MIN_HW_PERIOD - 1), HWPMU_ERANGE);
    assert_int_equal(hwpmu_check_period(&caps, 1000), HWPMU_ERANGE);   /* PV_MIN_PERIOD */
    assert_int_equal(hwpmu_check_period(&caps, 0), HWPMU_ERANGE);
    assert_int_equal(hwpmu_check_period(&caps, PV_MIN_HW_PERIOD), 0);
    assert_int_equal(hwpmu_check_period(&caps, 1ull << 31), 0);
    assert_int_equal(hwpmu_check_period(&caps, (1ull << 31) + 1), HWPMU_ERANGE);
    probe(&PMU_CFG_V4);                              /* full-width: 2^48 - 1 */
    assert_int_equal(hwpmu_check_period(&caps, (1ull << 31) + 1), 0);
    assert_int_equal(hwpmu_check_period(&caps, W48), 0);
    assert_int_equal(hwpmu_check_period(&caps, W48 + 1), HWPMU_ERANGE);
    assert_true(PV_MIN_HW_PERIOD > PV_MIN_PERIOD);
}

/* Start programs exactly the SDM values, for every architectural event but ref-cycles. */
static void test_start_programs_sdm_values(void **state)
{
    (void)state;
    static const uint64_t expect_sel[CAP_EVENT_COUNT] = {
        0x53003C, 0x5300C0, 0x53013C, 0x534F2E, 0x53412E, 0x5300C4, 0x5300C5,
    };
    const struct pmu_model_config *cfgs[] = { &PMU_CFG_V2, &PMU_CFG_V4 };
    for (unsigned c = 0; c < 2; c++)
        for (int e = 0; e < CAP_EVENT_COUNT; e++) {
            if (e == CAP_EVENT_REF_CYCLES)
                continue;
            assert_int_equal(probe(cfgs[c]), 1);
            m.global_status |= PERF_GLOBAL_PMC(0);   /* a stale overflow */
            assert_int_equal(hwpmu_start(&ops, &caps, e, 12345), 0);
            uint64_t sel = rd(MSR_IA32_PERFEVTSEL0);
            assert_int_equal(sel, expect_sel[e]);
            assert_int_equal(perfevtsel_event(sel), pmu_arch_events[e].event);
            assert_int_equal(perfevtsel_umask(sel), pmu_arch_events[e].umask);
            assert_int_equal(sel & (PERFEVTSEL_USR | PERFEVTSEL_OS | PERFEVTSEL_INT |
                                    PERFEVTSEL_EN),
                             PERFEVTSEL_USR | PERFEVTSEL_OS | PERFEVTSEL_INT | PERFEVTSEL_EN);
            assert_int_equal(sel & (PERFEVTSEL_EDGE | PERFEVTSEL_PC | PERFEVTSEL_ANY |
                                    PERFEVTSEL_INV | PERFEVTSEL_CMASK_MASK), 0);
            assert_int_equal(rd(MSR_IA32_PMC0), (1ull << caps.gp_width) - 12345);
            assert_int_equal(rd(MSR_IA32_PERF_GLOBAL_CTRL), PERF_GLOBAL_PMC(0));
            assert_int_equal(rd(MSR_IA32_PERF_GLOBAL_STATUS), 0);
            assert_int_equal(m.gp_faults, 0);
        }
}

static void test_start_refuses_unsupported_event(void **state)
{
    (void)state;
    probe(&PMU_CFG_V5);
    unsigned writes = m.writes;
    assert_int_equal(hwpmu_start(&ops, &caps, CAP_EVENT_LLC_MISSES, 1000), HWPMU_EINVAL);
    assert_int_equal(hwpmu_start(&ops, &caps, CAP_EVENT_COUNT, 1000), HWPMU_EINVAL);
    assert_int_equal(m.writes, writes);
}

static void test_start_refuses_period_zero(void **state)
{
    (void)state;
    probe(&PMU_CFG_V4);
    unsigned writes = m.writes;
    assert_int_equal(hwpmu_start(&ops, &caps, CAP_EVENT_CYCLES, 0), HWPMU_ERANGE);
    assert_int_equal(m.writes, writes);
}

/* period - 1 events: no overflow; one more: overflow bit 0 and one PMI. */
static void test_overflow_after_exactly_period_events(void **state)
{
    (void)state;
    const struct pmu_model_config *cfgs[] = { &PMU_CFG_V2, &PMU_CFG_V4, &PMU_CFG_V5 };
    for (unsigned c = 0; c < 3; c++) {
        probe(cfgs[c]);
        assert_int_equal(hwpmu_start(&ops, &caps, CAP_EVENT_INSTRUCTIONS, 1000), 0);
        pmu_model_count(&m, CAP_EVENT_INSTRUCTIONS, 999);
        assert_int_equal(m.pmis, 0);
        assert_int_equal(rd(MSR_IA32_PERF_GLOBAL_STATUS), 0);
        assert_int_equal(hwpmu_read(&ops, &caps), (1ull << caps.gp_width) - 1);
        pmu_model_count(&m, CAP_EVENT_INSTRUCTIONS, 1);
        assert_int_equal(m.pmis, 1);
        assert_int_equal(m.pmi_status & PERF_GLOBAL_PMC(0), PERF_GLOBAL_PMC(0));
        assert_int_equal(hwpmu_read(&ops, &caps), 0);
    }
}

/* Other events, and both privilege levels, reach the counter as programmed. */
static void test_counts_at_every_cpl_and_only_its_event(void **state)
{
    (void)state;
    probe(&PMU_CFG_V4);
    assert_int_equal(hwpmu_start(&ops, &caps, CAP_EVENT_BRANCH_MISSES, 100), 0);
    m.cpl = 3;
    pmu_model_count(&m, CAP_EVENT_BRANCH_MISSES, 60);
    pmu_model_count(&m, CAP_EVENT_BRANCHES, 1000);
    m.cpl = 0;
    pmu_model_count(&m, CAP_EVENT_BRANCH_MISSES, 39);
    assert_int_equal(m.pmis, 0);
    pmu_model_count(&m, CAP_EVENT_BRANCH_MISSES, 1);
    assert_int_equal(m.pmis, 1);
}

/* The handler re-arms: status cleared, next PMI after exactly `period` more events. */
static void test_handle_overflow_rearms(void **state)
{
    (void)state;
    const struct pmu_model_config *cfgs[] = { &PMU_CFG_V2, &PMU_CFG_V4 };
    for (unsigned c = 0; c < 2; c++) {
        probe(cfgs[c]);
        m.cfg.lvtpc_mask_on_pmi = 0;
        assert_int_equal(hwpmu_start(&ops, &caps, CAP_EVENT_CYCLES, 5000), 0);
        for (unsigned round = 1; round <= 3; round++) {
            pmu_model_count(&m, CAP_EVENT_CYCLES, 4999);
            assert_int_equal(m.pmis, round - 1);
            pmu_model_count(&m, CAP_EVENT_CYCLES, 1);
            assert_int_equal(m.pmis, round);
            assert_int_equal(rd(MSR_IA32_PERF_GLOBAL_STATUS), PERF_GLOBAL_PMC(0));
            assert_int_equal(hwpmu_handle_overflow(&ops, &caps, 5000), 1);
            assert_int_equal(rd(MSR_IA32_PERF_GLOBAL_STATUS), 0);
            assert_int_equal(hwpmu_read(&ops, &caps), (1ull << caps.gp_width) - 5000);
        }
        assert_int_equal(m.gp_faults, 0);
    }
}

/* A period may change at every re-arm (jitter): the next PMI follows the new one. */
static void test_handle_overflow_with_a_new_period(void **state)
{
    (void)state;
    probe(&PMU_CFG_V4);
    assert_int_equal(hwpmu_start(&ops, &caps, CAP_EVENT_CYCLES, 1000), 0);
    pmu_model_count(&m, CAP_EVENT_CYCLES, 1000);
    assert_int_equal(hwpmu_handle_overflow(&ops, &caps, 1234), 1);
    m.lvtpc &= ~LVT_MASKED;                      /* what the NMI handler does on this CPU */
    pmu_model_count(&m, CAP_EVENT_CYCLES, 1233);
    assert_int_equal(m.pmis, 1);
    pmu_model_count(&m, CAP_EVENT_CYCLES, 1);
    assert_int_equal(m.pmis, 2);
}

/* No overflow bit 0: not ours, nothing written; other counters' overflow bits left alone. */
static void test_handle_overflow_not_ours(void **state)
{
    (void)state;
    probe(&PMU_CFG_V4);
    assert_int_equal(hwpmu_start(&ops, &caps, CAP_EVENT_CYCLES, 1000), 0);
    pmu_model_count(&m, CAP_EVENT_CYCLES, 10);
    unsigned writes = m.writes;
    assert_int_equal(hwpmu_handle_overflow(&ops, &caps, 1000), 0);
    assert_int_equal(m.writes, writes);
    assert_int_equal(hwpmu_read(&ops, &caps), W48 + 1 - 1000 + 10);
    pmu_model_wrmsr(&m, MSR_IA32_PERF_GLOBAL_STATUS_SET, PERF_GLOBAL_PMC(1) |
                                                        PERF_GLOBAL_FIXED(0));
    assert_int_equal(hwpmu_handle_overflow(&ops, &caps, 1000), 0);
    pmu_model_count(&m, CAP_EVENT_CYCLES, 990);
    assert_int_equal(hwpmu_handle_overflow(&ops, &caps, 1000), 1);
    assert_int_equal(rd(MSR_IA32_PERF_GLOBAL_STATUS), PERF_GLOBAL_PMC(1) | PERF_GLOBAL_FIXED(0));
}

/* Without full-width writes a period above 2^31 is refused: in -period, bit 31 is then clear,
 * so the 32-bit IA32_PMC0 write would leave 2^32 - period, about 2^width events from overflow. */
static void test_long_period_without_full_width_writes_is_refused(void **state)
{
    (void)state;
    probe(&PMU_CFG_V2);
    assert_int_equal(hwpmu_max_period(&caps), 1ull << 31);
    unsigned writes = m.writes;
    assert_int_equal(hwpmu_start(&ops, &caps, CAP_EVENT_CYCLES, (1ull << 31) + 1), HWPMU_ERANGE);
    assert_int_equal(m.writes, writes);
    /* why: what a 32-bit write of -(2^31 + 1) would leave in the counter */
    pmu_model_wrmsr(&m, MSR_IA32_PMC0, (0 - ((1ull << 31) + 1)) & 0xFFFFFFFFull);
    assert_int_equal(rd(MSR_IA32_PMC0), 0x7FFFFFFFull);        /* not 2^40 - 2^31 - 1 */
    /* 2^31 itself is exact: bit 31 is set and sign-extends */
    assert_int_equal(hwpmu_start(&ops, &caps, CAP_EVENT_CYCLES, 1ull << 31), 0);
    assert_int_equal(rd(MSR_IA32_PMC0), (1ull << 40) - (1ull << 31));
    pmu_model_count(&m, CAP_EVENT_CYCLES, (1ull << 31) - 1);
    assert_int_equal(m.pmis, 0);
    pmu_model_count(&m, CAP_EVENT_CYCLES, 1);
    assert_int_equal(m.pmis, 1);
    assert_int_equal(hwpmu_handle_overflow(&ops, &caps, 1ull << 31), 1);
    assert_int_equal(rd(MSR_IA32_PMC0), (1ull << 40) - (1ull << 31));
}

/* With full-width writes, periods up to 2^width - 1 go through IA32_A_PMC0 exactly. */
static void test_long_period_with_full_width_writes(void **state)
{
    (void)state;
    const uint64_t period = (1ull << 40) + 3;
    probe(&PMU_CFG_V4);
    assert_int_equal(hwpmu_max_period(&caps), W48);
    assert_int_equal(hwpmu_start(&ops, &caps, CAP_EVENT_INSTRUCTIONS, period), 0);
    assert_int_equal(rd(MSR_IA32_PMC0), (1ull << 48) - period);
    pmu_model_count(&m, CAP_EVENT_INSTRUCTIONS, period - 1);
    assert_int_equal(m.pmis, 0);
    pmu_model_count(&m, CAP_EVENT_INSTRUCTIONS, 1);
    assert_int_equal(m.pmis, 1);
    assert_int_equal(hwpmu_handle_overflow(&ops, &caps, period), 1);
    assert_int_equal(rd(MSR_IA32_PMC0), (1ull << 48) - period);
    assert_int_equal(hwpmu_start(&ops, &caps, CAP_EVENT_CYCLES, W48), 0);
    assert_int_equal(rd(MSR_IA32_PMC0), 1);
    assert_int_equal(hwpmu_start(&ops, &caps, CAP_EVENT_CYCLES, W48 + 1), HWPMU_ERANGE);
}

static void test_stop_disables(void **state)
{
    (void)state;
    probe(&PMU_CFG_V4);
    assert_int_equal(hwpmu_start(&ops, &caps, CAP_EVENT_CYCLES, 100), 0);
    pmu_model_count(&m, CAP_EVENT_CYCLES, 100);
    assert_int_equal(m.pmis, 1);
    hwpmu_stop(&ops);
    assert_int_equal(rd(MSR_IA32_PERF_GLOBAL_CTRL), 0);
    assert_int_equal(rd(MSR_IA32_PERFEVTSEL0), 0);
    assert_int_equal(rd(MSR_IA32_PERF_GLOBAL_STATUS), 0);
    uint64_t before = hwpmu_read(&ops, &caps);
    pmu_model_count(&m, CAP_EVENT_CYCLES, 1ull << 47);
    assert_int_equal(hwpmu_read(&ops, &caps), before);
    assert_int_equal(m.pmis, 1);
    assert_int_equal(m.gp_faults, 0);
}

/* On a PMU that faults, every run-time call reports it. */
static void test_msr_faults_are_reported(void **state)
{
    (void)state;
    probe(&PMU_CFG_V4);
    struct pmu_caps good = caps;
    pmu_model_init(&m, &PMU_CFG_BOCHS);
    assert_int_equal(hwpmu_start(&ops, &good, CAP_EVENT_CYCLES, 1000), HWPMU_EIO);
    assert_int_equal(hwpmu_handle_overflow(&ops, &good, 1000), HWPMU_EIO);
    assert_int_equal(hwpmu_read(&ops, &good), 0);
    hwpmu_stop(&ops);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_probe_v2_usable),
        cmocka_unit_test(test_probe_v4_usable_with_full_width_writes),
        cmocka_unit_test(test_probe_v5_usable),
        cmocka_unit_test(test_probe_leaves_pmu_as_found),
        cmocka_unit_test(test_probe_bochs_not_usable_gp),
        cmocka_unit_test(test_probe_bochs_ignore_bad_msrs_write_does_not_stick),
        cmocka_unit_test(test_probe_v1_not_usable),
        cmocka_unit_test(test_probe_no_leaf_0ah),
        cmocka_unit_test(test_probe_no_gp_counter),
        cmocka_unit_test(test_probe_narrow_counter),
        cmocka_unit_test(test_probe_perf_capabilities_gp_means_no_full_width),
        cmocka_unit_test(test_event_supported_from_ebx),
        cmocka_unit_test(test_ref_cycles_refused_on_gp_counter),
        cmocka_unit_test(test_check_period_bounds),
        cmocka_unit_test(test_start_programs_sdm_values),
        cmocka_unit_test(test_start_refuses_unsupported_event),
        cmocka_unit_test(test_start_refuses_period_zero),
        cmocka_unit_test(test_overflow_after_exactly_period_events),
        cmocka_unit_test(test_counts_at_every_cpl_and_only_its_event),
        cmocka_unit_test(test_handle_overflow_rearms),
        cmocka_unit_test(test_handle_overflow_with_a_new_period),
        cmocka_unit_test(test_handle_overflow_not_ours),
        cmocka_unit_test(test_long_period_without_full_width_writes_is_refused),
        cmocka_unit_test(test_long_period_with_full_width_writes),
        cmocka_unit_test(test_stop_disables),
        cmocka_unit_test(test_msr_faults_are_reported),
    };
    return cmocka_run_group_tests_name("hw_pmu", tests, NULL, NULL);
}
