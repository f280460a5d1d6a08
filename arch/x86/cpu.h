/* x86 instruction wrappers and control-register bits (SDM Vol. 3A 2.5 "Control Registers"). */
#ifndef ARCH_X86_CPU_H
#define ARCH_X86_CPU_H

#include <stdint.h>

#define CR0_PE   (1ull << 0)   /* protection enable */
#define CR0_MP   (1ull << 1)   /* monitor coprocessor */
#define CR0_EM   (1ull << 2)   /* x87 emulation */
#define CR0_TS   (1ull << 3)   /* task switched */
#define CR0_ET   (1ull << 4)   /* extension type */
#define CR0_NE   (1ull << 5)   /* numeric error (native x87 errors) */
#define CR0_WP   (1ull << 16)  /* write protect */
#define CR0_NW   (1ull << 29)  /* not write-through */
#define CR0_CD   (1ull << 30)  /* cache disable */
#define CR0_PG   (1ull << 31)  /* paging */

#define CR4_PAE        (1ull << 5)   /* physical address extension */
#define CR4_PGE        (1ull << 7)   /* global pages */
#define CR4_OSFXSR     (1ull << 9)   /* FXSAVE/FXRSTOR and SSE enabled */
#define CR4_OSXMMEXCPT (1ull << 10)  /* unmasked SSE exceptions */
#define CR4_VMXE       (1ull << 13)  /* VMX enable */
#define CR4_OSXSAVE    (1ull << 18)  /* XSAVE and XCR0 enabled */

#define RFLAGS_CF  (1ull << 0)
#define RFLAGS_ZF  (1ull << 6)
#define RFLAGS_IF  (1ull << 9)     /* interrupt enable */
#define RFLAGS_RSVD1 (1ull << 1)   /* always 1 */

struct cpuid_regs { uint32_t eax, ebx, ecx, edx; };

static inline void cpuid_count(uint32_t leaf, uint32_t sub, struct cpuid_regs *r)
{
    __asm__ volatile("cpuid" : "=a"(r->eax), "=b"(r->ebx), "=c"(r->ecx), "=d"(r->edx)
                     : "a"(leaf), "c"(sub));
}

static inline uint64_t rdmsr(uint32_t msr)
{
    uint32_t lo, hi;
    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return ((uint64_t)hi << 32) | lo;
}

static inline void wrmsr(uint32_t msr, uint64_t v)
{
    __asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)) : "memory");
}

/* rdmsr/wrmsr that return -1 instead of dying when the MSR raises #GP (arch/x86/msr_safe.asm):
 * used to probe what the CPU really has (Bochs advertises a PMU whose MSRs #GP). */
int rdmsr_safe(uint32_t msr, uint64_t *value);
int wrmsr_safe(uint32_t msr, uint64_t value);

static inline uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

#define DEFINE_CR(n) \
    static inline uint64_t read_cr##n(void) { uint64_t v; __asm__ volatile("mov %%cr" #n ", %0" : "=r"(v)); return v; } \
    static inline void write_cr##n(uint64_t v) { __asm__ volatile("mov %0, %%cr" #n : : "r"(v) : "memory"); }
DEFINE_CR(0)
DEFINE_CR(2)
DEFINE_CR(3)
DEFINE_CR(4)
#undef DEFINE_CR

/* Debug registers (SDM Vol. 3B 19.2 "Debug Registers"). */
#define DR6_INIT 0xFFFF0FF0ull         /* DR6 after RESET/INIT (Table 10-1 / 9-1) */
#define DR7_INIT 0x400ull              /* DR7 after RESET/INIT: only the always-1 bit 10 */
#define DEFINE_DR(n) \
    static inline uint64_t read_dr##n(void) { uint64_t v; __asm__ volatile("mov %%db" #n ", %0" : "=r"(v)); return v; } \
    static inline void write_dr##n(uint64_t v) { __asm__ volatile("mov %0, %%db" #n : : "r"(v)); }
DEFINE_DR(0)
DEFINE_DR(1)
DEFINE_DR(2)
DEFINE_DR(3)
DEFINE_DR(6)
#undef DEFINE_DR

static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port)); }
static inline void outw(uint16_t port, uint16_t v) { __asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port)); }
static inline uint8_t inb(uint16_t port) { uint8_t v; __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port)); return v; }

static inline void cpu_relax(void) { __asm__ volatile("pause"); }

static inline __attribute__((noreturn)) void cpu_halt_forever(void)
{
    for (;;)
        __asm__ volatile("cli; hlt");
}

struct __attribute__((packed)) desc_ptr {
    uint16_t limit;
    uint64_t base;
};

static inline void sgdt(struct desc_ptr *p) { __asm__ volatile("sgdt %0" : "=m"(*p)); }
static inline void sidt(struct desc_ptr *p) { __asm__ volatile("sidt %0" : "=m"(*p)); }

static inline void xsetbv(uint32_t index, uint64_t v)
{
    __asm__ volatile("xsetbv" : : "c"(index), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}

static inline void fxsave(void *area) { __asm__ volatile("fxsave64 (%0)" : : "r"(area) : "memory"); }
static inline void fxrstor(const void *area) { __asm__ volatile("fxrstor64 (%0)" : : "r"(area) : "memory"); }

#endif
