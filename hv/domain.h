/* Domains (one guest each) and their virtual CPUs: the generic, architecture-neutral part. */
#ifndef HV_DOMAIN_H
#define HV_DOMAIN_H

#include <stdint.h>
#include "perfvisor/limits.h"
#include "hv/fwcfg.h"
#include "hv/guest_boot.h"
#include "hv/legacy_ports.h"
#include "hv/vuart.h"
#include "hv/vlapic.h"
#include "hv/vioapic.h"
#include "pmu/vpmu/vpmu.h"

#define MAX_DOMAINS        PV_MAX_DOMAINS   /* include/perfvisor/limits.h */
#define DOMAIN_NAME_MAX    32
#define DOMAIN_CMDLINE_MAX 256
#define HV_MAX_EXIT_REASONS 80         /* exit-reason numbers the statistics cover */

enum domain_state {
    DOMAIN_RUNNING,
    DOMAIN_EXITED,        /* finished on its own: exit status or HLT with interrupts off */
    DOMAIN_STOPPED,       /* stopped by the hypervisor: see stop_reason */
};

struct domain;

#define VCPU_MSR_FAULTS_KEPT  8        /* distinct refused MSRs the summary names */
#define VCPU_MSR_FAULT_WRITE  (1u << 31)

struct vcpu {
    struct domain *dom;
    int id;
    void *arch;                        /* architecture state (struct vmx_vcpu) */
    uint64_t guest_ticks;              /* TSC ticks between VM entry and VM exit */
    uint64_t first_entry_tsc;          /* the TSC at its first VM entry (0: never ran) */
    uint64_t exits[HV_MAX_EXIT_REASONS];
    uint64_t exit_ticks[HV_MAX_EXIT_REASONS]; /* hypervisor ticks, exit to re-entry */
    char last_event[128];              /* last event injected, for post-mortems */
    uint64_t sample_left;              /* software sampling: guest ticks to the next sample */
    uint64_t sample_weight;            /* the period the next sample stands for */
    struct vpmu vpmu;                  /* guest-wide profiling: the virtual PMU */
    struct vlapic vlapic;              /* the virtual local APIC its PMIs go through */
    int events_pending;                /* the vLAPIC may have something to deliver */
    int sleeping;                      /* HLT with interrupts on: off the CPU until
                                        * vcpu_wake_tsc() says it can take an interrupt */
    uint64_t msr_faults;               /* RDMSR/WRMSR answered with #GP, and the first ... */
    uint32_t msr_fault_list[VCPU_MSR_FAULTS_KEPT]; /* ... distinct ones: MSR | VCPU_MSR_FAULT_WRITE */
    int msr_fault_kept, msr_fault_more; /* how many kept; 1 if more distinct ones came */
    uint64_t misc_enable_flip;         /* IA32_MISC_ENABLE writable bits changed since RESET */
    uint64_t export_count, export_ticks; /* ring drains after its slices and serial pumping
                                          * in its exits, and their cost */
};

struct domain {
    int id;
    char name[DOMAIN_NAME_MAX];
    char cmdline[DOMAIN_CMDLINE_MAX];  /* the guest's: the module's without perfvisor's keys */
    uint64_t mem_size;                 /* guest-physical memory [0, mem_size) ... */
    uint64_t mem_host;                 /* ... lives at host-physical mem_host, contiguous */
    uint64_t budget;                   /* guest TSC ticks before it is stopped; 0: none */
    int vpmu_enabled;                  /* vpmu=off hides the virtual PMU */
    int vpmu_mode;                     /* enum vpmu_mode: vpmu=cpu-switch (default) | domain-switch */
    struct guest_boot_state boot;      /* the vCPU at its first instruction (hv/guest_load.c) */
    enum domain_state state;
    int exit_status;
    int halted;                        /* ended by HLT with interrupts off: no exit status of its
                                        * own (exit_status 0), "halted" in the summary */
    char stop_reason[192];
    struct vuart uart;
    struct fwcfg fwcfg;                /* QEMU's fw_cfg device, for test kernels */
    int has_ioapic;                    /* a Linux domain: its I/O APIC at 0xFEC00000 (ACPI MADT) */
    struct vioapic ioapic;             /* ... routed to vcpu.vlapic; multiboot domains have none */
    struct legacy_ports legacy;        /* PIC, PIT, CMOS/RTC, port 80H, resets: hv/legacy_ports.h */
    uint64_t ignored_io;               /* accesses to ports nobody emulates */
    uint16_t first_ignored_port;
    void *arch;                        /* architecture state (EPT) */
    uint8_t image_id_kind;             /* CAP_IMAGE_ID_BUILD_ID or CAP_IMAGE_ID_CRC32 */
    uint8_t image_id_len;
    uint8_t image_id[20];              /* identifies the kernel image in profiles */
    struct vcpu vcpu;                  /* one vCPU per domain */
};

extern struct domain domains[MAX_DOMAINS];
_Static_assert(MAX_DOMAINS < 16, "a capture record's domain is a nibble (include/perfvisor/capture.h)");
extern int ndomains;

/* Reads its name, memory and options from cmdline; returns 0 or -1 with why in err. */
int domain_configure(struct domain *d, int id, const char *cmdline, char *err, int errlen);

/* The domain wrote its exit status (port 0xF4, HC_EXIT). */
void domain_exit(struct domain *d, int status, const char *how);
/* The domain halted with interrupts off: it ended without an exit status, which counts as 0
 * (a Linux power-off ends so) unless the user asks otherwise (perfvisor run --halt-fails). */
void domain_halt(struct domain *d);
/* The hypervisor stops a misbehaving domain; the reason is printed. */
void domain_stop(struct domain *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The hypervisor ticks spent for a vCPU: handling its exits, and exporting (ring drains after
 * its slices, serial pumping in its exits). */
uint64_t vcpu_hv_ticks(const struct vcpu *v);
/* What the vCPU is charged for, in slices and against budget=: its guest ticks and the
 * hypervisor's ticks for it. */
static inline uint64_t vcpu_charged_ticks(const struct vcpu *v)
{
    return v->guest_ticks + vcpu_hv_ticks(v);
}

/* An RDMSR or WRMSR (write) of `msr` was answered with #GP: counted, and the first
 * VCPU_MSR_FAULTS_KEPT distinct (MSR, direction) pairs kept for the summary. */
static inline void vcpu_note_msr_fault(struct vcpu *v, uint32_t msr, int write)
{
    uint32_t key = msr | (write ? VCPU_MSR_FAULT_WRITE : 0);
    v->msr_faults++;
    for (int i = 0; i < v->msr_fault_kept; i++)
        if (v->msr_fault_list[i] == key)
            return;
    if (v->msr_fault_kept < VCPU_MSR_FAULTS_KEPT)
        v->msr_fault_list[v->msr_fault_kept++] = key;
    else
        v->msr_fault_more = 1;
}

/* When a sleeping vCPU (HLT with interrupts on) can run again: 0 if an interrupt or NMI is
 * deliverable now, the TSC of its APIC timer's next expiry, or UINT64_MAX if nothing it has
 * can ever wake it (its devices interrupt only on its own accesses). */
uint64_t vcpu_wake_tsc(const struct vcpu *v);

/* A Linux domain's I/O APIC (hv/domain_ioapic.c): domain_ioapic_init, after the vCPU's vLAPIC
 * is set up, wires it to the vLAPIC (deliveries, and level_eoi -> vioapic_eoi) and sets
 * has_ioapic; domain_ioapic_page says whether gpa is on its page; domain_ioapic_access does a
 * 32-bit read (returned) or write there. */
void domain_ioapic_init(struct domain *d);
int domain_ioapic_page(const struct domain *d, uint64_t gpa);
uint32_t domain_ioapic_access(struct domain *d, uint64_t gpa, int write, uint32_t val);

/* Host pointer to guest-physical [gpa, gpa+len) or NULL if any of it is outside the domain. */
void *domain_gpa_ptr(struct domain *d, uint64_t gpa, uint64_t len);

/* One line of guest console output, tagged "[id:name] ". */
void domain_console_line(struct domain *d, const char *line, int len);
/* The same, as the vuart's line callback (ctx = the domain). */
void domain_console_cb(void *ctx, const char *line, int len);

#endif
