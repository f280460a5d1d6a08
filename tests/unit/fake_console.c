/* The console and platform as hv/console.c sees them, recorded in memory. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hv/console.h"
#include "hv/printf.h"
#include "hv/platform.h"
#include "tests/unit/fakes.h"

char console_out[8192];
size_t console_len;

void console_reset(void)
{
    console_len = 0;
    console_out[0] = '\0';
}

void console_write(const char *s, size_t len)
{
    if (len > sizeof(console_out) - 1 - console_len)
        len = sizeof(console_out) - 1 - console_len;
    memcpy(console_out + console_len, s, len);
    console_len += len;
    console_out[console_len] = '\0';
}

/* Only panic() calls it, and no test expects a panic: make it loud and fail the binary. */
void platform_shutdown(int status)
{
    fprintf(stderr, "unexpected platform_shutdown(%d); console:\n%s\n", status, console_out);
    exit(100 + status);
}

uint64_t platform_ticks(void)
{
    return 0;
}
