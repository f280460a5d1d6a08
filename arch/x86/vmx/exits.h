/* VM-exit handlers, one file per exit family, dispatched from the table in vmexit.c. */
#ifndef ARCH_X86_VMX_EXITS_H
#define ARCH_X86_VMX_EXITS_H

#include <stdint.h>

struct vcpu;
struct vmx_vcpu;

enum exit_action {
    EXIT_RESUME,        /* re-enter the guest */
    EXIT_END_SLICE,     /* give the CPU to the scheduler */
};

typedef enum exit_action (*exit_handler_fn)(struct vcpu *v, struct vmx_vcpu *x);

enum exit_action exit_cpuid(struct vcpu *v, struct vmx_vcpu *x);          /* exit_cpuid.c */
enum exit_action exit_rdmsr(struct vcpu *v, struct vmx_vcpu *x);          /* exit_msr.c */
enum exit_action exit_wrmsr(struct vcpu *v, struct vmx_vcpu *x);
enum exit_action exit_io(struct vcpu *v, struct vmx_vcpu *x);             /* exit_io.c */
enum exit_action exit_ept_violation(struct vcpu *v, struct vmx_vcpu *x);  /* exit_ept.c */
enum exit_action exit_ept_misconfig(struct vcpu *v, struct vmx_vcpu *x);
enum exit_action exit_cr_access(struct vcpu *v, struct vmx_vcpu *x);      /* exit_cr.c */
enum exit_action exit_hlt(struct vcpu *v, struct vmx_vcpu *x);            /* exit_misc.c */
enum exit_action exit_vmcall(struct vcpu *v, struct vmx_vcpu *x);
enum exit_action exit_triple_fault(struct vcpu *v, struct vmx_vcpu *x);
enum exit_action exit_preemption_timer(struct vcpu *v, struct vmx_vcpu *x);
enum exit_action exit_interrupt(struct vcpu *v, struct vmx_vcpu *x);
enum exit_action exit_exception_nmi(struct vcpu *v, struct vmx_vcpu *x);
enum exit_action exit_inject_ud(struct vcpu *v, struct vmx_vcpu *x);
enum exit_action exit_skip(struct vcpu *v, struct vmx_vcpu *x);
enum exit_action exit_init_signal(struct vcpu *v, struct vmx_vcpu *x);
enum exit_action exit_event_window(struct vcpu *v, struct vmx_vcpu *x);   /* vmx_events.c */
enum exit_action exit_rdpmc(struct vcpu *v, struct vmx_vcpu *x);          /* exit_vpmu.c */
/* An EPT violation on the xAPIC page: the access emulated (exit_apic.c). */
enum exit_action exit_apic_mmio(struct vcpu *v, struct vmx_vcpu *x, uint64_t gpa);
enum exit_action exit_ioapic_mmio(struct vcpu *v, struct vmx_vcpu *x, uint64_t gpa);

#endif
