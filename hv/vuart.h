/* A 16550 UART as a guest sees it at 0x3F8: enough for polled output and probing.
 * Output is collected into lines; each complete line goes to a callback. */
#ifndef HV_VUART_H
#define HV_VUART_H

#include <stdint.h>

#define VUART_LINE_MAX 200

typedef void (*vuart_line_fn)(void *ctx, const char *line, int len);

struct vuart {
    uint8_t ier, lcr, mcr, scr, dll, dlm, fcr;
    char line[VUART_LINE_MAX];
    int len;
    uint64_t bytes_out;
};

void vuart_reset(struct vuart *u);
/* An access to register `reg` (0-7).  Writes pass *val; reads return it. */
void vuart_access(struct vuart *u, int reg, int is_write, uint8_t *val, vuart_line_fn emit, void *ctx);
/* Emits a partial last line, if any. */
void vuart_flush(struct vuart *u, vuart_line_fn emit, void *ctx);

#endif
