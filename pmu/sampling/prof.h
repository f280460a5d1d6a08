/* System-wide profiling: what hv/ and arch/ call.  Samples of every domain (and of the
 * hypervisor, with the hardware backend) go into per-domain rings; the rings are drained
 * between time slices into capture frames (include/perfvisor/capture.h) on the console line. */
#ifndef PMU_PROF_H
#define PMU_PROF_H

#include <stdint.h>

struct domain;
struct vcpu;

struct prof_config {
    int enabled;
    int backend;                  /* enum cap_backend */
    int event;                    /* enum cap_event */
    uint64_t period;              /* events between samples (mean) */
    uint64_t jitter;              /* each period is drawn from [period - jitter, period + jitter] */
    uint32_t callchain;           /* frames to walk; 0: none */
    uint32_t ring;                /* samples per domain ring */
    uint64_t tsc_khz;
};
extern struct prof_config prof;

/* Reads prof=, event=, period=, freq=, jitter=, callchain=, ring= from the hypervisor command
 * line and chooses the backend by probing.  Prints what it chose; on a bad option or an event
 * the backend cannot count, prints why and returns -EINVAL, or -ENODEV when backend=hardware
 * was asked for and there is no usable PMU (hv/errno.h). */
int prof_init(const char *cmdline);

/* Sets up the rings and sends the capture header (after the domains are built).  0, or
 * -ENOMEM (hv/errno.h) with a message when the rings do not fit in free memory: nothing is
 * started, and the caller ends the run. */
int prof_start(void);

/* A guest memory reader: copies len bytes of the sampled vCPU's linear memory at gva,
 * through the guest's own paging, into buf; 0, or -1 when any of it is unmapped.  ctx is
 * the architecture's (the sampler only passes it back). */
struct guest_mem_reader {
    int (*read)(void *ctx, uint64_t gva, void *buf, uint64_t len);
    void *ctx;
};

/* What a sample records of the guest, as the architecture saw it at the exit: the sampler
 * takes it as given and never asks the architecture for more (docs/ARCHITECTURE.md "The
 * sample"). */
struct guest_sample_state {
    uint64_t ip, cr3, fp;              /* instruction pointer, address space, frame pointer */
    uint8_t cpl, mode, word64;         /* mode: enum cap_mode; word64: 64-bit code (a word is
                                        * 8 bytes in the call chain's frames, else 4) */
    struct guest_mem_reader mem;       /* for the call-chain walk from fp */
    /* For naming a Linux guest's task (pmu/sampling/prof_linux.c), called only when the domain
     * has a task layout; ctx is mem.ctx.  sysreg: a PROF_REG_* of the guest now.  read_as: as
     * mem.read, through the page tables at cr3 instead of the current ones. */
    uint64_t (*sysreg)(void *ctx, int which);
    int (*read_as)(void *ctx, uint64_t cr3, uint64_t gva, void *buf, uint64_t len);
    /* kread: as mem.read for kernel-half memory the kernel never remaps (its direct map, where
     * the per-CPU area and task_structs lie): the pages' translations are kept across exits
     * (through the kernel half of a PTI pair when the current tables lack them).  May be NULL. */
    int (*kread)(void *ctx, uint64_t gva, void *buf, uint64_t len);
};
enum { PROF_REG_GS_BASE, PROF_REG_KERNEL_GS_BASE, PROF_REG_SYSCALL_ENTRY /* IA32_LSTAR */, PROF_REG_SP };

/* Software backend: guest events until the next sample of v, and the sample itself, taken
 * by the architecture when that many guest ticks have run, with the guest's state then. */
static inline int prof_samples_guests(void) { return prof.enabled && prof.backend == 0; }
void prof_sample_guest(struct vcpu *v, uint64_t tsc, const struct guest_sample_state *st);

/* Hardware backend: an NMI arrived while v ran (its state st at the exit; or, for
 * prof_host_nmi, while the hypervisor ran at rip); returns 1 if it was the PMU's overflow,
 * now sampled. */
int prof_guest_nmi(struct vcpu *v, uint64_t tsc, const struct guest_sample_state *st);
int prof_host_nmi(uint64_t rip);

/* Moves ring contents and accounting into capture frames, as far as the console queue has
 * room; never waits.  Called between time slices. */
void prof_drain(void);

/* At the end of the run: everything left, the totals, the END frame; waits for the line. */
void prof_finish(void);

/* A guest named an address space (HC_NAME_CR3). */
/* Returns the hypercall's result: 0, or -ENOSPC (= HC_ENOSPC, hv/errno.h) when the domain's table of names is full. */
int prof_name_process(struct domain *d, uint64_t cr3, const char *name, uint32_t len);
/* A domain finished or was stopped. */
void prof_domain_end(struct domain *d);

#endif
