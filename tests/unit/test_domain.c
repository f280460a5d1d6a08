/* hv/domain.c: domain configuration from its command line, exit and stop, console lines. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "hv/domain.h"
#include "tests/unit/fakes.h"

#define MiB (1ull << 20)

static struct domain d;
static char err[128];

static int configure(int id, const char *cmdline)
{
    memset(err, 0, sizeof(err));
    return domain_configure(&d, id, cmdline, err, sizeof(err));
}

static void test_defaults(void **state)
{
    (void)state;
    memset(&d, 0x77, sizeof(d));
    assert_int_equal(configure(4, "hello.elf"), 0);
    assert_int_equal(d.id, 4);
    assert_string_equal(d.name, "dom4");
    assert_int_equal(d.mem_size, 16 * MiB);
    assert_int_equal(d.budget, 0);
    assert_int_equal(d.state, DOMAIN_RUNNING);
    assert_string_equal(d.cmdline, "hello.elf");
    assert_ptr_equal(d.vcpu.dom, &d);
    assert_int_equal(d.ignored_io, 0);
    assert_int_equal(d.uart.lcr, 0x03);                    /* the UART was reset */
    assert_int_equal(d.uart.len, 0);
    assert_string_equal(err, "");
}

static void test_name_mem_budget(void **state)
{
    (void)state;
    assert_int_equal(configure(1, "x.elf name=compute mem=64 budget=0x1000"), 0);
    assert_string_equal(d.name, "compute");
    assert_int_equal(d.mem_size, 64 * MiB);
    assert_int_equal(d.budget, 0x1000);
    assert_int_equal(configure(2, "budget=5M"), 0);
    assert_int_equal(d.budget, 5 * MiB);
}

/* The guest's command line is the module's without perfvisor's keys (name=, mem=, budget=,
 * vpmu=, perfvisor.*): a kernel written for QEMU takes unknown words as its own arguments. */
static void test_guest_cmdline_without_perfvisor_keys(void **state)
{
    (void)state;
    assert_int_equal(configure(1, "x.elf name=k mem=32 status=3 budget=9 vpmu=off "
                                  "perfvisor.module-of=1 names=keep  memo=keep\titers=5"), 0);
    assert_string_equal(d.cmdline, "x.elf status=3 names=keep memo=keep iters=5");
    assert_string_equal(d.name, "k");
    assert_int_equal(d.mem_size, 32 * MiB);
    assert_int_equal(d.vpmu_enabled, 0);
}

static void test_empty_name_falls_back(void **state)
{
    (void)state;
    assert_int_equal(configure(12, "name= mem=4"), 0);
    assert_string_equal(d.name, "dom12");
}

static void test_long_name_and_cmdline_truncated(void **state)
{
    (void)state;
    char cl[DOMAIN_CMDLINE_MAX + 40];
    memset(cl, 'a', sizeof(cl) - 1);
    cl[sizeof(cl) - 1] = '\0';
    memcpy(cl, "name=", 5);
    assert_int_equal(configure(1, cl), 0);
    assert_int_equal(strlen(d.name), DOMAIN_NAME_MAX - 1);
    assert_string_equal(d.cmdline, "");                    /* name= is not the guest's */
    memcpy(cl, "opt=", 4);
    assert_int_equal(configure(1, cl), 0);
    assert_int_equal(strlen(d.cmdline), DOMAIN_CMDLINE_MAX - 1);
}

static void test_mem_rounds_up_to_2mib(void **state)
{
    (void)state;
    assert_int_equal(configure(1, "mem=3"), 0);
    assert_int_equal(d.mem_size, 4 * MiB);
    assert_int_equal(configure(1, "mem=2"), 0);
    assert_int_equal(d.mem_size, 2 * MiB);
    assert_int_equal(configure(1, "mem=17"), 0);
    assert_int_equal(d.mem_size, 18 * MiB);
    assert_int_equal(configure(1, "mem=3072"), 0);
    assert_int_equal(d.mem_size, 3072 * MiB);
}

static void test_mem_out_of_range(void **state)
{
    (void)state;
    const char *bad[] = { "mem=1", "mem=0", "mem=3073", "mem=16M", "mem=lots", "mem=" };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(configure(1, bad[i]), -1);
        assert_string_equal(err, "mem= must be a size in MiB between 2 and 3072");
    }
}

static void test_budget_parse_error(void **state)
{
    (void)state;
    assert_int_equal(configure(1, "mem=8 budget=soon"), -1);
    assert_string_equal(err, "budget= must be a number of TSC ticks");
    assert_int_equal(configure(1, "budget=99999999999999999999"), -1);    /* > 2^64 */
    assert_string_equal(err, "budget= must be a number of TSC ticks");
}

static void test_console_line_tag(void **state)
{
    (void)state;
    assert_int_equal(configure(7, "name=bench"), 0);
    console_reset();
    domain_console_line(&d, "result: 42 and more", 10);
    assert_string_equal(console_out, "[7:bench] result: 42\n");
}

static void test_stop_then_exit_ignored(void **state)
{
    (void)state;
    assert_int_equal(configure(2, "name=bad"), 0);
    console_reset();
    domain_stop(&d, "budget of %lu ticks used up", 5000ul);
    assert_int_equal(d.state, DOMAIN_STOPPED);
    assert_string_equal(d.stop_reason, "budget of 5000 ticks used up");
    assert_string_equal(console_out, "perfvisor: domain 2 (bad) stopped: budget of 5000 ticks used up\n");
    domain_exit(&d, 0, "");
    assert_int_equal(d.state, DOMAIN_STOPPED);
    domain_stop(&d, "again");
    assert_string_equal(d.stop_reason, "budget of 5000 ticks used up");
}

static void test_exit_message(void **state)
{
    (void)state;
    assert_int_equal(configure(5, "name=hi"), 0);
    console_reset();
    domain_exit(&d, 3, " (hlt)");
    assert_int_equal(d.state, DOMAIN_EXITED);
    assert_int_equal(d.exit_status, 3);
    assert_string_equal(console_out, "perfvisor: domain 5 (hi) exited with status 3 (hlt)\n");
}

static void test_gpa_ptr_bounds(void **state)
{
    (void)state;
    assert_int_equal(configure(1, "mem=2"), 0);
    d.mem_host = 0x40000000;
    assert_int_equal((uintptr_t)domain_gpa_ptr(&d, 0, 2 * MiB), 0x40000000);
    assert_int_equal((uintptr_t)domain_gpa_ptr(&d, 0x1000, 16), 0x40001000);
    assert_null(domain_gpa_ptr(&d, 2 * MiB - 8, 16));
    assert_null(domain_gpa_ptr(&d, 2 * MiB + 1, 0));
    assert_null(domain_gpa_ptr(&d, 16, UINT64_MAX));          /* no wrap-around */
    assert_int_equal((uintptr_t)domain_gpa_ptr(&d, 2 * MiB, 0), 0x40200000);
}

static void test_exit_ends_profile_once(void **state)
{
    (void)state;
    assert_int_equal(configure(3, "name=p"), 0);
    prof_fake_reset();
    console_reset();
    domain_exit(&d, 0, "");
    assert_int_equal(prof_end_seen.calls, 1);
    assert_ptr_equal(prof_end_seen.d, &d);
    domain_exit(&d, 1, "");                                  /* already ended: ignored */
    domain_stop(&d, "late");
    assert_int_equal(prof_end_seen.calls, 1);
    assert_int_equal(d.exit_status, 0);
}

static void test_stop_ends_profile_once(void **state)
{
    (void)state;
    assert_int_equal(configure(6, "name=q"), 0);
    prof_fake_reset();
    console_reset();
    domain_stop(&d, "triple fault");
    assert_int_equal(prof_end_seen.calls, 1);
    assert_ptr_equal(prof_end_seen.d, &d);
    domain_stop(&d, "again");
    domain_exit(&d, 2, "");
    assert_int_equal(prof_end_seen.calls, 1);
    assert_int_equal(d.state, DOMAIN_STOPPED);
}

static void test_configure_does_not_end_profile(void **state)
{
    (void)state;
    prof_fake_reset();
    assert_int_equal(configure(1, "mem=4"), 0);
    assert_int_equal(configure(1, "mem=1"), -1);
    assert_int_equal(prof_end_seen.calls, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_name_mem_budget),
        cmocka_unit_test(test_empty_name_falls_back),
        cmocka_unit_test(test_long_name_and_cmdline_truncated),
        cmocka_unit_test(test_guest_cmdline_without_perfvisor_keys),
        cmocka_unit_test(test_mem_rounds_up_to_2mib),
        cmocka_unit_test(test_mem_out_of_range),
        cmocka_unit_test(test_budget_parse_error),
        cmocka_unit_test(test_console_line_tag),
        cmocka_unit_test(test_stop_then_exit_ignored),
        cmocka_unit_test(test_exit_message),
        cmocka_unit_test(test_gpa_ptr_bounds),
        cmocka_unit_test(test_exit_ends_profile_once),
        cmocka_unit_test(test_stop_ends_profile_once),
        cmocka_unit_test(test_configure_does_not_end_profile),
    };
    return cmocka_run_group_tests_name("hv/domain.c", tests, NULL, NULL);
}
