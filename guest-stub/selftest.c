/* selftest.c - what this machine's performance counters count, as one screen to paste into a
 * bug report (`perfvisor selftest`, docs/profiling.md).
 *
 * Runs a loop of known length, `loop=N` iterations of add/dec/jnz (3N instructions retired,
 * at least N core cycles: the dec chain makes one iteration at least one cycle), on every
 * general-purpose counter CPUID.0AH enumerates (Instructions Retired if offered, else UnHalted
 * Core Cycles, else UnHalted Reference Cycles) and every fixed counter (0: instructions, 1: core
 * cycles, 2: reference cycles), reads each back with RDMSR and RDPMC, then overflows GP counter
 * 0 and the first fixed counter with a PMI through the local APIC's LVTPC (SDM Vol. 3B 20.2,
 * Vol. 3A 11.5.1).  One line per check: PASS, FAIL with what was seen, or SKIP with why (what
 * CPUID does not offer).  Exit status: the number of FAILs.
 *
 * Bounds: instructions exactly 3N up to 1000 more (the WRMSRs that start and stop the count
 * and the call around the loop); cycles between N/4 (reference cycles run slower than core
 * cycles under turbo) and 300N (interrupts, VM exits).  Under perfvisor's software vPMU both
 * cycle events count TSC ticks of guest time, one per instruction under Bochs. */
#include "guest.h"
#include "idt.h"
#include "apic.h"
#include "pmu.h"
#include "div64.h"

#define PMI_VECTOR 0xE0

static struct pmu_info P;
static unsigned n_pass, n_fail, n_skip;
static uint32_t loop_n;

static void __attribute__((noinline)) spin(uint32_t n)
{
    uint32_t acc = 0;
    __asm__ volatile("1: add %1, %0\n\tdec %1\n\tjnz 1b" : "+r"(acc), "+r"(n) : : "cc");
}

/* One result line: "selftest: <what> PASS|FAIL: <detail>" */
static void __attribute__((format(printf, 3, 4))) result(int ok, const char *what, const char *fmt, ...)
{
    va_list ap;
    printf("selftest: %-22s %s: ", what, ok ? "PASS" : "FAIL");
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    if (ok)
        n_pass++;
    else
        n_fail++;
}

static void skip(const char *what, const char *why)
{
    printf("selftest: %-22s SKIP: %s\n", what, why);
    n_skip++;
}

static void quiesce(void)
{
    if (P.version >= 2) {
        uint64_t st = 0;
        safe_wrmsr(MSR_IA32_PERF_GLOBAL_CTRL, 0);
        safe_wrmsr(MSR_IA32_FIXED_CTR_CTRL, 0);
        if (!safe_rdmsr(MSR_IA32_PERF_GLOBAL_STATUS, &st) && st)
            safe_wrmsr(MSR_IA32_PERF_GLOBAL_OVF_CTRL, st);
    }
    for (uint32_t i = 0; i < P.ngp; i++) {
        safe_wrmsr(MSR_IA32_PERFEVTSEL(i), 0);
        safe_wrmsr(MSR_IA32_PMC(i), 0);
    }
    for (uint32_t i = 0; i < 3; i++)
        if (pmu_fixed_offered(&P, i))
            safe_wrmsr(MSR_IA32_FIXED_CTR(i), 0);
}

static int global(uint64_t bits)
{
    return P.version >= 2 ? safe_wrmsr(MSR_IA32_PERF_GLOBAL_CTRL, bits) : 0;
}

/* the architectural event (pmu_arch_events index) each fixed counter counts */
static const unsigned fixed_event[3] = { PMU_EV_INSTRUCTIONS, PMU_EV_CORE_CYCLES, PMU_EV_REF_CYCLES };

/* Is a count of event `ev` over the loop plausible (the bounds above)? */
static int plausible(unsigned ev, uint64_t c)
{
    uint64_t insns = 3ull * loop_n;
    if (ev == PMU_EV_INSTRUCTIONS)
        return c >= insns && c <= insns + 1000;
    return c >= loop_n / 4 && c <= 100 * insns;
}

/* "1.003" events per instruction of the loop */
static void per_insn(uint64_t c, uint32_t *whole, uint32_t *thousandths)
{
    uint64_t pm = udiv64(c * 1000, 3ull * loop_n, 0);
    *whole = (uint32_t)udiv64(pm, 1000, 0);
    *thousandths = (uint32_t)(pm - (uint64_t)*whole * 1000);
}

/* Counts over the loop on one counter: GP i (fixed = 0) or fixed i (fixed = 1). */
static void count_check(int fixed, uint32_t i, unsigned ev)
{
    char what[32];
    uint64_t c = 0, via_rdpmc = 0;
    uint32_t w, t;
    int fault;

    what[0] = 0;
    {   /* "gp3 instructions" without snprintf */
        const char *pre = fixed ? "fixed" : "gp", *name = ev == PMU_EV_INSTRUCTIONS ? " instructions"
                          : ev == PMU_EV_CORE_CYCLES ? " core-cycles" : " ref-cycles";
        char *q = what;
        while (*pre) *q++ = *pre++;
        *q++ = (char)('0' + i);
        while (*name) *q++ = *name++;
        *q = 0;
    }
    quiesce();
    if (fixed) {
        fault = safe_wrmsr(MSR_IA32_FIXED_CTR_CTRL, FIXED_CTRL_OS(i) | FIXED_CTRL_USR(i));
        fault |= global(GLOBAL_FIXED(i));
    } else {
        fault = safe_wrmsr(MSR_IA32_PERFEVTSEL(i), pmu_evtsel(ev) | EVTSEL_USR | EVTSEL_OS | EVTSEL_EN);
        fault |= global(GLOBAL_PMC(i));
    }
    spin(loop_n);
    global(0);
    if (fixed)
        safe_wrmsr(MSR_IA32_FIXED_CTR_CTRL, 0);
    else
        safe_wrmsr(MSR_IA32_PERFEVTSEL(i), 0);
    fault |= safe_rdmsr(fixed ? MSR_IA32_FIXED_CTR(i) : MSR_IA32_PMC(i), &c);
    if (fault) {
        result(0, what, "a counter MSR raised #GP");
        return;
    }
    int rdpmc_fault = safe_rdpmc(fixed ? (RDPMC_FIXED | i) : i, &via_rdpmc);
    per_insn(c, &w, &t);
    result(plausible(ev, c) && !rdpmc_fault && via_rdpmc == c, what,
           "%llu over %llu instructions (%u.%03u per instruction), RDPMC %s",
           (unsigned long long)c, 3ull * loop_n, w, t,
           rdpmc_fault ? "#GP" : via_rdpmc == c ? "agrees" : "differs");
}

/* ---- PMIs */
static volatile uint32_t pmis;
static volatile uint64_t pmi_status;

IDT_ISR static void pmi_isr(struct iframe *f)
{
    (void)f;
    pmis++;
    if (P.version >= 2)
        safe_rdmsr(MSR_IA32_PERF_GLOBAL_STATUS, (uint64_t *)&pmi_status);
    apic_eoi();
}

/* Overflow an eighth into the loop (every event counts at least N/4 over it), PMI enabled:
 * exactly one PMI, its overflow bit set.  GP counter 0 counts `ev`. */
static void pmi_check(int fixed, uint32_t i, unsigned ev)
{
    char what[16] = "pmi gp0";
    if (fixed) {
        __builtin_memcpy(what, "pmi fixed0", 11);
        what[9] = (char)('0' + i);
    }
    uint64_t bit = fixed ? GLOBAL_FIXED(i) : GLOBAL_PMC(0);
    uint64_t mask = fixed ? P.fixed_mask : P.gp_mask;
    uint64_t preset = (0 - (uint64_t)loop_n / 8) & mask;
    int fault;

    quiesce();
    pmis = 0;
    pmi_status = 0;
    apic_write(APIC_REG_LVTPC, PMI_VECTOR);
    if (fixed) {
        fault = safe_wrmsr(MSR_IA32_FIXED_CTR(i), preset);
        fault |= safe_wrmsr(MSR_IA32_FIXED_CTR_CTRL, (FIXED_CTRL_OS(i) | FIXED_CTRL_USR(i) | FIXED_CTRL_PMI(i)));
    } else {
        /* IA32_PMC0 takes EAX sign-extended (20.2.5): the small negative preset survives */
        fault = safe_wrmsr(MSR_IA32_PMC(0), preset & 0xFFFFFFFFu);
        fault |= safe_wrmsr(MSR_IA32_PERFEVTSEL(0), pmu_evtsel(ev) | EVTSEL_USR | EVTSEL_OS |
                            EVTSEL_EN | EVTSEL_INT);
    }
    sti();
    fault |= global(bit);
    spin(loop_n);
    global(0);
    cli();
    apic_write(APIC_REG_LVTPC, APIC_LVT_MASKED);
    quiesce();
    if (fault) {
        result(0, what, "a counter MSR raised #GP");
        return;
    }
    result(pmis == 1 && (P.version < 2 || (pmi_status & bit)), what,
           "%u PMI(s) on vector 0x%x over the loop (1 expected), IA32_PERF_GLOBAL_STATUS in the "
           "handler 0x%llx", pmis, PMI_VECTOR, (unsigned long long)pmi_status);
}

int main(uint32_t magic, const struct mb_info *mbi)
{
    uint32_t a, b, c, d, sig, brand[13];
    char vendor[13];
    const char *why = NULL, *apic_why = NULL;

    guest_start("selftest", magic, mbi);
    loop_n = (uint32_t)mb_opt_num("loop", 1000000);
    if (loop_n < 1000 || loop_n > 100000000)
        loop_n = 1000000;
    idt_init();
    pmu_discover(&P);

    printf("selftest: ---- perfvisor selftest: paste from here to \"selftest: end\", with perfvisor's "
           "\"vpmu=\" line above if any, into a bug report\n");
    cpuid(0, 0, &a, &b, &c, &d);
    __builtin_memcpy(vendor, &b, 4);
    __builtin_memcpy(vendor + 4, &d, 4);
    __builtin_memcpy(vendor + 8, &c, 4);
    vendor[12] = 0;
    cpuid(1, 0, &sig, &b, &c, &d);
    brand[0] = 0;
    cpuid(0x80000000, 0, &a, &b, &c, &d);
    if (a >= 0x80000004) {
        for (uint32_t l = 0; l < 3; l++)
            cpuid(0x80000002 + l, 0, &brand[4 * l], &brand[4 * l + 1], &brand[4 * l + 2], &brand[4 * l + 3]);
        brand[12] = 0;
    }
    printf("selftest: cpu %s family 0x%x model 0x%x stepping %u \"%s\"\n", vendor,
           ((sig >> 8) & 0xF) + ((sig >> 20) & 0xFF), ((sig >> 4) & 0xF) | ((sig >> 12) & 0xF0),
           sig & 0xF, (const char *)brand);
    printf("selftest: hypervisor %s\n", P.perfvisor ? "perfvisor (CPUID 40000000H)" : "none seen (bare metal, or another one)");
    printf("selftest: pmu version %u, %u general counters of %u bits, fixed counters", P.version, P.ngp, P.gp_width);
    for (uint32_t i = 0; i < 3; i++)
        if (pmu_fixed_offered(&P, i))
            printf(" %u", i);
    printf(" of %u bits, PDCM %d\n", P.fixed_width, P.pdcm);
    printf("selftest: events offered (CPUID.0AH:EBX):");
    for (unsigned e = 0; e < PMU_NARCH_EVENTS; e++)
        if (pmu_event_available(&P, e))
            printf(" [%s]", pmu_arch_events[e].name);
    printf("\nselftest: loop %u iterations of add/dec/jnz = %llu instructions\n", loop_n,
           3ull * loop_n);

    if (pmu_probe(&P, &why)) {
        skip("counting", why);
        skip("pmi", why);
    } else {
        unsigned ev = pmu_event_available(&P, PMU_EV_INSTRUCTIONS) ? PMU_EV_INSTRUCTIONS
                    : pmu_event_available(&P, PMU_EV_CORE_CYCLES) ? PMU_EV_CORE_CYCLES : PMU_EV_REF_CYCLES;
        for (uint32_t i = 0; i < P.ngp && i < 10; i++)
            count_check(0, i, ev);
        int first_fixed = -1;
        for (uint32_t i = 0; i < 3; i++) {
            if (!pmu_fixed_offered(&P, i)) {
                char w[8] = "fixed0";
                w[5] = (char)('0' + i);
                skip(w, "not offered (CPUID.0AH:EDX[4:0] and ECX)");
                continue;
            }
            if (first_fixed < 0)
                first_fixed = (int)i;
            count_check(1, i, fixed_event[i]);
        }
        int rc = apic_init(APIC_NONE, &apic_why);
        if (rc) {
            skip("pmi", apic_why);
        } else {
            idt_set(PMI_VECTOR, pmi_isr);
            if (!P.perfvisor) {         /* natively the legacy PICs could deliver once IF=1 */
                outb(0x21, 0xFF);
                outb(0xA1, 0xFF);
            }
            pmi_check(0, 0, ev);
            if (first_fixed >= 0)
                pmi_check(1, (uint32_t)first_fixed, fixed_event[first_fixed]);
        }
    }
    printf("selftest: %u pass, %u fail, %u skip\n", n_pass, n_fail, n_skip);
    printf("selftest: end\n");
    return (int)n_fail;
}
