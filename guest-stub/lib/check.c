/* check.c - PASS/FAIL lines for test guests (check.h). */
#include <stdarg.h>
#include "check.h"
#include "printf.h"

static const char *prog = "check";
static int failures;

void check_begin(const char *name)
{
    prog = name;
    failures = 0;
}

static void line(int ok, const char *mode, const char *rule, const char *fmt, va_list ap)
{
    printf("%s: %s %s%s%s", prog, ok ? "PASS" : "FAIL", mode, *mode ? "-" : "", rule);
    if (!ok) {
        failures++;
        printf(": ");
        vprintf(fmt, ap);
    }
    printf("\n");
}

void check(int ok, const char *rule, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    line(ok, "", rule, fmt, ap);
    va_end(ap);
}

void check_mode(int ok, const char *mode, const char *rule, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    line(ok, mode, rule, fmt, ap);
    va_end(ap);
}

int check_summary(void)
{
    printf("%s: %d failure(s)\n", prog, failures);
    return failures;
}
