/* The Linux x86 boot protocol, 64-bit entry (Documentation/arch/x86/boot.rst, "64-bit Boot
 * Protocol"): what a boot loader does after reading the bzImage, done into a domain's memory. */
#include "hv/linux_loader.h"
#include "hv/acpi.h"
#include "hv/guest_mbinfo.h"
#include "hv/printf.h"
#include "hv/string.h"

/* Offsets in the bzImage's first sector and in struct boot_params (the same for the setup
 * header, which starts at 0x1F1 in both; boot.rst "The Real-Mode Kernel Header", zero-page.rst). */
#define BP_ACPI_RSDP_ADDR    0x070    /* u64, protocol 2.14+ (zero-page.rst) */

/* 16-bit code at the reset vector (see LINUX_RESET_VECTOR): a full reset through port 0xCF9. */
static const uint8_t reset_stub[] = {
    0xB0, 0x06,             /* mov al, 06H (bit 2: reset the CPU, bit 1: full reset) */
    0xBA, 0xF9, 0x0C,       /* mov dx, 0CF9H */
    0xEE,                   /* out dx, al */
    0xFA, 0xF4,             /* cli; hlt: not reached */
};
#define BP_EXT_RAMDISK_IMAGE 0x0C0
#define BP_EXT_RAMDISK_SIZE  0x0C4
#define BP_EXT_CMD_LINE_PTR  0x0C8
#define BP_E820_ENTRIES      0x1E8
#define HDR_START            0x1F1    /* setup_sects: the setup header's first field */
#define HDR_BOOT_FLAG        0x1FE    /* 0xAA55 */
#define HDR_JUMP             0x200    /* a 2-byte short jump: its offset byte ends the header */
#define HDR_MAGIC            0x202    /* "HdrS" */
#define HDR_VERSION          0x206
#define HDR_TYPE_OF_LOADER   0x210
#define HDR_LOADFLAGS        0x211
#define HDR_RAMDISK_IMAGE    0x218
#define HDR_RAMDISK_SIZE     0x21C
#define HDR_CMD_LINE_PTR     0x228
#define HDR_INITRD_ADDR_MAX  0x22C
#define HDR_KERNEL_ALIGNMENT 0x230
#define HDR_RELOCATABLE      0x234
#define HDR_XLOADFLAGS       0x236
#define HDR_CMDLINE_SIZE     0x238
#define HDR_PREF_ADDRESS     0x258
#define HDR_INIT_SIZE        0x260
#define BP_E820_TABLE        0x2D0    /* 128 entries of {u64 addr, u64 size, u32 type} */
#define BP_SIZE              0x1000

#define LOADED_HIGH          0x01     /* loadflags: protected-mode code at 0x100000 or above */
#define XLF_KERNEL_64        0x01     /* xloadflags: has the 64-bit entry at +0x200 */
#define LOADER_UNDEFINED     0xFF     /* type_of_loader: no assigned ID */
#define E820_RAM             1
#define E820_RESERVED        2
#define ENTRY64_OFFSET       0x200

/* Long-mode start (SDM Vol. 3A 4.5, 9.8.5): 2 MiB pages (PS), a flat 64-bit code descriptor
 * (L=1, D=0, P, S, type 0xB) and a flat data descriptor (type 0x3), both accessed. */
#define PTE_P_RW             0x3ull
#define PDE_PS               0x80ull
#define GDT_FLAT_CODE64      0x00AF9B000000FFFFull
#define GDT_FLAT_DATA        0x00CF93000000FFFFull
#define CR0_PE               (1ull << 0)
#define CR0_ET               (1ull << 4)
#define CR0_PG               (1ull << 31)
#define CR4_PAE              (1ull << 5)
#define EFER_LME             (1ull << 8)
#define EFER_LMA             (1ull << 10)

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t rd32(const uint8_t *p) { return rd16(p) | (uint32_t)rd16(p + 2) << 16; }
static uint64_t rd64(const uint8_t *p) { return rd32(p) | (uint64_t)rd32(p + 4) << 32; }
static void wr32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }

static int refuse(char *err, size_t errlen, const char *why)
{
    hv_snprintf(err, errlen, "%s", why);
    return -1;
}

int linux_is_bzimage(const uint8_t *img, size_t len)
{
    return len >= 0x264 && rd16(img + HDR_BOOT_FLAG) == 0xAA55 &&
           memcmp(img + HDR_MAGIC, "HdrS", 4) == 0;
}

/* The e820 map: RAM except what perfvisor uses low, the PC's EBDA/BIOS hole, nothing above mem. */
static void build_e820(uint8_t *bp, uint64_t gsize)
{
    const struct { uint64_t addr, size; uint32_t type; } map[] = {
        { 0, LINUX_LOW_START, E820_RAM },
        { LINUX_LOW_START, LINUX_LOW_END - LINUX_LOW_START, E820_RESERVED },
        { LINUX_LOW_END, GUEST_EBDA_START - LINUX_LOW_END, E820_RAM },
        { GUEST_EBDA_START, 0x100000 - GUEST_EBDA_START, E820_RESERVED },
        { 0x100000, gsize - 0x100000, E820_RAM },
    };
    int n = (int)(sizeof(map) / sizeof(map[0]));
    for (int i = 0; i < n; i++) {
        uint8_t *e = bp + BP_E820_TABLE + 20 * i;
        memcpy(e, &map[i].addr, 8);
        memcpy(e + 8, &map[i].size, 8);
        wr32(e + 16, map[i].type);
    }
    bp[BP_E820_ENTRIES] = (uint8_t)n;
}

/* Identity map of [0, 4 GiB) in 2 MiB pages at LINUX_PT_GPA, and the boot GDT; fills st. */
static void build_long_mode(uint8_t *gmem, struct guest_boot_state *st)
{
    uint64_t *pml4 = (uint64_t *)(void *)(gmem + LINUX_PT_GPA);
    uint64_t *pdpt = pml4 + 512, *pd = pml4 + 1024;
    memset(pml4, 0, LINUX_PT_PAGES * 0x1000);
    pml4[0] = (LINUX_PT_GPA + 0x1000) | PTE_P_RW;
    for (int i = 0; i < 4; i++)
        pdpt[i] = (LINUX_PT_GPA + 0x2000 + 0x1000ull * i) | PTE_P_RW;
    for (uint64_t i = 0; i < 4 * 512; i++)
        pd[i] = (i << 21) | PDE_PS | PTE_P_RW;

    uint64_t *gdt = (uint64_t *)(void *)(gmem + GUEST_GDT_GPA);
    memset(gdt, 0, GUEST_GDT_SIZE);
    gdt[LINUX_BOOT_CS / 8] = GDT_FLAT_CODE64;
    gdt[LINUX_BOOT_DS / 8] = GDT_FLAT_DATA;

    memset(st, 0, sizeof(*st));
    st->long_mode = 1;
    st->cr0 = CR0_PE | CR0_ET | CR0_PG;
    st->cr3 = LINUX_PT_GPA;
    st->cr4 = CR4_PAE;
    st->efer = EFER_LME | EFER_LMA;
    st->cs = LINUX_BOOT_CS;
    st->ds = LINUX_BOOT_DS;
    st->gdtr_base = GUEST_GDT_GPA;
    st->gdtr_limit = LINUX_BOOT_DS + 7;
    st->rsp = LINUX_STACK_GPA;
    st->rsi = LINUX_BOOT_PARAMS_GPA;
}

int linux_load(const uint8_t *img, size_t len, uint8_t *gmem, uint64_t gsize, const char *cmdline,
               const uint8_t *initrd, size_t initrd_len, struct guest_boot_state *st,
               struct linux_load *out, char *err, size_t errlen)
{
    if (!linux_is_bzimage(img, len))
        return refuse(err, errlen, "not a bzImage (no \"HdrS\" setup header)");
    uint16_t version = rd16(img + HDR_VERSION);
    if (version < LINUX_MIN_VERSION) {
        hv_snprintf(err, errlen, "boot protocol %u.%02u, perfvisor needs 2.12 or later (the 64-bit "
                    "entry)", version >> 8, version & 0xFF);
        return -1;
    }
    if (!(rd16(img + HDR_XLOADFLAGS) & XLF_KERNEL_64))
        return refuse(err, errlen, "no 64-bit entry point (xloadflags XLF_KERNEL_64 clear): a "
                      "32-bit-only kernel");
    if (!(img[HDR_LOADFLAGS] & LOADED_HIGH))
        return refuse(err, errlen, "a zImage (loadflags LOADED_HIGH clear): load a bzImage");
    unsigned setup_sects = img[HDR_START] ? img[HDR_START] : 4;
    size_t pm_off = (size_t)(setup_sects + 1) * 512;
    size_t hdr_end = HDR_JUMP + 2 + img[HDR_JUMP + 1];
    if (pm_off >= len || hdr_end > BP_SIZE || hdr_end > len)
        return refuse(err, errlen, "truncated bzImage (the protected-mode kernel is missing)");
    size_t pm_len = len - pm_off;

    /* where the kernel goes: pref_address, rounded up to kernel_alignment when relocatable */
    uint64_t align = rd32(img + HDR_KERNEL_ALIGNMENT);
    uint64_t load = rd64(img + HDR_PREF_ADDRESS);
    if (img[HDR_RELOCATABLE] && align && (align & (align - 1)) == 0)
        load = (load + align - 1) & ~(align - 1);
    if (load < 0x100000)
        load = 0x100000;
    uint64_t init_size = rd32(img + HDR_INIT_SIZE);
    if (init_size < pm_len)
        init_size = pm_len;
    if (load + init_size > gsize) {
        hv_snprintf(err, errlen, "the kernel needs [0x%lx, 0x%lx) (init_size), beyond mem= "
                    "(%lu MiB): raise mem=", (unsigned long)load, (unsigned long)(load + init_size),
                    (unsigned long)(gsize >> 20));
        return -1;
    }

    /* the command line, within cmdline_size (the longest the kernel takes, without its NUL) */
    size_t clen = strlen(cmdline);
    uint32_t cmax = rd32(img + HDR_CMDLINE_SIZE);
    if (clen > cmax || clen >= LINUX_CMDLINE_MAX) {
        hv_snprintf(err, errlen, "command line of %lu bytes, the kernel takes at most %lu",
                    (unsigned long)clen, (unsigned long)(cmax < LINUX_CMDLINE_MAX - 1 ?
                                                         cmax : LINUX_CMDLINE_MAX - 1));
        return -1;
    }

    /* the initrd: page aligned, as high as RAM and initrd_addr_max allow, clear of the kernel */
    uint64_t rd_lo = 0;
    if (initrd_len) {
        uint64_t top = gsize;
        uint64_t max = (uint64_t)rd32(img + HDR_INITRD_ADDR_MAX) + 1;
        if (top > max)
            top = max;
        rd_lo = top >= initrd_len ? (top - initrd_len) & ~0xFFFull : 0;
        if (rd_lo < load + init_size) {
            hv_snprintf(err, errlen, "initrd of %lu KiB does not fit between the kernel (end "
                        "0x%lx) and 0x%lx: raise mem=", (unsigned long)(initrd_len >> 10),
                        (unsigned long)(load + init_size), (unsigned long)top);
            return -1;
        }
    }

    memcpy(gmem + load, img + pm_off, pm_len);
    if (initrd_len)
        memcpy(gmem + rd_lo, initrd, initrd_len);
    memcpy(gmem + LINUX_CMDLINE_GPA, cmdline, clen + 1);

    uint8_t *bp = gmem + LINUX_BOOT_PARAMS_GPA;
    memset(bp, 0, BP_SIZE);
    memcpy(bp + HDR_START, img + HDR_START, hdr_end - HDR_START);
    bp[HDR_TYPE_OF_LOADER] = LOADER_UNDEFINED;
    wr32(bp + HDR_CMD_LINE_PTR, (uint32_t)LINUX_CMDLINE_GPA);
    wr32(bp + HDR_RAMDISK_IMAGE, (uint32_t)rd_lo);
    wr32(bp + HDR_RAMDISK_SIZE, (uint32_t)initrd_len);
    wr32(bp + BP_EXT_RAMDISK_IMAGE, (uint32_t)(rd_lo >> 32));
    wr32(bp + BP_EXT_RAMDISK_SIZE, (uint32_t)((uint64_t)initrd_len >> 32));
    wr32(bp + BP_EXT_CMD_LINE_PTR, 0);
    build_e820(bp, gsize);
    /* ACPI tables (RSDP first) in the reserved BIOS area: found through acpi_rsdp_addr
     * (2.14+) and by the 0xE0000-0xFFFFF scan of an older kernel alike. */
    struct acpi_desc ad = { .lapic_addr = LINUX_XAPIC_ADDR, .apic_id = 0,
                            .ioapic_id = LINUX_IOAPIC_ID, .ioapic_addr = LINUX_IOAPIC_ADDR };
    memset(gmem + LINUX_ACPI_GPA, 0, ACPI_TABLES_MAX);
    if (acpi_build(&ad, gmem + LINUX_ACPI_GPA, LINUX_ACPI_GPA, ACPI_TABLES_MAX) < 0)
        return refuse(err, errlen, "cannot build its ACPI tables");
    uint64_t rsdp = LINUX_ACPI_GPA + ad.rsdp_offset;
    memcpy(bp + BP_ACPI_RSDP_ADDR, &rsdp, 8);
    memcpy(gmem + LINUX_RESET_VECTOR, reset_stub, sizeof(reset_stub));
    build_long_mode(gmem, st);
    st->rip = load + ENTRY64_OFFSET;

    out->version = version;
    out->kernel_lo = load;
    out->kernel_hi = load + init_size;
    out->initrd_lo = rd_lo;
    out->initrd_hi = initrd_len ? rd_lo + initrd_len : 0;
    out->entry = st->rip;
    return 0;
}
