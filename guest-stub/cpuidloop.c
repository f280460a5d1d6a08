/* cpuidloop.c - how many counted cycles one CPUID costs.
 *
 * CPUID always exits to the hypervisor, so under perfvisor the cost of one
 * CPUID as GP counter 0 sees it depends on the counting mode of the virtual
 * PMU: counting only guest time (cpu-switch) or also the hypervisor's exit
 * handling (domain-switch).  The difference per CPUID between the two runs is
 * the hypervisor's exit cost.
 *
 * Discovers the PMU through CPUID.0AH (and checks that IA32_PMC0 and
 * IA32_PERFEVTSEL0 exist), programs IA32_PERFEVTSEL0 for UnHalted Core Cycles
 * (3CH/00H) with USR|OS|EN (no INT), zeroes IA32_PMC0, runs CPUID leaf 0
 * n times, stops the counter and prints
 *   cpuidloop: n=N cycles=C per-cpuid=X.XX
 *   cpuidloop: ticks=T per-cpuid-ticks=Y.YY      (TSC, for comparison)
 * Without a usable PMU: `cpuidloop: no PMU (<reason>)`.  Exit status 0.
 * Option: n=N (default 100000). */
#include "guest.h"
#include "div64.h"
#include "idt.h"
#include "pmu.h"

/* "x.yy" of num / den, den != 0 */
static void print_ratio(const char *label, uint64_t num, uint64_t den)
{
    uint64_t q = udiv64(num * 100 + den / 2, den, 0);
    uint64_t r;
    uint64_t whole = udiv64(q, 100, &r);
    printf(" %s=%llu.%02u", label, whole, (uint32_t)r);
}

/* n CPUIDs of leaf 0: mov, cpuid, dec, jnz per iteration. */
static void __attribute__((noinline)) cpuid_loop(uint32_t n)
{
    __asm__ volatile("1: xor %%eax, %%eax\n\tcpuid\n\tdec %%esi\n\tjnz 1b"
                     : "+S"(n) : : "eax", "ebx", "ecx", "edx", "cc", "memory");
}

int main(uint32_t magic, const struct mb_info *mbi)
{
    guest_start("cpuidloop", magic, mbi);
    uint32_t n = (uint32_t)mb_opt_num("n", 100000);
    if (!n)
        n = 1;
    idt_init();

    struct pmu_info p;
    const char *why;
    pmu_discover(&p);
    if (pmu_probe(&p, &why)) {
        printf("cpuidloop: no PMU (%s)\n", why);
        return 0;
    }
    if (!pmu_event_available(&p, PMU_EV_CORE_CYCLES)) {
        printf("cpuidloop: no PMU (UnHalted Core Cycles not available: CPUID.0AH EBX=0x%x "
               "length %u)\n", p.ebx, p.ebx_len);
        return 0;
    }

    uint64_t evtsel = pmu_evtsel(PMU_EV_CORE_CYCLES) | EVTSEL_USR | EVTSEL_OS;
    int err = 0;
    if (p.version >= 2)
        err |= safe_wrmsr(MSR_IA32_PERF_GLOBAL_CTRL, 0);
    err |= safe_wrmsr(MSR_IA32_PERFEVTSEL(0), evtsel);
    err |= safe_wrmsr(MSR_IA32_PMC(0), 0);
    if (err) {
        printf("cpuidloop: no PMU (programming IA32_PMC0 faulted)\n");
        return 0;
    }
    /* Start: EN, then GLOBAL_CTRL (version >= 2) as the single starting write. */
    uint64_t t0, t1;
    if (p.version >= 2) {
        wrmsr(MSR_IA32_PERFEVTSEL(0), evtsel | EVTSEL_EN);
        t0 = rdtsc();
        wrmsr(MSR_IA32_PERF_GLOBAL_CTRL, GLOBAL_PMC(0));
        cpuid_loop(n);
        wrmsr(MSR_IA32_PERF_GLOBAL_CTRL, 0);
        t1 = rdtsc();
    } else {
        t0 = rdtsc();
        wrmsr(MSR_IA32_PERFEVTSEL(0), evtsel | EVTSEL_EN);
        cpuid_loop(n);
        wrmsr(MSR_IA32_PERFEVTSEL(0), evtsel);
        t1 = rdtsc();
    }
    uint64_t cycles = rdmsr(MSR_IA32_PMC(0)) & p.gp_mask;
    wrmsr(MSR_IA32_PERFEVTSEL(0), 0);

    printf("cpuidloop: n=%u cycles=%llu", n, cycles);
    print_ratio("per-cpuid", cycles, n);
    printf("\ncpuidloop: ticks=%llu", t1 - t0);
    print_ratio("per-cpuid-ticks", t1 - t0, n);
    printf("\n");
    return 0;
}
