/* gdthandoff.c - a kernel that relies on the GDT its multiboot loader leaves, as GRUB and QEMU
 * -kernel leave one and real kernels use it: it never loads a GDT of its own
 * (its own entry, below), builds its IDT with the CS it was entered with, and takes and returns
 * from a software interrupt (INT 0x80) and two faults (#DE, #UD).  Delivering an interrupt
 * through a gate loads CS from the GDT by the gate's selector, and IRET reloads CS and SS (SDM
 * Vol. 3A 6.12.1, Vol. 2A IRET): with GDTR limit 0 each is a #GP, then a double and a triple
 * fault.  One line per rule: "gdthandoff: PASS <rule>" or "FAIL <rule>: why". */
#include "check.h"
#include "guest.h"

/* The entry.  lib/entry.asm, which loads its own GDT, is not linked in (guest.mk): this header
 * and _start take its place, and nothing touches GDTR or a segment register before main. */
#define MB_HEADER_FLAGS 3u      /* page-aligned modules, memory info; no a.out kludge */
static const uint32_t mb_header[3] __attribute__((section(".multiboot"), used, aligned(4))) = {
    0x1BADB002u, MB_HEADER_FLAGS, -(0x1BADB002u + MB_HEADER_FLAGS),
};
uint8_t handoff_stack[16384] __attribute__((aligned(16)));
__asm__(".text\n.globl _start\n_start:\n\tcli\n\tcld\n"
        "\tlea handoff_stack+16384, %esp\n\txor %ebp, %ebp\n"
        "\tpush %ebx\n\tpush %eax\n\tcall main\n"         /* main(magic, mbi) */
        "\tpush %eax\n\tcall guest_exit\n");                 /* does not return */

static struct dt_ptr handoff_gdtr;      /* what the loader left, read first thing in main */
static uint32_t handoff_cs, handoff_ds;

#define IDT_KERNEL_CS ((uint16_t)handoff_cs)    /* the gates use the handoff CS */
#include "idt.h"

#define DESC_P    (1ull << 47)  /* present */
#define DESC_S    (1ull << 44)  /* code or data (not system) */
#define DESC_CODE (1ull << 43)  /* executable */
#define DESC_RW   (1ull << 41)  /* code: readable; data: writable */
#define DESC_DB   (1ull << 54)  /* 32-bit default operand size / stack */
#define DESC_G    (1ull << 55)  /* limit in 4 KiB units */




static uint64_t descriptor(uint32_t sel)
{
    return *(const volatile uint64_t *)(handoff_gdtr.base + (sel & ~7u));
}

/* Base 0 and limit 4 GiB (SDM Vol. 3A 3.4.5: base in bits 16-39 and 56-63, limit 0-15, 48-51). */
static int flat(uint64_t d)
{
    uint32_t base = (uint32_t)((d >> 16) & 0xFFFFFF) | (uint32_t)(d >> 56) << 24;
    uint32_t limit = (uint32_t)(d & 0xFFFF) | (uint32_t)((d >> 48) & 0xF) << 16;
    return base == 0 && limit == 0xFFFFF && (d & DESC_G) && (d & DESC_DB);
}

static volatile uint32_t int80_count, int80_cs, de_count, ud_count;

IDT_ISR static void int80_isr(struct iframe *f)
{
    int80_count++;
    int80_cs = f->cs;
}

IDT_ISR static void de_isr(struct iframe *f)
{
    de_count++;
    f->ip += 2;                 /* skip the 2-byte DIV ECX (F7 F1) */
}

IDT_ISR static void ud_isr(struct iframe *f)
{
    ud_count++;
    f->ip += 2;                 /* skip UD2 (0F 0B) */
}

/* The GDT's bytes are reserved in the memory map: no available entry overlaps them. */
static int gdt_reserved(const struct mb_info *mbi)
{
    uint64_t lo = handoff_gdtr.base, hi = lo + handoff_gdtr.limit + 1;
    int covered = 0;
    if (!(mbi->flags & MB_INFO_MMAP))
        return 0;
    for (uint32_t p = mbi->mmap_addr; p < mbi->mmap_addr + mbi->mmap_length;) {
        const struct mb_mmap_entry *e = (const void *)p;
        if (e->addr < hi && lo < e->addr + e->len) {
            if (e->type == 1)
                return 0;
            covered |= e->addr <= lo && hi <= e->addr + e->len;
        }
        p += e->size + 4;
    }
    return covered;
}

int main(uint32_t magic, const struct mb_info *mbi)
{
    __asm__ volatile("sgdt %0; mov %%cs, %1; mov %%ds, %2"
                     : "=m"(handoff_gdtr), "=r"(handoff_cs), "=r"(handoff_ds));
    if (!guest_start("gdthandoff", magic, mbi))
        return 1;
    check_begin("gdthandoff");
    printf("gdthandoff: gdtr base=0x%x limit=0x%x cs=0x%x ds=0x%x\n", handoff_gdtr.base,
           handoff_gdtr.limit, handoff_cs, handoff_ds);
    int sels_ok = !(handoff_cs & 7) && !(handoff_ds & 7) && handoff_cs && handoff_ds &&
                  handoff_gdtr.limit >= (handoff_cs | 7) && handoff_gdtr.limit >= (handoff_ds | 7);
    check(sels_ok, "gdtr-covers-handoff-selectors", "GDTR limit 0x%x, CS 0x%x, DS 0x%x",
          handoff_gdtr.limit, handoff_cs, handoff_ds);
    if (!sels_ok) {
        printf("gdthandoff: no usable GDT: an interrupt would triple-fault, stopping\n");
        return 1;
    }
    uint64_t code = descriptor(handoff_cs), data = descriptor(handoff_ds);
    check((code & (DESC_P | DESC_S | DESC_CODE | DESC_RW)) == (DESC_P | DESC_S | DESC_CODE | DESC_RW)
          && flat(code) && ((code >> 45) & 3) == 0, "gdt-cs-flat-32bit-code", "descriptor %08x%08x",
          (uint32_t)(code >> 32), (uint32_t)code);
    check((data & (DESC_P | DESC_S | DESC_CODE | DESC_RW)) == (DESC_P | DESC_S | DESC_RW) &&
          flat(data) && ((data >> 45) & 3) == 0, "gdt-ds-flat-32bit-data", "descriptor %08x%08x",
          (uint32_t)(data >> 32), (uint32_t)data);
    check(gdt_reserved(mbi), "gdt-reserved-in-memory-map", "[0x%x, 0x%x] is not reserved",
          handoff_gdtr.base, handoff_gdtr.base + handoff_gdtr.limit);

    /* reloading a data segment register reads the descriptor (SDM Vol. 3A 3.4.3) */
    __asm__ volatile("mov %0, %%ds; mov %0, %%es; mov %0, %%ss" : : "r"(handoff_ds) : "memory");
    check(1, "reload-data-segments", "%s", "unreachable after a #GP");

    idt_init();
    idt_set(0x80, int80_isr);
    idt_set(0, de_isr);
    idt_set(6, ud_isr);
    __asm__ volatile("int $0x80" ::: "memory");
    check(int80_count == 1 && int80_cs == handoff_cs, "int80-through-handoff-cs-returns",
          "count %u, pushed cs 0x%x", int80_count, int80_cs);
    uint32_t a = 1, d = 0, zero = 0;
    __asm__ volatile(".byte 0xF7, 0xF1" : "+a"(a), "+d"(d) : "c"(zero) : "memory"); /* div ecx */
    check(de_count == 1, "divide-error-returns", "count %u", de_count);
    __asm__ volatile("ud2" ::: "memory");
    check(ud_count == 1, "invalid-opcode-returns", "count %u", ud_count);
    return check_summary() ? 1 : 0;
}
