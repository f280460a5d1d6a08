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
/* The VMX_CHECK build's hypervisor command-line options (vmxcheck=warn, vmxcheck-break=N; see
 * vmx_check_cpu.c); nothing in other builds. */
void vmx_check_options(const char *cmdline);
/* Right after v's VMCS is written: the vmxcheck-break test corruption, if asked for. */
void vmx_check_break(struct vcpu *v);
/* After a VM entry failed (any build): which rule the checker finds broken in the current VMCS,
 * or that it finds none; printed, for the bug report. */
void vmx_check_explain(struct vcpu *v);

#endif
