/* The VM-entry checker on the running CPU (vmx_check_cpu.c). */
#ifndef ARCH_X86_VMX_VMX_CHECK_CPU_H
#define ARCH_X86_VMX_VMX_CHECK_CPU_H

#include "arch/x86/vmx/vmx_entry_check.h"

struct vcpu;

/* The VMX capability MSRs (the TRUE_ controls where they exist), MAXPHYADDR and the
 * IA32_PERF_GLOBAL_CTRL bits of this CPU. */
void vmx_read_cap_msrs(struct vmx_cap_msrs *c);
/* The current VMCS's fields (VMREAD). */
void vmcs_read_image(struct vmcs_image *img);
/* 0 if the current VMCS (v's) passes the VM-entry checks; else prints the rule and -1. */
int vmx_check_current(struct vcpu *v);

#endif
