/* The hypervisor's physical memory: the frame allocator (hv/frames.c) set up from the loader's
 * memory map, and the two kinds of block it hands out — zeroed pages for the hypervisor's own
 * structures, and each domain's guest memory. */
#include "hv/mm.h"
#include "hv/printf.h"
#include "hv/string.h"

#define LOW_MEMORY_END  0x100000ull    /* below 1 MiB: BIOS, EBDA, real-mode leftovers */
#define ALLOC_LIMIT     0xC0000000ull  /* stay clear of the 32-bit MMIO hole; 1:1 mapped */
#define GUEST_MEM_ALIGN 0x200000ull    /* 2 MiB, so EPT can use large pages */

struct frame_allocator hv_frames;

void page_alloc_init(const struct boot_info *bi, uint64_t image_start, uint64_t image_end)
{
    struct mem_range reserved[BOOT_MAX_MODULES + 2];
    int n = 0;

    reserved[n++] = (struct mem_range){ image_start, image_end };
    reserved[n++] = (struct mem_range){ bi->info_start, bi->info_end };
    for (int i = 0; i < bi->nmodules && i < BOOT_MAX_MODULES; i++)
        reserved[n++] = (struct mem_range){ bi->modules[i].start, bi->modules[i].end };
    frames_init(&hv_frames, bi->ram, bi->nram, reserved, n, LOW_MEMORY_END, ALLOC_LIMIT);
    hv_printf("perfvisor: %lu MiB free for domains\n", page_alloc_free_bytes() >> 20);
}

void *page_alloc_zeroed(uint64_t size, uint64_t align)
{
    uint64_t pa = frames_alloc(&hv_frames, size, align);
    if (!pa)
        panic("page_alloc_zeroed: out of memory for %lu bytes", size);
    memset((void *)(uintptr_t)pa, 0, (size + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1));
    return (void *)(uintptr_t)pa;
}

uint64_t page_alloc_guest(uint64_t size)
{
    uint64_t pa = frames_alloc(&hv_frames, size, GUEST_MEM_ALIGN);
    if (pa)
        memset((void *)(uintptr_t)pa, 0, size);
    return pa;
}

uint64_t page_alloc_free_bytes(void)
{
    return frames_free_bytes(&hv_frames);
}
