/* Multiboot kernel loader (Multiboot 0.6.96 section 3.1; ELF: System V gABI program headers). */
#include "hv/mbkernel.h"
#include "hv/elf.h"
#include "boot/multiboot.h"
#include "hv/printf.h"
#include "hv/string.h"

#define EI_CLASS    4
#define ELFCLASS32  1
#define ELFCLASS64  2
#define EI_DATA     5
#define ELFDATA2LSB 1
#define MB1_SEARCH  8192         /* the multiboot1 header lies in the first 8 KiB */

struct elf32_ehdr {
    uint8_t ident[16];
    uint16_t type, machine;
    uint32_t version, entry, phoff, shoff, flags;
    uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
} __attribute__((packed));

struct elf32_phdr {
    uint32_t type, offset, vaddr, paddr, filesz, memsz, flags, align;
} __attribute__((packed));

/* The program headers of an ELF32 or ELF64 image, read the same way for loading and for the
 * build-id: elf_phdrs_open checks the table lies inside the file, elf_phdr reads entry i. */
struct elf_phdrs {
    const uint8_t *img;
    int is64;
    uint64_t phoff, phnum, phent, entry;
};

struct elf_seg {
    uint64_t type, offset, paddr, filesz, memsz;
};

/* 0, or -1 (why in err) if the image is not a little-endian ELF32/64 with a sane header table. */
static int elf_phdrs_open(const uint8_t *img, size_t len, struct elf_phdrs *p, char *err,
                          size_t errlen)
{
    const char *why;
    if (len < sizeof(struct elf32_ehdr) || memcmp(img, "\x7f" "ELF", 4)) {
        why = "not an ELF file";
        goto bad;
    }
    if (img[EI_DATA] != ELFDATA2LSB) {
        why = "not a little-endian ELF";
        goto bad;
    }
    p->is64 = img[EI_CLASS] == ELFCLASS64;
    if (!p->is64 && img[EI_CLASS] != ELFCLASS32) {
        hv_snprintf(err, errlen, "unknown ELF class %u", img[EI_CLASS]);
        return -1;
    }
    if (p->is64 && len < sizeof(struct elf64_ehdr)) {
        why = "truncated ELF header";
        goto bad;
    }
    const struct elf32_ehdr *e32 = (const void *)img;
    const struct elf64_ehdr *e64 = (const void *)img;
    p->img = img;
    p->phoff = p->is64 ? e64->phoff : e32->phoff;
    p->phnum = p->is64 ? e64->phnum : e32->phnum;
    p->phent = p->is64 ? e64->phentsize : e32->phentsize;
    p->entry = p->is64 ? e64->entry : e32->entry;
    uint64_t need = p->is64 ? sizeof(struct elf64_phdr) : sizeof(struct elf32_phdr);
    if (p->phent < need || p->phoff > len || p->phnum * p->phent > len - p->phoff) {
        why = "truncated or malformed ELF program headers";
        goto bad;
    }
    return 0;
bad:
    hv_snprintf(err, errlen, "%s", why);
    return -1;
}

static struct elf_seg elf_phdr(const struct elf_phdrs *p, uint64_t i)
{
    const uint8_t *ph = p->img + p->phoff + i * p->phent;
    if (p->is64) {
        const struct elf64_phdr *h = (const void *)ph;
        return (struct elf_seg){ h->type, h->offset, h->paddr, h->filesz, h->memsz };
    }
    const struct elf32_phdr *h = (const void *)ph;
    return (struct elf_seg){ h->type, h->offset, h->paddr, h->filesz, h->memsz };
}

static const struct mb1_header *find_mb1_header(const uint8_t *img, size_t len)
{
    for (size_t off = 0; off + sizeof(struct mb1_header) <= len && off < MB1_SEARCH; off += 4) {
        const struct mb1_header *h = (const void *)(img + off);
        if (h->magic == MB1_HEADER_MAGIC && (uint32_t)(h->magic + h->flags + h->checksum) == 0)
            return h;
    }
    return NULL;
}

static int load_segment(const uint8_t *img, size_t len, uint8_t *gmem, uint64_t gsize,
                        uint64_t off, uint64_t paddr, uint64_t filesz, uint64_t memsz,
                        struct mbkernel_load *out, char *err, size_t errlen)
{
    if (filesz > memsz || off > len || filesz > len - off) {
        hv_snprintf(err, errlen, "segment at file offset 0x%lx is truncated (file is %zu bytes)",
                    off, len);
        return -1;
    }
    if (paddr > gsize || memsz > gsize - paddr) {
        hv_snprintf(err, errlen,
                    "segment [0x%lx, 0x%lx) lies outside the domain's %lu MiB: give it more mem=",
                    paddr, paddr + memsz, gsize >> 20);
        return -1;
    }
    memcpy(gmem + paddr, img + off, filesz);
    memset(gmem + paddr + filesz, 0, memsz - filesz);
    if (memsz) {
        if (paddr < out->lo)
            out->lo = paddr;
        if (paddr + memsz > out->hi)
            out->hi = paddr + memsz;
    }
    return 0;
}

static int load_aout_kludge(const uint8_t *img, size_t len, const struct mb1_header *h,
                            uint8_t *gmem, uint64_t gsize, struct mbkernel_load *out,
                            char *err, size_t errlen)
{
    uint64_t hdr_off = (uint64_t)((const uint8_t *)h - img);
    if (h->load_addr > h->header_addr) {
        hv_snprintf(err, errlen, "multiboot header: load_addr 0x%x above header_addr 0x%x",
                    h->load_addr, h->header_addr);
        return -1;
    }
    if (hdr_off < h->header_addr - h->load_addr) {
        hv_snprintf(err, errlen, "multiboot header: header_addr - load_addr (0x%x) points before "
                    "the start of the file", h->header_addr - h->load_addr);
        return -1;
    }
    uint64_t off = hdr_off - (h->header_addr - h->load_addr);
    uint64_t filesz = h->load_end_addr ? (uint64_t)h->load_end_addr - h->load_addr : len - off;
    uint64_t memsz = h->bss_end_addr > h->load_addr ? (uint64_t)h->bss_end_addr - h->load_addr : filesz;
    if (h->load_end_addr && h->load_end_addr < h->load_addr) {
        hv_snprintf(err, errlen, "multiboot header: load_end_addr below load_addr");
        return -1;
    }
    if (memsz < filesz)
        memsz = filesz;
    out->format = "multiboot a.out kludge";
    out->entry = h->entry_addr;
    return load_segment(img, len, gmem, gsize, off, h->load_addr, filesz, memsz, out, err, errlen);
}

size_t mbkernel_build_id(const uint8_t *img, size_t len, uint8_t *id, size_t max)
{
    struct elf_phdrs p;
    char why[64];
    if (elf_phdrs_open(img, len, &p, why, sizeof(why)))
        return 0;
    for (uint64_t i = 0; i < p.phnum; i++) {
        struct elf_seg sg = elf_phdr(&p, i);
        if (sg.type != PT_NOTE || sg.offset > len || sg.filesz > len - sg.offset)
            continue;
        uint64_t dl = 0;
        const uint8_t *desc = elf_note_build_id(img + sg.offset, sg.filesz, &dl);
        size_t n = dl < max ? (size_t)dl : max;
        if (desc && n) {
            memcpy(id, desc, n);
            return n;
        }
    }
    return 0;
}

int mbkernel_load(const uint8_t *img, size_t len, uint8_t *gmem, uint64_t gsize,
                  struct mbkernel_load *out, char *err, size_t errlen)
{
    const struct mb1_header *h = find_mb1_header(img, len);

    memset(out, 0, sizeof(*out));
    out->lo = UINT64_MAX;
    out->has_mb1_header = h != NULL;

    if (h && (h->flags & MB1_HDR_AOUT_KLUDGE)) {
        if (load_aout_kludge(img, len, h, gmem, gsize, out, err, errlen))
            return -1;
    } else if (len >= sizeof(struct elf32_ehdr) && memcmp(img, "\x7f" "ELF", 4) == 0) {
        struct elf_phdrs p;
        if (elf_phdrs_open(img, len, &p, err, errlen))
            return -1;
        out->format = p.is64 ? "elf64" : "elf32";
        out->entry = p.entry;
        for (uint64_t i = 0; i < p.phnum; i++) {
            struct elf_seg sg = elf_phdr(&p, i);
            if (sg.type != PT_LOAD || sg.memsz == 0)
                continue;
            if (load_segment(img, len, gmem, gsize, sg.offset, sg.paddr, sg.filesz, sg.memsz, out,
                             err, errlen))
                return -1;
        }
    } else {
        hv_snprintf(err, errlen, "not a multiboot kernel: neither an ELF file nor a multiboot "
                                 "header with load addresses");
        return -1;
    }
    if (out->lo == UINT64_MAX) {
        hv_snprintf(err, errlen, "the image has nothing to load");
        return -1;
    }
    if (out->entry < out->lo || out->entry >= out->hi) {
        hv_snprintf(err, errlen, "entry point 0x%lx is outside the loaded image [0x%lx, 0x%lx)",
                    out->entry, out->lo, out->hi);
        return -1;
    }
    return 0;
}
