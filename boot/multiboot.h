/* Multiboot 1 (0.6.96) and Multiboot2 (2.0) structures we read and build. */
#ifndef BOOT_MULTIBOOT_H
#define BOOT_MULTIBOOT_H

#include <stdint.h>

#define MB1_BOOTLOADER_MAGIC 0x2BADB002u   /* in EAX when a multiboot1 loader jumps */
#define MB2_BOOTLOADER_MAGIC 0x36D76289u   /* in EAX when a multiboot2 loader jumps */
#define MB1_HEADER_MAGIC     0x1BADB002u   /* in a kernel's multiboot1 header */

/* multiboot1 info flags */
#define MB1_INFO_MEMORY      (1u << 0)     /* mem_lower, mem_upper valid */
#define MB1_INFO_CMDLINE     (1u << 2)
#define MB1_INFO_MODS        (1u << 3)
#define MB1_INFO_MEM_MAP     (1u << 6)     /* mmap_length, mmap_addr valid */
#define MB1_INFO_LOADER_NAME (1u << 9)

/* multiboot1 header flags */
#define MB1_HDR_AOUT_KLUDGE  (1u << 16)    /* load addresses given in the header */

struct mb1_info {
    uint32_t flags;
    uint32_t mem_lower, mem_upper;        /* KiB below 1 MiB, KiB above 1 MiB */
    uint32_t boot_device;
    uint32_t cmdline;
    uint32_t mods_count, mods_addr;
    uint32_t syms[4];
    uint32_t mmap_length, mmap_addr;
    uint32_t drives_length, drives_addr;
    uint32_t config_table;
    uint32_t boot_loader_name;
    uint32_t apm_table;
    uint32_t vbe[6];
} __attribute__((packed));

struct mb1_module {
    uint32_t mod_start, mod_end;
    uint32_t cmdline;
    uint32_t reserved;
} __attribute__((packed));

struct mb1_mmap_entry {
    uint32_t size;                        /* of the rest of the entry (20) */
    uint64_t addr, len;
    uint32_t type;                        /* 1: available RAM */
} __attribute__((packed));

struct mb1_header {
    uint32_t magic, flags, checksum;
    uint32_t header_addr, load_addr, load_end_addr, bss_end_addr, entry_addr; /* a.out kludge */
} __attribute__((packed));

#define MB_MEMORY_AVAILABLE 1
#define MB_MEMORY_RESERVED  2

/* multiboot2 information tags */
#define MB2_TAG_END      0
#define MB2_TAG_CMDLINE  1
#define MB2_TAG_MODULE   3
#define MB2_TAG_MMAP     6
#define MB2_TAG_ACPI_OLD 14   /* a copy of the ACPI 1.0 RSDP (20 bytes) */
#define MB2_TAG_ACPI_NEW 15   /* a copy of the ACPI 2.0+ RSDP (36 bytes): UEFI boots have no other way */

struct mb2_tag {
    uint32_t type, size;
};

struct mb2_tag_module {
    uint32_t type, size;
    uint32_t mod_start, mod_end;
    char cmdline[];
};

struct mb2_tag_mmap {
    uint32_t type, size;
    uint32_t entry_size, entry_version;
};

struct mb2_mmap_entry {
    uint64_t addr, len;
    uint32_t type, reserved;
};

#endif
