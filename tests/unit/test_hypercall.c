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
    prof_fake_reset();
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
    const uint64_t nrs[] = { 4, 0x100, 0xFFFFFFFFull, 0x100000003ull };
    for (size_t i = 0; i < sizeof(nrs) / sizeof(nrs[0]); i++) {
        int64_t ret = 12345;
        assert_int_equal(hypercall(&d.vcpu, 0, nrs[i], args, &ret), HC_CONTINUE);
        assert_int_equal(ret, -38);
    }
    assert_int_equal(domain_exit_seen.calls, 0);
    assert_int_equal(prof_name_seen.calls, 0);
    assert_int_equal(guest_read_seen.calls, 0);
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

/* HC_NAME_CR3: EBX = CR3, ECX = guest linear address of the name, EDX = its length. */
static int64_t name_cr3(int cpl, uint64_t cr3, uint64_t gva, uint64_t len)
{
    const uint64_t args[4] = { cr3, gva, len, 0 };
    int64_t ret = 12345;
    assert_int_equal(hypercall(&d.vcpu, cpl, HC_NAME_CR3, args, &ret), HC_CONTINUE);
    return ret;
}

static void test_name_cr3_records_name(void **state)
{
    (void)state;
    assert_int_equal(HC_NAME_CR3, 3);
    memcpy(fake_guest_mem + 0x20, "init.elfXYZ", 11);
    assert_int_equal(name_cr3(0, 0x1234000, fake_guest_base + 0x20, 8), 0);
    assert_int_equal(guest_read_seen.calls, 1);
    assert_ptr_equal(guest_read_seen.v, &d.vcpu);
    assert_int_equal(guest_read_seen.gva, fake_guest_base + 0x20);
    assert_int_equal(guest_read_seen.len, 8);
    assert_int_equal(prof_name_seen.calls, 1);
    assert_ptr_equal(prof_name_seen.d, &d);
    assert_int_equal(prof_name_seen.cr3, 0x1234000);
    assert_int_equal(prof_name_seen.len, 8);
    assert_string_equal(prof_name_seen.name, "init.elf");   /* exactly len bytes, no more */
    assert_int_equal(domain_exit_seen.calls, 0);
}

/* A full per-domain table of names comes back to the guest as HC_ENOSPC, not as success. */
static void test_name_cr3_table_full_is_enospc(void **state)
{
    (void)state;
    memcpy(fake_guest_mem + 0x20, "late", 4);
    prof_name_seen.ret = HC_ENOSPC;
    assert_int_equal(name_cr3(0, 0x9000, fake_guest_base + 0x20, 4), HC_ENOSPC);
    assert_int_equal(prof_name_seen.calls, 1);
    assert_int_equal(HC_ENOSPC, -28);
}

static void test_name_cr3_64bit_cr3_and_max_len(void **state)
{
    (void)state;
    char want[HC_NAME_MAX + 1];
    for (int i = 0; i < HC_NAME_MAX; i++)
        want[i] = (char)('a' + i % 26);
    want[HC_NAME_MAX] = '\0';
    /* the name ends exactly at the end of guest memory */
    uint64_t at = fake_guest_base + sizeof(fake_guest_mem) - HC_NAME_MAX;
    memcpy(fake_guest_mem + sizeof(fake_guest_mem) - HC_NAME_MAX, want, HC_NAME_MAX);
    assert_int_equal(name_cr3(0, 0x8000000123456000ull, at, HC_NAME_MAX), 0);
    assert_int_equal(prof_name_seen.calls, 1);
    assert_int_equal(prof_name_seen.cr3, 0x8000000123456000ull);
    assert_int_equal(prof_name_seen.len, 63);
    assert_string_equal(prof_name_seen.name, want);
}

static void test_name_cr3_empty_name(void **state)
{
    (void)state;
    assert_int_equal(name_cr3(0, 0x5000, fake_guest_base, 0), 0);
    assert_int_equal(prof_name_seen.calls, 1);
    assert_int_equal(prof_name_seen.cr3, 0x5000);
    assert_int_equal(prof_name_seen.len, 0);
    assert_string_equal(prof_name_seen.name, "");
}

static void test_name_cr3_too_long_is_einval(void **state)
{
    (void)state;
    const uint64_t lens[] = { HC_NAME_MAX + 1, 4096, 0xFFFFFFFFull, 0x100000005ull, UINT64_MAX };
    for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
        assert_int_equal(name_cr3(0, 0x1000, fake_guest_base, lens[i]), HC_EINVAL);
        assert_int_equal(HC_EINVAL, -22);
    }
    assert_int_equal(prof_name_seen.calls, 0);
    assert_int_equal(guest_read_seen.calls, 0);              /* refused before touching memory */
}

static void test_name_cr3_unmapped_is_efault(void **state)
{
    (void)state;
    /* below guest memory, above it, and straddling its end */
    assert_int_equal(name_cr3(0, 0x1000, 0x100, 4), HC_EFAULT);
    assert_int_equal(name_cr3(0, 0x1000, fake_guest_base + sizeof(fake_guest_mem), 1), -14);
    assert_int_equal(name_cr3(0, 0x1000, fake_guest_base + sizeof(fake_guest_mem) - 3, 4), -14);
    assert_int_equal(guest_read_seen.calls, 3);
    assert_int_equal(prof_name_seen.calls, 0);
}

static void test_name_cr3_user_mode_refused(void **state)
{
    (void)state;
    memcpy(fake_guest_mem, "user", 4);
    for (int cpl = 1; cpl <= 3; cpl++)
        assert_int_equal(name_cr3(cpl, 0x1000, fake_guest_base, 4), -1);
    assert_int_equal(guest_read_seen.calls, 0);
    assert_int_equal(prof_name_seen.calls, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_version, setup),
        cmocka_unit_test_setup(test_exit_passes_low_byte_of_ebx, setup),
        cmocka_unit_test_setup(test_yield_ends_slice, setup),
        cmocka_unit_test_setup(test_unknown_is_enosys, setup),
        cmocka_unit_test_setup(test_user_mode_refused, setup),
        cmocka_unit_test_setup(test_name_cr3_records_name, setup),
        cmocka_unit_test_setup(test_name_cr3_table_full_is_enospc, setup),
        cmocka_unit_test_setup(test_name_cr3_64bit_cr3_and_max_len, setup),
        cmocka_unit_test_setup(test_name_cr3_empty_name, setup),
        cmocka_unit_test_setup(test_name_cr3_too_long_is_einval, setup),
        cmocka_unit_test_setup(test_name_cr3_unmapped_is_efault, setup),
        cmocka_unit_test_setup(test_name_cr3_user_mode_refused, setup),
    };
    return cmocka_run_group_tests_name("hv/hypercall.c", tests, NULL, NULL);
}
