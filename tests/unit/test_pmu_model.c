/* tests/unit/pmu_model.c: the PMU model obeys the SDM rules it claims (SDM Vol. 3B 20.2,
 * Vol. 2A CPUID leaf 0AH, Vol. 4 Table 2-2).  Each test names the rule it checks. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "pmu_model.h"

static struct pmu_model m;

#define CYCLES   0u   /* architectural event indices = CPUID.0AH:EBX bits */
#define INSTR    1u
#define REFCYC   2u
#define LLC_MISS 4u

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

static void rd_gp(uint32_t msr)
{
    uint64_t v;
    unsigned before = m.gp_faults;
    assert_int_equal(pmu_model_rdmsr(&m, msr, &v), -1);
    assert_int_equal(m.gp_faults, before + 1);
}

static void wr_gp(uint32_t msr, uint64_t v)
{
    assert_int_equal(pmu_model_wrmsr(&m, msr, v), -1);
    assert_int_equal(m.last_gp_msr, msr);
}

static uint64_t evtsel(unsigned ev, uint64_t flags)
{
    return perfevtsel_make(pmu_arch_events[ev].event, pmu_arch_events[ev].umask, flags);
}

#define ALL_RINGS (PERFEVTSEL_USR | PERFEVTSEL_OS | PERFEVTSEL_EN)
#define W48 ((1ull << 48) - 1)

/* Vol. 2A CPUID.0AH: EAX = version | GP counters << 8 | width << 16 | EBX length << 24;
 * EDX = fixed counters | fixed width << 5 (version > 1). */
static void test_cpuid_0ah_layout(void **state)
{
    (void)state;
    uint32_t r[4];
    pmu_model_init(&m, &PMU_CFG_V4);
    pmu_model_cpuid(&m, 0xA, 0, r);
    assert_int_equal(r[0], 0x07300404u);
    assert_int_equal(r[1], 0);
    assert_int_equal(r[2], 0);
    assert_int_equal(r[3], 0x603u);     /* 3 fixed, 48 bits */
    pmu_model_cpuid(&m, 0, 0, r);
    assert_true(r[0] >= 0xA);
    pmu_model_cpuid(&m, 1, 0, r);
    assert_int_equal(r[2] & CPUID_01_ECX_PDCM, CPUID_01_ECX_PDCM);
}

/* Vol. 2A: EDX is defined only if the version ID > 1. */
static void test_cpuid_v1_reports_no_fixed_counters(void **state)
{
    (void)state;
    uint32_t r[4];
    pmu_model_init(&m, &PMU_CFG_V1);
    pmu_model_cpuid(&m, 0xA, 0, r);
    assert_int_equal(CPUID_0A_EAX_VERSION(r[0]), 1);
    assert_int_equal(r[3], 0);
    assert_int_equal(m.caps.nfixed, 0);
}

/* 20.2.5: FxCtr[i] is supported if ECX[i] or EDX[4:0] > i; EDX[15] deprecates AnyThread. */
static void test_v5_fixed_bitmap_and_anythread_deprecation(void **state)
{
    (void)state;
    uint32_t r[4];
    pmu_model_init(&m, &PMU_CFG_V5);
    pmu_model_cpuid(&m, 0xA, 0, r);
    assert_int_equal(r[2], 0x5);
    assert_int_equal(r[3] & CPUID_0A_EDX_ANY_DEPRECATED, CPUID_0A_EDX_ANY_DEPRECATED);
    rd(MSR_IA32_FIXED_CTR0);
    rd_gp(MSR_IA32_FIXED_CTR0 + 1);
    rd(MSR_IA32_FIXED_CTR0 + 2);
    rd_gp(MSR_IA32_FIXED_CTR0 + 3);
    wr(MSR_IA32_PERF_GLOBAL_CTRL, PERF_GLOBAL_FIXED(0) | PERF_GLOBAL_FIXED(2));
    wr_gp(MSR_IA32_PERF_GLOBAL_CTRL, PERF_GLOBAL_FIXED(1));
    wr_gp(MSR_IA32_PERFEVTSEL0, PERFEVTSEL_ANY);
    wr_gp(MSR_IA32_FIXED_CTR_CTRL, FIXED_CTRL_ANY);
    wr(MSR_IA32_FIXED_CTR_CTRL, fixed_ctrl_with(0, 2, FIXED_CTRL_OS | FIXED_CTRL_PMI));
    wr_gp(MSR_IA32_FIXED_CTR_CTRL, fixed_ctrl_with(0, 1, FIXED_CTRL_OS));
}

/* Vol. 4 Table 2-2: IA32_PERFEVTSELx and IA32_PMCx exist for x < CPUID.0AH:EAX[15:8]. */
static void test_gp_counter_beyond_eax_15_8_raises_gp(void **state)
{
    (void)state;
    pmu_model_init(&m, &PMU_CFG_V2);
    rd(MSR_IA32_PERFEVTSEL0 + 1);
    rd(MSR_IA32_PMC0 + 1);
    rd_gp(MSR_IA32_PERFEVTSEL0 + 2);
    rd_gp(MSR_IA32_PMC0 + 2);
    wr_gp(MSR_IA32_PMC0 + 2, 0);
    pmu_model_init(&m, &PMU_CFG_V4);
    rd(MSR_IA32_PMC0 + 3);
    rd_gp(MSR_IA32_PMC0 + 4);
}

/* Figure 20-1: PERFEVTSEL bits 63:32 are reserved; AnyThread (21) exists from version 3. */
static void test_perfevtsel_reserved_bits_raise_gp(void **state)
{
    (void)state;
    pmu_model_init(&m, &PMU_CFG_V2);
    wr_gp(MSR_IA32_PERFEVTSEL0, 1ull << 32);
    wr_gp(MSR_IA32_PERFEVTSEL0, PERFEVTSEL_ANY);
    wr(MSR_IA32_PERFEVTSEL0, 0xFFDFFFFFull);       /* every defined bit but ANY */
    assert_int_equal(rd(MSR_IA32_PERFEVTSEL0), 0xFFDFFFFFull);
    pmu_model_init(&m, &PMU_CFG_V4);
    wr(MSR_IA32_PERFEVTSEL0, PERFEVTSEL_ANY);
}

/* 20.2.6: a WRMSR to IA32_PMCx writes the sign extension of EAX[31:0]; EDX is ignored. */
static void test_pmc_write_sign_extends_bit_31(void **state)
{
    (void)state;
    pmu_model_init(&m, &PMU_CFG_V4);
    wr(MSR_IA32_PMC0, 0x80000000ull);
    assert_int_equal(rd(MSR_IA32_PMC0), 0xFFFF80000000ull);
    wr(MSR_IA32_PMC0, 0x7FFFFFFFull);
    assert_int_equal(rd(MSR_IA32_PMC0), 0x7FFFFFFFull);
    wr(MSR_IA32_PMC0, 0x0000DEAD00000001ull);       /* EDX ignored */
    assert_int_equal(rd(MSR_IA32_PMC0), 1);
    wr(MSR_IA32_PMC0, 0xFFFFFFFFFFFFFC18ull);       /* -1000 */
    assert_int_equal(rd(MSR_IA32_PMC0), (1ull << 48) - 1000);
}

/* 20.2.1.1: the counter is CPUID.0AH:EAX[23:16] bits wide; a read returns zeros above it. */
static void test_pmc_truncated_to_width(void **state)
{
    (void)state;
    pmu_model_init(&m, &PMU_CFG_V2);
    wr(MSR_IA32_PMC0, 0xFFFFFFFFull);
    assert_int_equal(rd(MSR_IA32_PMC0), (1ull << 40) - 1);
}

/* 20.2.6: with IA32_PERF_CAPABILITIES[13], IA32_A_PMCx write all `width` bits; the bits above
 * are reserved. */
static void test_a_pmc_full_width_write(void **state)
{
    (void)state;
    pmu_model_init(&m, &PMU_CFG_V4);
    wr(MSR_IA32_A_PMC0 + 1, 0x123456789ABull);
    assert_int_equal(rd(MSR_IA32_PMC0 + 1), 0x123456789ABull);
    assert_int_equal(rd(MSR_IA32_A_PMC0 + 1), 0x123456789ABull);
    wr_gp(MSR_IA32_A_PMC0, 1ull << 48);
    wr(MSR_IA32_A_PMC0, W48);
    assert_int_equal(rd(MSR_IA32_PMC0), W48);
}

/* 20.2.6: IA32_A_PMCx exist only if IA32_PERF_CAPABILITIES[13] is set. */
static void test_a_pmc_absent_without_fw_write(void **state)
{
    (void)state;
    pmu_model_init(&m, &PMU_CFG_V2);
    assert_int_equal(rd(MSR_IA32_PERF_CAPABILITIES) & PERF_CAP_FW_WRITE, 0);
    rd_gp(MSR_IA32_A_PMC0);
    wr_gp(MSR_IA32_A_PMC0, 1);
}

/* Vol. 4: IA32_PERF_CAPABILITIES exists if CPUID.01H:ECX[15] (PDCM) and is read-only. */
static void test_perf_capabilities_needs_pdcm_and_is_read_only(void **state)
{
    (void)state;
    pmu_model_init(&m, &PMU_CFG_V4);
    assert_int_equal(rd(MSR_IA32_PERF_CAPABILITIES), PERF_CAP_FW_WRITE);
    wr_gp(MSR_IA32_PERF_CAPABILITIES, 0);
    pmu_model_init(&m, &PMU_CFG_V1);   /* PDCM clear */
    rd_gp(MSR_IA32_PERF_CAPABILITIES);
}

/* 20.2.2: IA32_PERF_GLOBAL_STATUS is read-only. */
static void test_global_status_is_read_only(void **state)
{
    (void)state;
    pmu_model_init(&m, &PMU_CFG_V4);
    wr_gp(MSR_IA32_PERF_GLOBAL_STATUS, 0);
    wr_gp(MSR_IA32_PERF_GLOBAL_STATUS, 1);
    assert_int_equal(rd(MSR_IA32_PERF_GLOBAL_STATUS), 0);
}

/* 20.2.2: writing 1 to a bit of IA32_PERF_GLOBAL_OVF_CTRL clears that status bit; 0 leaves it. */
static void test_ovf_ctrl_write_one_clears(void **state)
{
    (void)state;
    pmu_model_init(&m, &PMU_CFG_V4);
    wr(MSR_IA32_PERF_GLOBAL_STATUS_SET, PERF_GLOBAL_PMC(0) | PERF_GLOBAL_PMC(1) |
                                        PERF_GLOBAL_FIXED(0));
    assert_int_equal(rd(MSR_IA32_PERF_GLOBAL_STATUS),
                     PERF_GLOBAL_PMC(0) | PERF_GLOBAL_PMC(1) | PERF_GLOBAL_FIXED(0));
    wr(MSR_IA32_PERF_GLOBAL_OVF_CTRL, PERF_GLOBAL_PMC(0));
    assert_int_equal(rd(MSR_IA32_PERF_GLOBAL_STATUS), PERF_GLOBAL_PMC(1) | PERF_GLOBAL_FIXED(0));
    wr(MSR_IA32_PERF_GLOBAL_OVF_CTRL, 0);
    assert_int_equal(rd(MSR_IA32_PERF_GLOBAL_STATUS), PERF_GLOBAL_PMC(1) | PERF_GLOBAL_FIXED(0));
    assert_int_equal(rd(MSR_IA32_PERF_GLOBAL_OVF_CTRL), 0);
}

/* Vol. 4: OVF_CTRL bits for counters that do not exist are reserved. */
static void test_ovf_ctrl_reserved_bits_raise_gp(void **state)
{
    (void)state;
    pmu_model_init(&m, &PMU_CFG_V2);
    wr_gp(MSR_IA32_PERF_GLOBAL_OVF_CTRL, PERF_GLOBAL_PMC(2));
    wr_gp(MSR_IA32_PERF_GLOBAL_OVF_CTRL, PERF_GLOBAL_FIXED(3));
    wr(MSR_IA32_PERF_GLOBAL_OVF_CTRL, PERF_GLOBAL_PMC(1) | PERF_GLOBAL_FIXED(2) |
                                      PERF_GLOBAL_OVF_BUF | PERF_GLOBAL_COND_CHGD);
}

/* 20.2.4: IA32_PERF_GLOBAL_STATUS_SET (version 4) sets status bits. */
static void test_status_set_is_version_4(void **state)
{
    (void)state;
    pmu_model_init(&m, &PMU_CFG_V2);
    wr_gp(MSR_IA32_PERF_GLOBAL_STATUS_SET, PERF_GLOBAL_PMC(0));
    pmu_model_init(&m, &PMU_CFG_V4);
    wr(MSR_IA32_PERF_GLOBAL_STATUS_SET, PERF_GLOBAL_PMC(3));
    assert_int_equal(rd(MSR_IA32_PERF_GLOBAL_STATUS), PERF_GLOBAL_PMC(3));
    wr_gp(MSR_IA32_PERF_GLOBAL_STATUS_SET, PERF_GLOBAL_COND_CHGD);
}

/* Vol. 4: IA32_PERF_GLOBAL_CTRL after reset has the GP counters' enable bits set, the fixed
 * counters' clear. */
static void test_global_ctrl_reset_value(void **state)
{
    (void)state;
    pmu_model_init(&m, &PMU_CFG_V2);
    assert_int_equal(rd(MSR_IA32_PERF_GLOBAL_CTRL), 0x3);
    pmu_model_init(&m, &PMU_CFG_V4);
    assert_int_equal(rd(MSR_IA32_PERF_GLOBAL_CTRL), 0xF);
    pmu_model_init(&m, &PMU_CFG_V5);
    assert_int_equal(rd(MSR_IA32_PERF_GLOBAL_CTRL), 0xFF);
}

/* Vol. 4: GLOBAL_CTRL bits n-1:0 for GP counters, 32+i for fixed ones; the rest reserved. */
static void test_global_ctrl_reserved_bits_raise_gp(void **state)
{
    (void)state;
    pmu_model_init(&m, &PMU_CFG_V2);
    wr_gp(MSR_IA32_PERF_GLOBAL_CTRL, PERF_GLOBAL_PMC(2));
    wr_gp(MSR_IA32_PERF_GLOBAL_CTRL, PERF_GLOBAL_FIXED(3));
    wr_gp(MSR_IA32_PERF_GLOBAL_CTRL, 1ull << 63);
    wr(MSR_IA32_PERF_GLOBAL_CTRL, 0x3 | PERF_GLOBAL_FIXED(0) | PERF_GLOBAL_FIXED(1) |
                                  PERF_GLOBAL_FIXED(2));
}

/* 20.2.2: the global MSRs and the fixed counters arrive with version 2. */
static void test_version_1_has_no_global_msrs(void **state)
{
    (void)state;
    pmu_model_init(&m, &PMU_CFG_V1);
    rd_gp(MSR_IA32_PERF_GLOBAL_CTRL);
    rd_gp(MSR_IA32_PERF_GLOBAL_STATUS);
    wr_gp(MSR_IA32_PERF_GLOBAL_OVF_CTRL, 1);
    rd_gp(MSR_IA32_FIXED_CTR0);
    rd_gp(MSR_IA32_FIXED_CTR_CTRL);
    /* and a counter counts on its EN bit alone */
    wr(MSR_IA32_PERFEVTSEL0, evtsel(INSTR, ALL_RINGS));
    pmu_model_count(&m, INSTR, 5);
    assert_int_equal(rd(MSR_IA32_PMC0), 5);
}

/* 20.2.2/20.2.3: FIXED_CTR_CTRL has 4 bits per existing fixed counter; AnyThread from v3. */
static void test_fixed_ctr_ctrl_reserved_bits_raise_gp(void **state)
{
    (void)state;
    pmu_model_init(&m, &PMU_CFG_V2);
    wr_gp(MSR_IA32_FIXED_CTR_CTRL, FIXED_CTRL_ANY);
    wr_gp(MSR_IA32_FIXED_CTR_CTRL, fixed_ctrl_with(0, 3, FIXED_CTRL_OS));
    wr(MSR_IA32_FIXED_CTR_CTRL, 0xBBB);
    pmu_model_init(&m, &PMU_CFG_V4);
    wr(MSR_IA32_FIXED_CTR_CTRL, 0xFFF);
}

/* 20.2.2: fixed-counter bits beyond the width "must be written as zeros". */
static void test_fixed_counter_width(void **state)
{
    (void)state;
    pmu_model_init(&m, &PMU_CFG_V2);
    wr(MSR_IA32_FIXED_CTR0, (1ull << 40) - 1);
    assert_int_equal(rd(MSR_IA32_FIXED_CTR0), (1ull << 40) - 1);
    wr_gp(MSR_IA32_FIXED_CTR0, 1ull << 40);
}

/* An address that is no architectural PMU MSR raises #GP in the model. */
static void test_other_msrs_raise_gp(void **state)
{
    (void)state;
    pmu_model_init(&m, &PMU_CFG_V4);
    rd_gp(0x10);
    rd_gp(MSR_IA32_PMC0 + PMU_MAX_GP);
    wr_gp(MSR_IA32_PERFEVTSEL0 + PMU_MAX_GP, 0);
}

/* 20.2.2: a GP counter counts while PERFEVTSELx.EN AND its GLOBAL_CTRL bit are set. */
static void test_count_needs_en_and_global_enable(void **state)
{
    (void)state;
    pmu_model_init(&m, &PMU_CFG_V4);
    wr(MSR_IA32_PERFEVTSEL0, evtsel(CYCLES, PERFEVTSEL_USR | PERFEVTSEL_OS));   /* no EN */
    pmu_model_count(&m, CYCLES, 10);
    assert_int_equal(rd(MSR_IA32_PMC0), 0);
    wr(MSR_IA32_PERFEVTSEL0, evtsel(CYCLES, ALL_RINGS));
    wr(MSR_IA32_PERF_GLOBAL_CTRL, PERF_GLOBAL_PMC(1));
    pmu_model_count(&m, CYCLES, 10);
    assert_int_equal(rd(MSR_IA32_PMC0), 0);
    wr(MSR_IA32_PERF_GLOBAL_CTRL, PERF_GLOBAL_PMC(0));
    pmu_model_count(&m, CYCLES, 10);
    assert_int_equal(rd(MSR_IA32_PMC0), 10);
}

/* Figure 20-1: OS counts at CPL 0, USR at CPL 1-3. */
static void test_count_respects_cpl(void **state)
{
    (void)state;
    pmu_model_init(&m, &PMU_CFG_V4);
    wr(MSR_IA32_PERFEVTSEL0, evtsel(INSTR, PERFEVTSEL_OS | PERFEVTSEL_EN));
    wr(MSR_IA32_PERFEVTSEL0 + 1, evtsel(INSTR, PERFEVTSEL_USR | PERFEVTSEL_EN));
    m.cpl = 0;
    pmu_model_count(&m, INSTR, 3);
    m.cpl = 3;
    pmu_model_count(&m, INSTR, 7);
    assert_int_equal(rd(MSR_IA32_PMC0), 3);
    assert_int_equal(rd(MSR_IA32_PMC0 + 1), 7);
}

/* Table 20-1: a counter counts the event its event select AND unit mask name. */
static void test_count_matches_event_and_umask(void **state)
{
    (void)state;
    pmu_model_init(&m, &PMU_CFG_V4);
    wr(MSR_IA32_PERFEVTSEL0, evtsel(CYCLES, ALL_RINGS));      /* 3CH/00H */
    wr(MSR_IA32_PERFEVTSEL0 + 1, evtsel(REFCYC, ALL_RINGS));  /* 3CH/01H */
    pmu_model_count(&m, CYCLES, 4);
    pmu_model_count(&m, REFCYC, 9);
    pmu_model_count(&m, INSTR, 100);
    assert_int_equal(rd(MSR_IA32_PMC0), 4);
    assert_int_equal(rd(MSR_IA32_PMC0 + 1), 9);
}

/* Vol. 2A: an event whose CPUID.0AH:EBX bit is set (or beyond EAX[31:24]) is not available. */
static void test_unavailable_event_does_not_count(void **state)
{
    (void)state;
    pmu_model_init(&m, &PMU_CFG_V5);
    assert_false(pmu_event_available(&m.caps, LLC_MISS));
    assert_true(pmu_event_available(&m.caps, LLC_MISS - 1));
    wr(MSR_IA32_PERFEVTSEL0, evtsel(LLC_MISS, ALL_RINGS));
    pmu_model_count(&m, LLC_MISS, 5);
    assert_int_equal(rd(MSR_IA32_PMC0), 0);
    struct pmu_model_config short_ebx = PMU_CFG_V4;
    short_ebx.ebx_len = 2;
    pmu_model_init(&m, &short_ebx);
    assert_true(pmu_event_available(&m.caps, INSTR));
    assert_false(pmu_event_available(&m.caps, REFCYC));
}

/* 20.2.1/20.2.2: a wrap from 2^width - 1 to 0 sets the overflow bit; with INT, a PMI. */
static void test_overflow_sets_status_and_raises_pmi(void **state)
{
    (void)state;
    pmu_model_init(&m, &PMU_CFG_V4);
    wr(MSR_IA32_PERFEVTSEL0, evtsel(CYCLES, ALL_RINGS | PERFEVTSEL_INT));
    wr(MSR_IA32_A_PMC0, W48 - 9);
    pmu_model_count(&m, CYCLES, 9);
    assert_int_equal(rd(MSR_IA32_PMC0), W48);
    assert_int_equal(rd(MSR_IA32_PERF_GLOBAL_STATUS), 0);
    assert_int_equal(m.pmis, 0);
    pmu_model_count(&m, CYCLES, 1);
    assert_int_equal(rd(MSR_IA32_PMC0), 0);
    assert_int_equal(rd(MSR_IA32_PERF_GLOBAL_STATUS), PERF_GLOBAL_PMC(0));
    assert_int_equal(m.pmis, 1);
    assert_int_equal(m.pmi_status, PERF_GLOBAL_PMC(0));
}

/* Figure 20-1: without INT an overflow only sets the status bit. */
static void test_overflow_without_int_raises_no_pmi(void **state)
{
    (void)state;
    pmu_model_init(&m, &PMU_CFG_V2);
    wr(MSR_IA32_PERFEVTSEL0 + 1, evtsel(INSTR, ALL_RINGS));
    wr(MSR_IA32_PMC0 + 1, 0xFFFFFFFFull);       /* -1: one event to overflow */
    pmu_model_count(&m, INSTR, 2);
    assert_int_equal(rd(MSR_IA32_PMC0 + 1), 1);
    assert_int_equal(rd(MSR_IA32_PERF_GLOBAL_STATUS), PERF_GLOBAL_PMC(1));
    assert_int_equal(m.pmis, 0);
}

/* Table 20-2: fixed counter 0 counts instructions, 1 core cycles, 2 reference cycles, under
 * FIXED_CTR_CTRL and GLOBAL_CTRL bit 32+i; PMI bit 3 of each field. */
static void test_fixed_counters_count_their_events(void **state)
{
    (void)state;
    pmu_model_init(&m, &PMU_CFG_V4);
    wr(MSR_IA32_FIXED_CTR_CTRL, fixed_ctrl_with(fixed_ctrl_with(fixed_ctrl_with(0,
        0, FIXED_CTRL_OS | FIXED_CTRL_USR), 1, FIXED_CTRL_OS), 2, FIXED_CTRL_USR | FIXED_CTRL_PMI));
    pmu_model_count(&m, INSTR, 5);               /* fixed counters disabled at reset */
    assert_int_equal(rd(MSR_IA32_FIXED_CTR0), 0);
    wr(MSR_IA32_PERF_GLOBAL_CTRL, PERF_GLOBAL_FIXED(0) | PERF_GLOBAL_FIXED(1) |
                                  PERF_GLOBAL_FIXED(2));
    wr(MSR_IA32_FIXED_CTR0 + 2, W48);
    m.cpl = 0;
    pmu_model_count(&m, INSTR, 5);
    pmu_model_count(&m, CYCLES, 6);
    pmu_model_count(&m, REFCYC, 7);              /* fixed 2 is USR only */
    m.cpl = 3;
    pmu_model_count(&m, CYCLES, 100);            /* fixed 1 is OS only */
    pmu_model_count(&m, REFCYC, 1);
    assert_int_equal(rd(MSR_IA32_FIXED_CTR0), 5);
    assert_int_equal(rd(MSR_IA32_FIXED_CTR0 + 1), 6);
    assert_int_equal(rd(MSR_IA32_FIXED_CTR0 + 2), 0);
    assert_int_equal(rd(MSR_IA32_PERF_GLOBAL_STATUS), PERF_GLOBAL_FIXED(2));
    assert_int_equal(m.pmis, 1);
}

/* Vol. 3A 11.5.1: a masked LVT entry delivers nothing; CPUs that mask LVTPC on PMI delivery
 * need the handler to unmask it before the next PMI. */
static void test_lvtpc_mask_blocks_pmi(void **state)
{
    (void)state;
    pmu_model_init(&m, &PMU_CFG_V4);            /* masks on delivery */
    wr(MSR_IA32_PERFEVTSEL0, evtsel(CYCLES, ALL_RINGS | PERFEVTSEL_INT));
    wr(MSR_IA32_A_PMC0, W48);
    pmu_model_count(&m, CYCLES, 1);
    assert_int_equal(m.pmis, 1);
    assert_int_equal(m.lvtpc & LVT_MASKED, LVT_MASKED);
    wr(MSR_IA32_A_PMC0, W48);
    pmu_model_count(&m, CYCLES, 1);
    assert_int_equal(m.pmis, 1);
    assert_int_equal(m.pmis_blocked, 1);
    m.lvtpc &= ~LVT_MASKED;
    wr(MSR_IA32_A_PMC0, W48);
    pmu_model_count(&m, CYCLES, 1);
    assert_int_equal(m.pmis, 2);

    pmu_model_init(&m, &PMU_CFG_V2);            /* leaves it unmasked */
    wr(MSR_IA32_PERFEVTSEL0, evtsel(CYCLES, ALL_RINGS | PERFEVTSEL_INT));
    wr(MSR_IA32_PMC0, 0xFFFFFFFFull);
    pmu_model_count(&m, CYCLES, 1);
    wr(MSR_IA32_PMC0, 0xFFFFFFFFull);
    pmu_model_count(&m, CYCLES, 1);
    assert_int_equal(m.pmis, 2);
}

/* Figure 20-1: EDGE, INV and CMASK change what a cycle contributes; the model counts
 * occurrences, so it records such counts as unmodelled instead of guessing. */
static void test_cmask_edge_inv_are_not_modelled(void **state)
{
    (void)state;
    pmu_model_init(&m, &PMU_CFG_V4);
    wr(MSR_IA32_PERFEVTSEL0, evtsel(INSTR, ALL_RINGS) | 2ull << PERFEVTSEL_CMASK_SHIFT);
    pmu_model_count(&m, INSTR, 5);
    assert_int_equal(rd(MSR_IA32_PMC0), 0);
    assert_int_equal(m.unmodelled, 1);
}

/* EMULATORS.md: Bochs advertises version 4 but every PMU MSR raises #GP (ignore_bad_msrs=0),
 * or reads 0 and drops writes (ignore_bad_msrs=1). */
static void test_bochs_configurations(void **state)
{
    (void)state;
    uint32_t r[4];
    pmu_model_init(&m, &PMU_CFG_BOCHS);
    pmu_model_cpuid(&m, 0xA, 0, r);
    assert_int_equal(CPUID_0A_EAX_VERSION(r[0]), 4);
    rd_gp(MSR_IA32_PERFEVTSEL0);
    rd_gp(MSR_IA32_PERF_GLOBAL_CTRL);
    wr_gp(MSR_IA32_PMC0, 0);
    pmu_model_init(&m, &PMU_CFG_BOCHS_IGNORE);
    wr(MSR_IA32_PERFEVTSEL0, evtsel(CYCLES, ALL_RINGS));
    assert_int_equal(rd(MSR_IA32_PERFEVTSEL0), 0);
    assert_int_equal(rd(MSR_IA32_PERF_GLOBAL_CTRL), 0);
}

/* The table itself: every address decodes to its own entry and instance. */
static void test_msr_table_lookup(void **state)
{
    (void)state;
    enum pmu_msr_kind k;
    unsigned idx;
    for (unsigned i = 0; i < PMU_MSR_KINDS; i++)
        for (unsigned x = 0; x < pmu_msrs[i].slots; x++) {
            assert_true(pmu_msr_lookup(pmu_msrs[i].base + x, &k, &idx));
            assert_int_equal(k, i);
            assert_int_equal(idx, x);
        }
    assert_false(pmu_msr_lookup(0x38C, &k, &idx));
    assert_false(pmu_msr_lookup(0x392, &k, &idx));
    assert_true(pmu_msr_lookup(0x390, &k, &idx));
    assert_int_equal(k, PMU_MSR_GLOBAL_OVF_CTRL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cpuid_0ah_layout),
        cmocka_unit_test(test_cpuid_v1_reports_no_fixed_counters),
        cmocka_unit_test(test_v5_fixed_bitmap_and_anythread_deprecation),
        cmocka_unit_test(test_gp_counter_beyond_eax_15_8_raises_gp),
        cmocka_unit_test(test_perfevtsel_reserved_bits_raise_gp),
        cmocka_unit_test(test_pmc_write_sign_extends_bit_31),
        cmocka_unit_test(test_pmc_truncated_to_width),
        cmocka_unit_test(test_a_pmc_full_width_write),
        cmocka_unit_test(test_a_pmc_absent_without_fw_write),
        cmocka_unit_test(test_perf_capabilities_needs_pdcm_and_is_read_only),
        cmocka_unit_test(test_global_status_is_read_only),
        cmocka_unit_test(test_ovf_ctrl_write_one_clears),
        cmocka_unit_test(test_ovf_ctrl_reserved_bits_raise_gp),
        cmocka_unit_test(test_status_set_is_version_4),
        cmocka_unit_test(test_global_ctrl_reset_value),
        cmocka_unit_test(test_global_ctrl_reserved_bits_raise_gp),
        cmocka_unit_test(test_version_1_has_no_global_msrs),
        cmocka_unit_test(test_fixed_ctr_ctrl_reserved_bits_raise_gp),
        cmocka_unit_test(test_fixed_counter_width),
        cmocka_unit_test(test_other_msrs_raise_gp),
        cmocka_unit_test(test_count_needs_en_and_global_enable),
        cmocka_unit_test(test_count_respects_cpl),
        cmocka_unit_test(test_count_matches_event_and_umask),
        cmocka_unit_test(test_unavailable_event_does_not_count),
        cmocka_unit_test(test_overflow_sets_status_and_raises_pmi),
        cmocka_unit_test(test_overflow_without_int_raises_no_pmi),
        cmocka_unit_test(test_fixed_counters_count_their_events),
        cmocka_unit_test(test_lvtpc_mask_blocks_pmi),
        cmocka_unit_test(test_cmask_edge_inv_are_not_modelled),
        cmocka_unit_test(test_bochs_configurations),
        cmocka_unit_test(test_msr_table_lookup),
    };
    return cmocka_run_group_tests_name("pmu_model", tests, NULL, NULL);
}
