#include "arch/x86/vmx/ept.h"
#include "arch/x86/vmx/vmx.h"
#include "arch/x86/vmx/vmx_ops.h"
#include "hv/mm.h"
#include "hv/printf.h"

#define ENTRIES     512
#define SIZE_2M     (1ull << 21)
#define SIZE_1G     (1ull << 30)
#define SIZE_512G   (1ull << 39)

static uint64_t *table(uint64_t *entry)
{
    if (!(*entry & EPT_RWX)) {
        uint64_t *t = page_alloc_zeroed(PAGE_SIZE, PAGE_SIZE);
        *entry = (uint64_t)(uintptr_t)t | EPT_RWX;  /* non-leaf: access rights only */
    }
    return (uint64_t *)(uintptr_t)(*entry & ~0xFFFull);
}

int ept_build(struct ept *ept, uint64_t size, uint64_t host)
{
    if ((size | host) & (SIZE_2M - 1) || size > SIZE_512G)
        return -1;
    ept->pml4 = page_alloc_zeroed(PAGE_SIZE, PAGE_SIZE);
    for (uint64_t gpa = 0; gpa < size; gpa += SIZE_2M) {
        uint64_t *pdpt = table(&ept->pml4[(gpa >> 39) & (ENTRIES - 1)]);
        uint64_t *pd = table(&pdpt[(gpa >> 30) & (ENTRIES - 1)]);
        pd[(gpa >> 21) & (ENTRIES - 1)] = (host + gpa) | EPT_RWX | EPT_MEMTYPE_WB | EPT_LARGE_PAGE;
    }
    ept->eptp = (uint64_t)(uintptr_t)ept->pml4 | EPTP_WALK_4 | EPTP_MEMTYPE_WB;
    int r = vmx_caps.invept_single ? invept_single(ept->eptp) : invept_all();
    if (r) {
        vmx_report_failure("INVEPT", r);
        return -1;
    }
    return 0;
}
