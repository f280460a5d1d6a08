/* check.c - PASS/FAIL lines for test guests (check.h). */
#include "check.h"
#include "printf.h"

int check_line(const char *prog, const char *mode, int ok, const char *rule, const char *fmt, va_list ap)
{
    printf("%s: %s %s%s%s", prog, ok ? "PASS" : "FAIL", mode, *mode ? "-" : "", rule);
    if (!ok) {
        printf(": ");
        vprintf(fmt, ap);
    }
    printf("\n");
    return !ok;
}
