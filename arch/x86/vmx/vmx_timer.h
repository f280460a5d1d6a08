/* The preemption timer's multiplexing (vmx_timer.c): the run loop and the exit handlers that
 * change an event time use it; nothing here calls back into the run loop. */
#ifndef ARCH_X86_VMX_VMX_TIMER_H
#define ARCH_X86_VMX_VMX_TIMER_H

#include <stdint.h>

struct vcpu;

/* Arms the timer for the nearest of: the slice's end, the next sample, the next virtual
 * overflow, the virtual APIC timer's expiry (clears x->rearm). */
void vmx_timer_arm(struct vcpu *v);
/* Takes what the timer counted since the last settle off the slice and the next sample and
 * gives it to the guest's counters; expired: the timer ran out.  Sets x->rearm when an event
 * came due.  An exit handler calls it to bring the counters up to its exit. */
void vmx_timer_settle(struct vcpu *v, int expired, uint64_t tsc);
/* Before an entry while the virtual APIC timer counts (or just stopped): its expiry to the
 * IRR when due, and a re-arm when its deadline moved. */
void vmx_timer_apic_poll(struct vcpu *v, uint64_t now);

#endif
