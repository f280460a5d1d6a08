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

/* The hypervisor's allocator (hv/page_alloc.c), over RAM in [1 MiB, 3 GiB). */
extern struct frame_allocator hv_frames;
/* Sets it up from the loader's RAM map minus the image [image_start, image_end), the loader's
 * information and every module, and prints how much is free. */
void page_alloc_init(const struct boot_info *bi, uint64_t image_start, uint64_t image_end);
/* Zeroed pages for the hypervisor's own structures; running out is a panic (they are sized at
 * start-up, before any guest runs). */
void *page_alloc_zeroed(uint64_t size, uint64_t align);
/* A domain's guest memory: `size` bytes, zeroed, 2 MiB aligned (EPT large pages); 0 when no
 * free block is large enough (the caller refuses that domain). */
uint64_t page_alloc_guest(uint64_t size);
uint64_t page_alloc_free_bytes(void);

#endif
