/* The virtual PMU's backend interface: what the shared vPMU logic (pmu/vpmu/vpmu.c: CPUID,
 * the PMU MSRs' SDM semantics through pmu/vpmu/pmu_state.c, RDPMC, PMIs) asks of whatever
 * makes the guest's counters count.  Two backends implement it:
 *   software (pmu/vpmu/vpmu_sw.c, vpmu_sw_backend): the counters are struct pmu_state itself
 *     and advance by the guest's TSC ticks (vpmu_count, settled from the VMX-preemption
 *     timer); the hypervisor times the next overflow (arm_overflow -> the preemption timer);
 *   hardware (pmu/vpmu/vpmu_hw.c, vpmu_hw_backend): the counters run on real ones while the
 *     vCPU is loaded, struct pmu_state is their image, loaded and saved around the guest's
 *     accesses and vCPU switches; an overflow is the real counter's own PMI (vpmu_hw_overflow).
 *     Unit-tested against the SDM PMU model, not wired into VMX yet (no PMU to run it on).
 * In both, the guest's registers live in struct pmu_state and every PMU MSR access and RDPMC
 * is emulated there by the same code, so the SDM rules cannot differ between backends.
 * A vCPU's backend is chosen once (vpmu_init_backend) and never changes.
 *
 * Every operation gets the vPMU (struct vpmu, pmu/vpmu/vpmu.h); p->backend_ctx is the pointer
 * given to vpmu_init_backend (NULL for the software backend, struct vpmu_hw_ctx for the
 * hardware one).  Those returning int return 0 or a negative error (the backend's real MSRs
 * faulted); the shared logic counts such errors (p->backend_errors) and never turns them into
 * a guest #GP: the guest's access was valid. */
#ifndef PMU_VPMU_BACKEND_H
#define PMU_VPMU_BACKEND_H

#include <stdint.h>

#include "pmu/vpmu/pmu_msr.h"

struct vpmu;

struct vpmu_backend_ops {
    const char *name;                                        /* "software", "hardware" */
    /* What the guest's CPUID 0AH and IA32_PERF_CAPABILITIES offer (once, at init). */
    void (*caps)(const void *ctx, struct pmu_caps *caps);
    /* The guest wrote register k (a counter or a counter control): count as p->st now says. */
    int (*program)(struct vpmu *p, enum pmu_msr_kind k);
    /* Bring p->st's counters and IA32_PERF_GLOBAL_STATUS up to date before the guest sees them. */
    int (*read)(struct vpmu *p);
    /* Events at cpl until the next PMI the hypervisor must raise itself; UINT64_MAX: none. */
    uint64_t (*arm_overflow)(const struct vpmu *p, int cpl);
    /* The vCPU leaves this CPU: what its counters hold goes into p->st. */
    int (*save)(struct vpmu *p);
    /* The vCPU comes back to this CPU: p->st goes onto its counters. */
    int (*restore)(struct vpmu *p);
};

extern const struct vpmu_backend_ops vpmu_sw_backend;   /* pmu/vpmu/vpmu_sw.c */
extern const struct vpmu_backend_ops vpmu_hw_backend;   /* pmu/vpmu/vpmu_hw.c */

#endif
