/* apicwalk.c - a guest that makes the CPU touch its xAPIC page (0xFEE00000) with something
 * other than a MOV, to check that the hypervisor does not emulate the MOV at RIP for it (an
 * EPT violation's exit qualification says what the access was: SDM Vol. 3C Table 28-7).
 * `mode=` picks the access:
 *   pte  32-bit paging whose page-directory entry for 0x40000000 points to a page table at
 *        0xFEE00000; `mov eax, [0x4000C000]` makes the page walk read the PTE at 0xFEE00030
 *        (the APIC version register's offset): the access is a paging-structure read
 *        (qualification bit 7 = 1, bit 8 = 0), not the MOV's operand
 *   idt  the IDT at 0xFEE00000; `mov eax, [0x40400000]` on a not-present page raises #PF, whose
 *        delivery reads gate 14 at 0xFEE00070 (IDT-vectoring information valid, SDM 28.2.4)
 *   gdt  the GDT at 0xFEE00000; `mov ds, ax` reads the descriptor at 0xFEE00010
 *   mov  the control: `mov eax, [0xFEE00030]` through the same paging, a MOV perfvisor emulates
 *        (prints the version register, exits 0)
 * Under perfvisor the first three stop the domain.  A run that gets past the access prints
 * "apicwalk: mode=M survived ..." and exits 3.  Unknown or missing mode: exit status 2. */
#include "guest.h"

#define XAPIC_BASE     0xFEE00000u
#define APIC_VERSION   0x030u
#define WALK_LINEAR    0x40000000u     /* its PDE points at the xAPIC page */
#define WALK_OFFSET    (APIC_VERSION / 4 * 0x1000u)   /* PTE index 12: PTE at offset 30H */
#define ABSENT_LINEAR  0x40400000u     /* its PDE is not present */
#define PDE_P          (1u << 0)
#define PDE_RW         (1u << 1)
#define PDE_PS         (1u << 7)       /* 4-MiB page (CR4.PSE, SDM Vol. 3A 5.3) */
#define CR0_PG         (1u << 31)
#define CR4_PSE        (1u << 4)

static uint32_t pd[1024] __attribute__((aligned(4096)));

/* Identity map of 4 GiB with 4-MiB pages, but for the two test regions. */
static void paging_on(void)
{
    for (uint32_t i = 0; i < 1024; i++)
        pd[i] = (i << 22) | PDE_P | PDE_RW | PDE_PS;
    pd[WALK_LINEAR >> 22] = XAPIC_BASE | PDE_P | PDE_RW;   /* a page table on the APIC page */
    pd[ABSENT_LINEAR >> 22] = 0;
    uint32_t cr;
    __asm__ volatile("mov %%cr4, %0" : "=r"(cr));
    __asm__ volatile("mov %0, %%cr4" : : "r"(cr | CR4_PSE));
    __asm__ volatile("mov %0, %%cr3" : : "r"((uint32_t)pd) : "memory");
    __asm__ volatile("mov %%cr0, %0" : "=r"(cr));
    __asm__ volatile("mov %0, %%cr0" : : "r"(cr | CR0_PG) : "memory");
}

static uint32_t load(uint32_t addr)
{
    uint32_t v = 0x5A5A5A5A;
    __asm__ volatile("movl (%1), %0" : "+r"(v) : "r"(addr) : "memory");
    return v;
}

static void announce(const char *mode, const char *what)
{
    printf("apicwalk: mode=%s: %s\n", mode, what);
    uart_drain();               /* the line must be out before we are stopped */
}

int main(uint32_t magic, const struct mb_info *mbi)
{
    guest_start("apicwalk", magic, mbi);
    const char *mode = mb_opt("mode");
    if (!mode)
        mode = "";

    if (!strcmp(mode, "pte")) {
        paging_on();
        announce(mode, "load through a page table on the xAPIC page");
        uint32_t v = load(WALK_LINEAR + WALK_OFFSET);
        printf("apicwalk: mode=pte survived: the load returned %x\n", v);
        return 3;
    } else if (!strcmp(mode, "idt")) {
        paging_on();
        static const struct dt_ptr idt = { 0x7FF, XAPIC_BASE };
        lidt(&idt);
        announce(mode, "#PF with the IDT on the xAPIC page");
        uint32_t v = load(ABSENT_LINEAR);
        printf("apicwalk: mode=idt survived: the #PF vanished, the load returned %x\n", v);
        return 3;
    } else if (!strcmp(mode, "gdt")) {
        static const struct dt_ptr gdt = { 0xFFF, XAPIC_BASE };
        announce(mode, "segment load with the GDT on the xAPIC page");
        __asm__ volatile("lgdt %0\n\t"
                         "mov %1, %%ds" : : "m"(gdt), "r"(0x10) : "memory");
        printf("apicwalk: mode=gdt survived\n");
        return 3;
    } else if (!strcmp(mode, "mov")) {
        paging_on();
        uint32_t v = load(XAPIC_BASE + APIC_VERSION);
        printf("apicwalk: mode=mov version=%x\n", v);
        return 0;
    }
    printf("apicwalk: unknown mode '%s' (want pte, idt, gdt or mov)\n", mode);
    return 2;
}
