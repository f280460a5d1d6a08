/* div64.h - 64-bit division without libgcc (header only: guests that do not
 * include it are unchanged).  There is no 32-bit libgcc on these machines, so
 * `/` and `%` on uint64_t do not link; these do. */
#ifndef GUEST_DIV64_H
#define GUEST_DIV64_H

#include <stdint.h>

/* n / d by shift and subtract; *rem (if not NULL) gets n % d.  d != 0. */
static inline uint64_t udiv64(uint64_t n, uint64_t d, uint64_t *rem)
{
    uint64_t q = 0, r = 0;
    for (int i = 63; i >= 0; i--) {
        r = (r << 1) | ((n >> i) & 1);
        if (r >= d) {
            r -= d;
            q |= 1ull << i;
        }
    }
    if (rem)
        *rem = r;
    return q;
}

/* part / total in hundredths of a percent, rounded to nearest: print it as
 * "%u.%02u%%" with pct / 100 and pct % 100.  total != 0, part <= total. */
static inline uint32_t pct_x100(uint64_t part, uint64_t total)
{
    return (uint32_t)udiv64(part * 10000 + total / 2, total, 0);
}

#endif
