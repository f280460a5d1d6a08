/* GUEST.elf[:ARGS] parsing, domain names and their de-duplication. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "guest.h"

static void parse_path_only_defaults_mem_and_has_no_name(void **state)
{
	(void)state;
	struct guest_spec g;
	const char *err = NULL;
	assert_int_equal(guest_parse("build/k.elf", &g, &err), 0);
	assert_string_equal(g.path, "build/k.elf");
	assert_string_equal(g.user_args, "");
	assert_int_equal(g.mem_mib, GUEST_DEFAULT_MEM_MIB);
	assert_false(g.explicit_name);
	guest_free(&g);
}

static void args_are_everything_after_the_first_colon(void **state)
{
	(void)state;
	struct guest_spec g;
	const char *err = NULL;
	assert_int_equal(guest_parse("k.elf: mem=32 url=http://x:80  ", &g, &err), 0);
	assert_string_equal(g.path, "k.elf");
	assert_string_equal(g.user_args, "mem=32 url=http://x:80");
	assert_int_equal(g.mem_mib, 32);
	guest_free(&g);
}

static void name_token_is_explicit(void **state)
{
	(void)state;
	struct guest_spec g;
	const char *err = NULL;
	assert_int_equal(guest_parse("k.elf:mode=spin name=web", &g, &err), 0);
	assert_true(g.explicit_name);
	assert_string_equal(g.name, "web");
	guests_assign_names(&g, 1);
	assert_string_equal(g.args, "mode=spin name=web"); /* left as given */
	guest_free(&g);
}

static void bad_specs_are_rejected(void **state)
{
	(void)state;
	static const char *bad[] = { "", ":mem=3", "k.elf:mem=abc", "k.elf:mem=0", "k.elf:mem=", "k.elf:name=" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct guest_spec g;
		const char *err = NULL;
		assert_int_equal(guest_parse(bad[i], &g, &err), -1);
		assert_non_null(err);
	}
}

static void default_name_is_basename_without_elf(void **state)
{
	(void)state;
	const char *cases[][2] = {
		{ "/a/b/hello.elf", "hello" }, { "hello", "hello" }, { "x.bin", "x.bin" },
		{ "dir/.elf", "guest" },       { "a.elf.elf", "a.elf" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *n = guest_default_name(cases[i][0]);
		assert_string_equal(n, cases[i][1]);
		free(n);
	}
}

static void parse_all(struct guest_spec *g, const char **args, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const char *err;
		assert_int_equal(guest_parse(args[i], &g[i], &err), 0);
	}
	guests_assign_names(g, n);
}

static void free_all(struct guest_spec *g, size_t n)
{
	for (size_t i = 0; i < n; i++)
		guest_free(&g[i]);
}

static void same_file_twice_gets_k_and_k_2(void **state)
{
	(void)state;
	const char *args[] = { "k.elf", "d/k.elf:mem=32", "k.elf" };
	struct guest_spec g[3];
	parse_all(g, args, 3);
	assert_string_equal(g[0].name, "k");
	assert_string_equal(g[1].name, "k-2");
	assert_string_equal(g[2].name, "k-3");
	assert_string_equal(g[0].args, "name=k");
	assert_string_equal(g[1].args, "name=k-2 mem=32");
	assert_string_equal(g[2].args, "name=k-3");
	free_all(g, 3);
}

static void derived_names_avoid_explicit_ones(void **state)
{
	(void)state;
	const char *args[] = { "k.elf", "other.elf:name=k", "k-2.elf" };
	struct guest_spec g[3];
	parse_all(g, args, 3);
	assert_string_equal(g[1].name, "k");   /* explicit: kept */
	assert_string_equal(g[0].name, "k-2"); /* k is taken */
	assert_string_equal(g[2].name, "k-2-2");
	free_all(g, 3);
}

static void total_mem_sums_mem_tokens_and_defaults(void **state)
{
	(void)state;
	const char *args[] = { "a.elf:mem=100", "b.elf", "c.elf:mem=2" };
	struct guest_spec g[3];
	parse_all(g, args, 3);
	assert_int_equal(guests_total_mem(g, 3), 100 + GUEST_DEFAULT_MEM_MIB + 2);
	free_all(g, 3);
}

static void cmdline_get_matches_whole_keys(void **state)
{
	(void)state;
	char *v = cmdline_get("xname=a  name=b name=c", "name");
	assert_string_equal(v, "b");
	free(v);
	assert_null(cmdline_get("names=a", "name"));
	assert_null(cmdline_get("", "name"));
}

/* module=PATH is the CLI's (repeatable, in order): it leaves the module command line, and the
 * keys perfvisor reads are not in the native command line either. */
static void module_tokens_are_collected_and_removed(void **state)
{
	(void)state;
	struct guest_spec g;
	const char *err = NULL;
	assert_int_equal(guest_parse("k.elf:module=a/x.bin iters=3 module=y mem=8 name=n vpmu=off "
				     "budget=9 modules=keep", &g, &err), 0);
	assert_int_equal(g.nmodules, 2);
	assert_string_equal(g.modules[0], "a/x.bin");
	assert_string_equal(g.modules[1], "y");
	assert_string_equal(g.user_args, "iters=3 mem=8 name=n vpmu=off budget=9 modules=keep");
	char *native = guest_native_args(&g);
	assert_string_equal(native, "iters=3 modules=keep");
	free(native);
	char *str = guest_module_string(g.modules[0]);
	assert_string_equal(str, "x.bin");
	free(str);
	guest_free(&g);
	assert_int_equal(guest_parse("k.elf:module=", &g, &err), -1);
	assert_string_equal(err, "module= needs a file name");
}

/* initrd=PATH is the CLI's too: at most one, never in the guest's command line. */
static void initrd_token_is_collected_and_removed(void **state)
{
	(void)state;
	struct guest_spec g;
	const char *err = NULL;
	assert_int_equal(guest_parse("bzImage:console=ttyS0 initrd=d/rd.img initrds=keep module=m",
				     &g, &err), 0);
	assert_string_equal(g.initrd, "d/rd.img");
	assert_int_equal(g.nmodules, 1);
	assert_string_equal(g.user_args, "console=ttyS0 initrds=keep");
	char *native = guest_native_args(&g);
	assert_string_equal(native, "console=ttyS0 initrds=keep");
	free(native);
	guest_free(&g);
	assert_int_equal(guest_parse("k.elf", &g, &err), 0);
	assert_null(g.initrd);
	guest_free(&g);
	assert_int_equal(guest_parse("k.elf:initrd=", &g, &err), -1);
	assert_string_equal(err, "initrd= needs a file name");
	assert_int_equal(guest_parse("k.elf:initrd=a initrd=b", &g, &err), -1);
	assert_string_equal(err, "at most one initrd= per guest");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parse_path_only_defaults_mem_and_has_no_name),
		cmocka_unit_test(args_are_everything_after_the_first_colon),
		cmocka_unit_test(name_token_is_explicit),
		cmocka_unit_test(bad_specs_are_rejected),
		cmocka_unit_test(module_tokens_are_collected_and_removed),
		cmocka_unit_test(initrd_token_is_collected_and_removed),
		cmocka_unit_test(default_name_is_basename_without_elf),
		cmocka_unit_test(same_file_twice_gets_k_and_k_2),
		cmocka_unit_test(derived_names_avoid_explicit_ones),
		cmocka_unit_test(total_mem_sums_mem_tokens_and_defaults),
		cmocka_unit_test(cmdline_get_matches_whole_keys),
	};
	return cmocka_run_group_tests_name("guest specs", tests, NULL, NULL);
}
