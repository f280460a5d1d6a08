/* hv/hypercall.c: VMCALL dispatch (numbers and ABI in include/perfvisor/hypercall.h). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "hv/domain.h"
#include "hv/hypercall.h"
#include "perfvisor/hypercall.h"
#include "tests/unit/fakes.h"

static struct domain d;

static int setup(void **state)
{
    (void)state;
    memset(&d, 0, sizeof(d));
    d.vcpu.dom = &d;
    domain_exit_reset();
    return 0;
}

static void test_version(void **state)
{
    (void)state;
    const uint64_t args[4] = { 0 };
    int64_t ret = 12345;
    assert_int_equal(hypercall(&d.vcpu, 0, HC_VERSION, args, &ret), HC_CONTINUE);
    assert_int_equal(ret, PERFVISOR_HC_ABI);
    assert_int_equal(ret, 1);
    assert_int_equal(domain_exit_seen.calls, 0);
}

static void test_exit_passes_low_byte_of_ebx(void **state)
{
    (void)state;
    const uint64_t args[4] = { 0x1FF07, 2, 3, 4 };
    int64_t ret = 12345;
    assert_int_equal(hypercall(&d.vcpu, 0, HC_EXIT, args, &ret), HC_CONTINUE);
    assert_int_equal(ret, 0);
    assert_int_equal(domain_exit_seen.calls, 1);
    assert_ptr_equal(domain_exit_seen.d, &d);
    assert_int_equal(domain_exit_seen.status, 7);
    assert_string_equal(domain_exit_seen.how, " (hypercall)");
}

static void test_yield_ends_slice(void **state)
{
    (void)state;
    const uint64_t args[4] = { 0 };
    int64_t ret = 12345;
    assert_int_equal(hypercall(&d.vcpu, 0, HC_YIELD, args, &ret), HC_END_SLICE);
    assert_int_equal(ret, 0);
    assert_int_equal(domain_exit_seen.calls, 0);
}

static void test_unknown_is_enosys(void **state)
{
    (void)state;
    const uint64_t args[4] = { 0 };
    const uint64_t nrs[] = { 3, 0x100, 0xFFFFFFFFull };
    for (size_t i = 0; i < sizeof(nrs) / sizeof(nrs[0]); i++) {
        int64_t ret = 12345;
        assert_int_equal(hypercall(&d.vcpu, 0, nrs[i], args, &ret), HC_CONTINUE);
        assert_int_equal(ret, -38);
    }
    assert_int_equal(domain_exit_seen.calls, 0);
}

static void test_user_mode_refused(void **state)
{
    (void)state;
    const uint64_t args[4] = { 1 };
    for (int cpl = 1; cpl <= 3; cpl++) {
        int64_t ret = 12345;
        assert_int_equal(hypercall(&d.vcpu, cpl, HC_EXIT, args, &ret), HC_CONTINUE);
        assert_int_equal(ret, -1);
        ret = 12345;
        assert_int_equal(hypercall(&d.vcpu, cpl, HC_YIELD, args, &ret), HC_CONTINUE);
        assert_int_equal(ret, HC_EPERM);
    }
    assert_int_equal(domain_exit_seen.calls, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_version, setup),
        cmocka_unit_test_setup(test_exit_passes_low_byte_of_ebx, setup),
        cmocka_unit_test_setup(test_yield_ends_slice, setup),
        cmocka_unit_test_setup(test_unknown_is_enosys, setup),
        cmocka_unit_test_setup(test_user_mode_refused, setup),
    };
    return cmocka_run_group_tests_name("hv/hypercall.c", tests, NULL, NULL);
}
