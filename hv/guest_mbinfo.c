#include "hv/guest_mbinfo.h"
#include "boot/multiboot.h"
#include "hv/string.h"

/* Segment descriptors (SDM Vol. 3A 3.4.5): base 0, limit 0xFFFFF in 4 KiB units (G=1), D/B=1
 * (32-bit), present, DPL 0; type 0xB code execute/read, 0x3 data read/write, accessed as the
 * hidden parts the VMCS loads at entry say (vmx_vcpu.c AR_CODE32 / AR_DATA32). */
#define GDT_FLAT_CODE32 0x00CF9B000000FFFFull
#define GDT_FLAT_DATA32 0x00CF93000000FFFFull

void guest_mbinfo_gdt(uint8_t *gmem)
{
    uint64_t *gdt = (uint64_t *)(void *)(gmem + GUEST_GDT_GPA);
    memset(gdt, 0, GUEST_GDT_SIZE);
    gdt[GUEST_MB_CS / 8] = GDT_FLAT_CODE32;
    gdt[GUEST_MB_DS / 8] = GDT_FLAT_DATA32;
}

int guest_mbinfo_build(uint8_t *gmem, uint64_t gsize, uint64_t at, const char *cmdline,
                       const struct guest_module *mods, int nmods)
{
    static const char loader[] = "perfvisor";
    const struct { uint64_t base, len; uint32_t type; } map[] = {
        { 0, GUEST_GDT_GPA, MB_MEMORY_AVAILABLE },
        { GUEST_GDT_GPA, GUEST_GDT_SIZE, MB_MEMORY_RESERVED },       /* the handoff's GDT */
        { GUEST_GDT_GPA + GUEST_GDT_SIZE, GUEST_EBDA_START - GUEST_GDT_GPA - GUEST_GDT_SIZE,
          MB_MEMORY_AVAILABLE },
        { GUEST_EBDA_START, 0x100000 - GUEST_EBDA_START, MB_MEMORY_RESERVED },
        { 0x100000, gsize - 0x100000, MB_MEMORY_AVAILABLE },
    };
    const int nmap = sizeof(map) / sizeof(map[0]);
    size_t clen = strlen(cmdline) + 1;
    uint64_t info = at;
    uint64_t mmap = info + sizeof(struct mb1_info);
    uint64_t cl = mmap + nmap * sizeof(struct mb1_mmap_entry);
    uint64_t name = cl + clen;
    uint64_t modlist = name + sizeof(loader);
    if (nmods)
        modlist = (modlist + 3) & ~3ull;                          /* 4-byte aligned entries */
    uint64_t end = modlist + (uint64_t)nmods * sizeof(struct mb1_module);
    uint64_t strings = end;

    for (int i = 0; i < nmods; i++)
        end += strlen(mods[i].string) + 1;
    if (gsize < 0x200000 || end > at + GUEST_MBINFO_SIZE || end > gsize)
        return -1;

    struct mb1_info *mi = (void *)(gmem + info);
    memset(mi, 0, sizeof(*mi));
    mi->flags = MB1_INFO_MEMORY | MB1_INFO_CMDLINE | MB1_INFO_MEM_MAP | MB1_INFO_LOADER_NAME;
    mi->mem_lower = GUEST_EBDA_START / 1024;
    mi->mem_upper = (uint32_t)((gsize - 0x100000) / 1024);
    mi->cmdline = (uint32_t)cl;
    mi->mmap_addr = (uint32_t)mmap;
    mi->mmap_length = nmap * sizeof(struct mb1_mmap_entry);
    mi->boot_loader_name = (uint32_t)name;
    if (nmods) {
        mi->flags |= MB1_INFO_MODS;
        mi->mods_count = (uint32_t)nmods;
        mi->mods_addr = (uint32_t)modlist;
    }

    struct mb1_mmap_entry *e = (void *)(gmem + mmap);
    for (int i = 0; i < nmap; i++) {
        e[i].size = sizeof(struct mb1_mmap_entry) - 4;
        e[i].addr = map[i].base;
        e[i].len = map[i].len;
        e[i].type = map[i].type;
    }
    memcpy(gmem + cl, cmdline, clen);
    memcpy(gmem + name, loader, sizeof(loader));
    memset(gmem + name + sizeof(loader), 0, modlist - name - sizeof(loader));
    struct mb1_module *mm = (void *)(gmem + modlist);
    for (int i = 0; i < nmods; i++) {
        size_t slen = strlen(mods[i].string) + 1;
        mm[i].mod_start = (uint32_t)mods[i].start;
        mm[i].mod_end = (uint32_t)mods[i].end;
        mm[i].cmdline = (uint32_t)strings;
        mm[i].reserved = 0;
        memcpy(gmem + strings, mods[i].string, slen);
        strings += slen;
    }
    return (int)(end - at);
}
