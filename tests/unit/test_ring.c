/* pmu/sampling/ring.c: a domain's sample ring (single producer, single consumer, never blocks). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "pmu/sampling/ring.h"

static struct cap_sample slots[64];
static struct sample_ring r;

static int setup(void **state)
{
    (void)state;
    memset(slots, 0xCC, sizeof(slots));
    memset(&r, 0x77, sizeof(r));
    return 0;
}

static void check_invariant(void)
{
    assert_int_equal(r.taken, r.recorded + r.lost + ring_used(&r));
    assert_in_range(ring_used(&r), 0, r.capacity);
    if (ring_used(&r))
        assert_non_null(ring_peek(&r));
    else
        assert_null(ring_peek(&r));
}

/* Offers one sample tagged seq; 1 if it went in. */
static int push(uint64_t seq)
{
    struct cap_sample *s = ring_reserve(&r);
    if (!s)
        return 0;
    assert_true(s >= slots && s < slots + r.capacity);
    memset(s, 0, sizeof(*s));
    s->ip = seq;
    s->tsc = 1000 + seq;
    s->depth = (uint8_t)(seq % (CAP_MAX_CHAIN + 1));
    if (s->depth)
        s->chain[s->depth - 1] = ~seq;
    ring_commit(&r);
    return 1;
}

/* Takes the oldest sample out, expecting seq. */
static void pop(uint64_t seq)
{
    const struct cap_sample *s = ring_peek(&r);
    assert_non_null(s);
    assert_int_equal(s->ip, seq);
    assert_int_equal(s->tsc, 1000 + seq);
    assert_int_equal(s->depth, seq % (CAP_MAX_CHAIN + 1));
    if (s->depth)
        assert_int_equal(s->chain[s->depth - 1], ~seq);
    ring_release(&r);
}

static void test_init_empty(void **state)
{
    (void)state;
    ring_init(&r, slots, 4);
    assert_ptr_equal(r.slots, slots);
    assert_int_equal(r.capacity, 4);
    assert_int_equal(ring_used(&r), 0);
    assert_int_equal(r.taken, 0);
    assert_int_equal(r.lost, 0);
    assert_int_equal(r.lost_reported, 0);
    assert_int_equal(r.recorded, 0);
    assert_null(ring_peek(&r));
}

static void test_fifo_capacity_4(void **state)
{
    (void)state;
    ring_init(&r, slots, 4);
    for (uint64_t i = 0; i < 4; i++) {
        assert_int_equal(push(i), 1);
        assert_int_equal(ring_used(&r), i + 1);
        check_invariant();
    }
    assert_null(ring_reserve(&r));                      /* full */
    assert_int_equal(r.lost, 1);
    assert_int_equal(r.taken, 5);
    check_invariant();
    assert_ptr_equal(ring_peek(&r), ring_peek(&r));     /* peek does not consume */
    pop(0);
    pop(1);
    check_invariant();
    assert_int_equal(push(4), 1);
    assert_int_equal(push(5), 1);
    assert_int_equal(push(6), 0);
    pop(2);
    pop(3);
    pop(4);
    pop(5);
    assert_null(ring_peek(&r));
    assert_int_equal(r.taken, 8);
    assert_int_equal(r.recorded, 6);
    assert_int_equal(r.lost, 2);
    assert_int_equal(r.lost_reported, 0);               /* the ring never reports */
    check_invariant();
}

static void test_capacity_1(void **state)
{
    (void)state;
    ring_init(&r, slots, 1);
    assert_int_equal(push(10), 1);
    assert_null(ring_reserve(&r));
    assert_null(ring_reserve(&r));
    assert_int_equal(r.lost, 2);
    check_invariant();
    pop(10);
    assert_null(ring_peek(&r));
    assert_int_equal(push(11), 1);
    assert_ptr_equal(ring_peek(&r), &slots[0]);
    pop(11);
    assert_int_equal(r.taken, 4);
    assert_int_equal(r.recorded, 2);
    check_invariant();
    /* the ring only touches slots[0] */
    static const uint8_t cc[sizeof(struct cap_sample)] = { [0 ... sizeof(struct cap_sample) - 1] = 0xCC };
    assert_memory_equal(&slots[1], cc, sizeof(cc));
}

static void test_reserve_unpublished_until_commit(void **state)
{
    (void)state;
    ring_init(&r, slots, 4);
    struct cap_sample *s = ring_reserve(&r);
    assert_ptr_equal(s, &slots[0]);
    assert_null(ring_peek(&r));                         /* not yet committed */
    assert_int_equal(ring_used(&r), 0);
    s->ip = 99;
    ring_commit(&r);
    assert_ptr_equal(ring_peek(&r), s);
    assert_int_equal(ring_used(&r), 1);
    assert_ptr_equal(ring_reserve(&r), &slots[1]);      /* the next slot */
}

/* xorshift: reproducible "random" drains */
static uint32_t rng = 2463534242u;
static uint32_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 17;
    rng ^= rng << 5;
    return rng;
}

static void churn(uint32_t capacity, uint32_t head_start, int steps)
{
    ring_init(&r, slots, capacity);
    r.head = r.tail = head_start;
    uint64_t next_in = 0, next_out = 0, lost = 0;
    for (int step = 0; step < steps; step++) {
        if (rnd() % 3) {                                /* a burst of samples */
            int n = (int)(rnd() % (capacity + 2));
            for (int i = 0; i < n; i++) {
                int full = ring_used(&r) == capacity;
                if (push(next_in)) {
                    assert_false(full);
                    next_in++;
                } else {
                    assert_true(full);
                    lost++;
                }
                check_invariant();
            }
        } else {                                        /* a drain, maybe partial */
            int n = (int)(rnd() % (capacity + 2));
            for (int i = 0; i < n && ring_peek(&r); i++) {
                pop(next_out++);
                check_invariant();
            }
        }
        assert_int_equal(r.lost, lost);
        assert_int_equal(r.recorded, next_out);
        assert_int_equal(ring_used(&r), next_in - next_out);
    }
    while (ring_peek(&r))
        pop(next_out++);
    assert_int_equal(next_out, next_in);
    assert_int_equal(r.taken, next_in + lost);
    assert_true(lost > 0);                              /* the test did fill the ring */
    check_invariant();
}

static void test_churn_invariant(void **state)
{
    (void)state;
    const uint32_t caps[] = { 1, 2, 3, 4, 7, 64 };
    for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++)
        churn(caps[i], 0, 10000);
}

/* head and tail are free-running 32-bit counters: crossing 2^32 keeps FIFO order for a
 * capacity that divides 2^32 (the default, 4096, does). */
static void test_counter_wrap_power_of_two(void **state)
{
    (void)state;
    churn(4, 0xFFFFFF00u, 2000);
    assert_true((uint32_t)r.head < 0x80000000u);                  /* it did wrap */
    churn(64, 0xFFFFF000u, 2000);
    assert_true((uint32_t)r.head < 0x80000000u);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_init_empty, setup),
        cmocka_unit_test_setup(test_fifo_capacity_4, setup),
        cmocka_unit_test_setup(test_capacity_1, setup),
        cmocka_unit_test_setup(test_reserve_unpublished_until_commit, setup),
        cmocka_unit_test_setup(test_churn_invariant, setup),
        cmocka_unit_test_setup(test_counter_wrap_power_of_two, setup),
    };
    return cmocka_run_group_tests_name("pmu/sampling/ring.c", tests, NULL, NULL);
}
