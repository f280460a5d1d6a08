/* Test doubles for what the code under test calls outside itself: they record every call so a
 * test can check what the hypervisor printed, whether it shut down, which domain exited. */
#ifndef TESTS_UNIT_FAKES_H
#define TESTS_UNIT_FAKES_H

#include <stddef.h>
#include <stdint.h>

struct domain;
struct vcpu;

/* fake_console.c: console_write appends to console_out (NUL-terminated);
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

/* fake_prof.c: the profiler entry points hv/ calls, recorded. */
struct prof_name_call {
    int calls;
    struct domain *d;
    uint64_t cr3;
    char name[128];                    /* the first len bytes as passed, then NUL */
    uint32_t len;
    int ret;                           /* what the fake returns (set by the test) */
};
extern struct prof_name_call prof_name_seen;
struct prof_end_call {
    int calls;
    struct domain *d;                  /* the last domain ended */
};
extern struct prof_end_call prof_end_seen;

/* fake_prof.c: arch_guest_read over an identity-mapped guest memory window: linear addresses
 * [fake_guest_base, fake_guest_base + sizeof(fake_guest_mem)) read fake_guest_mem; anything
 * else, even one byte of it, fails with -1. */
extern uint8_t fake_guest_mem[4096];
extern uint64_t fake_guest_base;
struct guest_read_call {
    int calls;
    struct vcpu *v;
    uint64_t gva, len;
};
extern struct guest_read_call guest_read_seen;

/* Clears the prof and guest-read records and the guest memory; fake_guest_base = 0x10000. */
void prof_fake_reset(void);

#endif
