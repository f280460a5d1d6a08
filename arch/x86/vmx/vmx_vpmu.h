/* The guest vPMU's backend on this CPU (vmx_vpmu.c): vpmu=hw (experimental) or software. */
#ifndef ARCH_X86_VMX_VMX_VPMU_H
#define ARCH_X86_VMX_VMX_VPMU_H

#include "arch/x86/vmx/vmcs_image.h"

struct vcpu;

/* A new vCPU's backend (hardware if vpmu=hw found a usable PMU, else software). */
void vmx_vpmu_vcpu_init(struct vcpu *v);
/* Its part of the VMCS image: IA32_PERF_GLOBAL_CTRL's load controls and fields, or the
 * MSR-load lists (nothing on the software backend). */
void vmx_vpmu_image(struct vcpu *v, struct vmcs_image *img);
/* The guest wrote a PMU MSR: the IA32_PERF_GLOBAL_CTRL values loaded at entry and exit follow
 * (v's VMCS is current). */
void vmx_vpmu_refresh(struct vcpu *v);
/* The loaded vCPU changes from out to in (either NULL): counters saved and loaded. */
void vmx_vpmu_switch(struct vcpu *out, struct vcpu *in);
/* A PMI of v's real counters (their overflow bits in the host's IA32_PERF_GLOBAL_STATUS) goes
 * into its vPMU and to its vLAPIC. */
void vmx_vpmu_nmi(struct vcpu *v);

/* In the NMI handler, at an NMI exit or in VMX root: 1 if the loaded vCPU's real counters
 * overflowed (the NMI is its PMI), which vmx_vpmu_before_entry then hands over; touches no vCPU
 * state (the hypervisor may be in the middle of changing it). */
int vmx_vpmu_nmi_note(void);
extern volatile int vmx_vpmu_noted;
void vmx_vpmu_take_noted(struct vcpu *v);
/* Before every VM entry of v (the loaded vCPU): a PMI an NMI noted reaches its vLAPIC. */
static inline void vmx_vpmu_before_entry(struct vcpu *v)
{
    if (__builtin_expect(vmx_vpmu_noted, 0))
        vmx_vpmu_take_noted(v);
}

#endif
