/* What a guest's RDMSR/WRMSR does: pass through to hardware, emulate, or #GP like a CPU
 * without that MSR.  One table drives both the MSR bitmap and the exit handler. */
#ifndef ARCH_X86_VMX_MSR_POLICY_H
#define ARCH_X86_VMX_MSR_POLICY_H

#include <stdint.h>

struct vcpu;

enum msr_access {
    MSR_PASS,          /* no exit: the guest's value lives in hardware (VMCS or swapped) */
    MSR_PASS_READ,     /* reads run natively; writes exit to the handler */
    MSR_EMULATE,       /* both exit to the handler */
};

struct msr_rule {
    uint32_t msr;
    enum msr_access access;
    const char *name;
    /* Return 0, or -1 to inject #GP.  NULL: reads return 0 / writes are ignored. */
    int (*read)(struct vcpu *v, uint64_t *value);
    int (*write)(struct vcpu *v, uint64_t value);
};

/* Sets the MSR-bitmap bits (SDM Vol. 3C 25.6.9): every MSR exits unless a rule passes it. */
void msr_bitmap_build(uint8_t *bitmap);

/* IA32_DEBUGCTL (SDM Vol. 4 Table 2-2, MSR 1D9H): kept in the VMCS guest-state area, which
 * the debug-controls VM-entry/exit controls load and save (vmx_debug.c). */
#define MSR_IA32_DEBUGCTL 0x1D9u
int debugctl_read(struct vcpu *v, uint64_t *value);
int debugctl_write(struct vcpu *v, uint64_t value);

/* The rule for msr, or NULL (the MSR does not exist for guests: #GP). */
const struct msr_rule *msr_rule_find(uint32_t msr);

#endif
