/* A virtual local APIC, one per vCPU: the xAPIC page and the x2APIC MSRs as a guest sees them,
 * enough for a guest's PMU overflow handler (LVTPC, EOI, TPR) and self-IPIs.  Pure: the lead
 * routes EPT violations on the APIC page (after arch/x86/insn_decode.h) and RDMSR/WRMSR of
 * 800H-8FFH here, and injects what vlapic_pending / vlapic_take_nmi report.
 *
 * SDM Vol. 3A chapter "Advanced Programmable Interrupt Controller (APIC)" (chapter 11 in
 * editions from 2023 on, 10 before):
 *   11.4.1  Table 11-1 register map; 32-bit, 16-byte-aligned accesses only
 *   11.4.7.2 software disable (SVR bit 8): LVTs masked and cannot be unmasked
 *   11.5.1  LVT layouts (Figure 11-8)      11.5.3 ESR (Figure 11-9)
 *   11.6.1  ICR (Figure 11-12)             11.8.3.1 TPR/PPR   11.8.4-5 IRR/ISR, EOI
 *   11.12.1.2 Table 11-6 x2APIC MSRs       11.12.1.3 reserved bits #GP   11.12.11 SELF IPI
 *   11.4.4  IA32_APIC_BASE (Figure 11-5)   11.4.3 global disable   11.12.5 x2APIC state transitions
 *
 * Bad accesses (what the lead does with a -1):
 *   xAPIC MMIO: an offset that is not 16-byte aligned or lies outside the 4-KByte page touches
 *     bytes 4-15 of a register: "undefined behavior ... must not be executed" (11.4.1), as are
 *     accesses other than 4 bytes (the lead checks the size; the decoder reports it) -> -1:
 *     stop the domain with a message.  A reserved offset is no error for the instruction: the
 *     read returns 0, the write is dropped, and ESR bit 7 "Illegal Register Address" is logged
 *     (11.5.3) -> 0.  Writes to read-only registers are ignored, reads of EOI return 0 -> 0.
 *     In x2APIC mode the page is not decoded (11.12.2: "similar to ... globally disabled"):
 *     -1, and the lead treats it like any access outside guest memory.
 *   x2APIC MSRs: -1 means inject #GP(0): any access in xAPIC mode, an MSR not in Table 11-6
 *     (DFR 80EH, 831H, APR, RRD, ...), RDMSR of EOI/SELF IPI, WRMSR of a read-only register,
 *     a non-zero reserved bit (11.12.1.3; bits 63:32 of all but ICR), a non-zero EOI or ESR.
 *
 * The APIC timer (11.5.4, hv/vlapic_timer.c) counts the TSC: every access takes `now`, the TSC
 * at the access, and the lead calls vlapic_timer_update when vlapic_timer_next's deadline has
 * passed.
 *
 * Level-triggered interrupts come only from the I/O APIC (vlapic_deliver): their vector's TMR
 * bit is set, and the EOI that retires it is broadcast to the level_eoi hook (11.8.5).
 *
 * Not modelled: level-triggered local interrupts (LINT0/1), LVT CMCI (max LVT is 5),
 * EOI-broadcast suppression, IPIs to other CPUs (dropped and counted in ipi_dropped),
 * SMI/INIT/ExtINT delivery modes. */
#ifndef HV_VLAPIC_H
#define HV_VLAPIC_H

#include <stdint.h>

/* xAPIC register offsets in the 4-KByte page (Table 11-1); x2APIC MSR = 800H + offset >> 4. */
#define APIC_ID         0x020
#define APIC_VERSION    0x030
#define APIC_TPR        0x080
#define APIC_APR        0x090   /* xAPIC only (P6/Pentium leftover): reads 0 */
#define APIC_PPR        0x0A0
#define APIC_EOI        0x0B0
#define APIC_RRD        0x0C0   /* xAPIC only: reads 0 */
#define APIC_LDR        0x0D0
#define APIC_DFR        0x0E0   /* xAPIC only */
#define APIC_SVR        0x0F0
#define APIC_ISR0       0x100   /* 8 registers, 16 bytes apart: vectors 32i..32i+31 */
#define APIC_TMR0       0x180
#define APIC_IRR0       0x200
#define APIC_ESR        0x280
#define APIC_ICR_LO     0x300
#define APIC_ICR_HI     0x310   /* xAPIC only: MSR 830H holds both halves */
#define APIC_LVT_TIMER  0x320
#define APIC_LVT_THERM  0x330
#define APIC_LVT_PMC    0x340   /* LVT performance-monitoring counters (11.5.1); x2APIC MSR 834H */
#define APIC_LVT_LINT0  0x350
#define APIC_LVT_LINT1  0x360
#define APIC_LVT_ERROR  0x370
#define APIC_TIMER_ICR  0x380   /* initial count */
#define APIC_TIMER_CCR  0x390   /* current count (read-only) */
#define APIC_TIMER_DCR  0x3E0   /* divide configuration */
#define APIC_SELF_IPI   0x3F0   /* x2APIC only (MSR 83FH), write-only */

#define X2APIC_MSR_BASE 0x800u
#define X2APIC_MSR_LAST 0x8FFu
#define X2APIC_MSR(off) (X2APIC_MSR_BASE + ((off) >> 4))

#define APIC_VERSION_ID 0x14u   /* integrated APIC (10H-15H) */
#define APIC_MAX_LVT    5u      /* 6 entries: timer, thermal, PMC, LINT0, LINT1, error */

#define APIC_SVR_ENABLE (1u << 8)   /* APIC software enable */

/* IA32_APIC_BASE (MSR 1BH, Figure 11-5): bits 7:0 and 9 reserved, 8 BSP, 10 EXTD (x2APIC
 * enable), 11 EN (APIC global enable), 12 and up the page's physical address. */
#define APIC_BASE_BSP       (1ull << 8)
#define APIC_BASE_EXTD      (1ull << 10)
#define APIC_BASE_EN        (1ull << 11)
#define APIC_BASE_DEFAULT   0xFEE00000ull  /* the page's address after RESET (11.4.1) */

/* ESR bits (Figure 11-9) */
#define APIC_ESR_SEND_ILLEGAL_VECTOR    (1u << 5)
#define APIC_ESR_RECV_ILLEGAL_VECTOR    (1u << 6)
#define APIC_ESR_ILLEGAL_REGISTER       (1u << 7)

/* LVT timer (Figure 11-8): timer mode, bits 18:17 (11.5.4) */
#define APIC_LVT_TIMER_MODE(lvt)    (((lvt) >> 17) & 3u)
#define APIC_TIMER_ONESHOT          0u
#define APIC_TIMER_PERIODIC         1u
#define APIC_TIMER_TSC_DEADLINE     2u  /* CPUID.1:ECX[24]; 3 is reserved (counts as one-shot) */

#define MSR_IA32_TSC_DEADLINE       0x6E0u  /* 11.5.4.1; SDM Vol. 4 Table 2-2 */

/* The APIC timer's state (hv/vlapic_timer.c).  Time is the TSC: one bus-clock tick per TSC
 * tick, divided by the divide configuration. */
struct vlapic_timer {
    int armed;                  /* counting toward `deadline` */
    uint64_t deadline;          /* TSC of the next expiry */
    uint64_t tsc_deadline;      /* IA32_TSC_DEADLINE as the guest reads it (deadline mode) */
    uint64_t expired;           /* expiries, masked or not */
    uint64_t coalesced;         /* periodic expiries folded into a later one (missed while
                                 * the domain did not run) */
};

enum vlapic_lvt { VLAPIC_LVT_TIMER, VLAPIC_LVT_THERMAL, VLAPIC_LVT_PMC, VLAPIC_LVT_LINT0,
                  VLAPIC_LVT_LINT1, VLAPIC_LVT_ERROR, VLAPIC_NLVT };

struct vlapic {
    uint32_t id;                /* x2APIC ID (32 bits); the xAPIC ID register shows id << 24 */
    uint32_t tpr, svr, ldr, dfr;
    uint32_t esr;               /* what the guest reads */
    uint32_t esr_pending;       /* errors since the last ESR write (11.5.3) */
    uint32_t lvt[VLAPIC_NLVT];  /* indexed by enum vlapic_lvt */
    uint32_t icr_lo, icr_hi;    /* x2APIC: icr_hi is the full 32-bit destination */
    uint32_t timer_icr, timer_dcr;  /* initial count, divide configuration as written */
    struct vlapic_timer timer;
    uint32_t isr[8], irr[8];    /* bit v%32 of word v/32 = vector v */
    int nmi_pending;
    int x2apic;                 /* IA32_APIC_BASE.EXTD */
    int disabled;               /* IA32_APIC_BASE.EN = 0: globally disabled (11.4.3) */
    uint64_t base;              /* IA32_APIC_BASE's address and BSP bits (fixed) */
    uint64_t ipi_dropped;       /* ICR writes that target another CPU or an unsupported mode */
    uint32_t tmr[8];            /* level-triggered vectors in the ISR/IRR (vlapic_deliver) */
    /* EOI of a level-triggered vector, broadcast to the I/O APIC (hv/vioapic.h); kept across
     * a reset like the ID */
    void (*level_eoi)(void *ctx, int vec);
    void *level_eoi_ctx;
};

/* RESET/INIT state (11.4.7.1): LVTs masked, SVR 0FFH (software-disabled), DFR all ones; xAPIC
 * mode, globally enabled, IA32_APIC_BASE = APIC_BASE_DEFAULT | BSP (vCPU 0) | EN. */
void vlapic_init(struct vlapic *a, uint32_t apic_id);

/* RDMSR/WRMSR of IA32_APIC_BASE.  The states are those of 11.12.5 (Figure 11-27), by
 * (EN, EXTD): disabled (0,0), xAPIC (1,0), x2APIC (1,1), invalid (0,1).  A write returns -1 =
 * inject #GP(0) for: a reserved bit (7:0, 9), the invalid state, x2APIC -> xAPIC, disabled ->
 * x2APIC (each needs the state between them); and, as perfvisor does not model them, for a
 * moved page or a changed BSP flag.  A write that clears EN resets the APIC (11.4.3: "the
 * processor is functionally equivalent to an IA-32 processor without an on-chip APIC"; 11.12.5:
 * re-enabling starts from the reset state), keeping its ID; re-enabling gives xAPIC mode with
 * that reset state.  Writing the current value is always accepted. */
uint64_t vlapic_base_read(const struct vlapic *a);
int vlapic_base_write(struct vlapic *a, uint64_t value);
/* The xAPIC page decodes (globally enabled, xAPIC mode). */
int vlapic_xapic_mode(const struct vlapic *a);

/* 32-bit access at `offset` in the xAPIC page: 0, or -1 for a bad access (see above).  now:
 * the TSC at the access (the timer's current count, a timer that starts or is due). */
int vlapic_mmio_read(struct vlapic *a, uint32_t offset, uint32_t *val, uint64_t now);
int vlapic_mmio_write(struct vlapic *a, uint32_t offset, uint32_t val, uint64_t now);

/* RDMSR/WRMSR of an x2APIC MSR: 0, or -1 = inject #GP(0). */
int vlapic_msr_read(struct vlapic *a, uint32_t msr, uint64_t *val, uint64_t now);
int vlapic_msr_write(struct vlapic *a, uint32_t msr, uint64_t val, uint64_t now);

/* The APIC timer (11.5.4; hv/vlapic_timer.c).
 * Time base: the TSC.  The "bus clock" the timer divides is the TSC rate, so initial count N
 * with divide value D expires N * D TSC ticks after the initial-count write; the current count
 * is ceil(ticks left / D).  It counts wall time: it runs on while other domains do.
 *   one-shot (00): a non-zero initial-count write (re)starts the count, 0 stops it; at 0 the
 *     interrupt fires once and the current count stays 0.
 *   periodic (01): the same, reloading from the initial count at every expiry.  Expiries missed
 *     while the domain was not running fire once when it runs again (an IRR bit holds one
 *     interrupt anyway), counted in timer.coalesced; the next one keeps the original period
 *     grid (start + k * N * D).
 *   TSC-deadline (10, 11.5.4.1): initial-count writes are ignored and the current count reads
 *     0; IA32_TSC_DEADLINE arms it (0 disarms); it fires once the TSC reaches the value (a
 *     value in the past fires at once), then disarms and reads 0.  Outside this mode the MSR
 *     reads 0 and writes are ignored.
 *   Writing the LVT timer: one-shot <-> periodic keeps the count running (the mode at expiry
 *     decides whether it reloads) and does not start a stopped timer; a move into or out of
 *     TSC-deadline mode disarms it and clears the initial count and IA32_TSC_DEADLINE.
 *   A divide-configuration write while counting keeps the current count, which then runs at
 *     the new rate.  The mask (and a software-disabled APIC, which masks every LVT) suppresses
 *     the interrupt, not the counting.  Delivery status (bit 12) reads 0: an expiry goes
 *     straight to the IRR (a vector below 16 logs ESR "receive illegal vector" instead).
 *   A global disable (IA32_APIC_BASE.EN = 0) resets the timer with the other registers. */

/* Fires what is due by `now`: returns 1 if an interrupt went to the IRR. */
int vlapic_timer_update(struct vlapic *a, uint64_t now);
/* 1 and the TSC of the next expiry if the timer is counting, else 0. */
static inline int vlapic_timer_next(const struct vlapic *a, uint64_t *deadline)
{
    *deadline = a->timer.deadline;
    return a->timer.armed;
}
/* The divide value of a divide-configuration register (Figure 11-10): 1 to 128. */
uint32_t vlapic_timer_divisor(uint32_t dcr);
/* RDMSR/WRMSR of IA32_TSC_DEADLINE (6E0H): never #GP (the lead checks nothing else). */
uint64_t vlapic_tsc_deadline_read(struct vlapic *a, uint64_t now);
void vlapic_tsc_deadline_write(struct vlapic *a, uint64_t value, uint64_t now);

/* For hv/vlapic.c only: the timer's registers. */
uint32_t vlapic_timer_ccr(struct vlapic *a, uint64_t now);
void vlapic_timer_icr_written(struct vlapic *a, uint64_t now);
void vlapic_timer_dcr_written(struct vlapic *a, uint32_t old_dcr, uint64_t now);
void vlapic_timer_lvt_written(struct vlapic *a, uint32_t old_lvt, uint64_t now);
/* For hv/vlapic_timer.c only: a local interrupt through LVT entry `lvt` (fixed delivery):
 * 1 if it reached the IRR. */
int vlapic_local_fixed(struct vlapic *a, enum vlapic_lvt lvt);

/* EXTD set (on=1): the ID becomes 32-bit and the LDR is derived from it (11.12.10.2).
 * vlapic_base_write calls it; leaving x2APIC mode goes through a global disable, which resets
 * the APIC (11.12.5). */
void vlapic_set_x2apic(struct vlapic *a, int on);

/* The PMU overflowed: deliver per the LVTPC.  Returns 0 when not delivered (masked, APIC
 * software-disabled, vector below 16 (ESR "receive illegal vector"), or a delivery mode other
 * than fixed/NMI), else 1 after: fixed -> IRR[vector] set; NMI -> nmi_pending set.  Sets the
 * LVTPC mask bit, as the CPU does on PMI delivery, so the guest's handler must unmask it. */
int vlapic_pmi(struct vlapic *a);

/* An interrupt message from the I/O APIC (fixed delivery, already addressed to this APIC):
 * IRR[vec] as for any fixed interrupt, and TMR[vec] set for level (cleared for edge).
 * 1 if it reached the IRR; a software-disabled APIC or a vector below 16 refuses it. */
int vlapic_deliver(struct vlapic *a, int vec, int level);

/* Whether anything waits in the IRR or as an NMI: after an access that leaves this 0, there
 * is nothing for the lead to deliver (what was pending before is already being delivered). */
static inline int vlapic_has_events(const struct vlapic *a)
{
    uint32_t any = (uint32_t)a->nmi_pending;
    for (int i = 0; i < 8; i++)
        any |= a->irr[i];
    return any != 0;
}

/* The highest IRR vector whose priority class beats the PPR's: 1 and *vec, else 0. */
int vlapic_pending(const struct vlapic *a, int *vec);
/* The lead injected vec: IRR -> ISR. */
void vlapic_accept(struct vlapic *a, int vec);
/* 1 if an NMI is pending (and clears it). */
int vlapic_take_nmi(struct vlapic *a);

/* PPR as the guest would read it (11.8.3.1). */
uint32_t vlapic_ppr(const struct vlapic *a);

/* MOV from/to CR8 in 64-bit mode (11.8.6.5 "Interaction of Task Priorities between CR8 and
 * APIC"): CR8[3:0] is TPR[7:4]; a write sets TPR[7:4] and clears TPR[3:0].  Bits 63:4 of a
 * written value are reserved: the lead injects #GP(0) for them (SDM Vol. 2B "MOV—Move to/from
 * Control Registers"), so vlapic_cr8_write takes only 0-15 and returns -1 for anything else. */
uint64_t vlapic_cr8_read(const struct vlapic *a);
int vlapic_cr8_write(struct vlapic *a, uint64_t cr8);

#endif
