/* perfvisor hypercalls: VMCALL with the number in EAX/RAX, arguments in EBX, ECX, EDX, ESI;
 * the result comes back in EAX/RAX (negative: an error).  Shared by the hypervisor and guests;
 * usable from assembly. */
#ifndef PERFVISOR_HYPERCALL_H
#define PERFVISOR_HYPERCALL_H

#define HC_VERSION   0   /* returns PERFVISOR_HC_ABI */
#define HC_EXIT      1   /* EBX = exit status: the domain finishes, as a write to port 0xF4 */
#define HC_YIELD     2   /* gives up the rest of the time slice */

#define PERFVISOR_HC_ABI 1

#define HC_ENOSYS  (-38) /* unknown hypercall number */
#define HC_EPERM   (-1)  /* hypercalls are for CPL 0 only */

#endif
