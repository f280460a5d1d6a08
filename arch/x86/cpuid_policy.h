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

/* The CR4 bits a guest whose CPUID leaves 1 and 7.0 (after cpuid_policy) are these may not set:
 * reserved bits and bits of features it is not offered (PKE, CET, LA57, UINTR, VMXE, OSXSAVE,
 * ...).  The hypervisor owns them (CR4 guest/host mask): MOV to CR4 setting one is #GP. */
#define CR4_MCE_BIT (1ull << 6)        /* machine-check enable */
#define CR4_PCE_BIT (1ull << 8)        /* performance-monitoring counter enable */
uint64_t cpuid_cr4_guest_reserved(const struct cpuid_regs *leaf1, const struct cpuid_regs *leaf7);

#endif
