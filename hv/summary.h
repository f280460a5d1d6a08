#ifndef HV_SUMMARY_H
#define HV_SUMMARY_H

#include <stdint.h>

/* Set by the architecture at the first VM entry: the end of boot. */
extern uint64_t hv_first_entry_tsc;
/* TSC ticks the hypervisor idled with every domain asleep in HLT (hv/sched.c). */
extern uint64_t hv_idle_ticks;
/* Set by boot/entry.asm at the loader's handoff. */
extern uint64_t boot_tsc;

/* NMIs the hypervisor took that were not PMU overflows (arch/x86/traps.c). */
extern uint64_t host_nmis_ignored;

/* Prints the per-domain results and returns the run's status: 0 if every domain exited 0. */
int summary_print(void);

#endif
