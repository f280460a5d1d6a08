/* How a byte a guest wrote is shown: the rendering of `cat -v`, defined once and used by the
 * hypervisor (the virtual UART escapes console bytes at the source, docs/console-protocol.md)
 * and by the host tool (process names, console text read back from a capture), so that the same
 * guest output reads the same everywhere and never reaches a terminal, or the capture stream,
 * as a control byte.
 *
 *   0x20..0x7E and TAB   themselves
 *   0x00..0x1F           '^' then the byte + 0x40        (ESC -> "^[", NUL -> "^@")
 *   0x7F                 "^?"
 *   0x80..0xFF           "M-" then the byte - 0x80 rendered as above, except that 0x89 is
 *                        "M-^I" (0xFE -> "M-~", 0xFF -> "M-^?")
 *
 * Every rendered byte is printable 7-bit ASCII: in particular 0xFE (the capture sync byte,
 * include/perfvisor/capture.h) never comes out.  Header-only, freestanding. */
#ifndef PERFVISOR_VISIBLE_H
#define PERFVISOR_VISIBLE_H

#include <stdint.h>

#define VIS_MAX 4   /* the longest rendering of one byte: "M-^X" */

/* Writes the rendering of c into out (at least VIS_MAX bytes); returns its length (1..4). */
static inline int vis_byte(uint8_t c, char *out)
{
    int n = 0, high = c >= 0x80;
    if (high) {
        out[n++] = 'M';
        out[n++] = '-';
        c = (uint8_t)(c - 0x80);
    }
    if ((c == '\t' && !high) || (c >= 0x20 && c < 0x7F)) {
        out[n++] = (char)c;
    } else if (c == 0x7F) {
        out[n++] = '^';
        out[n++] = '?';
    } else {
        out[n++] = '^';
        out[n++] = (char)(c + 0x40);
    }
    return n;
}

/* 1 if c is shown as itself. */
static inline int vis_is_plain(uint8_t c)
{
    return c == '\t' || (c >= 0x20 && c < 0x7F);
}

#endif
