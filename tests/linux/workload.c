/* workload.c - the user-space workload of the Linux test guest (tests/linux/build-guest.sh).
 *
 * A CPU-bound loop with a known split, the one the multiboot guests profile (guest-stub/
 * gprof.c): func_a, func_b and func_c run the same 3-instruction loop for CHUNK iterations per
 * call, called a b a c a b a c a b per round, so they hold exactly 50 / 30 / 20 % of the loop
 * instructions.  Built static, with frame pointers, so a profiler outside the guest can walk
 * its stack.  Prints one deterministic line:
 *   workload: rounds=R acc=<hex>
 * and exits 0.  Usage: workload [ROUNDS] (default 1000). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define CHUNK 1999u

#define SPIN(acc)                                                              \
    do {                                                                       \
        uint32_t n_ = CHUNK;                                                   \
        __asm__ volatile("1: add %1, %0\n\tdec %1\n\tjnz 1b"                   \
                         : "+r"(acc), "+r"(n_) : : "cc");                      \
    } while (0)

#define PROFILED __attribute__((noinline, noclone, noipa))
PROFILED uint32_t func_a(uint32_t acc) { SPIN(acc); return acc + 1; }
PROFILED uint32_t func_b(uint32_t acc) { SPIN(acc); return acc + 2; }
PROFILED uint32_t func_c(uint32_t acc) { SPIN(acc); return acc + 3; }

PROFILED uint32_t run_rounds(uint32_t rounds)
{
    uint32_t acc = 0;
    for (uint32_t r = 0; r < rounds; r++) {
        acc = func_a(acc); acc = func_b(acc); acc = func_a(acc); acc = func_c(acc);
        acc = func_a(acc); acc = func_b(acc); acc = func_a(acc); acc = func_c(acc);
        acc = func_a(acc); acc = func_b(acc);
    }
    return acc;
}

int main(int argc, char **argv)
{
    unsigned long rounds = argc > 1 ? strtoul(argv[1], NULL, 0) : 1000;
    if (rounds == 0 || rounds > 0xFFFFFFFFul) {
        fprintf(stderr, "workload: ROUNDS must be 1..4294967295\n");
        return 2;
    }
    uint32_t acc = run_rounds((uint32_t)rounds);
    printf("workload: rounds=%lu acc=0x%08x\n", rounds, acc);
    return 0;
}
