/* hv/vlapic.c: the guest's local APIC (SDM Vol. 3A chapter 11 "APIC"; section numbers of the
 * 2023+ editions, 10.x before).  Each test names the rule it checks. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "hv/vlapic.h"
#include "pmu/vpmu/pmu_msr.h"

#define APIC_ID_UNDER_TEST 3u
#define X2APIC_ID_UNDER_TEST 0x12345u   /* needs more than 8 bits */
#define LVT_MASK LVT_MASKED

static struct vlapic a;
static uint64_t now;                            /* the TSC the accesses happen at */

static int setup(void **state)
{
    (void)state;
    memset(&a, 0x5A, sizeof(a));                /* init must set every field */
    vlapic_init(&a, APIC_ID_UNDER_TEST);
    now = 0;
    return 0;
}

static int setup_x2(void **state)
{
    (void)state;
    memset(&a, 0x5A, sizeof(a));
    vlapic_init(&a, X2APIC_ID_UNDER_TEST);
    vlapic_set_x2apic(&a, 1);
    now = 0;
    return 0;
}

static uint32_t rd(uint32_t off)
{
    uint32_t v = 0xDEADBEEF;
    assert_int_equal(vlapic_mmio_read(&a, off, &v, now), 0);
    return v;
}

static void wr(uint32_t off, uint32_t v)
{
    assert_int_equal(vlapic_mmio_write(&a, off, v, now), 0);
}

static uint64_t rdmsr(uint32_t msr)
{
    uint64_t v = 0xDEADBEEF;
    assert_int_equal(vlapic_msr_read(&a, msr, &v, now), 0);
    return v;
}

static void wrmsr(uint32_t msr, uint64_t v)
{
    assert_int_equal(vlapic_msr_write(&a, msr, v, now), 0);
}

static int rdmsr_gp(uint32_t msr)
{
    uint64_t v;
    return vlapic_msr_read(&a, msr, &v, now) == -1;
}

static int wrmsr_gp(uint32_t msr, uint64_t v)
{
    return vlapic_msr_write(&a, msr, v, now) == -1;
}

/* ESR as software reads it: write first to latch the errors (11.5.3). */
static uint32_t esr(void)
{
    wr(APIC_ESR, 0);
    return rd(APIC_ESR);
}

static int irr_has(int v) { return (a.irr[v / 32] >> (v % 32)) & 1; }
static int isr_has(int v) { return (a.isr[v / 32] >> (v % 32)) & 1; }

static void enable(void)
{
    if (a.x2apic)
        wrmsr(X2APIC_MSR(APIC_SVR), APIC_SVR_ENABLE | 0xFF);
    else
        wr(APIC_SVR, APIC_SVR_ENABLE | 0xFF);
}

/* ---------------------------------------------------------------- reset (11.4.7.1) */

static void test_reset_values(void **state)
{
    (void)state;
    assert_int_equal(rd(APIC_ID), APIC_ID_UNDER_TEST << 24);
    assert_int_equal(rd(APIC_VERSION), 0x00050014);      /* version 14H, max LVT 5 */
    assert_int_equal(rd(APIC_TPR), 0);
    assert_int_equal(rd(APIC_PPR), 0);
    assert_int_equal(rd(APIC_LDR), 0);
    assert_int_equal(rd(APIC_DFR), 0xFFFFFFFF);
    assert_int_equal(rd(APIC_SVR), 0xFF);                 /* software-disabled */
    assert_int_equal(rd(APIC_ESR), 0);
    assert_int_equal(rd(APIC_ICR_LO), 0);
    assert_int_equal(rd(APIC_ICR_HI), 0);
    for (uint32_t off = APIC_LVT_TIMER; off <= APIC_LVT_ERROR; off += 0x10)
        assert_int_equal(rd(off), LVT_MASK);
    for (int i = 0; i < 8; i++) {
        assert_int_equal(rd(APIC_ISR0 + 0x10 * i), 0);
        assert_int_equal(rd(APIC_TMR0 + 0x10 * i), 0);
        assert_int_equal(rd(APIC_IRR0 + 0x10 * i), 0);
    }
    assert_int_equal(rd(APIC_TIMER_ICR), 0);
    assert_int_equal(rd(APIC_TIMER_CCR), 0);
    assert_int_equal(rd(APIC_TIMER_DCR), 0);
    assert_int_equal(a.nmi_pending, 0);
    assert_int_equal(a.x2apic, 0);
    assert_int_equal(a.ipi_dropped, 0);
}

/* ---------------------------------------------------------------- xAPIC MMIO rules */

/* Nehalem on: the xAPIC ID register is read-only (11.4.6 note). */
static void test_xapic_id_read_only(void **state)
{
    (void)state;
    wr(APIC_ID, 0x07000000);
    assert_int_equal(rd(APIC_ID), APIC_ID_UNDER_TEST << 24);
}

static void test_xapic_version_read_only(void **state)
{
    (void)state;
    wr(APIC_VERSION, 0);
    assert_int_equal(rd(APIC_VERSION), 0x00050014);
    assert_int_equal(esr(), 0);                           /* a register: no illegal address */
}

/* TPR bits 31:8 are reserved (Figure 11-18). */
static void test_xapic_tpr_keeps_bits_7_0(void **state)
{
    (void)state;
    wr(APIC_TPR, 0xFFFFFF5A);
    assert_int_equal(rd(APIC_TPR), 0x5A);
}

static void test_xapic_ppr_read_only(void **state)
{
    (void)state;
    wr(APIC_PPR, 0xF0);
    assert_int_equal(rd(APIC_PPR), 0);
}

/* EOI is write-only: the read returns 0, the write's value does not matter in xAPIC mode. */
static void test_xapic_eoi_write_only(void **state)
{
    (void)state;
    a.isr[1] = 1u << 2;                                   /* vector 34 in service */
    assert_int_equal(rd(APIC_EOI), 0);
    assert_true(isr_has(34));
    wr(APIC_EOI, 0x12345678);
    assert_false(isr_has(34));
}

/* LDR: logical APIC ID in bits 31:24, the rest reserved (Figure 11-13). */
static void test_xapic_ldr_bits_31_24(void **state)
{
    (void)state;
    wr(APIC_LDR, 0xA5FFFFFF);
    assert_int_equal(rd(APIC_LDR), 0xA5000000);
}

/* DFR: model in bits 31:28, bits 27:0 read as ones (Figure 11-14). */
static void test_xapic_dfr_low_bits_read_ones(void **state)
{
    (void)state;
    wr(APIC_DFR, 0x00000000);                             /* cluster model */
    assert_int_equal(rd(APIC_DFR), 0x0FFFFFFF);
    wr(APIC_DFR, 0xF0000000);
    assert_int_equal(rd(APIC_DFR), 0xFFFFFFFF);
}

/* SVR: vector 7:0, enable 8, focus 9; EOI-broadcast suppression (12) not offered. */
static void test_xapic_svr_writable_bits(void **state)
{
    (void)state;
    wr(APIC_SVR, 0xFFFFFFFF);
    assert_int_equal(rd(APIC_SVR), 0x3FF);
}

/* Each LVT keeps only its own fields (Figure 11-8); delivery status (12) is read-only. */
static void test_xapic_lvt_writable_bits(void **state)
{
    (void)state;
    static const struct { uint32_t off, bits; } lvt[] = {
        { APIC_LVT_TIMER, 0x700FF }, { APIC_LVT_THERM, 0x107FF }, { APIC_LVT_PMC, 0x107FF },
        { APIC_LVT_LINT0, 0x1A7FF }, { APIC_LVT_LINT1, 0x1A7FF }, { APIC_LVT_ERROR, 0x100FF },
    };
    enable();
    for (size_t i = 0; i < sizeof(lvt) / sizeof(lvt[0]); i++) {
        wr(lvt[i].off, 0xFFFFFFFF);
        assert_int_equal(rd(lvt[i].off), lvt[i].bits);
        wr(lvt[i].off, 0);
        assert_int_equal(rd(lvt[i].off), 0);
    }
}

/* While the APIC is software-disabled, the LVT mask bits cannot be cleared (11.4.7.2). */
static void test_lvt_stays_masked_while_disabled(void **state)
{
    (void)state;
    wr(APIC_LVT_PMC, 0xF0);
    assert_int_equal(rd(APIC_LVT_PMC), LVT_MASK | 0xF0);
}

/* Clearing SVR bit 8 masks every LVT entry (11.4.7.2). */
static void test_svr_disable_masks_all_lvts(void **state)
{
    (void)state;
    enable();
    for (uint32_t off = APIC_LVT_TIMER; off <= APIC_LVT_ERROR; off += 0x10)
        wr(off, 0x40);
    wr(APIC_SVR, 0xFF);
    for (uint32_t off = APIC_LVT_TIMER; off <= APIC_LVT_ERROR; off += 0x10)
        assert_int_equal(rd(off), LVT_MASK | 0x40);
}

/* A reserved offset: the read returns 0, the write is dropped, ESR bit 7 (11.5.3). */
static void test_xapic_reserved_offset_illegal_register(void **state)
{
    (void)state;
    static const uint32_t reserved[] = { 0x000, 0x010, 0x040, 0x070, 0x290, 0x2F0, 0x3A0,
                                         0x3F0, 0x400, 0xFF0 };
    for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++) {
        assert_int_equal(rd(reserved[i]), 0);
        assert_int_equal(esr(), APIC_ESR_ILLEGAL_REGISTER);
        wr(reserved[i], 0xFFFFFFFF);
        assert_int_equal(rd(reserved[i]), 0);
        assert_int_equal(esr(), APIC_ESR_ILLEGAL_REGISTER);
    }
}

/* The ESR shows the errors logged before the last ESR write; the write clears them (11.5.3). */
static void test_xapic_esr_latches_on_write(void **state)
{
    (void)state;
    rd(0x040);
    assert_int_equal(rd(APIC_ESR), 0);                    /* not latched yet */
    wr(APIC_ESR, 0xFFFFFFFF);                             /* the value written is irrelevant */
    assert_int_equal(rd(APIC_ESR), APIC_ESR_ILLEGAL_REGISTER);
    wr(APIC_ESR, 0);
    assert_int_equal(rd(APIC_ESR), 0);
}

/* An unmasked LVT error entry turns a logged error into an interrupt (11.5.3). */
static void test_error_lvt_interrupt(void **state)
{
    (void)state;
    enable();
    wr(APIC_LVT_ERROR, 0xE3);
    rd(0x040);
    assert_true(irr_has(0xE3));
}

/* Bytes 4-15 of a register, or outside the page: undefined (11.4.1) -> -1 for the lead. */
static void test_xapic_unaligned_or_outside_is_bad_access(void **state)
{
    (void)state;
    static const uint32_t bad[] = { 0x021, 0x024, 0x028, 0x02C, 0x0B4, 0x1000, 0xFFFFFFF0 };
    uint32_t v;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(vlapic_mmio_read(&a, bad[i], &v, now), -1);
        assert_int_equal(vlapic_mmio_write(&a, bad[i], 0, now), -1);
    }
    assert_int_equal(esr(), 0);
}

static void test_xapic_isr_tmr_irr_read_only(void **state)
{
    (void)state;
    for (int i = 0; i < 8; i++) {
        wr(APIC_ISR0 + 0x10 * i, 0xFFFFFFFF);
        wr(APIC_TMR0 + 0x10 * i, 0xFFFFFFFF);
        wr(APIC_IRR0 + 0x10 * i, 0xFFFFFFFF);
    }
    for (int i = 0; i < 8; i++) {
        assert_int_equal(a.isr[i], 0);
        assert_int_equal(a.irr[i], 0);
        assert_int_equal(rd(APIC_TMR0 + 0x10 * i), 0);
    }
    a.irr[7] = 0x80000000u;                               /* vector 255 */
    assert_int_equal(rd(APIC_IRR0 + 0x70), 0x80000000u);
}

/* The timer registers read back (DCR bits 0, 1, 3 only); the current count is read-only.  Their
 * behaviour over time: test_vlapic_timer.c. */
static void test_xapic_timer_registers_stored(void **state)
{
    (void)state;
    wr(APIC_TIMER_ICR, 0x12345678);
    wr(APIC_TIMER_DCR, 0xFFFFFFFF);
    wr(APIC_TIMER_CCR, 5);
    assert_int_equal(rd(APIC_TIMER_ICR), 0x12345678);
    assert_int_equal(rd(APIC_TIMER_DCR), 0xB);
    assert_int_equal(rd(APIC_TIMER_CCR), 0x12345678);    /* no time has passed */
}

/* ICR high: destination in bits 31:24 (Figure 11-12). */
static void test_xapic_icr_high_destination(void **state)
{
    (void)state;
    wr(APIC_ICR_HI, 0xFFFFFFFF);
    assert_int_equal(rd(APIC_ICR_HI), 0xFF000000);
}

/* APR and RRD exist in xAPIC mode (Table 11-1), read-only. */
static void test_xapic_apr_rrd_read_zero(void **state)
{
    (void)state;
    wr(APIC_APR, 0xFF);
    assert_int_equal(rd(APIC_APR), 0);
    assert_int_equal(rd(APIC_RRD), 0);
    assert_int_equal(esr(), 0);
}

/* In x2APIC mode the page is not decoded (11.12.2). */
static void test_mmio_refused_in_x2apic_mode(void **state)
{
    (void)state;
    uint32_t v;
    vlapic_set_x2apic(&a, 1);
    assert_int_equal(vlapic_mmio_read(&a, APIC_ID, &v, now), -1);
    assert_int_equal(vlapic_mmio_write(&a, APIC_TPR, 0, now), -1);
}

/* ---------------------------------------------------------------- x2APIC MSR rules (11.12) */

/* RDMSR/WRMSR of 800H-BFFH outside x2APIC mode: #GP (11.12.2). */
static void test_msr_gp_in_xapic_mode(void **state)
{
    (void)state;
    vlapic_set_x2apic(&a, 0);
    assert_true(rdmsr_gp(0x802));
    assert_true(wrmsr_gp(0x808, 0));
}

/* MSR 800H + offset >> 4 is the xAPIC register at that offset (11.12.1.2). */
static void test_x2apic_msr_maps_mmio_offsets(void **state)
{
    (void)state;
    wrmsr(0x80F, 0x1FF);
    wrmsr(0x834, LVT_DELIVERY_NMI);
    wrmsr(0x808, 0x20);
    assert_int_equal(a.svr, 0x1FF);
    assert_int_equal(a.lvt[VLAPIC_LVT_PMC], LVT_DELIVERY_NMI);
    assert_int_equal(a.tpr, 0x20);
    assert_int_equal(X2APIC_MSR(APIC_LVT_PMC), 0x834);      /* SDM Table 11-6 */
}

/* x2APIC ID: all 32 bits, read-only (11.12.1.3). */
static void test_x2apic_id_32_bits_read_only(void **state)
{
    (void)state;
    assert_int_equal(rdmsr(0x802), X2APIC_ID_UNDER_TEST);
    assert_true(wrmsr_gp(0x802, 1));
}

static void test_x2apic_version_read_only(void **state)
{
    (void)state;
    assert_int_equal(rdmsr(0x803), 0x00050014);
    assert_true(wrmsr_gp(0x803, 0x00050014));
}

/* Logical x2APIC ID = ID[19:4] << 16 | 1 << ID[3:0], read-only (11.12.10.2). */
static void test_x2apic_ldr_derived_read_only(void **state)
{
    (void)state;
    assert_int_equal(rdmsr(0x80D), (0x1234u << 16) | (1u << 5));
    assert_true(wrmsr_gp(0x80D, 0));
}

/* TPR bits 31:8 reserved: a non-zero write #GPs (11.12.1.3). */
static void test_x2apic_tpr_reserved_bits_gp(void **state)
{
    (void)state;
    assert_true(wrmsr_gp(0x808, 0x100));
    wrmsr(0x808, 0xFF);
    assert_int_equal(rdmsr(0x808), 0xFF);
}

/* Bits 63:32 of every x2APIC MSR but the ICR are reserved (11.12.1.2). */
static void test_x2apic_upper_half_reserved_gp(void **state)
{
    (void)state;
    assert_true(wrmsr_gp(0x80F, 0x1000001FFull));
    assert_true(wrmsr_gp(0x834, 1ull << 32));
    assert_true(wrmsr_gp(0x838, 1ull << 63));
    assert_int_equal(a.svr, 0xFF);
}

/* EOI: write-only; WRMSR of a non-zero value #GP (Table 11-6). */
static void test_x2apic_eoi_nonzero_gp(void **state)
{
    (void)state;
    a.isr[2] = 1;                                         /* vector 64 */
    assert_true(rdmsr_gp(0x80B));
    assert_true(wrmsr_gp(0x80B, 1));
    assert_true(isr_has(64));
    wrmsr(0x80B, 0);
    assert_false(isr_has(64));
}

/* ESR: WRMSR of a non-zero value #GP (Table 11-6). */
static void test_x2apic_esr_nonzero_gp(void **state)
{
    (void)state;
    assert_true(wrmsr_gp(0x828, 1));
    wrmsr(0x828, 0);
    assert_int_equal(rdmsr(0x828), 0);
}

/* Addresses not in Table 11-6 (DFR 80EH, 831H, APR, RRD, ...) #GP (11.12.1.2). */
static void test_x2apic_absent_msrs_gp(void **state)
{
    (void)state;
    static const uint32_t absent[] = { 0x800, 0x801, 0x804, 0x809, 0x80C, 0x80E, 0x82F, 0x831,
                                       0x83A, 0x840, 0x8FF, 0x7FF, 0x900 };
    for (size_t i = 0; i < sizeof(absent) / sizeof(absent[0]); i++) {
        assert_true(rdmsr_gp(absent[i]));
        assert_true(wrmsr_gp(absent[i], 0));
    }
}

/* Read-only registers: WRMSR #GP (Table 11-6). */
static void test_x2apic_read_only_write_gp(void **state)
{
    (void)state;
    static const uint32_t ro[] = { 0x80A, 0x810, 0x817, 0x818, 0x81F, 0x820, 0x827, 0x839 };
    for (size_t i = 0; i < sizeof(ro) / sizeof(ro[0]); i++) {
        assert_int_equal(rdmsr(ro[i]), 0);
        assert_true(wrmsr_gp(ro[i], 0));
    }
}

/* LVT reserved bits #GP; the read-only delivery-status bit is accepted and ignored. */
static void test_x2apic_lvt_reserved_bits_gp(void **state)
{
    (void)state;
    enable();
    assert_true(wrmsr_gp(0x834, 1u << 17));               /* timer mode: not in the LVTPC */
    assert_true(wrmsr_gp(0x837, LVT_DELIVERY_NMI));       /* error LVT has no delivery mode */
    assert_true(wrmsr_gp(0x832, 1u << 20));
    wrmsr(0x834, (1u << 12) | 0xF0);
    assert_int_equal(rdmsr(0x834), 0xF0);
    wrmsr(0x835, 0x1A7FF | (1u << 14));                   /* LINT0: remote IRR read-only */
    assert_int_equal(rdmsr(0x835), 0x1A7FF);
}

/* SELF IPI (83FH): write-only, vector in 7:0, the rest reserved (11.12.11). */
static void test_x2apic_self_ipi(void **state)
{
    (void)state;
    enable();
    assert_true(rdmsr_gp(0x83F));
    assert_true(wrmsr_gp(0x83F, 0x100 | 0x41));
    assert_false(irr_has(0x41));
    wrmsr(0x83F, 0x41);
    assert_true(irr_has(0x41));
}

/* ICR: one 64-bit MSR, destination in 63:32; bit 12 (delivery status) is reserved. */
static void test_x2apic_icr_64_bits(void **state)
{
    (void)state;
    enable();
    assert_true(wrmsr_gp(0x830, (1u << 12) | 0x50));
    assert_false(irr_has(0x50));
    wrmsr(0x830, (uint64_t)X2APIC_ID_UNDER_TEST << 32 | 0x50);  /* fixed, physical, to self */
    assert_int_equal(rdmsr(0x830), (uint64_t)X2APIC_ID_UNDER_TEST << 32 | 0x50);
    assert_true(irr_has(0x50));
    assert_true(wrmsr_gp(0x830, (1u << 20) | 0x51));
    assert_int_equal(rdmsr(0x830) >> 32, X2APIC_ID_UNDER_TEST);  /* unchanged by the #GP */
}

/* ---------------------------------------------------------------- priorities (11.8) */

/* The highest IRR vector is the one offered. */
static void test_pending_highest_irr_first(void **state)
{
    (void)state;
    int v = -1;
    assert_int_equal(vlapic_pending(&a, &v), 0);
    a.irr[1] = 1u << 1;                                   /* 33 */
    a.irr[6] = 1u << 4;                                   /* 196 */
    assert_int_equal(vlapic_pending(&a, &v), 1);
    assert_int_equal(v, 196);
}

/* A vector is delivered only when its class (7:4) is above the PPR's (11.8.3.1). */
static void test_tpr_blocks_same_or_lower_class(void **state)
{
    (void)state;
    int v;
    wr(APIC_TPR, 0x45);
    a.irr[2] = 1u << 15;                                  /* 0x4F: same class */
    assert_int_equal(vlapic_pending(&a, &v), 0);
    a.irr[2] |= 1u << 16;                                 /* 0x50 */
    assert_int_equal(vlapic_pending(&a, &v), 1);
    assert_int_equal(v, 0x50);
}

/* PPR = TPR if TPR[7:4] >= ISRV[7:4], else ISRV[7:4] << 4 (11.8.3.1). */
static void test_ppr_from_tpr_and_isr(void **state)
{
    (void)state;
    wr(APIC_TPR, 0x23);
    assert_int_equal(rd(APIC_PPR), 0x23);
    a.isr[2] = 1u << 5;                                   /* 0x45 in service */
    assert_int_equal(rd(APIC_PPR), 0x40);
    wr(APIC_TPR, 0x4A);
    assert_int_equal(rd(APIC_PPR), 0x4A);
    wr(APIC_TPR, 0x51);
    assert_int_equal(rd(APIC_PPR), 0x51);
}

/* An interrupt in service blocks its own and lower classes until EOI. */
static void test_isr_blocks_lower_classes(void **state)
{
    (void)state;
    int v;
    a.irr[2] = (1u << 5) | (1u << 16);                    /* 0x45, 0x50 */
    assert_int_equal(vlapic_pending(&a, &v), 1);
    assert_int_equal(v, 0x50);
    vlapic_accept(&a, 0x50);
    assert_true(isr_has(0x50));
    assert_false(irr_has(0x50));
    assert_int_equal(vlapic_pending(&a, &v), 0);          /* 0x45 below the ISR's class */
    a.irr[3] = 1u << 1;                                   /* 0x61 preempts */
    assert_int_equal(vlapic_pending(&a, &v), 1);
    assert_int_equal(v, 0x61);
    wr(APIC_EOI, 0);
    assert_int_equal(vlapic_pending(&a, &v), 1);
    assert_int_equal(v, 0x61);
    a.irr[3] = 0;
    assert_int_equal(vlapic_pending(&a, &v), 1);
    assert_int_equal(v, 0x45);
}

/* EOI retires the highest-priority interrupt in service (11.8.5). */
static void test_eoi_clears_highest_isr(void **state)
{
    (void)state;
    a.isr[1] = 1u << 0;                                   /* 0x20 */
    a.isr[5] = 1u << 3;                                   /* 0xA3 */
    wr(APIC_EOI, 0);
    assert_false(isr_has(0xA3));
    assert_true(isr_has(0x20));
    wr(APIC_EOI, 0);
    assert_false(isr_has(0x20));
    wr(APIC_EOI, 0);                                      /* nothing in service: no effect */
    assert_int_equal(rd(APIC_PPR), 0);
}

/* vlapic_accept of a vector not requested changes nothing. */
static void test_accept_needs_irr(void **state)
{
    (void)state;
    vlapic_accept(&a, 0x80);
    vlapic_accept(&a, -1);
    vlapic_accept(&a, 256);
    assert_false(isr_has(0x80));
}

/* ---------------------------------------------------------------- PMIs through the LVTPC */

/* Fixed delivery: IRR[vector], then the CPU sets the LVTPC mask bit (11.5.1); the next PMI
 * is not delivered until the handler unmasks it. */
static void test_pmi_fixed_sets_irr_and_masks(void **state)
{
    (void)state;
    int v;
    enable();
    wr(APIC_LVT_PMC, 0xF2);
    assert_int_equal(vlapic_pmi(&a), 1);
    assert_true(irr_has(0xF2));
    assert_int_equal(rd(APIC_LVT_PMC), LVT_MASK | 0xF2);
    assert_int_equal(vlapic_pending(&a, &v), 1);
    assert_int_equal(v, 0xF2);
    vlapic_accept(&a, v);
    assert_int_equal(vlapic_pmi(&a), 0);                  /* masked */
    assert_false(irr_has(0xF2));
    wr(APIC_LVT_PMC, 0xF2);                               /* the handler unmasks */
    assert_int_equal(vlapic_pmi(&a), 1);
    assert_true(irr_has(0xF2));
}

/* NMI delivery (100B): no vector, an NMI pending; taken once. */
static void test_pmi_nmi_mode(void **state)
{
    (void)state;
    enable();
    wr(APIC_LVT_PMC, LVT_DELIVERY_NMI);
    assert_int_equal(vlapic_pmi(&a), 1);
    assert_int_equal(rd(APIC_LVT_PMC), LVT_MASK | LVT_DELIVERY_NMI);
    for (int i = 0; i < 8; i++)
        assert_int_equal(a.irr[i], 0);
    assert_int_equal(vlapic_take_nmi(&a), 1);
    assert_int_equal(vlapic_take_nmi(&a), 0);
}

static void test_pmi_masked_not_delivered(void **state)
{
    (void)state;
    enable();
    wr(APIC_LVT_PMC, LVT_MASK | 0xF2);
    assert_int_equal(vlapic_pmi(&a), 0);
    assert_false(irr_has(0xF2));
}

/* SVR bit 8 clear: the APIC is software-disabled and the PMI goes nowhere (11.4.7.2). */
static void test_pmi_software_disabled_not_delivered(void **state)
{
    (void)state;
    a.lvt[VLAPIC_LVT_PMC] = 0xF2;                         /* even were it unmasked */
    assert_int_equal(vlapic_pmi(&a), 0);
    assert_false(irr_has(0xF2));
    a.lvt[VLAPIC_LVT_PMC] = LVT_DELIVERY_NMI;
    assert_int_equal(vlapic_pmi(&a), 0);
    assert_int_equal(vlapic_take_nmi(&a), 0);
}

/* Vectors 0-15 are illegal: no IRR bit, ESR "receive illegal vector" (11.5.3 bit 6). */
static void test_pmi_illegal_vector(void **state)
{
    (void)state;
    enable();
    wr(APIC_LVT_PMC, 0x0E);
    assert_int_equal(vlapic_pmi(&a), 0);
    assert_int_equal(a.irr[0], 0);
    assert_int_equal(esr(), APIC_ESR_RECV_ILLEGAL_VECTOR);
}

/* The same PMI path with the LVTPC programmed through MSR 834H. */
static void test_pmi_x2apic(void **state)
{
    (void)state;
    wrmsr(0x80F, 0x1FF);
    wrmsr(X2APIC_MSR(APIC_LVT_PMC), 0xEE);
    assert_int_equal(vlapic_pmi(&a), 1);
    assert_true(irr_has(0xEE));
    assert_int_equal(rdmsr(X2APIC_MSR(APIC_LVT_PMC)), LVT_MASK | 0xEE);
}

/* ---------------------------------------------------------------- self-IPIs (11.6.1) */

static void test_icr_self_shorthand(void **state)
{
    (void)state;
    enable();
    wr(APIC_ICR_LO, (1u << 18) | 0x61);                   /* shorthand 01: self, fixed */
    assert_true(irr_has(0x61));
    assert_int_equal(rd(APIC_ICR_LO), (1u << 18) | 0x61); /* delivery status idle */
}

static void test_icr_physical_destination_self(void **state)
{
    (void)state;
    enable();
    wr(APIC_ICR_HI, APIC_ID_UNDER_TEST << 24);
    wr(APIC_ICR_LO, 0x62);
    assert_true(irr_has(0x62));
    wr(APIC_ICR_HI, 0xFF000000);                          /* broadcast includes us */
    wr(APIC_ICR_LO, 0x63);
    assert_true(irr_has(0x63));
    assert_int_equal(a.ipi_dropped, 0);
}

/* IPIs for other CPUs, and modes other than fixed/NMI, are dropped and counted. */
static void test_icr_other_targets_dropped(void **state)
{
    (void)state;
    enable();
    wr(APIC_ICR_HI, (APIC_ID_UNDER_TEST + 1) << 24);
    wr(APIC_ICR_LO, 0x64);
    wr(APIC_ICR_LO, (3u << 18) | 0x65);                   /* all excluding self */
    wr(APIC_ICR_LO, (1u << 18) | (5u << 8));              /* INIT to self */
    assert_false(irr_has(0x64));
    assert_false(irr_has(0x65));
    assert_int_equal(a.ipi_dropped, 3);
}

static void test_icr_nmi_to_self(void **state)
{
    (void)state;
    enable();
    wr(APIC_ICR_LO, (1u << 18) | LVT_DELIVERY_NMI);
    assert_int_equal(vlapic_take_nmi(&a), 1);
}

/* Sending vector 0-15: ESR "send illegal vector" (11.5.3 bit 5), nothing delivered. */
static void test_icr_illegal_vector(void **state)
{
    (void)state;
    enable();
    wr(APIC_ICR_LO, (1u << 18) | 0x0F);
    assert_int_equal(a.irr[0], 0);
    assert_int_equal(esr(), APIC_ESR_SEND_ILLEGAL_VECTOR);
}

/* A software-disabled APIC accepts no fixed interrupts. */
static void test_self_ipi_while_disabled_dropped(void **state)
{
    (void)state;
    wr(APIC_ICR_LO, (1u << 18) | 0x61);
    assert_false(irr_has(0x61));
}

/* Switching to x2APIC keeps the state and turns the ID 32-bit (11.12.5). */
static void test_set_x2apic_keeps_state(void **state)
{
    (void)state;
    enable();
    wr(APIC_TPR, 0x30);
    wr(APIC_LVT_PMC, 0xF0);
    vlapic_set_x2apic(&a, 1);
    assert_int_equal(rdmsr(0x808), 0x30);
    assert_int_equal(rdmsr(0x834), 0xF0);
    assert_int_equal(rdmsr(0x802), APIC_ID_UNDER_TEST);
    assert_int_equal(rdmsr(0x80D), 1u << 3);
}

/* ------------------------------------------- IA32_APIC_BASE state transitions (11.12.5) */

#define BASE_XAPIC (APIC_BASE_DEFAULT | APIC_BASE_EN)     /* APIC ID 3: not the BSP */
#define BASE_X2APIC (BASE_XAPIC | APIC_BASE_EXTD)

/* After RESET: 0xFEE00000, enabled, xAPIC; the BSP flag on the BSP only (Figure 11-5). */
static void test_apic_base_reset_value(void **state)
{
    (void)state;
    assert_int_equal(vlapic_base_read(&a), BASE_XAPIC);
    assert_true(vlapic_xapic_mode(&a));
    struct vlapic bsp;
    vlapic_init(&bsp, 0);
    assert_int_equal(vlapic_base_read(&bsp), BASE_XAPIC | APIC_BASE_BSP);
}

/* Reserved bits 7:0 and 9: #GP; so is (not modelled) a moved page or a changed BSP flag. */
static void test_apic_base_reserved_bits_gp(void **state)
{
    (void)state;
    assert_int_equal(vlapic_base_write(&a, BASE_XAPIC | 1), -1);
    assert_int_equal(vlapic_base_write(&a, BASE_XAPIC | (1u << 9)), -1);
    assert_int_equal(vlapic_base_write(&a, BASE_XAPIC + 0x1000), -1);
    assert_int_equal(vlapic_base_write(&a, BASE_XAPIC | APIC_BASE_BSP), -1);
    assert_int_equal(vlapic_base_read(&a), BASE_XAPIC);
    assert_int_equal(vlapic_base_write(&a, BASE_XAPIC), 0);     /* the same value: fine */
}

/* EN=0 with EXTD=1 is the invalid state: #GP, from any state. */
static void test_apic_base_invalid_state_gp(void **state)
{
    (void)state;
    assert_int_equal(vlapic_base_write(&a, APIC_BASE_DEFAULT | APIC_BASE_EXTD), -1);
    assert_int_equal(vlapic_base_write(&a, BASE_X2APIC), 0);
    assert_int_equal(vlapic_base_write(&a, APIC_BASE_DEFAULT | APIC_BASE_EXTD), -1);
    assert_int_equal(vlapic_base_read(&a), BASE_X2APIC);
}

/* xAPIC -> disabled: EN reads 0, the page no longer decodes, x2APIC MSRs #GP, and the APIC is
 * reset (11.4.3): what was programmed and pending is gone. */
static void test_apic_base_disable_resets(void **state)
{
    (void)state;
    uint32_t v;
    enable();
    wr(APIC_TPR, 0x30);
    wr(APIC_LVT_PMC, 0xF0);
    wr(APIC_ICR_LO, (1u << 18) | 0x61);         /* a self-IPI, pending */
    assert_true(irr_has(0x61));
    assert_int_equal(vlapic_base_write(&a, APIC_BASE_DEFAULT), 0);
    assert_int_equal(vlapic_base_read(&a), APIC_BASE_DEFAULT);
    assert_false(vlapic_xapic_mode(&a));
    assert_int_equal(vlapic_mmio_read(&a, APIC_ID, &v, now), -1);
    assert_true(rdmsr_gp(0x802));
    int vec;
    assert_false(vlapic_pending(&a, &vec));
    assert_int_equal(vlapic_pmi(&a), 0);
    /* disabled -> xAPIC: back from the reset state, same ID */
    assert_int_equal(vlapic_base_write(&a, BASE_XAPIC), 0);
    assert_true(vlapic_xapic_mode(&a));
    assert_int_equal(rd(APIC_TPR), 0);
    assert_int_equal(rd(APIC_LVT_PMC), LVT_MASK);
    assert_int_equal(rd(APIC_SVR), 0xFF);
    assert_int_equal(rd(APIC_ID), APIC_ID_UNDER_TEST << 24);
}

/* disabled -> x2APIC directly: #GP (through xAPIC); disabled -> disabled: fine. */
static void test_apic_base_disabled_to_x2apic_gp(void **state)
{
    (void)state;
    assert_int_equal(vlapic_base_write(&a, APIC_BASE_DEFAULT), 0);
    assert_int_equal(vlapic_base_write(&a, APIC_BASE_DEFAULT), 0);
    assert_int_equal(vlapic_base_write(&a, BASE_X2APIC), -1);
    assert_int_equal(vlapic_base_read(&a), APIC_BASE_DEFAULT);
    assert_int_equal(vlapic_base_write(&a, BASE_XAPIC), 0);
    assert_int_equal(vlapic_base_write(&a, BASE_X2APIC), 0);
    assert_int_equal(rdmsr(0x802), APIC_ID_UNDER_TEST);
}

/* x2APIC -> xAPIC: #GP; x2APIC -> disabled -> xAPIC -> x2APIC is the legal way round, and the
 * disable resets the x2APIC registers too. */
static void test_apic_base_x2apic_round_trip(void **state)
{
    (void)state;
    assert_int_equal(vlapic_base_write(&a, BASE_X2APIC), 0);
    wrmsr(0x808, 0x20);
    assert_int_equal(vlapic_base_write(&a, BASE_XAPIC), -1);
    assert_int_equal(vlapic_base_read(&a), BASE_X2APIC);
    assert_int_equal(rdmsr(0x808), 0x20);
    assert_int_equal(vlapic_base_write(&a, APIC_BASE_DEFAULT), 0);
    assert_int_equal(vlapic_base_write(&a, BASE_XAPIC), 0);
    assert_int_equal(rd(APIC_TPR), 0);
    assert_int_equal(vlapic_base_write(&a, BASE_X2APIC), 0);
    assert_int_equal(rdmsr(0x808), 0);
    assert_int_equal(rdmsr(0x80D), 1u << 3);
}

/* MOV to CR8 writes CR8[3:0] into TPR[7:4] and clears TPR[3:0]; MOV from CR8 reads TPR[7:4]
 * (11.8.6.5), in xAPIC and x2APIC mode alike. */
static void test_cr8_is_tpr_priority_class(void **state)
{
    (void)state;
    assert_int_equal(vlapic_cr8_read(&a), 0);             /* TPR 0 after RESET */
    wr(APIC_TPR, 0x7A);
    assert_int_equal(vlapic_cr8_read(&a), 7);             /* the sub-class 0xA is not seen */
    assert_int_equal(vlapic_cr8_write(&a, 5), 0);
    assert_int_equal(rd(APIC_TPR), 0x50);                 /* TPR[3:0] cleared */
    assert_int_equal(vlapic_cr8_write(&a, 15), 0);
    assert_int_equal(rd(APIC_TPR), 0xF0);
    assert_int_equal(vlapic_cr8_read(&a), 15);
}

static void test_cr8_x2apic_tpr_msr(void **state)
{
    (void)state;
    assert_int_equal(vlapic_cr8_write(&a, 9), 0);
    assert_int_equal(rdmsr(X2APIC_MSR(APIC_TPR)), 0x90);
    wrmsr(X2APIC_MSR(APIC_TPR), 0x3C);
    assert_int_equal(vlapic_cr8_read(&a), 3);
}

/* CR8 bits 63:4 are reserved: a write with any of them set #GPs and changes nothing. */
static void test_cr8_reserved_bits_refused(void **state)
{
    (void)state;
    assert_int_equal(vlapic_cr8_write(&a, 4), 0);
    assert_int_equal(vlapic_cr8_write(&a, 0x10), -1);
    assert_int_equal(vlapic_cr8_write(&a, 1ull << 63), -1);
    assert_int_equal(rd(APIC_TPR), 0x40);
}

/* The class written through CR8 gates delivery like a TPR write (11.8.3.1). */
static void test_cr8_blocks_same_or_lower_class(void **state)
{
    (void)state;
    int v;
    assert_int_equal(vlapic_cr8_write(&a, 6), 0);
    a.irr[3] = 1u << 15;                                  /* 0x6F: same class */
    assert_int_equal(vlapic_pending(&a, &v), 0);
    assert_int_equal(vlapic_cr8_write(&a, 5), 0);
    assert_int_equal(vlapic_pending(&a, &v), 1);
    assert_int_equal(v, 0x6F);
}

#define T(f) cmocka_unit_test_setup(f, setup)
#define T2(f) cmocka_unit_test_setup(f, setup_x2)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_reset_values),
        T(test_xapic_id_read_only),
        T(test_xapic_version_read_only),
        T(test_xapic_tpr_keeps_bits_7_0),
        T(test_xapic_ppr_read_only),
        T(test_xapic_eoi_write_only),
        T(test_xapic_ldr_bits_31_24),
        T(test_xapic_dfr_low_bits_read_ones),
        T(test_xapic_svr_writable_bits),
        T(test_xapic_lvt_writable_bits),
        T(test_lvt_stays_masked_while_disabled),
        T(test_svr_disable_masks_all_lvts),
        T(test_xapic_reserved_offset_illegal_register),
        T(test_xapic_esr_latches_on_write),
        T(test_error_lvt_interrupt),
        T(test_xapic_unaligned_or_outside_is_bad_access),
        T(test_xapic_isr_tmr_irr_read_only),
        T(test_xapic_timer_registers_stored),
        T(test_xapic_icr_high_destination),
        T(test_xapic_apr_rrd_read_zero),
        T(test_mmio_refused_in_x2apic_mode),
        T2(test_msr_gp_in_xapic_mode),
        T2(test_x2apic_msr_maps_mmio_offsets),
        T2(test_x2apic_id_32_bits_read_only),
        T2(test_x2apic_version_read_only),
        T2(test_x2apic_ldr_derived_read_only),
        T2(test_x2apic_tpr_reserved_bits_gp),
        T2(test_x2apic_upper_half_reserved_gp),
        T2(test_x2apic_eoi_nonzero_gp),
        T2(test_x2apic_esr_nonzero_gp),
        T2(test_x2apic_absent_msrs_gp),
        T2(test_x2apic_read_only_write_gp),
        T2(test_x2apic_lvt_reserved_bits_gp),
        T2(test_x2apic_self_ipi),
        T2(test_x2apic_icr_64_bits),
        T(test_pending_highest_irr_first),
        T(test_tpr_blocks_same_or_lower_class),
        T(test_ppr_from_tpr_and_isr),
        T(test_isr_blocks_lower_classes),
        T(test_eoi_clears_highest_isr),
        T(test_accept_needs_irr),
        T(test_pmi_fixed_sets_irr_and_masks),
        T(test_pmi_nmi_mode),
        T(test_pmi_masked_not_delivered),
        T(test_pmi_software_disabled_not_delivered),
        T(test_pmi_illegal_vector),
        T2(test_pmi_x2apic),
        T(test_icr_self_shorthand),
        T(test_icr_physical_destination_self),
        T(test_icr_other_targets_dropped),
        T(test_icr_nmi_to_self),
        T(test_icr_illegal_vector),
        T(test_self_ipi_while_disabled_dropped),
        T(test_set_x2apic_keeps_state),
        T(test_apic_base_reset_value),
        T(test_apic_base_reserved_bits_gp),
        T(test_apic_base_invalid_state_gp),
        T(test_apic_base_disable_resets),
        T(test_apic_base_disabled_to_x2apic_gp),
        T(test_apic_base_x2apic_round_trip),
        T(test_cr8_is_tpr_priority_class),
        T2(test_cr8_x2apic_tpr_msr),
        T(test_cr8_reserved_bits_refused),
        T(test_cr8_blocks_same_or_lower_class),
    };
    return cmocka_run_group_tests_name("hv/vlapic.c", tests, NULL, NULL);
}
