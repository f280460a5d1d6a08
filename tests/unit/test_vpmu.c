/* pmu/vpmu/vpmu.c: the guest's virtual PMU (software backend) obeys the SDM rules it presents
 * (Vol. 2A CPUID leaf 0AH and RDPMC, Vol. 3B 20.2, Vol. 4 Table 2-2).  Each test names the rule.
 * Where a test needs "what the SDM says exists", it decodes the guest's own CPUID answers with
 * pmu_caps_decode() and asks pmu/vpmu/pmu_msr.h's table, never the vPMU's internal caps. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "pmu/vpmu/vpmu.h"

static struct vpmu p;

#define CYCLES   0u   /* architectural event indices = CPUID.0AH:EBX bits */
#define INSTR    1u
#define REFCYC   2u
#define W48      ((1ull << 48) - 1)
#define ALL_RINGS (PERFEVTSEL_USR | PERFEVTSEL_OS | PERFEVTSEL_EN)
#define FIXED_ALL (FIXED_CTRL_OS | FIXED_CTRL_USR)
#define CPL_USER 3
#define FIXED_RDPMC (1u << 30)

static uint64_t rd(uint32_t msr)
{
    uint64_t v = 0xBAD;
    assert_int_equal(vpmu_rdmsr(&p, msr, &v), 0);
    return v;
}

static void wr(uint32_t msr, uint64_t v)
{
    assert_int_equal(vpmu_wrmsr(&p, msr, v), 0);
}

static void rd_gp(uint32_t msr)
{
    uint64_t v = 0x5A5A;
    assert_int_equal(vpmu_rdmsr(&p, msr, &v), -1);
    assert_int_equal(v, 0x5A5A);            /* a faulting read leaves the guest's EDX:EAX */
}

static void wr_gp(uint32_t msr, uint64_t v)
{
    assert_int_equal(vpmu_wrmsr(&p, msr, v), -1);
}

static uint64_t evtsel(unsigned ev, uint64_t flags)
{
    return perfevtsel_make(pmu_arch_events[ev].event, pmu_arch_events[ev].umask, flags);
}

/* What the guest is told: CPUID 01H and 0AH decoded, PERF_CAPABILITIES[13] read back. */
static struct pmu_caps guest_caps(void)
{
    uint32_t l1[4] = { 0, 0, 0, 0 }, a[4] = { 0, 0, 0, 0 };
    struct pmu_caps c;
    vpmu_cpuid(&p, 1, 0, l1);
    vpmu_cpuid(&p, CPUID_LEAF_PMU, 0, a);
    pmu_caps_decode(&c, l1[2], a);
    uint64_t cap = 0;
    if (c.pdcm && vpmu_rdmsr(&p, MSR_IA32_PERF_CAPABILITIES, &cap) == 0)
        c.full_width_writes = !!(cap & PERF_CAP_FW_WRITE);
    return c;
}

static int setup(void **state)
{
    (void)state;
    vpmu_init(&p);
    return 0;
}

/* ---- CPUID ---- */

/* Vol. 2A CPUID.0AH: EAX = version 5 | 4 GP counters << 8 | width 48 << 16 | 7 EBX bits << 24;
 * EBX bit set = event unavailable: only core cycles (bit 0) and reference cycles (bit 2) are
 * clear; version 5 ECX = 110b: fixed counters 1 and 2; EDX[4:0] = 0 (none contiguous from 0),
 * EDX[12:5] = 48, EDX[15] AnyThread deprecated. */
static void test_cpuid_0ah_fields_and_ebx(void **state)
{
    (void)state;
    uint32_t r[4] = { 0xDEAD, 0xBEEF, 0xCAFE, 0xF00D };
    vpmu_cpuid(&p, CPUID_LEAF_PMU, 0, r);
    assert_int_equal(CPUID_0A_EAX_VERSION(r[0]), 5);
    assert_int_equal(CPUID_0A_EAX_NGP(r[0]), 4);
    assert_int_equal(CPUID_0A_EAX_GP_WIDTH(r[0]), 48);
    assert_int_equal(CPUID_0A_EAX_EBX_LEN(r[0]), 7);
    assert_int_equal(r[1], 0x7A);
    assert_int_equal(r[2], 0x6);
    assert_int_equal(CPUID_0A_EDX_NFIXED(r[3]), 0);
    assert_int_equal(CPUID_0A_EDX_FIXED_WIDTH(r[3]), 48);
    assert_int_equal(r[3] & CPUID_0A_EDX_ANY_DEPRECATED, CPUID_0A_EDX_ANY_DEPRECATED);
    assert_int_equal(r[3] & ~(0x1Fu | 0xFFu << 5 | CPUID_0A_EDX_ANY_DEPRECATED), 0);

    struct pmu_caps c = guest_caps();
    for (unsigned e = 0; e < PMU_ARCH_EVENTS; e++)
        assert_int_equal(pmu_event_available(&c, e), e == CYCLES || e == REFCYC);
    assert_false(pmu_fixed_exists(&c, 0));     /* instructions retired: not from the TSC */
    assert_true(pmu_fixed_exists(&c, 1));
    assert_true(pmu_fixed_exists(&c, 2));
    assert_false(pmu_fixed_exists(&c, 3));
    assert_false(pmu_anythread(&c));

    /* leaf 0AH has no subleaves: every subleaf answers the same */
    uint32_t r2[4] = { 0, 0, 0, 0 };
    vpmu_cpuid(&p, CPUID_LEAF_PMU, 7, r2);
    assert_memory_equal(r, r2, sizeof(r));
}

/* vpmu_cpuid touches only leaf 01H ECX[15] and leaf 0AH. */
static void test_cpuid_other_leaves_and_bits_untouched(void **state)
{
    (void)state;
    uint32_t r[4] = { 0x11, 0x22, 0x33, 0x44 };
    for (uint32_t leaf = 0; leaf < 0x20; leaf++) {
        if (leaf == 1 || leaf == CPUID_LEAF_PMU)
            continue;
        vpmu_cpuid(&p, leaf, 0, r);
        assert_int_equal(r[0], 0x11);
        assert_int_equal(r[1], 0x22);
        assert_int_equal(r[2], 0x33);
        assert_int_equal(r[3], 0x44);
    }
    uint32_t l1[4] = { 0x906EA, 0x1234, ~CPUID_01_ECX_PDCM, 0x5678 };
    vpmu_cpuid(&p, 1, 0, l1);
    assert_int_equal(l1[0], 0x906EA);
    assert_int_equal(l1[1], 0x1234);
    assert_int_equal(l1[2], 0xFFFFFFFFu);
    assert_int_equal(l1[3], 0x5678);
}

/* Vol. 2A CPUID.01H:ECX[15] PDCM: IA32_PERF_CAPABILITIES exists, read-only; its bit 13
 * (full-width writes, 20.2.6) is what makes IA32_A_PMCx exist. */
static void test_pdcm_matches_perf_capabilities(void **state)
{
    (void)state;
    uint32_t l1[4] = { 0, 0, 0, 0 };
    vpmu_cpuid(&p, 1, 0, l1);
    assert_int_equal(l1[2] & CPUID_01_ECX_PDCM, CPUID_01_ECX_PDCM);
    assert_int_equal(rd(MSR_IA32_PERF_CAPABILITIES), PERF_CAP_FW_WRITE);
    wr_gp(MSR_IA32_PERF_CAPABILITIES, PERF_CAP_FW_WRITE);
    wr_gp(MSR_IA32_PERF_CAPABILITIES, 0);
    for (unsigned i = 0; i < 4; i++) {
        wr(MSR_IA32_A_PMC0 + i, 0x123456789ABull + i);
        assert_int_equal(rd(MSR_IA32_A_PMC0 + i), 0x123456789ABull + i);
        assert_int_equal(rd(MSR_IA32_PMC0 + i), 0x123456789ABull + i);   /* one counter */
    }
    rd_gp(MSR_IA32_A_PMC0 + 4);
}

/* ---- MSR existence and reserved bits (Vol. 4 Table 2-2, pmu/vpmu/pmu_msr.h) ---- */

/* The lead intercepts every address of the table, enumerated or not, and nothing else. */
static void test_msr_is_pmu_covers_the_whole_table(void **state)
{
    (void)state;
    for (unsigned k = 0; k < PMU_MSR_KINDS; k++)
        for (unsigned x = 0; x < pmu_msrs[k].slots; x++)
            assert_true(vpmu_msr_is_pmu(pmu_msrs[k].base + x));
    const uint32_t others[] = { 0x10, 0xC0, 0xC9, 0x185, 0x18E, 0x308, 0x30D, 0x344, 0x346,
                                0x38C, 0x392, 0x4C0, 0x4C9, 0x834, 0x1D9 };
    for (unsigned i = 0; i < sizeof(others) / sizeof(others[0]); i++)
        assert_false(vpmu_msr_is_pmu(others[i]));
}

/* Vol. 4 Table 2-2: every table MSR reads iff CPUID enumerates it; the others #GP. */
static void test_every_table_msr_exists_iff_enumerated(void **state)
{
    (void)state;
    struct pmu_caps c = guest_caps();
    for (unsigned k = 0; k < PMU_MSR_KINDS; k++)
        for (unsigned x = 0; x < pmu_msrs[k].slots; x++) {
            uint64_t v;
            int want = pmu_msr_exists(&c, (enum pmu_msr_kind)k, x) ? 0 : -1;
            assert_int_equal(vpmu_rdmsr(&p, pmu_msrs[k].base + x, &v), want);
            if (want)
                wr_gp(pmu_msrs[k].base + x, 0);
        }
    /* spelled out: what the software backend does not offer */
    rd_gp(MSR_IA32_FIXED_CTR0);                 /* instructions retired */
    wr_gp(MSR_IA32_FIXED_CTR0, 0);
    rd_gp(MSR_IA32_FIXED_CTR0 + 3);
    rd_gp(MSR_IA32_PMC0 + 4);
    rd_gp(MSR_IA32_PERFEVTSEL0 + 4);
    rd_gp(MSR_IA32_A_PMC0 + 7);
    rd(MSR_IA32_FIXED_CTR0 + 1);
    rd(MSR_IA32_FIXED_CTR0 + 2);
    rd(MSR_IA32_PERF_GLOBAL_STATUS_SET);        /* version 4 on: reads 0 */
    assert_int_equal(rd(MSR_IA32_PERF_GLOBAL_OVF_CTRL), 0);
    rd_gp(0x392);                               /* not in the table: not the vPMU's */
}

/* Every bit of every writable table MSR: a write #GPs iff the bit is reserved. */
static void test_reserved_bits_raise_gp(void **state)
{
    (void)state;
    struct pmu_caps c = guest_caps();
    for (unsigned k = 0; k < PMU_MSR_KINDS; k++) {
        if (pmu_msrs[k].access == PMU_RO)
            continue;
        uint64_t reserved = pmu_msr_reserved(&c, (enum pmu_msr_kind)k);
        for (unsigned x = 0; x < pmu_msrs[k].slots; x++) {
            if (!pmu_msr_exists(&c, (enum pmu_msr_kind)k, x))
                continue;
            for (unsigned b = 0; b < 64; b++)
                assert_int_equal(vpmu_wrmsr(&p, pmu_msrs[k].base + x, 1ull << b),
                                 (reserved >> b) & 1 ? -1 : 0);
        }
    }
    /* spelled out */
    vpmu_init(&p);
    wr_gp(MSR_IA32_PERFEVTSEL0, evtsel(CYCLES, ALL_RINGS | PERFEVTSEL_ANY));   /* deprecated */
    wr_gp(MSR_IA32_PERFEVTSEL0, 1ull << 32);
    wr_gp(MSR_IA32_FIXED_CTR_CTRL, fixed_ctrl_with(0, 0, FIXED_CTRL_OS));       /* no fixed 0 */
    wr_gp(MSR_IA32_FIXED_CTR_CTRL, fixed_ctrl_with(0, 1, FIXED_CTRL_ANY));
    wr(MSR_IA32_FIXED_CTR_CTRL, fixed_ctrl_with(fixed_ctrl_with(0, 1, 0xB), 2, 0xB));
    wr_gp(MSR_IA32_PERF_GLOBAL_CTRL, PERF_GLOBAL_FIXED(0));
    wr_gp(MSR_IA32_PERF_GLOBAL_CTRL, PERF_GLOBAL_PMC(4));
    wr(MSR_IA32_PERF_GLOBAL_CTRL, 0xF | PERF_GLOBAL_FIXED(1) | PERF_GLOBAL_FIXED(2));
    wr_gp(MSR_IA32_PERF_GLOBAL_OVF_CTRL, PERF_GLOBAL_FIXED(0));
    wr_gp(MSR_IA32_PERF_GLOBAL_STATUS_SET, PERF_GLOBAL_COND_CHGD);
    wr_gp(MSR_IA32_A_PMC0, 1ull << 48);
    wr_gp(MSR_IA32_FIXED_CTR0 + 1, 1ull << 48);
}

/* 20.2.2: IA32_PERF_GLOBAL_STATUS is read-only, even written with its own value. */
static void test_global_status_is_read_only(void **state)
{
    (void)state;
    wr_gp(MSR_IA32_PERF_GLOBAL_STATUS, 0);
    wr_gp(MSR_IA32_PERF_GLOBAL_STATUS, rd(MSR_IA32_PERF_GLOBAL_STATUS));
    wr_gp(MSR_IA32_PERF_GLOBAL_STATUS, PERF_GLOBAL_PMC(0));
}

/* Vol. 4 Table 2-2: IA32_PERF_GLOBAL_CTRL resets with the GP counters' enable bits set and
 * the fixed ones clear; every other register resets to 0. */
static void test_global_ctrl_reset_value(void **state)
{
    (void)state;
    assert_int_equal(rd(MSR_IA32_PERF_GLOBAL_CTRL), 0xF);
    assert_int_equal(rd(MSR_IA32_PERF_GLOBAL_STATUS), 0);
    assert_int_equal(rd(MSR_IA32_FIXED_CTR_CTRL), 0);
    for (unsigned i = 0; i < 4; i++) {
        assert_int_equal(rd(MSR_IA32_PERFEVTSEL0 + i), 0);
        assert_int_equal(rd(MSR_IA32_PMC0 + i), 0);
    }
    /* so a PERFEVTSELx.EN alone starts a GP counter; a fixed one needs GLOBAL_CTRL too */
    wr(MSR_IA32_PERFEVTSEL0, evtsel(CYCLES, ALL_RINGS));
    wr(MSR_IA32_FIXED_CTR_CTRL, fixed_ctrl_with(0, 1, FIXED_ALL));
    vpmu_count(&p, 0, 10);
    assert_int_equal(rd(MSR_IA32_PMC0), 10);
    assert_int_equal(rd(MSR_IA32_FIXED_CTR0 + 1), 0);
    assert_int_equal(p.mode, VPMU_CPU_SWITCH);
    assert_false(vpmu_take_pmi(&p));
}

/* ---- counting ---- */

/* 20.2.2: a counter counts iff its own enable (PERFEVTSELx.EN, FIXED_CTR_CTRL OS/USR) AND its
 * IA32_PERF_GLOBAL_CTRL bit are set. */
static void test_counts_only_when_en_and_global_ctrl(void **state)
{
    (void)state;
    wr(MSR_IA32_PERFEVTSEL0, evtsel(CYCLES, PERFEVTSEL_USR | PERFEVTSEL_OS));   /* no EN */
    wr(MSR_IA32_PERFEVTSEL0 + 1, evtsel(CYCLES, ALL_RINGS));
    wr(MSR_IA32_FIXED_CTR_CTRL, fixed_ctrl_with(fixed_ctrl_with(0, 1, FIXED_ALL), 2, 0));
    wr(MSR_IA32_PERF_GLOBAL_CTRL, PERF_GLOBAL_PMC(0) | PERF_GLOBAL_FIXED(2));
    vpmu_count(&p, 0, 100);
    assert_int_equal(rd(MSR_IA32_PMC0), 0);         /* global on, EN off */
    assert_int_equal(rd(MSR_IA32_PMC0 + 1), 0);     /* EN on, global off */
    assert_int_equal(rd(MSR_IA32_FIXED_CTR0 + 1), 0);
    assert_int_equal(rd(MSR_IA32_FIXED_CTR0 + 2), 0);
    wr(MSR_IA32_PERF_GLOBAL_CTRL, PERF_GLOBAL_PMC(1) | PERF_GLOBAL_FIXED(1));
    vpmu_count(&p, 0, 100);
    assert_int_equal(rd(MSR_IA32_PMC0 + 1), 100);
    assert_int_equal(rd(MSR_IA32_FIXED_CTR0 + 1), 100);
    wr(MSR_IA32_PERF_GLOBAL_CTRL, 0);
    vpmu_count(&p, 0, 100);
    assert_int_equal(rd(MSR_IA32_PMC0 + 1), 100);
    assert_int_equal(rd(MSR_IA32_FIXED_CTR0 + 1), 100);
}

/* Figure 20-1 / 20.2.2: OS counts at CPL 0, USR at CPL 1-3, both at every CPL. */
static void test_usr_os_filtering_by_cpl(void **state)
{
    (void)state;
    wr(MSR_IA32_PERFEVTSEL0, evtsel(CYCLES, PERFEVTSEL_OS | PERFEVTSEL_EN));
    wr(MSR_IA32_PERFEVTSEL0 + 1, evtsel(CYCLES, PERFEVTSEL_USR | PERFEVTSEL_EN));
    wr(MSR_IA32_PERFEVTSEL0 + 2, evtsel(REFCYC, ALL_RINGS));
    wr(MSR_IA32_FIXED_CTR_CTRL, fixed_ctrl_with(fixed_ctrl_with(0, 1, FIXED_CTRL_OS), 2,
                                                FIXED_CTRL_USR));
    wr(MSR_IA32_PERF_GLOBAL_CTRL, 0xF | PERF_GLOBAL_FIXED(1) | PERF_GLOBAL_FIXED(2));
    vpmu_count(&p, 0, 5);
    vpmu_count(&p, 1, 7);
    vpmu_count(&p, CPL_USER, 11);
    assert_int_equal(rd(MSR_IA32_PMC0), 5);
    assert_int_equal(rd(MSR_IA32_PMC0 + 1), 18);
    assert_int_equal(rd(MSR_IA32_PMC0 + 2), 23);
    assert_int_equal(rd(MSR_IA32_FIXED_CTR0 + 1), 5);
    assert_int_equal(rd(MSR_IA32_FIXED_CTR0 + 2), 18);
}

/* CPUID.0AH:EBX: only the two cycle events count; others, and unknown encodings, do not. */
static void test_only_cycle_events_count_from_the_tsc(void **state)
{
    (void)state;
    wr(MSR_IA32_PERFEVTSEL0, evtsel(INSTR, ALL_RINGS));
    wr(MSR_IA32_PERFEVTSEL0 + 1, evtsel(5, ALL_RINGS));                     /* branches */
    wr(MSR_IA32_PERFEVTSEL0 + 2, perfevtsel_make(0x3C, 0x02, ALL_RINGS));  /* not arch */
    wr(MSR_IA32_PERFEVTSEL0 + 3, evtsel(REFCYC, ALL_RINGS));
    vpmu_count(&p, 0, 1000);
    assert_int_equal(rd(MSR_IA32_PMC0), 0);
    assert_int_equal(rd(MSR_IA32_PMC0 + 1), 0);
    assert_int_equal(rd(MSR_IA32_PMC0 + 2), 0);
    assert_int_equal(rd(MSR_IA32_PMC0 + 3), 1000);
    assert_int_equal(vpmu_ticks_to_pmi(&p, 0), UINT64_MAX);
}

/* Figure 20-1: INV, EDGE and CMASK compare a per-cycle count with a threshold that TSC ticks
 * do not give: such a counter is not counted (and the attempt is recorded). */
static void test_inv_cmask_edge_are_not_counted(void **state)
{
    (void)state;
    wr(MSR_IA32_PERFEVTSEL0, evtsel(CYCLES, ALL_RINGS | PERFEVTSEL_INV));
    wr(MSR_IA32_PERFEVTSEL0 + 1, evtsel(CYCLES, ALL_RINGS | PERFEVTSEL_EDGE));
    wr(MSR_IA32_PERFEVTSEL0 + 2, evtsel(CYCLES, ALL_RINGS | PERFEVTSEL_INT) |
                                 1ull << PERFEVTSEL_CMASK_SHIFT);
    wr(MSR_IA32_A_PMC0 + 2, W48);
    assert_int_equal(vpmu_ticks_to_pmi(&p, 0), UINT64_MAX);
    vpmu_count(&p, 0, 10);
    for (unsigned i = 0; i < 3; i++)
        assert_int_equal(rd(MSR_IA32_PMC0 + i), i == 2 ? W48 : 0);
    assert_int_equal(p.st.unmodelled, 3);
    assert_false(vpmu_take_pmi(&p));
}

/* ---- counter values ---- */

/* 20.2.6: a write to IA32_PMCx takes EAX[31:0] sign-extended (EDX ignored); IA32_A_PMCx is
 * written in full. */
static void test_pmc_32bit_write_sign_extends(void **state)
{
    (void)state;
    wr(MSR_IA32_PMC0, 0x80000000ull);
    assert_int_equal(rd(MSR_IA32_PMC0), 0xFFFF80000000ull);
    wr(MSR_IA32_PMC0, 0x7FFFFFFFull);
    assert_int_equal(rd(MSR_IA32_PMC0), 0x7FFFFFFFull);
    wr(MSR_IA32_PMC0 + 3, 0x12345678FFFFFFFEull);      /* EDX ignored */
    assert_int_equal(rd(MSR_IA32_PMC0 + 3), W48 - 1);
    wr(MSR_IA32_A_PMC0 + 1, 0x80000000ull);             /* full width: no sign extension */
    assert_int_equal(rd(MSR_IA32_PMC0 + 1), 0x80000000ull);
}

/* Vol. 2A EAX[23:16], EDX[12:5]: counters are 48 bits; counting wraps at 2^48, full-width
 * and fixed writes beyond 48 bits #GP, legacy writes are truncated. */
static void test_counters_truncated_to_48_bits(void **state)
{
    (void)state;
    wr(MSR_IA32_PMC0, ~0ull);
    assert_int_equal(rd(MSR_IA32_PMC0), W48);
    wr_gp(MSR_IA32_A_PMC0, W48 + 1);
    wr_gp(MSR_IA32_FIXED_CTR0 + 2, ~0ull);
    wr(MSR_IA32_FIXED_CTR0 + 2, W48 - 2);
    wr(MSR_IA32_A_PMC0, W48 - 2);
    wr(MSR_IA32_PERFEVTSEL0, evtsel(CYCLES, ALL_RINGS));
    wr(MSR_IA32_FIXED_CTR_CTRL, fixed_ctrl_with(0, 2, FIXED_ALL));
    wr(MSR_IA32_PERF_GLOBAL_CTRL, 1 | PERF_GLOBAL_FIXED(2));
    vpmu_count(&p, 0, 5);
    assert_int_equal(rd(MSR_IA32_PMC0), 2);
    assert_int_equal(rd(MSR_IA32_FIXED_CTR0 + 2), 2);
    uint64_t v;
    assert_int_equal(vpmu_rdpmc(&p, 0, 0, 0, &v), 0);
    assert_int_equal(v, 2);
}

/* 20.2.1: a counter written to -1 overflows on the very next event. */
static void test_counter_written_minus_one_overflows_next_tick(void **state)
{
    (void)state;
    wr(MSR_IA32_PERFEVTSEL0, evtsel(CYCLES, ALL_RINGS));
    wr(MSR_IA32_PMC0, 0xFFFFFFFFull);                   /* -1 through the 32-bit write */
    assert_int_equal(rd(MSR_IA32_PMC0), W48);
    vpmu_count(&p, 0, 0);
    assert_int_equal(rd(MSR_IA32_PERF_GLOBAL_STATUS), 0);
    vpmu_count(&p, 0, 1);
    assert_int_equal(rd(MSR_IA32_PMC0), 0);
    assert_int_equal(rd(MSR_IA32_PERF_GLOBAL_STATUS), PERF_GLOBAL_PMC(0));
}

/* 20.2.2: an overflow sets its IA32_PERF_GLOBAL_STATUS bit; writing 1 to that bit of
 * IA32_PERF_GLOBAL_OVF_CTRL clears it (and nothing else); OVF_CTRL reads 0. */
static void test_overflow_sets_global_status_and_ovf_ctrl_clears_it(void **state)
{
    (void)state;
    wr(MSR_IA32_PERFEVTSEL0 + 3, evtsel(REFCYC, ALL_RINGS));
    wr(MSR_IA32_A_PMC0 + 3, W48);
    wr(MSR_IA32_FIXED_CTR_CTRL, fixed_ctrl_with(0, 1, FIXED_ALL));
    wr(MSR_IA32_PERF_GLOBAL_CTRL, 0xF | PERF_GLOBAL_FIXED(1));
    wr(MSR_IA32_FIXED_CTR0 + 1, W48);
    vpmu_count(&p, CPL_USER, 1);
    uint64_t both = PERF_GLOBAL_PMC(3) | PERF_GLOBAL_FIXED(1);
    assert_int_equal(rd(MSR_IA32_PERF_GLOBAL_STATUS), both);
    wr(MSR_IA32_PERF_GLOBAL_OVF_CTRL, PERF_GLOBAL_PMC(0));         /* not set: no change */
    assert_int_equal(rd(MSR_IA32_PERF_GLOBAL_STATUS), both);
    wr(MSR_IA32_PERF_GLOBAL_OVF_CTRL, PERF_GLOBAL_PMC(3));
    assert_int_equal(rd(MSR_IA32_PERF_GLOBAL_STATUS), PERF_GLOBAL_FIXED(1));
    assert_int_equal(rd(MSR_IA32_PERF_GLOBAL_OVF_CTRL), 0);
    wr(MSR_IA32_PERF_GLOBAL_OVF_CTRL, PERF_GLOBAL_FIXED(1));
    assert_int_equal(rd(MSR_IA32_PERF_GLOBAL_STATUS), 0);
    assert_false(vpmu_take_pmi(&p));                                /* no INT, no PMI */
}

/* 20.2.4 (version 4): IA32_PERF_GLOBAL_STATUS_SET sets status bits (reads 0) and raises no
 * PMI: it is how a VMM restores the status. */
static void test_status_set_sets_bits_without_pmi(void **state)
{
    (void)state;
    wr(MSR_IA32_PERF_GLOBAL_STATUS_SET, PERF_GLOBAL_PMC(2) | PERF_GLOBAL_FIXED(2) |
                                        PERF_GLOBAL_OVF_BUF);
    assert_int_equal(rd(MSR_IA32_PERF_GLOBAL_STATUS), PERF_GLOBAL_PMC(2) |
                                                      PERF_GLOBAL_FIXED(2) | PERF_GLOBAL_OVF_BUF);
    assert_int_equal(rd(MSR_IA32_PERF_GLOBAL_STATUS_SET), 0);
    assert_false(vpmu_take_pmi(&p));
}

/* Figure 20-1 INT, 20.2.2 fixed PMI: an overflow is a PMI iff the counter's INT / PMI bit is
 * set; vpmu_take_pmi reports it once. */
static void test_pmi_pending_iff_int(void **state)
{
    (void)state;
    wr(MSR_IA32_PERFEVTSEL0, evtsel(CYCLES, ALL_RINGS));
    wr(MSR_IA32_A_PMC0, W48);
    vpmu_count(&p, 0, 1);
    assert_false(vpmu_take_pmi(&p));
    wr(MSR_IA32_PERFEVTSEL0, evtsel(CYCLES, ALL_RINGS | PERFEVTSEL_INT));
    wr(MSR_IA32_A_PMC0, W48);
    vpmu_count(&p, 0, 1);
    assert_true(vpmu_take_pmi(&p));
    assert_false(vpmu_take_pmi(&p));

    wr(MSR_IA32_PERFEVTSEL0, 0);
    wr(MSR_IA32_PERF_GLOBAL_CTRL, PERF_GLOBAL_FIXED(2));
    wr(MSR_IA32_FIXED_CTR_CTRL, fixed_ctrl_with(0, 2, FIXED_ALL));
    wr(MSR_IA32_FIXED_CTR0 + 2, W48);
    vpmu_count(&p, 0, 1);
    assert_false(vpmu_take_pmi(&p));
    wr(MSR_IA32_FIXED_CTR_CTRL, fixed_ctrl_with(0, 2, FIXED_ALL | FIXED_CTRL_PMI));
    wr(MSR_IA32_FIXED_CTR0 + 2, W48);
    vpmu_count(&p, CPL_USER, 1);
    assert_true(vpmu_take_pmi(&p));
    assert_int_equal(p.overflows, 2);
}

/* The preemption-timer contract: vpmu_ticks_to_pmi(cpl) ticks at cpl overflow the first
 * PMI-enabled counter exactly: one fewer raises no PMI, that many does. */
static void check_ticks_to_pmi_exact(int cpl)
{
    uint64_t t = vpmu_ticks_to_pmi(&p, cpl);
    assert_true(t != UINT64_MAX && t > 0);
    struct vpmu saved = p;
    vpmu_count(&p, cpl, t - 1);
    assert_false(vpmu_take_pmi(&p));
    assert_int_equal(vpmu_ticks_to_pmi(&p, cpl), 1);
    vpmu_count(&p, cpl, 1);
    assert_true(vpmu_take_pmi(&p));
    p = saved;
    vpmu_count(&p, cpl, t);                     /* in one go */
    assert_true(vpmu_take_pmi(&p));
}

static void test_ticks_to_pmi_is_exact(void **state)
{
    (void)state;
    assert_int_equal(vpmu_ticks_to_pmi(&p, 0), UINT64_MAX);     /* nothing with INT */
    wr(MSR_IA32_PERFEVTSEL0, evtsel(CYCLES, ALL_RINGS));         /* no INT: ignored */
    wr(MSR_IA32_A_PMC0, W48 - 3);
    assert_int_equal(vpmu_ticks_to_pmi(&p, 0), UINT64_MAX);
    wr(MSR_IA32_PERFEVTSEL0 + 1, evtsel(REFCYC, PERFEVTSEL_OS | PERFEVTSEL_EN | PERFEVTSEL_INT));
    wr(MSR_IA32_A_PMC0 + 1, W48 + 1 - 1000);
    wr(MSR_IA32_FIXED_CTR_CTRL, fixed_ctrl_with(0, 1, FIXED_CTRL_USR | FIXED_CTRL_PMI));
    wr(MSR_IA32_PERF_GLOBAL_CTRL, 0xF | PERF_GLOBAL_FIXED(1));
    wr(MSR_IA32_FIXED_CTR0 + 1, W48 + 1 - 250);
    assert_int_equal(vpmu_ticks_to_pmi(&p, 0), 1000);            /* fixed 1 is USR only */
    assert_int_equal(vpmu_ticks_to_pmi(&p, CPL_USER), 250);      /* PMC1 is OS only */
    check_ticks_to_pmi_exact(0);
    check_ticks_to_pmi_exact(CPL_USER);
    wr(MSR_IA32_PERF_GLOBAL_CTRL, 0xF);                          /* GLOBAL_CTRL gates it */
    assert_int_equal(vpmu_ticks_to_pmi(&p, CPL_USER), UINT64_MAX);
    wr(MSR_IA32_A_PMC0 + 1, 0);                                  /* a whole period: 2^48 */
    assert_int_equal(vpmu_ticks_to_pmi(&p, 0), 1ull << 48);
    check_ticks_to_pmi_exact(0);
}

/* ---- RDPMC (Vol. 2B) ---- */

/* #GP(0) if CPL > 0 and CR4.PCE = 0; at CPL 0, or with PCE, it reads. */
static void test_rdpmc_cr4_pce(void **state)
{
    (void)state;
    uint64_t v = 0;
    wr(MSR_IA32_A_PMC0, 42);
    assert_int_equal(vpmu_rdpmc(&p, 0, CPL_USER, 0, &v), -1);
    assert_int_equal(vpmu_rdpmc(&p, 0, 1, 0, &v), -1);
    assert_int_equal(vpmu_rdpmc(&p, 0, 0, 0, &v), 0);
    assert_int_equal(v, 42);
    v = 0;
    assert_int_equal(vpmu_rdpmc(&p, 0, CPL_USER, 1, &v), 0);
    assert_int_equal(v, 42);
}

/* ECX[30] = 1 selects the fixed counters, ECX[29:0] the index within the type. */
static void test_rdpmc_ecx_bit30_selects_fixed_counters(void **state)
{
    (void)state;
    uint64_t v;
    wr(MSR_IA32_A_PMC0 + 1, 0x111);
    wr(MSR_IA32_FIXED_CTR0 + 1, 0x222);
    wr(MSR_IA32_FIXED_CTR0 + 2, 0x333);
    assert_int_equal(vpmu_rdpmc(&p, 1, 0, 0, &v), 0);
    assert_int_equal(v, 0x111);
    assert_int_equal(vpmu_rdpmc(&p, FIXED_RDPMC | 1, 0, 0, &v), 0);
    assert_int_equal(v, 0x222);
    assert_int_equal(vpmu_rdpmc(&p, FIXED_RDPMC | 2, 0, 0, &v), 0);
    assert_int_equal(v, 0x333);
}

/* #GP(0) if ECX names no counter: GP index >= 4, fixed 0 (not offered) or >= 3, ECX[31]
 * ("fast read", reserved with architectural perfmon), any index bits above. */
static void test_rdpmc_invalid_index_raises_gp(void **state)
{
    (void)state;
    const uint32_t bad[] = { 4, 5, 8, 0x3FFFFFFF, FIXED_RDPMC | 0, FIXED_RDPMC | 3,
                             FIXED_RDPMC | 4, FIXED_RDPMC | 0x10001, 1u << 31,
                             1u << 31 | 1, 1u << 31 | FIXED_RDPMC | 1, 0x10000, 0x100000 | 1,
                             0xFFFFFFFF };
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        uint64_t v = 0x77;
        assert_int_equal(vpmu_rdpmc(&p, bad[i], 0, 1, &v), -1);
        assert_int_equal(v, 0x77);
    }
}

/* RDPMC reads the same counter RDMSR does, for every counter offered. */
static void test_rdpmc_agrees_with_rdmsr(void **state)
{
    (void)state;
    wr(MSR_IA32_PERFEVTSEL0, evtsel(CYCLES, ALL_RINGS));
    wr(MSR_IA32_PERFEVTSEL0 + 2, evtsel(REFCYC, PERFEVTSEL_USR | PERFEVTSEL_EN));
    wr(MSR_IA32_FIXED_CTR_CTRL, fixed_ctrl_with(fixed_ctrl_with(0, 1, FIXED_ALL), 2,
                                                FIXED_CTRL_OS));
    wr(MSR_IA32_PERF_GLOBAL_CTRL, 0xF | PERF_GLOBAL_FIXED(1) | PERF_GLOBAL_FIXED(2));
    wr(MSR_IA32_A_PMC0 + 3, 0xABCDEF012345ull);
    vpmu_count(&p, 0, 12345);
    vpmu_count(&p, CPL_USER, 777);
    uint64_t v;
    for (unsigned i = 0; i < 4; i++) {
        assert_int_equal(vpmu_rdpmc(&p, i, 0, 0, &v), 0);
        assert_int_equal(v, rd(MSR_IA32_PMC0 + i));
    }
    for (unsigned i = 1; i < 3; i++) {
        assert_int_equal(vpmu_rdpmc(&p, FIXED_RDPMC | i, 0, 0, &v), 0);
        assert_int_equal(v, rd(MSR_IA32_FIXED_CTR0 + i));
    }
    assert_int_equal(rd(MSR_IA32_PMC0), 12345 + 777);
    assert_int_equal(rd(MSR_IA32_PMC0 + 2), 777);
    assert_int_equal(rd(MSR_IA32_FIXED_CTR0 + 2), 12345);
}

/* ---- modes ---- */

/* The paper's CPU switch counts only guest time; domain switch also the hypervisor's work,
 * at CPL 0 (VMX root). */
static void test_domain_switch_counts_hypervisor_time_at_cpl0(void **state)
{
    (void)state;
    wr(MSR_IA32_PERFEVTSEL0, evtsel(CYCLES, ALL_RINGS));
    wr(MSR_IA32_PERFEVTSEL0 + 1, evtsel(CYCLES, PERFEVTSEL_USR | PERFEVTSEL_EN));
    vpmu_count_hypervisor(&p, 100);
    assert_int_equal(rd(MSR_IA32_PMC0), 0);
    p.mode = VPMU_DOMAIN_SWITCH;
    vpmu_count_hypervisor(&p, 100);
    assert_int_equal(rd(MSR_IA32_PMC0), 100);
    assert_int_equal(rd(MSR_IA32_PMC0 + 1), 0);
}

/* ---- random ---- */

static uint64_t rng = 0x9E3779B97F4A7C15ull;

static uint64_t next(void)      /* xorshift64* */
{
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return rng * 0x2545F4914F6CDD1Dull;
}

static uint32_t random_msr(void)
{
    switch (next() % 8) {
    case 0: case 1: case 2: case 3: {           /* any table slot, half the time */
        unsigned k = (unsigned)(next() % PMU_MSR_KINDS);
        return pmu_msrs[k].base + (uint32_t)(next() % pmu_msrs[k].slots);
    }
    case 4: case 5: {                           /* near the table */
        unsigned k = (unsigned)(next() % PMU_MSR_KINDS);
        return pmu_msrs[k].base + (uint32_t)(next() % 24) - 8;
    }
    case 6:
        return (uint32_t)next();
    default:
        return 0x300 + (uint32_t)(next() % 0x200);
    }
}

static uint64_t random_value(const struct pmu_caps *c, uint32_t msr)
{
    enum pmu_msr_kind k;
    unsigned idx;
    uint64_t ok = pmu_msr_lookup(msr, &k, &idx) ? ~pmu_msr_reserved(c, k) : ~0ull;
    switch (next() % 6) {
    case 0:  return 0;
    case 1:  return ~0ull;
    case 2:  return 1ull << (next() % 64);
    case 3:  return next();
    default: return next() & ok;                /* mostly valid: exercises the state */
    }
}

/* A long random sequence of WRMSR/RDMSR/RDPMC/ticks never crashes, every #GP is exactly where
 * the table says (pmu_msr_exists, PMU_RO, pmu_msr_reserved), successful writes read back as
 * the SDM says, counters stay within 48 bits, status holds only defined bits, and the
 * preemption-timer contract holds throughout. */
static void test_random_sequence_faults_exactly_where_the_table_says(void **state)
{
    (void)state;
    struct pmu_caps c = guest_caps();
    unsigned faults = 0, writes = 0, pmis = 0;

    for (unsigned step = 0; step < 200000; step++) {
        uint32_t msr = random_msr();
        enum pmu_msr_kind k = PMU_MSR_KINDS;
        unsigned idx = 0;
        int in_table = pmu_msr_lookup(msr, &k, &idx);
        int exists = in_table && pmu_msr_exists(&c, k, idx);
        uint64_t v = 0x5A5A;

        switch (next() % 4) {
        case 0: {
            int rc = vpmu_rdmsr(&p, msr, &v);
            assert_int_equal(rc, exists ? 0 : -1);
            faults += rc != 0;
            break;
        }
        case 1: {
            uint64_t val = random_value(&c, msr);
            uint64_t status = p.st.global_status;
            int want = exists && pmu_msrs[k].access != PMU_RO &&
                       !(val & pmu_msr_reserved(&c, k)) ? 0 : -1;
            int rc = vpmu_wrmsr(&p, msr, val);
            assert_int_equal(rc, want);
            if (rc) {
                faults++;
                assert_int_equal(p.st.global_status, status);
                break;
            }
            writes++;
            uint64_t back = rd(msr);
            switch (k) {
            case PMU_MSR_PMC:
                assert_int_equal(back, pmu_pmc_legacy_write_value(val, 48));
                break;
            case PMU_MSR_GLOBAL_OVF_CTRL:
                assert_int_equal(back, 0);
                assert_int_equal(rd(MSR_IA32_PERF_GLOBAL_STATUS), status & ~val);
                break;
            case PMU_MSR_GLOBAL_STATUS_SET:
                assert_int_equal(back, 0);
                assert_int_equal(rd(MSR_IA32_PERF_GLOBAL_STATUS), status | val);
                break;
            default:
                assert_int_equal(back, val);
                break;
            }
            break;
        }
        case 2: {
            uint32_t ecx = (uint32_t)(next() % 3 == 0 ? next() : next() % 8) |
                           (next() % 2 ? FIXED_RDPMC : 0);
            int cpl = next() % 2 ? 0 : CPL_USER, pce = (int)(next() % 2);
            uint32_t i = ecx & 0x3FFFFFFF;
            int fixed = !!(ecx & FIXED_RDPMC);
            int valid = !(ecx & 1u << 31) &&
                        (fixed ? i < PMU_MAX_FIXED && pmu_fixed_exists(&c, i) : i < c.ngp);
            int rc = vpmu_rdpmc(&p, ecx, cpl, pce, &v);
            assert_int_equal(rc, (cpl == 0 || pce) && valid ? 0 : -1);
            if (rc == 0)
                assert_int_equal(v, rd(fixed ? MSR_IA32_FIXED_CTR0 + i : MSR_IA32_PMC0 + i));
            else
                assert_int_equal(v, 0x5A5A);
            break;
        }
        default: {
            int cpl = next() % 2 ? 0 : CPL_USER;
            uint64_t ticks = next() % 3 ? next() % 100000 : next() >> (next() % 64);
            uint64_t t = vpmu_ticks_to_pmi(&p, cpl);
            vpmu_take_pmi(&p);
            vpmu_count(&p, cpl, ticks);
            int pmi = vpmu_take_pmi(&p);
            assert_int_equal(pmi, t != UINT64_MAX && ticks >= t);
            pmis += pmi;
            break;
        }
        }
        for (unsigned i = 0; i < PMU_MAX_GP; i++)
            assert_true(p.st.pmc[i] <= W48);
        for (unsigned i = 0; i < PMU_MAX_FIXED; i++)
            assert_true(p.st.fixed[i] <= W48);
        assert_int_equal(p.st.global_status & ~pmu_global_status_bits(&c), 0);
    }
    print_message("random: %u #GPs, %u writes, %u PMIs\n", faults, writes, pmis);
    /* the sequence really exercised every outcome */
    assert_true(faults > 10000);
    assert_true(writes > 5000);
    assert_true(pmis > 100);
}

/* 20.2.2: the global enable is one more AND on each counter's own conditions, so the plan the
 * software backend counts by is the ungated plan through IA32_PERF_GLOBAL_CTRL: after any
 * sequence of control writes it equals the plan recomputed from scratch (pmu_state_counting of
 * both cycle events at CPL 0 and 3), whether the last write was a PERFEVTSELx, the fixed
 * control or IA32_PERF_GLOBAL_CTRL (which only re-gates it). */
static void test_plan_through_global_ctrl_equals_plan_from_scratch(void **state)
{
    (void)state;
    const unsigned events[] = { CYCLES, REFCYC, INSTR };
    const uint64_t flags[] = { PERFEVTSEL_USR, PERFEVTSEL_OS, PERFEVTSEL_EN, PERFEVTSEL_INT,
                               PERFEVTSEL_EDGE, PERFEVTSEL_INV, 1ull << PERFEVTSEL_CMASK_SHIFT };
    unsigned gated = 0;

    for (unsigned step = 0; step < 20000; step++) {
        switch (next() % 3) {
        case 0: {
            uint64_t f = 0;
            for (unsigned i = 0; i < sizeof(flags) / sizeof(flags[0]); i++)
                if (next() % 3)
                    f |= flags[i];
            wr(MSR_IA32_PERFEVTSEL0 + (uint32_t)(next() % 4), evtsel(events[next() % 3], f));
            break;
        }
        case 1:
            wr(MSR_IA32_FIXED_CTR_CTRL,
               fixed_ctrl_with(fixed_ctrl_with(0, 1, (unsigned)next() & 0xB), 2,
                               (unsigned)next() & 0xB));
            break;
        default:
            wr(MSR_IA32_PERF_GLOBAL_CTRL,
               next() & (0xFull | PERF_GLOBAL_FIXED(1) | PERF_GLOBAL_FIXED(2)));
            gated++;
            break;
        }
        int active = 0;
        for (unsigned c = 0; c < 2; c++) {
            uint64_t u_core, u_ref, cpl = c ? CPL_USER : 0;
            uint64_t want = pmu_state_counting(&p.st, CYCLES, cpl, &u_core) |
                            pmu_state_counting(&p.st, REFCYC, cpl, &u_ref);
            assert_int_equal(p.counting[c], want);
            assert_int_equal(p.unmodelled[c], u_core | u_ref);
            active |= (want | u_core | u_ref) != 0;
        }
        assert_int_equal(p.active, active);
    }
    assert_true(gated > 5000);
}

/* 20.2.2: version 1 has no IA32_PERF_GLOBAL_CTRL: nothing gates the counters, and the ungated
 * plan is the plan whatever the (absent) register holds. */
static void test_version_1_has_no_global_gate(void **state)
{
    (void)state;
    struct pmu_caps c = guest_caps();
    struct pmu_state s;
    c.version = 1;
    pmu_state_reset(&s, &c);
    s.evtsel[0] = evtsel(CYCLES, ALL_RINGS);
    s.evtsel[1] = evtsel(CYCLES, ALL_RINGS | PERFEVTSEL_INV);
    s.global_ctrl = 0;
    assert_int_equal(pmu_state_gate(&s), ~0ull);
    uint64_t u, v;
    assert_int_equal(pmu_state_counting(&s, CYCLES, 0, &u), PERF_GLOBAL_PMC(0));
    assert_int_equal(u, PERF_GLOBAL_PMC(1));
    assert_int_equal(pmu_state_counting_ungated(&s, CYCLES, 0, &v), PERF_GLOBAL_PMC(0));
    assert_int_equal(v, PERF_GLOBAL_PMC(1));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_cpuid_0ah_fields_and_ebx, setup),
        cmocka_unit_test_setup(test_cpuid_other_leaves_and_bits_untouched, setup),
        cmocka_unit_test_setup(test_pdcm_matches_perf_capabilities, setup),
        cmocka_unit_test_setup(test_msr_is_pmu_covers_the_whole_table, setup),
        cmocka_unit_test_setup(test_every_table_msr_exists_iff_enumerated, setup),
        cmocka_unit_test_setup(test_reserved_bits_raise_gp, setup),
        cmocka_unit_test_setup(test_global_status_is_read_only, setup),
        cmocka_unit_test_setup(test_global_ctrl_reset_value, setup),
        cmocka_unit_test_setup(test_counts_only_when_en_and_global_ctrl, setup),
        cmocka_unit_test_setup(test_usr_os_filtering_by_cpl, setup),
        cmocka_unit_test_setup(test_only_cycle_events_count_from_the_tsc, setup),
        cmocka_unit_test_setup(test_inv_cmask_edge_are_not_counted, setup),
        cmocka_unit_test_setup(test_pmc_32bit_write_sign_extends, setup),
        cmocka_unit_test_setup(test_counters_truncated_to_48_bits, setup),
        cmocka_unit_test_setup(test_counter_written_minus_one_overflows_next_tick, setup),
        cmocka_unit_test_setup(test_overflow_sets_global_status_and_ovf_ctrl_clears_it, setup),
        cmocka_unit_test_setup(test_status_set_sets_bits_without_pmi, setup),
        cmocka_unit_test_setup(test_pmi_pending_iff_int, setup),
        cmocka_unit_test_setup(test_ticks_to_pmi_is_exact, setup),
        cmocka_unit_test_setup(test_rdpmc_cr4_pce, setup),
        cmocka_unit_test_setup(test_rdpmc_ecx_bit30_selects_fixed_counters, setup),
        cmocka_unit_test_setup(test_rdpmc_invalid_index_raises_gp, setup),
        cmocka_unit_test_setup(test_rdpmc_agrees_with_rdmsr, setup),
        cmocka_unit_test_setup(test_domain_switch_counts_hypervisor_time_at_cpl0, setup),
        cmocka_unit_test_setup(test_random_sequence_faults_exactly_where_the_table_says, setup),
        cmocka_unit_test_setup(test_plan_through_global_ctrl_equals_plan_from_scratch, setup),
        cmocka_unit_test_setup(test_version_1_has_no_global_gate, setup),
    };
    return cmocka_run_group_tests_name("vpmu", tests, NULL, NULL);
}
