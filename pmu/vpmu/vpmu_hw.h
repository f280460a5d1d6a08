/* The guest vPMU's hardware backend: the guest's counters run on real counters of the
 * architectural PMU (version 2 or later) while its vCPU is loaded on this CPU.
 *
 * The guest's PMU registers stay in struct pmu_state (pmu/vpmu/pmu_state.h), exactly as the
 * software backend keeps them: every guest RDMSR/WRMSR of a PMU MSR is still intercepted and
 * emulated there (the SDM rules are the same), RDPMC still exits.  This file only moves that
 * state to and from the real PMU and computes the IA32_PERF_GLOBAL_CTRL values the VMX code
 * loads at VM entry and exit; it makes no VMX call.  MSR and CPUID access go through struct
 * hwpmu_ops (pmu/sampling/hw_pmu.h), so the host unit tests run it against the PMU model.
 *
 * Counter ownership.  The hypervisor keeps some GP counters for itself (hv_gp: the
 * system-wide sampler's hardware backend uses GP 0); the guest gets the others, renumbered
 * from 0: guest GP counter i is host GP counter gp_map[i].  Fixed counters each count one
 * fixed event, so they cannot be renumbered: the guest gets all of them, same index.
 *
 * When the guest's counters run (IA32_PERF_GLOBAL_CTRL, Vol. 3B 20.2.2), loaded by the
 * "load IA32_PERF_GLOBAL_CTRL" VM-entry control (bit 13, guest-state field 2808H) and VM-exit
 * control (bit 12, host-state field 2C04H) (Vol. 3C 25.7.1, 25.8.1; loaded as 27.3.2.1 and
 * 28.5.1 say), or, where those controls are missing, by one entry of the VM-entry and VM-exit
 * MSR-load lists (25.7.2, 25.8.2):
 *   cpu-switch:    entry = guest's enables (mapped) | hypervisor's;  exit = hypervisor's;
 *   domain-switch: entry = exit = guest's | hypervisor's (the guest's counters also count the
 *                  hypervisor's work for it; they stop only when its vCPU is switched out).
 * Both values contain only counter bits the host enumerates: VM entry fails on a reserved
 * bit set in either field (26.2.2, 26.3.1.1).
 *
 * The VMX side's contract (not done here):
 *   - start-up: vpmu_hw_probe; check the 1-settings of the two load controls (allowed-1 bits
 *     44 and 45 of IA32_VMX_TRUE_EXIT_CTLS / _ENTRY_CTLS); without them use the MSR-load
 *     lists (vpmu_hw_global_ctrl_lists);
 *   - a vCPU's guest CPUID 0AH from vpmu_hw_guest_caps; its PMU MSRs stay intercepted and
 *     RDPMC keeps exiting (guest counter i is not host counter i when hv_gp keeps GP 0);
 *   - switch in: IA32_PERF_GLOBAL_CTRL = vpmu_hw_hv_global_ctrl, vpmu_hw_load;
 *     switch out: IA32_PERF_GLOBAL_CTRL = vpmu_hw_hv_global_ctrl, vpmu_hw_save;
 *   - a guest PMU MSR access or RDPMC: vpmu_hw_save, emulate on struct pmu_state, then for a
 *     write vpmu_hw_load (the real counters have moved since the last load);
 *   - before every VM entry: the two VMCS fields (or list entries) from
 *     vpmu_hw_entry_global_ctrl / vpmu_hw_exit_global_ctrl (the guest may have changed its
 *     IA32_PERF_GLOBAL_CTRL);
 *   - an NMI (exit reason 0, or in VMX root): vpmu_hw_pmi for the loaded vCPU, 1 -> the PMI
 *     through its vLAPIC's LVTPC; then hwpmu_handle_overflow for the hypervisor's counter.
 *
 * Errors: HWPMU_EIO (an MSR raised #GP), as pmu/sampling/hw_pmu.h. */
#ifndef PMU_VPMU_HW_H
#define PMU_VPMU_HW_H

#include <stddef.h>
#include <stdint.h>

#include "pmu/sampling/hw_pmu.h"
#include "pmu/vpmu/pmu_msr.h"
#include "pmu/vpmu/pmu_state.h"

/* The real PMU, as vpmu_hw_probe found it; one per host, shared by every vCPU. */
struct vpmu_hw_host {
    struct pmu_caps caps;       /* CPUID 0AH and IA32_PERF_CAPABILITIES of the host */
    uint32_t hv_gp;             /* GP counters the hypervisor keeps (bit i: host GP i) */
    unsigned guest_ngp;         /* GP counters the guest gets: caps.ngp minus hv_gp's */
    uint8_t gp_map[PMU_MAX_GP]; /* guest GP counter i -> host GP counter gp_map[i] */
};

/* Can guests' counters run on this PMU, with the hypervisor keeping the GP counters in hv_gp?
 * Probes it as hwpmu_probe does (CPUID 0AH version >= 2, counters 32 to 64 bits wide, PMU
 * MSRs that do not #GP and writes that stick: Bochs fails here, it advertises version 4 and
 * has no PMU; full-width writes believed only if IA32_A_PMC0 works), then requires hv_gp to
 * name existing counters and to leave the guest at least one.  Without full-width writes the
 * host is usable, but a counter is restored through IA32_PMCx, which sign-extends bit 31:
 * see vpmu_hw_load.  1 usable, 0 not; `why` says what was found or which check failed.
 * Call at start-up, before the sampler runs: the probe borrows GP counter 0. */
int vpmu_hw_probe(const struct hwpmu_ops *o, uint32_t hv_gp, struct vpmu_hw_host *h,
                  char *why, size_t len);

/* What the guest's CPUID 0AH (and IA32_PERF_CAPABILITIES) offer: the host's version, GP
 * counters minus the hypervisor's, the same widths, the architectural events the host has,
 * its fixed counters, full-width writes if the host has them.  From version 5 AnyThread is
 * reported deprecated (EDX[15]); on version 3 and 4 hosts the guest may set it but
 * vpmu_hw_load clears it (it would count the sibling logical processor: another guest). */
void vpmu_hw_guest_caps(const struct vpmu_hw_host *h, struct pmu_caps *guest);

/* On switching TO this vCPU (and after each emulated guest write to a PMU MSR): writes the
 * guest's counter values, event selects (guest i -> host gp_map[i], AnyThread cleared),
 * IA32_FIXED_CTR_CTRL and fixed counters, and clears the host's stale overflow bits of the
 * guest's counters.  Never IA32_PERF_GLOBAL_CTRL: that one is switched at entry and exit and
 * must not include the guest's counters when this runs.  A GP counter value is restored
 * exactly with full-width writes; without them through IA32_PMCx's EAX, exact only when bits
 * [width-1:31] of the value are all equal (every value the guest can write itself, until it
 * counts past the wrap).  Returns the number of GP counters not restored exactly (0, normally),
 * or HWPMU_EIO. */
int vpmu_hw_load(const struct hwpmu_ops *o, const struct vpmu_hw_host *h,
                 const struct pmu_state *guest);

/* On switching AWAY from this vCPU (and before emulating a guest read of a counter or of
 * IA32_PERF_GLOBAL_STATUS): reads the counter values back into *guest and moves the host's
 * overflow bits of the guest's counters into the guest's IA32_PERF_GLOBAL_STATUS (cleared on
 * the host through IA32_PERF_GLOBAL_OVF_CTRL).  The hypervisor's counters are not touched.
 * 0 or HWPMU_EIO. */
int vpmu_hw_save(const struct hwpmu_ops *o, const struct vpmu_hw_host *h,
                 struct pmu_state *guest);

/* The hypervisor's counters' bits of IA32_PERF_GLOBAL_CTRL. */
uint64_t vpmu_hw_hv_global_ctrl(const struct vpmu_hw_host *h);

/* The guest's IA32_PERF_GLOBAL_CTRL enables as host bits (GP bit i -> bit gp_map[i], fixed
 * bits unchanged). */
uint64_t vpmu_hw_guest_global_ctrl(const struct vpmu_hw_host *h, const struct pmu_state *guest);

/* The guest-state IA32_PERF_GLOBAL_CTRL field (VM-entry load): guest's | hypervisor's. */
uint64_t vpmu_hw_entry_global_ctrl(const struct vpmu_hw_host *h, const struct pmu_state *guest);

/* The host-state field (VM-exit load): the hypervisor's, plus the guest's in domain-switch
 * mode (domain_switch != 0). */
uint64_t vpmu_hw_exit_global_ctrl(const struct vpmu_hw_host *h, const struct pmu_state *guest,
                                  int domain_switch);

/* A PMI (an NMI) arrived while this vCPU's counters were loaded: the host's overflow bits of
 * the guest's counters are cleared through IA32_PERF_GLOBAL_OVF_CTRL and set, mapped back, in
 * the guest's IA32_PERF_GLOBAL_STATUS.  Returns 1 if one of those counters has PMI enabled
 * (PERFEVTSELx.INT, IA32_FIXED_CTR_CTRL's PMI bit): the guest must get a PMI through its
 * vLAPIC's LVTPC; 0 if none (the NMI may be the hypervisor's: its bits are left for
 * hwpmu_handle_overflow, and *guest is untouched when no guest counter overflowed);
 * HWPMU_EIO if an MSR faulted. */
int vpmu_hw_pmi(const struct hwpmu_ops *o, const struct vpmu_hw_host *h, struct pmu_state *guest);

/* ---- the backend interface (pmu/vpmu/vpmu_backend.h): vpmu_hw_backend ----
 * A vCPU on real counters: vpmu_init_backend(p, &vpmu_hw_backend, ctx) with ctx a struct
 * vpmu_hw_ctx that outlives it.  The operations are the functions above on p->st:
 *   caps: vpmu_hw_guest_caps;  program: vpmu_hw_load (the real counters take the write);
 *   read: vpmu_hw_save (values and overflow bits from the real counters);
 *   arm_overflow: UINT64_MAX (the real counter raises its own PMI, see vpmu_hw_overflow);
 *   save: vpmu_hw_save;  restore: vpmu_hw_load.
 * A load that cannot restore a GP counter exactly (no full-width writes) is not an error. */
struct vpmu;

struct vpmu_hw_ctx {
    const struct hwpmu_ops *o;          /* the real PMU's MSRs and CPUID */
    const struct vpmu_hw_host *h;       /* as vpmu_hw_probe found it */
};

/* The NMI of a real PMI arrived while this vCPU's counters were loaded: vpmu_hw_pmi on p->st;
 * a guest counter with PMI enabled overflowed -> pmi_pending (vpmu_take_pmi), as the software
 * backend's vpmu_count sets it.  Returns vpmu_hw_pmi's result. */
int vpmu_hw_overflow(struct vpmu *p);

/* ---- the MSR-load-list form (Vol. 3C 25.7.2, 25.8.2, table "Format of an MSR Entry") ---- */

/* One entry of a VM-entry/VM-exit MSR-load (or VM-exit MSR-store) area.  The area is an array
 * of these at a 16-byte-aligned physical address (bits 3:0 of the address field must be 0). */
struct vpmu_hw_msr_entry {
    uint32_t index;             /* bits 31:0: the MSR */
    uint32_t reserved;          /* bits 63:32: must be 0 (VM entry/exit fails otherwise) */
    uint64_t data;              /* bits 127:64: the value loaded (or stored) */
};
_Static_assert(sizeof(struct vpmu_hw_msr_entry) == 16, "an MSR entry is 16 bytes");
_Static_assert(offsetof(struct vpmu_hw_msr_entry, data) == 8, "data is bits 127:64");

/* Where the load controls are missing: fills entry_list[0] = {38FH, 0, entry value} for the
 * VM-entry MSR-load area and exit_list[0] = {38FH, 0, exit value} for the VM-exit MSR-load
 * area; returns the number of entries written to each (1), which goes into the VM-entry and
 * VM-exit MSR-load counts (4014H, 4010H). */
unsigned vpmu_hw_global_ctrl_lists(const struct vpmu_hw_host *h, const struct pmu_state *guest,
                                   int domain_switch, struct vpmu_hw_msr_entry *entry_list,
                                   struct vpmu_hw_msr_entry *exit_list);

#endif
