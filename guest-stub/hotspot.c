/* hotspot.c - a guest with a known profile, for checking the profiler.
 *
 * main -> run_rounds -> { spin_heavy, spin_light } with fixed instruction
 * counts: each round runs spin_heavy for 3 * unit and spin_light for 1 * unit
 * iterations of the same 3-instruction loop, so samples taken by instructions
 * retired split about 75% / 25% between the two leaves, all under
 * run_rounds.  Built with frame pointers, so stacks can be walked.
 * Options: rounds=N (default 40), unit=N (default 100000). */
#include "guest.h"

#define HOTSPOT_DEFAULT_ROUNDS 40u
#define HOTSPOT_DEFAULT_UNIT   100000u

/* n iterations of: add, dec, jnz (3 instructions each). */
static inline uint32_t spin(uint32_t n, uint32_t acc)
{
    if (!n)
        return acc;
    __asm__ volatile("1: add %1, %0\n\tdec %1\n\tjnz 1b" : "+r"(acc), "+r"(n) : : "cc");
    return acc;
}

uint32_t __attribute__((noinline)) spin_heavy(uint32_t unit, uint32_t acc)
{
    return spin(3 * unit, acc);
}

uint32_t __attribute__((noinline)) spin_light(uint32_t unit, uint32_t acc)
{
    return spin(unit, acc);
}

uint32_t __attribute__((noinline)) run_rounds(uint32_t rounds, uint32_t unit)
{
    uint32_t acc = 0;
    for (uint32_t r = 0; r < rounds; r++) {
        acc = spin_heavy(unit, acc);
        acc = spin_light(unit, acc);
    }
    return acc;
}

int main(uint32_t magic, const struct mb_info *mbi)
{
    guest_start("hotspot", magic, mbi);
    uint32_t rounds = (uint32_t)mb_opt_num("rounds", HOTSPOT_DEFAULT_ROUNDS);
    uint32_t unit = (uint32_t)mb_opt_num("unit", HOTSPOT_DEFAULT_UNIT);

    printf("hotspot: spin_heavy=%p spin_light=%p run_rounds=%p\n",
           (void *)spin_heavy, (void *)spin_light, (void *)run_rounds);
    uint64_t t0 = rdtsc();
    uint32_t acc = run_rounds(rounds, unit);
    uint64_t t1 = rdtsc();
    printf("hotspot: rounds=%u unit=%u acc=%08x ticks=%llu\n", rounds, unit, acc, t1 - t0);
    return 0;
}
