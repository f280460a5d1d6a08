/* What CPUID tells a guest: the host's answer, minus what perfvisor does not virtualize. */
#ifndef ARCH_X86_CPUID_POLICY_H
#define ARCH_X86_CPUID_POLICY_H

#include <stdint.h>
#include "arch/x86/cpu.h"

#define CPUID_HV_LEAF_BASE 0x40000000u   /* hypervisor leaves (signature "perfvisor") */
#define CPUID_HV_LEAF_MAX  0x40000000u

/* Rewrites r, the hardware's answer to (leaf, subleaf), into the guest's; apic_id is the
 * vCPU's initial APIC ID. */
void cpuid_policy(uint32_t leaf, uint32_t subleaf, uint32_t apic_id, struct cpuid_regs *r);

#endif
