#include "hv/cmdline.h"
#include "hv/string.h"

int cmdline_get(const char *cmdline, const char *key, char *out, size_t size)
{
    size_t klen = strlen(key);
    int found = 0;
    const char *p = cmdline;

    while (p && *p) {
        while (*p == ' ' || *p == '\t')
            p++;
        const char *tok = p;
        while (*p && *p != ' ' && *p != '\t')
            p++;
        size_t tlen = (size_t)(p - tok);
        if (tlen > klen && tok[klen] == '=' && strncmp(tok, key, klen) == 0) {
            size_t vlen = tlen - klen - 1;
            if (size) {
                if (vlen > size - 1)
                    vlen = size - 1;
                memcpy(out, tok + klen + 1, vlen);
                out[vlen] = '\0';
            }
            found = 1;
        }
    }
    return found;
}

int parse_u64(const char *s, uint64_t *v)
{
    uint64_t r = 0, base = 10;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s += 2;
    }
    const char *digits = s;
    for (; *s; s++) {
        unsigned d;
        if (*s >= '0' && *s <= '9')
            d = (unsigned)(*s - '0');
        else if (base == 16 && *s >= 'a' && *s <= 'f')
            d = (unsigned)(*s - 'a' + 10);
        else if (base == 16 && *s >= 'A' && *s <= 'F')
            d = (unsigned)(*s - 'A' + 10);
        else
            break;
        if (r > (UINT64_MAX - d) / base)
            return -1;                    /* overflow */
        r = r * base + d;
    }
    if (s == digits)
        return -1;                        /* no digits: empty, "0x", or a bare suffix */
    int shift = 0;
    switch (*s) {
    case '\0': break;
    case 'k': case 'K': shift = 10; s++; break;
    case 'm': case 'M': shift = 20; s++; break;
    case 'g': case 'G': shift = 30; s++; break;
    default: return -1;
    }
    if (*s || (shift && r > (UINT64_MAX >> shift)))
        return -1;
    *v = r << shift;
    return 0;
}

int cmdline_get_u64(const char *cmdline, const char *key, uint64_t *v)
{
    char buf[32];
    if (!cmdline_get(cmdline, key, buf, sizeof(buf)))
        return 0;
    return parse_u64(buf, v) == 0 ? 1 : -1;
}
