/* COM1 16550 UART console, polled (no interrupts), behind a transmit queue.
 *
 * Text and binary capture frames share the one line, so everything goes through a single
 * queue: text is queued whole (and waits for room when the queue is full: no text is lost),
 * a frame is queued only if it fits whole (so the sampler never waits on the UART), and the
 * queue is pumped without waiting from the VM-exit path whenever the UART has room.
 * Register offsets: PC16550D datasheet. */
#include "arch/x86/serial.h"
#include "arch/x86/cpu.h"
#include "hv/console.h"
#include "hv/printf.h"

#define COM1      0x3F8
#define UART_THR  0   /* transmit holding (write, DLAB=0) */
#define UART_DLL  0   /* divisor latch low (DLAB=1) */
#define UART_IER  1   /* interrupt enable */
#define UART_DLM  1   /* divisor latch high (DLAB=1) */
#define UART_FCR  2   /* FIFO control (write) */
#define UART_LCR  3   /* line control */
#define UART_MCR  4   /* modem control */
#define UART_LSR  5   /* line status */
#define LCR_8N1   0x03  /* 8 data bits, no parity, 1 stop bit (Bochs' BIOS leaves 5 bits) */
#define LCR_DLAB  0x80  /* divisor latch access */
#define FCR_ENABLE_CLEAR 0xC7  /* enable and clear FIFOs, 14-byte trigger */
#define MCR_DTR_RTS 0x03
#define LSR_THRE  0x20  /* transmit holding register (FIFO) empty */
#define LSR_TEMT  0x40  /* transmitter empty (shift register too) */
#define UART_FIFO 16    /* bytes the transmit FIFO takes once THRE is set */

#define TXQ_SIZE  (64 * 1024)   /* a power of two */

static uint8_t txq[TXQ_SIZE];
static uint32_t txq_head, txq_tail;      /* free-running: count = head - tail */
uint32_t console_queued;                 /* head - tail, for console_pending() */

void serial_init(void)
{
    outb(COM1 + UART_IER, 0x00);
    outb(COM1 + UART_LCR, LCR_DLAB);
    outb(COM1 + UART_DLL, 1);          /* 115200 baud = 115200 / 1 */
    outb(COM1 + UART_DLM, 0);
    outb(COM1 + UART_LCR, LCR_8N1);
    outb(COM1 + UART_FCR, FCR_ENABLE_CLEAR);
    outb(COM1 + UART_MCR, MCR_DTR_RTS);
}

static uint32_t txq_room(void) { return TXQ_SIZE - (txq_head - txq_tail); }

static void txq_put(uint8_t b) { txq[txq_head++ & (TXQ_SIZE - 1)] = b; }

void console_pump(void)
{
    if (txq_head == txq_tail || !(inb(COM1 + UART_LSR) & LSR_THRE))
        return;
    for (int n = 0; n < UART_FIFO && txq_head != txq_tail; n++)
        outb(COM1 + UART_THR, txq[txq_tail++ & (TXQ_SIZE - 1)]);
    console_queued = txq_head - txq_tail;
}

void console_flush(void)
{
    while (txq_head != txq_tail) {
        console_pump();
        cpu_relax();
    }
}

void serial_drain(void)
{
    console_flush();
    while (!(inb(COM1 + UART_LSR) & LSR_TEMT))
        cpu_relax();
}

void arch_console_write(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        while (txq_room() < 2) {       /* text waits for room: it is never dropped */
            console_pump();
            cpu_relax();
        }
        if (s[i] == '\n')
            txq_put('\r');
        txq_put((uint8_t)s[i]);
    }
    console_queued = txq_head - txq_tail;
}

int console_try_binary(const uint8_t *p, size_t len)
{
    if (txq_room() < len)
        return -1;
    for (size_t i = 0; i < len; i++)
        txq_put(p[i]);
    console_queued = txq_head - txq_tail;
    return 0;
}

uint32_t console_queue_room(void) { return txq_room(); }
