/* x86.h - inline helpers for the few instructions guests use directly. */
#ifndef GUEST_X86_H
#define GUEST_X86_H

#include <stdint.h>

static inline void outb(uint16_t port, uint8_t val)
{
    __asm__ volatile("outb %0, %1" : : "a"(val), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
    uint8_t val;
    __asm__ volatile("inb %1, %0" : "=a"(val) : "Nd"(port));
    return val;
}

/* Time-stamp counter (SDM Vol. 2B, RDTSC).  In Bochs it advances exactly one
 * per instruction, so tick counts there are instruction counts. */
static inline uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

static inline void cpuid(uint32_t leaf, uint32_t subleaf, uint32_t *a, uint32_t *b,
                         uint32_t *c, uint32_t *d)
{
    __asm__ volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d)
                     : "a"(leaf), "c"(subleaf));
}

static inline uint64_t rdmsr(uint32_t msr)
{
    uint32_t lo, hi;
    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return ((uint64_t)hi << 32) | lo;
}

static inline void wrmsr(uint32_t msr, uint64_t val)
{
    __asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)val), "d"((uint32_t)(val >> 32)));
}

/* Descriptor-table register image for LGDT/LIDT (SDM Vol. 3A, 3.5.1). */
struct dt_ptr {
    uint16_t limit;
    uint32_t base;
} __attribute__((packed));
_Static_assert(sizeof(struct dt_ptr) == 6, "LIDT operand is 6 bytes in 32-bit mode");

static inline void lidt(const struct dt_ptr *p)
{
    __asm__ volatile("lidt %0" : : "m"(*p));
}

static inline void __attribute__((noreturn)) halt_forever(void)
{
    for (;;)
        __asm__ volatile("cli; hlt");
}

#endif
