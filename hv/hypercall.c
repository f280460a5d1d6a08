/* Hypercall dispatch (numbers in include/perfvisor/hypercall.h). */
#include "hv/hypercall.h"
#include "hv/domain.h"
#include "perfvisor/hypercall.h"

enum hc_result hypercall(struct vcpu *v, int cpl, uint64_t nr, const uint64_t args[4], int64_t *ret)
{
    if (cpl != 0) {
        *ret = HC_EPERM;
        return HC_CONTINUE;
    }
    switch (nr) {
    case HC_VERSION:
        *ret = PERFVISOR_HC_ABI;
        return HC_CONTINUE;
    case HC_EXIT:
        domain_exit(v->dom, (int)(args[0] & 0xFF), " (hypercall)");
        *ret = 0;
        return HC_CONTINUE;
    case HC_YIELD:
        *ret = 0;
        return HC_END_SLICE;
    default:
        *ret = HC_ENOSYS;
        return HC_CONTINUE;
    }
}
