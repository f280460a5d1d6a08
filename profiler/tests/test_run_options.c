/* perfvisor run: option parsing and the emulated machine's memory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "builtin-run.h"
#include "builtin.h"
#include "emulator.h"

static void options_before_and_after_guests_are_read(void **state)
{
	(void)state;
	char *argv[] = { "run", "--emulator", "qemu", "a.elf:mem=3", "--timeout", "5", "--keep", "--log", "c.txt",
			 "--megs", "100", "--hv-cmdline", "slice=7", "--image", "p.elf", "b.elf", NULL };
	struct run_opts o;
	assert_int_equal(run_parse_options(16, argv, &o), -1);
	assert_int_equal(o.emulator, EMU_QEMU);
	assert_int_equal(o.timeout_s, 5);
	assert_true(o.keep);
	assert_false(o.native);
	assert_string_equal(o.log, "c.txt");
	assert_int_equal(o.megs, 100);
	assert_string_equal(o.hv_cmdline, "slice=7");
	assert_string_equal(o.image, "p.elf");
	assert_int_equal(16 - optind, 2); /* getopt moved the guests to the end */
	assert_string_equal(argv[optind], "a.elf:mem=3");
	assert_string_equal(argv[optind + 1], "b.elf");
}

static void defaults(void **state)
{
	(void)state;
	char *argv[] = { "run", "--native", "g.elf", NULL };
	struct run_opts o;
	assert_int_equal(run_parse_options(3, argv, &o), -1);
	assert_int_equal(o.emulator, -1);
	assert_int_equal(o.timeout_s, DEFAULT_TIMEOUT_S);
	assert_true(o.native);
	assert_int_equal(o.megs, 0);
	assert_null(o.log);
}

static void bad_values_are_usage_errors(void **state)
{
	(void)state;
	char *bad[][3] = {
		{ "run", "--emulator", "vbox" }, { "run", "--timeout", "-1" }, { "run", "--timeout", "5s" },
		{ "run", "--megs", "2" },        { "run", "--megs", "" },      { "run", "--bogus", "x" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *argv[] = { bad[i][0], bad[i][1], bad[i][2], NULL };
		struct run_opts o;
		assert_int_equal(run_parse_options(3, argv, &o), EXIT_USAGE);
	}
}

static void guests_memory_raises_megs(void **state)
{
	(void)state;
	struct guest_spec g[2] = { { .mem_mib = 200 }, { .mem_mib = 16 } };
	struct boot_spec bs = { .guests = g, .nguests = 2 };
	struct run_opts o = { .megs = 0 };
	assert_int_equal(run_choose_megs(&o, &bs), 200 + 16 + HV_RESERVED_MEGS);
	g[0].mem_mib = 16;
	assert_int_equal(run_choose_megs(&o, &bs), DEFAULT_MEGS);
	o.megs = 512;
	assert_int_equal(run_choose_megs(&o, &bs), 512);
	o.megs = 64;
	assert_int_equal(run_choose_megs(&o, &bs), 16 + 16 + HV_RESERVED_MEGS);
	bs.native = true; /* no hypervisor, no module memory */
	assert_int_equal(run_choose_megs(&o, &bs), 64);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(options_before_and_after_guests_are_read),
		cmocka_unit_test(defaults),
		cmocka_unit_test(bad_values_are_usage_errors),
		cmocka_unit_test(guests_memory_raises_megs),
	};
	return cmocka_run_group_tests_name("run options", tests, NULL, NULL);
}
