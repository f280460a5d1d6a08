/* Test doubles for what the code under test calls outside itself: they record every call so a
 * test can check what the hypervisor printed, whether it shut down, which domain exited. */
#ifndef TESTS_UNIT_FAKES_H
#define TESTS_UNIT_FAKES_H

#include <stddef.h>

struct domain;

/* fake_console.c: arch_console_write appends to console_out (NUL-terminated);
 * platform_shutdown records its status and ends the test program with it. */
extern char console_out[8192];
extern size_t console_len;
void console_reset(void);

/* fake_domain.c: domain_exit records its arguments instead of changing the domain. */
struct domain_exit_call {
    int calls;
    struct domain *d;
    int status;
    char how[64];
};
extern struct domain_exit_call domain_exit_seen;
void domain_exit_reset(void);

#endif
