/* The host local APIC, as far as perfvisor uses it (SDM Vol. 3A ch. 11): quiet at start-up (the
 * interrupt sources it does not use masked, software-enabled), performance-monitoring interrupts
 * delivered as NMIs (11.5.1), and EOI for the interrupts VM exits acknowledge.
 *
 * The logic works on a struct lapic_io (register reads and writes by xAPIC offset), so the host
 * unit tests run it on an APIC model; lapic.c binds it to the xAPIC page or the x2APIC MSRs. */
#ifndef ARCH_X86_LAPIC_H
#define ARCH_X86_LAPIC_H

#include <stddef.h>
#include <stdint.h>

struct lapic_io {
    uint32_t (*read)(void *ctx, uint32_t reg);
    void (*write)(void *ctx, uint32_t reg, uint32_t v);
    void *ctx;
};

/* What lapic_quiesce_io masked, as bits: */
#define LAPIC_Q_TIMER   (1u << 0)
#define LAPIC_Q_THERMAL (1u << 1)
#define LAPIC_Q_PMC     (1u << 2)
#define LAPIC_Q_LINT0   (1u << 3)
#define LAPIC_Q_ERROR   (1u << 4)
#define LAPIC_Q_CMCI    (1u << 5)

/* Masks every LVT entry perfvisor does not use — timer, thermal (if the APIC has it), the
 * performance counters (until hw_backend routes them), LINT0 (the 8259's ExtINT), error, CMCI
 * (if present) — leaving LINT1 (the platform's NMI) as the firmware set it; stops the timer
 * (initial count 0); sets SVR bit 8 (APIC software enable, 11.4.7.2: without it no LVT can be
 * unmasked) keeping the spurious vector; TPR 0.  Returns the LAPIC_Q_* bits of the entries it
 * found (present per the version register's max LVT entry). */
unsigned lapic_quiesce_io(const struct lapic_io *io);

/* PMIs as NMIs: sets SVR bit 8 if clear, writes LVTPC = NMI delivery, unmasked, and reads it
 * back.  0, or -1 with why (no LVTPC entry; the write did not stick, e.g. the APIC stays
 * software-disabled and keeps the mask bit set). */
int lapic_pmi_nmi_io(const struct lapic_io *io, char *why, size_t len);

/* On the CPU: */
int lapic_init(void);                  /* finds the APIC (IA32_APIC_BASE) and quiesces it; -1: disabled */
int lapic_pmi_as_nmi(char *why, size_t len);
/* Clears the LVTPC mask bit, which some CPUs set when they deliver a PMI. */
void lapic_pmi_unmask(void);
/* End of interrupt for a vector a VM exit acknowledged ("acknowledge interrupt on exit"); none
 * for the spurious vector, which sets no ISR bit (11.9). */
void lapic_eoi_vector(unsigned vector);

#endif
