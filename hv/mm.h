/* Physical memory allocator: the loader's memory map minus what is in use (the image, the
 * modules, the boot information), handed out first-fit in page-aligned blocks.  Nothing is
 * freed: domains are built once at start-up. */
#ifndef HV_MM_H
#define HV_MM_H

#include <stdint.h>
#include "hv/boot_info.h"

#define PAGE_SIZE   4096ull
#define MM_MAX_FREE 64

struct frame_allocator {
    struct mem_range free[MM_MAX_FREE];   /* sorted, disjoint, page-aligned */
    int nfree;
};

/* Builds the free list from RAM ranges limited to [low, high), minus the reserved ranges. */
void frames_init(struct frame_allocator *fa, const struct mem_range *ram, int nram,
                 const struct mem_range *reserved, int nreserved, uint64_t low, uint64_t high);

/* Returns the physical address of `size` bytes (rounded up to pages) aligned to `align`
 * (a power of two, at least a page), or 0 when no free range fits. */
uint64_t frames_alloc(struct frame_allocator *fa, uint64_t size, uint64_t align);

uint64_t frames_free_bytes(const struct frame_allocator *fa);

/* The hypervisor's allocator; pages come back zeroed. */
extern struct frame_allocator hv_frames;
void *page_alloc_zeroed(uint64_t size, uint64_t align);

#endif
