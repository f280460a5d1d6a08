#ifndef ARCH_X86_VMX_EXIT_VPMU_H
#define ARCH_X86_VMX_EXIT_VPMU_H

#include <stdint.h>

struct vcpu;

/* RDMSR/WRMSR of the virtual PMU's MSRs (pmu_msrs[]): 0 done, -1 inject #GP, 1 not one of
 * these MSRs. */
int vpmu_msr_access(struct vcpu *v, uint32_t msr, int write, uint64_t *value);

/* RDMSR/WRMSR of the x2APIC MSRs and IA32_APIC_BASE (exit_apic.c): the same results. */
int apic_msr_access(struct vcpu *v, uint32_t msr, int write, uint64_t *value);

#endif
