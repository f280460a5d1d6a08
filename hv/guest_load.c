/* Loading a domain's kernel, whatever its kind, into one neutral start state. */
#include "hv/guest_load.h"
#include "boot/multiboot.h"
#include "hv/guest_mbinfo.h"
#include "hv/linux_loader.h"
#include "hv/mbkernel.h"
#include "hv/printf.h"
#include "hv/string.h"

#define CR0_PE (1ull << 0)            /* protection enable */
#define CR0_ET (1ull << 4)            /* extension type: 1 on every processor since the 486 */

/* err becomes "<what>: <why>", the domain's stop reason as domain_build printed it before. */
static int fail(char *err, int errlen, const char *what)
{
    char why[160];
    hv_snprintf(why, sizeof(why), "%s", err);
    hv_snprintf(err, errlen, "%s: %s", what, why);
    return -1;
}

int guest_image_kind(const uint8_t *img, size_t len)
{
    if (linux_is_bzimage(img, len))
        return GUEST_KIND_LINUX;
    return GUEST_KIND_MULTIBOOT;       /* ELF or a.out kludge: mbkernel_load tells them apart */
}

static int load_linux(uint8_t *gmem, uint64_t gsize, const uint8_t *img, size_t len,
                      const char *cmdline, const struct boot_module *const *mods, int nmods,
                      struct guest_boot_state *st, struct guest_load_info *out, char *err,
                      int errlen)
{
    struct linux_load ld;
    if (nmods > 1) {
        hv_snprintf(err, errlen, "cannot load its modules: %d modules, a Linux kernel takes one "
                    "(its initrd)", nmods);
        return -1;
    }
    /* the CLI's initrd= marks it perfvisor.initrd-of=N; a hand-written GRUB entry's one module
     * is taken as the initrd too */
    int i = guest_modules_initrd(mods, nmods);
    if (i < 0 && nmods == 1)
        i = 0;
    const uint8_t *rd = i >= 0 ? (const uint8_t *)(uintptr_t)mods[i]->start : NULL;
    size_t rd_len = i >= 0 ? mods[i]->end - mods[i]->start : 0;
    if (linux_load(img, len, gmem, gsize, cmdline, rd, rd_len, st, &ld, err, (size_t)errlen))
        return fail(err, errlen, "cannot load its kernel");
    out->kind = GUEST_KIND_LINUX;
    out->format = "bzImage";
    out->lo = ld.kernel_lo;
    out->hi = ld.kernel_hi;
    out->entry = ld.entry;
    out->linux_version = ld.version;
    out->initrd_lo = ld.initrd_lo;
    out->initrd_hi = ld.initrd_hi;
    return 0;
}

/* Multiboot 0.6.96 3.2 "Machine state": 32-bit protected mode, paging off, EAX the magic, EBX
 * the information, flat CS/DS from the GDT at GUEST_GDT_GPA. */
static int load_multiboot(uint8_t *gmem, uint64_t gsize, const uint8_t *img, size_t len,
                          const char *cmdline, const struct boot_module *const *mods, int nmods,
                          struct guest_module *placed, char (*strings)[BOOT_CMDLINE_MAX],
                          struct guest_boot_state *st, struct guest_load_info *out, char *err,
                          int errlen)
{
    struct mbkernel_load ld;
    if (mbkernel_load(img, len, gmem, gsize, &ld, err, (size_t)errlen))
        return fail(err, errlen, "cannot load its kernel");
    if (ld.lo < GUEST_LOW_END) {
        hv_snprintf(err, errlen, "cannot load its kernel: it loads at 0x%lx, below 0x%llx where its multiboot "
                    "information and initial stack go", ld.lo, GUEST_LOW_END);
        return -1;
    }
    if (nmods > GUEST_MAX_MODULES) {
        hv_snprintf(err, errlen, "cannot start: %d multiboot modules, at most %d", nmods, GUEST_MAX_MODULES);
        return -1;
    }
    if (guest_modules_place(gmem, gsize, ld.hi, mods, nmods, placed, strings, err, errlen))
        return fail(err, errlen, "cannot load its modules");
    guest_mbinfo_gdt(gmem);
    if (guest_mbinfo_build(gmem, gsize, GUEST_MBINFO_GPA, cmdline, placed, nmods) < 0) {
        hv_snprintf(err, errlen, "cannot build its multiboot information (command line or "
                    "module strings too long?)");
        return -1;
    }
    memset(st, 0, sizeof(*st));
    st->long_mode = 0;
    st->rip = ld.entry;
    st->rsp = GUEST_STACK_GPA;
    st->rax = MB1_BOOTLOADER_MAGIC;
    st->rbx = GUEST_MBINFO_GPA;
    st->cr0 = CR0_PE | CR0_ET;
    st->cs = GUEST_MB_CS;
    st->ds = GUEST_MB_DS;
    st->gdtr_base = GUEST_GDT_GPA;
    st->gdtr_limit = GUEST_MB_GDT_LIMIT;
    out->kind = GUEST_KIND_MULTIBOOT;
    out->format = ld.format;
    out->lo = ld.lo;
    out->hi = ld.hi;
    out->entry = ld.entry;
    out->has_mb1_header = ld.has_mb1_header;
    out->nmods = nmods;
    return 0;
}

int guest_load(uint8_t *gmem, uint64_t gsize, const uint8_t *img, size_t len, const char *cmdline,
               const struct boot_module *const *mods, int nmods, struct guest_module *placed,
               char (*strings)[BOOT_CMDLINE_MAX], struct guest_boot_state *st,
               struct guest_load_info *out, char *err, int errlen)
{
    memset(out, 0, sizeof(*out));
    if (guest_image_kind(img, len) == GUEST_KIND_LINUX)
        return load_linux(gmem, gsize, img, len, cmdline, mods, nmods, st, out, err, errlen);
    return load_multiboot(gmem, gsize, img, len, cmdline, mods, nmods, placed, strings, st, out,
                          err, errlen);
}
