/* perfvisor script / convert: the options they share and the capture loading. */
#ifndef PROFILER_EXPORT_CLI_H
#define PROFILER_EXPORT_CLI_H

#include <getopt.h>
#include <stdbool.h>

#include "export.h"

struct guest_syms;

struct export_input {
	const char *input;                        /* "perfvisor.data" */
	bool input_given;                         /* -i was given */
	const char *override[CAP_MAX_DOMAINS];    /* --symbols D=ELF */
	bool raw_names;                           /* --no-demangle */
	struct guest_syms *gs;                    /* --guest-kallsyms/-vmlinux/-root, or NULL */
};

/* The options script and convert share with report, besides -i: their getopt_long entries
 * (to be copied into the command's table) and their handling. */
enum { EXPORT_OPT_SYMBOLS = 300, EXPORT_OPT_NO_DEMANGLE, EXPORT_OPT_GUEST_KALLSYMS, EXPORT_OPT_GUEST_VMLINUX,
       EXPORT_OPT_GUEST_ROOT };
#define EXPORT_CLI_OPTIONS                                                         \
	{ "symbols", required_argument, NULL, EXPORT_OPT_SYMBOLS },                \
	{ "no-demangle", no_argument, NULL, EXPORT_OPT_NO_DEMANGLE },              \
	{ "guest-kallsyms", required_argument, NULL, EXPORT_OPT_GUEST_KALLSYMS },  \
	{ "guest-vmlinux", required_argument, NULL, EXPORT_OPT_GUEST_VMLINUX },    \
	{ "guest-root", required_argument, NULL, EXPORT_OPT_GUEST_ROOT }
#define EXPORT_CLI_HELP                                                                           \
	"      --symbols D=ELF    symbols of domain D (0: the hypervisor) from ELF instead of\n"    \
	"                         the path recorded in the capture; repeatable\n"                    \
	"      --no-demangle      C++ and Rust names as the symbol table has them\n"                \
	"      --guest-kallsyms [D=]FILE\n"                                                        \
	"                         a Linux guest's kernel symbols: its /proc/kallsyms or\n"           \
	"                         System.map, any boot (moved by its KASLR slide)\n"                \
	"      --guest-vmlinux [D=]FILE\n"                                                         \
	"                         the same from a vmlinux with a symbol table\n"                     \
	"      --guest-root [D=]DIR\n"                                                             \
	"                         a Linux guest's root file system: its tasks' user-space\n"        \
	"                         symbols (non-PIE executables), as report finds them\n"

/* One of the EXPORT_OPT_* options: 0, or -1 with the error printed. */
int export_cli_option(struct export_input *in, int opt, const char *arg);
/* Frees what the options allocated. */
void export_cli_done(struct export_input *in);
/* Reads in->input into x (export_init + export_load, symbols as the report finds them; frees
 * in->gs).  0, or an exit status with the error printed (x is then freed). */
int export_cli_load(const char *cmd, struct export_input *in, struct export *x);

#endif
