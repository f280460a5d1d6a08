/* bad.c - a misbehaving guest, to check that the hypervisor stops it and
 * keeps running the others.  `mode=` picks the misbehaviour:
 *   triplefault  empty IDT + UD2: #UD cannot be delivered -> #GP -> #DF ->
 *                triple fault (SDM Vol. 3A, 6.15, interrupt 8)
 *   wildwrite    store to physical 0x3F000000, far beyond the guest's memory
 *                (paging is off: an EPT violation under perfvisor)
 *   badmsr       RDMSR of a nonexistent MSR with an empty IDT: the #GP
 *                (SDM Vol. 2B, RDMSR) escalates to a triple fault
 *   spin         CLI; JMP $ forever: only a budget or preemption stops it
 *   cpuidloop    CPUID forever, ioloop  IN from COM1's LSR forever, flood  console lines
 *                forever: little guest time, much hypervisor time (slices and budget=
 *                must charge it)
 *   namehog      names 1000 address spaces (HC_NAME_CR3): the hypervisor keeps a few per
 *                domain and answers HC_ENOSPC for the rest; exits 0
 * Unknown or missing mode: exit status 2. */
#include "guest.h"
#include "../include/perfvisor/hypercall.h"

#define WILD_ADDR 0x3F000000u   /* 1008 MiB */
#define BAD_MSR   0x4D2E1F00u

/* No IDT at all: any exception becomes a triple fault. */
static void load_empty_idt(void)
{
    static const struct dt_ptr empty = { 0, 0 };
    lidt(&empty);
}

static void announce(const char *mode, const char *what)
{
    printf("bad: mode=%s: %s\n", mode, what);
    uart_drain();               /* the line must be out before we die */
}

int main(uint32_t magic, const struct mb_info *mbi)
{
    guest_start("bad", magic, mbi);
    const char *mode = mb_opt("mode");
    if (!mode)
        mode = "";

    if (!strcmp(mode, "triplefault")) {
        announce(mode, "empty IDT, then ud2");
        load_empty_idt();
        __asm__ volatile("ud2");
    } else if (!strcmp(mode, "wildwrite")) {
        announce(mode, "writing to physical 0x3f000000");
        volatile uint32_t *p = (volatile uint32_t *)(uintptr_t)WILD_ADDR;
        *p = 0xDEADBEEF;
        printf("bad: wildwrite survived (read back %x)\n", *p);
        return 3;
    } else if (!strcmp(mode, "badmsr")) {
        announce(mode, "empty IDT, then rdmsr 0x4d2e1f00");
        load_empty_idt();
        uint64_t v = rdmsr(BAD_MSR);
        printf("bad: badmsr survived (read %llx)\n", v);
        return 3;
    } else if (!strcmp(mode, "spin")) {
        announce(mode, "cli; jmp . forever");
        __asm__ volatile("cli; 1: jmp 1b");
    } else if (!strcmp(mode, "cpuidloop")) {
        announce(mode, "CPUID forever: every instruction makes the hypervisor work");
        __asm__ volatile("1: xor %%eax, %%eax; cpuid; jmp 1b" ::: "eax", "ebx", "ecx", "edx");
    } else if (!strcmp(mode, "ioloop")) {
        announce(mode, "IN from COM1's LSR forever");
        __asm__ volatile("mov $0x3fd, %%dx; 1: in %%dx, %%al; jmp 1b" ::: "eax", "edx");
    } else if (!strcmp(mode, "flood")) {
        announce(mode, "console output forever");
        for (;;)
            uart_puts("bad: flood flood flood flood flood flood flood flood flood flood flood\n");
    } else if (!strcmp(mode, "namehog")) {
        announce(mode, "names 1000 address spaces with HC_NAME_CR3");
        int ok = 0, full = 0, other = 0;
        for (uint32_t i = 0; i < 1000; i++) {
            static const char name[] = "hog";
            int32_t r;
            __asm__ volatile("vmcall" : "=a"(r)
                             : "a"(HC_NAME_CR3), "b"(0x100000u + i * 0x1000u), "c"((uint32_t)name),
                               "d"(sizeof(name) - 1) : "memory");
            if (r == 0)
                ok++;
            else if (r == HC_ENOSPC)
                full++;
            else
                other++;
        }
        printf("bad: namehog: named=%d refused_full=%d other=%d\n", ok, full, other);
        return 0;
    } else {
        printf("bad: unknown mode '%s' (want triplefault, wildwrite, badmsr, spin, cpuidloop, "
               "ioloop, flood or namehog)\n", mode);
        return 2;
    }
    printf("bad: mode=%s: still alive, this should not happen\n", mode);
    return 3;
}
