/* The interface generic code (hv/) uses to run guests; implemented by arch/x86/vmx/.
 * Generic code never sees VMCS fields: exits come back as calls into hv/ (vdev_io,
 * hypercall, domain_exit, domain_stop). */
#ifndef HV_ARCH_H
#define HV_ARCH_H

#include <stdint.h>

struct domain;
struct vcpu;

/* Console, descriptor tables and exception handlers: the first thing kmain does. */
void arch_early_init(void);

/* Probes and enables hardware virtualization.  On failure prints
 * "perfvisor: VT-x not available: <why>" and returns -1. */
int arch_virt_init(void);

/* Builds the domain's second-level page tables for [0, mem_size) -> mem_host. */
int arch_domain_init(struct domain *d);

/* Prepares the vCPU to start at d->entry in 32-bit protected mode, paging off,
 * EAX=0x2BADB002, EBX=d->mbinfo, as a multiboot loader does. */
int arch_vcpu_init(struct vcpu *v);

/* Runs the vCPU for about `ticks` TSC ticks of guest time, handling its exits, and returns
 * when the time is used up or the domain is no longer running. */
void arch_vcpu_run(struct vcpu *v, uint64_t ticks);

/* Reads guest linear memory of the loaded vCPU through its page tables; 0 or -1 (unmapped). */
int arch_guest_read(struct vcpu *v, uint64_t gva, void *buf, uint64_t len);

/* Name of an exit reason number, for the summary. */
const char *arch_exit_reason_name(int reason);

#endif
