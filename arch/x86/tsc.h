/* The TSC frequency (arch/x86/tsc.c); platform_tsc_khz (hv/platform.h) is the generic entry. */
#ifndef ARCH_X86_TSC_H
#define ARCH_X86_TSC_H

#include <stdint.h>
#include "arch/x86/cpu.h"

/* Pure (host-tested): kHz from CPUID leaves 15H and 16H (max_leaf = CPUID.0:EAX; leaves above
 * it are ignored), or 0 when they do not enumerate it. */
uint64_t tsc_khz_from_cpuid(uint32_t max_leaf, const struct cpuid_regs *l15,
                            const struct cpuid_regs *l16);
/* Where platform_tsc_khz's value came from: "CPUID 15H", "CPUID 16H", "PIT channel 2", ... */
const char *tsc_khz_source(void);

#endif
