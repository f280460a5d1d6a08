/* The host local APIC, only as far as the PMU needs it: performance-monitoring interrupts
 * delivered as NMIs (SDM Vol. 3A 11.5.1 "Local Vector Table"). */
#ifndef ARCH_X86_LAPIC_H
#define ARCH_X86_LAPIC_H

/* Routes PMIs to NMI; returns 0, or -1 if the local APIC is disabled. */
int lapic_pmi_as_nmi(void);
/* Clears the LVTPC mask bit, which some CPUs set when they deliver a PMI. */
void lapic_pmi_unmask(void);

#endif
