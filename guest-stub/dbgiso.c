/* dbgiso.c - checks that a domain's debug registers, IA32_DEBUGCTL and CR8 are its own.
 *
 * Run two copies side by side with different `tag=` (1-7): each enters IA-32e mode (CR8
 * exists only in 64-bit code: SDM Vol. 3A 2.5 and 11.8.6.5), checks it starts from the RESET
 * values (Vol. 3A Table 10-1: DR0-3 0, DR6 FFFF0FF0H, DR7 400H, IA32_DEBUGCTL 0, TPR 0) and
 * not from the other copy's, writes values of its own, and checks after an exit (CPUID) and
 * after each of `yields=` HC_YIELD hypercalls -- while the other copy runs with its values --
 * that they are all still there:
 *   DR0-3  linear addresses that are never executed (breakpoints on them cannot fire)
 *   DR6    B0-B3 status bits (the others are fixed)
 *   DR7    local enables of two execute breakpoints, on those addresses (SDM Vol. 3B 19.2.4)
 *   IA32_DEBUGCTL  LBR (bit 0) or BTF (bit 1), the bits perfvisor lets a guest set
 *   CR8    the task-priority class; and CR8 <-> xAPIC TPR (offset 80H) agree: CR8[3:0] is
 *          TPR[7:4], a CR8 write clears TPR[3:0] (11.8.6.5)
 * First, still in protected mode with a 32-bit IDT: a write of IA32_DEBUGCTL.BTS (bit 7), which
 * perfvisor does not offer, must #GP and leave the MSR at 0.
 * `debugctl=0` leaves IA32_DEBUGCTL alone (for a hypervisor where it #GPs).
 * Prints "dbgiso: tag=T reset values OK", "dbgiso: tag=T cr8/tpr OK", and at the end
 * "dbgiso: tag=T isolation OK after N yields", or "dbgiso: tag=T FAIL ..." lines and exits 1.
 *
 * The C code runs in compatibility mode (IA-32e mode with the 32-bit code segment of
 * entry.asm); MOV CR8 runs in two 64-bit stubs reached by far calls.  Interrupts stay off and
 * there is no IDT: a fault ends the domain with a triple fault. */
#include "guest.h"
#include "idt.h"
#include "../include/perfvisor/hypercall.h"

#define MSR_IA32_EFER      0xC0000080u
#define EFER_LME           (1u << 8)       /* IA-32e mode enable (Vol. 3A 2.2.1) */
#define MSR_IA32_DEBUGCTL  0x1D9u
#define DEBUGCTL_BTS       (1u << 7)       /* branch trace store (Vol. 3B 19.4.1) */
#define CR0_PG             (1u << 31)
#define CR4_PAE            (1u << 5)
#define PTE_P              (1ull << 0)
#define PTE_RW             (1ull << 1)
#define PTE_PS             (1ull << 7)     /* PDE maps a 2-MiB page (Vol. 3A 5.5) */
#define SEL_CODE64         0x18            /* our GDT's 64-bit code segment */
#define XAPIC_TPR          0xFEE00080u     /* xAPIC page (reset base) + TPR offset */

#define DR6_INIT           0xFFFF0FF0u     /* Table 10-1 */
#define DR7_INIT           0x400u
#define DR7_L(n)           (1u << (2 * (n)))  /* local enable of breakpoint n (19.2.4) */
#define DR6_B(n)           (1u << (n))        /* breakpoint n condition detected (19.2.3) */

/* Identity map of the low 4 GiB with 2-MiB pages (covers the guest and the xAPIC page). */
static uint64_t pml4[512] __attribute__((aligned(4096)));
static uint64_t pdpt[512] __attribute__((aligned(4096)));
static uint64_t pd[4][512] __attribute__((aligned(4096)));

/* entry.asm's flat 32-bit code (08H) and data (10H), plus 64-bit code (18H: L=1, D=0). */
static const uint64_t gdt[] __attribute__((aligned(8))) = {
    0, 0x00CF9A000000FFFFull, 0x00CF92000000FFFFull, 0x00AF9A000000FFFFull,
};

/* The 64-bit stubs: CR8 in/out through EAX; `lretl` pops the 32-bit EIP and CS that the
 * compatibility-mode `lcall` pushed (a far RET defaults to 32-bit operands in 64-bit mode). */
__asm__(".text\n"
        ".code64\n"
        "cr8_write64:\n"
        "    movl %esp, %esp\n"            /* RSP[63:32] are undefined after compat mode */
        "    movl %eax, %eax\n"
        "    movq %rax, %cr8\n"
        "    lretl\n"
        "cr8_read64:\n"
        "    movl %esp, %esp\n"
        "    movq %cr8, %rax\n"
        "    lretl\n"
        ".code32\n");

static void cr8_write(uint32_t v)
{
    __asm__ volatile("lcall %[sel], $cr8_write64" : "+a"(v) : [sel] "i"(SEL_CODE64) : "memory");
}

static uint32_t cr8_read(void)
{
    uint32_t v;
    __asm__ volatile("lcall %[sel], $cr8_read64" : "=a"(v) : [sel] "i"(SEL_CODE64) : "memory");
    return v;
}

static void enter_ia32e(void)
{
    struct dt_ptr g = { sizeof(gdt) - 1, (uint32_t)gdt };
    for (int i = 0; i < 4; i++) {
        pdpt[i] = (uint32_t)pd[i] | PTE_P | PTE_RW;
        for (int j = 0; j < 512; j++)
            pd[i][j] = ((uint64_t)(i * 512 + j) << 21) | PTE_P | PTE_RW | PTE_PS;
    }
    pml4[0] = (uint32_t)pdpt | PTE_P | PTE_RW;
    __asm__ volatile("lgdt %0" : : "m"(g));
    uint32_t cr;
    __asm__ volatile("mov %%cr4, %0" : "=r"(cr));
    __asm__ volatile("mov %0, %%cr4" : : "r"(cr | CR4_PAE));
    __asm__ volatile("mov %0, %%cr3" : : "r"((uint32_t)pml4) : "memory");
    wrmsr(MSR_IA32_EFER, rdmsr(MSR_IA32_EFER) | EFER_LME);
    __asm__ volatile("mov %%cr0, %0" : "=r"(cr));
    __asm__ volatile("mov %0, %%cr0" : : "r"(cr | CR0_PG) : "memory");   /* IA-32e active */
}

#define DEFINE_DR(n) \
    static uint32_t read_dr##n(void) { uint32_t v; __asm__ volatile("mov %%db" #n ", %0" : "=r"(v)); return v; } \
    static void write_dr##n(uint32_t v) { __asm__ volatile("mov %0, %%db" #n : : "r"(v)); }
DEFINE_DR(0)
DEFINE_DR(1)
DEFINE_DR(2)
DEFINE_DR(3)
DEFINE_DR(6)
DEFINE_DR(7)
#undef DEFINE_DR

static uint32_t tpr_read(void)
{
    uint32_t v;
    __asm__ volatile("movl (%1), %0" : "=r"(v) : "r"(XAPIC_TPR) : "memory");
    return v;
}

static void tpr_write(uint32_t v)
{
    __asm__ volatile("movl %0, (%1)" : : "r"(v), "r"(XAPIC_TPR) : "memory");
}

static unsigned tag;
static int failures;
static int use_debugctl;

enum { R_DR0, R_DR1, R_DR2, R_DR3, R_DR6, R_DR7, R_DEBUGCTL, R_CR8, R_COUNT };
static const char *const names[R_COUNT] = { "dr0", "dr1", "dr2", "dr3", "dr6", "dr7",
                                            "debugctl", "cr8" };

static void read_all(uint32_t *r)
{
    r[R_DR0] = read_dr0();
    r[R_DR1] = read_dr1();
    r[R_DR2] = read_dr2();
    r[R_DR3] = read_dr3();
    r[R_DR6] = read_dr6();
    r[R_DR7] = read_dr7();
    r[R_DEBUGCTL] = use_debugctl ? (uint32_t)rdmsr(MSR_IA32_DEBUGCTL) : 0;
    r[R_CR8] = cr8_read();
}

static void write_all(const uint32_t *r)
{
    write_dr0(r[R_DR0]);
    write_dr1(r[R_DR1]);
    write_dr2(r[R_DR2]);
    write_dr3(r[R_DR3]);
    write_dr6(r[R_DR6]);
    write_dr7(r[R_DR7]);
    if (use_debugctl)
        wrmsr(MSR_IA32_DEBUGCTL, r[R_DEBUGCTL]);
    cr8_write(r[R_CR8]);
}


/* 1 if got == want for every register; prints each difference. */
static int compare(const char *when, const uint32_t *got, const uint32_t *want)
{
    int same = 1;
    for (int i = 0; i < R_COUNT; i++) {
        if (got[i] == want[i])
            continue;
        if (failures++ < 8)
            printf("dbgiso: tag=%u FAIL %s: %s=%x, expected %x\n", tag, when, names[i], got[i],
                   want[i]);
        same = 0;
    }
    return same;
}

static void check(const char *what, uint32_t got, uint32_t want)
{
    if (got != want && failures++ < 8)
        printf("dbgiso: tag=%u FAIL %s: read %x, expected %x\n", tag, what, got, want);
}

static void yield(void)
{
    int32_t ret;
    __asm__ volatile("vmcall" : "=a"(ret) : "a"(HC_YIELD) : "memory");
}

int main(uint32_t magic, const struct mb_info *mbi)
{
    guest_start("dbgiso", magic, mbi);
    tag = (unsigned)mb_opt_num("tag", 1) & 7;
    unsigned yields = (unsigned)mb_opt_num("yields", 50);
    use_debugctl = mb_opt_num("debugctl", 1) != 0;
    const uint32_t reset[R_COUNT] = { 0, 0, 0, 0, DR6_INIT, DR7_INIT, 0, 0 };
    uint32_t got[R_COUNT], mine[R_COUNT];

    if (use_debugctl) {
        uint64_t v = 0;
        idt_init();
        int r = safe_wrmsr(MSR_IA32_DEBUGCTL, DEBUGCTL_BTS);
        if (r != -1 || idt_fault_vector != 13 || safe_rdmsr(MSR_IA32_DEBUGCTL, &v) || v != 0)
            printf("dbgiso: tag=%u FAIL: WRMSR IA32_DEBUGCTL.BTS gave %d (vector %u), then "
                   "reads %llx\n", tag, r, idt_fault_vector, v), failures++;
        else
            printf("dbgiso: tag=%u debugctl BTS refused with #GP\n", tag);
    }
    enter_ia32e();                  /* the 32-bit IDT is no use in IA-32e mode: IF stays 0 */
    read_all(got);
    if (compare("at start (reset values)", got, reset))
        printf("dbgiso: tag=%u reset values OK\n", tag);

    /* Values no other tag uses.  Odd tags use breakpoints 0 and 2, even ones 1 and 3. */
    for (int i = 0; i < 4; i++)
        mine[R_DR0 + i] = 0xD0000000u | (tag << 20) | ((uint32_t)i << 12) | 0x10;
    mine[R_DR6] = DR6_INIT | (tag & 1 ? DR6_B(0) | DR6_B(2) : DR6_B(1) | DR6_B(3));
    mine[R_DR7] = DR7_INIT | (tag & 1 ? DR7_L(0) | DR7_L(2) : DR7_L(1) | DR7_L(3));
    mine[R_DEBUGCTL] = !use_debugctl ? 0 : tag & 1 ? 1u : 2u;   /* LBR or BTF */
    mine[R_CR8] = 8 + tag;                                /* 9-15 */
    write_all(mine);

    uint32_t a, b, c, d;
    cpuid(0, 0, &a, &b, &c, &d);                          /* an exit between write and read */
    read_all(got);
    compare("after a CPUID exit", got, mine);

    /* CR8 and the xAPIC TPR are one register (11.8.6.5). */
    int before = failures;
    check("TPR after MOV to CR8", tpr_read(), mine[R_CR8] << 4);
    tpr_write(((tag + 1) << 4) | 0xA);
    check("CR8 after a TPR write", cr8_read(), tag + 1);
    cr8_write(mine[R_CR8]);
    check("TPR[3:0] cleared by MOV to CR8", tpr_read(), mine[R_CR8] << 4);
    if (failures == before)
        printf("dbgiso: tag=%u cr8/tpr OK\n", tag);

    for (unsigned i = 0; i < yields; i++) {
        yield();
        read_all(got);
        compare("after a yield", got, mine);
    }
    if (failures) {
        printf("dbgiso: tag=%u FAIL: %d differences\n", tag, failures);
        return 1;
    }
    printf("dbgiso: tag=%u isolation OK after %u yields\n", tag, yields);
    return 0;
}
