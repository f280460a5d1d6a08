/* struct vmx_caps from the VMX capability MSRs through a reader (vmx_caps.c): the CPU's in
 * vmx_probe.c, recorded ones in the host tests. */
#ifndef ARCH_X86_VMX_VMX_CAPS_H
#define ARCH_X86_VMX_VMX_CAPS_H

#include <stddef.h>
#include <stdint.h>

#include "arch/x86/vmx/vmx.h"

struct vmx_msr_reader {
    uint64_t (*read)(void *ctx, uint32_t msr);
    void *ctx;
};

/* Fills c (all but cr4_guest_reserved, which is CPUID's); 0, or -1 with the first requirement
 * the CPU does not meet in why.  IA32_VMX_PROCBASED_CTLS2 is read only when the primary
 * controls allow activating them. */
int vmx_caps_read(const struct vmx_msr_reader *m, struct vmx_caps *c, char *why, size_t len);

#endif
