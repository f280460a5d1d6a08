/* idt.h - a full 256-entry IDT with C handlers, and RDMSR/WRMSR/RDPMC that
 * survive #GP/#UD.  Header only (static functions), so guests that do not
 * include it are byte-for-byte unchanged; include it from one .c file.
 *
 * Handlers are gcc `interrupt` functions (SDM Vol. 3A, 6.12.1: at the same
 * privilege level the CPU pushes EFLAGS, CS, EIP, and for some exceptions an
 * error code, then IRET returns):
 *
 *   IDT_ISR static void my_isr(struct iframe *f) { ... f->ip ... }
 *   idt_set(0xE0, my_isr);
 *
 * idt_init() fills every vector: exceptions 0-31 print
 * "idt: unexpected exception N at eip X err E" and exit IDT_FATAL_STATUS
 * (except #GP and #UD raised by the safe_* instructions below, which are
 * skipped); vectors 32-255 count a stray interrupt (idt_stray) and return.
 *
 * safe_rdmsr/safe_wrmsr/safe_rdpmc: 0, or -1 if the instruction raised #GP or
 * #UD (idt_fault_vector says which: 13 or 6).  The handler recognises the
 * faulting instruction by its two opcode bytes (0F 32, 0F 30, 0F 33) while a
 * safe_* call is in progress and resumes after it. */
#ifndef GUEST_IDT_H
#define GUEST_IDT_H

#include "guest.h"

#define IDT_ISR          __attribute__((interrupt))
#define IDT_FATAL_STATUS 99     /* exit status after an unexpected exception */
#ifndef IDT_KERNEL_CS                   /* a guest may define its own before including this */
#define IDT_KERNEL_CS    0x08   /* entry.asm's code selector */
#endif
#define IDT_GATE_INT     0x8E   /* present, DPL 0, 32-bit interrupt gate (clears IF) */

/* What the CPU pushes for an interrupt or exception without a privilege change. */
struct iframe {
    uint32_t ip, cs, flags;
};

struct idt_gate {
    uint16_t off_lo, sel;
    uint8_t zero, type_attr;
    uint16_t off_hi;
} __attribute__((packed));
_Static_assert(sizeof(struct idt_gate) == 8, "32-bit IDT gate is 8 bytes");

static struct idt_gate idt_gates[256] __attribute__((aligned(8), unused));
static volatile uint32_t idt_try_armed __attribute__((unused));   /* a safe_* is running */
static volatile uint32_t idt_try_faulted __attribute__((unused)); /* ... and it faulted */
static volatile uint32_t idt_fault_vector __attribute__((unused));/* 13 (#GP) or 6 (#UD) */
static volatile uint32_t idt_stray __attribute__((unused));       /* interrupts 32-255 nobody claimed */

static inline void idt_set_gate(unsigned int vec, void *fn, uint8_t type_attr)
{
    uint32_t a = (uint32_t)fn;
    idt_gates[vec] = (struct idt_gate){ (uint16_t)a, IDT_KERNEL_CS, 0, type_attr,
                                        (uint16_t)(a >> 16) };
}

/* Install handler `fn` (an IDT_ISR function) for vector `vec` (interrupt gate, DPL 0). */
#define idt_set(vec, fn) idt_set_gate((vec), (void *)(fn), IDT_GATE_INT)

static void __attribute__((noreturn, unused)) idt_fatal(unsigned int vec, uint32_t ip, uint32_t err)
{
    printf("idt: unexpected exception %u at eip 0x%x err 0x%x\n", vec, ip, err);
    guest_exit(IDT_FATAL_STATUS);
}

/* #GP/#UD inside a safe_* call: skip the 2-byte RDMSR/WRMSR/RDPMC. */
static inline int idt_try_fixup(struct iframe *f, unsigned int vec)
{
    const uint8_t *p = (const uint8_t *)f->ip;
    if (!idt_try_armed || p[0] != 0x0F || (p[1] != 0x30 && p[1] != 0x32 && p[1] != 0x33))
        return 0;
    idt_try_faulted = 1;
    idt_fault_vector = vec;
    f->ip += 2;
    return 1;
}

#define IDT_EXC(n)                                                                  \
    IDT_ISR static void __attribute__((unused)) idt_exc_##n(struct iframe *f)       \
    { idt_fatal(n, f->ip, 0); }
#define IDT_EXC_ERR(n)                                                              \
    IDT_ISR static void __attribute__((unused)) idt_exc_##n(struct iframe *f, uint32_t err) \
    { idt_fatal(n, f->ip, err); }
IDT_EXC(0) IDT_EXC(1) IDT_EXC(2) IDT_EXC(3) IDT_EXC(4) IDT_EXC(5) IDT_EXC(7)
IDT_EXC_ERR(8) IDT_EXC(9) IDT_EXC_ERR(10) IDT_EXC_ERR(11) IDT_EXC_ERR(12) IDT_EXC_ERR(14)
IDT_EXC(15) IDT_EXC(16) IDT_EXC_ERR(17) IDT_EXC(18) IDT_EXC(19) IDT_EXC(20) IDT_EXC_ERR(21)
IDT_EXC(22) IDT_EXC(23) IDT_EXC(24) IDT_EXC(25) IDT_EXC(26) IDT_EXC(27) IDT_EXC(28)
IDT_EXC_ERR(29) IDT_EXC_ERR(30) IDT_EXC(31)

IDT_ISR static void __attribute__((unused)) idt_exc_6(struct iframe *f)
{
    if (!idt_try_fixup(f, 6))
        idt_fatal(6, f->ip, 0);
}

IDT_ISR static void __attribute__((unused)) idt_exc_13(struct iframe *f, uint32_t err)
{
    if (!idt_try_fixup(f, 13))
        idt_fatal(13, f->ip, err);
}

IDT_ISR static void __attribute__((unused)) idt_stray_isr(struct iframe *f)
{
    (void)f;
    idt_stray++;
}

/* Fill all 256 vectors and load the IDT.  Interrupts stay as they are (IF=0
 * at entry); install your own handlers with idt_set() afterwards. */
static void __attribute__((unused)) idt_init(void)
{
    static void *const exc[32] = {
        idt_exc_0, idt_exc_1, idt_exc_2, idt_exc_3, idt_exc_4, idt_exc_5, idt_exc_6,
        idt_exc_7, idt_exc_8, idt_exc_9, idt_exc_10, idt_exc_11, idt_exc_12, idt_exc_13,
        idt_exc_14, idt_exc_15, idt_exc_16, idt_exc_17, idt_exc_18, idt_exc_19, idt_exc_20,
        idt_exc_21, idt_exc_22, idt_exc_23, idt_exc_24, idt_exc_25, idt_exc_26, idt_exc_27,
        idt_exc_28, idt_exc_29, idt_exc_30, idt_exc_31,
    };
    for (unsigned int v = 0; v < 256; v++)
        idt_set_gate(v, v < 32 ? exc[v] : (void *)idt_stray_isr, IDT_GATE_INT);
    struct dt_ptr p = { sizeof(idt_gates) - 1, (uint32_t)idt_gates };
    lidt(&p);
}

static inline int safe_rdmsr(uint32_t msr, uint64_t *value)
{
    uint32_t lo = 0, hi = 0;
    idt_try_faulted = 0;
    idt_try_armed = 1;
    __asm__ volatile("rdmsr" : "+a"(lo), "+d"(hi) : "c"(msr) : "memory");
    idt_try_armed = 0;
    if (idt_try_faulted)
        return -1;
    if (value)
        *value = ((uint64_t)hi << 32) | lo;
    return 0;
}

static inline int safe_wrmsr(uint32_t msr, uint64_t value)
{
    idt_try_faulted = 0;
    idt_try_armed = 1;
    __asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)value), "d"((uint32_t)(value >> 32))
                     : "memory");
    idt_try_armed = 0;
    return idt_try_faulted ? -1 : 0;
}

static inline int safe_rdpmc(uint32_t counter, uint64_t *value)
{
    uint32_t lo = 0, hi = 0;
    idt_try_faulted = 0;
    idt_try_armed = 1;
    __asm__ volatile("rdpmc" : "+a"(lo), "+d"(hi) : "c"(counter) : "memory");
    idt_try_armed = 0;
    if (idt_try_faulted)
        return -1;
    if (value)
        *value = ((uint64_t)hi << 32) | lo;
    return 0;
}

static inline void sti(void) { __asm__ volatile("sti" ::: "memory"); }
static inline void cli(void) { __asm__ volatile("cli" ::: "memory"); }

#endif
