/* A domain's sample ring: single producer (the sampler, in the VM-exit path), single consumer
 * (the drain, between slices).  It never blocks: a sample that finds the ring full is dropped
 * and counted, so taken == recorded + lost holds exactly. */
#ifndef PMU_RING_H
#define PMU_RING_H

#include <stdint.h>
#include "pmu/sampling/cap_encode.h"

struct sample_ring {
    struct cap_sample *slots;
    uint32_t capacity;            /* slots */
    uint64_t head, tail;          /* free-running: used = head - tail */
    uint64_t taken;               /* samples offered */
    uint64_t lost;                /* dropped because the ring was full */
    uint64_t lost_reported;       /* of lost, already sent as CAP_R_LOST */
    uint64_t recorded;            /* taken out by the drain and encoded */
};

void ring_init(struct sample_ring *r, struct cap_sample *slots, uint32_t capacity);

/* A slot to fill, or NULL (then the sample is counted lost).  ring_commit publishes it.
 * Inline: the sampler calls these on every sample. */
static inline struct cap_sample *ring_reserve(struct sample_ring *r)
{
    r->taken++;
    if (r->head - r->tail == r->capacity) {
        r->lost++;
        return 0;
    }
    return &r->slots[r->head % r->capacity];
}

static inline void ring_commit(struct sample_ring *r) { r->head++; }

/* The oldest sample, or NULL when empty; ring_release frees it (counts it recorded). */
static inline const struct cap_sample *ring_peek(const struct sample_ring *r)
{
    return r->head == r->tail ? 0 : &r->slots[r->tail % r->capacity];
}

static inline void ring_release(struct sample_ring *r)
{
    r->tail++;
    r->recorded++;
}
static inline uint32_t ring_used(const struct sample_ring *r) { return (uint32_t)(r->head - r->tail); }

#endif
