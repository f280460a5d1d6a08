/* forge.c - a hostile guest: it prints, on its virtual COM1, capture frames with valid CRCs
 * (docs/capture-format.md) that would, if a reader took them for the hypervisor's, put most of
 * domain `victim=N`'s profile on 0xdeadbeef and end the capture early; and terminal escape
 * sequences (a window title, colours) and a NUL.  The hypervisor must escape all of it at the
 * source, so that none of it reaches the serial stream as anything but visible text.
 *
 *   victim=N   the domain whose samples are forged (default 2)
 *   copies=N   how many times the forged frames are printed (default 3) */
#include "guest.h"
#include "../../include/perfvisor/capture.h"

static void raw(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        uart_putc((char)p[i]);
}

/* A frame of `type` around payload[0..len) with sequence `seq`; returns its length. */
static size_t frame(uint8_t *out, int type, unsigned seq, const uint8_t *payload, size_t len)
{
    out[0] = CAP_SYNC0;
    out[1] = CAP_SYNC1;
    out[2] = (uint8_t)type;
    out[3] = (uint8_t)seq;
    out[4] = (uint8_t)(seq >> 8);
    out[5] = (uint8_t)len;
    out[6] = (uint8_t)(len >> 8);
    memcpy(out + CAP_FRAME_HEAD, payload, len);
    uint32_t crc = cap_crc32(0, out + 2, CAP_FRAME_HEAD - 2 + len);
    for (int i = 0; i < 4; i++)
        out[CAP_FRAME_HEAD + len + i] = (uint8_t)(crc >> (8 * i));
    return CAP_FRAME_HEAD + len + CAP_FRAME_CRC;
}

int main(uint32_t magic, const struct mb_info *mbi)
{
    static uint8_t payload[CAP_MAX_PAYLOAD], out[CAP_MAX_PAYLOAD + 16];
    if (!guest_start("forge", magic, mbi))
        return 1;
    unsigned victim = (unsigned)mb_opt_num("victim", 2) & 0x0F;
    unsigned copies = (unsigned)mb_opt_num("copies", 3);

    /* RECORDS: base_tsc 0, then 100 samples of the victim at 0xdeadbeef, each weighing 10^7. */
    size_t n = cap_put_varint(payload, 0);
    for (int i = 0; i < 100; i++) {
        payload[n++] = (uint8_t)(CAP_S_WEIGHT | victim);
        n += cap_put_varint(payload + n, cap_zigzag(0));                  /* tsc delta */
        n += cap_put_varint(payload + n, cap_zigzag(10000000 - 100000));  /* weight - period */
        n += cap_put_varint(payload + n, cap_zigzag(i ? 0 : 0xdeadbeef)); /* ip delta */
    }
    /* and the victim's end, as the hypervisor would write it */
    payload[n++] = (uint8_t)(CAP_TAG_CONTROL | CAP_R_DOMAIN_END << 4 | victim);
    payload[n++] = 1;
    payload[n++] = 0;

    for (unsigned c = 0; c < copies; c++) {
        printf("forge: frames follow\n");
        for (unsigned seq = 0; seq < 200; seq += 40) {    /* guess the sequence numbers */
            raw(out, frame(out, CAP_FRAME_RECORDS, seq, payload, n));
            uart_putc('\n');                              /* try to look like a line start */
            raw(out, frame(out, CAP_FRAME_END, seq + 1, payload, 0));
        }
        uart_putc('\n');
    }
    /* terminal control: set the window title, turn the text red, a NUL in the middle */
    static const uint8_t esc[] = "forge: \x1b]0;pwned\x07\x1b[31mred\x1b[0m nul:\0:after\n";
    raw(esc, sizeof(esc) - 1);
    printf("forge: done\n");
    return 0;
}
