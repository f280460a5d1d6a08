#include "hv/cmdline.h"
#include "hv/string.h"

/* The next whitespace-separated token at *p (advanced past it), its length in *len (0 at the
 * end of the line). */
static const char *next_token(const char **p, size_t *len)
{
    const char *s = *p;
    while (*s == ' ' || *s == '\t')
        s++;
    const char *tok = s;
    while (*s && *s != ' ' && *s != '\t')
        s++;
    *len = (size_t)(s - tok);
    *p = s;
    return tok;
}

int cmdline_get(const char *cmdline, const char *key, char *out, size_t size)
{
    size_t klen = strlen(key);
    int found = 0;
    const char *p = cmdline;

    while (p && *p) {
        size_t tlen;
        const char *tok = next_token(&p, &tlen);
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

static int token_dropped(const char *tok, size_t tlen, const char *const *drop, const char *prefix)
{
    if (prefix && tlen >= strlen(prefix) && strncmp(tok, prefix, strlen(prefix)) == 0)
        return 1;
    for (; drop && *drop; drop++) {
        size_t klen = strlen(*drop);
        if (tlen > klen && tok[klen] == '=' && strncmp(tok, *drop, klen) == 0)
            return 1;
    }
    return 0;
}

size_t cmdline_strip(const char *cmdline, const char *const *drop, const char *prefix, char *out,
                     size_t size)
{
    size_t n = 0;
    const char *p = cmdline;

    if (!size)
        return 0;
    out[0] = '\0';
    while (p && *p) {
        size_t tlen;
        const char *tok = next_token(&p, &tlen);
        if (!tlen || token_dropped(tok, tlen, drop, prefix))
            continue;
        if (n && n + 2 >= size)                 /* no room for a blank and a byte */
            break;
        if (n)
            out[n++] = ' ';
        if (tlen > size - 1 - n)
            tlen = size - 1 - n;                  /* truncated, as the whole line would be */
        memcpy(out + n, tok, tlen);
        n += tlen;
        out[n] = '\0';
    }
    return n;
}
