/* The hypervisor's idle loop: every domain waits in HLT for a timer.  Nothing in the host
 * interrupts perfvisor (its own interrupts are masked), so it polls the TSC with PAUSE (SDM
 * Vol. 2B "PAUSE": a spin-wait hint) until the earliest guest deadline.  Under Bochs the TSC
 * advances one per instruction, so waiting costs what it waits. */
#include "arch/x86/cpu.h"
#include "hv/platform.h"

void platform_idle_until(uint64_t tsc)
{
    while (rdtsc() < tsc)
        __asm__ volatile("pause");
}
