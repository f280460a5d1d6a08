/* console= and the ACPI SPCR table, pure (see console_select.h).  Table layouts: ACPI 6.4
 * 5.2.5 (RSDP), 5.2.6 (header), 5.2.7-5.2.8 (RSDT/XSDT), 5.2.3.2 (Generic Address Structure);
 * SPCR: Microsoft "Serial Port Console Redirection Table" (interface type at 36, base address
 * GAS at 40). */
#include "arch/x86/console_select.h"

static const uint16_t pc_com[4] = { 0x3F8, 0x2F8, 0x3E8, 0x2E8 };

static int str_eq(const char *a, const char *b)
{
    while (*a && *a == *b)
        a++, b++;
    return *a == *b;
}

static int prefix(const char *s, const char *p)
{
    while (*p)
        if (*s++ != *p++)
            return 0;
    return 1;
}

static int number(const char *s, uint32_t *v)
{
    uint32_t r = 0, base = 10;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
        base = 16, s += 2;
    if (!*s)
        return -1;
    for (; *s; s++) {
        uint32_t d;
        if (*s >= '0' && *s <= '9')
            d = (uint32_t)(*s - '0');
        else if (base == 16 && *s >= 'a' && *s <= 'f')
            d = (uint32_t)(*s - 'a' + 10);
        else if (base == 16 && *s >= 'A' && *s <= 'F')
            d = (uint32_t)(*s - 'A' + 10);
        else
            return -1;
        r = r * base + d;
        if (r > 0xFFFF)
            return -1;
    }
    *v = r;
    return 0;
}

int console_parse(const char *value, uint16_t *port)
{
    uint32_t v;
    if (str_eq(value, "vga") || str_eq(value, "none")) {
        *port = CONSOLE_PORT_NONE;
        return 0;
    }
    if ((prefix(value, "com") || prefix(value, "COM")) && value[3] >= '1' && value[3] <= '4' &&
        !value[4]) {
        *port = pc_com[value[3] - '1'];
        return 0;
    }
    if (prefix(value, "ttyS") && value[4] >= '0' && value[4] <= '3' && !value[5]) {
        *port = pc_com[value[4] - '0'];
        return 0;
    }
    if (prefix(value, "uart,io,") || prefix(value, "uart8250,io,"))
        value += prefix(value, "uart,io,") ? 8 : 12;
    if (number(value, &v) == 0 && v >= 0x100 && v <= 0xFFF8) {  /* below 100H: motherboard */
        *port = (uint16_t)v;
        return 0;
    }
    return -1;
}

static uint32_t le32(const uint8_t *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }
static uint64_t le64(const uint8_t *p) { return le32(p) | (uint64_t)le32(p + 4) << 32; }

static int sum_ok(const uint8_t *p, size_t len)
{
    uint8_t s = 0;
    for (size_t i = 0; i < len; i++)
        s = (uint8_t)(s + p[i]);
    return s == 0;
}

#define SPCR_MIN_LEN      80
#define SPCR_IF_16550     0     /* full 16550 */
#define SPCR_IF_16450     1     /* 16450 subset */
#define GAS_SYSTEM_IO     1

uint16_t spcr_uart_port(const uint8_t *t, size_t len)
{
    if (len < SPCR_MIN_LEN || t[0] != 'S' || t[1] != 'P' || t[2] != 'C' || t[3] != 'R')
        return 0;
    uint32_t tlen = le32(t + 4);
    if (tlen < SPCR_MIN_LEN || tlen > len || !sum_ok(t, tlen))
        return 0;
    if (t[36] != SPCR_IF_16550 && t[36] != SPCR_IF_16450)
        return 0;
    if (t[40] != GAS_SYSTEM_IO)             /* GAS: address space id */
        return 0;
    uint64_t addr = le64(t + 44);
    return addr && addr <= 0xFFF8 ? (uint16_t)addr : 0;
}

const uint8_t *acpi_rsdp_scan(const uint8_t *start, size_t len)
{
    for (size_t off = 0; off + 20 <= len; off += 16) {
        const uint8_t *p = start + off;
        if (p[0] == 'R' && p[1] == 'S' && p[2] == 'D' && p[3] == ' ' && p[4] == 'P' &&
            p[5] == 'T' && p[6] == 'R' && p[7] == ' ' && sum_ok(p, 20))
            return p;
    }
    return 0;
}

const uint8_t *acpi_find(const uint8_t *rsdp, const char sig[4],
                         const uint8_t *(*phys)(uint64_t pa), uint32_t *len)
{
    int x = rsdp[15] >= 2 && sum_ok(rsdp, 36) && le64(rsdp + 24);   /* XSDT, 8-byte entries */
    const uint8_t *sdt = phys(x ? le64(rsdp + 24) : le32(rsdp + 16));
    if (!sdt)
        return 0;
    uint32_t slen = le32(sdt + 4);
    if (slen < 36 || slen > (1u << 20) || !sum_ok(sdt, slen))
        return 0;
    unsigned esz = x ? 8 : 4;
    for (uint32_t off = 36; off + esz <= slen; off += esz) {
        uint64_t pa = x ? le64(sdt + off) : le32(sdt + off);
        const uint8_t *t = pa ? phys(pa) : 0;
        if (!t || t[0] != (uint8_t)sig[0] || t[1] != (uint8_t)sig[1] || t[2] != (uint8_t)sig[2] ||
            t[3] != (uint8_t)sig[3])
            continue;
        uint32_t tl = le32(t + 4);
        if (tl < 36 || tl > (1u << 20) || !sum_ok(t, tl))
            return 0;
        *len = tl;
        return t;
    }
    return 0;
}
