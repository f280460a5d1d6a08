/* First-fit allocator over a list of free physical ranges (pure logic, unit-tested). */
#include "hv/mm.h"

static uint64_t align_up(uint64_t v, uint64_t a) { return (v + a - 1) & ~(a - 1); }
static uint64_t align_down(uint64_t v, uint64_t a) { return v & ~(a - 1); }

static void remove_at(struct frame_allocator *fa, int i)
{
    for (int j = i; j < fa->nfree - 1; j++)
        fa->free[j] = fa->free[j + 1];
    fa->nfree--;
}

/* Inserts r at index i; a range that does not fit is dropped (lost memory, never corruption). */
static void insert_at(struct frame_allocator *fa, int i, struct mem_range r)
{
    if (fa->nfree == MM_MAX_FREE)
        return;
    for (int j = fa->nfree; j > i; j--)
        fa->free[j] = fa->free[j - 1];
    fa->free[i] = r;
    fa->nfree++;
}

static void add_sorted(struct frame_allocator *fa, struct mem_range r)
{
    int i = 0;
    while (i < fa->nfree && fa->free[i].start < r.start)
        i++;
    insert_at(fa, i, r);
}

/* Cuts [cut.start, cut.end) out of every free range. */
static void subtract(struct frame_allocator *fa, struct mem_range cut)
{
    for (int i = 0; i < fa->nfree; i++) {
        struct mem_range r = fa->free[i];
        if (cut.end <= r.start || cut.start >= r.end)
            continue;
        remove_at(fa, i);
        if (r.start < cut.start)
            insert_at(fa, i++, (struct mem_range){ r.start, cut.start });
        if (cut.end < r.end)
            insert_at(fa, i++, (struct mem_range){ cut.end, r.end });
        i--;
    }
}

void frames_init(struct frame_allocator *fa, const struct mem_range *ram, int nram,
                 const struct mem_range *reserved, int nreserved, uint64_t low, uint64_t high)
{
    fa->nfree = 0;
    for (int i = 0; i < nram; i++) {
        uint64_t s = align_up(ram[i].start > low ? ram[i].start : low, PAGE_SIZE);
        uint64_t e = align_down(ram[i].end < high ? ram[i].end : high, PAGE_SIZE);
        if (s < e) {
            add_sorted(fa, (struct mem_range){ s, e });
            /* overlapping RAM ranges in a sloppy map: merge by cutting the overlap */
        }
    }
    for (int i = 0; i + 1 < fa->nfree; i++) {      /* merge overlaps and neighbours */
        if (fa->free[i].end >= fa->free[i + 1].start) {
            if (fa->free[i + 1].end > fa->free[i].end)
                fa->free[i].end = fa->free[i + 1].end;
            remove_at(fa, i + 1);
            i--;
        }
    }
    for (int i = 0; i < nreserved; i++)
        subtract(fa, (struct mem_range){ align_down(reserved[i].start, PAGE_SIZE),
                                         align_up(reserved[i].end, PAGE_SIZE) });
}

uint64_t frames_alloc(struct frame_allocator *fa, uint64_t size, uint64_t align)
{
    if (size == 0)
        return 0;
    if (align < PAGE_SIZE)
        align = PAGE_SIZE;
    size = align_up(size, PAGE_SIZE);
    for (int i = 0; i < fa->nfree; i++) {
        struct mem_range r = fa->free[i];
        uint64_t a = align_up(r.start, align);
        if (a < r.start || a + size < a || a + size > r.end)
            continue;
        subtract(fa, (struct mem_range){ a, a + size });
        return a;
    }
    return 0;
}

uint64_t frames_free_bytes(const struct frame_allocator *fa)
{
    uint64_t n = 0;
    for (int i = 0; i < fa->nfree; i++)
        n += fa->free[i].end - fa->free[i].start;
    return n;
}
