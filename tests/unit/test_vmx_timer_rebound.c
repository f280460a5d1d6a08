/* arch/x86/vmx/vmx_timer_rebound.h: re-arming the preemption timer for a nearer APIC expiry
 * without a settle keeps the settle's arithmetic (ran = armed - remaining, SDM Vol. 3C 26.5.1:
 * the timer counts down only in VMX non-root operation) exact. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "arch/x86/vmx/vmx_timer_rebound.h"

/* Armed for A, g units of guest time ran (remaining A - g), re-armed for n, then g2 more ran:
 * the next settle takes g + g2, exactly the guest time since the last settle. */
static void test_settle_after_rebound_takes_all_guest_time(void **state)
{
    (void)state;
    const uint32_t armed0[] = { 1, 2, 1000, 100000, 0xFFFFFFFFu };
    for (unsigned a = 0; a < sizeof(armed0) / sizeof(armed0[0]); a++)
        for (uint64_t g = 0; g < armed0[a]; g = g ? g * 3 : 1) {
            uint32_t armed = armed0[a], remaining = (uint32_t)(armed - g);
            for (uint64_t h = 0; h <= remaining; h = h ? h * 5 : 1) {
                uint64_t left = remaining - h;      /* h units of hypervisor time passed */
                uint32_t n = vmx_timer_rebound(&armed, remaining, left);
                assert_true(n >= 1 && n <= remaining);
                assert_int_equal(n, left ? left : 1);
                for (uint64_t g2 = 0; g2 <= n; g2 = g2 ? g2 * 7 : 1)
                    assert_int_equal((uint32_t)(armed - (n - g2)), g + g2);
                armed = armed0[a];
            }
        }
}

/* An expiry farther than what the timer has left (the deadline moved, or it was clamped to 32
 * bits): not applicable, nothing changed. */
static void test_farther_expiry_is_left_to_a_full_rearm(void **state)
{
    (void)state;
    uint32_t armed = 5000;
    assert_int_equal(vmx_timer_rebound(&armed, 4000, 4001), 0);
    assert_int_equal(vmx_timer_rebound(&armed, 4000, 1ull << 40), 0);
    assert_int_equal(armed, 5000);
}

/* An expiry due now is armed as 1 unit, not 0 (and not when nothing is left to take it). */
static void test_due_expiry_arms_one_unit(void **state)
{
    (void)state;
    uint32_t armed = 10;
    assert_int_equal(vmx_timer_rebound(&armed, 4, 0), 1);
    assert_int_equal(armed, 7);
    armed = 10;
    assert_int_equal(vmx_timer_rebound(&armed, 0, 0), 0);
    assert_int_equal(armed, 10);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_settle_after_rebound_takes_all_guest_time),
        cmocka_unit_test(test_farther_expiry_is_left_to_a_full_rearm),
        cmocka_unit_test(test_due_expiry_arms_one_unit),
    };
    return cmocka_run_group_tests_name("vmx_timer_rebound", tests, NULL, NULL);
}
