/* Symbols of Linux guests: kallsyms/System.map/vmlinux with KASLR, executables under a root
 * (guest_syms.h). */
#define _GNU_SOURCE
#include "guest_syms.h"

#include <elfutils/libdwelf.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdarg.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../include/perfvisor/capture.h"
#include "util.h"

struct gsym {
	uint64_t addr, size;       /* size 0: up to the next symbol */
	char *name;
};

struct gtab {
	struct gsym *v;
	size_t n, cap;
	uint64_t syscall_entry;    /* entry_SYSCALL_64 in the file (0: none) */
	uint64_t end;              /* addresses at or past this are not covered */
	char *dso;
	int pie;                   /* an ET_DYN executable: loaded at a base only the run knows */
	uint64_t entry;            /* e_entry */
	uint8_t build_id[CAP_TASK_BUILD_ID_MAX];
	int build_id_len;          /* 0: the file has no GNU build-id note */
};

struct guser {
	int domain;
	char comm[32];
	struct gtab *tab;          /* NULL: no executable found */
};

#define ALL (-1)
#define MAX_NOTES 16

struct guest_syms {
	struct gtab *kernel[CAP_MAX_DOMAINS];   /* [0]: for every domain */
	bool kernel_own[CAP_MAX_DOMAINS];
	char *root[CAP_MAX_DOMAINS];            /* [0]: for every domain */
	uint64_t anchor[CAP_MAX_DOMAINS];
	struct guser *users;
	size_t nusers;
	char *notes[MAX_NOTES + 1];
	int nnotes;
};

static void note(struct guest_syms *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(struct guest_syms *g, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	for (int i = 0; i < g->nnotes; i++)
		if (!strcmp(g->notes[i], buf))
			return;
	if (g->nnotes < MAX_NOTES)
		g->notes[g->nnotes++] = xstrdup(buf);
}

struct guest_syms *guest_syms_new(void)
{
	struct guest_syms *g = xmalloc(sizeof(*g));
	memset(g, 0, sizeof(*g));
	return g;
}

static void tab_free(struct gtab *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n; i++)
		free(t->v[i].name);
	free(t->v);
	free(t->dso);
	free(t);
}

void guest_syms_free(struct guest_syms *g)
{
	if (!g)
		return;
	for (int d = 0; d < CAP_MAX_DOMAINS; d++) {
		tab_free(g->kernel[d]);
		free(g->root[d]);
	}
	for (size_t i = 0; i < g->nusers; i++)
		tab_free(g->users[i].tab);
	free(g->users);
	for (int i = 0; i < g->nnotes; i++)
		free(g->notes[i]);
	free(g);
}

static void tab_add(struct gtab *t, uint64_t addr, uint64_t size, const char *name)
{
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 4096;
		t->v = xrealloc(t->v, t->cap * sizeof(*t->v));
	}
	t->v[t->n++] = (struct gsym){ addr, size, xstrdup(name) };
	if (!strcmp(name, "entry_SYSCALL_64"))
		t->syscall_entry = addr;
}

static int cmp_sym(const void *a, const void *b)
{
	const struct gsym *x = a, *y = b;
	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static void tab_finish(struct gtab *t, uint64_t tail)
{
	qsort(t->v, t->n, sizeof(*t->v), cmp_sym);
	uint64_t end = 0;
	for (size_t i = 0; i < t->n; i++) {
		uint64_t e = t->v[i].addr + (t->v[i].size ? t->v[i].size : tail);
		if (e > end)
			end = e;
	}
	t->end = end;
}

/* The symbol covering a, or NULL. */
static const struct gsym *tab_find(const struct gtab *t, uint64_t a)
{
	size_t lo = 0, hi = t->n;
	if (!t->n || a < t->v[0].addr || a >= t->end)
		return NULL;
	while (hi - lo > 1) {
		size_t mid = (lo + hi) / 2;
		if (t->v[mid].addr <= a)
			lo = mid;
		else
			hi = mid;
	}
	const struct gsym *s = &t->v[lo];
	if (s->size && a >= s->addr + s->size)
		return NULL;
	return s;
}

/* "[DOM=]PATH" */
static int split_arg(const char *arg, int *domain, const char **path, char *why, size_t wl)
{
	const char *eq = strchr(arg, '=');
	*domain = 0;
	*path = arg;
	if (eq && eq > arg && strspn(arg, "0123456789") == (size_t)(eq - arg)) {
		long d = strtol(arg, NULL, 10);
		if (d < 1 || d >= CAP_MAX_DOMAINS) {
			snprintf(why, wl, "domain %ld: domains are 1 to %d", d, CAP_MAX_DOMAINS - 1);
			return -1;
		}
		*domain = (int)d;
		*path = eq + 1;
	}
	if (!**path) {
		snprintf(why, wl, "no file named");
		return -1;
	}
	return 0;
}

static void set_kernel(struct guest_syms *g, int d, struct gtab *t)
{
	tab_free(g->kernel[d]);
	g->kernel[d] = t;
}

/* /proc/kallsyms ("ADDR TYPE NAME [MODULE]") or System.map ("ADDR TYPE NAME"): the text
 * symbols of the kernel's upper half. */
int guest_syms_add_kallsyms(struct guest_syms *g, const char *arg, char *why, size_t wl)
{
	int d;
	const char *path;
	if (split_arg(arg, &d, &path, why, wl))
		return -1;
	FILE *f = fopen(path, "r");
	if (!f) {
		snprintf(why, wl, "%s: %s", path, strerror(errno));
		return -1;
	}
	struct gtab *t = xmalloc(sizeof(*t));
	memset(t, 0, sizeof(*t));
	t->dso = xstrdup("[kernel.kallsyms]");
	char line[1024];
	size_t lines = 0, zero = 0;
	while (fgets(line, sizeof(line), f)) {
		char *end, type, name[512];
		uint64_t a = strtoull(line, &end, 16);
		if (end == line || sscanf(end, " %c %511s", &type, name) != 2)
			continue;
		lines++;
		if (!a)
			zero++;
		if (!strchr("tTwW", type) || !(a >> 63) || strchr(end, '['))
			continue;                 /* data, per-CPU offsets, modules */
		tab_add(t, a, 0, name);
	}
	fclose(f);
	if (!t->n) {
		snprintf(why, wl, "%s: no kernel text symbols in %zu lines%s", path, lines,
			 zero && zero == lines ? " (every address is 0: read /proc/kallsyms as root)" : "");
		tab_free(t);
		return -1;
	}
	tab_finish(t, 0x10000);
	set_kernel(g, d, t);
	return 0;
}

/* The function symbols of an ELF file's .symtab (else .dynsym); NULL with why. */
static struct gtab *elf_tab(const char *path, char *why, size_t wl)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(why, wl, "%s: %s", path, strerror(errno));
		return NULL;
	}
	elf_version(EV_CURRENT);
	Elf *e = elf_begin(fd, ELF_C_READ, NULL);
	GElf_Ehdr eh;
	if (!e || !gelf_getehdr(e, &eh)) {
		snprintf(why, wl, "%s is not an ELF file", path);
		if (e)
			elf_end(e);
		close(fd);
		return NULL;
	}
	struct gtab *t = xmalloc(sizeof(*t));
	memset(t, 0, sizeof(*t));
	const char *base = strrchr(path, '/');
	t->dso = xstrdup(base ? base + 1 : path);
	t->pie = eh.e_type == ET_DYN;
	t->entry = eh.e_entry;
	const void *bid = NULL;
	ssize_t bn = dwelf_elf_gnu_build_id(e, &bid);   /* libdw: the NT_GNU_BUILD_ID note */
	if (bn > 0 && bn <= CAP_TASK_BUILD_ID_MAX) {
		memcpy(t->build_id, bid, (size_t)bn);
		t->build_id_len = (int)bn;
	}
	for (int pass = 0; pass < 2 && !t->n; pass++) {
		Elf_Scn *scn = NULL;
		while ((scn = elf_nextscn(e, scn))) {
			GElf_Shdr sh;
			if (!gelf_getshdr(scn, &sh) || sh.sh_type != (pass ? SHT_DYNSYM : SHT_SYMTAB))
				continue;
			Elf_Data *data = elf_getdata(scn, NULL);
			size_t n = sh.sh_entsize ? sh.sh_size / sh.sh_entsize : 0;
			for (size_t i = 0; data && i < n; i++) {
				GElf_Sym sym;
				const char *nm;
				if (!gelf_getsym(data, (int)i, &sym) || GELF_ST_TYPE(sym.st_info) != STT_FUNC ||
				    !sym.st_value || !(nm = elf_strptr(e, sh.sh_link, sym.st_name)) || !*nm)
					continue;
				tab_add(t, sym.st_value, sym.st_size, nm);
			}
		}
	}
	elf_end(e);
	close(fd);
	if (!t->n) {
		snprintf(why, wl, "%s has no function symbols (stripped; a distribution's vmlinuz has no "
			 ".symtab: use --guest-kallsyms)", path);
		tab_free(t);
		return NULL;
	}
	tab_finish(t, 0x1000);
	return t;
}

int guest_syms_add_vmlinux(struct guest_syms *g, const char *arg, char *why, size_t wl)
{
	int d;
	const char *path;
	if (split_arg(arg, &d, &path, why, wl))
		return -1;
	struct gtab *t = elf_tab(path, why, wl);
	if (!t)
		return -1;
	free(t->dso);
	t->dso = xstrdup("[kernel.kallsyms]");
	set_kernel(g, d, t);
	return 0;
}

int guest_syms_add_root(struct guest_syms *g, const char *arg, char *why, size_t wl)
{
	int d;
	const char *path;
	struct stat st;
	if (split_arg(arg, &d, &path, why, wl))
		return -1;
	if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode)) {
		snprintf(why, wl, "%s: %s", path, errno && stat(path, &st) < 0 ? strerror(errno) : "not a directory");
		return -1;
	}
	free(g->root[d]);
	g->root[d] = xstrdup(path);
	return 0;
}

void guest_syms_set_anchor(struct guest_syms *g, int domain, uint64_t syscall_entry)
{
	if (domain > 0 && domain < CAP_MAX_DOMAINS)
		g->anchor[domain] = syscall_entry;
}

static const struct gtab *kernel_tab(const struct guest_syms *g, int d)
{
	if (d <= 0 || d >= CAP_MAX_DOMAINS)
		return NULL;
	return g->kernel[d] ? g->kernel[d] : g->kernel[0];
}

bool guest_syms_has_kernel(const struct guest_syms *g, int domain)
{
	return kernel_tab(g, domain) != NULL;
}

static const char *root_of(const struct guest_syms *g, int d)
{
	if (d <= 0 || d >= CAP_MAX_DOMAINS)
		return NULL;
	return g->root[d] ? g->root[d] : g->root[0];
}

bool guest_syms_has_root(const struct guest_syms *g, int domain)
{
	return root_of(g, domain) != NULL;
}

int guest_syms_slide(const struct guest_syms *g, int domain, int64_t *slide)
{
	const struct gtab *t = kernel_tab(g, domain);
	*slide = 0;
	if (!t || !t->syscall_entry || !g->anchor[domain])
		return 0;
	*slide = (int64_t)(g->anchor[domain] - t->syscall_entry);
	return 1;
}

int guest_syms_kernel(struct guest_syms *g, int domain, uint64_t ip, struct report_sym *out)
{
	const struct gtab *t = kernel_tab(g, domain);
	int64_t slide;
	if (!t)
		return 0;
	if (!guest_syms_slide(g, domain, &slide))
		note(g, "domain %d: kernel symbols taken unrelocated: %s", domain,
		     !t->syscall_entry ? "the symbol file has no entry_SYSCALL_64" :
					 "the capture has no IA32_LSTAR of it (the kernel never set it)");
	const struct gsym *s = tab_find(t, ip - (uint64_t)slide);
	snprintf(out->dso, sizeof(out->dso), "%s", t->dso);
	if (s) {
		snprintf(out->name, sizeof(out->name), "%s", s->name);
		out->symoff = ip - (uint64_t)slide - s->addr;
	}
	return 1;
}

static struct gtab *find_exe(struct guest_syms *g, int domain, const char *comm)
{
	for (size_t i = 0; i < g->nusers; i++)
		if (g->users[i].domain == domain && !strcmp(g->users[i].comm, comm))
			return g->users[i].tab;
	g->users = xrealloc(g->users, (g->nusers + 1) * sizeof(*g->users));
	struct guser *u = &g->users[g->nusers++];
	memset(u, 0, sizeof(*u));
	u->domain = domain;
	snprintf(u->comm, sizeof(u->comm), "%s", comm);
	const char *root = root_of(g, domain);
	static const char *const dirs[] = { "bin", "sbin", "usr/bin", "usr/sbin", "usr/local/bin", NULL };
	char why[512] = "";
	for (int i = 0; root && dirs[i] && !u->tab && !strchr(comm, '/') && *comm; i++) {
		char *p = xasprintf("%s/%s/%s", root, dirs[i], comm);
		if (access(p, R_OK) == 0)
			u->tab = elf_tab(p, why, sizeof(why));
		free(p);
	}
	if (!u->tab)
		note(g, "domain %d: no executable for '%s' under %s/{bin,sbin,usr/bin,usr/sbin,usr/local/bin}%s%s",
		     domain, comm, root ? root : "(no --guest-root)", why[0] ? ": " : "", why);
	return u->tab;
}

/* How far the executable t was moved in the task x (its load bias), after checking that t is the
 * file the task ran: the same GNU build-id where both have one, else the same entry point for a
 * fixed-address (ET_EXEC) file.  0 with a note when it is not (or a PIE's base is unknown). */
static int exe_bias(struct guest_syms *g, int domain, const struct gtab *t, const struct report_task_exe *x,
		    uint64_t *bias)
{
	*bias = 0;
	if (!x->has_exe) {
		if (t->pie)
			note(g, "domain %d: %s is position-independent and the capture has no load base for it "
				"(the kernel's BTF gave no mm_struct.saved_auxv): its addresses stay [unknown]",
			     domain, t->dso);
		return !t->pie;
	}
	if (x->build_id_len && t->build_id_len) {
		if (x->build_id_len != t->build_id_len || memcmp(x->build_id, t->build_id, (size_t)t->build_id_len)) {
			char a[2 * CAP_TASK_BUILD_ID_MAX + 1] = "", b[2 * CAP_TASK_BUILD_ID_MAX + 1] = "";
			str_append_hex(a, sizeof(a), t->build_id, (size_t)t->build_id_len);
			str_append_hex(b, sizeof(b), x->build_id, (size_t)x->build_id_len);
			note(g, "domain %d: %s under the guest root has build-id %s, but the guest ran %s: not the "
				"same file, its addresses stay [unknown]", domain, t->dso, a, b);
			return 0;
		}
	} else if (t->build_id_len) {
		note(g, "domain %d: %s: the guest's copy showed no build-id (its notes were not mapped), so "
			"the file is taken unchecked", domain, t->dso);
	}
	if (t->pie) {
		*bias = x->entry - t->entry;
		return 1;
	}
	if (x->entry != t->entry) {
		note(g, "domain %d: %s under the guest root has its entry point at 0x%llx, but the guest's "
			"at 0x%llx: not the same file, its addresses stay [unknown]", domain, t->dso,
		     (unsigned long long)t->entry, (unsigned long long)x->entry);
		return 0;
	}
	return 1;
}

void guest_syms_user(struct guest_syms *g, int domain, const struct report_task_exe *x, uint64_t ip,
		     struct report_sym *out)
{
	if (!root_of(g, domain))
		return;
	struct gtab *t = find_exe(g, domain, x->comm);
	uint64_t bias;
	if (!t)
		return;
	snprintf(out->dso, sizeof(out->dso), "%s", t->dso);
	if (!exe_bias(g, domain, t, x, &bias))
		return;
	const struct gsym *s = tab_find(t, ip - bias);
	if (s) {
		snprintf(out->name, sizeof(out->name), "%s", s->name);
		out->symoff = ip - bias - s->addr;
	}
}

const char *const *guest_syms_notes(const struct guest_syms *g)
{
	return (const char *const *)g->notes;
}
