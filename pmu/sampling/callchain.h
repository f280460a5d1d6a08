/* Call chains from frame pointers: [fp] = caller's fp, [fp + word] = return address (the
 * System V i386 and x86-64 frame layout).  Guest memory is untrusted: every step is bounded,
 * and an unmapped, misaligned, non-increasing (looping) or far-jumping frame pointer ends the
 * chain, never the hypervisor. */
#ifndef PMU_CALLCHAIN_H
#define PMU_CALLCHAIN_H

#include <stdint.h>

#define CALLCHAIN_MAX_FRAME 0x100000ull   /* a frame larger than 1 MiB is garbage */

typedef int (*callchain_read_fn)(void *ctx, uint64_t addr, void *buf, uint64_t len);

/* Writes up to max return addresses into out (innermost first); returns how many. */
int callchain_walk(uint64_t fp, int word64, int max, uint64_t *out, callchain_read_fn read, void *ctx);

#endif
