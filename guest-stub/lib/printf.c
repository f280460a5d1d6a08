/* printf.c - minimal printf writing to COM1 (see printf.h). */
#include <stdint.h>
#include "printf.h"
#include "uart.h"

/* 64-by-32-bit division without libgcc (no 32-bit libgcc is installed):
 * divide the high word first, then DIV the remainder:low pair, whose
 * quotient fits 32 bits because remainder < base. */
static uint32_t divmod64(uint64_t *n, uint32_t base)
{
    uint32_t hi = (uint32_t)(*n >> 32), lo = (uint32_t)*n;
    uint32_t qhi = hi / base, rem = hi % base, qlo;
    __asm__("divl %4" : "=a"(qlo), "=d"(rem) : "a"(lo), "d"(rem), "rm"(base));
    *n = ((uint64_t)qhi << 32) | qlo;
    return rem;
}

struct spec {
    int width;
    int zero;   /* pad with '0' */
    int left;   /* left-justify */
};

static int emit_padded(const char *s, int len, const struct spec *sp, int neg)
{
    int pad = sp->width - len - neg, n = 0;
    if (!sp->left && !sp->zero)
        for (; pad > 0; pad--, n++)
            uart_putc(' ');
    if (neg) {
        uart_putc('-');
        n++;
    }
    if (!sp->left)
        for (; pad > 0; pad--, n++)
            uart_putc('0');
    for (int i = 0; i < len; i++, n++)
        uart_putc(s[i]);
    for (; pad > 0; pad--, n++)
        uart_putc(' ');
    return n;
}

static int emit_number(uint64_t v, uint32_t base, int upper, int neg, const struct spec *sp)
{
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char buf[24];
    int i = sizeof(buf);
    do
        buf[--i] = digits[divmod64(&v, base)];
    while (v);
    return emit_padded(buf + i, sizeof(buf) - i, sp, neg);
}

int vprintf(const char *fmt, va_list ap)
{
    int n = 0;
    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            uart_putc(*fmt);
            n++;
            continue;
        }
        struct spec sp = { 0, 0, 0 };
        for (;; fmt++) {
            if (fmt[1] == '0')
                sp.zero = 1;
            else if (fmt[1] == '-')
                sp.left = 1;
            else
                break;
        }
        if (fmt[1] == '*') {
            sp.width = va_arg(ap, int);
            fmt++;
        }
        while (fmt[1] >= '0' && fmt[1] <= '9')
            sp.width = sp.width * 10 + (*++fmt - '0');
        int lng = 0;
        while (fmt[1] == 'l') {
            lng++;
            fmt++;
        }
        char conv = *++fmt;
        uint64_t u;
        switch (conv) {
        case 'd':
        case 'i': {
            int64_t s = lng >= 2 ? va_arg(ap, long long) : lng ? va_arg(ap, long) : va_arg(ap, int);
            u = s < 0 ? -(uint64_t)s : (uint64_t)s;
            n += emit_number(u, 10, 0, s < 0, &sp);
            break;
        }
        case 'u':
        case 'x':
        case 'X':
            u = lng >= 2 ? va_arg(ap, unsigned long long)
                : lng ? va_arg(ap, unsigned long) : va_arg(ap, unsigned int);
            n += emit_number(u, conv == 'u' ? 10 : 16, conv == 'X', 0, &sp);
            break;
        case 'p':
            uart_puts("0x");
            n += 2 + emit_number((uintptr_t)va_arg(ap, void *), 16, 0, 0, &sp);
            break;
        case 's': {
            const char *s = va_arg(ap, const char *);
            int len = 0;
            if (!s)
                s = "(null)";
            while (s[len])
                len++;
            sp.zero = 0;
            n += emit_padded(s, len, &sp, 0);
            break;
        }
        case 'c': {
            char c = (char)va_arg(ap, int);
            sp.zero = 0;
            n += emit_padded(&c, 1, &sp, 0);
            break;
        }
        case '%':
            uart_putc('%');
            n++;
            break;
        case '\0':              /* lone '%' at the end */
            return n;
        default:                /* unknown: print it verbatim */
            uart_putc('%');
            uart_putc(conv);
            n += 2;
            break;
        }
    }
    return n;
}

int printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vprintf(fmt, ap);
    va_end(ap);
    return n;
}
