/* compute.c - a CPU-bound, deterministic workload for native-vs-virtualized
 * comparisons (`make bench` parses the `compute:` line).
 *
 * The loop is written in assembly so that its instruction count does not
 * depend on the compiler: exactly COMPUTE_INSNS_PER_ITER instructions per
 * iteration, register-only, no memory access, no I/O, no exits.  In Bochs
 * (one TSC tick per instruction) ticks = 12 * iters + a constant. */
#include "guest.h"

#define COMPUTE_INSNS_PER_ITER 12
#define COMPUTE_DEFAULT_ITERS  4000000u     /* ~48 M instructions */

/* xorshift32 (Marsaglia 2003) of x, summed into a checksum. */
static uint32_t __attribute__((noinline)) compute_loop(uint32_t iters)
{
    uint32_t x = 2463534242u, sum = 0, tmp;
    if (!iters)
        return 0;
    __asm__ volatile(
        "1:\n\t"
        "mov  %0, %2\n\t"   /* x ^= x << 13 */
        "shl  $13, %2\n\t"
        "xor  %2, %0\n\t"
        "mov  %0, %2\n\t"   /* x ^= x >> 17 */
        "shr  $17, %2\n\t"
        "xor  %2, %0\n\t"
        "mov  %0, %2\n\t"   /* x ^= x << 5 */
        "shl  $5, %2\n\t"
        "xor  %2, %0\n\t"
        "add  %0, %1\n\t"   /* sum += x */
        "dec  %3\n\t"
        "jnz  1b"
        : "+r"(x), "+r"(sum), "=&r"(tmp), "+r"(iters)
        :
        : "cc");
    return sum ^ x;
}

int main(uint32_t magic, const struct mb_info *mbi)
{
    guest_start("compute", magic, mbi);
    uint32_t iters = (uint32_t)mb_opt_num("iters", COMPUTE_DEFAULT_ITERS);

    uint64_t t0 = rdtsc();
    uint32_t checksum = compute_loop(iters);
    uint64_t t1 = rdtsc();

    printf("compute: iters=%u checksum=%08x ticks=%llu\n", iters, checksum, t1 - t0);
    return 0;
}
