/* Guest linear -> guest-physical translation by walking the guest's own page tables
 * (SDM Vol. 3A 4.3 32-bit paging, 4.4 PAE paging, 4.5 4-level paging).  Pure: reads guest
 * memory through a callback, so the host tests drive it with hand-built tables. */
#ifndef ARCH_X86_GUEST_PAGING_H
#define ARCH_X86_GUEST_PAGING_H

#include <stddef.h>
#include <stdint.h>

struct guest_paging {
    uint64_t cr0, cr3, cr4, efer;
    /* Reads len bytes of guest-physical memory at gpa; 0, or -1 if outside the guest. */
    int (*read_phys)(void *ctx, uint64_t gpa, void *buf, size_t len);
    void *ctx;
};

/* 0 and *gpa, or -1 if gva is not mapped (or the tables lie outside guest memory). */
int guest_paging_translate(const struct guest_paging *pg, uint64_t gva, uint64_t *gpa);

/* Reads len bytes at linear address gva, page by page; 0, or -1 if any byte is unmapped. */
int guest_paging_read(const struct guest_paging *pg, uint64_t gva, void *buf, size_t len);

#endif
