/* 16550 register model (PC16550D datasheet, "Register Summary"). */
#include "hv/vuart.h"
#include "hv/string.h"
#include "perfvisor/visible.h"

#define REG_DATA 0   /* THR / RBR, or DLL with DLAB */
#define REG_IER  1   /* or DLM with DLAB */
#define REG_IIR  2   /* read: interrupt identification; write: FCR */
#define REG_LCR  3
#define REG_MCR  4
#define REG_LSR  5
#define REG_MSR  6
#define REG_SCR  7

#define LCR_DLAB   0x80
#define IIR_NO_INT 0x01          /* no interrupt pending */
#define IIR_THRE   0x02          /* transmitter holding register empty */
#define IER_ETBEI  0x02          /* enable transmitter holding register empty interrupt */
#define MCR_OUT2   0x08          /* gates the interrupt onto the PC's IRQ line */
#define IIR_FIFO   0xC0          /* FIFOs enabled */
#define LSR_THRE   0x20          /* transmit holding register empty */
#define LSR_TEMT   0x40          /* transmitter empty */
#define MSR_CTS_DSR_DCD 0xB0     /* clear to send, data set ready, carrier detect */
#define MCR_LOOP   0x10

void vuart_reset(struct vuart *u)
{
    memset(u, 0, sizeof(*u));
    u->lcr = 0x03;
}

int vuart_irq(const struct vuart *u)
{
    return u->thre_pending && (u->mcr & MCR_OUT2);
}

void vuart_flush(struct vuart *u, vuart_line_fn emit, void *ctx)
{
    if (u->len) {
        emit(ctx, u->line, u->len);
        u->len = 0;
    }
}

/* A byte the guest transmitted.  It is escaped here, at the source, as `cat -v` shows it
 * (include/perfvisor/visible.h): console text then holds only printable ASCII, so no guest can
 * write the capture sync byte 0xFE or a terminal escape sequence into the serial stream
 * (docs/capture-format.md, "Console text cannot form a frame"). */
static void put_char(struct vuart *u, uint8_t c, vuart_line_fn emit, void *ctx)
{
    char vis[VIS_MAX];
    int n;

    u->bytes_out++;
    if (c == '\r')
        return;
    if (c == '\n') {
        emit(ctx, u->line, u->len);
        u->len = 0;
        return;
    }
    n = vis_byte(c, vis);
    if (u->len + n > VUART_LINE_MAX)      /* a rendering is never split across two lines */
        vuart_flush(u, emit, ctx);
    for (int i = 0; i < n; i++)
        u->line[u->len++] = vis[i];
    if (u->len == VUART_LINE_MAX)
        vuart_flush(u, emit, ctx);
}

void vuart_access(struct vuart *u, int reg, int is_write, uint8_t *val, vuart_line_fn emit, void *ctx)
{
    int dlab = u->lcr & LCR_DLAB;

    if (is_write) {
        switch (reg) {
        case REG_DATA:
            if (dlab)
                u->dll = *val;
            else {
                if (!(u->mcr & MCR_LOOP))
                    put_char(u, *val, emit, ctx);
                /* sent at once: THR is empty again (the write cleared THRE, sending set it) */
                u->thre_pending = (u->ier & IER_ETBEI) != 0;
            }
            break;
        case REG_IER:
            if (dlab) {
                u->dlm = *val;
            } else {
                if ((*val & IER_ETBEI) && !(u->ier & IER_ETBEI))
                    u->thre_pending = 1;        /* enabled while THR is empty */
                else if (!(*val & IER_ETBEI))
                    u->thre_pending = 0;
                u->ier = *val & 0x0F;
            }
            break;
        case REG_IIR: u->fcr = *val; break;
        case REG_LCR: u->lcr = *val; break;
        case REG_MCR: u->mcr = *val & 0x1F; break;
        case REG_SCR: u->scr = *val; break;
        default: break;                 /* LSR, MSR: read-only */
        }
        return;
    }
    switch (reg) {
    case REG_DATA: *val = dlab ? u->dll : 0; break;    /* no input: RBR reads 0 */
    case REG_IER: *val = dlab ? u->dlm : u->ier; break;
    case REG_IIR:
        *val = (u->thre_pending ? IIR_THRE : IIR_NO_INT) | ((u->fcr & 1) ? IIR_FIFO : 0);
        u->thre_pending = 0;            /* reading IIR that reports THRE clears it */
        break;
    case REG_LCR: *val = u->lcr; break;
    case REG_MCR: *val = u->mcr; break;
    case REG_LSR: *val = LSR_THRE | LSR_TEMT; break;  /* always ready, never data */
    case REG_MSR: *val = MSR_CTS_DSR_DCD; break;
    default: *val = u->scr; break;
    }
}
