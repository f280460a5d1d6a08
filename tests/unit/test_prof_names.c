/* pmu/sampling/prof_names.c: per-domain tables of process names (HC_NAME_CR3), so that one domain cannot
 * starve the others of names. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>
#include <string.h>

#include "pmu/sampling/prof_names.h"

static struct prof_names t;

static int setup(void **state)
{
    (void)state;
    memset(&t, 0xA5, sizeof(t));
    prof_names_reset(&t);
    return 0;
}

static int name(int dom, uint64_t cr3, const char *s)
{
    return prof_names_set(&t, dom, cr3, s, (uint32_t)strlen(s));
}

static void test_one_domain_cannot_starve_another(void **state)
{
    (void)state;
    char buf[16];
    for (int i = 0; i < PROF_NAMES_PER_DOMAIN; i++) {
        snprintf(buf, sizeof(buf), "p%d", i);
        assert_int_equal(name(3, 0x1000 * (uint64_t)(i + 1), buf), 0);
    }
    /* the hog's next names are refused, and counted */
    for (int i = 0; i < 1000; i++)
        assert_int_equal(name(3, 0x100000000ull + (uint64_t)i * 0x1000, "more"), HC_ENOSPC);
    assert_int_equal(t.dropped[3], 1000);
    assert_int_equal(t.count[3], PROF_NAMES_PER_DOMAIN);
    /* every other domain still has its whole quota */
    for (int d = 1; d < CAP_MAX_DOMAINS; d++) {
        if (d == 3)
            continue;
        for (int i = 0; i < PROF_NAMES_PER_DOMAIN; i++)
            assert_int_equal(name(d, 0x1000 * (uint64_t)(i + 1), "init"), 0);
        assert_int_equal(name(d, 0xdead000, "one-too-many"), HC_ENOSPC);
        assert_int_equal(t.dropped[d], 1);
    }
}

static void test_renaming_never_needs_room(void **state)
{
    (void)state;
    for (int i = 0; i < PROF_NAMES_PER_DOMAIN; i++)
        assert_int_equal(name(1, 0x1000 * (uint64_t)(i + 1), "old"), 0);
    assert_int_equal(name(1, 0x5000, "sh"), 0);            /* exec: a new name, same CR3 */
    assert_int_equal(t.count[1], PROF_NAMES_PER_DOMAIN);
    assert_int_equal(t.dropped[1], 0);
    assert_string_equal(t.names[1][4].name, "sh");
    assert_int_equal(t.names[1][4].len, 2);
    assert_int_equal(t.names[1][4].pending, 1);
}

static void test_pending_and_mark_all(void **state)
{
    (void)state;
    assert_int_equal(name(2, 0x7000, "init"), 0);
    assert_int_equal(name(5, 0x8000, "sh"), 0);
    t.names[2][0].pending = 0;                              /* sent */
    t.names[5][0].pending = 0;
    prof_names_mark_all(&t);                                /* a new header: send again */
    assert_int_equal(t.names[2][0].pending, 1);
    assert_int_equal(t.names[5][0].pending, 1);
}

static void test_bad_arguments(void **state)
{
    (void)state;
    char longname[HC_NAME_MAX + 2];
    memset(longname, 'x', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = '\0';
    assert_int_equal(name(0, 0x1000, "hv"), HC_EINVAL);              /* 0 is the hypervisor */
    assert_int_equal(name(CAP_MAX_DOMAINS, 0x1000, "x"), HC_EINVAL);
    assert_int_equal(name(1, 0x1000, longname), HC_EINVAL);          /* HC_NAME_MAX + 1 bytes */
    longname[HC_NAME_MAX] = '\0';
    assert_int_equal(name(1, 0x1000, longname), 0);
    assert_int_equal(t.names[1][0].len, HC_NAME_MAX);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_one_domain_cannot_starve_another, setup),
        cmocka_unit_test_setup(test_renaming_never_needs_room, setup),
        cmocka_unit_test_setup(test_pending_and_mark_all, setup),
        cmocka_unit_test_setup(test_bad_arguments, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
