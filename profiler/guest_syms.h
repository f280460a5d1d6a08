/* Symbols of Linux guests for perfvisor report (docs/profiling.md "Profiling a Linux guest"):
 *   --guest-kallsyms [DOM=]FILE  a /proc/kallsyms or System.map, possibly from another boot: its
 *                                addresses are moved by the domain's KASLR slide, the guest's
 *                                IA32_LSTAR (CAP_R_ANCHOR) minus the file's entry_SYSCALL_64
 *   --guest-vmlinux [DOM=]FILE   a vmlinux with a symbol table (.symtab), relocated the same way
 *   --guest-root [DOM=]DIR       the guest's root file system: a task's user-space addresses
 *                                resolve in the executable named by its comm under DIR/bin,
 *                                sbin, usr/bin, usr/sbin or usr/local/bin (non-PIE executables:
 *                                a PIE's load base is not known here)
 * Without DOM= a file serves every domain. */
#ifndef PROFILER_GUEST_SYMS_H
#define PROFILER_GUEST_SYMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "report.h"

struct guest_syms;

struct guest_syms *guest_syms_new(void);
void guest_syms_free(struct guest_syms *g);
/* The options' argument "[DOM=]PATH": 0, or -1 with why. */
int guest_syms_add_kallsyms(struct guest_syms *g, const char *arg, char *why, size_t wl);
int guest_syms_add_vmlinux(struct guest_syms *g, const char *arg, char *why, size_t wl);
int guest_syms_add_root(struct guest_syms *g, const char *arg, char *why, size_t wl);
/* The domain's IA32_LSTAR from the capture (0: none seen). */
void guest_syms_set_anchor(struct guest_syms *g, int domain, uint64_t syscall_entry);
/* The domain has kernel symbols / a root given. */
bool guest_syms_has_kernel(const struct guest_syms *g, int domain);
bool guest_syms_has_root(const struct guest_syms *g, int domain);
/* A domain's relocation: 1 and *slide when known, 0 when the capture has no anchor or the
 * file no entry_SYSCALL_64 (then addresses are taken as they are). */
int guest_syms_slide(const struct guest_syms *g, int domain, int64_t *slide);
/* A guest kernel address (upper half): fills out and returns 1 when the domain has kernel
 * symbols (out->name empty when none covers ip), else 0. */
int guest_syms_kernel(struct guest_syms *g, int domain, uint64_t ip, struct report_sym *out);
/* A user-space address of a task: out filled from the executable found for its comm under the
 * root, checked against what the hypervisor read of the task's (x: build-id, entry point) and
 * moved by a PIE's load bias. */
void guest_syms_user(struct guest_syms *g, int domain, const struct report_task_exe *x, uint64_t ip,
		     struct report_sym *out);
/* One-line notes for the report (an executable not found, a PIE, a missing anchor), each once;
 * NULL-terminated, owned by g. */
const char *const *guest_syms_notes(const struct guest_syms *g);

#endif
