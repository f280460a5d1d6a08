/* multiboot.h - the multiboot v1 information a loader hands us (Multiboot
 * Specification 0.6.96, section 3.3), and command-line option helpers. */
#ifndef GUEST_MULTIBOOT_H
#define GUEST_MULTIBOOT_H

#include <stdint.h>

#define MB_BOOTLOADER_MAGIC 0x2BADB002  /* EAX at entry */

#define MB_INFO_MEM         (1u << 0)   /* mem_lower/mem_upper valid */
#define MB_INFO_CMDLINE     (1u << 2)   /* cmdline valid */
#define MB_INFO_MMAP        (1u << 6)   /* mmap_length/mmap_addr valid */

struct mb_info {
    uint32_t flags;
    uint32_t mem_lower;         /* KiB below 1 MiB */
    uint32_t mem_upper;         /* KiB from 1 MiB to the first hole */
    uint32_t boot_device;
    uint32_t cmdline;           /* physical address of a NUL-terminated string */
    uint32_t mods_count;
    uint32_t mods_addr;
    uint32_t syms[4];
    uint32_t mmap_length;       /* bytes */
    uint32_t mmap_addr;
};
_Static_assert(sizeof(struct mb_info) == 52, "multiboot info layout up to mmap_addr");

/* One memory-map entry; `size` does not count itself, so the next entry is at
 * (char *)e + e->size + 4. */
struct mb_mmap_entry {
    uint32_t size;
    uint64_t addr;
    uint64_t len;
    uint32_t type;              /* 1 = available RAM */
} __attribute__((packed));

/* Remember the info (only if magic is right) and split the command line.
 * Returns 1 if magic was MB_BOOTLOADER_MAGIC, else 0. */
int mb_init(uint32_t magic, const struct mb_info *mbi);

/* The info block, or NULL if magic was wrong. */
const struct mb_info *mb_info(void);

/* The whole command line as the loader gave it ("" if none). */
const char *mb_cmdline(void);

/* Value of the first `key=value` token, or NULL if absent. */
const char *mb_opt(const char *key);

/* Number in option `key` (decimal, or hex with 0x), or `def` if the option is
 * absent or not a number. */
uint64_t mb_opt_num(const char *key, uint64_t def);

/* Number of entries in the memory map (0 if none). */
unsigned int mb_mmap_count(void);

#endif
