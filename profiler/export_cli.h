/* perfvisor script / convert: the options they share and the capture loading. */
#ifndef PROFILER_EXPORT_CLI_H
#define PROFILER_EXPORT_CLI_H

#include <stdbool.h>

#include "export.h"

struct export_input {
	const char *input;                        /* "perfvisor.data" */
	bool input_given;                         /* -i was given */
	const char *override[CAP_MAX_DOMAINS];    /* --symbols D=ELF */
};

/* --symbols D=ELF: 0, or -1 with the error printed. */
int export_cli_symbols_opt(struct export_input *in, const char *arg);
/* Reads in->input into x (export_init + export_load, symbols as the report finds them).
 * 0, or an exit status with the error printed (x is then freed). */
int export_cli_load(const char *cmd, const struct export_input *in, struct export *x);

#endif
