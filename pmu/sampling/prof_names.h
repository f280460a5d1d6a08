/* The process names guests give their address spaces (HC_NAME_CR3), for the capture's PROCESS
 * records.  Each domain has its own quota, so one domain naming thousands of address spaces
 * cannot starve the others of theirs. */
#ifndef PMU_PROF_NAMES_H
#define PMU_PROF_NAMES_H

#include <stdint.h>
#include "perfvisor/capture.h"
#include "perfvisor/hypercall.h"

#define PROF_NAMES_PER_DOMAIN 32

struct prof_name {
    uint8_t len;
    uint8_t pending;                   /* not yet sent since the last header */
    uint64_t cr3;
    char name[HC_NAME_MAX + 1];
};

struct prof_names {
    struct prof_name names[CAP_MAX_DOMAINS][PROF_NAMES_PER_DOMAIN];   /* [0]: unused */
    uint32_t count[CAP_MAX_DOMAINS];
    uint64_t dropped[CAP_MAX_DOMAINS];  /* names refused: the domain's table was full */
};

void prof_names_reset(struct prof_names *t);
/* Names (or renames) domain's address space cr3; len <= HC_NAME_MAX.  Returns 0, or -ENOSPC
 * if the domain already named PROF_NAMES_PER_DOMAIN other address spaces (counted in
 * dropped[domain]), or -EINVAL for a domain id out of range. */
int prof_names_set(struct prof_names *t, int domain, uint64_t cr3, const char *name, uint32_t len);
/* Marks every name as to be sent again (a new header: late readers learn them). */
void prof_names_mark_all(struct prof_names *t);

#endif
