#ifndef HV_HYPERCALL_H
#define HV_HYPERCALL_H

#include <stdint.h>

struct vcpu;

enum hc_result { HC_CONTINUE, HC_END_SLICE };

/* args[0..3] = EBX, ECX, EDX, ESI; *ret is written back to RAX. */
enum hc_result hypercall(struct vcpu *v, int cpl, uint64_t nr, const uint64_t args[4], int64_t *ret);

#endif
