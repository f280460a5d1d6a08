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
/* Chooses the console from the hypervisor command line (console=), the firmware or the
 * default, and sends what was printed before it: right after the boot information is read.
 * acpi_rsdp: the loader's copy of the firmware's RSDP (0: look where a PC BIOS leaves it);
 * the firmware's tables also name the interrupt controllers, which are quiesced here. */
void arch_console_setup(const char *cmdline, uint64_t acpi_rsdp);

/* Probes and enables hardware virtualization.  On failure prints
 * "perfvisor: VT-x not available: <why>" and returns -1. */
int arch_virt_init(void);

/* The guest vPMU's backend from the hypervisor command line: vpmu=sw (default) or vpmu=hw
 * (experimental: the real PMU, software when there is none).  -1 on a bad value.  A VMX_CHECK
 * build also reads its vmxcheck= options here. */
int arch_vpmu_init(const char *cmdline);

/* Builds the domain's second-level page tables for [0, mem_size) -> mem_host. */
int arch_domain_init(struct domain *d);

/* 0 if the start state can be entered as it is (the VM-entry checks on guest state, SDM Vol. 3C
 * 26.3.1), or -1 with which rule it breaks in err: a failed VM entry never happens. */
int arch_boot_state_check(const struct domain *d, char *err, int errlen);

/* Prepares the vCPU to start in d->boot: 32-bit protected mode, paging off, EAX=0x2BADB002,
 * EBX=info for a multiboot kernel, or the 64-bit Linux entry (IA-32e mode, RSI=boot_params). */
int arch_vcpu_init(struct vcpu *v);

/* Runs the vCPU for about `ticks` TSC ticks of guest time, handling its exits, and returns
 * when the time is used up or the domain is no longer running. */
void arch_vcpu_run(struct vcpu *v, uint64_t ticks);

/* Reads guest linear memory of the loaded vCPU through its page tables; 0 or -1 (unmapped). */
int arch_guest_read(struct vcpu *v, uint64_t gva, void *buf, uint64_t len);

/* Name of an exit reason number, for the summary. */
const char *arch_exit_reason_name(int reason);

#endif
