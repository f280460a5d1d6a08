/* The console stream (docs/console-protocol.md): splitting into lines and
 * recognising the hypervisor's status lines. */
#ifndef PROFILER_CONSOLE_H
#define PROFILER_CONSOLE_H

#include <stddef.h>
#include <stdio.h>

/* Assembles lines from arbitrary chunks of serial output.  '\r' is dropped;
 * an over-long line (binary garbage) is cut at CONSOLE_MAX_LINE bytes. */
#define CONSOLE_MAX_LINE 65536

typedef void (*console_emit_fn)(void *ctx, const char *line, size_t len);

struct line_splitter {
	char *buf;
	size_t len, cap;
};

void line_splitter_feed(struct line_splitter *ls, const char *data, size_t n, console_emit_fn emit,
			void *ctx);
/* Emit what is left without a final newline, if anything. */
void line_splitter_flush(struct line_splitter *ls, console_emit_fn emit, void *ctx);
void line_splitter_free(struct line_splitter *ls);

/* Writes one console line and a newline to f, every byte as `cat -v` shows it
 * (include/perfvisor/visible.h): the same rendering the hypervisor gives guest output, so that
 * nothing read back from a serial line or a capture reaches the terminal as a control byte.
 * Returns 0, or -1 if the write failed. */
int console_write_line(FILE *f, const char *line, size_t len);
/* The same rendering into dst (cap > 0, always terminated, cut at a whole rendering). */
void console_visible(char *dst, size_t cap, const char *s, size_t len);

enum console_line_kind {
	CONSOLE_OTHER,       /* guest output or another hypervisor message */
	CONSOLE_END,         /* perfvisor: end status=<s> */
	CONSOLE_DOMAIN_EXIT, /* perfvisor: domain <id> (<name>) exited with status <n> */
	CONSOLE_DOMAIN_STOP, /* perfvisor: domain <id> (<name>) stopped: <reason> */
	CONSOLE_DOMAIN_HALT, /* perfvisor: domain <id> (<name>) halted without an exit status ... */
	CONSOLE_NO_VTX,      /* perfvisor: VT-x not available: <why> */
};

struct console_line_info {
	enum console_line_kind kind;
	int status;      /* END: s; DOMAIN_EXIT: n */
	int domain;      /* DOMAIN_*: id */
	char name[64];   /* DOMAIN_*: name (truncated) */
	char reason[128];/* DOMAIN_STOP, NO_VTX: text (truncated) */
};

/* Classify one console line (without its newline). */
enum console_line_kind console_classify(const char *line, size_t len, struct console_line_info *info);

#endif
