/* A Linux kernel's task layout, learned from the kernel image itself (the BTF that distribution
 * kernels carry, CONFIG_DEBUG_INFO_BTF): where the per-CPU current_task slot lies in
 * .data..percpu and where pid, tgid and comm lie in task_struct.  perfvisor hands it to the
 * hypervisor on the domain's module line (LINUX_LAYOUT_KEY, which the guest never sees), so that
 * the sampler can name the task running at each sample (docs/profiling.md "Profiling a Linux
 * guest").  Reads an LZ4 bzImage (Debian's) or a vmlinux ELF, with libelf and libbpf. */
#ifndef PROFILER_LINUX_BTF_H
#define PROFILER_LINUX_BTF_H

#include <stddef.h>
#include <stdint.h>

#define LINUX_LAYOUT_KEY "perfvisor.lxtask"   /* =CURRENT_TASK,PID,TGID,COMM (hv/: pmu/sampling/prof_linux.c) */

struct linux_layout {
	int valid;
	uint64_t current_task;   /* offset of the per-CPU current_task in .data..percpu */
	uint32_t pid, tgid, comm; /* offsets in task_struct */
	/* the user registers a kernel-mode sample interrupted (for joining chains): task_struct's
	 * stack, and struct pt_regs's size and ip, bp and cs; regs_valid 0 when not learned */
	int regs_valid;
	uint32_t stack, regs_size, regs_ip, regs_bp, regs_cs;
	/* the executable a task runs (for PIE load bases and build-ids): task_struct's mm, and
	 * mm_struct's saved_auxv (the ELF auxiliary vector exec built) with its element count;
	 * mm_valid 0 when not learned */
	int mm_valid;
	uint32_t mm, saved_auxv, auxv_words;
};

/* 0, or -1 with why (a sentence fragment) filled. */
int linux_layout_from_file(const char *path, struct linux_layout *lo, char *why, size_t wl);
int linux_layout_from_vmlinux(const void *data, size_t len, struct linux_layout *lo, char *why, size_t wl);
int linux_layout_from_btf(const void *data, size_t len, struct linux_layout *lo, char *why, size_t wl);
#define LINUX_REGS_KEY "perfvisor.lxregs"     /* =STACK,PT_REGS_SIZE,IP,BP,CS */
#define LINUX_MM_KEY "perfvisor.lxmm"         /* =MM,SAVED_AUXV,AUXV_WORDS */
/* "perfvisor.lxtask=0x...,0x...,0x...,0x..." and, when learned, " perfvisor.lxregs=..." and
 * " perfvisor.lxmm=..." (new string). */
char *linux_layout_key(const struct linux_layout *lo);

#endif
