/* The ELF64 structures and the GNU build-id note, as the System V gABI lays them out: shared by
 * the multiboot loader (hv/mbkernel.c, from an image) and the Linux task reader
 * (pmu/sampling/prof_linux.c, from a guest process's memory). */
#ifndef HV_ELF_H
#define HV_ELF_H

#include <stdint.h>
#include "hv/string.h"

#define PT_LOAD         1
#define PT_NOTE         4
#define PT_PHDR         6
#define NT_GNU_BUILD_ID 3

struct elf64_ehdr {
    uint8_t ident[16];
    uint16_t type, machine;
    uint32_t version;
    uint64_t entry, phoff, shoff;
    uint32_t flags;
    uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
} __attribute__((packed));

struct elf64_phdr {
    uint32_t type, flags;
    uint64_t offset, vaddr, paddr, filesz, memsz, align;
} __attribute__((packed));

_Static_assert(sizeof(struct elf64_ehdr) == 64 && sizeof(struct elf64_phdr) == 56, "gABI sizes");

/* The first GNU build-id note in notes[0..n) (each note: namesz, descsz, type, then the name and
 * the descriptor, each padded to 4 bytes): its descriptor, with its length in *len; NULL when
 * there is none or a note runs past n. */
static inline const uint8_t *elf_note_build_id(const uint8_t *notes, uint64_t n, uint64_t *len)
{
    uint64_t off = 0;
    while (off + 12 <= n) {
        uint32_t h[3];                   /* namesz, descsz, type */
        memcpy(h, notes + off, sizeof(h));
        uint64_t name = off + 12, desc = name + ((h[0] + 3ull) & ~3ull);
        if (desc > n || h[1] > n - desc)
            return 0;
        if (h[2] == NT_GNU_BUILD_ID && h[0] == 4 && !memcmp(notes + name, "GNU", 4)) {
            *len = h[1];
            return notes + desc;
        }
        off = desc + ((h[1] + 3ull) & ~3ull);
    }
    return 0;
}

#endif
