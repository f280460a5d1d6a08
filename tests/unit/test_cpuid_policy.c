/* arch/x86/cpuid_policy.c: what CPUID tells a guest, from recorded hardware answers
 * (leaf layouts: SDM Vol. 2A, CPUID). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "arch/x86/cpuid_policy.h"

#define BIT(n) (1u << (n))

static struct cpuid_regs policy(uint32_t leaf, uint32_t subleaf, uint32_t apic_id,
                                struct cpuid_regs hw)
{
    cpuid_policy(leaf, subleaf, apic_id, &hw);
    return hw;
}

static const struct cpuid_regs ALL_ONES = { 0xFFFFFFFFu, 0xFFFFFFFFu, 0xFFFFFFFFu, 0xFFFFFFFFu };

/* Leaf 1 ECX/EDX (SDM Vol. 2A Table 3-10, 3-11). */
static void test_leaf1_hides_features(void **state)
{
    (void)state;
    struct cpuid_regs r = policy(1, 0, 0, ALL_ONES);
    assert_int_equal(r.eax, 0x00050600u);                 /* family 6, model 50H, stepping 0 */
    assert_int_equal(r.ecx & BIT(5), 0);                  /* VMX */
    assert_int_equal(r.ecx & BIT(15), 0);                 /* PDCM */
    assert_int_equal(r.ecx & BIT(21), 0);                 /* x2APIC */
    assert_int_equal(r.ecx & BIT(26), 0);                 /* XSAVE */
    assert_int_equal(r.ecx & BIT(27), 0);                 /* OSXSAVE */
    assert_int_equal(r.ecx & BIT(28), 0);                 /* AVX */
    assert_int_equal(r.ecx & BIT(3), 0);                  /* MONITOR */
    assert_int_equal(r.edx & BIT(9), 0);                  /* APIC */
    assert_int_equal(r.edx & BIT(12), 0);                 /* MTRR */
    assert_int_equal(r.edx & BIT(21), 0);                 /* DS */
    /* the exact survivors of an all-ones answer */
    assert_int_equal(r.ecx, 0xFFFFFFFFu & ~(BIT(3) | BIT(4) | BIT(5) | BIT(6) | BIT(7) | BIT(8) |
                                            BIT(11) | BIT(15) | BIT(21) | BIT(24) | BIT(26) |
                                            BIT(27) | BIT(28)));
    assert_int_equal(r.edx, 0xFFFFFFFFu & ~(BIT(7) | BIT(9) | BIT(12) | BIT(14) | BIT(21) |
                                            BIT(22) | BIT(29) | BIT(31)));
}

static void test_leaf1_keeps_basic_features_and_sets_hypervisor_bit(void **state)
{
    (void)state;
    /* a plain CPU: SSE2 SSE FXSR CMOV PAE TSC FPU ...; SSE3 SSSE3 SSE4.1/4.2 POPCNT, no HV bit */
    struct cpuid_regs hw = { 0x000906EA, 0x05100800, 0x7FFAFBFF & ~BIT(31), 0xBFEBFBFF };
    struct cpuid_regs r = policy(1, 0, 0, hw);
    assert_int_equal(r.ecx & BIT(31), BIT(31));           /* hypervisor present */
    assert_int_equal(r.ecx & (BIT(0) | BIT(9) | BIT(19) | BIT(20) | BIT(23)),
                     BIT(0) | BIT(9) | BIT(19) | BIT(20) | BIT(23));
    assert_int_equal(r.edx & (BIT(0) | BIT(4) | BIT(6) | BIT(15) | BIT(24) | BIT(25) | BIT(26)),
                     BIT(0) | BIT(4) | BIT(6) | BIT(15) | BIT(24) | BIT(25) | BIT(26));
    assert_int_equal(r.eax, 0x00050600);                  /* not the host's Kaby Lake 0x906EA */
}

/* Leaf 1 EBX: [31:24] initial APIC ID, [23:16] logical processors, [15:8] CLFLUSH size. */
static void test_leaf1_apic_id_and_one_logical_cpu(void **state)
{
    (void)state;
    struct cpuid_regs hw = { 0, 0x0A100800, 0, 0 };        /* host: APIC ID 10, 16 threads */
    assert_int_equal(policy(1, 0, 2, hw).ebx, 0x02010800);
    assert_int_equal(policy(1, 0, 0, hw).ebx, 0x00010800);
    assert_int_equal(policy(1, 0, 0xFF, ALL_ONES).ebx, 0xFF01FFFF);
}

static void assert_all_zero(uint32_t leaf, uint32_t subleaf)
{
    struct cpuid_regs r = policy(leaf, subleaf, 0, ALL_ONES);
    assert_int_equal(r.eax, 0);
    assert_int_equal(r.ebx, 0);
    assert_int_equal(r.ecx, 0);
    assert_int_equal(r.edx, 0);
}

static void test_pmu_xsave_and_other_leaves_zeroed(void **state)
{
    (void)state;
    assert_all_zero(0xA, 0);                              /* architectural PMU */
    assert_all_zero(0xD, 0);                              /* XSAVE components */
    assert_all_zero(0xD, 1);
    assert_all_zero(0x5, 0);
    assert_all_zero(0x6, 0);
    assert_all_zero(0xB, 0);
    assert_all_zero(0x14, 0);
    assert_all_zero(0x1F, 1);
}

static void test_leaf4_one_core_one_thread(void **state)
{
    (void)state;
    struct cpuid_regs r = policy(4, 0, 0, (struct cpuid_regs){ 0x1C004121, 0x01C0003F, 0x3F, 0 });
    assert_int_equal(r.eax, 0x00000121);                  /* [31:14] cleared */
    assert_int_equal(r.ebx, 0x01C0003F);
    assert_int_equal(r.ecx, 0x3F);
}

static void test_leaf7_keeps_only_allowed_bits(void **state)
{
    (void)state;
    const uint32_t keep = BIT(0) | BIT(3) | BIT(7) | BIT(8) | BIT(9) | BIT(10) | BIT(18) |
                          BIT(19) | BIT(20) | BIT(23) | BIT(24) | BIT(29);
    struct cpuid_regs r = policy(7, 0, 0, ALL_ONES);
    assert_int_equal(r.ebx, keep);
    assert_int_equal(r.ecx, 0);
    assert_int_equal(r.edx, 0);
    assert_int_equal(r.ebx & BIT(5), 0);                  /* AVX2 */
    assert_int_equal(r.ebx & BIT(16), 0);                 /* AVX512F */
    assert_int_equal(r.ebx & BIT(11), 0);                 /* RTM */
    /* a CPU without some of them does not gain them */
    r = policy(7, 0, 0, (struct cpuid_regs){ 0, BIT(0) | BIT(5) | BIT(9), 0, 0 });
    assert_int_equal(r.ebx, BIT(0) | BIT(9));
    assert_all_zero(7, 1);
    assert_all_zero(7, 2);
}

static void test_hypervisor_leaves(void **state)
{
    (void)state;
    struct cpuid_regs r = policy(0x40000000, 0, 0, ALL_ONES);
    assert_int_equal(r.eax, 0x40000000);                  /* the highest hypervisor leaf */
    char sig[13] = { 0 };
    memcpy(sig, &r.ebx, 4);
    memcpy(sig + 4, &r.ecx, 4);
    memcpy(sig + 8, &r.edx, 4);
    assert_memory_equal(sig, "perfvisor\0\0\0", 12);
    assert_int_equal(r.ebx, 0x66726570);                  /* "perf" little-endian */
    assert_all_zero(0x40000001, 0);
    assert_all_zero(0x4FFFFFFF, 0);
}

static void test_other_leaves_pass_through(void **state)
{
    (void)state;
    struct cpuid_regs hw = { 0x16, 0x756E6547, 0x6C65746E, 0x49656E69 };   /* "GenuineIntel" */
    struct cpuid_regs r = policy(0, 0, 0, hw);
    assert_memory_equal(&r, &hw, sizeof(hw));
    hw = (struct cpuid_regs){ 0x80000008, 1, 2, 3 };
    r = policy(0x80000000, 0, 0, hw);
    assert_memory_equal(&r, &hw, sizeof(hw));
}

/* Leaf 15H: the APIC timer counts the TSC, so the "crystal" a guest derives its timer rate from
 * is the TSC: ratio 1/1, ECX = host crystal x EBX/EAX (the same TSC frequency); not enumerated
 * stays not enumerated.  Leaf 16H: the bus frequency (ECX) is not the timer's clock: 0. */
static void test_leaf15_crystal_is_tsc(void **state)
{
    (void)state;
    struct cpuid_regs r = policy(0x15, 0, 0, (struct cpuid_regs){ 2, 216, 24000000, 0 });
    assert_int_equal(r.eax, 1);
    assert_int_equal(r.ebx, 1);
    assert_int_equal(r.ecx, 2592000000u);                  /* 24 MHz x 108 */
    r = policy(0x15, 0, 0, (struct cpuid_regs){ 2, 200, 0, 0 });   /* crystal not given */
    assert_int_equal(r.eax, 1);
    assert_int_equal(r.ebx, 1);
    assert_int_equal(r.ecx, 0);
    r = policy(0x15, 0, 0, (struct cpuid_regs){ 0, 0, 5, 7 });    /* leaf not enumerated */
    assert_int_equal(r.eax | r.ebx | r.ecx | r.edx, 0);
    r = policy(0x16, 0, 0, (struct cpuid_regs){ 2600, 4000, 100, 0 });
    assert_int_equal(r.eax, 2600);
    assert_int_equal(r.ebx, 4000);
    assert_int_equal(r.ecx, 0);
}

/* CR4 ownership (issue #13 item 7): on a host that has every feature, the guest's policy leaves
 * 1 and 7.0 decide which CR4 bits it may set (SDM Vol. 3A 2.5, Figure 2-7). */
#define CR4B(n) (1ull << (n))
static uint64_t guest_reserved_on(struct cpuid_regs hw1, struct cpuid_regs hw7)
{
    struct cpuid_regs l1 = policy(1, 0, 0, hw1), l7 = policy(7, 0, 0, hw7);
    return cpuid_cr4_guest_reserved(&l1, &l7);
}

static void test_cr4_owned_bits_follow_policy(void **state)
{
    (void)state;
    uint64_t r = guest_reserved_on(ALL_ONES, ALL_ONES);
    /* not offered by the policy: owned, MOV to CR4 setting them #GPs */
    assert_true(r & CR4B(13));         /* VMXE: VMX hidden */
    assert_true(r & CR4B(14));         /* SMXE: SMX hidden */
    assert_true(r & CR4B(18));         /* OSXSAVE: XSAVE hidden */
    assert_true(r & CR4B(11));         /* UMIP: leaf 7 ECX zeroed */
    assert_true(r & CR4B(12));         /* LA57 */
    assert_true(r & CR4B(19));         /* KL */
    assert_true(r & CR4B(22));         /* PKE */
    assert_true(r & CR4B(23));         /* CET */
    assert_true(r & CR4B(24));         /* PKS */
    assert_true(r & CR4B(25));         /* UINTR: leaf 7 EDX zeroed */
    assert_true(r & CR4B(15));         /* reserved */
    assert_true(r & CR4B(26));         /* reserved */
    assert_true(r & CR4B(32));         /* reserved (upper half) */
    /* offered: the guest's own */
    uint64_t guest = CR4B(0) | CR4B(1) | CR4B(2) | CR4B(3) | CR4B(4) | CR4B(5) | CR4B(6) | CR4B(7) |
                     CR4B(8) | CR4B(9) | CR4B(10) | CR4B(16) | CR4B(17) | CR4B(20) | CR4B(21);
    assert_int_equal(r, ~guest);
}

static void test_cr4_follows_host_features(void **state)
{
    (void)state;
    struct cpuid_regs hw1 = ALL_ONES, hw7 = ALL_ONES;
    hw1.ecx &= ~BIT(17);               /* no PCID */
    hw1.edx &= ~BIT(13);               /* no PGE */
    hw7.ebx &= ~(BIT(0) | BIT(7));     /* no FSGSBASE, no SMEP */
    uint64_t r = guest_reserved_on(hw1, hw7);
    assert_true(r & CR4B(17));
    assert_true(r & CR4B(7));
    assert_true(r & CR4B(16));
    assert_true(r & CR4B(20));
    assert_false(r & CR4B(21));        /* SMAP still there */
    assert_false(r & CR4B(5));         /* PAE */
    /* a bare leaf 1/7: only PCE and MCE */
    struct cpuid_regs zero = { 0, 0, 0, 0 };
    assert_int_equal(cpuid_cr4_guest_reserved(&zero, &zero), ~(CR4B(6) | CR4B(8)));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_leaf1_hides_features),
        cmocka_unit_test(test_leaf1_keeps_basic_features_and_sets_hypervisor_bit),
        cmocka_unit_test(test_leaf1_apic_id_and_one_logical_cpu),
        cmocka_unit_test(test_pmu_xsave_and_other_leaves_zeroed),
        cmocka_unit_test(test_leaf4_one_core_one_thread),
        cmocka_unit_test(test_leaf7_keeps_only_allowed_bits),
        cmocka_unit_test(test_hypervisor_leaves),
        cmocka_unit_test(test_other_leaves_pass_through),
        cmocka_unit_test(test_leaf15_crystal_is_tsc),
        cmocka_unit_test(test_cr4_owned_bits_follow_policy),
        cmocka_unit_test(test_cr4_follows_host_features),
    };
    return cmocka_run_group_tests_name("arch/x86/cpuid_policy.c", tests, NULL, NULL);
}
