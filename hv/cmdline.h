/* key=value command lines ("name=hello mem=16 budget=5000000"). */
#ifndef HV_CMDLINE_H
#define HV_CMDLINE_H

#include <stddef.h>
#include <stdint.h>

/* Copies the value of `key` into out (NUL-terminated, truncated to size); returns 1 if found.
 * The last occurrence wins, as in kernel command lines. */
int cmdline_get(const char *cmdline, const char *key, char *out, size_t size);

/* Parses a decimal or 0x-hex unsigned value with an optional k/K, m/M, g/G suffix (x1024^n).
 * Returns 0 and sets *v, or -1 if the text is not a number. */
int parse_u64(const char *s, uint64_t *v);

/* cmdline_get + parse_u64: 1 found and valid, 0 absent, -1 present but not a number. */
int cmdline_get_u64(const char *cmdline, const char *key, uint64_t *v);

/* Copies cmdline into out (NUL-terminated, at most size bytes) without the tokens that belong
 * to someone else: `key=...` for each key of the NULL-terminated list `drop`, and every token
 * that starts with `prefix` (a namespace such as "perfvisor."; NULL: none).  The tokens kept are
 * joined by one space, in their order.  Returns the length written; a line longer than out is
 * truncated. */
size_t cmdline_strip(const char *cmdline, const char *const *drop, const char *prefix, char *out,
                     size_t size);

#endif
