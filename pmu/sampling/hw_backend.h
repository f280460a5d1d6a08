/* Glue between the profiler and the hardware PMU backend (pmu/sampling/hw_backend.c). */
#ifndef PMU_HW_BACKEND_H
#define PMU_HW_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#include "pmu/sampling/hw_pmu.h"

/* MSR and CPUID access on the CPU itself (rdmsr_safe, wrmsr_safe, cpuid_count), for the
 * hwpmu_* functions: the sampling backend's and the vPMU's hardware backend (vpmu=hw). */
extern const struct hwpmu_ops hwpmu_cpu_ops;

int hw_backend_probe(char *why, size_t len);           /* 1: a usable architectural PMU */
int hw_backend_check(int event, uint64_t period, char *why, size_t len);
/* Routes PMIs to NMI (the LVTPC read back) and starts counter 0; 0, or -1 with why. */
int hw_backend_start(char *why, size_t len);
void hw_backend_stop(void);
int hw_backend_overflowed(void);                       /* an NMI was this PMU's overflow */
void prof_sample_hypervisor(uint64_t rip);             /* from the host NMI handler */

#endif
