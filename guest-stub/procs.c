/* procs.c - two user processes in two address spaces, for system-wide profiling.
 *
 * The guest turns on 32-bit paging with 4 MiB pages (CR4.PSE) and three page
 * directories: "kernel", "alpha" and "beta".  All three identity-map the first
 * 16 MiB (the first 4 MiB user-accessible: the code and the kernel stacks are
 * there); alpha and beta also map their own private 4 MiB page at
 * PRIV_BASE (0x40000000) -- physical 4 MiB for alpha, 8 MiB for beta -- which
 * holds each process's user stack and its result word.
 *
 * The processes run in ring 3 (CPL 3) with a TSS for the way back: each runs
 * a slice of exactly CHUNK iterations of the 3-instruction loop (add, dec,
 * jnz) in alpha_work or beta_work and then yields with INT 0x80.  The kernel
 * handler switches CR3 (and TSS.ESP0) in the fixed order alpha, alpha, beta,
 * so alpha executes exactly 2/3 and beta 1/3 of the loop instructions, in
 * interleaved slices.  Every slice has the same shape -- the same user code,
 * the same INT 0x80 path, a MOV to CR3 even from alpha to alpha -- so the
 * instructions executed under each CR3 split 2:1 as well, apart from start-up
 * and the end, which run under the kernel's CR3.
 *
 * Before starting, the kernel names the three CR3 values with the HC_NAME_CR3
 * hypercall if CPUID leaf 0x40000000 says "perfvisor" (VMCALL is #UD
 * natively), and prints each result (0, or -38 = HC_ENOSYS from a perfvisor
 * that does not implement it).
 *
 * Options: total=N (default 60000000): wanted loop instructions; runs
 * floor(N / 44991) rounds of three slices, at least 1.  Needs mem >= 12 MiB
 * (the default 16 MiB is fine).  Exits 0; 1 on an unexpected exception. */
#include "guest.h"
#include "div64.h"
#include "../include/perfvisor/hypercall.h"

#define CHUNK           4999u           /* loop iterations per slice: a prime */
#define INSNS_PER_ITER  3u
#define SLICE_LOOP_INSNS (CHUNK * INSNS_PER_ITER)                      /* 14997 */
#define ROUND_SLICES    3u              /* alpha, alpha, beta */
#define ROUND_LOOP_INSNS (ROUND_SLICES * SLICE_LOOP_INSNS)              /* 44991 */
#define DEFAULT_TOTAL   60000000u

#define PRIV_BASE       0x40000000u     /* each process's private 4 MiB page */
#define PRIV_PDE        (PRIV_BASE >> 22)
#define PRIV_STACK_TOP  (PRIV_BASE + 0x400000u - 16)
#define ALPHA_PHYS      0x00400000u
#define BETA_PHYS       0x00800000u
#define IDENTITY_PDES   4u              /* identity-map 16 MiB */

#define PDE_P   0x001u
#define PDE_RW  0x002u
#define PDE_US  0x004u
#define PDE_PS  0x080u                  /* 4 MiB page (CR4.PSE) */
#define CR0_PG  0x80000000u
#define CR4_PSE 0x00000010u

#define SEL_KCODE 0x08
#define SEL_KDATA 0x10
#define SEL_UCODE (0x18 | 3)
#define SEL_UDATA (0x20 | 3)
#define SEL_TSS   0x28

#define SYSCALL_VECTOR 0x80
#define KSTACK_SIZE    4096

/* What the INT 0x80 stub leaves on the kernel stack: PUSHA, then the CPU's
 * interrupt frame from ring 3 (SDM Vol. 3A, 6.12.1). */
struct frame {
    uint32_t edi, esi, ebp, esp_pusha, ebx, edx, ecx, eax;
    uint32_t eip, cs, eflags, esp, ss;
};

struct tss32 {
    uint32_t link, esp0, ss0, esp1, ss1, esp2, ss2, cr3, eip, eflags;
    uint32_t eax, ecx, edx, ebx, esp, ebp, esi, edi;
    uint32_t es, cs, ss, ds, fs, gs, ldtr;
    uint16_t trap, iomap_base;
};
_Static_assert(sizeof(struct tss32) == 104, "32-bit TSS is 104 bytes");

struct idt_gate {
    uint16_t off_lo, sel;
    uint8_t zero, type_attr;
    uint16_t off_hi;
} __attribute__((packed));

struct proc {
    const char *name;
    uint32_t cr3;
    uint32_t kstack_top;
    struct frame *ksp;                  /* saved user context, on its kernel stack */
};

enum { ALPHA, BETA, NPROCS };

static uint32_t pd_kernel[1024] __attribute__((aligned(4096)));
static uint32_t pd_alpha[1024] __attribute__((aligned(4096)));
static uint32_t pd_beta[1024] __attribute__((aligned(4096)));
static uint8_t kstack[NPROCS][KSTACK_SIZE] __attribute__((aligned(16)));
static uint64_t gdt[6];
static struct tss32 tss;
static struct idt_gate idt[SYSCALL_VECTOR + 1];
static struct proc procs[NPROCS];

/* The schedule: slot -> process, slot -> next slot (tables, so that every
 * switch executes the same instructions). */
static const uint32_t sched_proc[ROUND_SLICES] = { ALPHA, ALPHA, BETA };
static const uint32_t sched_next[ROUND_SLICES] = { 1, 2, 0 };
static uint32_t slot;
static struct proc *cur;
static uint32_t slices, total_slices, rounds;
static uint64_t t_start;

/* ---- user mode ------------------------------------------------------------- */

/* CHUNK iterations of add, dec, jnz: exactly 3 * CHUNK instructions. */
#define SPIN(acc)                                                              \
    do {                                                                       \
        uint32_t n_ = CHUNK;                                                   \
        __asm__ volatile("1: add %1, %0\n\tdec %1\n\tjnz 1b"                   \
                         : "+r"(acc), "+r"(n_) : : "cc");                      \
    } while (0)

static inline void sys_yield(void)
{
    __asm__ volatile("int $0x80" : : : "memory");
}

/* alpha and beta differ only in the constant they add (so that gcc cannot
 * fold them into one function): the same instruction count per call. */
__attribute__((noipa)) uint32_t alpha_work(uint32_t acc)
{
    SPIN(acc);
    return acc + 1;
}

__attribute__((noipa)) uint32_t beta_work(uint32_t acc)
{
    SPIN(acc);
    return acc + 2;
}

/* Entered by IRET at CPL 3 with ESP = PRIV_STACK_TOP, EBP = 0. */
__attribute__((noipa, noreturn)) void alpha_main(void)
{
    volatile uint32_t *result = (volatile uint32_t *)PRIV_BASE;
    for (;;) {
        *result = alpha_work(*result);
        sys_yield();
    }
}

__attribute__((noipa, noreturn)) void beta_main(void)
{
    volatile uint32_t *result = (volatile uint32_t *)PRIV_BASE;
    for (;;) {
        *result = beta_work(*result);
        sys_yield();
    }
}

/* ---- kernel: entry stubs ---------------------------------------------------- */

struct frame *proc_switch(struct frame *f);
void exc_report(const uint32_t *regs) __attribute__((noreturn));
extern const uint32_t exc_stubs[20];
void isr_syscall(void);
void enter_user(struct frame *f) __attribute__((noreturn));

__asm__(
    "    .text\n"
    "    .globl isr_syscall\n"
    "isr_syscall:\n"                    /* INT 0x80 from ring 3 */
    "    pusha\n"
    "    push %esp\n"                   /* proc_switch(frame) */
    "    call proc_switch\n"
    "    mov %eax, %esp\n"              /* the next process's frame */
    "    popa\n"
    "    iret\n"
    "    .globl enter_user\n"
    "enter_user:\n"                     /* enter_user(frame): the first slice */
    "    mov 4(%esp), %esp\n"
    "    popa\n"
    "    iret\n"
    /* Exceptions 0-19: push a dummy error code where the CPU pushes none,
     * then the vector; exc_report(regs) prints and exits 1. */
    "    .irp v,0,1,2,3,4,5,6,7,9,15,16,18,19\n"
    "exc\\v: pushl $0\n"
    "    pushl $\\v\n"
    "    jmp exc_common\n"
    "    .endr\n"
    "    .irp v,8,10,11,12,13,14,17\n"
    "exc\\v: pushl $\\v\n"
    "    jmp exc_common\n"
    "    .endr\n"
    "exc_common:\n"
    "    pusha\n"
    "    push %esp\n"
    "    call exc_report\n"
    "    .section .rodata\n"
    "    .globl exc_stubs\n"
    "    .align 4\n"
    "exc_stubs:\n"
    "    .irp v,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19\n"
    "    .long exc\\v\n"
    "    .endr\n"
    "    .text\n");

/* ---- kernel ------------------------------------------------------------------ */

static inline void write_cr3(uint32_t v)
{
    __asm__ volatile("mov %0, %%cr3" : : "r"(v) : "memory");
}

static inline uint32_t read_cr(int n)
{
    uint32_t v = 0;
    if (n == 0)
        __asm__ volatile("mov %%cr0, %0" : "=r"(v));
    else if (n == 2)
        __asm__ volatile("mov %%cr2, %0" : "=r"(v));
    else if (n == 4)
        __asm__ volatile("mov %%cr4, %0" : "=r"(v));
    return v;
}

static uint64_t seg_desc(uint32_t base, uint32_t limit, uint8_t access, uint8_t flags)
{
    return (uint64_t)(limit & 0xFFFF) | ((uint64_t)(base & 0xFFFFFF) << 16) |
           ((uint64_t)access << 40) | ((uint64_t)((limit >> 16) & 0xF) << 48) |
           ((uint64_t)(flags & 0xF) << 52) | ((uint64_t)(base >> 24) << 56);
}

static void set_gate(unsigned int vec, void (*fn)(void), uint8_t type_attr)
{
    uint32_t a = (uint32_t)fn;
    idt[vec] = (struct idt_gate){ (uint16_t)a, SEL_KCODE, 0, type_attr, (uint16_t)(a >> 16) };
}

static void setup_cpu(void)
{
    gdt[0] = 0;
    gdt[1] = seg_desc(0, 0xFFFFF, 0x9A, 0xC);           /* kernel code */
    gdt[2] = seg_desc(0, 0xFFFFF, 0x92, 0xC);           /* kernel data */
    gdt[3] = seg_desc(0, 0xFFFFF, 0xFA, 0xC);           /* user code, DPL 3 */
    gdt[4] = seg_desc(0, 0xFFFFF, 0xF2, 0xC);           /* user data, DPL 3 */
    gdt[5] = seg_desc((uint32_t)&tss, sizeof(tss) - 1, 0x89, 0);  /* 32-bit TSS */
    tss.ss0 = SEL_KDATA;
    tss.iomap_base = sizeof(tss);                       /* no I/O bitmap: IN/OUT #GP at CPL 3 */

    struct dt_ptr gp = { sizeof(gdt) - 1, (uint32_t)gdt };
    __asm__ volatile("lgdt %0\n\t"
                     "ljmp %1, $1f\n"
                     "1:\tmov %2, %%ds\n\tmov %2, %%es\n\tmov %2, %%fs\n\tmov %2, %%gs\n\t"
                     "mov %3, %%ss\n\tltr %w4"
                     : : "m"(gp), "i"(SEL_KCODE), "r"(SEL_UDATA), "r"(SEL_KDATA), "r"(SEL_TSS)
                     : "memory");

    for (unsigned int v = 0; v < 20; v++)
        set_gate(v, (void (*)(void))exc_stubs[v], 0x8E);  /* interrupt gate, DPL 0 */
    set_gate(SYSCALL_VECTOR, isr_syscall, 0xEE);        /* interrupt gate, DPL 3 */
    struct dt_ptr ip = { sizeof(idt) - 1, (uint32_t)idt };
    lidt(&ip);
}

static void setup_paging(void)
{
    uint32_t *pds[3] = { pd_kernel, pd_alpha, pd_beta };
    for (int p = 0; p < 3; p++)
        for (uint32_t i = 0; i < IDENTITY_PDES; i++)
            pds[p][i] = (i << 22) | PDE_PS | PDE_RW | PDE_P | (i == 0 ? PDE_US : 0);
    pd_alpha[PRIV_PDE] = ALPHA_PHYS | PDE_PS | PDE_US | PDE_RW | PDE_P;
    pd_beta[PRIV_PDE] = BETA_PHYS | PDE_PS | PDE_US | PDE_RW | PDE_P;
    *(volatile uint32_t *)ALPHA_PHYS = 0;               /* the result words */
    *(volatile uint32_t *)BETA_PHYS = 0;

    __asm__ volatile("mov %%cr4, %%eax\n\tor %0, %%eax\n\tmov %%eax, %%cr4"
                     : : "i"(CR4_PSE) : "eax");
    write_cr3((uint32_t)pd_kernel);
    __asm__ volatile("mov %%cr0, %%eax\n\tor %0, %%eax\n\tmov %%eax, %%cr0"
                     : : "i"(CR0_PG) : "eax", "memory");
}

static void init_proc(int i, const char *name, uint32_t *pd, void (*entry)(void))
{
    struct proc *p = &procs[i];
    p->name = name;
    p->cr3 = (uint32_t)pd;
    p->kstack_top = (uint32_t)&kstack[i][KSTACK_SIZE];
    p->ksp = (struct frame *)(p->kstack_top - sizeof(struct frame));
    *p->ksp = (struct frame){ .eip = (uint32_t)entry, .cs = SEL_UCODE, .eflags = 0x2,
                              .esp = PRIV_STACK_TOP, .ss = SEL_UDATA };   /* EBP = 0 */
}

static int under_perfvisor(void)
{
    uint32_t a, b, c, d;
    cpuid(0x40000000, 0, &a, &b, &c, &d);
    return b == 0x66726570 && c == 0x6f736976 && d == 0x00000072;   /* "perf" "viso" "r\0\0\0" */
}

static int32_t hc_name_cr3(uint32_t cr3, const char *name)
{
    int32_t ret;
    __asm__ volatile("vmcall"
                     : "=a"(ret)
                     : "a"(HC_NAME_CR3), "b"(cr3), "c"((uint32_t)name), "d"(strlen(name))
                     : "memory");
    return ret;
}

static void __attribute__((noinline, noreturn)) finish(void)
{
    uint64_t t1 = rdtsc();
    write_cr3((uint32_t)pd_kernel);
    uint64_t a = (uint64_t)rounds * 2 * SLICE_LOOP_INSNS;
    uint64_t b = (uint64_t)rounds * SLICE_LOOP_INSNS;
    uint32_t pa = pct_x100(a, a + b), pb = pct_x100(b, a + b);
    printf("procs: rounds=%u slices=%u chunk=%u ticks=%llu\n", rounds, slices, CHUNK,
           t1 - t_start);
    printf("procs: loop instructions alpha=%llu beta=%llu\n", a, b);
    printf("procs: alpha=%u.%02u%% beta=%u.%02u%% of %llu loop instructions\n",
           pa / 100, pa % 100, pb / 100, pb % 100, a + b);
    printf("procs: results alpha=%08x beta=%08x (private pages at physical 0x%x, 0x%x)\n",
           *(volatile uint32_t *)ALPHA_PHYS, *(volatile uint32_t *)BETA_PHYS, ALPHA_PHYS,
           BETA_PHYS);
    guest_exit(0);
}

/* INT 0x80: the current slice is over.  Save its frame, pick the next process
 * from the table, switch TSS.ESP0 and CR3, and resume that process's frame.
 * The same instructions every time, except after the last slice. */
struct frame *proc_switch(struct frame *f)
{
    cur->ksp = f;
    if (++slices == total_slices)
        finish();
    slot = sched_next[slot];
    cur = &procs[sched_proc[slot]];
    tss.esp0 = cur->kstack_top;
    write_cr3(cur->cr3);
    return cur->ksp;
}

/* regs: PUSHA image, vector, error code, EIP, CS, EFLAGS (, ESP, SS from CPL 3). */
void exc_report(const uint32_t *regs)
{
    printf("procs: exception %u error=%x at eip=%08x cs=%x cr2=%08x (slice %u)\n",
           regs[8], regs[9], regs[10], regs[11], read_cr(2), slices);
    guest_exit(1);
}

int main(uint32_t magic, const struct mb_info *mbi)
{
    guest_start("procs", magic, mbi);
    uint32_t total = (uint32_t)mb_opt_num("total", DEFAULT_TOTAL);
    rounds = total / ROUND_LOOP_INSNS;
    if (!rounds)
        rounds = 1;
    total_slices = rounds * ROUND_SLICES;

    setup_cpu();
    setup_paging();
    init_proc(ALPHA, "alpha", pd_alpha, alpha_main);
    init_proc(BETA, "beta", pd_beta, beta_main);
    printf("procs: paging on (4 MiB pages), cr3 kernel=0x%x alpha=0x%x beta=0x%x, ring 3\n",
           (uint32_t)pd_kernel, procs[ALPHA].cr3, procs[BETA].cr3);
    printf("procs: alpha_work=%p beta_work=%p alpha_main=%p beta_main=%p\n",
           (void *)alpha_work, (void *)beta_work, (void *)alpha_main, (void *)beta_main);

    if (under_perfvisor()) {
        int32_t rk = hc_name_cr3((uint32_t)pd_kernel, "kernel");
        int32_t ra = hc_name_cr3(procs[ALPHA].cr3, procs[ALPHA].name);
        int32_t rb = hc_name_cr3(procs[BETA].cr3, procs[BETA].name);
        printf("procs: HC_NAME_CR3 kernel=%d alpha=%d beta=%d\n", rk, ra, rb);
    } else {
        printf("procs: not under perfvisor (CPUID 0x40000000), address spaces not named\n");
    }

    slot = 0;
    cur = &procs[sched_proc[slot]];
    tss.esp0 = cur->kstack_top;
    t_start = rdtsc();
    write_cr3(cur->cr3);
    enter_user(cur->ksp);
}
