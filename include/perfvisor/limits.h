/* perfvisor's limits, defined once: the hypervisor enforces them at boot, and the host tool
 * checks the same numbers before it starts an emulator, so a mistake is reported at once
 * instead of after a whole boot.  Freestanding; documented in docs/guests.md ("Limits"). */
#ifndef PERFVISOR_LIMITS_H
#define PERFVISOR_LIMITS_H

#define PV_STR_(x) #x
#define PV_STR(x)  PV_STR_(x)              /* a limit in a message: PV_STR(PV_MAX_DOMAINS) */

#define PV_MAX_DOMAINS      15          /* domain ids 1..15; 0 is the hypervisor */
#define PV_MAX_GRUB_MODULES 32          /* guests and their multiboot modules, together */

#define PV_MIN_MEM_MIB      2           /* a domain's mem= */
#define PV_MAX_MEM_MIB      3072        /* guest memory stays below the 4 GiB MMIO hole */
#define PV_DEFAULT_MEM_MIB  16
#define PV_BOCHS_MAX_MEGS   2048        /* Bochs 2.7 refuses more ("host_size ... 1 to 2048") */

/* slice=: below this a round of the scheduler costs more than the guests get done */
#define PV_MIN_SLICE        10000ull
#define PV_DEFAULT_SLICE    10000000ull /* TSC ticks: 10 M = 0.1 s in Bochs, ~3 ms at 3 GHz */

/* Sampling: period= (and each randomised period, period - jitter) at least this many events,
 * below which the sampler would be most of the machine. */
#define PV_MIN_PERIOD       1000ull
/* The hardware backend counts at every CPL, the hypervisor's own exit path included: a period
 * shorter than that path (a VM exit and entry, the sample, a 32-frame call chain: a few thousand
 * cycles on current Intel cores) would overflow again before the guest runs, a livelock.  This
 * bound keeps the guest at least about half of the CPU in the worst case (issue #13 item 1). */
#define PV_MIN_HW_PERIOD    20000ull
#define PV_MAX_PERIOD       (1ull << 48)
#define PV_MAX_RING         (1u << 20)  /* ring=: samples a domain's ring holds */
#define PV_MAX_CALLCHAIN    32          /* callchain=: frames, CAP_MAX_CHAIN */

/* A guest kernel loads at or above this guest-physical address: below it are the multiboot
 * information (0x6000) and the initial stack. */
#define PV_GUEST_LOW_END    0x8000ull

#endif
