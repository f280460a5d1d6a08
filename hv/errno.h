/* The hypervisor's one error convention: a function that can fail returns 0 (or a count) on
 * success and a negative code from this list on failure, passed up unchanged; panic() is only
 * for broken invariants.  Whoever ends the chain reports it (with hv_strerror) — a message,
 * domain_stop for what a guest caused, or "end status=1" in kmain.  The numbers are Linux's,
 * and so the same as the hypercall ABI's HC_E* (include/perfvisor/hypercall.h, guest ABI, not
 * to change): a hypercall handler may return these as they are. */
#ifndef HV_ERRNO_H
#define HV_ERRNO_H

#include "perfvisor/hypercall.h"

#define EPERM    1    /* not allowed from where it was asked (a hypercall above CPL 0) */
#define ENOEXEC  8    /* not an image perfvisor can load */
#define ENOMEM  12    /* not enough free memory */
#define EFAULT  14    /* an address that is not mapped */
#define ENODEV  19    /* the hardware lacks what is needed (VT-x, a usable PMU, the local APIC) */
#define EINVAL  22    /* a bad argument or option */
#define ENOSPC  28    /* no room left: a full queue, frame or table; try later or ask for less */
#define ERANGE  34    /* a number out of range (overflow) */
#define ENOSYS  38    /* not implemented (an unknown hypercall) */

_Static_assert(-EPERM == HC_EPERM && -EFAULT == HC_EFAULT && -EINVAL == HC_EINVAL &&
               -ENOSPC == HC_ENOSPC && -ENOSYS == HC_ENOSYS, "hv/errno.h: the hypercall ABI's codes");

/* "out of memory (ENOMEM)" for -ENOMEM; "error N" for a code not listed. */
const char *hv_strerror(int err);

#endif
