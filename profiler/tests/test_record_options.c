/* perfvisor record: options and the hypervisor command line they become. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "builtin.h"
#include "emulator.h"
#include "record.h"

static void defaults_are_perf_like(void **state)
{
	(void)state;
	char *argv[] = { "record", "--", "g.elf", NULL };
	struct record_opts o;
	assert_int_equal(record_parse_options(3, argv, &o), -1);
	assert_string_equal(argv[optind], "g.elf");
	assert_string_equal(o.output, "perfvisor.data");
	char *hv = record_hv_args(&o);
	assert_string_equal(hv, "prof=1 event=cycles period=1000000 callchain=0");
	free(hv);
}

static void record_and_run_options_mix(void **state)
{
	(void)state;
	char *argv[] = { "record", "-e", "instructions", "-c", "5000", "-g", "--jitter", "10", "--ring", "64",
			 "-o", "x.data", "--emulator", "qemu", "--timeout", "9", "--", "a.elf:mem=4", "b.elf", NULL };
	struct record_opts o;
	assert_int_equal(record_parse_options(19, argv, &o), -1);
	assert_int_equal(o.run.emulator, EMU_QEMU);
	assert_int_equal(o.run.timeout_s, 9);
	assert_string_equal(o.output, "x.data");
	assert_int_equal(19 - optind, 2);
	char *hv = record_hv_args(&o);
	assert_string_equal(hv, "prof=1 event=instructions period=5000 jitter=500 callchain=16 ring=64");
	free(hv);
}

static void freq_replaces_the_period(void **state)
{
	(void)state;
	char *argv[] = { "record", "-F", "999", "g.elf", NULL };
	struct record_opts o;
	assert_int_equal(record_parse_options(4, argv, &o), -1);
	char *hv = record_hv_args(&o);
	assert_string_equal(hv, "prof=1 event=cycles freq=999 callchain=0");
	free(hv);
}

static void bad_options_are_usage_errors(void **state)
{
	(void)state;
	struct record_opts o;
	char *a1[] = { "record", "-e", "cache-misses", "g.elf", NULL };
	assert_int_equal(record_parse_options(4, a1, &o), EXIT_USAGE);
	char *a2[] = { "record", "-c", "0", "g.elf", NULL };
	assert_int_equal(record_parse_options(4, a2, &o), EXIT_USAGE);
	char *a3[] = { "record", "-F", "100", "--jitter", "5", "g.elf", NULL };
	assert_int_equal(record_parse_options(6, a3, &o), EXIT_USAGE);
	char *a4[] = { "record", "--native", "g.elf", NULL };
	assert_int_equal(record_parse_options(3, a4, &o), EXIT_USAGE);
	char *a5[] = { "record", "--emulator", "vbox", "g.elf", NULL };
	assert_int_equal(record_parse_options(4, a5, &o), EXIT_USAGE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(defaults_are_perf_like),
		cmocka_unit_test(record_and_run_options_mix),
		cmocka_unit_test(freq_replaces_the_period),
		cmocka_unit_test(bad_options_are_usage_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
