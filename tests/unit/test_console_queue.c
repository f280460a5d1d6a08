/* hv/console_queue.c: the console transmit queue and when it is pumped — text is never lost,
 * a frame goes whole or not at all, a pump never waits and moves only what the UART takes,
 * and the time spent pumping is the vCPU's export work. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "hv/console.h"
#include "hv/domain.h"
#include "hv/errno.h"
#include "hv/platform.h"
#include "pmu/sampling/prof.h"

/* ---- fakes: a UART that records what it sent, a clock, the profiler's drain ---- */
static uint8_t wire[CONSOLE_QUEUE_SIZE + 4096];
static size_t wire_len;
static unsigned uart_fifo = 16;          /* room once ready */
static int uart_busy_polls;              /* polls that find it busy before it is ready */
static int uart_polls;
static uint64_t clock_now, clock_step = 5;
static int clock_reads;
static int drains;
static const uint8_t *drain_frame;       /* what the fake drain queues */
static size_t drain_len;
struct prof_config prof;

unsigned arch_uart_tx_room(void)
{
    uart_polls++;
    if (uart_busy_polls > 0) {
        uart_busy_polls--;
        return 0;
    }
    return uart_fifo;
}

void arch_uart_put(uint8_t b)
{
    assert_true(wire_len < sizeof(wire));
    wire[wire_len++] = b;
}

uint64_t platform_ticks(void)
{
    clock_reads++;
    return clock_now += clock_step;
}

void prof_drain(void)
{
    drains++;
    if (drain_frame)
        assert_int_equal(console_try_binary(drain_frame, drain_len), 0);
}

/* Empties the queue (whatever a test left) and resets every fake. */
static int setup(void **state)
{
    (void)state;
    uart_busy_polls = 0;
    uart_fifo = 16;
    console_flush();
    wire_len = 0;
    uart_polls = clock_reads = drains = 0;
    clock_now = 1000;
    clock_step = 5;
    drain_frame = NULL;
    memset(&prof, 0, sizeof(prof));
    return 0;
}

static void test_text_is_queued_with_crlf_and_sent_by_flush(void **state)
{
    (void)state;
    console_write("a\nb", 3);
    assert_int_equal(wire_len, 0);                    /* queued, not sent */
    assert_int_equal(console_queued, 4);
    console_flush();
    assert_int_equal(wire_len, 4);
    assert_memory_equal(wire, "a\r\nb", 4);
    assert_int_equal(console_queued, 0);
}

static void test_service_without_bytes_touches_neither_uart_nor_clock(void **state)
{
    (void)state;
    struct vcpu v = { 0 };
    assert_int_equal(console_service(&v), 0);
    assert_int_equal(uart_polls, 0);
    assert_int_equal(clock_reads, 0);
    assert_int_equal(v.export_ticks, 0);
}

static void test_service_moves_only_what_the_uart_takes(void **state)
{
    (void)state;
    struct vcpu v = { 0 };
    char text[40];
    memset(text, 'x', sizeof(text));
    console_write(text, sizeof(text));
    console_service(&v);
    assert_int_equal(wire_len, 16);                   /* one FIFO's worth, no waiting */
    assert_int_equal(console_queued, 24);
    assert_int_equal(uart_polls, 1);
}

static void test_service_on_a_busy_uart_moves_nothing(void **state)
{
    (void)state;
    struct vcpu v = { 0 };
    console_write("hello", 5);
    uart_busy_polls = 1;
    console_service(&v);
    assert_int_equal(wire_len, 0);
    assert_int_equal(console_queued, 5);
    assert_int_equal(uart_polls, 1);                  /* polled once, did not wait */
}

static void test_service_charges_its_time_to_the_vcpu_as_export(void **state)
{
    (void)state;
    struct vcpu v = { 0 };
    v.export_ticks = 100;
    console_write("hi", 2);
    clock_step = 7;
    uint64_t dt = console_service(&v);
    assert_int_equal(dt, 7);                          /* two clock reads, 7 apart */
    assert_int_equal(v.export_ticks, 107);
    assert_int_equal(v.export_count, 0);              /* a pump after an exit is not a drain */
}

static void test_binary_goes_whole_or_not_at_all(void **state)
{
    (void)state;
    static uint8_t big[CONSOLE_QUEUE_SIZE];
    memset(big, 0xAB, sizeof(big));
    assert_int_equal(console_try_binary(big, CONSOLE_QUEUE_SIZE - 10), 0);
    assert_int_equal(console_queue_room(), 10);
    assert_int_equal(console_try_binary(big, 11), -ENOSPC);      /* does not fit: nothing queued */
    assert_int_equal(console_queue_room(), 10);
    assert_int_equal(console_try_binary(big, 10), 0);
    assert_int_equal(console_queue_room(), 0);
    assert_int_equal(console_queued, CONSOLE_QUEUE_SIZE);
    assert_int_equal(wire_len, 0);                    /* never waits, never pumps */
}

static void test_text_waits_for_room_and_loses_nothing(void **state)
{
    (void)state;
    static uint8_t big[CONSOLE_QUEUE_SIZE];
    for (size_t i = 0; i < sizeof(big); i++)
        big[i] = (uint8_t)i;
    assert_int_equal(console_try_binary(big, sizeof(big)), 0);   /* the queue is full */
    uart_busy_polls = 3;
    console_write("z\n", 2);
    assert_int_equal(uart_polls, 4);                  /* waited through the busy polls */
    console_flush();
    assert_int_equal(wire_len, sizeof(big) + 3);
    assert_memory_equal(wire, big, sizeof(big));
    assert_memory_equal(wire + sizeof(big), "z\r\n", 3);
}

static void test_slice_service_without_profiling_does_nothing(void **state)
{
    (void)state;
    struct vcpu v = { 0 };
    console_write("t", 1);
    console_service_slice(&v);
    assert_int_equal(drains, 0);
    assert_int_equal(wire_len, 0);
    assert_int_equal(v.export_count, 0);
    assert_int_equal(v.export_ticks, 0);
}

static void test_slice_service_drains_then_pumps_as_one_export(void **state)
{
    (void)state;
    struct vcpu v = { 0 };
    static const uint8_t frame[20] = { 0xFE, 0xCA, 1, 2, 3 };
    prof.enabled = 1;
    drain_frame = frame;
    drain_len = sizeof(frame);
    clock_step = 11;
    console_service_slice(&v);
    assert_int_equal(drains, 1);
    assert_int_equal(wire_len, 16);                   /* the drained frame's first FIFO */
    assert_memory_equal(wire, frame, 16);
    assert_int_equal(v.export_count, 1);
    assert_int_equal(v.export_ticks, 11);
    assert_int_equal(console_queued, 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_text_is_queued_with_crlf_and_sent_by_flush, setup),
        cmocka_unit_test_setup(test_service_without_bytes_touches_neither_uart_nor_clock, setup),
        cmocka_unit_test_setup(test_service_moves_only_what_the_uart_takes, setup),
        cmocka_unit_test_setup(test_service_on_a_busy_uart_moves_nothing, setup),
        cmocka_unit_test_setup(test_service_charges_its_time_to_the_vcpu_as_export, setup),
        cmocka_unit_test_setup(test_binary_goes_whole_or_not_at_all, setup),
        cmocka_unit_test_setup(test_text_waits_for_room_and_loses_nothing, setup),
        cmocka_unit_test_setup(test_slice_service_without_profiling_does_nothing, setup),
        cmocka_unit_test_setup(test_slice_service_drains_then_pumps_as_one_export, setup),
    };
    return cmocka_run_group_tests_name("console_queue", tests, NULL, NULL);
}
