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

#endif
