/* The guest's virtual PMU (guest-wide profiling, docs: DESIGN.md "Two kinds of profiling"):
 * one per vCPU, an Intel architectural PMU whose registers and SDM rules are pmu/vpmu/pmu_state.c
 * (the same code the host tests' PMU model runs) and whose events come from a backend chosen
 * once per vCPU, reached only through struct vpmu_backend_ops (pmu/vpmu/vpmu_backend.h): the
 * software backend (TSC ticks, pmu/vpmu/vpmu_sw.c), which every vCPU uses today, or the
 * hardware backend (real counters, pmu/vpmu/vpmu_hw.c, not wired into VMX yet).
 *
 * What the guest sees with the software backend (CPUID leaf 0AH, IA32_PERF_CAPABILITIES;
 * reasons in pmu/vpmu/vpmu_sw.c):
 *   version 5; 4 GP counters of 48 bits; EBX: only UnHalted Core Cycles (3CH/00H) and
 *   UnHalted Reference Cycles (3CH/01H) available; fixed counters 1 (core cycles) and 2
 *   (reference cycles) of 48 bits, enumerated by ECX = 110b with EDX[4:0] = 0, so fixed
 *   counter 0 (instructions retired) does not exist; AnyThread deprecated; PDCM set and
 *   IA32_PERF_CAPABILITIES = full-width writes only (IA32_A_PMCx exist).
 * Both cycle events count TSC ticks: the vCPU's core clock is the TSC.
 *
 * The lead's side of the contract:
 *   - intercept every MSR vpmu_msr_is_pmu() accepts, route it to vpmu_rdmsr/vpmu_wrmsr and
 *     inject #GP(0) where they return -1 (without advancing RIP);
 *   - RDPMC exiting on; vpmu_rdpmc; #GP(0) on -1, else EDX:EAX = value, RIP advanced;
 *   - CPUID: vpmu_cpuid after the rest of the policy, for every leaf (it only touches 01H and
 *     0AH); leaf 0 must report a maximum leaf >= 0AH for the guest to look;
 *   - vpmu_count with the unhalted TSC ticks the guest ran, at the CPL it ran at: at every VM
 *     exit while vpmu_settle_every_exit(), else at least before every PMU access and RDPMC
 *     and at the overflow (the result is the same), plus vpmu_count_hypervisor for the
 *     hypervisor's work on its behalf (domain switch mode);
 *   - before VM entry, arm the VMX-preemption timer for vpmu_ticks_to_pmi(guest CPL) ticks
 *     (scaled by the timer's rate) so an overflow exits exactly when it happens;
 *   - after vpmu_count, if vpmu_take_pmi() is 1, deliver the PMI through the vLAPIC's LVTPC
 *     before the guest runs another instruction;
 *   - vpmu_save when the vCPU leaves the CPU for another one, vpmu_restore when it comes back.
 * Errors: 0, or -1 where the real CPU raises #GP. */
#ifndef PMU_VPMU_H
#define PMU_VPMU_H

#include <stdint.h>

#include "pmu/vpmu/pmu_state.h"
#include "pmu/vpmu/vpmu_backend.h"

/* The VEE 2011 paper's two guest-wide modes: when the vPMU's counters run. */
enum vpmu_mode {
    VPMU_CPU_SWITCH,      /* only while the guest runs: switched at every VM entry/exit */
    VPMU_DOMAIN_SWITCH,   /* also during the hypervisor's work for the guest: switched only
                             when the scheduler changes domain */
};

struct vpmu {
    struct pmu_state st;      /* caps and registers, as the guest sees them */
    const struct vpmu_backend_ops *ops;   /* the backend, chosen at init, never changed */
    const void *backend_ctx;  /* its context (NULL: software; struct vpmu_hw_ctx: hardware) */
    unsigned backend_errors;  /* backend operations that failed (real MSRs faulted) */
    enum vpmu_mode mode;      /* VPMU_CPU_SWITCH after vpmu_init */
    int pmi_pending;          /* a counter with INT / fixed PMI overflowed; vpmu_take_pmi */
    uint64_t overflows;       /* wraps that raised a PMI, in all (statistics) */
    /* The counting plan, recomputed when a control register is written (vpmu_wrmsr): the
     * counters a TSC tick advances at CPL 0 [0] and CPL > 0 [1] (pmu_state_counting's bits,
     * both cycle events), and those enabled for them that are not modelled.  The software
     * backend's (its program operation); all 0 with the hardware backend, whose counters
     * need no time from the hypervisor.  ungated, ungated_unmodelled: the same before
     * IA32_PERF_GLOBAL_CTRL (pmu_state_counting_ungated), recomputed only when a
     * PERFEVTSELx or IA32_FIXED_CTR_CTRL is written; a IA32_PERF_GLOBAL_CTRL write, twice in
     * every Linux PMI handler, makes the plan from them with one AND. */
    uint64_t counting[2], unmodelled[2];
    uint64_t ungated[2], ungated_unmodelled[2];
    int active;               /* some counter counts (or tries to): time must reach them */
    int moved;                /* a write may have moved the next PMI; vpmu_take_moved */
};

/* The backend's caps and RESET values (IA32_PERF_GLOBAL_CTRL: GP enable bits set); ops and
 * ctx stay the vCPU's backend for good. */
void vpmu_init_backend(struct vpmu *p, const struct vpmu_backend_ops *ops, const void *ctx);

/* vpmu_init_backend with the software backend. */
void vpmu_init(struct vpmu *p);

/* vCPU switches (backend save / restore): nothing to do for the software backend; the hardware
 * backend moves the counters off and onto the real PMU. */
void vpmu_save(struct vpmu *p);
void vpmu_restore(struct vpmu *p);

/* Rewrites leaf 0AH entirely (any subleaf) and leaf 01H ECX[15] (PDCM); other leaves and
 * registers are left as the caller filled them. regs = EAX, EBX, ECX, EDX. */
void vpmu_cpuid(const struct vpmu *p, uint32_t leaf, uint32_t subleaf, uint32_t regs[4]);

/* Any architectural PMU MSR address of pmu/vpmu/pmu_msr.h's table, whether or not these caps
 * enumerate it: the lead intercepts them all so that the absent ones #GP as on hardware. */
int vpmu_msr_is_pmu(uint32_t msr);

/* RDMSR/WRMSR: 0, or -1 = inject #GP (not enumerated, reserved bit set, read-only).  The
 * counters must be current (software backend: vpmu_count up to the access) for both; the
 * backend's read brings in what it holds itself, its program takes a write to the counters. */
int vpmu_rdmsr(struct vpmu *p, uint32_t msr, uint64_t *v);
int vpmu_wrmsr(struct vpmu *p, uint32_t msr, uint64_t v);
/* The same for an address the caller looked up (pmu_msr_lookup). */
int vpmu_read(struct vpmu *p, enum pmu_msr_kind k, unsigned idx, uint64_t *v);
int vpmu_write(struct vpmu *p, enum pmu_msr_kind k, unsigned idx, uint64_t v);

/* RDPMC (Vol. 2B): #GP if cpl > 0 and !CR4.PCE (pass cpl 0 in real mode, CR0.PE = 0), if
 * ECX[31] is set, or if ECX[29:0] names no counter of the type ECX[30] selects (1: fixed).
 * The value is the counter's full 48 bits. */
int vpmu_rdpmc(struct vpmu *p, uint32_t ecx, int cpl, int cr4_pce, uint64_t *v);

/* The software backend's event source (pmu/vpmu/vpmu_sw.c); with the hardware backend
 * vpmu_counting() is 0 and nothing calls it.
 * `ticks` unhalted TSC ticks at privilege level cpl (0 = OS, else USR): every counter enabled
 * for UnHalted Core Cycles or UnHalted Reference Cycles at that CPL advances (PERFEVTSELx.EN
 * and OS/USR, or FIXED_CTR_CTRL's OS/USR for fixed 1 and 2, and IA32_PERF_GLOBAL_CTRL).
 * Not counted: other events, and a GP counter with INV, EDGE or a non-zero CMASK (those
 * compare a per-cycle count with a threshold that ticks do not give; st.unmodelled counts
 * the attempts).  A wrap sets the IA32_PERF_GLOBAL_STATUS bit; with INT / fixed PMI it sets
 * pmi_pending. */
void vpmu_count(struct vpmu *p, int cpl, uint64_t ticks);

/* Domain switch mode: `ticks` of hypervisor work for this guest count as CPL 0 (VMX root
 * runs at ring 0, as a counter left running through the exit would see it).  Nothing in
 * CPU switch mode. */
void vpmu_count_hypervisor(struct vpmu *p, uint64_t ticks);

/* The backend's arm_overflow: ticks at cpl until the first enabled counter with INT / PMI
 * overflows; UINT64_MAX: none (or the backend's counters raise it themselves).
 * vpmu_count(p, cpl, n) sets pmi_pending for n >= this, not for fewer. */
uint64_t vpmu_ticks_to_pmi(const struct vpmu *p, int cpl);

/* Whether a counter counts: time must be given to the counters (vpmu_count), else not. */
static inline int vpmu_counting(const struct vpmu *p) { return p->active; }

/* Whether time must reach the counters at every VM exit, at the CPL of that exit, rather than
 * only before the guest's next PMU access or the next overflow: when what counts depends on
 * the CPL (a USR-only or OS-only counter), and in domain-switch mode (the hypervisor's work
 * counts too).  Otherwise the counters may be settled lazily with the same result. */
static inline int vpmu_settle_every_exit(const struct vpmu *p)
{
    return p->active && (p->mode == VPMU_DOMAIN_SWITCH || p->counting[0] != p->counting[1] ||
                         p->unmodelled[0] || p->unmodelled[1]);
}

/* Whether the CPL matters to vpmu_count / vpmu_ticks_to_pmi (else any cpl may be passed). */
static inline int vpmu_cpl_matters(const struct vpmu *p)
{
    return p->counting[0] != p->counting[1] || p->unmodelled[0] != p->unmodelled[1];
}

/* 1 if a write since the last call may have moved the next PMI (a counter, a control), and
 * clears it: the overflow timer must be re-armed. */
static inline int vpmu_take_moved(struct vpmu *p)
{
    int m = p->moved;
    p->moved = 0;
    return m;
}

/* 1 if an overflow PMI is pending, and clears it; 0 if none. */
int vpmu_take_pmi(struct vpmu *p);

#endif
