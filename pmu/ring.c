#include "pmu/ring.h"

void ring_init(struct sample_ring *r, struct cap_sample *slots, uint32_t capacity)
{
    r->slots = slots;
    r->capacity = capacity;
    r->head = r->tail = 0;
    r->taken = r->lost = r->lost_reported = r->recorded = 0;
}

struct cap_sample *ring_reserve(struct sample_ring *r)
{
    r->taken++;
    if (r->head - r->tail == r->capacity) {
        r->lost++;
        return 0;
    }
    return &r->slots[r->head % r->capacity];
}

void ring_commit(struct sample_ring *r)
{
    r->head++;
}

const struct cap_sample *ring_peek(const struct sample_ring *r)
{
    return r->head == r->tail ? 0 : &r->slots[r->tail % r->capacity];
}

void ring_release(struct sample_ring *r)
{
    r->tail++;
    r->recorded++;
}
