/* check.h - one PASS/FAIL line per rule a test guest checks, the way the boot tests read them:
 *   "<prog>: PASS [<mode>-]<rule>"  or  "<prog>: FAIL [<mode>-]<rule>: <why>"
 * and a closing "<prog>: N failure(s)".  check_begin names the guest once. */
#ifndef GUEST_CHECK_H
#define GUEST_CHECK_H

void check_begin(const char *prog);
/* Prints the line (why, formatted from fmt, only on failure) and counts a failure. */
void check(int ok, const char *rule, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* The same with a mode in front of the rule (mode "" for none). */
void check_mode(int ok, const char *mode, const char *rule, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Prints "<prog>: N failure(s)" and returns N. */
int check_summary(void);

#endif
