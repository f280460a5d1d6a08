/* uart.h - polled 16550 driver for COM1. */
#ifndef GUEST_UART_H
#define GUEST_UART_H

#define COM1_BASE   0x3F8
#define UART_THR    0           /* transmit holding register (DLAB=0) */
#define UART_DLL    0           /* divisor latch low (DLAB=1) */
#define UART_IER    1           /* interrupt enable (DLAB=0) */
#define UART_DLM    1           /* divisor latch high (DLAB=1) */
#define UART_FCR    2           /* FIFO control */
#define UART_LCR    3           /* line control */
#define UART_MCR    4           /* modem control */
#define UART_LSR    5           /* line status */

#define LCR_8N1     0x03        /* 8 data bits, no parity, 1 stop bit */
#define LCR_DLAB    0x80        /* divisor latch access */
#define LSR_THRE    0x20        /* transmit holding register empty: may write */
#define LSR_TEMT    0x40        /* transmitter empty: every bit is on the wire */

void uart_init(void);
void uart_putc(char c);
void uart_puts(const char *s);
void uart_drain(void);

#endif
