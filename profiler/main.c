/* perfvisor: the host tool.  Dispatches to one builtin per subcommand. */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>

#include "builtin.h"

#ifndef PERFVISOR_VERSION
#define PERFVISOR_VERSION "0.1"
#endif

struct cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
};

static int cmd_help(int argc, char **argv);

static const struct cmd commands[] = {
	{ "run", cmd_run, "boot perfvisor and guests in Bochs or QEMU, stream the console" },
	{ "record", cmd_record, "run like 'run' with the profiler on and write perfvisor.data" },
	{ "capture", cmd_capture, "read a capture from a real serial line (or a file) into perfvisor.data" },
	{ "report", cmd_report, "read perfvisor.data and show where the time went" },
	{ "script", cmd_script, "print every sample of perfvisor.data as 'perf script' does" },
	{ "convert", cmd_convert, "write perfvisor.data as folded stacks, SVG, pprof, speedscope, JSON" },
	{ "selftest", cmd_selftest, "count known loops on every counter, check PMIs: a report for bug reports" },
	{ "iso", cmd_iso, "build a bootable ISO (for bare metal) without running it" },
	{ "help", cmd_help, "show this text, or a command's help: perfvisor help COMMAND" },
};
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *f)
{
	fputs("usage: perfvisor [--version] [--help] COMMAND [ARGS]\n\n"
	      "perfvisor runs multiboot kernels as guests of a small VT-x hypervisor and\n"
	      "profiles them.  Commands:\n",
	      f);
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].help);
	fputs("\nSee 'perfvisor COMMAND --help' for a command's options.\n", f);
}

static const struct cmd *find_command(const char *name)
{
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

static int cmd_help(int argc, char **argv)
{
	if (argc > 1) {
		const struct cmd *c = find_command(argv[1]);
		if (c && c->fn != cmd_help) {
			char *args[] = { argv[1], "--help", NULL };
			return c->fn(2, args);
		}
		if (!c) {
			fprintf(stderr, "perfvisor: '%s' is not a perfvisor command\n", argv[1]);
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	usage(stdout);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	const char *name = argv[1];
	if (!strcmp(name, "--version") || !strcmp(name, "version")) {
		printf("perfvisor %s\n", PERFVISOR_VERSION);
		return 0;
	}
	if (!strcmp(name, "--help") || !strcmp(name, "-h"))
		name = "help";
	const struct cmd *c = find_command(name);
	if (!c) {
		fprintf(stderr, "perfvisor: '%s' is not a perfvisor command\n", name);
		usage(stderr);
		return EXIT_USAGE;
	}
	/* "perfvisor run" in getopt's messages. */
	char prog[64];
	snprintf(prog, sizeof(prog), "perfvisor %s", c->name);
	argv[1] = prog;
	return c->fn(argc - 1, argv + 1);
}
