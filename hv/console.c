/* The hypervisor console: formatted output to console_write, and panic(). */
#include "hv/console.h"
#include "hv/printf.h"
#include "hv/platform.h"

int hv_printf(const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    int n = hv_vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    console_write(buf, n < (int)sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
    return n;
}

void panic(const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    hv_vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    hv_printf("perfvisor: PANIC: %s\n", buf);
    hv_printf("perfvisor: end status=1\n");
    platform_shutdown(1);
}
