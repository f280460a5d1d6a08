/* Formatted output for the hypervisor: a small vsnprintf and a console printf. */
#ifndef HV_PRINTF_H
#define HV_PRINTF_H

#include <stdarg.h>
#include <stddef.h>

/* Supports %d %i %u %x %X %p %s %c %% with l/ll/z length, width, '0' and '-' flags,
 * and a precision (".N" or ".*") for %s.
 * Always NUL-terminates (when size > 0); returns the length the full output would have. */
int hv_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int hv_snprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Prints to the hypervisor console (console_write, hv/console.h). */
int hv_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

__attribute__((noreturn, format(printf, 1, 2))) void panic(const char *fmt, ...);

#endif
