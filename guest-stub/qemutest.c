/* qemutest.c - what a test kernel written for QEMU (kvm-unit-tests and the like) expects of
 * its machine at start-up, one "qemutest: PASS|FAIL <rule>" line per check; the exit status is
 * the number of failures.
 *   IA32_APIC_BASE: global disable and re-enable, xAPIC and x2APIC, the illegal transitions
 *     #GP (SDM Vol. 3A 11.4.3, 11.12.5);
 *   IA32_MCG_CAP reads no banks, IA32_MISC_ENABLE's writable bits (SDM Vol. 4 Table 2-2);
 *   RFLAGS.RF in the EFLAGS image of an injected #GP (SDM Vol. 3A 2.3, 18.3.1.1);
 *   QEMU's fw_cfg (ports 510H/511H): signature, ID, RAM size, CPU count against the truth;
 *   the command line holds the guest's own keys (want=VALUE must be there) and none of
 *     perfvisor's (name=, mem=, budget=, vpmu=, module=);
 *   multiboot modules (flags bit 3): each one's string, size and byte sum, printed for the
 *     test to compare with the host file.
 * mode=abort prints an abort and halts with interrupts off, without an exit status, as a test
 * kernel does when it gives up. */
#include "fault.h"
#include "guest.h"
#include "check.h"

#define MSR_APIC_BASE   0x1B
#define MSR_MCG_CAP     0x179
#define MSR_MISC_ENABLE 0x1A0
#define MSR_X2APIC_ID   0x802
#define MSR_X2APIC_TPR  0x808

#define BASE_ADDR       0xFEE00000u
#define BASE_BSP        (1u << 8)
#define BASE_EXTD       (1u << 10)
#define BASE_EN         (1u << 11)
#define BASE_DISABLED   (BASE_ADDR | BASE_BSP)
#define BASE_XAPIC      (BASE_DISABLED | BASE_EN)
#define BASE_X2APIC     (BASE_XAPIC | BASE_EXTD)

#define XAPIC_TPR       0x080
#define XAPIC_SVR       0x0F0
#define CPUID1_EDX_APIC (1u << 9)
#define RFLAGS_RF       (1u << 16)

#define MISC_FAST_STRINGS (1ull << 0)
#define MISC_LIMIT_CPUID  (1ull << 22)
#define MISC_EIST         (1ull << 16)

#define FWCFG_SEL       0x510
#define FWCFG_DATA      0x511

#define MB_INFO_MODS    (1u << 3)

struct mb_module {              /* Multiboot 0.6.96 3.3: one entry of mods_addr */
    uint32_t start, end;        /* [start, end) physical */
    uint32_t string;            /* NUL-terminated */
    uint32_t reserved;
};




static volatile uint32_t *xapic(uint32_t off)
{
    return (volatile uint32_t *)(uintptr_t)(BASE_ADDR + off);
}

static uint32_t base(void)
{
    uint64_t v = 0;
    rdmsr_try(MSR_APIC_BASE, &v);
    return (uint32_t)v;
}

static int cpuid_apic(void)
{
    uint32_t a, b, c, d;
    cpuid(1, 0, &a, &b, &c, &d);
    return (d & CPUID1_EDX_APIC) != 0;
}

static void test_apic_base(void)
{
    uint64_t v;

    check(base() == BASE_XAPIC, "apic-base-at-entry", "0x%x", base());
    check(wrmsr_try(MSR_APIC_BASE, BASE_DISABLED | BASE_EXTD) < 0, "apic-base-invalid-state-gp",
          "EN=0 EXTD=1 accepted");
    check(wrmsr_try(MSR_APIC_BASE, BASE_XAPIC | 1) < 0, "apic-base-reserved-bit-gp", "accepted");
    *xapic(XAPIC_SVR) = 0x1FF;
    *xapic(XAPIC_TPR) = 0x40;
    check(wrmsr_try(MSR_APIC_BASE, BASE_DISABLED) == 0 && base() == BASE_DISABLED,
          "apic-base-disable", "base now 0x%x", base());
    check(!cpuid_apic(), "apic-disabled-cpuid-apic-clear", "CPUID.1:EDX[9] still set");
    check(rdmsr_try(MSR_X2APIC_ID, &v) < 0, "apic-disabled-x2apic-msr-gp", "read 0x%x",
          (uint32_t)v);
    check(wrmsr_try(MSR_APIC_BASE, BASE_X2APIC) < 0, "apic-base-disabled-to-x2apic-gp",
          "accepted, base 0x%x", base());
    check(wrmsr_try(MSR_APIC_BASE, BASE_XAPIC) == 0 && base() == BASE_XAPIC && cpuid_apic(),
          "apic-base-reenable-xapic", "base 0x%x", base());
    check(*xapic(XAPIC_TPR) == 0 && *xapic(XAPIC_SVR) == 0xFF, "apic-reenabled-reset-state",
          "TPR 0x%x SVR 0x%x", *xapic(XAPIC_TPR), *xapic(XAPIC_SVR));
    check(wrmsr_try(MSR_APIC_BASE, BASE_X2APIC) == 0 && base() == BASE_X2APIC,
          "apic-base-xapic-to-x2apic", "base 0x%x", base());
    v = ~0ull;
    check(rdmsr_try(MSR_X2APIC_ID, &v) == 0 && v == 0, "x2apic-id", "0x%x", (uint32_t)v);
    wrmsr_try(MSR_X2APIC_TPR, 0x20);
    check(wrmsr_try(MSR_APIC_BASE, BASE_XAPIC) < 0 && base() == BASE_X2APIC,
          "apic-base-x2apic-to-xapic-gp", "base 0x%x", base());
    check(wrmsr_try(MSR_APIC_BASE, BASE_DISABLED) == 0 && base() == BASE_DISABLED,
          "apic-base-x2apic-disable", "base 0x%x", base());
    check(wrmsr_try(MSR_APIC_BASE, BASE_XAPIC) == 0 && wrmsr_try(MSR_APIC_BASE, BASE_X2APIC) == 0,
          "apic-base-reenable-x2apic", "base 0x%x", base());
    v = ~0ull;
    check(rdmsr_try(MSR_X2APIC_TPR, &v) == 0 && v == 0, "x2apic-reenabled-reset-state",
          "TPR 0x%x", (uint32_t)v);
}

static void test_msrs(void)
{
    uint64_t v = ~0ull, misc = 0, m2 = 0;
    uint32_t a, b, c, d;

    check(rdmsr_try(MSR_MCG_CAP, &v) == 0 && v == 0, "mcg-cap-no-banks", "0x%x", (uint32_t)v);
    check(wrmsr_try(MSR_MCG_CAP, 0) < 0, "mcg-cap-read-only", "write accepted");
    check(rdmsr_try(MSR_MISC_ENABLE, &misc) == 0 && (misc & MISC_FAST_STRINGS),
          "misc-enable-fast-strings-at-entry", "0x%x", (uint32_t)misc);
    check(wrmsr_try(MSR_MISC_ENABLE, misc & ~MISC_FAST_STRINGS) == 0 &&
          rdmsr_try(MSR_MISC_ENABLE, &m2) == 0 && m2 == (misc & ~MISC_FAST_STRINGS),
          "misc-enable-fast-strings-writable", "read back 0x%x", (uint32_t)m2);
    wrmsr_try(MSR_MISC_ENABLE, misc);
    wrmsr_try(MSR_MISC_ENABLE, misc | MISC_LIMIT_CPUID);
    cpuid(0, 0, &a, &b, &c, &d);
    check(a == 2, "misc-enable-limit-cpuid-maxval", "CPUID.0:EAX = 0x%x", a);
    wrmsr_try(MSR_MISC_ENABLE, misc);
    cpuid(0, 0, &a, &b, &c, &d);
    check(a > 2, "misc-enable-limit-cpuid-cleared", "CPUID.0:EAX = 0x%x", a);
    check(wrmsr_try(MSR_MISC_ENABLE, misc | MISC_EIST) < 0, "misc-enable-reserved-bit-gp",
          "EIST enable accepted");
}

/* A #GP injected by the hypervisor (WRMSR of an MSR that does not exist) pushes RF=1, as
 * every fault the CPU delivers does. */
static void test_rf(void)
{
    fault_eflags = 0;
    int r = wrmsr_try(0x12345678, 0);
    check(r < 0 && (fault_eflags & RFLAGS_RF), "injected-fault-pushes-rf",
          "fault %d, pushed EFLAGS 0x%x", r, fault_eflags);
}

static uint64_t fwcfg(uint16_t key, int n)
{
    uint64_t v = 0;
    __asm__ volatile("outw %0, %1" : : "a"(key), "Nd"((uint16_t)FWCFG_SEL));
    for (int i = 0; i < n; i++)
        v |= (uint64_t)inb(FWCFG_DATA) << (8 * i);
    return v;
}

static void test_fwcfg(const struct mb_info *mbi)
{
    uint64_t sig = fwcfg(0x0000, 4), ram = fwcfg(0x0003, 8);
    uint64_t truth = ((uint64_t)mbi->mem_upper << 10) + 0x100000;

    check(sig == 0x554D4551, "fwcfg-signature", "0x%x", (uint32_t)sig);   /* "QEMU" */
    check(fwcfg(0x0001, 4) == 1, "fwcfg-id-traditional", "0x%x", (uint32_t)fwcfg(0x0001, 4));
    check(ram == truth, "fwcfg-ram-size", "%u KiB, multiboot says %u KiB",
          (uint32_t)(ram >> 10), (uint32_t)(truth >> 10));
    check(fwcfg(0x0005, 2) == 1, "fwcfg-nb-cpus", "%u", (uint32_t)fwcfg(0x0005, 2));
    check(fwcfg(0x000F, 2) == 1, "fwcfg-max-cpus", "%u", (uint32_t)fwcfg(0x000F, 2));
    check(fwcfg(0x0019, 8) == 0, "fwcfg-unknown-key-zero", "0x%x", (uint32_t)fwcfg(0x0019, 8));
    printf("qemutest: fwcfg ram=%u KiB cpus=%u\n", (uint32_t)(ram >> 10),
           (uint32_t)fwcfg(0x0005, 2));
}

static void test_cmdline(void)
{
    static const char *const ours[][2] = {
        { "name", "cmdline-without-name" }, { "mem", "cmdline-without-mem" },
        { "budget", "cmdline-without-budget" }, { "vpmu", "cmdline-without-vpmu" },
        { "module", "cmdline-without-module" },
    };
    const char *want = mb_opt("want");

    for (unsigned i = 0; i < sizeof(ours) / sizeof(ours[0]); i++)
        check(!mb_opt(ours[i][0]), ours[i][1], "%s=%s", ours[i][0], mb_opt(ours[i][0]));
    check(want != NULL, "cmdline-has-guest-key", "no want= in \"%s\"", mb_cmdline());
}

static void test_modules(const struct mb_info *mbi)
{
    if (!(mbi->flags & MB_INFO_MODS)) {
        printf("qemutest: modules: none (flags 0x%x)\n", mbi->flags);
        return;
    }
    const struct mb_module *m = (const void *)(uintptr_t)mbi->mods_addr;
    uint32_t prev_end = 0;
    printf("qemutest: modules: %u\n", mbi->mods_count);
    for (uint32_t i = 0; i < mbi->mods_count; i++) {
        const uint8_t *p = (const uint8_t *)(uintptr_t)m[i].start;
        uint32_t sum = 0, n = m[i].end - m[i].start;
        for (uint32_t k = 0; k < n; k++)
            sum += p[k];
        check((m[i].start & 0xFFF) == 0 && m[i].start >= prev_end &&
              m[i].end <= ((mbi->mem_upper << 10) + 0x100000), "module-placement",
              "[0x%x, 0x%x)", m[i].start, m[i].end);
        prev_end = m[i].end;
        char first[17];
        uint32_t k = 0;
        for (; k < n && k < 16 && p[k] >= ' ' && p[k] < 0x7F; k++)
            first[k] = (char)p[k];
        first[k] = '\0';
        printf("qemutest: module %u string=\"%s\" size=%u sum=%u first=\"%s\"\n", i,
               m[i].string ? (const char *)(uintptr_t)m[i].string : "(null)", n, sum, first);
    }
}

int main(uint32_t magic, const struct mb_info *mbi)
{
    check_begin("qemutest");
    if (!guest_start("qemutest", magic, mbi)) {
        printf("qemutest: bad multiboot magic %x\n", magic);
        return 1;
    }
    fault_init();
    const char *mode = mb_opt("mode");
    if (mode && !strcmp(mode, "abort")) {
        printf("qemutest: abort: giving up (as a test kernel's assert does)\n");
        uart_drain();
        halt_forever();
    }
    test_apic_base();
    test_msrs();
    test_rf();
    test_fwcfg(mbi);
    test_cmdline();
    test_modules(mbi);
    return check_summary();
}
