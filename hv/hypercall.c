/* Hypercall dispatch (numbers in include/perfvisor/hypercall.h). */
#include "hv/hypercall.h"
#include "hv/domain.h"
#include "perfvisor/hypercall.h"
#include "hv/arch.h"
#include "pmu/sampling/prof.h"

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
    case HC_NAME_CR3: {
        char name[HC_NAME_MAX + 1];
        if (args[2] > HC_NAME_MAX) {
            *ret = HC_EINVAL;
        } else if (arch_guest_read(v, args[1], name, args[2])) {
            *ret = HC_EFAULT;
        } else {
            *ret = prof_name_process(v->dom, args[0], name, (uint32_t)args[2]);
        }
        return HC_CONTINUE;
    }
    default:
        *ret = HC_ENOSYS;
        return HC_CONTINUE;
    }
}
