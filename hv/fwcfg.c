/* The fw_cfg items a domain's machine has (see hv/fwcfg.h). */
#include "hv/fwcfg.h"
#include "hv/string.h"

#define FWCFG_ENTRY_MASK 0x3FFFu   /* the key without bit 14 (write channel), 15 (arch-local) */
#define FWCFG_ARCH_LOCAL 0x8000u
#define FWCFG_ITEM_MAX   8         /* the largest item here: the 64-bit RAM size */

void fwcfg_init(struct fwcfg *f, uint64_t ram_size, uint16_t ncpus)
{
    memset(f, 0, sizeof(*f));
    f->ram_size = ram_size;
    f->ncpus = ncpus;
}

void fwcfg_select(struct fwcfg *f, uint16_t key)
{
    f->key = key;
    f->offset = 0;
}

static void put_le(uint8_t *b, uint64_t v, int n)
{
    for (int i = 0; i < n; i++)
        b[i] = (uint8_t)(v >> (8 * i));
}

/* The item's bytes into b; returns its length (0: no such item). */
static int item(const struct fwcfg *f, uint8_t b[FWCFG_ITEM_MAX])
{
    if (f->key & FWCFG_ARCH_LOCAL)              /* arch-local items: none on this machine */
        return 0;
    switch (f->key & FWCFG_ENTRY_MASK) {
    case FWCFG_SIGNATURE:
        memcpy(b, "QEMU", 4);
        return 4;
    case FWCFG_ID:
        put_le(b, FWCFG_ID_TRADITIONAL, 4);
        return 4;
    case FWCFG_RAM_SIZE:
        put_le(b, f->ram_size, 8);
        return 8;
    case FWCFG_NB_CPUS:
    case FWCFG_MAX_CPUS:
        put_le(b, f->ncpus, 2);
        return 2;
    default:
        return 0;
    }
}

uint8_t fwcfg_read(struct fwcfg *f)
{
    uint8_t b[FWCFG_ITEM_MAX];
    int n = item(f, b);

    if (f->offset >= (uint32_t)n)
        return 0;
    return b[f->offset++];
}
