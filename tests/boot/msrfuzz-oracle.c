/* msrfuzz-oracle.c - guest-stub/msrfuzz.c run on the host against the SDM's rules: the
 * answer perfvisor's guest must get, fault for fault.
 *
 * guest-stub/msrfuzz.c is #included unchanged, after shims for what it takes from
 * guest-stub/lib, so the oracle runs the very loops, value shapes, index lists and checksums
 * of the guest.  Its RDMSR/WRMSR/RDPMC/CPUID go to tests/boot/msrfuzz-sdm.c, a table of the
 * PMU MSRs written from the SDM for the CPUID 0AH the guest sees, which shares no code with
 * the hypervisor's vPMU (pmu/vpmu/): safe_rdmsr/safe_wrmsr -> sdm_pmu_rdmsr/sdm_pmu_wrmsr,
 * safe_rdpmc -> sdm_pmu_rdpmc at CPL 0 (the guest stubs run in ring 0, so CR4.PCE does not
 * matter), -1 = #GP (vector 13; the PMU never raises #UD).  CPUID: leaves 1 and 0AH are
 * sdm_pmu_cpuid's over zeros (all pmu_discover looks at in leaf 1 besides PDCM is the APIC
 * bits, which msrfuzz never uses), leaf 0 reports maximum leaf 0AH (perfvisor's contract:
 * >= 0AH), 40000000H the perfvisor signature.  No counter ever advances: the oracle has no
 * time, which is exactly why msrfuzz only checksums what does not depend on time.
 *
 * What is not the PMU's: the NMI handler never runs (nmis=0, a line the test ignores), the
 * IDT is not needed, guest_start (start.c) has no UART; the command line is parsed by the
 * guest's own guest-stub/lib/multiboot.c.
 *
 * Usage: msrfuzz-oracle [seed=N] [rounds=N] [rdpmc=N] ...  (the guest's options; the
 * arguments are joined with spaces after "name=msrfuzz", as perfvisor's "elf:opts").
 * Output: the guest's lines, without perfvisor's "[1:msrfuzz] " prefix.
 *
 * Build (tests/boot/msrfuzz-test.sh):
 *   gcc -std=gnu11 -O1 -I. -Iinclude -Iguest-stub/lib tests/boot/msrfuzz-oracle.c \
 *       tests/boot/msrfuzz-sdm.c guest-stub/lib/multiboot.c -o build/tests/msrfuzz/msrfuzz-oracle */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <string.h>     /* -Iguest-stub/lib: the guest's string.h, whose prototypes are libc's */

#include "tests/boot/msrfuzz-sdm.h"

static struct sdm_pmu oracle_pmu;   /* the fresh vCPU's PMU */
static unsigned long oracle_accesses[3]; /* rdmsr, wrmsr, rdpmc reaching the PMU */

/* ---- guest-stub/lib shims -----------------------------------------------------------------
 * x86.h (inline asm) and idt.h (the IDT and the safe_* instructions) are replaced; guest.h,
 * multiboot.h, printf.h (host printf has the same conversions), string.h and pmu.h are the
 * guest's own headers. */
#define GUEST_X86_H
#define GUEST_IDT_H
#include "guest.h"

static void cpuid(uint32_t leaf, uint32_t subleaf, uint32_t *a, uint32_t *b, uint32_t *c,
                  uint32_t *d)
{
    uint32_t r[4] = { 0, 0, 0, 0 };
    if (leaf == 0) {
        r[0] = 0xA;                             /* maximum basic leaf: the PMU leaf */
    } else if (leaf == 0x40000000u) {
        r[0] = 0x40000000u;
        r[1] = 0x66726570;                      /* "perfvisor" as pmu_discover expects it */
        r[2] = 0x6f736976;
        r[3] = 'r';
    }
    (void)subleaf;                          /* leaf 0AH has no subleaves */
    sdm_pmu_cpuid(leaf, r);                 /* leaves 1 (PDCM) and 0AH */
    *a = r[0];
    *b = r[1];
    *c = r[2];
    *d = r[3];
}

#define IDT_ISR
#define IDT_FATAL_STATUS 99
struct iframe {
    uint32_t ip, cs, flags;
};
static volatile uint32_t idt_fault_vector;  /* 13 (#GP) after a faulting safe_* */
static volatile uint32_t idt_stray;         /* no interrupts on the host */
static void idt_init(void) {}
#define idt_set(vec, fn) ((void)(vec), (void)(fn))

static int safe_rdmsr(uint32_t msr, uint64_t *value)
{
    uint64_t v = 0;
    oracle_accesses[0]++;
    if (sdm_pmu_rdmsr(&oracle_pmu, msr, &v)) {
        idt_fault_vector = 13;
        return -1;
    }
    if (value)
        *value = v;
    return 0;
}

static int safe_wrmsr(uint32_t msr, uint64_t value)
{
    oracle_accesses[1]++;
    if (sdm_pmu_wrmsr(&oracle_pmu, msr, value)) {
        idt_fault_vector = 13;
        return -1;
    }
    return 0;
}

static int safe_rdpmc(uint32_t counter, uint64_t *value)
{
    uint64_t v = 0;
    oracle_accesses[2]++;
    if (sdm_pmu_rdpmc(&oracle_pmu, counter, &v))    /* CPL 0 */ {
        idt_fault_vector = 13;
        return -1;
    }
    if (value)
        *value = v;
    return 0;
}

/* guest-stub/lib/start.c without the UART: the guest's own multiboot.c (linked in) parses
 * the command line that main() below hands over as a multiboot info block */
int guest_start(const char *name, uint32_t magic, const struct mb_info *mbi)
{
    int ok = mb_init(magic, mbi);
    printf("hello from guest-stub %s (cmdline: %s)\n", name, mb_cmdline());
    return ok;
}

/* ---- the guest, unchanged ----------------------------------------------------------------- */
#define main msrfuzz_main
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat"   /* "%llu" of a uint64_t: both 64 bits on the host */
#include "guest-stub/msrfuzz.c"
#pragma GCC diagnostic pop
#undef main

int main(int argc, char **argv)
{
    /* the multiboot command line as perfvisor builds it ("name=msrfuzz" and the options), at
     * an address that fits mb_info's 32-bit cmdline field (MAP_32BIT: the low 2 GiB) */
    char *cmd = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT,
                     -1, 0);
    if (cmd == MAP_FAILED || (uintptr_t)cmd > 0xFFFFF000u) {
        perror("msrfuzz-oracle: mmap(MAP_32BIT)");
        return 2;
    }
    int n = snprintf(cmd, 4096, "name=msrfuzz");
    for (int i = 1; i < argc && n < 4096; i++)
        n += snprintf(cmd + n, 4096 - (size_t)n, " %s", argv[i]);
    if (n >= 4096) {
        fprintf(stderr, "msrfuzz-oracle: command line too long\n");
        return 2;
    }
    struct mb_info mbi;
    memset(&mbi, 0, sizeof(mbi));
    mbi.flags = MB_INFO_CMDLINE;
    mbi.cmdline = (uint32_t)(uintptr_t)cmd;

    sdm_pmu_reset(&oracle_pmu);
    int rc = msrfuzz_main(MB_BOOTLOADER_MAGIC, &mbi);
    fprintf(stderr, "msrfuzz-oracle: exit %d; vPMU calls: rdmsr %lu wrmsr %lu rdpmc %lu\n", rc,
            oracle_accesses[0], oracle_accesses[1], oracle_accesses[2]);
    return rc;
}
