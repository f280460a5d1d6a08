/* Turns multiboot1 or multiboot2 information into struct boot_info. */
#include "hv/boot_info.h"
#include "boot/multiboot.h"
#include "hv/printf.h"
#include "hv/string.h"

static void add_ram(struct boot_info *bi, uint64_t addr, uint64_t len, uint32_t type)
{
    if (type != MB_MEMORY_AVAILABLE || len == 0 || bi->nram == BOOT_MAX_RANGES)
        return;
    bi->ram[bi->nram++] = (struct mem_range){ addr, addr + len };
}

static void add_module(struct boot_info *bi, uint64_t start, uint64_t end, const char *cmdline)
{
    if (bi->nmodules == BOOT_MAX_MODULES) {
        bi->modules_dropped++;
        return;
    }
    struct boot_module *m = &bi->modules[bi->nmodules++];
    m->start = start;
    m->end = end;
    hv_strlcpy(m->cmdline, cmdline ? cmdline : "", sizeof(m->cmdline));
}

static void parse_mb2(uint64_t info, struct boot_info *bi)
{
    uint32_t total = *(const uint32_t *)info;
    bi->info_end = info + total;
    for (uint64_t p = info + 8; p + 8 <= info + total;) {
        const struct mb2_tag *t = (const void *)p;
        if (t->type == MB2_TAG_END || t->size < 8)   /* size < 8: malformed, stop */
            break;
        if (t->type == MB2_TAG_CMDLINE) {
            hv_strlcpy(bi->cmdline, (const char *)(p + 8), sizeof(bi->cmdline));
        } else if (t->type == MB2_TAG_MODULE) {
            const struct mb2_tag_module *m = (const void *)p;
            add_module(bi, m->mod_start, m->mod_end, m->cmdline);
        } else if (t->type == MB2_TAG_ACPI_NEW && t->size >= 8 + 36) {
            bi->acpi_rsdp = p + 8;
        } else if (t->type == MB2_TAG_ACPI_OLD && t->size >= 8 + 20 && !bi->acpi_rsdp) {
            bi->acpi_rsdp = p + 8;         /* unless an ACPI 2.0 copy came first */
        } else if (t->type == MB2_TAG_MMAP) {
            const struct mb2_tag_mmap *mm = (const void *)p;
            if (mm->entry_size < sizeof(struct mb2_mmap_entry))
                break;
            for (uint64_t e = p + sizeof(*mm); e + mm->entry_size <= p + t->size; e += mm->entry_size) {
                const struct mb2_mmap_entry *me = (const void *)e;
                add_ram(bi, me->addr, me->len, me->type);
            }
        }
        p += (t->size + 7) & ~7u;          /* tags are 8-byte aligned */
    }
}

static void parse_mb1(uint64_t info, struct boot_info *bi)
{
    const struct mb1_info *mi = (const void *)info;
    bi->info_end = info + sizeof(*mi);
    if (mi->flags & MB1_INFO_CMDLINE)
        hv_strlcpy(bi->cmdline, (const char *)(uint64_t)mi->cmdline, sizeof(bi->cmdline));
    if (mi->flags & MB1_INFO_MODS) {
        const struct mb1_module *m = (const void *)(uint64_t)mi->mods_addr;
        for (uint32_t i = 0; i < mi->mods_count; i++)
            add_module(bi, m[i].mod_start, m[i].mod_end, (const char *)(uint64_t)m[i].cmdline);
    }
    if (mi->flags & MB1_INFO_MEM_MAP) {
        for (uint64_t p = mi->mmap_addr; p < (uint64_t)mi->mmap_addr + mi->mmap_length;) {
            const struct mb1_mmap_entry *e = (const void *)p;
            add_ram(bi, e->addr, e->len, e->type);
            p += e->size + 4;
        }
    } else if (mi->flags & MB1_INFO_MEMORY) {
        add_ram(bi, 0, (uint64_t)mi->mem_lower * 1024, MB_MEMORY_AVAILABLE);
        add_ram(bi, 1 << 20, (uint64_t)mi->mem_upper * 1024, MB_MEMORY_AVAILABLE);
    }
}

int boot_info_parse(uint32_t magic, uint64_t info, struct boot_info *bi)
{
    memset(bi, 0, sizeof(*bi));
    bi->info_start = info;
    if (magic == MB2_BOOTLOADER_MAGIC) {
        bi->loader = "multiboot2";
        parse_mb2(info, bi);
    } else if (magic == MB1_BOOTLOADER_MAGIC) {
        bi->loader = "multiboot1";
        parse_mb1(info, bi);
    } else {
        hv_printf("perfvisor: not started by a multiboot loader (eax=%x)\n", magic);
        return -1;
    }
    return 0;
}
