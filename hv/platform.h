/* What generic code needs from the platform (implemented in arch/x86/platform.c). */
#ifndef HV_PLATFORM_H
#define HV_PLATFORM_H

#include <stdint.h>

/* Ends the run: QEMU isa-debug-exit (port 0xF4), Bochs shutdown port, else halt. */
__attribute__((noreturn)) void platform_shutdown(int status);

/* A monotonic cycle counter (the TSC). */
uint64_t platform_ticks(void);

/* Its frequency in kHz, measured (about 10 ms); 0 if it cannot be measured. */
uint64_t platform_tsc_khz(void);

/* Every domain sleeps: wait until the TSC reaches `tsc` (arch/x86/idle.c). */
void platform_idle_until(uint64_t tsc);

#endif
