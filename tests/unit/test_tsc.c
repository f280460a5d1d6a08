/* arch/x86/tsc.c: the TSC frequency from CPUID leaves 15H and 16H (SDM Vol. 2A "CPUID", leaf
 * 15H "Time Stamp Counter and Nominal Core Crystal Clock Information", leaf 16H "Processor
 * Frequency Information"), on recorded answers (issue #13 item 11). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "arch/x86/tsc.h"

static const struct cpuid_regs NONE = { 0, 0, 0, 0 };

/* 15H with the crystal: TSC = ECX x EBX / EAX (a 24 MHz crystal, ratio 176/2: 2112 MHz) */
static void test_leaf15_with_crystal(void **state)
{
    (void)state;
    struct cpuid_regs l15 = { 2, 176, 24000000, 0 }, l16 = { 2100, 4000, 100, 0 };
    assert_int_equal(tsc_khz_from_cpuid(0x16, &l15, &l16), 2112000);
    assert_int_equal(tsc_khz_from_cpuid(0x15, &l15, &NONE), 2112000);
    /* a 25 MHz crystal (Atom-like), ratio 3/1: 75 MHz... in kHz exactly */
    struct cpuid_regs a = { 1, 3, 25000000, 0 };
    assert_int_equal(tsc_khz_from_cpuid(0x15, &a, &NONE), 75000);
}

/* 15H ratio without the crystal (Skylake client): 16H's base MHz is the TSC's */
static void test_leaf15_ratio_without_crystal_uses_16h(void **state)
{
    (void)state;
    struct cpuid_regs l15 = { 2, 300, 0, 0 }, l16 = { 3600, 4500, 100, 0 };
    assert_int_equal(tsc_khz_from_cpuid(0x16, &l15, &l16), 3600000);
    /* no 16H (max leaf 15H): nothing enumerated, the PIT decides */
    assert_int_equal(tsc_khz_from_cpuid(0x15, &l15, &l16), 0);
}

/* EAX or EBX of 15H zero: "not enumerated"; 16H alone still gives the base frequency */
static void test_leaf15_not_enumerated(void **state)
{
    (void)state;
    struct cpuid_regs l15a = { 0, 176, 24000000, 0 }, l15b = { 2, 0, 24000000, 0 };
    struct cpuid_regs l16 = { 2900, 3900, 100, 0 };
    assert_int_equal(tsc_khz_from_cpuid(0x16, &l15a, &NONE), 0);
    assert_int_equal(tsc_khz_from_cpuid(0x16, &l15b, &NONE), 0);
    assert_int_equal(tsc_khz_from_cpuid(0x16, &l15a, &l16), 2900000);
    /* 16H's EAX[31:16] are reserved: only [15:0] is the frequency */
    struct cpuid_regs l16hi = { 0xABCD0000u | 2900, 0, 0, 0 };
    assert_int_equal(tsc_khz_from_cpuid(0x16, &NONE, &l16hi), 2900000);
}

/* Leaves above CPUID.0:EAX are not there: their registers (whatever a caller passed) ignored */
static void test_leaves_above_max_ignored(void **state)
{
    (void)state;
    struct cpuid_regs l15 = { 2, 176, 24000000, 0 }, l16 = { 2100, 0, 0, 0 };
    assert_int_equal(tsc_khz_from_cpuid(0x14, &l15, &l16), 0);
    assert_int_equal(tsc_khz_from_cpuid(0x0D, &l15, &l16), 0);
    assert_int_equal(tsc_khz_from_cpuid(0x16, &NONE, &NONE), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_leaf15_with_crystal),
        cmocka_unit_test(test_leaf15_ratio_without_crystal_uses_16h),
        cmocka_unit_test(test_leaf15_not_enumerated),
        cmocka_unit_test(test_leaves_above_max_ignored),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
