/* The preemption timer re-armed for the virtual APIC timer's expiry without a settle (pure;
 * vmx_timer.c's vmx_timer_apic_poll, tests/unit/test_vmx_timer_rebound.c).
 *
 * The VMX-preemption timer counts guest time only (SDM Vol. 3C 26.5.1: it counts down in VMX
 * non-root operation); the APIC timer's expiry is TSC (wall) time.  When the APIC timer was
 * the nearest event at the last arming (vmx_vcpu.apic_bound) and nothing was re-armed since,
 * an exit's hypervisor time brings only the APIC expiry nearer (guest time brings every event
 * nearer alike), so it is still the nearest, now `left` timer units away, and the timer is
 * re-armed for it so that the interrupt is not late by the exit.  A full re-arm settles first
 * (takes the guest time the timer counted off the slice and the sample countdown and gives it
 * to the guest's counters); this keeps that guest time unsettled instead: the settle after it
 * takes `armed - remaining`, so `armed` moves by as much as the timer's value does (new -
 * remaining), and that settle still takes exactly the guest time since the last one. */
#ifndef ARCH_X86_VMX_VMX_TIMER_REBOUND_H
#define ARCH_X86_VMX_VMX_TIMER_REBOUND_H

#include <stdint.h>

/* The timer's new value for an expiry `left` units away (at least 1: a value of 0 exits
 * before the guest's first instruction), with *armed moved to match; 0, *armed untouched,
 * when the expiry is not nearer than the timer's `remaining` units (then the caller settles
 * and re-arms in full). */
static inline uint32_t vmx_timer_rebound(uint32_t *armed, uint32_t remaining, uint64_t left)
{
    uint32_t n = left ? (uint32_t)(left < remaining ? left : remaining) : 1;

    if (left > remaining || n > remaining)
        return 0;
    *armed = *armed - remaining + n;    /* armed >= remaining >= n: no wrap */
    return n;
}

#endif
