#ifndef HV_SCHED_H
#define HV_SCHED_H

#include <stdint.h>
#include "perfvisor/limits.h"

#define SCHED_DEFAULT_SLICE PV_DEFAULT_SLICE   /* include/perfvisor/limits.h */

/* Round-robin over the running domains until none is left. */
void sched_run(uint64_t slice);

#endif
