#include "arch/x86/guest_paging.h"
#include "arch/x86/cpu.h"
#include "arch/x86/msr.h"

#define PTE_P        (1ull << 0)             /* present */
#define PTE_PS       (1ull << 7)             /* large page (PDE, PDPTE) */
#define ADDR_MASK    0x000FFFFFFFFFF000ull   /* bits 51:12 of a PAE/4-level entry */
#define CR4_PSE      (1ull << 4)             /* 4 MiB pages in 32-bit paging */
#define CR4_LA57     (1ull << 12)            /* 5-level paging: not walked */

static int read_entry(const struct guest_paging *pg, uint64_t gpa, int wide, uint64_t *e)
{
    uint32_t e32;
    if (!wide) {
        if (pg->read_phys(pg->ctx, gpa, &e32, 4))
            return -1;
        *e = e32;
        return 0;
    }
    return pg->read_phys(pg->ctx, gpa, e, 8);
}

static int walk_32bit(const struct guest_paging *pg, uint32_t va, uint64_t *gpa)
{
    uint64_t pde, pte;
    if (read_entry(pg, (pg->cr3 & 0xFFFFF000u) + (va >> 22) * 4, 0, &pde) || !(pde & PTE_P))
        return -1;
    if ((pde & PTE_PS) && (pg->cr4 & CR4_PSE)) {       /* 4 MiB page; PSE-36 bits 20:13 */
        *gpa = (pde & 0xFFC00000u) | (((pde >> 13) & 0xFF) << 32) | (va & 0x3FFFFF);
        return 0;
    }
    if (read_entry(pg, (pde & 0xFFFFF000u) + ((va >> 12) & 0x3FF) * 4, 0, &pte) || !(pte & PTE_P))
        return -1;
    *gpa = (pte & 0xFFFFF000u) | (va & 0xFFF);
    return 0;
}

/* One level of a PAE/4-level walk: entry `index` of the table at `table`. */
static int level(const struct guest_paging *pg, uint64_t table, uint64_t index, uint64_t *e)
{
    return read_entry(pg, (table & ADDR_MASK) + index * 8, 1, e) || !(*e & PTE_P) ? -1 : 0;
}

static int walk_pae(const struct guest_paging *pg, uint64_t va, uint64_t *gpa, int levels)
{
    uint64_t e, table = pg->cr3;
    if (levels == 3) {                                  /* PDPTEs: 32-byte aligned CR3 */
        if (read_entry(pg, (pg->cr3 & 0xFFFFFFE0u) + ((va >> 30) & 3) * 8, 1, &e) || !(e & PTE_P))
            return -1;
        table = e;
    } else {
        if (level(pg, table, (va >> 39) & 0x1FF, &e))   /* PML4E */
            return -1;
        if (level(pg, e, (va >> 30) & 0x1FF, &e))       /* PDPTE */
            return -1;
        if (e & PTE_PS) {                               /* 1 GiB page */
            *gpa = (e & ADDR_MASK & ~0x3FFFFFFFull) | (va & 0x3FFFFFFF);
            return 0;
        }
        table = e;
    }
    if (level(pg, table, (va >> 21) & 0x1FF, &e))       /* PDE */
        return -1;
    if (e & PTE_PS) {                                   /* 2 MiB page */
        *gpa = (e & ADDR_MASK & ~0x1FFFFFull) | (va & 0x1FFFFF);
        return 0;
    }
    if (level(pg, e, (va >> 12) & 0x1FF, &e))           /* PTE */
        return -1;
    *gpa = (e & ADDR_MASK) | (va & 0xFFF);
    return 0;
}

int guest_paging_translate(const struct guest_paging *pg, uint64_t gva, uint64_t *gpa)
{
    if (!(pg->cr0 & CR0_PG)) {
        *gpa = gva & 0xFFFFFFFFull;                     /* no paging: linear = physical */
        return 0;
    }
    if (!(pg->cr4 & CR4_PAE))
        return walk_32bit(pg, (uint32_t)gva, gpa);
    if (!(pg->efer & EFER_LMA))
        return walk_pae(pg, (uint32_t)gva, gpa, 3);
    if (pg->cr4 & CR4_LA57)
        return -1;
    return walk_pae(pg, gva, gpa, 4);
}

int guest_paging_read(const struct guest_paging *pg, uint64_t gva, void *buf, size_t len)
{
    uint8_t *out = buf;
    while (len) {
        uint64_t gpa, chunk = 4096 - (gva & 0xFFF);
        if (chunk > len)
            chunk = len;
        if (guest_paging_translate(pg, gva, &gpa) || pg->read_phys(pg->ctx, gpa, out, chunk))
            return -1;
        gva += chunk;
        out += chunk;
        len -= chunk;
    }
    return 0;
}
