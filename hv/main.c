/* perfvisor's start: console, boot information, memory, VT-x, one domain per module, run. */
#include "hv/arch.h"
#include "hv/boot_info.h"
#include "hv/cmdline.h"
#include "hv/domain.h"
#include "hv/errno.h"
#include "hv/guest_load.h"
#include "hv/guest_modules.h"
#include "hv/mbkernel.h"
#include "hv/mm.h"
#include "hv/platform.h"
#include "hv/printf.h"
#include "hv/sched.h"
#include "hv/string.h"
#include "hv/summary.h"
#include "perfvisor/capture.h"
#include "pmu/sampling/prof.h"

#define PERFVISOR_VERSION "0.1"

extern char __image_start[], __image_end[];
static struct boot_info bi;

static __attribute__((noreturn)) void finish(int status)
{
    hv_printf("perfvisor: end status=%d\n", status);
    platform_shutdown(status);
}

/* The GRUB modules that are data for a domain (perfvisor.module-of=N), by domain. */
static const struct boot_module *dom_mods[MAX_DOMAINS][GUEST_MAX_MODULES];
static int dom_nmods[MAX_DOMAINS];
static struct guest_module placed[GUEST_MAX_MODULES];
static char placed_strings[GUEST_MAX_MODULES][BOOT_CMDLINE_MAX];

/* Builds domain `id` from a module: memory, kernel (multiboot or Linux) with its modules, the
 * start state, EPT, vCPU. */
static void domain_build(struct domain *d, int id, const struct boot_module *m)
{
    char err[192];
    struct guest_load_info ld;
    int nmods = dom_nmods[id - 1];

    if (domain_configure(d, id, m->cmdline, err, sizeof(err))) {
        domain_stop(d, "bad command line: %s", err);
        return;
    }
    d->mem_host = page_alloc_guest(d->mem_size);
    if (!d->mem_host) {
        domain_stop(d, "cannot start: no %lu MiB of free memory left (%lu MiB free); lower mem=",
                    d->mem_size >> 20, page_alloc_free_bytes() >> 20);
        return;
    }
    uint8_t *gmem = (uint8_t *)(uintptr_t)d->mem_host;
    const uint8_t *img = (const uint8_t *)(uintptr_t)m->start;
    if (guest_load(gmem, d->mem_size, img, m->end - m->start, d->cmdline, dom_mods[id - 1],
                   nmods, placed, placed_strings, &d->boot, &ld, err, sizeof(err))) {
        domain_stop(d, "%s", err);
        return;
    }
    d->image_id_len = (uint8_t)mbkernel_build_id(img, m->end - m->start, d->image_id,
                                                 sizeof(d->image_id));
    d->image_id_kind = CAP_IMAGE_ID_BUILD_ID;
    if (!d->image_id_len && prof.enabled) {     /* no build-id: the file's CRC-32 names it */
        uint32_t crc = cap_crc32(0, img, m->end - m->start);
        memcpy(d->image_id, &crc, 4);
        d->image_id_len = 4;
        d->image_id_kind = CAP_IMAGE_ID_CRC32;
    }
    if (arch_boot_state_check(d, err, sizeof(err))) {
        domain_stop(d, "cannot start: its start state would fail VM entry: %s", err);
        return;
    }
    if (arch_domain_init(d) || arch_vcpu_init(&d->vcpu)) {
        domain_stop(d, "cannot set up its virtual machine");
        return;
    }
    if (ld.kind == GUEST_KIND_LINUX) {
        domain_ioapic_init(d);
        hv_printf("perfvisor: domain %d (%s): %lu MiB at 0x%lx, bzImage (boot protocol %u.%02u) "
                  "kernel [0x%lx, 0x%lx), 64-bit entry 0x%lx\n", d->id, d->name, d->mem_size >> 20,
                  d->mem_host, ld.linux_version >> 8, ld.linux_version & 0xFF, ld.lo, ld.hi,
                  ld.entry);
        if (ld.initrd_hi)
            hv_printf("perfvisor: domain %d (%s): initrd at [0x%lx, 0x%lx)\n", d->id, d->name,
                      ld.initrd_lo, ld.initrd_hi);
        return;
    }
    hv_printf("perfvisor: domain %d (%s): %lu MiB at 0x%lx, %s kernel [0x%lx, 0x%lx), entry 0x%lx%s\n",
              d->id, d->name, d->mem_size >> 20, d->mem_host, ld.format, ld.lo, ld.hi, ld.entry,
              ld.has_mb1_header ? "" : " (no multiboot header)");
    for (int i = 0; i < ld.nmods; i++)
        hv_printf("perfvisor: domain %d (%s): module %d \"%s\" at [0x%lx, 0x%lx)\n", d->id,
                  d->name, i + 1, placed[i].string, placed[i].start, placed[i].end);
}

void kmain(uint32_t magic, uint64_t info)
{
    uint64_t slice = SCHED_DEFAULT_SLICE;

    arch_early_init();
    hv_printf("\nperfvisor %s: a hypervisor for profiling virtual machines\n", PERFVISOR_VERSION);
    if (boot_info_parse(magic, info, &bi))
        finish(1);
    arch_console_setup(bi.cmdline, bi.acpi_rsdp);
    hv_printf("perfvisor: booted by %s, command line \"%s\", %d module(s)\n", bi.loader, bi.cmdline,
              bi.nmodules);
    if (cmdline_get_u64(bi.cmdline, "slice", &slice) < 0 || slice < PV_MIN_SLICE) {
        hv_printf("perfvisor: slice= must be a number of TSC ticks, at least %lu\n", (unsigned long)PV_MIN_SLICE);
        finish(1);
    }
    page_alloc_init(&bi, (uint64_t)__image_start, (uint64_t)__image_end);
    if (arch_virt_init() || arch_vpmu_init(bi.cmdline))
        finish(1);
    if (prof_init(bi.cmdline))
        finish(1);
    if (bi.nmodules == 0) {
        hv_printf("perfvisor: no guests: give GRUB one `module2 KERNEL.elf name=... mem=...` line "
                  "per guest\n");
        finish(1);
    }
    if (bi.modules_dropped) {           /* never run a subset of what was asked for */
        hv_printf("perfvisor: too many modules: %d, perfvisor takes at most %d (guests and their "
                  "modules): nothing was run\n", bi.nmodules + bi.modules_dropped, BOOT_MAX_MODULES);
        finish(1);
    }
    /* kernels are domains 1, 2, ... in order; marked modules go to the domain they name */
    const struct boot_module *kernels[BOOT_MAX_MODULES];
    int nkernels = 0;
    for (int i = 0; i < bi.nmodules; i++) {
        int owner = guest_module_owner(bi.modules[i].cmdline);
        if (owner == 0)
            kernels[nkernels++] = &bi.modules[i];
        else if (owner < 0 || owner > MAX_DOMAINS)
            hv_printf("perfvisor: module %d (\"%s\"): %s= must name a domain 1-%d: ignored\n",
                      i + 1, bi.modules[i].cmdline, GUEST_MODULE_OF_KEY, MAX_DOMAINS);
        else if (dom_nmods[owner - 1]++ < GUEST_MAX_MODULES)
            dom_mods[owner - 1][dom_nmods[owner - 1] - 1] = &bi.modules[i];
    }
    for (int i = 0; i < MAX_DOMAINS; i++)
        if (dom_nmods[i] && i >= nkernels)
            hv_printf("perfvisor: %d module(s) of domain %d, which does not exist: ignored\n",
                      dom_nmods[i], i + 1);
    if (nkernels > MAX_DOMAINS) {
        hv_printf("perfvisor: too many guests: %d, perfvisor runs at most %d domains: nothing was "
                  "run\n", nkernels, MAX_DOMAINS);
        finish(1);
    }
    for (int i = 0; i < nkernels; i++)
        domain_build(&domains[ndomains++], i + 1, kernels[i]);

    hv_printf("perfvisor: running %d domain(s), time slice %lu ticks\n", ndomains, slice);
    int err = prof_start();
    if (err < 0) {
        hv_printf("perfvisor: profiling cannot start: %s: nothing was run\n", hv_strerror(err));
        finish(1);
    }
    sched_run(slice);
    prof_finish();
    finish(summary_print());
}
