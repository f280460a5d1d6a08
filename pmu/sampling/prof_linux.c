/* The current task of a Linux guest, read from outside (pmu/sampling/prof_linux.h). */
#include "pmu/sampling/prof_linux.h"
#include "pmu/sampling/prof.h"
#include "pmu/sampling/callchain.h"
#include "hv/cmdline.h"
#include "hv/elf.h"
#include "hv/string.h"
#include "perfvisor/capture.h"

static struct prof_lx_domain lx[CAP_MAX_DOMAINS];

struct prof_lx_domain *prof_linux_domain(int domain)
{
    return domain > 0 && domain < CAP_MAX_DOMAINS ? &lx[domain] : 0;
}

/* Reads "A,B,..." (n values, each parse_u64's syntax) into v[n]. */
static int parse_n(char *s, uint64_t *v, int n)
{
    for (int i = 0; i < n; i++) {
        char *p = s;
        while (*p && *p != ',')
            p++;
        if ((i < n - 1) != (*p == ','))
            return -1;
        *p = 0;
        if (parse_u64(s, &v[i]))
            return -1;
        s = p + 1;
    }
    return 0;
}

int prof_linux_configure(int domain, const char *cmdline)
{
    struct prof_lx_domain *L = prof_linux_domain(domain);
    char val[96];
    uint64_t v[4];

    if (!L)
        return 0;
    memset(L, 0, sizeof(*L));
    if (!cmdline_get(cmdline, "perfvisor.lxtask", val, sizeof(val)))
        return 0;
    if (parse_n(val, v, 4) || v[0] > (1u << 30) || v[1] > 0x10000 || v[2] > 0x10000 || v[3] > 0x10000)
        return -1;
    L->off_current = v[0];
    L->off_pid = v[1];
    L->off_tgid = v[2];
    L->off_comm = v[3];
    L->valid = 1;
    uint64_t m[3];
    if (cmdline_get(cmdline, "perfvisor.lxmm", val, sizeof(val))) {
        if (parse_n(val, m, 3) || m[0] > 0x10000 || m[1] > 0x10000 || m[2] < 2 || m[2] > PROF_LX_AUXV_MAX)
            return -1;
        L->off_mm = m[0];
        L->off_auxv = m[1];
        L->auxv_words = m[2];
        L->mm_valid = 1;
    }
    uint64_t r[5];
    if (cmdline_get(cmdline, "perfvisor.lxregs", val, sizeof(val))) {
        if (parse_n(val, r, 5) || r[0] > 0x10000 || r[1] > 4096 || r[2] + 8 > r[1] || r[3] + 8 > r[1] ||
            r[4] + 8 > r[1])
            return -1;
        L->off_stack = r[0];
        L->regs_size = r[1];
        L->off_ip = r[2];
        L->off_bp = r[3];
        L->off_cs = r[4];
        L->regs_valid = 1;
    }
    return 0;
}

static int kernel_address(uint64_t a)
{
    return a >> 63;
}

/* Same address space: the page-table root without the PCID bits and PTI's user/kernel bit. */
static int same_mm(uint64_t a, uint64_t b)
{
    return !((a ^ b) & ~0x1FFFull & ~(1ull << 63));
}

/* Kernel memory: through the current CR3, else (PTI's user page tables map little of the
 * kernel) through the kernel half of the pair. */
static int kread(const struct guest_sample_state *st, uint64_t gva, void *buf, uint64_t len)
{
    if (st->kread)
        return st->kread(st->mem.ctx, gva, buf, len);
    if (!st->mem.read(st->mem.ctx, gva, buf, len))
        return 0;
    if (!st->read_as || !(st->cr3 & 0x1000))
        return -1;
    return st->read_as(st->mem.ctx, st->cr3 & ~0x1FFFull & ~(1ull << 63), gva, buf, len);
}

/* Every 16th time the last task is found again by its task_struct: has it been renamed since
 * (a kernel thread's set_task_comm after kthread_create, prctl(PR_SET_NAME))?  Then it is a new
 * (task, comm).  An exec needs no check: it changes the address space.  (Every 16th: 5 ticks a
 * sample on average in make bench; every 8th cost 10.) */
static int comm_changed(struct prof_lx_domain *L, const struct guest_sample_state *st, uint64_t task)
{
    char comm[PROF_LX_COMM];
    if (++L->comm_checks & 15)
        return 0;
    const struct prof_lx_task *t = &L->tasks[L->last_id % PROF_LX_TASKS];
    if (t->id != L->last_id || kread(st, task + L->off_comm, comm, sizeof(comm)))
        return 0;
    comm[PROF_LX_COMM - 1] = 0;
    return memcmp(comm, t->comm, sizeof(comm)) != 0;
}

static uint32_t task_id(int domain, const struct guest_sample_state *st)
{
    struct prof_lx_domain *L = prof_linux_domain(domain);
    uint64_t task;

    if (!L || !L->valid || st->mode != CAP_MODE_64 || !st->sysreg)
        return 0;
    if (st->cpl == 3) {
        /* the same address space and the user stack pointer in the same 64 KiB: the same task
         * (threads of one process share the address space, not the stack) */
        uint64_t usp = st->sysreg(st->mem.ctx, PROF_REG_SP) >> PROF_LX_USP_SHIFT;
        int same_stack = usp == L->last_usp;
        L->last_usp = usp;
        if (L->last_id && L->last_user && st->cr3 == L->last_cr3 && same_stack)
            return L->last_id;
        if (!L->percpu) {
            uint64_t gs = st->sysreg(st->mem.ctx, PROF_REG_KERNEL_GS_BASE);
            if (kernel_address(gs))
                L->percpu = gs;
        }
    } else {
        /* on the last task's own kernel stack (not an interrupt stack): still that task, with
         * no read; every 8th such sample reads current_task anyway, so that a stack freed and
         * given to a new task in the same address space is noticed */
        if (L->last_stack && L->last_id && same_mm(st->cr3, L->last_cr3) && (++L->stack_hits & 7) &&
            (st->sysreg(st->mem.ctx, PROF_REG_SP) & ~(uint64_t)(PROF_LX_THREAD_SIZE - 1)) == L->last_stack) {
            L->last_cr3 = st->cr3;
            return L->last_id;
        }
    }
    if (st->cpl != 3 && !L->percpu_final) {
        /* the per-CPU base moves once in the boot (from the static area to the CPU's own);
         * once user space runs it is final and GS need not be read again */
        uint64_t gs = st->sysreg(st->mem.ctx, PROF_REG_GS_BASE);
        if (kernel_address(gs))
            L->percpu = gs;
        if (!L->syscall_entry) {
            uint64_t e = st->sysreg(st->mem.ctx, PROF_REG_SYSCALL_ENTRY);
            if (kernel_address(e)) {
                L->syscall_entry = e;
                L->anchor_pending = 1;
            }
        }
    }
    if (!L->percpu || kread(st, L->percpu + L->off_current, &task, 8) || !kernel_address(task)) {
        L->reads_failed++;
        return 0;
    }
    if (L->last_id && task == L->last_task && same_mm(st->cr3, L->last_cr3) &&
        (st->cpl != 3 || L->last_user) && !comm_changed(L, st, task)) {
        L->last_cr3 = st->cr3;
        return L->last_id;
    }
    uint32_t pid, tgid;
    char comm[PROF_LX_COMM];
    if (kread(st, task + L->off_pid, &pid, 4) || kread(st, task + L->off_tgid, &tgid, 4) ||
        kread(st, task + L->off_comm, comm, sizeof(comm))) {
        L->reads_failed++;
        return 0;
    }
    comm[PROF_LX_COMM - 1] = 0;
    L->last_task = task;
    L->last_cr3 = st->cr3;
    L->last_stack = 0;
    if (L->regs_valid) {
        uint64_t stack;
        if (!kread(st, task + L->off_stack, &stack, 8) && kernel_address(stack) &&
            !(stack & (PROF_LX_THREAD_SIZE - 1)))
            L->last_stack = stack;
    }
    L->last_user = st->cpl == 3;         /* a user sample: any exec is complete */
    if (st->cpl == 3)
        L->percpu_final = 1;
    for (int i = 0; i < PROF_LX_TASKS; i++) {
        const struct prof_lx_task *t = &L->tasks[i];
        if (t->id && t->task == task && same_mm(t->cr3, st->cr3) && t->tid == pid && t->pid == tgid &&
            !memcmp(t->comm, comm, sizeof(comm)))
            return L->last_id = t->id;
    }
    if (++L->next_id == 0)
        L->next_id = 1;
    struct prof_lx_task *t = &L->tasks[L->next_id % PROF_LX_TASKS];
    t->id = L->next_id;
    t->pid = tgid;
    t->tid = pid;
    t->task = task;
    t->cr3 = st->cr3;
    memcpy(t->comm, comm, sizeof(comm));
    t->exe_state = PROF_LX_EXE_UNREAD;
    t->build_id_len = 0;
    t->entry = 0;
    t->exe_sent = 0;
    t->retries_left = 0;
    return L->last_id = t->id;
}

/* The ELF auxiliary vector's keys (include/uapi/linux/auxvec.h); the program headers and notes
 * are hv/elf.h's. */
#define AT_NULL  0
#define AT_PHDR  3
#define AT_PHNUM 5
#define AT_ENTRY 9
#define EXE_MAX_PHDRS 16                 /* more: the build-id is not looked for */
#define EXE_MAX_NOTES 4                  /* PT_NOTE segments looked into */
#define EXE_NOTE_BYTES 256               /* of each */

/* The GNU build-id note in notes[0..n) into t, when its length is one t can hold; 1 if so. */
static int find_build_id(const uint8_t *notes, uint64_t n, struct prof_lx_task *t)
{
    uint64_t len;
    const uint8_t *desc = elf_note_build_id(notes, n, &len);
    if (!desc || !len || len > PROF_LX_BUILD_ID)
        return 0;
    memcpy(t->build_id, desc, len);
    t->build_id_len = (uint8_t)len;
    return 1;
}

/* The build-id from the executable's program headers in user memory (AT_PHDR): its PT_NOTE
 * segments at the load bias, which PT_PHDR gives (p_vaddr against AT_PHDR), or else the ELF
 * header found right before the program headers (e_phoff 64) in the segment at file offset 0. */
static int read_build_id(const struct guest_sample_state *st, struct prof_lx_task *t, uint64_t phdr,
                         uint64_t phnum)
{
    struct elf64_phdr ph[EXE_MAX_PHDRS];
    uint8_t notes[EXE_NOTE_BYTES];
    if (!phdr || !phnum || phnum > EXE_MAX_PHDRS)
        return 0;
    if (st->mem.read(st->mem.ctx, phdr, ph, phnum * sizeof(ph[0])))
        return -1;                       /* not mapped yet: the task has not touched it */
    uint64_t bias = 0;
    int have_bias = 0;
    for (uint64_t i = 0; i < phnum && !have_bias; i++) {
        if (ph[i].type == PT_PHDR) {
            bias = phdr - ph[i].vaddr;
            have_bias = 1;
        }
    }
    for (uint64_t i = 0; i < phnum && !have_bias; i++) {
        struct elf64_ehdr eh;
        if (ph[i].type == PT_LOAD && ph[i].offset == 0 && phdr >= sizeof(eh) &&
            !st->mem.read(st->mem.ctx, phdr - sizeof(eh), &eh, sizeof(eh)) &&
            !memcmp(eh.ident, "\177ELF", 4) && eh.phoff == sizeof(eh)) {
            bias = phdr - sizeof(eh) - ph[i].vaddr;
            have_bias = 1;
        }
    }
    if (!have_bias)
        return 0;
    int unread = 0;
    for (uint64_t i = 0, seen = 0; i < phnum && seen < EXE_MAX_NOTES; i++) {
        if (ph[i].type != PT_NOTE)
            continue;
        seen++;
        uint64_t n = ph[i].filesz < sizeof(notes) ? ph[i].filesz : sizeof(notes);
        if (st->mem.read(st->mem.ctx, bias + ph[i].vaddr, notes, n))
            unread = 1;
        else if (find_build_id(notes, n, t))
            return 1;
    }
    return unread ? -1 : 0;
}

/* A build-id whose pages were not mapped at the task's first user-mode sample (a program's first
 * instructions run before it touches its headers) is looked for again at the task's next
 * user-mode samples, EXE_RETRIES of them at most; once found, the export sends the executable
 * again.  A period later the pages are nearly always there, so at most a sample or two of the
 * task are resolved before their build-id is known. */
#define EXE_RETRIES 8
static void retry_build_id(const struct guest_sample_state *st, struct prof_lx_task *t)
{
    t->retries_left--;
    int r = read_build_id(st, t, t->phdr, t->phnum);
    if (r >= 0)
        t->retries_left = 0;
    if (r > 0)
        t->exe_sent = 0;
}

/* Once per task, at its first user-mode sample: its executable's entry point and build-id. */
static void read_exe(struct prof_lx_domain *L, const struct guest_sample_state *st, struct prof_lx_task *t)
{
    uint64_t mm, auxv[PROF_LX_AUXV_MAX], phdr = 0, phnum = 0, entry = 0;
    t->exe_state = PROF_LX_EXE_NONE;
    if (!L->mm_valid)
        return;
    if (kread(st, t->task + L->off_mm, &mm, 8) || !kernel_address(mm) ||
        kread(st, mm + L->off_auxv, auxv, L->auxv_words * 8)) {
        L->exe_reads_failed++;
        return;
    }
    for (uint64_t i = 0; i + 1 < L->auxv_words && auxv[i] != AT_NULL; i += 2) {
        if (auxv[i] == AT_PHDR)
            phdr = auxv[i + 1];
        else if (auxv[i] == AT_PHNUM)
            phnum = auxv[i + 1];
        else if (auxv[i] == AT_ENTRY)
            entry = auxv[i + 1];
    }
    if (!entry || kernel_address(entry)) {
        L->exe_reads_failed++;
        return;
    }
    t->entry = entry;
    t->exe_state = PROF_LX_EXE_KNOWN;
    t->phdr = phdr;
    t->phnum = (uint8_t)(phnum < 255 ? phnum : 255);
    t->retries_left = read_build_id(st, t, phdr, phnum) < 0 ? EXE_RETRIES : 0;
}

const struct prof_lx_task *prof_linux_task(int domain, const struct guest_sample_state *st)
{
    uint32_t id = task_id(domain, st);
    if (!id)
        return 0;
    struct prof_lx_task *t = &lx[domain].tasks[id % PROF_LX_TASKS];
    if (st->cpl == 3 && t->exe_state == PROF_LX_EXE_UNREAD)
        read_exe(&lx[domain], st, t);
    else if (st->cpl == 3 && t->retries_left)
        retry_build_id(st, t);
    return t;
}

int prof_linux_user_chain(int domain, const struct guest_sample_state *st, const struct prof_lx_task *t,
                          uint64_t *out, int max)
{
    struct prof_lx_domain *L = prof_linux_domain(domain);
    uint64_t stack, cs, ip, bp;
    if (!L || !L->regs_valid || !t || max < 1 || st->cpl == 3)
        return 0;
    if (kread(st, t->task + L->off_stack, &stack, 8) || !kernel_address(stack))
        return 0;
    uint64_t regs = stack + PROF_LX_THREAD_SIZE - L->regs_size;
    /* the kernel stack may be vmalloc'd (VMAP_STACK) and reused: read through the page tables
     * now, never through kread's kept translations */
    if (st->mem.read(st->mem.ctx, regs + L->off_cs, &cs, 8) || (cs & 3) != 3 ||
        st->mem.read(st->mem.ctx, regs + L->off_ip, &ip, 8) ||
        st->mem.read(st->mem.ctx, regs + L->off_bp, &bp, 8) || kernel_address(ip) || !ip)
        return 0;
    out[0] = ip + 1;                     /* a chain holds return addresses: the report takes 1 off */
    return 1 + (max > 1 ? callchain_walk(bp, 1, max - 1, out + 1, st->mem.read, st->mem.ctx) : 0);
}

const struct prof_lx_task *prof_linux_task_info(int domain, uint32_t id)
{
    return prof_linux_task_entry(domain, id);
}

struct prof_lx_task *prof_linux_task_entry(int domain, uint32_t id)
{
    struct prof_lx_domain *L = prof_linux_domain(domain);
    if (!L || !id)
        return 0;
    struct prof_lx_task *t = &L->tasks[id % PROF_LX_TASKS];
    return t->id == id ? t : 0;
}
