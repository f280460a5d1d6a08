/* COM1 16550 UART driver, polled (no interrupts): set-up, room in the transmit FIFO, one
 * byte out, and waiting for the line to go idle.  The transmit queue in front of it and when
 * it is pumped are generic (hv/console_queue.c).  Register offsets: PC16550D datasheet. */
#include "arch/x86/serial.h"
#include "arch/x86/cpu.h"
#include "hv/console.h"

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

unsigned arch_uart_tx_room(void)
{
    if (inb(COM1 + UART_LSR) & LSR_THRE)
        return UART_FIFO;
    cpu_relax();                       /* busy: callers that wait poll again */
    return 0;
}

void arch_uart_put(uint8_t b)
{
    outb(COM1 + UART_THR, b);
}

void serial_drain(void)
{
    console_flush();
    while (!(inb(COM1 + UART_LSR) & LSR_TEMT))
        cpu_relax();
}
