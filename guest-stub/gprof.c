/* gprof.c - a guest-side sampling profiler in the spirit of OProfile.
 *
 * Discovers the (virtual) PMU through CPUID.0AH, programs IA32_PMC0 for
 * UnHalted Core Cycles (3CH/00H) with period P: the counter is preset to -P
 * and IA32_PERFEVTSEL0 = USR|OS|INT|EN, so it overflows after P cycles and
 * raises a PMI through the local APIC's LVTPC (fixed delivery, vector 0xE0;
 * xAPIC MMIO or x2APIC MSRs).  The handler takes the interrupted EIP from the
 * interrupt frame, attributes it to one of its own functions (a table of
 * [start, end) from linker symbols: each profiled function lives in its own
 * section, so ld defines __start_<sec>/__stop_<sec>), re-arms the counter
 * (-P), clears the overflow with IA32_PERF_GLOBAL_OVF_CTRL, unmasks the
 * LVTPC (masked by the delivery) and writes EOI.
 *
 * The workload is the one of tests/external-profile: func_a, func_b, func_c
 * each run the same 3-instruction loop for CHUNK = 1999 iterations per call,
 * called a b a c a b a c a b per round, so they hold exactly 50 / 30 / 20 % of
 * the loop instructions (and, at one cycle per TSC tick, of the cycles).
 *
 * Output:
 *   gprof: pmu version=V gp=N gp_width=W apic=xapic|x2apic period=P
 *   gprof: func_a=[0x..,0x..) func_b=[..) func_c=[..) run_rounds=[..)
 *   gprof: rounds=R chunk=1999 acc=<hex> ticks=T
 *   gprof: samples=N func_a=XX.XX% func_b=XX.XX% func_c=XX.XX%   (shares of all N samples)
 *   gprof: outside run_rounds=K elsewhere=K
 *   gprof: truth func_a=50.00% func_b=30.00% func_c=20.00% of L loop instructions
 *   gprof-sample func_a N       one line per function (and run_rounds, other), for
 *   gprof-sample func_b N       `perfvisor report` to set beside its system-wide view
 *   gprof-sample func_c N
 *   gprof-sample run_rounds N
 *   gprof-sample other N
 * Without a usable PMU or APIC: "gprof: no usable PMU" and "gprof: reason: ...",
 * exit 0.  Exit 1 if the PMU was usable but no sample arrived.
 * Options: period=P (default 100000), apic=xapic|x2apic (default: x2APIC if
 * CPUID.1:ECX[21], else xAPIC), total=N (wanted loop instructions, default
 * 60000000: floor(N / 59970) rounds, at least 1). */
#include "guest.h"
#include "div64.h"
#include "idt.h"
#include "apic.h"
#include "pmu.h"

#define PMI_VECTOR       0xE0
#define CHUNK            1999u
#define ROUND_LOOP_INSNS (10u * CHUNK * 3u)     /* 59970 */

#define SPIN(acc)                                                              \
    do {                                                                       \
        uint32_t n_ = CHUNK;                                                   \
        __asm__ volatile("1: add %1, %0\n\tdec %1\n\tjnz 1b"                   \
                         : "+r"(acc), "+r"(n_) : : "cc");                      \
    } while (0)

/* Each in its own section: the linker gives us [__start_X, __stop_X). */
#define PROFILED(sec) __attribute__((noinline, noclone, noipa, section(sec)))
PROFILED("gprof_func_a") uint32_t func_a(uint32_t acc) { SPIN(acc); return acc + 1; }
PROFILED("gprof_func_b") uint32_t func_b(uint32_t acc) { SPIN(acc); return acc + 2; }
PROFILED("gprof_func_c") uint32_t func_c(uint32_t acc) { SPIN(acc); return acc + 3; }

PROFILED("gprof_run_rounds") uint32_t run_rounds(uint32_t rounds)
{
    uint32_t acc = 0;
    for (uint32_t r = 0; r < rounds; r++) {
        acc = func_a(acc);
        acc = func_b(acc);
        acc = func_a(acc);
        acc = func_c(acc);
        acc = func_a(acc);
        acc = func_b(acc);
        acc = func_a(acc);
        acc = func_c(acc);
        acc = func_a(acc);
        acc = func_b(acc);
    }
    return acc;
}

extern const char __start_gprof_func_a[], __stop_gprof_func_a[];
extern const char __start_gprof_func_b[], __stop_gprof_func_b[];
extern const char __start_gprof_func_c[], __stop_gprof_func_c[];
extern const char __start_gprof_run_rounds[], __stop_gprof_run_rounds[];

struct func {
    const char *name;
    uint32_t start, end;
    volatile uint32_t samples;
};
#define NFUNCS 4
static struct func funcs[NFUNCS + 1];           /* the last one: "other" */

static struct pmu_info P;
static uint32_t period;
static int use_full_width;
static volatile uint32_t total_samples;

IDT_ISR static void pmi_isr(struct iframe *f)
{
    uint32_t ip = f->ip, i;
    for (i = 0; i < NFUNCS; i++)
        if (ip >= funcs[i].start && ip < funcs[i].end)
            break;
    funcs[i].samples++;
    total_samples++;
    /* re-arm: -P (a legacy write sign-extends bit 31; IA32_A_PMC0 takes it whole) */
    if (use_full_width)
        wrmsr(MSR_IA32_A_PMC(0), (0ull - period) & P.gp_mask);
    else
        wrmsr(MSR_IA32_PMC(0), (uint32_t)(0u - period));
    if (P.version >= 2)
        wrmsr(MSR_IA32_PERF_GLOBAL_OVF_CTRL, GLOBAL_PMC(0));
    apic_write(APIC_REG_LVTPC, PMI_VECTOR);       /* unmask: the PMI masked it */
    apic_eoi();
}

static int no_pmu(const char *why)
{
    printf("gprof: no usable PMU\ngprof: reason: %s\n", why);
    return 0;
}

static void print_pct(const char *label, uint64_t part, uint64_t total)
{
    uint32_t p = total ? pct_x100(part, total) : 0;
    printf(" %s=%u.%02u%%", label, p / 100, p % 100);
}

int main(uint32_t magic, const struct mb_info *mbi)
{
    guest_start("gprof", magic, mbi);
    uint64_t per = mb_opt_num("period", 100000);
    uint32_t total = (uint32_t)mb_opt_num("total", 60000000);
    uint32_t rounds = total / ROUND_LOOP_INSNS;
    if (!rounds)
        rounds = 1;
    idt_init();
    const char *prof_opt = mb_opt("profile");
    if (prof_opt && !strcmp(prof_opt, "off")) {    /* the baseline: the same work, unprofiled */
        uint64_t t0 = rdtsc();
        uint32_t acc = run_rounds(rounds);
        uint64_t t1 = rdtsc();
        printf("gprof: rounds=%u chunk=%u acc=%08x ticks=%llu (profile=off)\n", rounds, CHUNK, acc,
               t1 - t0);
        return 0;
    }

    const char *why;
    pmu_discover(&P);
    if (pmu_probe(&P, &why))
        return no_pmu(why);
    if (!pmu_event_available(&P, PMU_EV_CORE_CYCLES))
        return no_pmu("UnHalted Core Cycles not available (CPUID.0AH:EBX bit 0 or length)");

    uint64_t caps = 0;
    int fw = P.pdcm && !safe_rdmsr(MSR_IA32_PERF_CAPABILITIES, &caps) && (caps & PERF_CAP_FW_WRITE);
    if (per < 16)
        per = 16;
    if (per >= 0x80000000ull && !fw) {
        printf("gprof: period %llu needs full-width writes; using 0x7fffffff\n", per);
        per = 0x7FFFFFFF;
    }
    if (per > P.gp_mask / 2)
        per = P.gp_mask / 2;
    if (per > 0xFFFFFFFFull)
        per = 0xFFFFFFFFull;
    period = (uint32_t)per;
    use_full_width = fw && period >= 0x80000000u;

    const char *am = mb_opt("apic");
    enum apic_mode want = APIC_NONE;
    if (am && strcmp(am, "xapic") == 0)
        want = APIC_XAPIC;
    else if (am && strcmp(am, "x2apic") == 0)
        want = APIC_X2APIC;
    if (apic_init(want, &why))
        return no_pmu(why);
    if (!P.perfvisor) {         /* natively the legacy PICs could deliver once IF=1 */
        outb(0x21, 0xFF);
        outb(0xA1, 0xFF);
    }
    idt_set(PMI_VECTOR, pmi_isr);

    funcs[0] = (struct func){ "func_a", (uint32_t)__start_gprof_func_a, (uint32_t)__stop_gprof_func_a, 0 };
    funcs[1] = (struct func){ "func_b", (uint32_t)__start_gprof_func_b, (uint32_t)__stop_gprof_func_b, 0 };
    funcs[2] = (struct func){ "func_c", (uint32_t)__start_gprof_func_c, (uint32_t)__stop_gprof_func_c, 0 };
    funcs[3] = (struct func){ "run_rounds", (uint32_t)__start_gprof_run_rounds,
                              (uint32_t)__stop_gprof_run_rounds, 0 };
    funcs[4] = (struct func){ "other", 0, 0, 0 };

    printf("gprof: pmu version=%u gp=%u gp_width=%u apic=%s period=%u%s\n", P.version, P.ngp,
           P.gp_width, apic_mode_name(apic_mode), period, use_full_width ? " (full-width)" : "");
    printf("gprof:");
    for (int i = 0; i < NFUNCS; i++)
        printf(" %s=[0x%x,0x%x)", funcs[i].name, funcs[i].start, funcs[i].end);
    printf("\n");

    /* Program: stopped, preset -P, LVTPC fixed vector, then start. */
    uint64_t evtsel = pmu_evtsel(PMU_EV_CORE_CYCLES) | EVTSEL_USR | EVTSEL_OS | EVTSEL_INT;
    int err = 0;
    if (P.version >= 2) {
        err |= safe_wrmsr(MSR_IA32_PERF_GLOBAL_CTRL, 0);
        err |= safe_wrmsr(MSR_IA32_PERF_GLOBAL_OVF_CTRL, GLOBAL_PMC(0));
    }
    err |= safe_wrmsr(MSR_IA32_PERFEVTSEL(0), evtsel);
    if (use_full_width)
        err |= safe_wrmsr(MSR_IA32_A_PMC(0), (0ull - period) & P.gp_mask);
    else
        err |= safe_wrmsr(MSR_IA32_PMC(0), (uint32_t)(0u - period));
    if (err)
        return no_pmu("programming IA32_PMC0/IA32_PERFEVTSEL0 faulted");
    apic_write(APIC_REG_LVTPC, PMI_VECTOR);

    wrmsr(MSR_IA32_PERFEVTSEL(0), evtsel | EVTSEL_EN);
    sti();
    uint64_t t0 = rdtsc();
    if (P.version >= 2)
        wrmsr(MSR_IA32_PERF_GLOBAL_CTRL, GLOBAL_PMC(0));
    uint32_t acc = run_rounds(rounds);
    if (P.version >= 2)
        wrmsr(MSR_IA32_PERF_GLOBAL_CTRL, 0);
    wrmsr(MSR_IA32_PERFEVTSEL(0), evtsel);
    uint64_t t1 = rdtsc();
    cli();
    apic_write(APIC_REG_LVTPC, APIC_LVT_MASKED);

    uint32_t n = total_samples;
    uint64_t chunk = CHUNK * 3u;
    uint64_t la = (uint64_t)rounds * 5 * chunk, lb = (uint64_t)rounds * 3 * chunk,
             lc = (uint64_t)rounds * 2 * chunk, all = la + lb + lc;

    printf("gprof: rounds=%u chunk=%u acc=%08x ticks=%llu\n", rounds, CHUNK, acc, t1 - t0);
    printf("gprof: samples=%u", n);
    print_pct("func_a", funcs[0].samples, n);
    print_pct("func_b", funcs[1].samples, n);
    print_pct("func_c", funcs[2].samples, n);
    printf("\ngprof: outside run_rounds=%u elsewhere=%u\n", funcs[3].samples, funcs[4].samples);
    printf("gprof: truth");
    print_pct("func_a", la, all);
    print_pct("func_b", lb, all);
    print_pct("func_c", lc, all);
    printf(" of %llu loop instructions\n", all);
    for (int i = 0; i <= NFUNCS; i++)
        printf("gprof-sample %s %u\n", funcs[i].name, funcs[i].samples);
    if (!n) {
        printf("gprof: no PMI arrived\n");
        return 1;
    }
    return 0;
}
