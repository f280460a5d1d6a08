/* pmu.c - what the (virtual) PMU looks like from inside a guest.
 *
 * 1. CPUID leaf 0AH (SDM Vol. 2A, CPUID; Vol. 3B 20.2.1): architectural PMU
 *    version, number and width of general-purpose and fixed counters.
 * 2. Probes the counter MSRs with a #GP fixup (fault.asm): CPUID alone cannot
 *    be trusted (Bochs advertises version 4 but #GPs every PMU MSR).
 * 3. If they work: counts INST_RETIRED.ANY_P (event C0H, umask 00H) on
 *    IA32_PMC0 and INST_RETIRED.ANY on IA32_FIXED_CTR0 around a loop of
 *    exactly 3 * loops instructions, and reads them back with RDMSR and RDPMC.
 *
 * Lines (for tests):
 *   pmu: cpuid.0a version=V gp=N gp_width=W fixed=F fixed_width=FW
 *   pmu: msr <name> <ok|#GP> ...                 one per probed MSR
 *   pmu: result=none reason=<...>                no usable PMU, or
 *   pmu: result=counted loop_insns=<3*loops> pmc0=<n> fixed0=<n> rdpmc0=<n|#GP> rdpmc_fixed0=<n|#GP>
 * Exit status 0 in every case (the test judges the numbers), unless
 * `require=1` and there is no usable PMU: then 1.
 * Option: loops=N (default 100000). */
#include "guest.h"
#include "fault.h"

/* Architectural performance-monitoring MSRs (SDM Vol. 4, table 2-2). */
#define IA32_PMC0                0x0C1   /* CPUID.0AH:EAX[15:8] > 0 */
#define IA32_PERFEVTSEL0         0x186   /* CPUID.0AH:EAX[15:8] > 0 */
#define IA32_FIXED_CTR0          0x309   /* CPUID.0AH:EDX[4:0] > 0 (and version > 1) */
#define IA32_FIXED_CTR_CTRL      0x38D   /* CPUID.0AH:EAX[7:0] > 1 */
#define IA32_PERF_GLOBAL_STATUS  0x38E   /* CPUID.0AH:EAX[7:0] > 0 */
#define IA32_PERF_GLOBAL_CTRL    0x38F   /* CPUID.0AH:EAX[7:0] > 0 */

/* IA32_PERFEVTSELx fields (SDM Vol. 3B, 20.2.1.1). */
#define EVTSEL_EVENT(e)     ((uint64_t)(e) & 0xFF)
#define EVTSEL_UMASK(u)     (((uint64_t)(u) & 0xFF) << 8)
#define EVTSEL_USR          (1ull << 16)    /* count at CPL > 0 */
#define EVTSEL_OS           (1ull << 17)    /* count at CPL 0 */
#define EVTSEL_EN           (1ull << 22)    /* enable */
#define EVENT_INST_RETIRED  0xC0            /* umask 00H: instructions retired */

/* IA32_FIXED_CTR_CTRL: 4 bits per fixed counter; bits 0-1 = OS, USR. */
#define FIXED_CTRL_CTR0_ALL 0x3ull
/* IA32_PERF_GLOBAL_CTRL: bit n enables PMCn, bit 32+n enables FIXED_CTRn. */
#define GLOBAL_PMC0         (1ull << 0)
#define GLOBAL_FIXED0       (1ull << 32)
#define RDPMC_FIXED         (1u << 30)      /* RDPMC ECX bit 30 selects fixed counters */

#define PMU_DEFAULT_LOOPS   100000u

/* loops * 3 instructions: add, dec, jnz.  No other instruction runs between
 * the two WRMSRs that start and stop the counters except the call/ret here. */
static void __attribute__((noinline)) counted_loop(uint32_t loops)
{
    uint32_t acc = 0;
    __asm__ volatile("1: add %1, %0\n\tdec %1\n\tjnz 1b" : "+r"(acc), "+r"(loops) : : "cc");
}

static int probe(const char *name, uint32_t msr)
{
    uint64_t v;
    if (rdmsr_try(msr, &v)) {
        printf("pmu: msr %s #GP\n", name);
        return 0;
    }
    printf("pmu: msr %s ok value=%llx\n", name, v);
    return 1;
}

static void print_rdpmc(const char *label, uint32_t counter)
{
    uint64_t v;
    if (rdpmc_try(counter, &v))
        printf(" %s=#GP", label);
    else
        printf(" %s=%llu", label, v);
}

static int no_pmu(const char *reason)
{
    printf("pmu: result=none reason=%s\n", reason);
    return mb_opt_num("require", 0) ? 1 : 0;
}

int main(uint32_t magic, const struct mb_info *mbi)
{
    guest_start("pmu", magic, mbi);
    uint32_t loops = (uint32_t)mb_opt_num("loops", PMU_DEFAULT_LOOPS);
    if (!loops)
        loops = 1;

    uint32_t a, b, c, d, max_leaf;
    cpuid(0, 0, &max_leaf, &b, &c, &d);
    if (max_leaf < 0xA)
        return no_pmu("cpuid_max_leaf_below_0a");
    cpuid(0xA, 0, &a, &b, &c, &d);
    uint32_t version = a & 0xFF, ngp = (a >> 8) & 0xFF, gp_width = (a >> 16) & 0xFF;
    uint32_t nfixed = d & 0x1F, fixed_width = (d >> 5) & 0xFF;
    printf("pmu: cpuid.0a version=%u gp=%u gp_width=%u fixed=%u fixed_width=%u ebx=%x\n",
           version, ngp, gp_width, nfixed, fixed_width, b);
    if (version == 0 || ngp == 0)
        return no_pmu("cpuid_0a_no_counters");

    fault_init();
    int ok = probe("IA32_PMC0", IA32_PMC0) & probe("IA32_PERFEVTSEL0", IA32_PERFEVTSEL0);
    int global = version >= 2 && probe("IA32_PERF_GLOBAL_CTRL", IA32_PERF_GLOBAL_CTRL);
    int fixed = version >= 2 && nfixed > 0 && probe("IA32_FIXED_CTR0", IA32_FIXED_CTR0) &&
                probe("IA32_FIXED_CTR_CTRL", IA32_FIXED_CTR_CTRL);
    if (version >= 2)
        probe("IA32_PERF_GLOBAL_STATUS", IA32_PERF_GLOBAL_STATUS);
    if (!ok)
        return no_pmu("counter_msrs_fault");

    /* Stop everything, zero, program, then start with one WRMSR (GLOBAL_CTRL,
     * or the EN bit on a version-1 PMU). */
    uint64_t evtsel = EVTSEL_EVENT(EVENT_INST_RETIRED) | EVTSEL_UMASK(0) | EVTSEL_USR | EVTSEL_OS;
    uint64_t enable = GLOBAL_PMC0 | (fixed ? GLOBAL_FIXED0 : 0);
    int err = 0;
    if (global)
        err |= wrmsr_try(IA32_PERF_GLOBAL_CTRL, 0);
    err |= wrmsr_try(IA32_PMC0, 0);
    if (fixed) {
        err |= wrmsr_try(IA32_FIXED_CTR0, 0);
        err |= wrmsr_try(IA32_FIXED_CTR_CTRL, FIXED_CTRL_CTR0_ALL);
    }
    if (global) {
        err |= wrmsr_try(IA32_PERFEVTSEL0, evtsel | EVTSEL_EN);
        err |= wrmsr_try(IA32_PERF_GLOBAL_CTRL, enable);
        counted_loop(loops);
        err |= wrmsr_try(IA32_PERF_GLOBAL_CTRL, 0);
    } else {
        err |= wrmsr_try(IA32_PERFEVTSEL0, evtsel | EVTSEL_EN);
        counted_loop(loops);
        err |= wrmsr_try(IA32_PERFEVTSEL0, evtsel);
    }
    if (err)
        return no_pmu("counter_programming_faults");

    uint64_t pmc0 = 0, fixed0 = 0;
    rdmsr_try(IA32_PMC0, &pmc0);
    if (fixed)
        rdmsr_try(IA32_FIXED_CTR0, &fixed0);
    printf("pmu: result=counted loop_insns=%u pmc0=%llu", 3 * loops, pmc0);
    if (fixed)
        printf(" fixed0=%llu", fixed0);
    print_rdpmc("rdpmc0", 0);
    if (fixed)
        print_rdpmc("rdpmc_fixed0", RDPMC_FIXED | 0);
    printf("\n");
    return 0;
}
