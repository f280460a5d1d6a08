/* The VMCS images perfvisor builds, for host tests: the capability MSRs of two CPUs (Bochs 2.7's
 * corei7_skylake_x and a stricter, hardware-like model), vmx_probe's control choice on them
 * (vmx_controls.h), the host registers as perfvisor runs, and the start states of the real
 * loaders (hv/guest_load.c) on synthesized kernels, through arch/x86/vmx/vmcs_image.c.
 * Included by one test file each (static functions). */
#ifndef TESTS_UNIT_VMX_IMAGES_H
#define TESTS_UNIT_VMX_IMAGES_H

#include <stdlib.h>
#include <string.h>

#include "arch/x86/cpu.h"
#include "arch/x86/gdt.h"
#include "arch/x86/msr.h"
#include "arch/x86/vmx/ept.h"
#include "arch/x86/vmx/vmcs_image.h"
#include "arch/x86/vmx/vmx_controls.h"
#include "hv/guest_load.h"
#include "hv/guest_mbinfo.h"

#define MiB  (1024ull * 1024)
#define GMEM (64 * MiB)

/* Bochs 2.7, cpu model corei7_skylake_x: the capability MSRs read by a perfvisor VMX_CHECK=1
 * build (TRUE_ controls, as IA32_VMX_BASIC bit 55 is set), MAXPHYADDR 40 and CPUID.0AH's
 * 4 general and 3 fixed counters. */
static const struct vmx_cap_msrs bochs_skylake_x = {
    .basic = 0x00d810000000002bull, .pin = 0x0000007f00000016ull, .proc = 0xf7f9fffe04006172ull,
    .proc2 = 0x02177fff00000000ull, .exit = 0x007fffff00036dfbull, .entry = 0x0000ffff000011fbull,
    .misc = 0x00000000600401e0ull, .cr0_fixed0 = 0x80000021ull, .cr0_fixed1 = 0xffffffffull,
    .cr4_fixed0 = 0x2000ull, .cr4_fixed1 = 0x3727ffull, .ept_vpid = 0x00000f0106334141ull,
    .maxphyaddr = 40, .perf_global_ctrl_valid = 0x70000000full,
};
/* A stricter model, not read from a machine here: the allowed-1 settings a hardware CPU of the
 * same generation reports without VMCS shadowing or the APIC virtualisation controls, CR4
 * bits only up to SMAP, MAXPHYADDR 39, 8 general counters, no zero-length instruction
 * injection, HLT the only extra activity state. */
static const struct vmx_cap_msrs strict_cpu = {
    .basic = 0x00da040000000004ull, .pin = 0x0000007f00000016ull, .proc = 0xfff9fffe04006172ull,
    .proc2 = 0x000000be00000000ull, .exit = 0x007fffff00036dfbull, .entry = 0x0000ffff000011fbull,
    .misc = 0x0000000000040060ull, .cr0_fixed0 = 0x80000021ull, .cr0_fixed1 = 0xffffffffull,
    .cr4_fixed0 = 0x2000ull, .cr4_fixed1 = 0x3727ffull, .ept_vpid = 0x00000f0106334141ull,
    .maxphyaddr = 39, .perf_global_ctrl_valid = 0x7000000ffull,
};

/* vmx_probe's adjustment of the controls perfvisor asks for (vmx_controls.h) */
static struct vmx_caps caps_for(const struct vmx_cap_msrs *m)
{
    assert_int_equal(vmx_ctl_missing(m->pin, VMX_PIN_REQUIRED), 0);
    assert_int_equal(vmx_ctl_missing(m->proc, VMX_PROC_REQUIRED), 0);
    assert_int_equal(vmx_ctl_missing(m->proc2, VMX_PROC2_REQUIRED), 0);
    assert_int_equal(vmx_ctl_missing(m->exit, VMX_EXIT_REQUIRED), 0);
    assert_int_equal(vmx_ctl_missing(m->entry, VMX_ENTRY_REQUIRED), 0);
    return (struct vmx_caps){
        .basic = m->basic,
        .pin = vmx_ctl_adjust(m->pin, VMX_PIN_REQUIRED, VMX_PIN_OPTIONAL),
        .proc = vmx_ctl_adjust(m->proc, VMX_PROC_REQUIRED, VMX_PROC_OPTIONAL),
        .proc2 = vmx_ctl_adjust(m->proc2, VMX_PROC2_REQUIRED, VMX_PROC2_OPTIONAL),
        .exit = vmx_ctl_adjust(m->exit, VMX_EXIT_REQUIRED, VMX_EXIT_OPTIONAL),
        .entry = vmx_ctl_adjust(m->entry, VMX_ENTRY_REQUIRED, VMX_ENTRY_OPTIONAL),
        .cr0_fixed0 = m->cr0_fixed0, .cr0_fixed1 = m->cr0_fixed1,
        .cr4_fixed0 = m->cr4_fixed0, .cr4_fixed1 = m->cr4_fixed1, .ept_cap = m->ept_vpid,
        .exit_stores_lma = (m->misc & VMX_MISC_EXIT_STORES_LMA) != 0,
        /* cr4_guest_reserved only widens the CR4 guest/host mask, which no entry check reads */
    };
}

/* The host as perfvisor runs it: boot/ turns on PAE, LME, PG; arch/x86/setup.c MP and NE and
 * the SSE bits; arch_virt_init the VMX fixed bits and VMXE.  Addresses as in the linked image. */
static struct vmx_host_regs host_regs(const struct vmx_caps *c)
{
    return (struct vmx_host_regs){
        .cr0 = (CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_PG | c->cr0_fixed0) & c->cr0_fixed1,
        .cr3 = 0x103000,
        .cr4 = (CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT | CR4_VMXE | c->cr4_fixed0) & c->cr4_fixed1,
        .efer = EFER_LME | EFER_LMA, .pat = 0x0007040600070406ull,
        .cs = GDT_SEL_CODE, .ds = GDT_SEL_DATA, .tr = GDT_SEL_TSS,
        .tr_base = 0x10A000, .gdtr_base = 0x10B000, .idtr_base = 0x10C000, .rip = 0x101234,
    };
}

/* ---- the guests' start states, from the real loader on synthesized kernels */
static uint8_t *gmem;
static uint8_t kimg[0x3000];

static void put16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }

static void make_bzimage(void)         /* protocol 2.12, relocatable, 64-bit entry */
{
    memset(kimg, 0, sizeof(kimg));
    kimg[0x1F1] = 4;
    put16(kimg + 0x1FE, 0xAA55);
    memcpy(kimg + 0x202, "HdrS", 4);
    put16(kimg + 0x206, 0x020C);
    kimg[0x211] = 0x01;
    put32(kimg + 0x22C, 0x7FFFFFFF);
    put32(kimg + 0x230, 0x200000);
    kimg[0x234] = 1;
    put16(kimg + 0x236, 0x01);
    put32(kimg + 0x238, 255);
    put64(kimg + 0x258, 0x1000000);
    put32(kimg + 0x260, 0x100000);
}

static void make_elf32(void)           /* one PT_LOAD at 1 MiB, entry +0x100 */
{
    memset(kimg, 0, sizeof(kimg));
    memcpy(kimg, "\x7f" "ELF", 4);
    kimg[4] = 1;
    kimg[5] = 1;
    put16(kimg + 16, 2);
    put16(kimg + 18, 3);
    put32(kimg + 20, 1);
    put32(kimg + 24, 0x100100);
    put32(kimg + 28, 52);
    put16(kimg + 42, 32);
    put16(kimg + 44, 1);
    uint8_t *ph = kimg + 52;
    put32(ph, 1);
    put32(ph + 8, 0x100000);
    put32(ph + 12, 0x100000);
    put32(ph + 16, sizeof(kimg));
    put32(ph + 20, sizeof(kimg) + 0x1000);
}

enum image_kind { MB32, LINUX64, MB32_LONG_MODE, MB32_PAE, GUEST_KINDS };
static const char *const kind_names[] = { "multiboot 32-bit", "Linux 64-bit entry",
    "multiboot guest after it enabled long mode", "multiboot guest with PAE paging" };

static struct guest_boot_state load(enum image_kind kind)
{
    static struct guest_module placed[GUEST_MAX_MODULES];
    static char strings[GUEST_MAX_MODULES][BOOT_CMDLINE_MAX];
    struct guest_boot_state st;
    struct guest_load_info info;
    char err[200];

    if (kind == LINUX64)
        make_bzimage();
    else
        make_elf32();
    memset(gmem, 0, GMEM);
    assert_int_equal(guest_load(gmem, GMEM, kimg, sizeof(kimg), "x", NULL, 0, placed, strings,
                                &st, &info, err, sizeof(err)), 0);
    return st;
}

/* The image vmx_vcpu.c writes for domain 1, then what VM exits leave in it for states the
 * guest reaches itself (SDM Vol. 3C 28.2-28.3: exits save CR0/CR4/EFER, CS's access rights,
 * the IA-32e mode guest control (IA32_VMX_MISC bit 5) and, with EPT and PAE paging, PDPTEs). */
static struct vmcs_image build(const struct vmx_cap_msrs *m, enum image_kind kind)
{
    struct vmx_caps c = caps_for(m);
    struct vmx_host_regs h = host_regs(&c);
    struct guest_boot_state st = load(kind);
    struct vmx_vcpu_refs refs = { .msr_bitmap = 0x120000, .eptp = 0x121000 | EPTP_WALK_4 | EPTP_MEMTYPE_WB,
                                  .vpid = 1 };
    struct vmcs_image img;

    memset(&img, 0xEE, sizeof(img));   /* a field the builders forget stays garbage */
    vmcs_image_controls(&img, &c, &st, &refs);
    vmcs_image_host(&img, &h);
    vmcs_image_guest(&img, &c, &st);
    img.host_rsp = 0x140000;           /* vmx_entry.asm's */
    img.io_bitmap_a = img.io_bitmap_b = img.tsc_offset = 0;
    img.exit_msr_store_addr = img.exit_msr_load_addr = img.entry_msr_load_addr = 0;
    img.entry_error_code = img.entry_insn_len = 0;
    img.host_perf_global_ctrl = 0;
    if (kind == MB32_LONG_MODE || kind == MB32_PAE) {
        img.cr4 |= CR4_PAE;
        img.cr0 |= CR0_PG;
        img.cr3 = 0x200000;
        img.pdpte[0] = 0x201001;       /* present, a page directory at 0x201000 */
        img.pdpte[1] = img.pdpte[2] = img.pdpte[3] = 0;
    }
    if (kind == MB32_LONG_MODE) {
        img.efer |= EFER_LME | EFER_LMA;
        img.entry |= ENTRY_IA32E_MODE_GUEST;
        img.seg[VSEG_CS].ar = AR_CODE64;
        img.rip = 0xFFFFFFFF80001000ull;
    }
    return img;
}


/* the loader's guest memory: call vmx_images_setup / vmx_images_teardown around the tests */
static int vmx_images_setup(void **state)
{
    (void)state;
    gmem = calloc(1, GMEM);
    return gmem ? 0 : -1;
}

static int vmx_images_teardown(void **state)
{
    (void)state;
    free(gmem);
    return 0;
}

#endif
