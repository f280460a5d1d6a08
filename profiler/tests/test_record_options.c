/* perfvisor record: options and the hypervisor command line they become. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sys/stat.h>

#include "../include/perfvisor/limits.h"

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
	char *argv[] = { "record", "-e", "ref-cycles", "-c", "5000", "-g", "--jitter", "10", "--ring", "64",
			 "-o", "x.data", "--emulator", "qemu", "--timeout", "9", "--", "a.elf:mem=4", "b.elf", NULL };
	struct record_opts o;
	assert_int_equal(record_parse_options(19, argv, &o), -1);
	assert_int_equal(o.run.emulator, EMU_QEMU);
	assert_int_equal(o.run.timeout_s, 9);
	assert_string_equal(o.output, "x.data");
	assert_int_equal(19 - optind, 2);
	char *hv = record_hv_args(&o);
	assert_string_equal(hv, "prof=1 event=ref-cycles period=5000 jitter=500 callchain=16 ring=64");
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

/* Usage errors caught by the parser, before anything boots. */
static void conflicts_and_bounds_are_usage_errors(void **state)
{
	(void)state;
	struct record_opts o;
	char *a1[] = { "record", "-c", "5000", "-F", "100", "g.elf", NULL }; /* two rates */
	assert_int_equal(record_parse_options(6, a1, &o), EXIT_USAGE);
	char *a2[] = { "record", "-F", "100", "-c", "5000", "g.elf", NULL };
	assert_int_equal(record_parse_options(6, a2, &o), EXIT_USAGE);
	char *a3[] = { "record", "-c", "999", "g.elf", NULL };          /* PV_MIN_PERIOD - 1 */
	assert_int_equal(record_parse_options(4, a3, &o), EXIT_USAGE);
	char *a4[] = { "record", "-c", "1000", "g.elf", NULL };         /* PV_MIN_PERIOD */
	assert_int_equal(record_parse_options(4, a4, &o), -1);
	char *a5[] = { "record", "-c", "281474976710657", "g.elf", NULL }; /* PV_MAX_PERIOD + 1 */
	assert_int_equal(record_parse_options(4, a5, &o), EXIT_USAGE);
	char *a6[] = { "record", "-c", "281474976710656", "g.elf", NULL }; /* PV_MAX_PERIOD */
	assert_int_equal(record_parse_options(4, a6, &o), -1);
	assert_int_equal(o.period, PV_MAX_PERIOD);
	char *a7[] = { "record", "-e", "instructions", "--jitter", "5", "g.elf", NULL }; /* jitter: software */
	assert_int_equal(record_parse_options(6, a7, &o), EXIT_USAGE);
	char *a8[] = { "record", "--ring", "1048577", "g.elf", NULL };  /* PV_MAX_RING + 1 */
	assert_int_equal(record_parse_options(4, a8, &o), EXIT_USAGE);
	char *a9[] = { "record", "-F", "0", "g.elf", NULL };
	assert_int_equal(record_parse_options(4, a9, &o), EXIT_USAGE);
	char *a10[] = { "record", "-c", "2000", "--jitter", "60", "g.elf", NULL }; /* periods below 1000 */
	assert_int_equal(record_parse_options(6, a10, &o), EXIT_USAGE);
}

static void quiet_and_progress(void **state)
{
	(void)state;
	struct record_opts o;
	char *a[] = { "record", "-q", "--progress", "g.elf", NULL };
	assert_int_equal(record_parse_options(4, a, &o), -1);
	assert_true(o.run.quiet);
	assert_true(o.progress);
	assert_int_equal(o.run.timeout_s, 0); /* no default timeout */
}

static void the_backend_decides_the_events(void **state)
{
	(void)state;
	struct record_opts o;
	char why[512];
	char *a[] = { "record", "-e", "instructions", "g.elf", NULL };
	assert_int_equal(record_parse_options(4, a, &o), -1);
	assert_int_equal(record_check_backend(&o, EMU_BOCHS, false, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "-e cycles"));
	assert_int_equal(record_check_backend(&o, EMU_QEMU, false, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "QEMU without KVM"));
	assert_int_equal(record_check_backend(&o, EMU_QEMU, true, why, sizeof(why)), 0);
	o.event = "ref-cycles";
	assert_int_equal(record_check_backend(&o, EMU_BOCHS, false, why, sizeof(why)), 0);
	/* -F under Bochs: the TSC runs at EMU_BOCHS_IPS Hz, a period is at least PV_MIN_PERIOD */
	o.event = "cycles";
	o.freq = RECORD_BOCHS_MAX_FREQ;
	assert_int_equal(o.freq, 49500);
	assert_int_equal(record_check_backend(&o, EMU_BOCHS, false, why, sizeof(why)), 0);
	o.freq++;
	assert_int_equal(record_check_backend(&o, EMU_BOCHS, false, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "-F 49500 or less"));
	assert_int_equal(record_check_backend(&o, EMU_QEMU, true, why, sizeof(why)), 0);
}

static void the_output_must_be_writable(void **state)
{
	(void)state;
	char why[512];
	char dir[] = "/tmp/pv-rec-out-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char path[600];
	snprintf(path, sizeof(path), "%s/x.data", dir);
	assert_int_equal(record_check_output(path, why, sizeof(why)), 0);
	assert_int_equal(record_check_output(dir, why, sizeof(why)), -1); /* a directory */
	assert_non_null(strstr(why, "is a directory"));
	snprintf(path, sizeof(path), "%s/missing/x.data", dir);
	assert_int_equal(record_check_output(path, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "mkdir -p"));
	snprintf(path, sizeof(path), "%s/fifo", dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(record_check_output(path, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "not a regular file"));
	unlink(path);
	assert_int_equal(record_check_output("", why, sizeof(why)), -1);
	if (geteuid() != 0) { /* root writes anywhere */
		chmod(dir, 0500);
		snprintf(path, sizeof(path), "%s/x.data", dir);
		assert_int_equal(record_check_output(path, why, sizeof(why)), -1);
		assert_non_null(strstr(why, "cannot create files"));
		chmod(dir, 0700);
	}
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(defaults_are_perf_like),
		cmocka_unit_test(record_and_run_options_mix),
		cmocka_unit_test(freq_replaces_the_period),
		cmocka_unit_test(bad_options_are_usage_errors),
		cmocka_unit_test(conflicts_and_bounds_are_usage_errors),
		cmocka_unit_test(quiet_and_progress),
		cmocka_unit_test(the_backend_decides_the_events),
		cmocka_unit_test(the_output_must_be_writable),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
