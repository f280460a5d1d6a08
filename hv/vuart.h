/* A 16550 UART as a guest sees it at 0x3F8: polled and interrupt-driven output, probing.
 * Output is collected into lines; each complete line goes to a callback.
 *
 * Interrupts (PC16550D datasheet, "Interrupt Identification Register" and Table IV): the
 * transmitter is never busy (a byte goes out the moment it is written), so the only source is
 * "transmitter holding register empty" (IIR 02H), pending while IER bit 1 (ETBEI) is set:
 * raised when ETBEI goes from 0 to 1 and after each THR write, cleared by a read of IIR that
 * reports it, or by clearing ETBEI.  There is no input (nothing is forwarded to guests), so
 * "received data available", line status and modem status never interrupt.  The interrupt
 * reaches the PC's IRQ line only while MCR bit 3 (OUT2) is set, as on a PC's COM port:
 * vuart_irq() is that line's level, for the caller to route (IRQ 4 on the domain's I/O APIC). */
#ifndef HV_VUART_H
#define HV_VUART_H

#include <stdint.h>

#define VUART_LINE_MAX 200

typedef void (*vuart_line_fn)(void *ctx, const char *line, int len);

struct vuart {
    uint8_t ier, lcr, mcr, scr, dll, dlm, fcr;
    uint8_t thre_pending;           /* the THRE interrupt is pending (see above) */
    char line[VUART_LINE_MAX];
    int len;
    uint64_t bytes_out;
};

void vuart_reset(struct vuart *u);
/* An access to register `reg` (0-7).  Writes pass *val; reads return it. */
void vuart_access(struct vuart *u, int reg, int is_write, uint8_t *val, vuart_line_fn emit, void *ctx);
/* The level of the UART's IRQ line: an interrupt pending and OUT2 set. */
int vuart_irq(const struct vuart *u);
/* Emits a partial last line, if any. */
void vuart_flush(struct vuart *u, vuart_line_fn emit, void *ctx);

#endif
