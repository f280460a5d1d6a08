/* Loading a Linux bzImage into a domain's memory by the x86 boot protocol (Linux
 * Documentation/arch/x86/boot.rst), for its 64-bit entry: the protected-mode kernel at its load
 * address, boot_params (the "zero page") with the setup header, an e820 map, the command line
 * and the initrd, and an identity-mapped long-mode start with __BOOT_CS/__BOOT_DS. */
#ifndef HV_LINUX_LOADER_H
#define HV_LINUX_LOADER_H

#include "hv/guest_boot.h"

#include <stddef.h>
#include <stdint.h>

/* Guest-physical layout of what the loader writes below 1 MiB, all in one range the e820 map
 * reports reserved ([LINUX_LOW_START, LINUX_LOW_END)); the GDT shares the multiboot GDT's page. */
#define LINUX_BOOT_PARAMS_GPA 0x1000ull   /* struct boot_params, 4 KiB */
#define LINUX_CMDLINE_GPA     0x2000ull   /* the command line, up to LINUX_CMDLINE_MAX bytes */
#define LINUX_CMDLINE_MAX     0x1000ull   /* ... with its NUL */
#define LINUX_PT_GPA          0x10000ull  /* PML4, PDPT, 4 page directories: 4 GiB in 2 MiB pages */
#define LINUX_PT_PAGES        6
#define LINUX_STACK_GPA       0x1FFF0ull  /* RSP at entry (the protocol needs none; it is valid) */
#define LINUX_LOW_START       0x1000ull
#define LINUX_LOW_END         0x20000ull
/* ACPI tables (hv/acpi.h) in the e820's reserved [GUEST_EBDA_START, 1 MiB): the RSDP at their
 * start, in the BIOS area the kernel scans, and in boot_params.acpi_rsdp_addr. */
#define LINUX_ACPI_GPA        0xE0000ull
/* The reset vector F000:FFF0 (0xFFFF0, reserved in the e820 too).  There is no BIOS; a kernel
 * that restarts through it -- Linux does on a hardware-reduced ACPI platform without EFI
 * (reboot_type BOOT_EFI, then BOOT_BIOS: machine_real_restart) -- finds a stub there that
 * writes 06H to the reset control port 0xCF9: "the guest asked for a reset", as a PC's BIOS
 * would reset the machine. */
#define LINUX_RESET_VECTOR    0xFFFF0ull
#define LINUX_XAPIC_ADDR      0xFEE00000u
#define LINUX_IOAPIC_ADDR     0xFEC00000u
#define LINUX_IOAPIC_ID       1
#define LINUX_BOOT_CS         0x10        /* __BOOT_CS: flat 64-bit code */
#define LINUX_BOOT_DS         0x18        /* __BOOT_DS: flat data */

#define LINUX_MIN_VERSION     0x020C      /* 2.12: xloadflags, the 64-bit entry */

struct linux_load {
    uint16_t version;              /* the boot protocol version, e.g. 0x020F */
    uint64_t kernel_lo, kernel_hi; /* guest-physical [load address, + init_size) */
    uint64_t initrd_lo, initrd_hi; /* [ramdisk_image, + ramdisk_size), 0 when none */
    uint64_t entry;                /* the 64-bit entry: load address + 0x200 */
};

/* 1 if img starts with a bzImage setup header ("HdrS" at 0x202, boot_flag 0xAA55 at 0x1FE). */
int linux_is_bzimage(const uint8_t *img, size_t len);

/* Loads the bzImage into gmem (guest-physical 0 .. gsize-1, assumed zeroed) with its command
 * line and initrd (NULL/0 for none), and fills st with the 64-bit entry state.  Returns 0, or
 * -1 with a reason in err (an old protocol, no 64-bit entry, too big for mem=, ...). */
int linux_load(const uint8_t *img, size_t len, uint8_t *gmem, uint64_t gsize, const char *cmdline,
               const uint8_t *initrd, size_t initrd_len, struct guest_boot_state *st,
               struct linux_load *out, char *err, size_t errlen);

#endif
