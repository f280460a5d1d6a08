/* The console stream: line assembly and the status lines of
 * docs/console-protocol.md. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "console.h"

static enum console_line_kind classify(const char *line, struct console_line_info *info)
{
	return console_classify(line, strlen(line), info);
}

static void end_status_line_gives_the_status(void **state)
{
	(void)state;
	struct console_line_info i;
	assert_int_equal(classify("perfvisor: end status=0", &i), CONSOLE_END);
	assert_int_equal(i.status, 0);
	assert_int_equal(classify("perfvisor: end status=1  ", &i), CONSOLE_END);
	assert_int_equal(i.status, 1);
}

static void almost_end_lines_are_not_the_end(void **state)
{
	(void)state;
	struct console_line_info i;
	static const char *lines[] = {
		"perfvisor: end status=",     "perfvisor: end status=1x",  "perfvisor: end status=-1",
		"[1:a] perfvisor: end status=0", " perfvisor: end status=0", "perfvisor: end status=99999999999",
		"perfvisor:end status=0",
	};
	for (size_t k = 0; k < sizeof(lines) / sizeof(lines[0]); k++)
		assert_int_equal(classify(lines[k], &i), CONSOLE_OTHER);
}

static void domain_exit_and_stop_lines_name_the_domain(void **state)
{
	(void)state;
	struct console_line_info i;
	assert_int_equal(classify("perfvisor: domain 2 (hello) exited with status 3", &i), CONSOLE_DOMAIN_EXIT);
	assert_int_equal(i.domain, 2);
	assert_string_equal(i.name, "hello");
	assert_int_equal(i.status, 3);

	assert_int_equal(classify("perfvisor: domain 12 (a (b)) stopped: triple fault", &i), CONSOLE_DOMAIN_STOP);
	assert_int_equal(i.domain, 12);
	assert_string_equal(i.name, "a (b)");
	assert_string_equal(i.reason, "triple fault");

	assert_int_equal(classify("perfvisor: domain 4 (ab) halted without an exit status (HLT with "
				  "interrupts disabled; counted as status 0)", &i), CONSOLE_DOMAIN_HALT);
	assert_int_equal(i.domain, 4);
	assert_string_equal(i.name, "ab");
	assert_int_equal(i.status, 0);

	assert_int_equal(classify("perfvisor: domain x (a) exited with status 3", &i), CONSOLE_OTHER);
	assert_int_equal(classify("perfvisor: domain 1 (a) exited with status", &i), CONSOLE_OTHER);
	assert_int_equal(classify("[1:a] perfvisor: domain 1 (a) exited with status 0", &i), CONSOLE_OTHER);
}

static void vtx_missing_line_keeps_the_reason(void **state)
{
	(void)state;
	struct console_line_info i;
	assert_int_equal(classify("perfvisor: VT-x not available: CPUID.1:ECX.VMX=0", &i), CONSOLE_NO_VTX);
	assert_string_equal(i.reason, "CPUID.1:ECX.VMX=0");
}

struct collected {
	char lines[8][64];
	int n;
};

static void collect(void *ctx, const char *line, size_t len)
{
	struct collected *c = ctx;
	assert_true(c->n < 8);
	assert_int_equal(strlen(line), len);
	snprintf(c->lines[c->n++], sizeof(c->lines[0]), "%s", line);
}

static void splitter_joins_chunks_and_drops_cr(void **state)
{
	(void)state;
	struct line_splitter ls = { 0 };
	struct collected c = { .n = 0 };
	const char *chunks[] = { "[1:a] he", "llo\r", "\n\r\nperf", "visor: x\nlast" };
	for (size_t k = 0; k < 4; k++)
		line_splitter_feed(&ls, chunks[k], strlen(chunks[k]), collect, &c);
	assert_int_equal(c.n, 3);
	assert_string_equal(c.lines[0], "[1:a] hello");
	assert_string_equal(c.lines[1], "");
	assert_string_equal(c.lines[2], "perfvisor: x");
	line_splitter_flush(&ls, collect, &c);
	assert_int_equal(c.n, 4);
	assert_string_equal(c.lines[3], "last");
	line_splitter_flush(&ls, collect, &c); /* nothing left */
	assert_int_equal(c.n, 4);
	line_splitter_free(&ls);
}

static int long_lines;
static void count_long(void *ctx, const char *line, size_t len)
{
	(void)ctx;
	(void)line;
	assert_true(len <= CONSOLE_MAX_LINE);
	long_lines++;
}

static void splitter_cuts_endless_lines(void **state)
{
	(void)state;
	struct line_splitter ls = { 0 };
	char *junk = malloc(3 * CONSOLE_MAX_LINE);
	memset(junk, 'x', 3 * CONSOLE_MAX_LINE);
	line_splitter_feed(&ls, junk, 3 * CONSOLE_MAX_LINE, count_long, NULL);
	assert_int_equal(long_lines, 2);
	line_splitter_flush(&ls, count_long, NULL);
	assert_int_equal(long_lines, 3);
	free(junk);
	line_splitter_free(&ls);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(end_status_line_gives_the_status),
		cmocka_unit_test(almost_end_lines_are_not_the_end),
		cmocka_unit_test(domain_exit_and_stop_lines_name_the_domain),
		cmocka_unit_test(vtx_missing_line_keeps_the_reason),
		cmocka_unit_test(splitter_joins_chunks_and_drops_cr),
		cmocka_unit_test(splitter_cuts_endless_lines),
	};
	return cmocka_run_group_tests_name("console", tests, NULL, NULL);
}
