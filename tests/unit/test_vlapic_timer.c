/* hv/vlapic_timer.c: the local APIC timer (SDM Vol. 3A 11.5.4 "APIC Timer", 11.5.4.1
 * "TSC-Deadline Mode"; 10.5.4 in editions before 2023), driven with explicit TSC values, as the
 * VMX run loop drives it.  Each test names the rule it checks. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "hv/vlapic.h"
#include "pmu/vpmu/pmu_msr.h"

#define VEC         0x40u                     /* the timer's vector in these tests */
#define T0          1000000ull                /* the TSC when a test starts */
#define LVT_TIMER_X2APIC_MSR    0x832u
#define ICR_X2APIC_MSR          0x838u
#define CCR_X2APIC_MSR          0x839u
#define DCR_X2APIC_MSR          0x83Eu
#define LVT_DELIVERY_STATUS     (1u << 12)

#define LVT(mode)   (VEC | (mode) << 17)
#define DIV_BY_1    0xBu                      /* Figure 11-10: 1011b */
#define DIV_BY_16   0x3u                      /* 0011b */

static struct vlapic a;

static void wr(uint32_t off, uint32_t v, uint64_t now)
{
    assert_int_equal(vlapic_mmio_write(&a, off, v, now), 0);
}

static uint32_t rd(uint32_t off, uint64_t now)
{
    uint32_t v = 0xDEADBEEF;
    assert_int_equal(vlapic_mmio_read(&a, off, &v, now), 0);
    return v;
}

static int irr_has(unsigned v) { return (a.irr[v / 32] >> (v % 32)) & 1; }

/* Take the pending interrupt as the lead would (IRR -> ISR), then EOI: 1 if there was one. */
static int take(uint64_t now)
{
    int vec;
    vlapic_timer_update(&a, now);
    if (!vlapic_pending(&a, &vec))
        return 0;
    assert_int_equal(vec, VEC);
    vlapic_accept(&a, vec);
    wr(APIC_EOI, 0, now);
    return 1;
}

/* xAPIC, software-enabled, timer LVT unmasked one-shot with VEC, divide by 1 */
static int setup(void **state)
{
    (void)state;
    memset(&a, 0x5A, sizeof(a));
    vlapic_init(&a, 0);
    wr(APIC_SVR, APIC_SVR_ENABLE | 0xFF, T0);
    wr(APIC_TIMER_DCR, DIV_BY_1, T0);
    wr(APIC_LVT_TIMER, LVT(APIC_TIMER_ONESHOT), T0);
    return 0;
}

static int setup_x2(void **state)
{
    setup(state);
    assert_int_equal(vlapic_base_write(&a, APIC_BASE_DEFAULT | APIC_BASE_BSP | APIC_BASE_EN |
                                           APIC_BASE_EXTD), 0);
    return 0;
}

/* Figure 11-10: bits 0, 1, 3 encode 2, 4, 8, 16, 32, 64, 128 and 1 (111b); bit 2 is not part
 * of it. */
static void test_divide_configuration_encoding(void **state)
{
    (void)state;
    static const uint32_t want[8] = { 2, 4, 8, 16, 32, 64, 128, 1 };
    for (uint32_t v = 0; v < 8; v++) {
        uint32_t dcr = (v & 3) | (v & 4) << 1;
        assert_int_equal(vlapic_timer_divisor(dcr), want[v]);
        assert_int_equal(vlapic_timer_divisor(dcr | 4), want[v]);
    }
}

/* At reset the timer is stopped: current count 0, nothing armed. */
static void test_reset_timer_stopped(void **state)
{
    (void)state;
    uint64_t d;
    vlapic_init(&a, 0);
    assert_int_equal(rd(APIC_TIMER_CCR, T0), 0);
    assert_int_equal(rd(APIC_TIMER_ICR, T0), 0);
    assert_false(vlapic_timer_next(&a, &d));
    assert_int_equal(vlapic_tsc_deadline_read(&a, T0), 0);
}

/* One-shot: writing the initial count starts it; the current count counts down once per
 * divided clock; at 0 the interrupt fires exactly once and the count stays 0. */
static void test_oneshot_counts_down_and_fires_once(void **state)
{
    (void)state;
    uint64_t d;
    wr(APIC_TIMER_DCR, DIV_BY_16, T0);
    wr(APIC_TIMER_ICR, 100, T0);
    assert_true(vlapic_timer_next(&a, &d));
    assert_int_equal(d, T0 + 1600);
    assert_int_equal(rd(APIC_TIMER_CCR, T0), 100);
    assert_int_equal(rd(APIC_TIMER_CCR, T0 + 15), 100);   /* not a whole divided tick yet */
    assert_int_equal(rd(APIC_TIMER_CCR, T0 + 16), 99);
    assert_int_equal(rd(APIC_TIMER_CCR, T0 + 800), 50);
    assert_int_equal(rd(APIC_TIMER_CCR, T0 + 1599), 1);
    assert_false(take(T0 + 1599));                        /* not due one tick early */
    assert_int_equal(vlapic_timer_update(&a, T0 + 1600), 1);
    assert_true(irr_has(VEC));
    assert_true(take(T0 + 1600));
    assert_int_equal(rd(APIC_TIMER_CCR, T0 + 1600), 0);
    assert_false(vlapic_timer_next(&a, &d));
    assert_false(take(T0 + 1000000));                     /* never again */
    assert_int_equal(rd(APIC_TIMER_ICR, T0 + 1000000), 100);   /* the initial count stays */
}

/* Writing the initial count again restarts the count from the new value. */
static void test_oneshot_rewrite_restarts(void **state)
{
    (void)state;
    wr(APIC_TIMER_ICR, 1000, T0);
    wr(APIC_TIMER_ICR, 1000, T0 + 900);
    assert_false(take(T0 + 1000));
    assert_int_equal(rd(APIC_TIMER_CCR, T0 + 1000), 900);
    assert_true(take(T0 + 1900));
    wr(APIC_TIMER_ICR, 10, T0 + 2000);                    /* an expired one-shot starts again */
    assert_true(take(T0 + 2010));
}

/* "A write of 0 to the initial-count register effectively stops the local APIC timer, in both
 * one-shot and periodic mode." */
static void test_zero_initial_count_stops(void **state)
{
    (void)state;
    uint64_t d;
    wr(APIC_TIMER_ICR, 100, T0);
    wr(APIC_TIMER_ICR, 0, T0 + 50);
    assert_int_equal(rd(APIC_TIMER_CCR, T0 + 50), 0);
    assert_false(take(T0 + 10000));
    wr(APIC_LVT_TIMER, LVT(APIC_TIMER_PERIODIC), T0 + 10000);
    wr(APIC_TIMER_ICR, 100, T0 + 10000);
    assert_true(take(T0 + 10100));
    wr(APIC_TIMER_ICR, 0, T0 + 10150);
    assert_false(vlapic_timer_next(&a, &d));
    assert_false(take(T0 + 20000));
}

/* Periodic: at 0 the count reloads from the initial count and fires again, every
 * count x divisor ticks. */
static void test_periodic_reloads(void **state)
{
    (void)state;
    uint64_t d;
    wr(APIC_LVT_TIMER, LVT(APIC_TIMER_PERIODIC), T0);
    wr(APIC_TIMER_DCR, DIV_BY_16, T0);
    wr(APIC_TIMER_ICR, 10, T0);                            /* 160 ticks */
    for (int i = 1; i <= 5; i++) {
        assert_false(take(T0 + 160 * (uint64_t)i - 1));
        assert_int_equal(rd(APIC_TIMER_CCR, T0 + 160 * (uint64_t)i - 1), 1);
        assert_true(take(T0 + 160 * (uint64_t)i));
        assert_int_equal(rd(APIC_TIMER_CCR, T0 + 160 * (uint64_t)i), 10);   /* reloaded */
    }
    assert_true(vlapic_timer_next(&a, &d));
    assert_int_equal(d, T0 + 6 * 160);
    assert_int_equal(a.timer.expired, 5);
    assert_int_equal(a.timer.coalesced, 0);
}

/* Periodic expiries that passed while the domain did not run fire once, not as a burst; the
 * next one stays on the original grid. */
static void test_periodic_missed_expiries_coalesce(void **state)
{
    (void)state;
    uint64_t d;
    wr(APIC_LVT_TIMER, LVT(APIC_TIMER_PERIODIC), T0);
    wr(APIC_TIMER_ICR, 1000, T0);
    assert_int_equal(vlapic_timer_update(&a, T0 + 5500), 1);   /* expiries at 1000 ... 5000 */
    assert_int_equal(a.timer.expired, 5);
    assert_int_equal(a.timer.coalesced, 4);
    assert_true(take(T0 + 5500));
    assert_false(take(T0 + 5999));
    assert_true(vlapic_timer_next(&a, &d));
    assert_int_equal(d, T0 + 6000);
    assert_int_equal(rd(APIC_TIMER_CCR, T0 + 5500), 500);
    assert_true(take(T0 + 6000));
}

/* The mask suppresses the interrupt, not the counting (11.5.1: "inhibits reception"). */
static void test_masked_counts_but_does_not_fire(void **state)
{
    (void)state;
    wr(APIC_LVT_TIMER, LVT(APIC_TIMER_PERIODIC) | LVT_MASKED, T0);
    wr(APIC_TIMER_ICR, 100, T0);
    assert_int_equal(rd(APIC_TIMER_CCR, T0 + 30), 70);
    assert_int_equal(vlapic_timer_update(&a, T0 + 100), 0);
    assert_false(irr_has(VEC));
    assert_int_equal(a.timer.expired, 1);
    wr(APIC_LVT_TIMER, LVT(APIC_TIMER_PERIODIC), T0 + 150);   /* unmasking: no late interrupt */
    assert_false(irr_has(VEC));
    assert_true(take(T0 + 200));                               /* the next expiry does */
}

/* A software-disabled APIC (SVR bit 8 clear) masks every LVT (11.4.7.2): no interrupt. */
static void test_software_disabled_does_not_fire(void **state)
{
    (void)state;
    wr(APIC_TIMER_ICR, 100, T0);
    wr(APIC_SVR, 0xFF, T0 + 10);
    assert_int_equal(vlapic_timer_update(&a, T0 + 100), 0);
    assert_false(irr_has(VEC));
}

/* An LVT vector below 16 is illegal: ESR bit 6 (receive illegal vector), no IRR bit (11.5.3). */
static void test_illegal_vector_logs_error(void **state)
{
    (void)state;
    wr(APIC_LVT_TIMER, 0x05, T0);
    wr(APIC_TIMER_ICR, 10, T0);
    assert_int_equal(vlapic_timer_update(&a, T0 + 10), 0);
    assert_int_equal(a.irr[0], 0);
    wr(APIC_ESR, 0, T0 + 10);
    assert_int_equal(rd(APIC_ESR, T0 + 10), APIC_ESR_RECV_ILLEGAL_VECTOR);
}

/* Delivery status (bit 12) is read-only and reads 0 (idle): an expiry is in the IRR at once. */
static void test_delivery_status_idle(void **state)
{
    (void)state;
    wr(APIC_LVT_TIMER, LVT(APIC_TIMER_ONESHOT) | LVT_DELIVERY_STATUS, T0);
    assert_int_equal(rd(APIC_LVT_TIMER, T0), VEC);
    wr(APIC_TIMER_ICR, 10, T0);
    vlapic_timer_update(&a, T0 + 10);
    assert_true(irr_has(VEC));
    assert_int_equal(rd(APIC_LVT_TIMER, T0 + 10) & LVT_DELIVERY_STATUS, 0);
}

/* Changing between one-shot and periodic does not start a stopped timer ("to start the timer,
 * it is necessary to write to the initial-count register") and does not stop a running one:
 * the mode at expiry decides whether it reloads. */
static void test_mode_change_oneshot_periodic(void **state)
{
    (void)state;
    uint64_t d;
    wr(APIC_TIMER_ICR, 100, T0);
    assert_true(take(T0 + 100));
    wr(APIC_LVT_TIMER, LVT(APIC_TIMER_PERIODIC), T0 + 150);   /* expired one-shot: stays stopped */
    assert_false(vlapic_timer_next(&a, &d));
    assert_false(take(T0 + 1000));
    wr(APIC_TIMER_ICR, 100, T0 + 1000);                        /* periodic from here */
    assert_true(take(T0 + 1100));
    wr(APIC_LVT_TIMER, LVT(APIC_TIMER_ONESHOT), T0 + 1150);    /* running: keeps counting */
    assert_int_equal(rd(APIC_TIMER_CCR, T0 + 1150), 50);
    assert_true(take(T0 + 1200));                              /* and stops there */
    assert_false(vlapic_timer_next(&a, &d));
    assert_false(take(T0 + 5000));
}

/* A divide-configuration write while counting keeps the current count, which then counts at the
 * new rate. */
static void test_divide_change_while_counting(void **state)
{
    (void)state;
    uint64_t d;
    wr(APIC_TIMER_ICR, 100, T0);                               /* by 1: 100 ticks */
    wr(APIC_TIMER_DCR, DIV_BY_16, T0 + 40);                    /* 60 left: 960 ticks */
    assert_int_equal(rd(APIC_TIMER_CCR, T0 + 40), 60);
    assert_true(vlapic_timer_next(&a, &d));
    assert_int_equal(d, T0 + 40 + 960);
    assert_false(take(T0 + 999));
    assert_true(take(T0 + 1000));
}

/* Counts up to 2^32 - 1 at divide by 128 (2^39 ticks) do not overflow. */
static void test_largest_count(void **state)
{
    (void)state;
    uint64_t d;
    wr(APIC_TIMER_DCR, 0xA, T0);                               /* 1010b: by 128 */
    wr(APIC_TIMER_ICR, 0xFFFFFFFFu, T0);
    assert_true(vlapic_timer_next(&a, &d));
    assert_int_equal(d, T0 + 0xFFFFFFFFull * 128);
    assert_int_equal(rd(APIC_TIMER_CCR, T0 + 128), 0xFFFFFFFEu);
}

/* 11.5.4.1: in TSC-deadline mode initial-count writes are ignored and the current count reads
 * 0; IA32_TSC_DEADLINE arms the timer, which fires once the TSC reaches it, then disarms and
 * clears the MSR. */
static void test_tsc_deadline_fires_at_deadline(void **state)
{
    (void)state;
    uint64_t d;
    wr(APIC_LVT_TIMER, LVT(APIC_TIMER_TSC_DEADLINE), T0);
    wr(APIC_TIMER_ICR, 50, T0);
    assert_int_equal(rd(APIC_TIMER_ICR, T0), 0);
    assert_false(vlapic_timer_next(&a, &d));
    vlapic_tsc_deadline_write(&a, T0 + 5000, T0);
    assert_int_equal(vlapic_tsc_deadline_read(&a, T0 + 1), T0 + 5000);
    assert_int_equal(rd(APIC_TIMER_CCR, T0 + 1), 0);
    assert_true(vlapic_timer_next(&a, &d));
    assert_int_equal(d, T0 + 5000);
    assert_false(take(T0 + 4999));
    assert_true(take(T0 + 5000));
    assert_int_equal(vlapic_tsc_deadline_read(&a, T0 + 5000), 0);
    assert_false(vlapic_timer_next(&a, &d));
    assert_false(take(T0 + 100000));
}

/* "An interrupt is generated when the ... time-stamp counter equals or exceeds the target": a
 * deadline in the past fires at once. */
static void test_tsc_deadline_in_past_fires_at_once(void **state)
{
    (void)state;
    wr(APIC_LVT_TIMER, LVT(APIC_TIMER_TSC_DEADLINE), T0);
    vlapic_tsc_deadline_write(&a, 1, T0);
    assert_true(irr_has(VEC));
    assert_int_equal(vlapic_tsc_deadline_read(&a, T0), 0);
}

/* "Writing 0 to the IA32_TSC_DEADLINE MSR disarms the local-APIC timer." */
static void test_tsc_deadline_zero_disarms(void **state)
{
    (void)state;
    uint64_t d;
    wr(APIC_LVT_TIMER, LVT(APIC_TIMER_TSC_DEADLINE), T0);
    vlapic_tsc_deadline_write(&a, T0 + 100, T0);
    vlapic_tsc_deadline_write(&a, 0, T0 + 50);
    assert_false(vlapic_timer_next(&a, &d));
    assert_false(take(T0 + 1000));
}

/* "In other timer modes ... the IA32_TSC_DEADLINE MSR reads zero and writes are ignored." */
static void test_tsc_deadline_msr_outside_mode(void **state)
{
    (void)state;
    uint64_t d;
    vlapic_tsc_deadline_write(&a, T0 + 100, T0);
    assert_int_equal(vlapic_tsc_deadline_read(&a, T0), 0);
    assert_false(vlapic_timer_next(&a, &d));
    assert_false(take(T0 + 1000));
}

/* "Transitions between TSC-deadline mode and other timer modes also disarm the timer", both
 * ways; the initial count and IA32_TSC_DEADLINE read 0 afterwards. */
static void test_mode_transitions_disarm(void **state)
{
    (void)state;
    uint64_t d;
    wr(APIC_TIMER_ICR, 100, T0);
    wr(APIC_LVT_TIMER, LVT(APIC_TIMER_TSC_DEADLINE), T0 + 10);
    assert_false(vlapic_timer_next(&a, &d));
    assert_int_equal(rd(APIC_TIMER_ICR, T0 + 10), 0);
    assert_false(take(T0 + 1000));
    vlapic_tsc_deadline_write(&a, T0 + 2000, T0 + 1000);
    wr(APIC_LVT_TIMER, LVT(APIC_TIMER_PERIODIC), T0 + 1500);
    assert_false(vlapic_timer_next(&a, &d));
    assert_false(take(T0 + 3000));
    wr(APIC_LVT_TIMER, LVT(APIC_TIMER_TSC_DEADLINE), T0 + 3000);
    assert_int_equal(vlapic_tsc_deadline_read(&a, T0 + 3000), 0);
    /* masking within TSC-deadline mode is no transition: the deadline stays armed */
    vlapic_tsc_deadline_write(&a, T0 + 4000, T0 + 3000);
    wr(APIC_LVT_TIMER, LVT(APIC_TIMER_TSC_DEADLINE) | LVT_MASKED, T0 + 3500);
    assert_int_equal(vlapic_tsc_deadline_read(&a, T0 + 3500), T0 + 4000);
    assert_int_equal(vlapic_timer_update(&a, T0 + 4000), 0);    /* masked: no interrupt ... */
    assert_int_equal(vlapic_tsc_deadline_read(&a, T0 + 4000), 0); /* ... but it expired */
}

/* A global disable (IA32_APIC_BASE.EN = 0) resets the APIC, the timer with it (11.4.3). */
static void test_global_disable_stops_timer(void **state)
{
    (void)state;
    uint64_t d;
    wr(APIC_TIMER_ICR, 100, T0);
    assert_int_equal(vlapic_base_write(&a, APIC_BASE_DEFAULT | APIC_BASE_BSP), 0);
    assert_false(vlapic_timer_next(&a, &d));
    assert_int_equal(vlapic_timer_update(&a, T0 + 1000), 0);
}

/* x2APIC (Table 11-6): LVT timer 832H, initial count 838H, current count 839H (read-only: WRMSR
 * #GP), divide configuration 83EH; the same timer. */
static void test_x2apic_timer_msrs(void **state)
{
    (void)state;
    uint64_t v = 0;
    assert_int_equal(vlapic_msr_write(&a, LVT_TIMER_X2APIC_MSR, LVT(APIC_TIMER_PERIODIC), T0), 0);
    assert_int_equal(vlapic_msr_write(&a, DCR_X2APIC_MSR, DIV_BY_16, T0), 0);
    assert_int_equal(vlapic_msr_write(&a, ICR_X2APIC_MSR, 10, T0), 0);
    assert_int_equal(vlapic_msr_read(&a, CCR_X2APIC_MSR, &v, T0 + 32), 0);
    assert_int_equal(v, 8);
    assert_int_equal(vlapic_msr_write(&a, CCR_X2APIC_MSR, 5, T0 + 32), -1);
    assert_int_equal(vlapic_msr_write(&a, DCR_X2APIC_MSR, 1u << 4, T0 + 32), -1);   /* reserved */
    assert_int_equal(vlapic_msr_write(&a, LVT_TIMER_X2APIC_MSR, 1u << 19, T0 + 32), -1);
    assert_int_equal(vlapic_timer_update(&a, T0 + 160), 1);
    assert_int_equal(vlapic_msr_read(&a, CCR_X2APIC_MSR, &v, T0 + 160), 0);
    assert_int_equal(v, 10);
    assert_int_equal(vlapic_msr_read(&a, ICR_X2APIC_MSR, &v, T0 + 160), 0);
    assert_int_equal(v, 10);
}

/* The same TSC-deadline rules in x2APIC mode. */
static void test_x2apic_tsc_deadline(void **state)
{
    (void)state;
    uint64_t v = 0;
    assert_int_equal(vlapic_msr_write(&a, LVT_TIMER_X2APIC_MSR, LVT(APIC_TIMER_TSC_DEADLINE),
                                      T0), 0);
    assert_int_equal(vlapic_msr_write(&a, ICR_X2APIC_MSR, 10, T0), 0);     /* ignored */
    assert_int_equal(vlapic_msr_read(&a, ICR_X2APIC_MSR, &v, T0), 0);
    assert_int_equal(v, 0);
    vlapic_tsc_deadline_write(&a, T0 + 77, T0);
    assert_int_equal(vlapic_timer_update(&a, T0 + 76), 0);
    assert_int_equal(vlapic_timer_update(&a, T0 + 77), 1);
    assert_true(irr_has(VEC));
}

#define T(f) cmocka_unit_test_setup(f, setup)
#define T2(f) cmocka_unit_test_setup(f, setup_x2)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_divide_configuration_encoding),
        T(test_reset_timer_stopped),
        T(test_oneshot_counts_down_and_fires_once),
        T(test_oneshot_rewrite_restarts),
        T(test_zero_initial_count_stops),
        T(test_periodic_reloads),
        T(test_periodic_missed_expiries_coalesce),
        T(test_masked_counts_but_does_not_fire),
        T(test_software_disabled_does_not_fire),
        T(test_illegal_vector_logs_error),
        T(test_delivery_status_idle),
        T(test_mode_change_oneshot_periodic),
        T(test_divide_change_while_counting),
        T(test_largest_count),
        T(test_tsc_deadline_fires_at_deadline),
        T(test_tsc_deadline_in_past_fires_at_once),
        T(test_tsc_deadline_zero_disarms),
        T(test_tsc_deadline_msr_outside_mode),
        T(test_mode_transitions_disarm),
        T(test_global_disable_stops_timer),
        T2(test_x2apic_timer_msrs),
        T2(test_x2apic_tsc_deadline),
    };
    return cmocka_run_group_tests_name("hv/vlapic_timer.c", tests, NULL, NULL);
}
