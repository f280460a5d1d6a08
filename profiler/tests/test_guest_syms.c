/* A Linux guest's user-space symbols (profiler/guest_syms.c): the executable found for a task's
 * comm under --guest-root is checked against what the hypervisor read of the task (GNU build-id,
 * entry point: CAP_TASK_EXE), and a PIE's addresses are moved back by its load bias.  The two
 * executables are built for the test from symtest.c (profiler.mk): a fixed-address one and a
 * position-independent one. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "guest_syms.h"

#ifndef SYMTEST_ELF
#define SYMTEST_ELF "build/profiler/tests/symtest.elf"
#endif
#ifndef SYMTEST_PIE_ELF
#define SYMTEST_PIE_ELF "build/profiler/tests/symtest-pie.elf"
#endif

struct exe_facts {
	uint64_t entry, leaf;          /* e_entry, symtest_leaf's st_value */
	uint8_t build_id[32];
	int build_id_len;
};

/* What the file says, read with libelf here (independently of guest_syms.c's libdw). */
static struct exe_facts facts_of(const char *path)
{
	struct exe_facts f = { 0 };
	int fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	elf_version(EV_CURRENT);
	Elf *elf = elf_begin(fd, ELF_C_READ, NULL);
	GElf_Ehdr eh;
	assert_non_null(gelf_getehdr(elf, &eh));
	f.entry = eh.e_entry;
	size_t shstr;
	assert_int_equal(elf_getshdrstrndx(elf, &shstr), 0);
	Elf_Scn *scn = NULL;
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		gelf_getshdr(scn, &sh);
		Elf_Data *d = elf_getdata(scn, NULL);
		const char *name = elf_strptr(elf, shstr, sh.sh_name);
		if (sh.sh_type == SHT_SYMTAB) {
			for (size_t i = 0; i < sh.sh_size / sh.sh_entsize; i++) {
				GElf_Sym s;
				gelf_getsym(d, (int)i, &s);
				if (!strcmp(elf_strptr(elf, sh.sh_link, s.st_name), "symtest_leaf"))
					f.leaf = s.st_value;
			}
		} else if (name && !strcmp(name, ".note.gnu.build-id") && d->d_size > 16) {
			f.build_id_len = (int)(d->d_size - 16);   /* Elf64_Nhdr (12) + "GNU\0" */
			memcpy(f.build_id, (const uint8_t *)d->d_buf + 16, (size_t)f.build_id_len);
		}
	}
	elf_end(elf);
	close(fd);
	assert_true(f.leaf && f.build_id_len == 20);
	return f;
}

static char root[64];

static void copy(const char *from, const char *to)
{
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", from, to);
	assert_int_equal(system(cmd), 0);
}

static int setup(void **state)
{
	(void)state;
	if (access(SYMTEST_ELF, R_OK) || access(SYMTEST_PIE_ELF, R_OK)) {
		fprintf(stderr, "test_guest_syms: %s or %s was not built\n", SYMTEST_ELF, SYMTEST_PIE_ELF);
		return -1;
	}
	snprintf(root, sizeof(root), "/tmp/pv-guest-root.XXXXXX");
	assert_non_null(mkdtemp(root));
	char p[128];
	snprintf(p, sizeof(p), "%s/bin", root);
	assert_int_equal(mkdir(p, 0755), 0);
	snprintf(p, sizeof(p), "%s/bin/fixed", root);
	copy(SYMTEST_ELF, p);
	snprintf(p, sizeof(p), "%s/bin/pie", root);
	copy(SYMTEST_PIE_ELF, p);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	return system(cmd);
}

static struct guest_syms *with_root(void)
{
	struct guest_syms *g = guest_syms_new();
	char why[256];
	assert_int_equal(guest_syms_add_root(g, root, why, sizeof(why)), 0);
	return g;
}

static struct report_sym resolve(struct guest_syms *g, const struct report_task_exe *x, uint64_t ip)
{
	struct report_sym s;
	memset(&s, 0, sizeof(s));
	guest_syms_user(g, 1, x, ip, &s);
	return s;
}

static int notes_mention(const struct guest_syms *g, const char *what)
{
	for (const char *const *n = guest_syms_notes(g); *n; n++)
		if (strstr(*n, what))
			return 1;
	return 0;
}

/* A fixed-address executable: resolved as it is when the build-id and entry agree, or when the
 * capture has no executable (an older one); refused, with a note, when either disagrees. */
static void fixed_address_executable_is_checked(void **state)
{
	(void)state;
	struct exe_facts f = facts_of(SYMTEST_ELF);
	struct guest_syms *g = with_root();
	struct report_task_exe x = { .comm = "fixed", .has_exe = true, .entry = f.entry, .build_id = f.build_id,
				     .build_id_len = f.build_id_len };
	struct report_sym s = resolve(g, &x, f.leaf + 3);
	assert_string_equal(s.name, "symtest_leaf");
	assert_int_equal(s.symoff, 3);
	assert_string_equal(s.dso, "fixed");
	x.has_exe = false;
	assert_string_equal(resolve(g, &x, f.leaf).name, "symtest_leaf");
	assert_null(guest_syms_notes(g)[0]);
	guest_syms_free(g);

	g = with_root();
	uint8_t other[20];
	memcpy(other, f.build_id, 20);
	other[19] ^= 1;
	x = (struct report_task_exe){ .comm = "fixed", .has_exe = true, .entry = f.entry, .build_id = other,
				      .build_id_len = 20 };
	s = resolve(g, &x, f.leaf);
	assert_string_equal(s.name, "");
	assert_string_equal(s.dso, "fixed");              /* the file is named, its symbols are not used */
	assert_true(notes_mention(g, "has build-id"));
	assert_true(notes_mention(g, "not the same file"));
	guest_syms_free(g);

	g = with_root();   /* no build-id in the guest's copy: the entry point is what is checked */
	x = (struct report_task_exe){ .comm = "fixed", .has_exe = true, .entry = f.entry + 0x10 };
	assert_string_equal(resolve(g, &x, f.leaf).name, "");
	assert_true(notes_mention(g, "entry point"));
	x.entry = f.entry;
	assert_string_equal(resolve(g, &x, f.leaf).name, "symtest_leaf");
	assert_true(notes_mention(g, "taken unchecked"));
	guest_syms_free(g);
}

/* A PIE: its addresses are the file's plus the load bias, AT_ENTRY - e_entry. */
static void pie_is_moved_by_its_load_bias(void **state)
{
	(void)state;
	struct exe_facts f = facts_of(SYMTEST_PIE_ELF);
	uint64_t base = 0x5555d2a41000ull;
	struct guest_syms *g = with_root();
	struct report_task_exe x = { .comm = "pie", .has_exe = true, .entry = base + f.entry, .build_id = f.build_id,
				     .build_id_len = f.build_id_len };
	struct report_sym s = resolve(g, &x, base + f.leaf + 5);
	assert_string_equal(s.name, "symtest_leaf");
	assert_int_equal(s.symoff, 5);
	assert_string_equal(resolve(g, &x, f.leaf + 5).name, "");   /* the unmoved address is nothing */
	x.entry = 0x7f0000000000ull + f.entry;                        /* another run, another base */
	assert_string_equal(resolve(g, &x, 0x7f0000000000ull + f.leaf).name, "symtest_leaf");
	assert_null(guest_syms_notes(g)[0]);
	x.has_exe = false;                                            /* no load base: nothing resolved */
	assert_string_equal(resolve(g, &x, base + f.leaf).name, "");
	assert_true(notes_mention(g, "position-independent"));
	guest_syms_free(g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(fixed_address_executable_is_checked),
		cmocka_unit_test(pie_is_moved_by_its_load_bias),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
