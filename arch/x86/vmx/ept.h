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

/* EPT violation exit qualification (Table 28-7) */
#define EPT_VIOL_READ   (1ull << 0)
#define EPT_VIOL_WRITE  (1ull << 1)
#define EPT_VIOL_FETCH  (1ull << 2)

struct ept {
    uint64_t *pml4;
    uint64_t eptp;
};

/* Maps guest-physical [0, size) to host-physical [host, host+size) with 2 MiB pages. */
int ept_build(struct ept *ept, uint64_t size, uint64_t host);

#endif
