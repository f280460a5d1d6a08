/* Extended page tables (SDM Vol. 3C 29.3): a domain's guest-physical memory map. */
#ifndef ARCH_X86_VMX_EPT_H
#define ARCH_X86_VMX_EPT_H

#include <stdint.h>

#define EPT_READ        (1ull << 0)
#define EPT_WRITE       (1ull << 1)
#define EPT_EXEC        (1ull << 2)
#define EPT_RWX         (EPT_READ | EPT_WRITE | EPT_EXEC)
#define EPT_MEMTYPE_WB  (6ull << 3)    /* leaf entries: memory type, bits 5:3 (29.3.7) */
#define EPT_LARGE_PAGE  (1ull << 7)    /* PDE maps 2 MiB */
#define EPTP_MEMTYPE_WB 6ull           /* EPTP bits 2:0: paging-structure memory type (25.6.11) */
#define EPTP_WALK_4     (3ull << 3)    /* EPTP bits 5:3: page-walk length - 1 */

/* EPT violation exit qualification (SDM Vol. 3C Table 28-7; 27-7 before 2023) */
#define EPT_VIOL_READ          (1ull << 0)
#define EPT_VIOL_WRITE         (1ull << 1)
#define EPT_VIOL_FETCH         (1ull << 2)
#define EPT_VIOL_LINEAR_VALID  (1ull << 7)   /* the guest linear-address field is valid */
#define EPT_VIOL_TRANSLATION   (1ull << 8)   /* with bit 7: the access was to the translation of
                                              * that linear address; clear: to a paging-structure
                                              * entry (a page walk or an A/D-bit update) */
/* IDT-vectoring information (SDM Vol. 3C 25.9.3): bit 31 valid = the exit happened while an
 * event was being delivered through the IDT (28.2.4). */
#define IDT_VECTORING_VALID    (1u << 31)
#define IDT_VECTORING_VECTOR(i) ((i) & 0xFFu)

/* What an EPT violation was, as far as emulating a guest's MOV to its xAPIC page goes: only a
 * data access to the translation of a linear address, outside event delivery, is the MOV at
 * RIP; anything else touched the page on the way (and the MOV at RIP, if there is one, never
 * accessed it). */
enum ept_cause {
    EPT_CAUSE_DATA,             /* a data access of the instruction at RIP */
    EPT_CAUSE_FETCH,            /* fetching an instruction */
    EPT_CAUSE_PAGE_WALK,        /* a guest paging-structure entry (bit 7 = 1, bit 8 = 0) */
    EPT_CAUSE_NO_LINEAR,        /* no linear address (bit 7 = 0): e.g. PAE PDPTEs loaded by
                                 * MOV to CR3/CR0/CR4 */
    EPT_CAUSE_EVENT_DELIVERY,   /* delivering an event: IDT gate, GDT/LDT descriptor, TSS, stack */
};

static inline enum ept_cause ept_violation_cause(uint64_t qual, uint32_t idt_vectoring_info)
{
    if (!(qual & EPT_VIOL_LINEAR_VALID))
        return EPT_CAUSE_NO_LINEAR;
    if (!(qual & EPT_VIOL_TRANSLATION))
        return EPT_CAUSE_PAGE_WALK;
    if (idt_vectoring_info & IDT_VECTORING_VALID)
        return EPT_CAUSE_EVENT_DELIVERY;
    if (qual & EPT_VIOL_FETCH)
        return EPT_CAUSE_FETCH;
    return EPT_CAUSE_DATA;
}

/* Whether linear address `lin` lies in a descriptor table or TSS of that base and limit (the
 * limit is the offset of the last valid byte, SDM Vol. 3A 3.5.1). */
static inline int ept_linear_in_table(uint64_t lin, uint64_t base, uint32_t limit)
{
    return lin - base <= limit;
}

struct ept {
    uint64_t *pml4;
    uint64_t eptp;
};

/* Maps guest-physical [0, size) to host-physical [host, host+size) with 2 MiB pages. */
int ept_build(struct ept *ept, uint64_t size, uint64_t host);

#endif
