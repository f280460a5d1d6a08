/* The guest vPMU on real counters, VMX side (experimental, hypervisor command line vpmu=hw):
 * which backend a new vCPU gets, how IA32_PERF_GLOBAL_CTRL is switched at VM entry and exit
 * (the "load IA32_PERF_GLOBAL_CTRL" VM-entry/VM-exit controls, or one entry each of the
 * VM-entry and VM-exit MSR-load lists where those controls are missing: SDM Vol. 3C 25.7,
 * 25.8, 27.3.2.1, 28.5.1), the counters' load and save when the loaded vCPU changes, and
 * which vCPU a PMI belongs to.  Pure over struct hwpmu_ops and a VMCS image, so the host tests
 * run it on the SDM PMU model (tests/unit/test_vmx_vpmu_hw.c); vmx_vpmu.c applies it to the
 * CPU.  pmu/vpmu/vpmu_hw.h states the contract this file fulfils. */
#ifndef ARCH_X86_VMX_VMX_VPMU_HW_H
#define ARCH_X86_VMX_VMX_VPMU_HW_H

#include <stddef.h>
#include <stdint.h>

#include "arch/x86/vmx/vmcs_image.h"
#include "pmu/vpmu/vpmu.h"
#include "pmu/vpmu/vpmu_hw.h"

/* GP counters the hypervisor keeps for itself: GP 0, the system-wide sampler's. */
#define VMX_VPMU_HV_GP 1u

struct vmx_vpmu_hw {
    int on;                        /* new vCPUs get the hardware backend */
    int load_controls;             /* 1: the load controls; 0: the MSR-load lists */
    struct vpmu_hw_host host;      /* the real PMU, as vpmu_hw_probe found it */
    struct vpmu_hw_ctx ctx;        /* the backend's context: &host and the MSR ops */
};

/* At start-up: want = vpmu=hw was asked for.  Probes the PMU (vpmu_hw_probe, GP 0 kept) and
 * reads whether the VM-exit and VM-entry load controls may be 1 (bits 44 and 45 of the
 * (TRUE_) exit and entry capability MSRs exit_cap, entry_cap).  1: s->on, the hardware backend
 * for every new vCPU; 0: the software backend (not asked, or no usable PMU).  msg says which
 * and why, for the boot log; empty when not asked. */
int vmx_vpmu_hw_select(struct vmx_vpmu_hw *s, const struct hwpmu_ops *o, int want,
                       uint64_t exit_cap, uint64_t entry_cap, char *msg, size_t len);

/* A new vCPU's vPMU: the hardware backend if s->on, else the software one. */
void vmx_vpmu_hw_vcpu_init(struct vmx_vpmu_hw *s, struct vpmu *p);

/* Whether p runs on the real counters. */
static inline int vmx_vpmu_on_hw(const struct vpmu *p) { return p->ops == &vpmu_hw_backend; }

/* IA32_PERF_GLOBAL_CTRL for the guest (loaded at VM entry) and for the host (at VM exit). */
void vmx_vpmu_hw_values(const struct vmx_vpmu_hw *s, const struct vpmu *p, uint64_t *entry,
                        uint64_t *exit);

/* The VMCS image's part for a vCPU on real counters: the two load controls and the guest- and
 * host-state IA32_PERF_GLOBAL_CTRL fields, or (no load controls) the VM-entry and VM-exit
 * MSR-load counts (1 each) and addresses of lists[0] (entry) and lists[1] (exit), which live
 * at physical address lists_pa (16-byte aligned) and are filled here.  Nothing for a vCPU on
 * the software backend. */
void vmx_vpmu_hw_image(const struct vmx_vpmu_hw *s, const struct vpmu *p, struct vmcs_image *img,
                       struct vpmu_hw_msr_entry lists[2], uint64_t lists_pa);

/* The loaded vCPU changes from `out` to `in` (either may be NULL): with real counters involved,
 * IA32_PERF_GLOBAL_CTRL first becomes the hypervisor's alone (in domain-switch mode the exit
 * leaves the guest's counters running), then out's counters are saved and in's loaded.
 * 0, or HWPMU_EIO. */
int vmx_vpmu_hw_switch(const struct vmx_vpmu_hw *s, struct vpmu *out, struct vpmu *in);

/* An NMI arrived while `loaded` (NULL: none) had its counters on the PMU: its overflowed
 * counters' bits move into its IA32_PERF_GLOBAL_STATUS; 1 if one has a PMI enabled (the vCPU
 * gets the PMI through its vLAPIC: vpmu_take_pmi), 0 if the NMI is not its (the hypervisor's
 * sampler, or a vCPU on the software backend). */
int vmx_vpmu_hw_nmi(struct vpmu *loaded);

/* In the NMI handler (an NMI exit's or one in VMX root), where the vCPU's state must not be
 * touched: 1 if `loaded` is on real counters and one of its counters' overflow bits is set in the
 * host's IA32_PERF_GLOBAL_STATUS (the NMI is, or may be, its PMI: vmx_vpmu_hw_nmi then hands it
 * over before the next VM entry); 0 otherwise.  Reads one MSR, writes nothing. */
int vmx_vpmu_hw_nmi_note(const struct vmx_vpmu_hw *s, const struct vpmu *loaded);

#endif
