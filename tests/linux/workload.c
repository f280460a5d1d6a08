/* workload.c - the user-space workload of the Linux test guest (tests/linux/build-guest.sh).
 *
 * A CPU-bound loop with a known split, the one the multiboot guests profile (guest-stub/
 * gprof.c): func_a, func_b and func_c run the same 3-instruction loop for CHUNK iterations per
 * call, called a b a c a b a c a b per round, so they hold exactly 50 / 30 / 20 % of the loop
 * instructions.  Built static, with frame pointers, so a profiler outside the guest can walk
 * its stack.  Prints one deterministic line, then the TSC ticks the rounds took (for make bench:
 * under Bochs a tick is an instruction, so the difference from a native run is the overhead):
 *   workload: rounds=R acc=<hex>
 *   workload: ticks=T
 * and exits 0.  Usage: workload [ROUNDS] (default 1000); `workload tsc` prints the TSC:
 *   workload: tsc=N */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <x86intrin.h>

#include "spin.h"

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
    if (argc > 1 && !strcmp(argv[1], "tsc")) {
        printf("workload: tsc=%llu\n", (unsigned long long)__rdtsc());
        return 0;
    }
    unsigned long rounds = argc > 1 ? strtoul(argv[1], NULL, 0) : 1000;
    if (rounds == 0 || rounds > 0xFFFFFFFFul) {
        fprintf(stderr, "workload: ROUNDS must be 1..4294967295\n");
        return 2;
    }
    uint64_t t0 = __rdtsc();
    uint32_t acc = run_rounds((uint32_t)rounds);
    uint64_t t1 = __rdtsc();
    printf("workload: rounds=%lu acc=0x%08x\n", rounds, acc);
    printf("workload: ticks=%llu\n", (unsigned long long)(t1 - t0));
    return 0;
}
