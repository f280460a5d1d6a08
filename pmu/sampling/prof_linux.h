/* Naming the task a Linux guest runs at each sample, from outside: the sampler reads the
 * per-CPU current_task slot and the task's pid, tgid and comm from guest memory, at offsets the
 * host tool learned from the kernel's BTF and put on the domain's module line
 * (perfvisor.lxtask=CURRENT_TASK,PID,TGID,COMM; profiler/linux_btf.h).  The guest does nothing.
 *
 * Per sample: at CPL 0 one guest read (current_task at GS base + its offset) and a compare with
 * the domain's last task; at CPL 3 none while CR3 stays the last one seen and the user stack
 * pointer stays in the same 64 KiB (the task cannot change without a kernel entry; a switch to
 * another process changes CR3, and one to another thread of the process its stack).  Only a new (task, CR3)
 * reads pid, tgid and comm (24 bytes) and looks them up in the domain's table of PROF_LX_TASKS
 * tasks.  Each distinct (task_struct address, address space, pid, tid, comm) gets a new id, so an
 * exec (new CR3, new comm) or a reused pid is a new task, never merged with the old one. */
#ifndef PMU_PROF_LINUX_H
#define PMU_PROF_LINUX_H

#include <stdint.h>

struct guest_sample_state;

#define PROF_LX_TASKS 64                 /* per domain; ids are assigned round robin */
#define PROF_LX_COMM  16                 /* TASK_COMM_LEN */

#define PROF_LX_AUXV_MAX 64              /* saved_auxv words read (AT_VECTOR_SIZE: 52 in 6.1) */
#define PROF_LX_BUILD_ID 32              /* the longest build-id kept (GNU's sha1: 20 bytes) */

/* What a task's executable is, read once, at its first user-mode sample (exec is complete then):
 * the ELF auxiliary vector the kernel kept (mm_struct.saved_auxv) gives the entry point in memory
 * (AT_ENTRY: the report subtracts the file's e_entry for a PIE's load base) and the program
 * headers in memory (AT_PHDR, AT_PHNUM), whose PT_NOTE holds the GNU build-id. */
enum prof_lx_exe_state {
    PROF_LX_EXE_UNREAD = 0,              /* no user-mode sample yet */
    PROF_LX_EXE_NONE,                    /* read, nothing found (a kernel thread, no layout) */
    PROF_LX_EXE_KNOWN,                   /* entry (and build_id when build_id_len) valid */
};

struct prof_lx_task {
    uint32_t id;                         /* 0: free */
    uint32_t pid, tid;                   /* the user-space pid (tgid) and tid (pid) */
    uint64_t task, cr3;                  /* the task_struct's address, its address space */
    char comm[PROF_LX_COMM] __attribute__((aligned(8)));   /* NUL-padded */
    uint8_t exe_state;                   /* enum prof_lx_exe_state */
    uint8_t build_id_len;                /* 0: none found */
    uint8_t build_id[PROF_LX_BUILD_ID];
    uint64_t entry;                      /* AT_ENTRY */
    uint32_t exe_sent;                   /* the export's header count when it last sent them */
    uint64_t phdr;                       /* AT_PHDR, AT_PHNUM: for looking for the build-id */
    uint8_t phnum;
    uint8_t retries_left;                /* its pages were not mapped yet: look again later */
};

struct prof_lx_domain {
    int valid;                           /* a layout was given */
    uint64_t off_current, off_pid, off_tgid, off_comm;
    uint64_t percpu;                     /* the last kernel GS base seen (0: none yet) */
    uint8_t percpu_final;                /* user space ran: the base no longer moves */
    uint64_t last_cr3, last_task;        /* the last sample's address space and task */
    uint32_t last_id;                    /* its id (0: none) */
    uint8_t last_user;                   /* ...read at CPL 3 (any exec complete) or since */
    uint64_t last_usp;                   /* the last user-mode sample's RSP >> PROF_LX_USP_SHIFT */
    uint64_t last_stack;                 /* ...its kernel stack (task_struct.stack; 0: unknown) */
    uint32_t stack_hits;                 /* kernel-mode samples named by their stack pointer */
    uint32_t comm_checks;                /* ... by their task_struct (every 16th reads the comm) */
    uint32_t next_id;
    uint64_t syscall_entry;              /* IA32_LSTAR once the kernel set it */
    uint8_t anchor_pending;              /* not yet sent since the last header */
    uint64_t reads_failed;               /* samples whose task could not be read */
    int regs_valid;                      /* perfvisor.lxregs= given: */
    uint64_t off_stack, regs_size, off_ip, off_bp, off_cs;   /* task_struct.stack, struct pt_regs */
    int mm_valid;                        /* perfvisor.lxmm= given: */
    uint64_t off_mm, off_auxv, auxv_words;   /* task_struct.mm, mm_struct.saved_auxv[words] */
    uint64_t exe_reads_failed;           /* tasks whose executable could not be read */
    struct prof_lx_task tasks[PROF_LX_TASKS];
};

/* Reads perfvisor.lxtask= (and perfvisor.lxregs=, perfvisor.lxmm=) of a domain's module command
 * line (absent: the domain is not followed; 0).  -1 when one is present but malformed. */
int prof_linux_configure(int domain, const char *cmdline);
/* The task the sample's vCPU runs (its table entry, valid until PROF_LX_TASKS newer tasks), or
 * NULL when the domain has no layout or the task cannot be read (early boot, an unmapped slot).
 * At a task's first user-mode sample its executable is read too (entry, build_id): a bounded
 * number of guest reads, once per task. */
const struct prof_lx_task *prof_linux_task(int domain, const struct guest_sample_state *st);
/* A kernel-mode sample's call chain joined with the user stack it interrupted: the user
 * registers the kernel saved at the top of the task's kernel stack (pt_regs, with
 * perfvisor.lxregs=STACK,PT_REGS_SIZE,IP,BP,CS and THREAD_SIZE 16 KiB) when their CS is ring
 * 3: their ip, then the user frames from their bp.  Writes at most max frames to out; returns how
 * many (0: none, e.g. a kernel thread). */
int prof_linux_user_chain(int domain, const struct guest_sample_state *st, const struct prof_lx_task *t,
                          uint64_t *out, int max);
#define PROF_LX_THREAD_SIZE 16384          /* x86-64 without KASAN */
#define PROF_LX_USP_SHIFT 16               /* user stacks compared in 64 KiB windows */

/* The task of id, or NULL when its slot was reused since (PROF_LX_TASKS newer tasks). */
const struct prof_lx_task *prof_linux_task_info(int domain, uint32_t id);
struct prof_lx_task *prof_linux_task_entry(int domain, uint32_t id);   /* the same, for the export */
struct prof_lx_domain *prof_linux_domain(int domain);

#endif
