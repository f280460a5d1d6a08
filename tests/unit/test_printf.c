/* hv/printf.c: hv_snprintf, the formatter behind every hypervisor message. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "hv/printf.h"

/* Formats into a large buffer; checks the text and that the return value is its length. */
#define CHECK_FMT(expect, ...) do { \
        char buf_[256]; \
        memset(buf_, 'Z', sizeof(buf_)); \
        int n_ = hv_snprintf(buf_, sizeof(buf_), __VA_ARGS__); \
        assert_string_equal(buf_, expect); \
        assert_int_equal(n_, strlen(expect)); \
    } while (0)

/* The same through a call gcc does not format-check: for the formats that are deliberately
 * odd (NULL %s, '0' with %s, a trailing '%') and that -Wformat would refuse. */
static int unchecked_snprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = hv_vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}

#define CHECK_ODD(expect, ...) do { \
        char buf_[256]; \
        memset(buf_, 'Z', sizeof(buf_)); \
        int n_ = unchecked_snprintf(buf_, sizeof(buf_), __VA_ARGS__); \
        assert_string_equal(buf_, expect); \
        assert_int_equal(n_, strlen(expect)); \
    } while (0)

static void test_signed_decimal(void **state)
{
    (void)state;
    CHECK_FMT("0", "%d", 0);
    CHECK_FMT("-42", "%d", -42);
    CHECK_FMT("2147483647 -2147483648", "%d %i", INT32_MAX, INT32_MIN);
    CHECK_FMT("-9223372036854775808", "%ld", (long)INT64_MIN);
    CHECK_FMT("-1", "%ld", -1L);
}

static void test_unsigned_and_hex(void **state)
{
    (void)state;
    CHECK_FMT("4294967295", "%u", 0xFFFFFFFFu);
    CHECK_FMT("deadbeef DEADBEEF", "%x %X", 0xDEADBEEFu, 0xDEADBEEFu);
    CHECK_FMT("0", "%x", 0u);
    CHECK_FMT("123456789abcdef0", "%lx", 0x123456789ABCDEF0ul);
    CHECK_FMT("ffffffffffffffff", "%lx", UINT64_MAX);
    CHECK_FMT("18446744073709551615", "%lu", UINT64_MAX);
    CHECK_FMT("1000", "%zx", (size_t)0x1000);
    /* without l, only the int-sized argument counts */
    CHECK_FMT("ffffffff", "%x", -1);
}

static void test_pointer(void **state)
{
    (void)state;
    CHECK_FMT("0xb8000", "%p", (void *)0xB8000);
    CHECK_FMT("0xffff800000001000", "%p", (void *)0xFFFF800000001000ul);
    CHECK_FMT("0x0", "%p", (void *)0);
}

static void test_strings_and_chars(void **state)
{
    (void)state;
    CHECK_FMT("hello world", "%s %s", "hello", "world");
    CHECK_ODD("(null)", "%s", (const char *)NULL);
    CHECK_FMT("", "%s", "");
    CHECK_FMT("A-z", "%c-%c", 'A', 'z');
    CHECK_FMT("100%", "100%%");
    CHECK_FMT("[  x] [x  ]", "[%3c] [%-3c]", 'x', 'x');
}

static void test_string_precision(void **state)
{
    (void)state;
    CHECK_FMT("hel", "%.*s", 3, "hello");
    CHECK_FMT("", "%.*s", 0, "hello");
    CHECK_FMT("hello", "%.*s", 10, "hello");
    CHECK_FMT("he", "%.2s", "hello");
    /* the line need not be NUL-terminated: precision stops the read */
    static const char unterminated[4] = { 'a', 'b', 'c', 'd' };
    CHECK_FMT("abcd|", "%.*s|", 4, unterminated);
    CHECK_FMT("[   ab]", "[%5.2s]", "abc");
    CHECK_ODD("(nu", "%.3s", (const char *)NULL);
}

static void test_width_and_flags(void **state)
{
    (void)state;
    CHECK_FMT("[   42]", "[%5d]", 42);
    CHECK_FMT("[00042]", "[%05d]", 42);
    CHECK_FMT("[42   ]", "[%-5d]", 42);
    CHECK_ODD("[42   ]", "[%-05d]", 42);      /* '-' wins over '0' */
    CHECK_FMT("[  -42]", "[%5d]", -42);
    CHECK_FMT("[-0042]", "[%05d]", -42);      /* the sign goes before the zeros */
    CHECK_FMT("[-42  ]", "[%-5d]", -42);
    CHECK_FMT("[0000beef]", "[%08x]", 0xBEEFu);
    CHECK_FMT("[00000000cafef00d]", "[%016lx]", 0xCAFEF00Dul);
    CHECK_FMT("[123456]", "[%3d]", 123456);   /* a width never truncates */
    CHECK_FMT("[   ab]", "[%5s]", "ab");
    CHECK_FMT("[ab   ]", "[%-5s]", "ab");
    CHECK_ODD("[   ab]", "[%05s]", "ab");     /* strings pad with spaces */
    CHECK_ODD("0x00001000", "%08p", (void *)0x1000);
}

static void test_unknown_conversion_and_trailing_percent(void **state)
{
    (void)state;
    CHECK_ODD("%q", "%q");
    CHECK_ODD("abc", "abc%");
}

static void test_truncation_returns_full_length(void **state)
{
    (void)state;
    char buf[8];
    memset(buf, 'Z', sizeof(buf));
    int n = hv_snprintf(buf, sizeof(buf), "value=%d!", 123456);
    assert_int_equal(n, 13);                       /* "value=123456!" */
    assert_string_equal(buf, "value=1");           /* 7 chars + NUL */

    memset(buf, 'Z', sizeof(buf));
    n = hv_snprintf(buf, sizeof(buf), "%s", "1234567");
    assert_int_equal(n, 7);
    assert_string_equal(buf, "1234567");           /* exactly fits */

    memset(buf, 'Z', sizeof(buf));
    n = hv_snprintf(buf, 1, "%x", 0xABCu);
    assert_int_equal(n, 3);
    assert_int_equal(buf[0], '\0');
    assert_int_equal(buf[1], 'Z');                 /* nothing beyond size written */
}

static void test_size_zero_writes_nothing(void **state)
{
    (void)state;
    char buf[4] = { 'Z', 'Z', 'Z', 'Z' };
    assert_int_equal(hv_snprintf(buf, 0, "%s-%d", "abc", 12), 6);
    assert_memory_equal(buf, "ZZZZ", 4);
    assert_int_equal(hv_snprintf(NULL, 0, "%lu", 1000000ul), 7);
}

static void test_nul_terminated_output(void **state)
{
    (void)state;
    char buf[16];
    memset(buf, 'Z', sizeof(buf));
    assert_int_equal(hv_snprintf(buf, sizeof(buf), "ab"), 2);
    assert_memory_equal(buf, "ab\0ZZ", 5);
    memset(buf, 'Z', sizeof(buf));
    assert_int_equal(unchecked_snprintf(buf, sizeof(buf), ""), 0);
    assert_int_equal(buf[0], '\0');
}

static void test_mixed_arguments(void **state)
{
    (void)state;
    char buf[64];
    int n = unchecked_snprintf(buf, sizeof(buf), "%s:%lx:%d:%c:%u", "cr3", 0x1000ul, -7, 'k', 9u);
    assert_string_equal(buf, "cr3:1000:-7:k:9");
    assert_int_equal(n, 15);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_signed_decimal),
        cmocka_unit_test(test_unsigned_and_hex),
        cmocka_unit_test(test_pointer),
        cmocka_unit_test(test_strings_and_chars),
        cmocka_unit_test(test_string_precision),
        cmocka_unit_test(test_width_and_flags),
        cmocka_unit_test(test_unknown_conversion_and_trailing_percent),
        cmocka_unit_test(test_truncation_returns_full_length),
        cmocka_unit_test(test_size_zero_writes_nothing),
        cmocka_unit_test(test_nul_terminated_output),
        cmocka_unit_test(test_mixed_arguments),
    };
    return cmocka_run_group_tests_name("hv/printf.c", tests, NULL, NULL);
}
