/* check.h - one PASS/FAIL line per rule a test guest checks, the way the boot tests read them:
 *   "<prog>: PASS [<mode>-]<rule>"  or  "<prog>: FAIL [<mode>-]<rule>: <why>"  */
#ifndef GUEST_CHECK_H
#define GUEST_CHECK_H

#include <stdarg.h>

/* Prints the line (why only on failure; mode "" for none) and returns 1 if it failed, else 0. */
int check_line(const char *prog, const char *mode, int ok, const char *rule, const char *fmt, va_list ap);

#endif
