/* exitbench.c - in-guest cost of VM exits, measured with RDTSC.
 *
 * Three loops of the same shape (two instructions + dec + jnz) run n times:
 *   cpuid     CPUID leaf 0: always exits under VT-x (SDM Vol. 3C, 26.1.2)
 *   io        IN AL,DX from COM1's LSR (0x3FD): exits when I/O is trapped
 *   baseline  the same loop with a NOP in place of the exiting instruction
 * and the line `exitbench: n=N cpuid=T io=T baseline=T` gives ticks per
 * iteration (integer), followed by a line with the totals. */
#include "guest.h"

#define EXITBENCH_DEFAULT_N 2000u
#define COM1_LSR            (COM1_BASE + UART_LSR)

static uint64_t time_cpuid(uint32_t n)
{
    uint32_t a, b, c, d;
    uint64_t t0 = rdtsc();
    __asm__ volatile(
        "1:\n\t"
        "xor %%eax, %%eax\n\t"
        "cpuid\n\t"
        "dec %4\n\t"
        "jnz 1b"
        : "=&a"(a), "=&b"(b), "=&c"(c), "=&d"(d), "+r"(n) : : "cc", "memory");
    return rdtsc() - t0;
}

static uint64_t time_io(uint32_t n)
{
    uint32_t a, d;
    uint64_t t0 = rdtsc();
    __asm__ volatile(
        "1:\n\t"
        "mov %3, %%edx\n\t"
        "in  %%dx, %%al\n\t"
        "dec %2\n\t"
        "jnz 1b"
        : "=&a"(a), "=&d"(d), "+r"(n) : "i"(COM1_LSR) : "cc", "memory");
    return rdtsc() - t0;
}

static uint64_t time_baseline(uint32_t n)
{
    uint32_t a;
    uint64_t t0 = rdtsc();
    __asm__ volatile(
        "1:\n\t"
        "xor %%eax, %%eax\n\t"
        "nop\n\t"
        "dec %1\n\t"
        "jnz 1b"
        : "=&a"(a), "+r"(n) : : "cc", "memory");
    return rdtsc() - t0;
}

/* total / n for n < 2^32 without libgcc's 64-bit division. */
static uint64_t per_iter(uint64_t total, uint32_t n)
{
    uint32_t hi = (uint32_t)(total >> 32), lo = (uint32_t)total;
    uint32_t qhi = hi / n, rem = hi % n, qlo;
    __asm__("divl %4" : "=a"(qlo), "=d"(rem) : "a"(lo), "d"(rem), "rm"(n));
    return ((uint64_t)qhi << 32) | qlo;
}

int main(uint32_t magic, const struct mb_info *mbi)
{
    guest_start("exitbench", magic, mbi);
    uint32_t n = (uint32_t)mb_opt_num("n", EXITBENCH_DEFAULT_N);
    if (!n) {
        printf("exitbench: n must be at least 1\n");
        return 2;
    }
    uart_drain();               /* keep the UART idle while measuring */

    uint64_t cpuid = time_cpuid(n);
    uint64_t io = time_io(n);
    uint64_t base = time_baseline(n);

    printf("exitbench: n=%u cpuid=%llu io=%llu baseline=%llu\n",
           n, per_iter(cpuid, n), per_iter(io, n), per_iter(base, n));
    printf("exitbench: totals cpuid=%llu io=%llu baseline=%llu\n", cpuid, io, base);
    return 0;
}
