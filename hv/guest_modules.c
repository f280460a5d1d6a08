/* Multiboot modules of a domain (see hv/guest_modules.h). */
#include "hv/guest_modules.h"
#include "hv/cmdline.h"
#include "hv/printf.h"
#include "hv/string.h"

#define PAGE 0x1000ull

/* N from "key=N": N >= 1, 0 if there is no key=, -1 if N is not a positive number. */
static int marker_domain(const char *cmdline, const char *key)
{
    char buf[16];
    uint64_t n;

    if (!cmdline_get(cmdline, key, buf, sizeof(buf)))
        return 0;
    if (parse_u64(buf, &n) || n == 0 || n > 0x7FFFFFFF)
        return -1;
    return (int)n;
}

int guest_module_owner(const char *cmdline)
{
    int mod = marker_domain(cmdline, GUEST_MODULE_OF_KEY);
    int initrd = marker_domain(cmdline, GUEST_INITRD_OF_KEY);

    if (mod && initrd && mod != initrd)
        return -1;
    return mod ? mod : initrd;
}

int guest_module_initrd_of(const char *cmdline)
{
    return marker_domain(cmdline, GUEST_INITRD_OF_KEY);
}

int guest_modules_initrd(const struct boot_module *const *mods, int n)
{
    for (int i = 0; i < n; i++)
        if (guest_module_initrd_of(mods[i]->cmdline) > 0)
            return i;
    return -1;
}

int guest_modules_place(uint8_t *gmem, uint64_t gsize, uint64_t above,
                        const struct boot_module *const *mods, int n, struct guest_module *out,
                        char (*strings)[BOOT_CMDLINE_MAX], char *err, int errlen)
{
    uint64_t at = (above + PAGE - 1) & ~(PAGE - 1);

    for (int i = 0; i < n; i++) {
        uint64_t len = mods[i]->end - mods[i]->start;
        if (at > gsize || len > gsize - at) {
            hv_snprintf(err, errlen, "module %d (%lu bytes) does not fit in its memory above "
                        "0x%lx: raise mem=", i + 1, len, at);
            return -1;
        }
        memcpy(gmem + at, (const void *)(uintptr_t)mods[i]->start, len);
        cmdline_strip(mods[i]->cmdline, NULL, "perfvisor.", strings[i], BOOT_CMDLINE_MAX);
        out[i] = (struct guest_module){ at, at + len, strings[i] };
        at = (at + len + PAGE - 1) & ~(PAGE - 1);
    }
    return 0;
}
