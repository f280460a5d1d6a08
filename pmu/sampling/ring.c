#include "pmu/sampling/ring.h"

void ring_init(struct sample_ring *r, struct cap_sample *slots, uint32_t capacity)
{
    r->slots = slots;
    r->capacity = capacity;
    r->head = r->tail = 0;
    r->taken = r->lost = r->lost_reported = r->recorded = 0;
}
