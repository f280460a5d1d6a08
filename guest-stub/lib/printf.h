/* printf.h - minimal printf on COM1.
 * Conversions: %d %i %u %x %X %p %s %c %%, length l and ll, flags 0 and -,
 * field width (digits or *). */
#ifndef GUEST_PRINTF_H
#define GUEST_PRINTF_H

#include <stdarg.h>

int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int vprintf(const char *fmt, va_list ap);

#endif
