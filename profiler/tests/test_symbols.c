/* perfvisor report's symbols: libdwfl lookups in a small -g ELF built for the test
 * (build/profiler/tests/symtest.elf from symtest.c), image-id checks (build-id, CRC-32). */
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
#include <unistd.h>
#include <zlib.h>

#include <cmocka.h>

#include "symbols.h"

#ifndef SYMTEST_ELF
#define SYMTEST_ELF "build/profiler/tests/symtest.elf"
#endif

/* The address of a symbol, read with libelf (independently of symbols.c). */
static uint64_t symbol_address(const char *name)
{
	int fd = open(SYMTEST_ELF, O_RDONLY);
	assert_true(fd >= 0);
	elf_version(EV_CURRENT);
	Elf *elf = elf_begin(fd, ELF_C_READ, NULL);
	uint64_t addr = 0;
	Elf_Scn *scn = NULL;
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		gelf_getshdr(scn, &sh);
		if (sh.sh_type != SHT_SYMTAB)
			continue;
		Elf_Data *d = elf_getdata(scn, NULL);
		for (size_t i = 0; i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Sym s;
			gelf_getsym(d, (int)i, &s);
			if (!strcmp(elf_strptr(elf, sh.sh_link, s.st_name), name))
				addr = s.st_value;
		}
	}
	elf_end(elf);
	close(fd);
	return addr;
}

/* The line of the source that carries the marker comment. */
static int marker_line(void)
{
	FILE *f = fopen("profiler/tests/symtest.c", "r");
	char buf[256];
	int n = 0;
	while (f && fgets(buf, sizeof(buf), f)) {
		n++;
		if (strstr(buf, "/* SYMTEST_LEAF_LINE */"))
			break;
	}
	if (f)
		fclose(f);
	return n;
}

static int have_elf(void **state)
{
	(void)state;
	if (access(SYMTEST_ELF, R_OK) != 0) {
		print_message("skipped: %s is missing (built by 'make cli-unit-test'; needs a host gcc that links "
			      "-static -nostdlib)\n", SYMTEST_ELF);
		return -1;
	}
	return 0;
}

static void resolves_function_names_and_lines(void **state)
{
	(void)state;
	if (access(SYMTEST_ELF, R_OK) != 0)
		skip();
	struct symbols *s = symbols_new();
	char warn[512] = "";
	assert_int_equal(symbols_load(s, 1, "t", SYMTEST_ELF, CAP_IMAGE_ID_BUILD_ID, NULL, 0, warn, sizeof(warn)), 0);
	uint64_t leaf = symbol_address("symtest_leaf"), entry = symbol_address("symtest_entry");
	assert_true(leaf && entry);

	struct report_sym out;
	memset(&out, 0, sizeof(out));
	symbols_resolve(s, NULL, 1, leaf, &out);
	assert_string_equal(out.name, "symtest_leaf");
	assert_string_equal(out.dso, "symtest.elf");
	memset(&out, 0, sizeof(out));
	symbols_resolve(s, NULL, 1, entry + 4, &out);
	assert_string_equal(out.name, "symtest_entry");
	assert_non_null(strstr(out.srcline, "symtest.c:"));

	/* Some address inside the leaf maps to the marker line. */
	char want[64];
	snprintf(want, sizeof(want), "symtest.c:%d", marker_line());
	bool found = false;
	for (uint64_t a = leaf; a < entry && !found; a++) {
		memset(&out, 0, sizeof(out));
		symbols_resolve(s, NULL, 1, a, &out);
		found = !strcmp(out.srcline, want);
	}
	assert_true(found);

	/* Outside the image, and a domain without one: unknown. */
	memset(&out, 0, sizeof(out));
	symbols_resolve(s, NULL, 1, 0x10, &out);
	assert_string_equal(out.name, "");
	memset(&out, 0, sizeof(out));
	symbols_resolve(s, NULL, 2, leaf, &out);
	assert_string_equal(out.name, "");
	symbols_free(s);
}

static void build_id_must_match_the_capture(void **state)
{
	(void)state;
	if (access(SYMTEST_ELF, R_OK) != 0)
		skip();
	uint8_t id[64];
	int len = symbols_image_id(SYMTEST_ELF, CAP_IMAGE_ID_BUILD_ID, id, sizeof(id));
	assert_int_equal(len, 20); /* linked with --build-id=sha1 */
	struct symbols *s = symbols_new();
	char warn[512] = "";
	assert_int_equal(symbols_load(s, 3, "t", SYMTEST_ELF, CAP_IMAGE_ID_BUILD_ID, id, len, warn, sizeof(warn)), 0);
	id[0] ^= 1;
	assert_int_equal(symbols_load(s, 4, "hello", SYMTEST_ELF, CAP_IMAGE_ID_BUILD_ID, id, len, warn, sizeof(warn)),
			 -1);
	assert_non_null(strstr(warn, "domain 4 (hello): image " SYMTEST_ELF " has build-id "));
	assert_non_null(strstr(warn, ", the capture says "));
	assert_non_null(strstr(warn, "; use --symbols 4=PATH"));
	struct report_sym out;
	memset(&out, 0, sizeof(out));
	symbols_resolve(s, NULL, 4, symbol_address("symtest_leaf"), &out);
	assert_string_equal(out.name, ""); /* raw addresses after a mismatch */
	symbols_free(s);
}

static void crc32_ids_cover_the_whole_file(void **state)
{
	(void)state;
	if (access(SYMTEST_ELF, R_OK) != 0)
		skip();
	FILE *f = fopen(SYMTEST_ELF, "rb");
	assert_non_null(f);
	static unsigned char buf[1 << 20];
	size_t n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	uint32_t crc = (uint32_t)crc32(0, buf, (uInt)n);
	uint8_t id[4];
	assert_int_equal(symbols_image_id(SYMTEST_ELF, CAP_IMAGE_ID_CRC32, id, sizeof(id)), 4);
	assert_int_equal(id[0] | id[1] << 8 | id[2] << 16 | (uint32_t)id[3] << 24, crc);
	char text[64];
	symbols_id_text(CAP_IMAGE_ID_CRC32, id, 4, text, sizeof(text));
	char want[32];
	snprintf(want, sizeof(want), "crc32 %08x", crc);
	assert_string_equal(text, want);
	struct symbols *s = symbols_new();
	char warn[512];
	assert_int_equal(symbols_load(s, 1, "t", SYMTEST_ELF, CAP_IMAGE_ID_CRC32, id, 4, warn, sizeof(warn)), 0);
	symbols_free(s);
}

static void missing_image_is_a_warning(void **state)
{
	(void)state;
	struct symbols *s = symbols_new();
	char warn[512] = "";
	assert_int_equal(symbols_load(s, 2, "x", "/nonexistent/g.elf", CAP_IMAGE_ID_BUILD_ID, NULL, 0, warn,
				      sizeof(warn)), -1);
	assert_non_null(strstr(warn, "domain 2 (x): cannot read image /nonexistent/g.elf: No such file or directory"));
	assert_non_null(strstr(warn, "--symbols 2=PATH"));
	struct report_sym out;
	memset(&out, 0, sizeof(out));
	symbols_resolve(s, NULL, 2, 0x1000, &out);
	assert_string_equal(out.name, "");
	assert_string_equal(out.dso, "g.elf");
	symbols_free(s);
}

/* C++ (Itanium ABI), Rust legacy and Rust v0 names, through libiberty; C names untouched. */
static void mangled_names_are_demangled(void **state)
{
	(void)state;
	char out[256] = "untouched";
	assert_int_equal(symbols_demangle("main", out, sizeof(out)), 0);
	assert_string_equal(out, "untouched");
	assert_int_equal(symbols_demangle("_ZN3foo3barEv", out, sizeof(out)), 1);
	assert_string_equal(out, "foo::bar()");
	assert_int_equal(symbols_demangle("_ZNSt6vectorIiSaIiEE9push_backERKi", out, sizeof(out)), 1);
	assert_string_equal(out, "std::vector<int, std::allocator<int> >::push_back(int const&)");
	assert_int_equal(symbols_demangle("_ZN5crate4func17h0123456789abcdefE", out, sizeof(out)), 1);
	assert_string_equal(out, "crate::func");
	assert_int_equal(symbols_demangle("_RNvNtCs9ltgdHTiPiY_4core3ptr13drop_in_place", out, sizeof(out)), 1);
	assert_string_equal(out, "core::ptr::drop_in_place");
	assert_int_equal(symbols_demangle("_Zgarbage", out, sizeof(out)), 0);
	char small[8];
	assert_int_equal(symbols_demangle("_ZN3foo3barEv", small, sizeof(small)), 1); /* truncated */
	assert_string_equal(small, "foo::ba");
}

/* A stripped image loads as no symbols: a warning naming the --symbols fix. */
static void stripped_image_is_a_warning(void **state)
{
	(void)state;
	if (have_elf(NULL))
		skip();
	char path[] = "/tmp/pv-stripped-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "strip -o %s %s", path, SYMTEST_ELF);
	if (system(cmd) != 0) {
		print_message("skipped: '%s' failed (binutils' strip)\n", cmd);
		unlink(path);
		skip();
	}
	struct symbols *s = symbols_new();
	char warn[512];
	assert_int_equal(symbols_load(s, 3, "g", path, CAP_IMAGE_ID_BUILD_ID, NULL, 0, warn, sizeof(warn)), -1);
	assert_non_null(strstr(warn, "no symbol table"));
	assert_non_null(strstr(warn, "--symbols 3=PATH"));
	symbols_free(s);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(resolves_function_names_and_lines),
		cmocka_unit_test(build_id_must_match_the_capture),
		cmocka_unit_test(crc32_ids_cover_the_whole_file),
		cmocka_unit_test(missing_image_is_a_warning),
		cmocka_unit_test(mangled_names_are_demangled),
		cmocka_unit_test(stripped_image_is_a_warning),
	};
	have_elf(NULL);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
