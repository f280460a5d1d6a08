/* hv/cmdline.c: key=value lookup in a domain's or the hypervisor's command line. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "hv/cmdline.h"

static void test_get_finds_key_anywhere(void **state)
{
    (void)state;
    char v[32];
    assert_int_equal(cmdline_get("name=hello mem=16 budget=5000", "name", v, sizeof(v)), 1);
    assert_string_equal(v, "hello");
    assert_int_equal(cmdline_get("name=hello mem=16 budget=5000", "mem", v, sizeof(v)), 1);
    assert_string_equal(v, "16");
    assert_int_equal(cmdline_get("name=hello mem=16 budget=5000", "budget", v, sizeof(v)), 1);
    assert_string_equal(v, "5000");
}

static void test_get_absent_leaves_out_alone(void **state)
{
    (void)state;
    char v[8] = "keep";
    assert_int_equal(cmdline_get("name=hello mem=16", "budget", v, sizeof(v)), 0);
    assert_string_equal(v, "keep");
    assert_int_equal(cmdline_get("", "name", v, sizeof(v)), 0);
    assert_int_equal(cmdline_get(NULL, "name", v, sizeof(v)), 0);
    assert_string_equal(v, "keep");
}

static void test_get_last_occurrence_wins(void **state)
{
    (void)state;
    char v[16];
    assert_int_equal(cmdline_get("mem=8 name=a mem=32", "mem", v, sizeof(v)), 1);
    assert_string_equal(v, "32");
    assert_int_equal(cmdline_get("mem=8 mem=", "mem", v, sizeof(v)), 1);
    assert_string_equal(v, "");                 /* an empty last value still wins */
    assert_int_equal(cmdline_get("mem=8 memx=4", "mem", v, sizeof(v)), 1);
    assert_string_equal(v, "8");                /* memx= is another key */
}

static void test_get_key_prefix_of_other_key(void **state)
{
    (void)state;
    char v[16] = "keep";
    assert_int_equal(cmdline_get("memx=4 memory=5", "mem", v, sizeof(v)), 0);
    assert_string_equal(v, "keep");
    assert_int_equal(cmdline_get("mem=4", "memx", v, sizeof(v)), 0);
    assert_int_equal(cmdline_get("xmem=4", "mem", v, sizeof(v)), 0);
}

static void test_get_tokens_without_equals(void **state)
{
    (void)state;
    char v[16] = "keep";
    assert_int_equal(cmdline_get("quiet mem debug", "mem", v, sizeof(v)), 0);
    assert_int_equal(cmdline_get("quiet debug", "quiet", v, sizeof(v)), 0);
    assert_string_equal(v, "keep");
    assert_int_equal(cmdline_get("mem quiet mem=12 debug", "mem", v, sizeof(v)), 1);
    assert_string_equal(v, "12");
}

static void test_get_tabs_and_runs_of_blanks(void **state)
{
    (void)state;
    char v[16];
    assert_int_equal(cmdline_get("\tname=a\t\tmem=24  \t budget=1\t", "mem", v, sizeof(v)), 1);
    assert_string_equal(v, "24");
    assert_int_equal(cmdline_get("\tname=a\t\tmem=24  \t budget=1\t", "budget", v, sizeof(v)), 1);
    assert_string_equal(v, "1");
}

static void test_get_value_keeps_later_equals(void **state)
{
    (void)state;
    char v[16];
    assert_int_equal(cmdline_get("opt=a=b", "opt", v, sizeof(v)), 1);
    assert_string_equal(v, "a=b");
}

static void test_get_truncates_value(void **state)
{
    (void)state;
    char v[8];
    memset(v, 'Z', sizeof(v));
    assert_int_equal(cmdline_get("name=abcdefghijkl mem=1", "name", v, 5), 1);
    assert_string_equal(v, "abcd");
    assert_int_equal(v[5], 'Z');                /* nothing beyond size */
    memset(v, 'Z', sizeof(v));
    assert_int_equal(cmdline_get("name=abc", "name", v, 0), 1);   /* size 0: found, no write */
    assert_int_equal(v[0], 'Z');
}

static void test_parse_decimal_and_hex(void **state)
{
    (void)state;
    uint64_t v = 0;
    assert_int_equal(parse_u64("0", &v), 0);
    assert_int_equal(v, 0);
    assert_int_equal(parse_u64("1234567", &v), 0);
    assert_int_equal(v, 1234567);
    assert_int_equal(parse_u64("0x1F", &v), 0);
    assert_int_equal(v, 0x1F);
    assert_int_equal(parse_u64("0XdeadBEEF", &v), 0);
    assert_int_equal(v, 0xDEADBEEF);
    assert_int_equal(parse_u64("18446744073709551615", &v), 0);
    assert_true(v == UINT64_MAX);
    assert_int_equal(parse_u64("0xffffffffffffffff", &v), 0);
    assert_true(v == UINT64_MAX);
}

static void test_parse_suffixes(void **state)
{
    (void)state;
    uint64_t v = 0;
    assert_int_equal(parse_u64("4k", &v), 0);
    assert_int_equal(v, 4096);
    assert_int_equal(parse_u64("4K", &v), 0);
    assert_int_equal(v, 4096);
    assert_int_equal(parse_u64("16M", &v), 0);
    assert_int_equal(v, 16ull << 20);
    assert_int_equal(parse_u64("3m", &v), 0);
    assert_int_equal(v, 3ull << 20);
    assert_int_equal(parse_u64("2G", &v), 0);
    assert_true(v == 2ull << 30);
    assert_int_equal(parse_u64("0x10k", &v), 0);
    assert_int_equal(v, 16 * 1024);
    assert_int_equal(parse_u64("17179869183G", &v), 0);     /* (2^64-1) >> 30, still fits */
    assert_true(v == 17179869183ull << 30);
    assert_int_equal(parse_u64("0xfG", &v), 0);      /* 'G' is no hex digit: a suffix */
    assert_true(v == 15ull << 30);
}

static void test_parse_overflow(void **state)
{
    (void)state;
    uint64_t v = 77;
    assert_int_equal(parse_u64("18446744073709551616", &v), -1);   /* 2^64 */
    assert_int_equal(parse_u64("0x10000000000000000", &v), -1);
    assert_int_equal(parse_u64("17179869184G", &v), -1);           /* 2^34 << 30 */
    assert_int_equal(parse_u64("18014398509481984k", &v), -1);     /* 2^54 << 10 */
    assert_int_equal(v, 77);
}

static void test_parse_junk_and_empty(void **state)
{
    (void)state;
    uint64_t v = 77;
    assert_int_equal(parse_u64("", &v), -1);
    assert_int_equal(parse_u64("0x", &v), -1);
    assert_int_equal(parse_u64("12abc", &v), -1);
    assert_int_equal(parse_u64("12kb", &v), -1);
    assert_int_equal(parse_u64("12T", &v), -1);
    assert_int_equal(parse_u64("-1", &v), -1);
    assert_int_equal(parse_u64(" 1", &v), -1);
    assert_int_equal(parse_u64("0xfh", &v), -1);
    assert_int_equal(parse_u64("ab", &v), -1);                     /* hex digits need 0x */
    assert_int_equal(v, 77);
}

/* A suffix is a multiplier: with no digits before it there is no number. */
static void test_parse_suffix_without_digits(void **state)
{
    (void)state;
    uint64_t v = 77;
    assert_int_equal(parse_u64("k", &v), -1);
    assert_int_equal(parse_u64("M", &v), -1);
    assert_int_equal(parse_u64("0xG", &v), -1);
    assert_int_equal(v, 77);
}

static void test_get_u64_return_codes(void **state)
{
    (void)state;
    uint64_t v = 77;
    assert_int_equal(cmdline_get_u64("mem=16 budget=1M", "budget", &v), 1);
    assert_int_equal(v, 1 << 20);
    v = 77;
    assert_int_equal(cmdline_get_u64("mem=16", "budget", &v), 0);
    assert_int_equal(v, 77);                    /* absent: the default stays */
    assert_int_equal(cmdline_get_u64("budget=lots", "budget", &v), -1);
    assert_int_equal(cmdline_get_u64("budget=", "budget", &v), -1);
    assert_int_equal(v, 77);
    assert_int_equal(cmdline_get_u64("mem=1 mem=0x20", "mem", &v), 1);
    assert_int_equal(v, 0x20);
}

static const char *const drop[] = { "name", "mem", NULL };

/* cmdline_strip: the listed keys and the prefixed tokens go, the rest is kept in order. */
static void test_strip_keys_and_prefix(void **state)
{
    (void)state;
    char out[64];
    assert_int_equal(cmdline_strip("  k.elf name=a x=1 mem=2 perfvisor.y=3 nam=4 name mem==5 ",
                                   drop, "perfvisor.", out, sizeof(out)), 20);
    assert_string_equal(out, "k.elf x=1 nam=4 name");
    assert_int_equal(cmdline_strip("name=a mem=1", drop, NULL, out, sizeof(out)), 0);
    assert_string_equal(out, "");
    cmdline_strip("", drop, NULL, out, sizeof(out));
    assert_string_equal(out, "");
    cmdline_strip("a=1 perfvisor.b perfvisor.c=2", NULL, NULL, out, sizeof(out));
    assert_string_equal(out, "a=1 perfvisor.b perfvisor.c=2");
}

/* A line longer than the buffer is truncated, never overflows. */
static void test_strip_truncates(void **state)
{
    (void)state;
    char out[8];
    memset(out, 'Z', sizeof(out));
    assert_int_equal(cmdline_strip("name=x abc defgh ij", drop, NULL, out, sizeof(out)), 7);
    assert_string_equal(out, "abc def");
    assert_int_equal(cmdline_strip("abcdef g", drop, NULL, out, sizeof(out)), 6);
    assert_string_equal(out, "abcdef");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_get_finds_key_anywhere),
        cmocka_unit_test(test_get_absent_leaves_out_alone),
        cmocka_unit_test(test_get_last_occurrence_wins),
        cmocka_unit_test(test_get_key_prefix_of_other_key),
        cmocka_unit_test(test_get_tokens_without_equals),
        cmocka_unit_test(test_get_tabs_and_runs_of_blanks),
        cmocka_unit_test(test_get_value_keeps_later_equals),
        cmocka_unit_test(test_get_truncates_value),
        cmocka_unit_test(test_parse_decimal_and_hex),
        cmocka_unit_test(test_parse_suffixes),
        cmocka_unit_test(test_parse_overflow),
        cmocka_unit_test(test_parse_junk_and_empty),
        cmocka_unit_test(test_parse_suffix_without_digits),
        cmocka_unit_test(test_get_u64_return_codes),
        cmocka_unit_test(test_strip_keys_and_prefix),
        cmocka_unit_test(test_strip_truncates),
    };
    return cmocka_run_group_tests_name("hv/cmdline.c", tests, NULL, NULL);
}
