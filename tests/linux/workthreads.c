/* workthreads.c - two threads of one process for the Linux test guest (tests/linux/build-guest.sh):
 * the main thread runs main_spin, a second thread thread_spin, the same CPU-bound loop the same
 * number of rounds, at once on one vCPU (the kernel switches between them at its ticks).  A
 * profiler outside the guest must give each function to its own thread: the threads share the
 * address space, so CR3 alone cannot tell them apart (issue #10).  Built static, with frame
 * pointers.  Prints "workthreads: rounds=R acc=<hex> <hex>" and exits 0.
 * Usage: workthreads [ROUNDS] (default 1000; a round is ~20,000 instructions a thread). */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "spin.h"

PROFILED uint32_t main_spin(uint32_t acc) { SPIN(acc); return acc + 1; }
PROFILED uint32_t thread_spin(uint32_t acc) { SPIN(acc); return acc + 2; }

static uint32_t rounds;

static void *thread_main(void *arg)
{
    uint32_t acc = 0;
    for (uint32_t r = 0; r < rounds; r++)
        for (int i = 0; i < 3; i++)
            acc = thread_spin(acc);
    *(uint32_t *)arg = acc;
    return NULL;
}

int main(int argc, char **argv)
{
    unsigned long n = argc > 1 ? strtoul(argv[1], NULL, 0) : 1000;
    if (n == 0 || n > 0xFFFFFFFFul) {
        fprintf(stderr, "workthreads: ROUNDS must be 1..4294967295\n");
        return 2;
    }
    rounds = (uint32_t)n;
    pthread_t t;
    uint32_t other = 0, acc = 0;
    if (pthread_create(&t, NULL, thread_main, &other)) {
        fprintf(stderr, "workthreads: pthread_create failed\n");
        return 1;
    }
    for (uint32_t r = 0; r < rounds; r++)
        for (int i = 0; i < 3; i++)
            acc = main_spin(acc);
    pthread_join(t, NULL);
    printf("workthreads: rounds=%lu acc=0x%08x 0x%08x\n", n, acc, other);
    return 0;
}
