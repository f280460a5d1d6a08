#ifndef HV_SCHED_H
#define HV_SCHED_H

#include <stdint.h>

#define SCHED_DEFAULT_SLICE 10000000ull   /* TSC ticks: 10 M = 0.1 s in Bochs, ~3 ms at 3 GHz */

/* Round-robin over the running domains until none is left. */
void sched_run(uint64_t slice);

#endif
