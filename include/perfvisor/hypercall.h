/* perfvisor hypercalls: VMCALL with the number in EAX/RAX, arguments in EBX, ECX, EDX, ESI;
 * the result comes back in EAX/RAX (negative: an error).  Shared by the hypervisor and guests;
 * usable from assembly. */
#ifndef PERFVISOR_HYPERCALL_H
#define PERFVISOR_HYPERCALL_H

#define HC_VERSION   0   /* returns PERFVISOR_HC_ABI */
#define HC_EXIT      1   /* EBX = exit status: the domain finishes, as a write to port 0xF4 */
#define HC_YIELD     2   /* gives up the rest of the time slice */
#define HC_NAME_CR3  3   /* names an address space for profiles: EBX = CR3 value, ECX = guest
                          * linear address of the name (through the current paging), EDX = its
                          * length (at most HC_NAME_MAX); returns 0, or HC_ENOSPC when the
                          * domain has already named as many address spaces as perfvisor keeps
                          * for one domain (32; renaming one of them always works) */
#define HC_NAME_MAX  63

#define PERFVISOR_HC_ABI 1

#define HC_ENOSYS  (-38) /* unknown hypercall number */
#define HC_EPERM   (-1)  /* hypercalls are for CPL 0 only */
#define HC_EFAULT  (-14) /* an address argument is not mapped */
#define HC_EINVAL  (-22) /* a bad argument (length) */
#define HC_ENOSPC  (-28) /* no room left for this domain (HC_NAME_CR3) */

#endif
