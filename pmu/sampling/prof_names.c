/* Per-domain tables of process names (pmu/sampling/prof_names.h). */
#include "pmu/sampling/prof_names.h"
#include "hv/errno.h"
#include "hv/string.h"

void prof_names_reset(struct prof_names *t)
{
    memset(t, 0, sizeof(*t));
}

int prof_names_set(struct prof_names *t, int domain, uint64_t cr3, const char *name, uint32_t len)
{
    struct prof_name *n = 0;

    if (domain < 1 || domain >= CAP_MAX_DOMAINS || len > HC_NAME_MAX)
        return -EINVAL;
    for (uint32_t i = 0; i < t->count[domain]; i++)
        if (t->names[domain][i].cr3 == cr3)
            n = &t->names[domain][i];
    if (!n) {
        if (t->count[domain] == PROF_NAMES_PER_DOMAIN) {
            t->dropped[domain]++;
            return -ENOSPC;
        }
        n = &t->names[domain][t->count[domain]++];
    }
    n->cr3 = cr3;
    n->len = (uint8_t)len;
    memcpy(n->name, name, len);
    n->name[len] = '\0';
    n->pending = 1;
    return 0;
}

void prof_names_mark_all(struct prof_names *t)
{
    for (int d = 1; d < CAP_MAX_DOMAINS; d++)
        for (uint32_t i = 0; i < t->count[d]; i++)
            t->names[d][i].pending = 1;
}
