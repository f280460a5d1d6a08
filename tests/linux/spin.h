/* spin.h - the loop the Linux test guest's workloads are made of (workload.c, workthreads.c):
 * SPIN runs CHUNK iterations of add/dec/jnz, 3 instructions each, so a function made of it has
 * an exactly known instruction count; PROFILED keeps such a function a function of its own. */
#ifndef PV_TEST_SPIN_H
#define PV_TEST_SPIN_H

#include <stdint.h>

#define CHUNK 1999u

#define SPIN(acc)                                                              \
    do {                                                                       \
        uint32_t n_ = CHUNK;                                                   \
        __asm__ volatile("1: add %1, %0\n\tdec %1\n\tjnz 1b"                   \
                         : "+r"(acc), "+r"(n_) : : "cc");                      \
    } while (0)

#define PROFILED __attribute__((noinline, noclone, noipa))

#endif
