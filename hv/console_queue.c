/* The console transmit queue and its policy (interface: hv/console.h).
 *
 * Text and binary capture frames share the one line, so everything goes through a single
 * queue: text is queued whole (and waits for room when the queue is full: no text is lost),
 * a frame is queued only if it fits whole (so the sampler never waits on the UART), and the
 * queue is pumped without waiting after every VM exit while bytes wait and after every time
 * slice, the time charged to the vCPU as export work (never to an exit reason). */
#include "hv/console.h"
#include "hv/domain.h"
#include "hv/errno.h"
#include "hv/platform.h"
#include "pmu/sampling/prof.h"

_Static_assert((CONSOLE_QUEUE_SIZE & (CONSOLE_QUEUE_SIZE - 1)) == 0, "queue size: a power of two");

static uint8_t txq[CONSOLE_QUEUE_SIZE];
static uint32_t txq_head, txq_tail;      /* free-running: count = head - tail */
uint32_t console_queued;                 /* head - tail, for console_service() */

static uint32_t txq_room(void) { return CONSOLE_QUEUE_SIZE - (txq_head - txq_tail); }

static void txq_put(uint8_t b) { txq[txq_head++ & (CONSOLE_QUEUE_SIZE - 1)] = b; }

/* Moves queued bytes to the UART as far as it has room now.  Never waits. */
static void pump(void)
{
    if (txq_head == txq_tail)
        return;
    for (unsigned n = arch_uart_tx_room(); n && txq_head != txq_tail; n--)
        arch_uart_put(txq[txq_tail++ & (CONSOLE_QUEUE_SIZE - 1)]);
    console_queued = txq_head - txq_tail;
}

void console_flush(void)
{
    while (txq_head != txq_tail)
        pump();
}

void console_write(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        while (txq_room() < 2)          /* text waits for room: it is never dropped */
            pump();
        if (s[i] == '\n')
            txq_put('\r');
        txq_put((uint8_t)s[i]);
    }
    console_queued = txq_head - txq_tail;
}

int console_try_binary(const uint8_t *p, size_t len)
{
    if (txq_room() < len)
        return -ENOSPC;
    for (size_t i = 0; i < len; i++)
        txq_put(p[i]);
    console_queued = txq_head - txq_tail;
    return 0;
}

uint32_t console_queue_room(void) { return txq_room(); }

uint64_t console_pump_for(struct vcpu *v)
{
    uint64_t t0 = platform_ticks();
    pump();
    uint64_t dt = platform_ticks() - t0;
    v->export_ticks += dt;
    return dt;
}

void console_service_slice(struct vcpu *v)
{
    if (!prof.enabled)                  /* text alone is pumped after exits and by waiting */
        return;
    uint64_t t0 = platform_ticks();
    prof_drain();                       /* the rings empty between slices, never inside */
    pump();
    v->export_ticks += platform_ticks() - t0;
    v->export_count++;
}
