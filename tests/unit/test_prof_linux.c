/* pmu/sampling/prof_linux.c: a Linux guest's current task read from outside, on a fake guest
 * (a per-CPU area and task_structs in a small kernel "memory", fake GS base and LSTAR). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>
#include <string.h>

#include "perfvisor/capture.h"
#include "pmu/sampling/prof.h"
#include "pmu/sampling/prof_linux.h"

#define KBASE   0xffff888000000000ull      /* the fake kernel memory */
#define PERCPU  (KBASE + 0x1000)
#define OFF_CUR 0x40
#define OFF_PID 0x20
#define OFF_TGID 0x24
#define OFF_COMM 0x60
#define LSTAR   0xffffffff8e600080ull

static uint8_t kmem[0x10000];
static int reads;                  /* guest reads done */
static int user_pt_maps_kernel;   /* 0: PTI, the user page tables (CR3 bit 12) map no kernel */
static uint64_t gs, kgs, lstar;

#define UBASE 0x5555d2a40000ull           /* the fake user memory: an executable's first pages */
static uint8_t exemem[0x3000];

static int exe_unmapped;            /* the executable's pages are not mapped (yet) */

static int rd(uint64_t cr3, uint64_t gva, void *buf, uint64_t len)
{
    reads++;
    if (exe_unmapped && gva >= UBASE && gva < UBASE + sizeof(exemem))
        return -1;
    if (gva >= UBASE && gva + len <= UBASE + sizeof(exemem) && len <= sizeof(exemem)) {
        memcpy(buf, exemem + (gva - UBASE), len);
        return 0;
    }
    if ((cr3 & 0x1000) && !user_pt_maps_kernel)
        return -1;
    if (gva < KBASE || gva + len > KBASE + sizeof(kmem))
        return -1;
    memcpy(buf, kmem + (gva - KBASE), len);
    return 0;
}

static uint64_t cur_cr3;
static uint64_t regs_cs;
static uint64_t ksp;                  /* the guest's RSP at the sample */
static int mem_read(void *ctx, uint64_t gva, void *buf, uint64_t len)
{
    (void)ctx;
    return rd(cur_cr3, gva, buf, len);
}

static int read_as(void *ctx, uint64_t cr3, uint64_t gva, void *buf, uint64_t len)
{
    (void)ctx;
    return rd(cr3, gva, buf, len);
}

static int kreads;                /* reads through the kernel reader */
static int use_kread;
static int kread(void *ctx, uint64_t gva, void *buf, uint64_t len)
{
    (void)ctx;
    kreads++;
    if (gva < KBASE || gva + len > KBASE + sizeof(kmem))
        return -1;
    memcpy(buf, kmem + (gva - KBASE), len);
    return 0;
}

static uint64_t sysreg(void *ctx, int which)
{
    (void)ctx;
    return which == PROF_REG_GS_BASE ? gs : which == PROF_REG_KERNEL_GS_BASE ? kgs :
           which == PROF_REG_SP ? ksp : lstar;
}

static void put_task(uint64_t task, uint32_t pid, uint32_t tgid, const char *comm)
{
    uint8_t *t = kmem + (task - KBASE);
    memcpy(t + OFF_PID, &pid, 4);
    memcpy(t + OFF_TGID, &tgid, 4);
    memset(t + OFF_COMM, 0, 16);
    memcpy(t + OFF_COMM, comm, strlen(comm));
}

static void set_current(uint64_t task)
{
    memcpy(kmem + (PERCPU + OFF_CUR - KBASE), &task, 8);
}

static uint32_t sample(int cpl, uint64_t cr3)
{
    struct guest_sample_state st = {
        .ip = cpl == 3 ? 0x401000 : 0xffffffff81000000ull, .cr3 = cr3, .cpl = (uint8_t)cpl,
        .mode = CAP_MODE_64, .word64 = 1, .mem = { mem_read, 0 }, .sysreg = sysreg, .read_as = read_as,
        .kread = use_kread ? kread : NULL,
    };
    cur_cr3 = cr3;
    gs = cpl == 3 ? 0 : PERCPU;       /* swapgs: the kernel's GS base only in the kernel */
    kgs = cpl == 3 ? PERCPU : 0;
    const struct prof_lx_task *t = prof_linux_task(2, &st);
    return t ? t->id : 0;
}

static int setup(void **state)
{
    (void)state;
    memset(kmem, 0, sizeof(kmem));
    reads = kreads = use_kread = 0;
    user_pt_maps_kernel = 1;
    lstar = LSTAR;
    char line[128];
    snprintf(line, sizeof(line), "name=a perfvisor.lxtask=0x%x,0x%x,0x%x,0x%x mem=64", OFF_CUR, OFF_PID,
             OFF_TGID, OFF_COMM);
    assert_int_equal(prof_linux_configure(2, line), 0);
    return 0;
}

static void test_configure(void **state)
{
    (void)state;
    assert_int_equal(prof_linux_configure(3, "name=b"), 0);
    assert_int_equal(prof_linux_domain(3)->valid, 0);
    assert_int_equal(prof_linux_configure(3, "perfvisor.lxtask=1,2,3"), -1);
    assert_int_equal(prof_linux_configure(3, "perfvisor.lxtask=1,2,3,4,5"), -1);
    assert_int_equal(prof_linux_configure(3, "perfvisor.lxtask=1,x,3,4"), -1);
    assert_int_equal(prof_linux_configure(3, "perfvisor.lxtask=0x1fb80,0x970,0x974,0xba0"), 0);
    assert_int_equal(prof_linux_domain(3)->off_comm, 0xba0);
    assert_null(prof_linux_domain(0));
    assert_null(prof_linux_domain(CAP_MAX_DOMAINS));
    /* a domain without a layout names no task */
    struct guest_sample_state st = { .cpl = 0, .mode = CAP_MODE_64, .mem = { mem_read, 0 }, .sysreg = sysreg };
    assert_null(prof_linux_task(4, &st));
}

static void test_task_named_and_cached(void **state)
{
    (void)state;
    const uint64_t t1 = KBASE + 0x2000;
    put_task(t1, 10, 10, "sh");
    set_current(t1);
    uint32_t id = sample(0, 0x100000);
    assert_int_not_equal(id, 0);
    const struct prof_lx_task *t = prof_linux_task_info(2, id);
    assert_non_null(t);
    assert_string_equal(t->comm, "sh");
    assert_int_equal(t->pid, 10);
    assert_int_equal(t->tid, 10);
    /* the same task again: one read (current_task), no pid/comm reads */
    reads = 0;
    assert_int_equal(sample(0, 0x100000), id);
    assert_int_equal(reads, 1);
    /* first user sample after it: checked once (an exec may just have finished) */
    reads = 0;
    assert_int_equal(sample(3, 0x100000), id);
    assert_true(reads > 1);
    reads = 0;
    assert_int_equal(sample(3, 0x100000), id);
    assert_int_equal(reads, 0);                       /* then free while CR3 stays */
    /* the anchor: IA32_LSTAR seen at CPL 0 */
    assert_int_equal(prof_linux_domain(2)->syscall_entry, LSTAR);
    assert_int_equal(prof_linux_domain(2)->anchor_pending, 1);
}

static void test_exec_and_pid_reuse_are_new_tasks(void **state)
{
    (void)state;
    const uint64_t t1 = KBASE + 0x2000, t2 = KBASE + 0x3000;
    put_task(t1, 10, 10, "sh");
    set_current(t1);
    uint32_t sh = sample(0, 0x100000);
    /* exec: same task_struct, a new address space, then the new comm */
    put_task(t1, 10, 10, "workload");
    uint32_t w = sample(3, 0x200000);
    assert_int_not_equal(w, sh);
    assert_string_equal(prof_linux_task_info(2, w)->comm, "workload");
    assert_string_equal(prof_linux_task_info(2, sh)->comm, "sh");
    /* the old pid reused by another task_struct: not merged */
    put_task(t2, 10, 10, "workload");
    set_current(t2);
    uint32_t w2 = sample(3, 0x300000);
    assert_int_not_equal(w2, w);
    assert_int_equal(prof_linux_task_info(2, w2)->pid, 10);
    /* a switch back finds the old entry */
    set_current(t1);
    assert_int_equal(sample(0, 0x200000), w);
    /* a thread: tid and pid differ */
    const uint64_t t3 = KBASE + 0x4000;
    put_task(t3, 12, 10, "worker");
    set_current(t3);
    uint32_t th = sample(0, 0x200000);
    assert_int_equal(prof_linux_task_info(2, th)->tid, 12);
    assert_int_equal(prof_linux_task_info(2, th)->pid, 10);
}

static void test_pti_user_page_tables(void **state)
{
    (void)state;
    const uint64_t t1 = KBASE + 0x2000;
    user_pt_maps_kernel = 0;
    put_task(t1, 7, 7, "workload");
    set_current(t1);
    /* CPL 3 with the user half of a PTI pair (bit 12): read through the kernel half */
    uint32_t id = sample(3, 0x201000 | 5);
    assert_int_not_equal(id, 0);
    assert_string_equal(prof_linux_task_info(2, id)->comm, "workload");
    /* and the kernel side of the same process is the same task */
    assert_int_equal(sample(0, 0x200000 | 5), id);
}

static void test_unreadable(void **state)
{
    (void)state;
    struct prof_lx_domain *L = prof_linux_domain(2);
    /* early boot: no kernel GS base yet */
    struct guest_sample_state st = { .cpl = 0, .cr3 = 0x1000, .mode = CAP_MODE_64, .mem = { mem_read, 0 },
                                     .sysreg = sysreg, .read_as = read_as };
    gs = 0;
    lstar = 0;
    assert_null(prof_linux_task(2, &st));
    assert_int_equal(L->anchor_pending, 0);
    /* 32-bit code: not followed */
    st.mode = CAP_MODE_32;
    assert_null(prof_linux_task(2, &st));
    /* current_task not a kernel pointer */
    set_current(0);
    assert_int_equal(sample(0, 0x100000), 0);
    assert_true(L->reads_failed >= 2);
}

/* With the architecture's kernel reader (translations kept across exits), every read goes
 * through it, PTI or not, and none through the current page tables. */
static void test_kernel_reader_is_used(void **state)
{
    (void)state;
    const uint64_t t1 = KBASE + 0x2000;
    use_kread = 1;
    user_pt_maps_kernel = 0;
    put_task(t1, 9, 9, "workload");
    set_current(t1);
    uint32_t id = sample(3, 0x201000);
    assert_int_not_equal(id, 0);
    assert_int_equal(sample(0, 0x200000), id);
    assert_int_equal(reads, 0);
    assert_true(kreads >= 4);        /* current_task twice, pid, tgid, comm */
}

/* A kernel-mode sample's chain joined with the user stack: pt_regs at the top of the task's
 * 16 KiB kernel stack give the user ip and bp (CS ring 3), then the user frames. */
#define STACKBASE (KBASE + 0x8000)
#define REGS (STACKBASE + PROF_LX_THREAD_SIZE - 0xa8)
static uint8_t umem[0x1000];          /* user stack at 0x7ffff000 */
static int ujoin_read(void *ctx, uint64_t gva, void *buf, uint64_t len)
{
    if (gva >= 0x7ffff000ull && gva + len <= 0x80000000ull) {
        memcpy(buf, umem + (gva - 0x7ffff000ull), len);
        return 0;
    }
    if (gva >= STACKBASE && gva + len <= STACKBASE + PROF_LX_THREAD_SIZE) {
        uint64_t off = gva - REGS, v = 0;
        if (gva >= REGS && len == 8)
            v = off == 0x88 ? regs_cs : off == 0x80 ? 0x401717 : off == 0x20 ? 0x7ffff100 : 0;
        memcpy(buf, &v, len);
        return 0;
    }
    return mem_read(ctx, gva, buf, len);
}

static void test_user_chain_joined(void **state)
{
    (void)state;
    const uint64_t t1 = KBASE + 0x2000;
    assert_int_equal(prof_linux_configure(2, "perfvisor.lxtask=0x40,0x20,0x24,0x60 perfvisor.lxregs=0x30,0xa8,0x80,0x20,0x88"), 0);
    assert_int_equal(prof_linux_configure(3, "perfvisor.lxtask=0x40,0x20,0x24,0x60 perfvisor.lxregs=0x30,0xa8,0xa8,0x20,0x88"), -1);
    put_task(t1, 5, 5, "workload");
    uint64_t stack = STACKBASE;
    memcpy(kmem + (t1 + 0x30 - KBASE), &stack, 8);
    set_current(t1);
    /* user frames: [0x7ffff100] = 0x7ffff200 (caller's fp), [+8] = 0x401800 (return into run_rounds);
     * [0x7ffff200] = 0, [+8] = 0x401900 */
    uint64_t f[] = { 0x7ffff200, 0x401800 }, g[] = { 0, 0x401900 };
    memcpy(umem + 0x100, f, 16);
    memcpy(umem + 0x200, g, 16);
    assert_int_not_equal(sample(0, 0x100000), 0);
    struct guest_sample_state st = { .ip = 0xffffffff81000000ull, .cr3 = 0x100000, .cpl = 0, .mode = CAP_MODE_64,
                                     .word64 = 1, .mem = { ujoin_read, 0 }, .sysreg = sysreg, .read_as = read_as };
    gs = PERCPU;
    const struct prof_lx_task *t = prof_linux_task(2, &st);
    assert_non_null(t);
    uint64_t out[8] = { 0 };
    regs_cs = 0x33;
    int n = prof_linux_user_chain(2, &st, t, out, 8);
    assert_int_equal(n, 3);
    assert_true(out[0] == 0x401718);          /* the interrupted ip, + 1 (a return address's convention) */
    assert_true(out[1] == 0x401800);
    assert_true(out[2] == 0x401900);
    assert_int_equal(prof_linux_user_chain(2, &st, t, out, 1), 1);
    /* a kernel thread: the saved CS is the kernel's */
    regs_cs = 0x10;
    assert_int_equal(prof_linux_user_chain(2, &st, t, out, 8), 0);
    /* a user-mode sample has its own frames */
    st.cpl = 3;
    regs_cs = 0x33;
    assert_int_equal(prof_linux_user_chain(2, &st, t, out, 8), 0);
}

/* A kernel-mode sample on the last task's own kernel stack needs no read, but every 8th reads
 * current_task anyway; another stack (an interrupt stack, another task) reads it. */
static void test_stack_pointer_shortcut(void **state)
{
    (void)state;
    const uint64_t t1 = KBASE + 0x2000, t2 = KBASE + 0x3000;
    assert_int_equal(prof_linux_configure(2, "perfvisor.lxtask=0x40,0x20,0x24,0x60 perfvisor.lxregs=0x30,0xa8,0x80,0x20,0x88"), 0);
    use_kread = 1;
    put_task(t1, 5, 5, "workload");
    put_task(t2, 6, 6, "kworker");
    uint64_t s1 = 0xffffc90000010000ull, s2 = 0xffffc90000020000ull;
    memcpy(kmem + (t1 + 0x30 - KBASE), &s1, 8);
    memcpy(kmem + (t2 + 0x30 - KBASE), &s2, 8);
    set_current(t1);
    ksp = s1 + 0x3f00;
    uint32_t a = sample(0, 0x100000);
    assert_int_not_equal(a, 0);
    assert_int_equal(prof_linux_domain(2)->last_stack, s1);
    kreads = 0;
    int hits = 0;
    for (int i = 0; i < 16; i++) {
        int before = kreads;
        assert_int_equal(sample(0, 0x100000), a);
        hits += kreads == before;
    }
    assert_int_equal(hits, 14);                   /* 2 of 16 revalidated */
    /* another task on its own stack, same address space (kernel threads): read, then named */
    set_current(t2);
    ksp = s2 + 0x100;
    uint32_t b = sample(0, 0x100000);
    assert_int_not_equal(b, a);
    assert_string_equal(prof_linux_task_info(2, b)->comm, "kworker");
    /* on an interrupt stack: current_task is read (and still t2) */
    ksp = 0xfffffe0000005000ull;
    kreads = 0;
    assert_int_equal(sample(0, 0x100000), b);
    assert_true(kreads >= 1);
}

/* ---- the executable of a task: saved_auxv, program headers and the GNU build-id note ---- */
#define OFF_MM   0x80                      /* task_struct.mm */
#define OFF_AUXV 0x100                     /* mm_struct.saved_auxv */
#define AUXV_WORDS 52
#define MM (KBASE + 0x6000)

static void put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }
static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }

static void put_phdr(int i, uint32_t type, uint64_t off, uint64_t vaddr, uint64_t filesz)
{
    uint8_t *p = exemem + 0x40 + i * 56;
    put32(p, type);
    put64(p + 8, off);
    put64(p + 16, vaddr);
    put64(p + 32, filesz);
}

/* A PIE loaded at UBASE: ELF header, program headers at 0x40 (PT_PHDR first when with_phdr),
 * a PT_NOTE at 0x2c4 holding an ABI tag and then the build-id a0 a1 ... b3. */
static void put_exe(uint64_t task, int with_phdr, uint64_t phnum)
{
    memset(exemem, 0, sizeof(exemem));
    memcpy(exemem, "\177ELF", 4);
    put64(exemem + 0x20, 64);               /* e_phoff */
    int i = 0;
    if (with_phdr)
        put_phdr(i++, 6 /* PT_PHDR */, 0x40, 0x40, 56 * 3);
    put_phdr(i++, 1 /* PT_LOAD */, 0, 0, 0x1000);
    put_phdr(i++, 4 /* PT_NOTE */, 0x2c4, 0x2c4, 0x20 + 0x24);
    uint8_t *n = exemem + 0x2c4;
    put32(n, 4), put32(n + 4, 16), put32(n + 8, 1), memcpy(n + 12, "GNU", 4);   /* NT_GNU_ABI_TAG */
    n += 0x20;
    put32(n, 4), put32(n + 4, 20), put32(n + 8, 3), memcpy(n + 12, "GNU", 4);   /* NT_GNU_BUILD_ID */
    for (int k = 0; k < 20; k++)
        n[16 + k] = (uint8_t)(0xa0 + k);
    put64(kmem + (task - KBASE) + OFF_MM, MM);
    uint64_t auxv[] = { 6 /* AT_PAGESZ */, 4096, 3 /* AT_PHDR */, UBASE + 0x40, 5 /* AT_PHNUM */, phnum,
                        9 /* AT_ENTRY */, UBASE + 0x1020, 0, 0 };
    memcpy(kmem + (MM - KBASE) + OFF_AUXV, auxv, sizeof(auxv));
}

static void configure_mm(void)
{
    char line[160];
    snprintf(line, sizeof(line), "perfvisor.lxtask=0x%x,0x%x,0x%x,0x%x perfvisor.lxmm=0x%x,0x%x,%d", OFF_CUR,
             OFF_PID, OFF_TGID, OFF_COMM, OFF_MM, OFF_AUXV, AUXV_WORDS);
    assert_int_equal(prof_linux_configure(2, line), 0);
}

static void test_executable_read_once_at_user_mode(void **state)
{
    (void)state;
    configure_mm();
    const uint64_t t1 = KBASE + 0x2000;
    put_task(t1, 70, 70, "pie");
    put_exe(t1, 1, 3);
    set_current(t1);
    uint32_t id = sample(0, 0x300000);          /* in the kernel (exec may not be complete) */
    const struct prof_lx_task *t = prof_linux_task_info(2, id);
    assert_non_null(t);
    assert_int_equal(t->exe_state, PROF_LX_EXE_UNREAD);
    assert_int_equal(sample(3, 0x300000), id);  /* its first user-mode sample reads it */
    assert_int_equal(t->exe_state, PROF_LX_EXE_KNOWN);
    assert_true(t->entry == UBASE + 0x1020);
    assert_int_equal(t->build_id_len, 20);
    for (int k = 0; k < 20; k++)
        assert_int_equal(t->build_id[k], 0xa0 + k);
    int before = reads + kreads;
    assert_int_equal(sample(3, 0x300000), id);  /* never again */
    assert_int_equal(reads + kreads, before);
    assert_int_equal(prof_linux_domain(2)->exe_reads_failed, 0);
}

/* Without PT_PHDR the load bias comes from the ELF header right before the program headers. */
static void test_executable_without_pt_phdr(void **state)
{
    (void)state;
    configure_mm();
    const uint64_t t1 = KBASE + 0x2000;
    put_task(t1, 71, 71, "static");
    put_exe(t1, 0, 2);
    set_current(t1);
    const struct prof_lx_task *t = prof_linux_task_info(2, sample(3, 0x300000));
    assert_int_equal(t->exe_state, PROF_LX_EXE_KNOWN);
    assert_int_equal(t->build_id_len, 20);
    assert_int_equal(t->build_id[19], 0xb3);
    exemem[0] = 0;                                 /* no ELF header there: no bias, no build-id */
    put_task(t1, 72, 72, "static2");
    t = prof_linux_task_info(2, sample(3, 0x302000));
    assert_int_equal(t->exe_state, PROF_LX_EXE_KNOWN);
    assert_true(t->entry == UBASE + 0x1020);
    assert_int_equal(t->build_id_len, 0);
    assert_int_equal(t->pid, 72);
}

/* Bounded and contained: too many program headers, a bad note, no mm, no layout. */
static void test_executable_hostile_or_missing(void **state)
{
    (void)state;
    configure_mm();
    const uint64_t t1 = KBASE + 0x2000;
    put_task(t1, 80, 80, "many");
    put_exe(t1, 1, 17);                          /* over EXE_MAX_PHDRS: the entry only */
    set_current(t1);
    const struct prof_lx_task *t = prof_linux_task_info(2, sample(3, 0x400000));
    assert_int_equal(t->exe_state, PROF_LX_EXE_KNOWN);
    assert_int_equal(t->build_id_len, 0);
    put_task(t1, 81, 81, "badnote");
    put_exe(t1, 1, 3);
    put32(exemem + 0x2c4 + 4, 0xffffff00u);        /* the first note's descsz runs off the segment */
    t = prof_linux_task_info(2, sample(3, 0x402000));
    assert_int_equal(t->exe_state, PROF_LX_EXE_KNOWN);
    assert_int_equal(t->build_id_len, 0);
    assert_int_equal(t->pid, 81);
    put_task(t1, 82, 82, "nomm");
    put64(kmem + (t1 - KBASE) + OFF_MM, 0);
    t = prof_linux_task_info(2, sample(3, 0x404000));
    assert_int_equal(t->exe_state, PROF_LX_EXE_NONE);
    assert_int_equal(prof_linux_domain(2)->exe_reads_failed, 1);
    setup(NULL);                                 /* no perfvisor.lxmm=: nothing read */
    put_task(t1, 83, 83, "nolayout");
    put_exe(t1, 1, 3);
    set_current(t1);
    t = prof_linux_task_info(2, sample(3, 0x406000));
    assert_int_equal(t->exe_state, PROF_LX_EXE_NONE);
    assert_int_equal(prof_linux_domain(2)->exe_reads_failed, 0);
    assert_int_equal(prof_linux_configure(3, "perfvisor.lxtask=1,2,3,4 perfvisor.lxmm=1,2"), -1);
    assert_int_equal(prof_linux_configure(3, "perfvisor.lxtask=1,2,3,4 perfvisor.lxmm=1,2,200"), -1);
    assert_int_equal(prof_linux_configure(3, "perfvisor.lxtask=1,2,3,4 perfvisor.lxmm=0x7d0,0x2e0,52"), 0);
    assert_int_equal(prof_linux_domain(3)->auxv_words, 52);
}

/* The build-id's pages not mapped at the first user-mode sample: looked for again at the next
 * user-mode samples, 8 times at most; found, the executable is to be sent again. */
static void test_build_id_looked_for_again(void **state)
{
    (void)state;
    configure_mm();
    exe_unmapped = 1;
    const uint64_t t1 = KBASE + 0x2000;
    put_task(t1, 90, 90, "early");
    put_exe(t1, 1, 3);
    set_current(t1);
    uint32_t id = sample(3, 0x500000);
    struct prof_lx_task *t = prof_linux_task_entry(2, id);
    assert_int_equal(t->exe_state, PROF_LX_EXE_KNOWN);   /* the entry, from the kernel's auxv */
    assert_int_equal(t->build_id_len, 0);
    t->exe_sent = 5;                                     /* as if the export sent it */
    sample(3, 0x500000);
    assert_int_equal(t->build_id_len, 0);                /* still unmapped */
    exe_unmapped = 0;
    sample(3, 0x500000);
    assert_int_equal(t->build_id_len, 20);
    assert_int_equal(t->exe_sent, 0);                    /* to be sent again */
    int before = reads + kreads;
    for (int i = 0; i < 64; i++)
        sample(3, 0x500000);
    assert_int_equal(reads + kreads, before);            /* done: no more reads */

    /* never mapped: 8 tries, then no more */
    exe_unmapped = 1;
    put_task(t1, 91, 91, "never");
    t = prof_linux_task_entry(2, sample(3, 0x502000));
    for (int i = 0; i < 8; i++)
        sample(3, 0x502000);
    assert_int_equal(t->retries_left, 0);
    before = reads + kreads;
    for (int i = 0; i < 64; i++)
        sample(3, 0x502000);
    assert_int_equal(reads + kreads, before);
    exe_unmapped = 0;
}

/* A kernel thread renamed after it first ran (kthread_create, then set_task_comm): a new task
 * within 16 samples, though its task_struct, stack and address space stay. */
static void test_renamed_kernel_thread(void **state)
{
    (void)state;
    const uint64_t t1 = KBASE + 0x2000;
    put_task(t1, 30, 30, "kthreadd");
    set_current(t1);
    uint32_t id = sample(0, 0x100000);
    put_task(t1, 30, 30, "cryptomgr_test");
    uint32_t id2 = id;
    for (int i = 0; i < 16 && id2 == id; i++)
        id2 = sample(0, 0x100000);
    assert_int_not_equal(id2, id);
    assert_string_equal(prof_linux_task_info(2, id2)->comm, "cryptomgr_test");
    assert_string_equal(prof_linux_task_info(2, id)->comm, "kthreadd");
}

/* Two threads of one process (one address space): a user-mode sample whose stack pointer moved to
 * another 64 KiB reads the current task again, so each thread keeps its own samples; one that
 * stays on its stack reads nothing. */
static void test_threads_told_apart_by_user_stack(void **state)
{
    (void)state;
    const uint64_t t1 = KBASE + 0x2000, t2 = KBASE + 0x3000;
    put_task(t1, 100, 100, "threads");
    put_task(t2, 101, 100, "threads");
    set_current(t1);
    ksp = 0x7ffc12340000ull;                 /* the main thread's stack */
    uint32_t a = sample(3, 0x600000);
    int before = reads + kreads;
    ksp += 0x80;
    assert_int_equal(sample(3, 0x600000), a);
    assert_int_equal(reads + kreads, before); /* same stack window: nothing read */
    set_current(t2);                         /* the kernel switched threads; no kernel sample */
    ksp = 0x7f5a00801f00ull;                 /* the second thread's stack */
    uint32_t b = sample(3, 0x600000);
    assert_int_not_equal(a, b);
    assert_int_equal(prof_linux_task_info(2, b)->tid, 101);
    assert_int_equal(prof_linux_task_info(2, b)->pid, 100);
    set_current(t1);
    ksp = 0x7ffc12340100ull;
    assert_int_equal(sample(3, 0x600000), a);
    ksp = 0;
}

static void test_table_reuse(void **state)
{
    (void)state;
    uint32_t first = 0, last = 0;
    for (int i = 0; i < PROF_LX_TASKS + 6; i++) {
        uint64_t t = KBASE + 0x2000 + (uint64_t)i * 0x100;
        char comm[16];
        snprintf(comm, sizeof(comm), "p%d", i);
        put_task(t, (uint32_t)(100 + i), (uint32_t)(100 + i), comm);
        set_current(t);
        last = sample(0, 0x100000 + (uint64_t)i * 0x2000);
        if (!first)
            first = last;
    }
    assert_null(prof_linux_task_info(2, first));      /* its slot serves a newer task */
    assert_non_null(prof_linux_task_info(2, last));
    assert_int_equal(prof_linux_task_info(2, last)->pid, 100 + PROF_LX_TASKS + 5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_configure, setup),
        cmocka_unit_test_setup(test_task_named_and_cached, setup),
        cmocka_unit_test_setup(test_exec_and_pid_reuse_are_new_tasks, setup),
        cmocka_unit_test_setup(test_pti_user_page_tables, setup),
        cmocka_unit_test_setup(test_unreadable, setup),
        cmocka_unit_test_setup(test_table_reuse, setup),
        cmocka_unit_test_setup(test_kernel_reader_is_used, setup),
        cmocka_unit_test_setup(test_user_chain_joined, setup),
        cmocka_unit_test_setup(test_stack_pointer_shortcut, setup),
        cmocka_unit_test_setup(test_executable_read_once_at_user_mode, setup),
        cmocka_unit_test_setup(test_executable_without_pt_phdr, setup),
        cmocka_unit_test_setup(test_executable_hostile_or_missing, setup),
        cmocka_unit_test_setup(test_build_id_looked_for_again, setup),
        cmocka_unit_test_setup(test_renamed_kernel_thread, setup),
        cmocka_unit_test_setup(test_threads_told_apart_by_user_stack, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
