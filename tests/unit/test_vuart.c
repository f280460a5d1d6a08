/* hv/vuart.c: the 16550 a guest sees at COM1 (PC16550D datasheet, "Register Summary"). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "hv/vuart.h"

enum { DATA = 0, IER = 1, IIR_FCR = 2, LCR = 3, MCR = 4, LSR = 5, MSR = 6, SCR = 7 };

/* The line callback's record. */
static struct {
    int calls;
    char lines[8][VUART_LINE_MAX + 1];
    int lens[8];
    void *ctx;
} seen;

static void on_line(void *ctx, const char *line, int len)
{
    if (seen.calls < 8) {
        memcpy(seen.lines[seen.calls], line, len);
        seen.lines[seen.calls][len] = '\0';
        seen.lens[seen.calls] = len;
    }
    seen.ctx = ctx;
    seen.calls++;
}

static struct vuart u;
static int ctx_marker;

static int setup(void **state)
{
    (void)state;
    memset(&seen, 0, sizeof(seen));
    memset(&u, 0x5A, sizeof(u));           /* reset must clear everything */
    vuart_reset(&u);
    return 0;
}

static void wr(int reg, uint8_t v)
{
    vuart_access(&u, reg, 1, &v, on_line, &ctx_marker);
}

static uint8_t rd(int reg)
{
    uint8_t v = 0x99;
    vuart_access(&u, reg, 0, &v, on_line, &ctx_marker);
    return v;
}

static void puts_uart(const char *s)
{
    while (*s)
        wr(DATA, (uint8_t)*s++);
}

static void test_reset_state(void **state)
{
    (void)state;
    assert_int_equal(rd(LCR), 0x03);       /* 8 data bits, no parity, 1 stop */
    assert_int_equal(rd(IER), 0);
    assert_int_equal(rd(MCR), 0);
    assert_int_equal(rd(SCR), 0);
    assert_int_equal(rd(DATA), 0);         /* no input: RBR reads 0 */
    assert_int_equal(u.len, 0);
    assert_int_equal(u.bytes_out, 0);
}

static void test_dlab_switches_dll_dlm(void **state)
{
    (void)state;
    wr(IER, 0x05);
    wr(LCR, 0x83);                         /* DLAB on */
    wr(DATA, 0x01);                        /* DLL: divisor 1 = 115200 baud */
    wr(IER, 0x02);                         /* DLM */
    assert_int_equal(rd(DATA), 0x01);
    assert_int_equal(rd(IER), 0x02);
    assert_int_equal(seen.calls, 0);
    assert_int_equal(u.bytes_out, 0);      /* the DLL write was not output */
    wr(LCR, 0x03);                         /* DLAB off: THR/RBR and IER again */
    assert_int_equal(rd(IER), 0x05);
    assert_int_equal(rd(DATA), 0);
    wr(DATA, 'A');
    assert_int_equal(u.bytes_out, 1);
    assert_int_equal(u.dll, 0x01);         /* THR writes leave the divisor alone */
    assert_int_equal(u.dlm, 0x02);
}

static void test_ier_keeps_low_four_bits(void **state)
{
    (void)state;
    wr(IER, 0xFF);
    assert_int_equal(rd(IER), 0x0F);
}

static void test_lsr_always_ready(void **state)
{
    (void)state;
    assert_int_equal(rd(LSR), 0x60);       /* THRE | TEMT, no data ready */
    puts_uart("busy?");
    assert_int_equal(rd(LSR), 0x60);
    wr(LSR, 0x00);                         /* read-only */
    assert_int_equal(rd(LSR), 0x60);
    assert_int_equal(rd(MSR), 0xB0);       /* CTS, DSR, DCD */
}

static void test_iir_reflects_fifo_enable(void **state)
{
    (void)state;
    assert_int_equal(rd(IIR_FCR), 0x01);   /* no interrupt pending, no FIFO */
    wr(IIR_FCR, 0xC7);                     /* enable and clear FIFOs, trigger level 14 */
    assert_int_equal(rd(IIR_FCR), 0xC1);
    wr(IIR_FCR, 0x00);
    assert_int_equal(rd(IIR_FCR), 0x01);
}

/* THRE interrupt: pending while ETBEI is set and THR empty (always, here); set by enabling
 * ETBEI and by each THR write, cleared by the IIR read that reports it or by clearing ETBEI. */
static void test_thre_interrupt_rules(void **state)
{
    (void)state;
    wr(MCR, 0x08);                         /* OUT2: the interrupt reaches the IRQ line */
    assert_int_equal(vuart_irq(&u), 0);
    wr(IER, 0x02);                         /* ETBEI with THR empty: pending at once */
    assert_int_equal(vuart_irq(&u), 1);
    assert_int_equal(rd(IIR_FCR), 0x02);   /* THRE is the source ... */
    assert_int_equal(vuart_irq(&u), 0);    /* ... and reading IIR that says so clears it */
    assert_int_equal(rd(IIR_FCR), 0x01);
    wr(DATA, 'x');                         /* sent at once: THR empty again, pending again */
    assert_int_equal(vuart_irq(&u), 1);
    wr(IER, 0x02);                         /* ETBEI already set: no new event, still pending */
    assert_int_equal(vuart_irq(&u), 1);
    wr(IER, 0x00);                         /* clearing ETBEI withdraws it */
    assert_int_equal(vuart_irq(&u), 0);
    assert_int_equal(rd(IIR_FCR), 0x01);
    wr(DATA, 'y');                         /* with ETBEI clear a write raises nothing */
    assert_int_equal(vuart_irq(&u), 0);
    wr(IER, 0x01);                         /* received-data interrupts: there is no input */
    assert_int_equal(vuart_irq(&u), 0);
    assert_int_equal(rd(IIR_FCR), 0x01);
}

/* OUT2 gates the line, not the interrupt: IIR still reports it with OUT2 clear. */
static void test_out2_gates_irq_line(void **state)
{
    (void)state;
    wr(IER, 0x02);
    assert_int_equal(vuart_irq(&u), 0);
    wr(MCR, 0x0B);
    assert_int_equal(vuart_irq(&u), 1);
    wr(MCR, 0x03);
    assert_int_equal(vuart_irq(&u), 0);
    wr(IIR_FCR, 0xC7);
    assert_int_equal(rd(IIR_FCR), 0xC2);   /* FIFOs on, THRE pending */
}

/* Linux's 8250 start-up test for a THRE interrupt that does not reassert (UART_BUG_THRE):
 * IER=THRI, read IIR, IER=0, IER=THRI, read IIR: both reads must report THRE. */
static void test_linux_thre_probe_sees_interrupt(void **state)
{
    (void)state;
    wr(MCR, 0x0B);
    wr(IER, 0x02);
    uint8_t iir1 = rd(IIR_FCR);
    wr(IER, 0x00);
    wr(IER, 0x02);
    uint8_t iir = rd(IIR_FCR);
    assert_int_equal(iir1 & 0x0F, 0x02);
    assert_int_equal(iir & 0x0F, 0x02);
}

static void test_scratch_register(void **state)
{
    (void)state;
    wr(SCR, 0xA5);
    assert_int_equal(rd(SCR), 0xA5);
    wr(SCR, 0x5A);
    assert_int_equal(rd(SCR), 0x5A);
}

static void test_mcr_and_loopback_suppresses_output(void **state)
{
    (void)state;
    wr(MCR, 0xFF);
    assert_int_equal(rd(MCR), 0x1F);
    wr(MCR, 0x10);                         /* loopback: probes write here and expect no output */
    puts_uart("probe\n");
    assert_int_equal(seen.calls, 0);
    assert_int_equal(u.bytes_out, 0);
    wr(MCR, 0x0B);                         /* DTR, RTS, OUT2: back to normal */
    puts_uart("out\n");
    assert_int_equal(seen.calls, 1);
    assert_string_equal(seen.lines[0], "out");
}

static void test_lines_drop_cr_and_emit_on_lf(void **state)
{
    (void)state;
    puts_uart("hello\r\nworld");
    assert_int_equal(seen.calls, 1);
    assert_string_equal(seen.lines[0], "hello");
    assert_int_equal(seen.lens[0], 5);
    assert_ptr_equal(seen.ctx, &ctx_marker);
    assert_int_equal(u.bytes_out, 12);     /* every byte counts, \r included */
    puts_uart("\n\n");
    assert_int_equal(seen.calls, 3);
    assert_string_equal(seen.lines[1], "world");
    assert_int_equal(seen.lens[2], 0);     /* an empty line is a line */
}

static void test_long_line_flushed_at_max(void **state)
{
    (void)state;
    char buf[VUART_LINE_MAX + 6];
    memset(buf, 'x', VUART_LINE_MAX);
    memcpy(buf + VUART_LINE_MAX, "tail\n", 6);
    for (int i = 0; i < VUART_LINE_MAX - 1; i++)
        wr(DATA, 'x');
    assert_int_equal(seen.calls, 0);
    wr(DATA, 'x');                         /* the VUART_LINE_MAX-th character */
    assert_int_equal(seen.calls, 1);
    assert_int_equal(seen.lens[0], VUART_LINE_MAX);
    assert_memory_equal(seen.lines[0], buf, VUART_LINE_MAX);
    puts_uart("tail\n");
    assert_int_equal(seen.calls, 2);
    assert_string_equal(seen.lines[1], "tail");
}

static void test_flush_emits_partial_line_once(void **state)
{
    (void)state;
    vuart_flush(&u, on_line, &ctx_marker);
    assert_int_equal(seen.calls, 0);       /* nothing pending: nothing emitted */
    puts_uart("no newline");
    vuart_flush(&u, on_line, &ctx_marker);
    assert_int_equal(seen.calls, 1);
    assert_string_equal(seen.lines[0], "no newline");
    vuart_flush(&u, on_line, &ctx_marker);
    assert_int_equal(seen.calls, 1);
}

/* Every byte value comes out as printable ASCII, rendered as `cat -v` does; 0xFE (the capture
 * sync byte) can never reach the serial stream from a guest. */
static void test_bytes_escaped_as_cat_v(void **state)
{
    (void)state;
    static const uint8_t in[] = { 0x1b, ']', '0', ';', 'x', 0x07, 0x00, 0x7f, 0xfe, 0xca, 0x80, 0x9b, '\t', 'a', '\n' };
    for (size_t i = 0; i < sizeof(in); i++)
        wr(DATA, in[i]);
    assert_int_equal(seen.calls, 1);
    assert_string_equal(seen.lines[0], "^[]0;x^G^@^?M-~M-JM-^@M-^[\ta");
    assert_int_equal(u.bytes_out, sizeof(in));
}

static void test_no_byte_value_escapes_unrendered(void **state)
{
    (void)state;
    for (int c = 0; c < 256; c++)
        if (c != '\n')
            wr(DATA, (uint8_t)c);
    wr(DATA, '\n');
    int total = 0;
    for (int i = 0; i < seen.calls && i < 8; i++) {
        for (int k = 0; k < seen.lens[i]; k++) {
            uint8_t b = (uint8_t)seen.lines[i][k];
            assert_true(b == '\t' || (b >= 0x20 && b < 0x7f));
        }
        assert_true(seen.lens[i] <= VUART_LINE_MAX);
        total += seen.lens[i];
    }
    /* Low half: 95 printable + TAB as themselves, 29 other controls (\n, \r not written or
     * dropped) and DEL as 2 bytes.  High half, "M-" and then: 95 printable as 1 byte, 32 controls
     * (TAB included, as cat -v) and DEL as 2. */
    assert_int_equal(total, (96 + 2 * 30) + (3 * 95 + 4 * 33));
}

/* A rendering is never split at the line limit: the line is flushed before it. */
static void test_rendering_not_split_at_line_end(void **state)
{
    (void)state;
    for (int i = 0; i < VUART_LINE_MAX - 2; i++)
        wr(DATA, 'x');
    wr(DATA, 0x9b);                        /* "M-^[": 4 bytes, only 2 left */
    assert_int_equal(seen.calls, 1);
    assert_int_equal(seen.lens[0], VUART_LINE_MAX - 2);
    wr(DATA, '\n');
    assert_string_equal(seen.lines[1], "M-^[");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_reset_state, setup),
        cmocka_unit_test_setup(test_bytes_escaped_as_cat_v, setup),
        cmocka_unit_test_setup(test_no_byte_value_escapes_unrendered, setup),
        cmocka_unit_test_setup(test_rendering_not_split_at_line_end, setup),
        cmocka_unit_test_setup(test_dlab_switches_dll_dlm, setup),
        cmocka_unit_test_setup(test_ier_keeps_low_four_bits, setup),
        cmocka_unit_test_setup(test_lsr_always_ready, setup),
        cmocka_unit_test_setup(test_iir_reflects_fifo_enable, setup),
        cmocka_unit_test_setup(test_scratch_register, setup),
        cmocka_unit_test_setup(test_thre_interrupt_rules, setup),
        cmocka_unit_test_setup(test_out2_gates_irq_line, setup),
        cmocka_unit_test_setup(test_linux_thre_probe_sees_interrupt, setup),
        cmocka_unit_test_setup(test_mcr_and_loopback_suppresses_output, setup),
        cmocka_unit_test_setup(test_lines_drop_cr_and_emit_on_lf, setup),
        cmocka_unit_test_setup(test_long_line_flushed_at_max, setup),
        cmocka_unit_test_setup(test_flush_emits_partial_line_once, setup),
    };
    return cmocka_run_group_tests_name("hv/vuart.c", tests, NULL, NULL);
}
