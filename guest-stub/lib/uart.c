/* uart.c - COM1 at 115200 8N1, polled, no interrupts.
 * Bochs' BIOS leaves the line at 5 data bits, so always program LCR. */
#include "uart.h"
#include "x86.h"

/* Bound every wait so that a UART that never becomes ready (a broken virtual
 * device) costs output, not a hang.  At 115200 baud one character takes
 * ~87 us: far fewer polls than this on any emulator we use. */
#define UART_SPIN_LIMIT (1u << 22)

static void uart_wait(unsigned char bit)
{
    for (unsigned int i = 0; i < UART_SPIN_LIMIT; i++)
        if (inb(COM1_BASE + UART_LSR) & bit)
            return;
}

void uart_init(void)
{
    outb(COM1_BASE + UART_IER, 0x00);           /* no interrupts */
    outb(COM1_BASE + UART_LCR, LCR_DLAB);
    outb(COM1_BASE + UART_DLL, 1);              /* divisor 1: 115200 baud */
    outb(COM1_BASE + UART_DLM, 0);
    outb(COM1_BASE + UART_LCR, LCR_8N1);        /* clears DLAB */
    outb(COM1_BASE + UART_FCR, 0xC7);           /* enable + clear FIFOs, 14-byte threshold */
    outb(COM1_BASE + UART_MCR, 0x03);           /* DTR, RTS; OUT2 off: no IRQ */
}

void uart_putc(char c)
{
    uart_wait(LSR_THRE);
    outb(COM1_BASE + UART_THR, (unsigned char)c);
}

void uart_puts(const char *s)
{
    while (*s)
        uart_putc(*s++);
}

void uart_drain(void)
{
    uart_wait(LSR_TEMT);
}
