/* The console line, shared by console text and binary capture frames: a transmit queue in
 * front of the UART (hv/console_queue.c) and when it is pumped.  The UART itself is the
 * architecture's (arch/x86/serial.c), behind the two arch_uart_* calls below. */
#ifndef HV_CONSOLE_H
#define HV_CONSOLE_H

#include <stddef.h>
#include <stdint.h>

struct vcpu;

#define CONSOLE_QUEUE_SIZE (64 * 1024)   /* a power of two; far larger than a capture frame */

/* Queues text ('\n' becomes "\r\n"); waits for room when the queue is full: text is never lost. */
void console_write(const char *s, size_t len);
/* Queues binary bytes (a capture frame) if they fit whole; 0, or -ENOSPC when the queue is too full
 * (the caller keeps its samples and tries later).  Never waits. */
int console_try_binary(const uint8_t *p, size_t len);
/* Bytes the queue can take now. */
uint32_t console_queue_room(void);
/* Sends everything queued, waiting for the UART. */
void console_flush(void);

/* When the queue is pumped, and who pays for it: the only two calls the run loops make.
 * After each VM exit of v: moves queued bytes to the UART as far as it has room, never waits;
 * the time it took is export work, added to v->export_ticks and returned (the caller keeps it
 * out of the exit's own time).  A plain variable test when nothing waits (every exit). */
extern uint32_t console_queued;          /* bytes in the queue */
uint64_t console_pump_for(struct vcpu *v);
static inline uint64_t console_service(struct vcpu *v)
{
    return __builtin_expect(console_queued != 0, 0) ? console_pump_for(v) : 0;
}
/* After each time slice of v, when profiling: the profiler's rings drained into the queue
 * (as many frames as fit), then pumped; charged to v as one export (export_count). */
void console_service_slice(struct vcpu *v);

/* Provided by the architecture's UART driver. */
unsigned arch_uart_tx_room(void);        /* bytes the UART takes now without waiting (0: busy) */
void arch_uart_put(uint8_t b);           /* one byte into the transmitter; only after room */

#endif
