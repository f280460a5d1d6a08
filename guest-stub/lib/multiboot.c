/* multiboot.c - multiboot v1 info and `key=value` command-line options. */
#include <stddef.h>
#include "multiboot.h"
#include "string.h"

#define CMDLINE_MAX 512
#define MAX_TOKENS  32

static const struct mb_info *info;
static char cmdline[CMDLINE_MAX];       /* verbatim copy, for printing */
static char tokbuf[CMDLINE_MAX];        /* copy split at blanks */
static const char *tokens[MAX_TOKENS];
static unsigned int ntokens;

int mb_init(uint32_t magic, const struct mb_info *mbi)
{
    if (magic != MB_BOOTLOADER_MAGIC || !mbi)
        return 0;
    info = mbi;
    if (!(mbi->flags & MB_INFO_CMDLINE) || !mbi->cmdline)
        return 1;

    const char *src = (const char *)(uintptr_t)mbi->cmdline;
    size_t len = strlen(src);
    if (len >= CMDLINE_MAX)
        len = CMDLINE_MAX - 1;      /* truncate a huge command line */
    memcpy(cmdline, src, len);
    cmdline[len] = '\0';
    memcpy(tokbuf, src, len);
    tokbuf[len] = '\0';

    for (char *p = tokbuf; *p && ntokens < MAX_TOKENS;) {
        while (*p == ' ' || *p == '\t')
            *p++ = '\0';
        if (!*p)
            break;
        tokens[ntokens++] = p;
        while (*p && *p != ' ' && *p != '\t')
            p++;
    }
    return 1;
}

const struct mb_info *mb_info(void)
{
    return info;
}

const char *mb_cmdline(void)
{
    return cmdline;
}

const char *mb_opt(const char *key)
{
    size_t klen = strlen(key);
    for (unsigned int i = 0; i < ntokens; i++)
        if (!strncmp(tokens[i], key, klen) && tokens[i][klen] == '=')
            return tokens[i] + klen + 1;
    return NULL;
}

uint64_t mb_opt_num(const char *key, uint64_t def)
{
    const char *s = mb_opt(key);
    uint64_t v = 0;
    unsigned int base = 10;

    if (!s || !*s)
        return def;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s += 2;
        if (!*s)
            return def;
    }
    for (; *s; s++) {
        unsigned int d;
        if (*s >= '0' && *s <= '9')
            d = *s - '0';
        else if (base == 16 && *s >= 'a' && *s <= 'f')
            d = *s - 'a' + 10;
        else if (base == 16 && *s >= 'A' && *s <= 'F')
            d = *s - 'A' + 10;
        else
            return def;             /* not a number: "iters=lots" */
        v = (base == 16 ? v << 4 : (v << 3) + (v << 1)) + d;   /* no libgcc: avoid 64-bit mul */
    }
    return v;
}

unsigned int mb_mmap_count(void)
{
    if (!info || !(info->flags & MB_INFO_MMAP))
        return 0;
    unsigned int n = 0;
    uint32_t off = 0;
    while (off + sizeof(struct mb_mmap_entry) <= info->mmap_length) {
        const struct mb_mmap_entry *e =
            (const struct mb_mmap_entry *)(uintptr_t)(info->mmap_addr + off);
        n++;
        off += e->size + 4;
    }
    return n;
}
