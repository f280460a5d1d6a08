/* domain_exit as hv/hypercall.c sees it: a recorder. */
#include <string.h>

#include "hv/domain.h"
#include "tests/unit/fakes.h"

struct domain_exit_call domain_exit_seen;

void domain_exit_reset(void)
{
    memset(&domain_exit_seen, 0, sizeof(domain_exit_seen));
}

void domain_exit(struct domain *d, int status, const char *how)
{
    domain_exit_seen.calls++;
    domain_exit_seen.d = d;
    domain_exit_seen.status = status;
    strncpy(domain_exit_seen.how, how, sizeof(domain_exit_seen.how) - 1);
}
