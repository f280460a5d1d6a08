/* pmucheck.c - conformance guest for a (virtual) architectural PMU.
 *
 * Checks the rules of SDM Vol. 3B chapter 20 (architectural performance
 * monitoring, versions 1-5), Vol. 2A (CPUID 0AH, RDPMC) and Vol. 3A 11.5.1
 * (LVT performance counter register) one at a time, and prints exactly one
 * line per rule:
 *   PASS <rule>
 *   FAIL <rule>: <what happened>
 *   SKIP <rule>: <why>          only when CPUID says the feature is not offered
 * then `pmucheck: N pass, N fail, N skip`; the exit status is the number of
 * FAILs (0 = all good; 99 after an unexpected exception).
 *
 * Nothing is assumed: the counters, widths, fixed counters and events come
 * from CPUID.0AH, the APIC mode from CPUID.1.  With no architectural PMU
 * (CPUID.0AH version 0, e.g. QEMU TCG) every rule SKIPs with "no architectural
 * PMU (CPUID.0AH version N)".  A PMU that CPUID advertises but whose MSRs #GP
 * (Bochs) SKIPs everything natively (an emulator quirk), but under perfvisor
 * (CPUID 0x40000000) it is a FAIL of pmu-msrs-present.
 *
 * Counting rules use the first available of UnHalted Core Cycles, UnHalted
 * Reference Cycles, Instructions Retired (CPUID.0AH:EBX) on IA32_PMC0.
 *
 * Options: apic=auto|xapic|x2apic (LVTPC access for the PMI rules; auto:
 * x2APIC if CPUID.1:ECX[21], else xAPIC if CPUID.1:EDX[9]); preset=N (default
 * 2000: events before the overflow in the overflow/PMI rules). */
#include "guest.h"
#include "idt.h"
#include "apic.h"
#include "pmu.h"

#define PMI_VECTOR      0xE0
#define R3_SYSCALL_VEC  0x81
#define SPIN_UNIT       10000u      /* iterations: 30000 instructions */
#define WAIT_ROUNDS     300u        /* up to 9 M instructions for a PMI */
#define QUIET_ROUNDS    30u         /* 0.9 M instructions of "no PMI" */

static struct pmu_info P;
static unsigned int n_pass, n_fail, n_skip;
static const char *no_pmu;          /* non-NULL: SKIP every remaining rule with this */
static uint64_t EVT;                /* event/umask bits of the counting event */
static const char *evt_name;
static uint32_t preset;

/* ---- results ---------------------------------------------------------------- */

static void pass(const char *rule)
{
    printf("PASS %s\n", rule);
    n_pass++;
}

static void __attribute__((format(printf, 2, 3))) fail(const char *rule, const char *fmt, ...)
{
    va_list ap;
    printf("FAIL %s: ", rule);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    n_fail++;
}

static void __attribute__((format(printf, 2, 3))) skip(const char *rule, const char *fmt, ...)
{
    va_list ap;
    printf("SKIP %s: ", rule);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    n_skip++;
}

/* A rule's checks append to one message; the rule passes if it stays empty. */
static char msg[240];
static unsigned int msg_len;

static void note_s(const char *s)
{
    if (msg_len && msg_len < sizeof(msg) - 3) {
        msg[msg_len++] = ';';
        msg[msg_len++] = ' ';
    }
    while (*s && msg_len < sizeof(msg) - 1)
        msg[msg_len++] = *s++;
    msg[msg_len] = 0;
}

static void msg_reset(void)
{
    msg_len = 0;
    msg[0] = 0;
}

static void note_hex(const char *what, uint64_t v)
{
    char buf[80], *q = buf;
    while (*what && q < buf + 56)
        *q++ = *what++;
    *q++ = '0';
    *q++ = 'x';
    int started = 0;
    for (int s = 60; s >= 0; s -= 4) {
        unsigned d = (unsigned)(v >> s) & 0xF;
        if (d || started || s == 0) {
            *q++ = "0123456789abcdef"[d];
            started = 1;
        }
    }
    *q = 0;
    note_s(buf);
}

/* "msg" empty -> PASS, else FAIL with it */
static void verdict(const char *rule)
{
    if (msg_len)
        fail(rule, "%s", msg);
    else
        pass(rule);
}

/* ---- PMU helpers -------------------------------------------------------------- */

/* n iterations of add, dec, jnz: 3n instructions, about n..3n cycles. */
static void __attribute__((noinline)) spin(uint32_t n)
{
    uint32_t acc = 0;
    __asm__ volatile("1: add %1, %0\n\tdec %1\n\tjnz 1b" : "+r"(acc), "+r"(n) : : "cc");
}

static uint64_t rd(uint32_t msr)
{
    uint64_t v = 0;
    if (safe_rdmsr(msr, &v))
        note_hex("unexpected #GP on RDMSR ", msr);
    return v;
}

static void wr(uint32_t msr, uint64_t v)
{
    if (safe_wrmsr(msr, v))
        note_hex("unexpected #GP on WRMSR ", msr);
}

/* Everything off, overflow bits cleared, GP counters zero. */
static void quiesce(void)
{
    if (P.version >= 2) {
        safe_wrmsr(MSR_IA32_PERF_GLOBAL_CTRL, 0);
        safe_wrmsr(MSR_IA32_FIXED_CTR_CTRL, 0);
    }
    for (uint32_t i = 0; i < P.ngp; i++) {
        safe_wrmsr(MSR_IA32_PERFEVTSEL(i), 0);
        safe_wrmsr(MSR_IA32_PMC(i), 0);
    }
    if (P.version >= 2) {
        uint64_t st = 0;
        if (!safe_rdmsr(MSR_IA32_PERF_GLOBAL_STATUS, &st) && st)
            safe_wrmsr(MSR_IA32_PERF_GLOBAL_OVF_CTRL, st);
    }
}

static void global_on(uint64_t bits)
{
    if (P.version >= 2)
        wr(MSR_IA32_PERF_GLOBAL_CTRL, bits);
}

static uint64_t status(void)
{
    return P.version >= 2 ? rd(MSR_IA32_PERF_GLOBAL_STATUS) : 0;
}

/* Count `ev_bits` on PMC0 over spin(n) with the given EN and GLOBAL_CTRL bit;
 * returns the counter's advance (from `start`). */
static uint64_t count_over(uint64_t ev_bits, int en, int global, uint64_t start, uint32_t n)
{
    quiesce();
    wr(MSR_IA32_PMC(0), start);
    wr(MSR_IA32_PERFEVTSEL(0), ev_bits | EVTSEL_USR | EVTSEL_OS | (en ? EVTSEL_EN : 0));
    global_on(global ? GLOBAL_PMC(0) : 0);
    spin(n);
    global_on(0);
    wr(MSR_IA32_PERFEVTSEL(0), ev_bits);
    return (rd(MSR_IA32_PMC(0)) - start) & P.gp_mask;
}

static int need_pmu(const char *rule)
{
    if (no_pmu) {
        skip(rule, "%s", no_pmu);
        return 0;
    }
    return 1;
}

static int need_global(const char *rule)
{
    if (!need_pmu(rule))
        return 0;
    if (P.version < 2) {
        skip(rule, "CPUID.0AH version %u: no IA32_PERF_GLOBAL_* MSRs", P.version);
        return 0;
    }
    return 1;
}

static int need_event(const char *rule)
{
    if (!need_pmu(rule))
        return 0;
    if (!evt_name) {
        skip(rule, "no cycle or instruction event available: CPUID.0AH EBX=0x%x length %u",
             P.ebx, P.ebx_len);
        return 0;
    }
    return 1;
}

/* ---- the rules ------------------------------------------------------------------ */

static void r_cpuid(void)
{
    const char *rule = "cpuid-0a-version";
    if (P.max_leaf < 0xA || P.version == 0) {
        skip(rule, "no architectural PMU (CPUID.0AH version %u)", P.version);
        return;
    }
    msg_reset();
    if (P.version < 2)
        note_hex("version < 2: ", P.version);
    if (P.ngp == 0)
        note_s("no general-purpose counters (EAX[15:8] = 0)");
    if (P.gp_width < 32 || P.gp_width > 64)
        note_hex("GP counter width not in 32..64: ", P.gp_width);
    if (P.ebx_len > 32)
        note_hex("EBX length > 32: ", P.ebx_len);
    else if (P.ebx_len < 32 && (P.ebx >> P.ebx_len))
        note_hex("EBX bits set beyond EAX[31:24] length: EBX=", P.ebx);
    if (P.version >= 2 && (P.nfixed || P.ecx) && (P.fixed_width == 0 || P.fixed_width > 64))
        note_hex("fixed counters offered but width not in 1..64: ", P.fixed_width);
    if (P.version >= 2 && !P.nfixed && !P.ecx && P.fixed_width)
        note_hex("no fixed counters but fixed width ", P.fixed_width);
    if (P.version < 5 && P.ecx)
        note_hex("ECX (fixed-counter bitmap) nonzero before version 5: ", P.ecx);
    verdict(rule);
}

/* The MSRs CPUID promises exist. */
static void r_msrs_present(const char *why)
{
    const char *rule = "pmu-msrs-present";
    if (P.max_leaf < 0xA || P.version == 0 || P.ngp == 0) {
        skip(rule, "no architectural PMU (CPUID.0AH version %u)", P.version);
        return;
    }
    if (why) {
        if (P.perfvisor)
            fail(rule, "%s", why);
        else
            skip(rule, "%s (not under perfvisor: treated as an emulator without a PMU)", why);
        return;
    }
    msg_reset();
    uint64_t v;
    for (uint32_t i = 0; i < P.ngp && i < 32; i++) {
        if (safe_rdmsr(MSR_IA32_PMC(i), &v))
            note_hex("RDMSR IA32_PMCx #GP: ", MSR_IA32_PMC(i));
        if (safe_rdmsr(MSR_IA32_PERFEVTSEL(i), &v))
            note_hex("RDMSR IA32_PERFEVTSELx #GP: ", MSR_IA32_PERFEVTSEL(i));
    }
    if (P.version >= 2) {
        static const uint32_t g[] = { MSR_IA32_PERF_GLOBAL_CTRL, MSR_IA32_PERF_GLOBAL_STATUS,
                                      MSR_IA32_FIXED_CTR_CTRL };
        for (unsigned int i = 0; i < 3; i++)
            if (safe_rdmsr(g[i], &v))
                note_hex("RDMSR #GP: ", g[i]);
        for (uint32_t i = 0; i < 32; i++)
            if (pmu_fixed_offered(&P, i) && safe_rdmsr(MSR_IA32_FIXED_CTR(i), &v))
                note_hex("RDMSR IA32_FIXED_CTRx #GP: ", MSR_IA32_FIXED_CTR(i));
    }
    verdict(rule);
}

static void r_global_ctrl_reset(uint64_t v, int faulted)
{
    const char *rule = "global-ctrl-reset-value";
    if (!need_global(rule))
        return;
    uint64_t want = pmu_width_mask(P.ngp > 32 ? 32 : P.ngp);
    if (faulted)
        fail(rule, "RDMSR IA32_PERF_GLOBAL_CTRL #GP");
    else if (v != want)
        fail(rule, "IA32_PERF_GLOBAL_CTRL=0x%llx at start, expected 0x%llx (GP enables set, fixed clear)",
             v, want);
    else
        pass(rule);
}

static void r_counts_when_enabled(void)
{
    const char *rule = "counts-when-enabled";
    if (!need_event(rule))
        return;
    msg_reset();
    uint64_t t0 = rdtsc();
    uint64_t n = count_over(EVT, 1, 1, 0, SPIN_UNIT);
    uint64_t t = rdtsc() - t0;
    /* 30000 instructions: at least ~SPIN_UNIT cycles / instructions */
    if (n < SPIN_UNIT / 2)
        note_hex("EN=1 and GLOBAL_CTRL bit 0 set, but PMC0 advanced only ", n);
    if (!msg_len)
        printf("pmucheck: %s counted %llu over 3x%u instructions (%llu TSC ticks)\n", evt_name, n,
               SPIN_UNIT, t);
    verdict(rule);
}

static void r_no_count_en_clear(void)
{
    const char *rule = "no-count-evtsel-en-clear";
    if (!need_event(rule))
        return;
    msg_reset();
    uint64_t n = count_over(EVT, 0, 1, 5, SPIN_UNIT);
    if (n)
        note_hex("EN=0 (GLOBAL_CTRL bit 0 set) but PMC0 advanced by ", n);
    verdict(rule);
}

static void r_no_count_global_clear(void)
{
    const char *rule = "no-count-global-ctrl-clear";
    if (!need_event(rule))
        return;
    if (P.version < 2) {
        skip(rule, "CPUID.0AH version %u: no IA32_PERF_GLOBAL_CTRL", P.version);
        return;
    }
    msg_reset();
    uint64_t n = count_over(EVT, 1, 0, 5, SPIN_UNIT);
    if (n)
        note_hex("EN=1 but GLOBAL_CTRL bit 0 clear, and PMC0 advanced by ", n);
    verdict(rule);
}

static void r_fixed_counts(void)
{
    const char *rule = "fixed-counts-only-when-enabled";
    if (!need_global(rule))
        return;
    int any = 0;
    msg_reset();
    for (uint32_t i = 0; i < 32; i++) {
        if (!pmu_fixed_offered(&P, i))
            continue;
        any = 1;
        quiesce();
        uint32_t ctr = MSR_IA32_FIXED_CTR(i);
        /* enabled in FIXED_CTR_CTRL and GLOBAL_CTRL: counts */
        wr(ctr, 0);
        wr(MSR_IA32_FIXED_CTR_CTRL, FIXED_CTRL_OS(i) | FIXED_CTRL_USR(i));
        global_on(GLOBAL_FIXED(i));
        spin(SPIN_UNIT);
        global_on(0);
        uint64_t on = rd(ctr);
        if (on < SPIN_UNIT / 2)
            note_hex("enabled fixed counter advanced too little: IA32_FIXED_CTR", i),
                note_hex("  by ", on);
        /* GLOBAL_CTRL bit clear: no count */
        wr(ctr, 7);
        global_on(GLOBAL_PMC(0));
        spin(SPIN_UNIT);
        global_on(0);
        if (rd(ctr) != 7)
            note_hex("counted with GLOBAL_CTRL fixed bit clear: IA32_FIXED_CTR", i);
        /* FIXED_CTR_CTRL clear: no count */
        wr(MSR_IA32_FIXED_CTR_CTRL, 0);
        global_on(GLOBAL_FIXED(i));
        spin(SPIN_UNIT);
        global_on(0);
        if (rd(ctr) != 7)
            note_hex("counted with FIXED_CTR_CTRL field 0: IA32_FIXED_CTR", i);
        wr(ctr, 0);
    }
    if (!any) {
        skip(rule, "no fixed counter offered: CPUID.0AH ECX=0x%x EDX[4:0]=%u", P.ecx, P.nfixed);
        return;
    }
    verdict(rule);
}

/* Preset PMC0 to -preset, count without INT past the overflow. */
static uint64_t overflow_once(void)
{
    quiesce();
    wr(MSR_IA32_PMC(0), (uint32_t)(0u - preset));   /* sign-extends: -preset */
    wr(MSR_IA32_PERFEVTSEL(0), EVT | EVTSEL_USR | EVTSEL_OS | EVTSEL_EN);
    global_on(GLOBAL_PMC(0));
    spin(SPIN_UNIT);
    global_on(0);
    wr(MSR_IA32_PERFEVTSEL(0), 0);
    return status();
}

static void r_overflow_status(void)
{
    const char *rule = "overflow-sets-global-status";
    if (!need_global(rule) || !need_event(rule))
        return;
    msg_reset();
    uint64_t st = overflow_once();
    uint64_t v = rd(MSR_IA32_PMC(0));
    if (!(st & GLOBAL_PMC(0)))
        note_hex("PMC0 overflowed but GLOBAL_STATUS bit 0 clear: GLOBAL_STATUS=", st),
            note_hex("PMC0=", v);
    if (v > 0x10000000)
        note_hex("PMC0 did not wrap past zero: PMC0=", v);
    verdict(rule);
}

static void r_ovf_ctrl_clears(void)
{
    const char *rule = "ovf-ctrl-clears-status";
    if (!need_global(rule) || !need_event(rule))
        return;
    msg_reset();
    uint64_t st = overflow_once();
    if (!(st & GLOBAL_PMC(0))) {
        note_hex("no overflow bit to clear: GLOBAL_STATUS=", st);
    } else {
        wr(MSR_IA32_PERF_GLOBAL_OVF_CTRL, GLOBAL_PMC(0));
        uint64_t after = status();
        if (after & GLOBAL_PMC(0))
            note_hex("GLOBAL_STATUS bit 0 still set after OVF_CTRL write: ", after);
    }
    verdict(rule);
}

static void r_status_read_only(void)
{
    const char *rule = "global-status-read-only";
    if (!need_global(rule))
        return;
    quiesce();
    int f0 = safe_wrmsr(MSR_IA32_PERF_GLOBAL_STATUS, 0);
    int f1 = safe_wrmsr(MSR_IA32_PERF_GLOBAL_STATUS, GLOBAL_PMC(0));
    uint64_t st = 0;
    safe_rdmsr(MSR_IA32_PERF_GLOBAL_STATUS, &st);
    if (!f0 || !f1)
        fail(rule, "WRMSR IA32_PERF_GLOBAL_STATUS did not #GP (value 0: %s, value 1: %s); now 0x%llx",
             f0 ? "#GP" : "accepted", f1 ? "#GP" : "accepted", st);
    else
        pass(rule);
}

static void r_minus_one(void)
{
    const char *rule = "minus-one-overflows-on-next-event";
    if (!need_global(rule) || !need_event(rule))
        return;
    msg_reset();
    quiesce();
    wr(MSR_IA32_PMC(0), 0xFFFFFFFFu);                 /* -1, sign-extended to the width */
    uint64_t v0 = rd(MSR_IA32_PMC(0));
    if (v0 != P.gp_mask)
        note_hex("PMC0 after writing -1 reads ", v0);
    wr(MSR_IA32_PERFEVTSEL(0), EVT | EVTSEL_USR | EVTSEL_OS | EVTSEL_EN);
    global_on(GLOBAL_PMC(0));
    __asm__ volatile("nop; nop; nop; nop");
    global_on(0);
    wr(MSR_IA32_PERFEVTSEL(0), 0);
    uint64_t st = status(), v = rd(MSR_IA32_PMC(0));
    if (!(st & GLOBAL_PMC(0)))
        note_hex("no overflow after a few events from -1: GLOBAL_STATUS=", st);
    if (v >= 1000000)
        note_hex("PMC0 did not wrap to a small value: ", v);
    verdict(rule);
}

static void r_sign_extend(void)
{
    const char *rule = "pmc-write-sign-extends";
    if (!need_pmu(rule))
        return;
    msg_reset();
    quiesce();
    static const struct { uint64_t w, r; } t[] = {
        { 0x80000005ull, 0xFFFFFFFF80000005ull },
        { 0x7FFFFFFFull, 0x7FFFFFFFull },
        { 0x0000123400000007ull, 0x7ull },            /* EDX is ignored */
        { 0x00000001FFFFFFF0ull, 0xFFFFFFFFFFFFFFF0ull },
    };
    for (unsigned int i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        if (safe_wrmsr(MSR_IA32_PMC(0), t[i].w)) {
            note_hex("WRMSR IA32_PMC0 #GP for ", t[i].w);
            continue;
        }
        uint64_t v = rd(MSR_IA32_PMC(0)), want = t[i].r & P.gp_mask;
        if (v != want) {
            note_hex("wrote ", t[i].w);
            note_hex("read ", v);
            note_hex("expected ", want);
        }
    }
    wr(MSR_IA32_PMC(0), 0);
    verdict(rule);
}

static void r_full_width(void)
{
    const char *rule = "full-width-write";
    if (!need_pmu(rule))
        return;
    uint64_t caps = 0;
    if (!P.pdcm) {
        skip(rule, "IA32_PERF_CAPABILITIES not offered: CPUID.1:ECX[15] (PDCM) = 0");
        return;
    }
    if (safe_rdmsr(MSR_IA32_PERF_CAPABILITIES, &caps)) {
        fail(rule, "PDCM set but RDMSR IA32_PERF_CAPABILITIES #GP");
        return;
    }
    if (!(caps & PERF_CAP_FW_WRITE)) {
        skip(rule, "full-width writes not offered: IA32_PERF_CAPABILITIES=0x%llx, bit 13 clear",
             caps);
        return;
    }
    msg_reset();
    quiesce();
    uint64_t w = 0x0000923456789ABCull & P.gp_mask;
    if (safe_wrmsr(MSR_IA32_A_PMC(0), w)) {
        note_s("WRMSR IA32_A_PMC0 #GP");
    } else {
        uint64_t v = rd(MSR_IA32_PMC(0)), va = rd(MSR_IA32_A_PMC(0));
        if (v != w || va != w) {
            note_hex("wrote IA32_A_PMC0 ", w);
            note_hex("IA32_PMC0 reads ", v);
            note_hex("IA32_A_PMC0 reads ", va);
        }
    }
    wr(MSR_IA32_PMC(0), 0);
    verdict(rule);
}

static void r_rdpmc_rdmsr(void)
{
    const char *rule = "rdpmc-matches-rdmsr";
    if (!need_pmu(rule))
        return;
    msg_reset();
    quiesce();
    for (uint32_t i = 0; i < P.ngp && i < 32; i++) {
        uint64_t val = (0x1000u + 0x111u * i), m = 0, p = 0;
        wr(MSR_IA32_PMC(i), val);
        m = rd(MSR_IA32_PMC(i));
        if (safe_rdpmc(i, &p))
            note_hex("RDPMC #GP for counter ", i);
        else if (p != m || m != val) {
            note_hex("counter ", i);
            note_hex("wrote ", val);
            note_hex("RDMSR ", m);
            note_hex("RDPMC ", p);
        }
        wr(MSR_IA32_PMC(i), 0);
    }
    if (evt_name) {     /* while counting: RDMSR <= RDPMC <= RDMSR */
        wr(MSR_IA32_PERFEVTSEL(0), EVT | EVTSEL_USR | EVTSEL_OS | EVTSEL_EN);
        global_on(GLOBAL_PMC(0));
        uint64_t a = rd(MSR_IA32_PMC(0)), b = 0, c;
        safe_rdpmc(0, &b);
        c = rd(MSR_IA32_PMC(0));
        global_on(0);
        wr(MSR_IA32_PERFEVTSEL(0), 0);
        if (!(a <= b && b <= c)) {
            note_s("running counter: not RDMSR <= RDPMC <= RDMSR:");
            note_hex("", a);
            note_hex("", b);
            note_hex("", c);
        }
    }
    verdict(rule);
}

static void r_rdpmc_fixed(void)
{
    const char *rule = "rdpmc-fixed-bit30";
    if (!need_global(rule))
        return;
    int any = 0;
    msg_reset();
    quiesce();
    for (uint32_t i = 0; i < 32; i++) {
        if (!pmu_fixed_offered(&P, i))
            continue;
        any = 1;
        uint64_t val = 0x2000u + i, m, p = 0;
        wr(MSR_IA32_FIXED_CTR(i), val);
        m = rd(MSR_IA32_FIXED_CTR(i));
        if (safe_rdpmc(RDPMC_FIXED | i, &p))
            note_hex("RDPMC #GP for ECX=", RDPMC_FIXED | i);
        else if (p != m || m != val) {
            note_hex("fixed counter ", i);
            note_hex("wrote ", val);
            note_hex("RDMSR ", m);
            note_hex("RDPMC ", p);
        }
        wr(MSR_IA32_FIXED_CTR(i), 0);
    }
    if (!any) {
        skip(rule, "no fixed counter offered: CPUID.0AH ECX=0x%x EDX[4:0]=%u", P.ecx, P.nfixed);
        return;
    }
    verdict(rule);
}

static void r_rdpmc_invalid(void)
{
    const char *rule = "rdpmc-invalid-index-gp";
    if (!need_pmu(rule))
        return;
    msg_reset();
    uint32_t k = 0;
    while (k < 32 && pmu_fixed_offered(&P, k))
        k++;
    uint32_t bad[] = { P.ngp, RDPMC_FIXED | k, 0x10000u, 0x3FFFFFFFu };
    for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        uint64_t v;
        if (!safe_rdpmc(bad[i], &v))
            note_hex("RDPMC did not #GP for ECX=", bad[i]);
        else if (idt_fault_vector != 13)
            note_hex("RDPMC raised #UD instead of #GP for ECX=", bad[i]);
    }
    verdict(rule);
}

/* ---- RDPMC at CPL 3 --------------------------------------------------------------- */

struct tss32 {
    uint32_t link, esp0, ss0, esp1, ss1, esp2, ss2, cr3, eip, eflags;
    uint32_t eax, ecx, edx, ebx, esp, ebp, esi, edi;
    uint32_t es, cs, ss, ds, fs, gs, ldtr;
    uint16_t trap, iomap_base;
};
_Static_assert(sizeof(struct tss32) == 104, "32-bit TSS is 104 bytes");

static uint64_t r3_gdt[6] __attribute__((aligned(8)));
static struct tss32 r3_tss;
static uint8_t r3_kstack[4096] __attribute__((aligned(16)));
uint8_t r3_ustack[4096] __attribute__((aligned(16)));
uint32_t r3_saved_esp, r3_lo, r3_hi;

/* int r3_rdpmc(uint32_t ecx): drop to CPL 3 (IRET), execute RDPMC there and
 * come back through INT 0x81 (0: r3_lo/r3_hi hold the value) or through the
 * #GP stub (-1).  Either way the kernel stack is restored from r3_saved_esp. */
int r3_rdpmc(uint32_t ecx);
void r3_back(void);
void r3_gp(void);
void __attribute__((noreturn, used)) r3_gp_kernel(uint32_t err, uint32_t eip)
{
    idt_fatal(13, eip, err);
}
__asm__(".text\n"
        ".globl r3_rdpmc\n"
        "r3_rdpmc:\n"
        "  push %ebp\n  push %ebx\n  push %esi\n  push %edi\n"
        "  mov %esp, r3_saved_esp\n"
        "  mov 20(%esp), %ecx\n"
        "  pushl $0x23\n"                   /* SS: user data, RPL 3 */
        "  pushl $r3_ustack+4096\n"         /* ESP */
        "  pushfl\n"
        "  andl $0xFFFFCDFF, (%esp)\n"      /* IF=0, IOPL=0 */
        "  pushl $0x1B\n"                   /* CS: user code, RPL 3 */
        "  pushl $r3_user\n"
        "  iret\n"
        "r3_user:\n"
        "  rdpmc\n"
        "  int $0x81\n"
        "  ud2\n"
        ".globl r3_back\n"
        "r3_back:\n"                        /* INT 0x81 from CPL 3: success */
        "  mov $0x10, %ebx\n  mov %bx, %ds\n  mov %bx, %es\n  mov %bx, %fs\n  mov %bx, %gs\n"
        "  mov r3_saved_esp, %esp\n"
        "  mov %eax, r3_lo\n  mov %edx, r3_hi\n"
        "  xor %eax, %eax\n"
        "  jmp 1f\n"
        ".globl r3_gp\n"
        "r3_gp:\n"                          /* #GP: [esp]=err, 4=eip, 8=cs */
        "  testl $3, 8(%esp)\n"
        "  jnz 2f\n"
        "  call r3_gp_kernel\n"             /* args: err, eip (already on the stack) */
        "2:\n"
        "  mov $0x10, %ebx\n  mov %bx, %ds\n  mov %bx, %es\n  mov %bx, %fs\n  mov %bx, %gs\n"
        "  mov r3_saved_esp, %esp\n"
        "  mov $-1, %eax\n"
        "1:\n"
        "  pop %edi\n  pop %esi\n  pop %ebx\n  pop %ebp\n"
        "  ret\n");

static uint64_t seg_desc(uint32_t base, uint32_t limit, uint8_t access, uint8_t flags)
{
    return (uint64_t)(limit & 0xFFFF) | ((uint64_t)(base & 0xFFFFFF) << 16) |
           ((uint64_t)access << 40) | ((uint64_t)((limit >> 16) & 0xF) << 48) |
           ((uint64_t)(flags & 0xF) << 52) | ((uint64_t)(base >> 24) << 56);
}

static void r_rdpmc_cpl3(void)
{
    const char *rule = "rdpmc-cpl3-pce0-gp";
    if (!need_pmu(rule))
        return;
    /* GDT: entry.asm's kernel code/data at 0x08/0x10, user code 0x18, user data 0x20, TSS 0x28. */
    r3_gdt[0] = 0;
    r3_gdt[1] = seg_desc(0, 0xFFFFF, 0x9A, 0xC);
    r3_gdt[2] = seg_desc(0, 0xFFFFF, 0x92, 0xC);
    r3_gdt[3] = seg_desc(0, 0xFFFFF, 0xFA, 0xC);
    r3_gdt[4] = seg_desc(0, 0xFFFFF, 0xF2, 0xC);
    r3_gdt[5] = seg_desc((uint32_t)&r3_tss, sizeof(r3_tss) - 1, 0x89, 0);
    r3_tss.ss0 = 0x10;
    r3_tss.esp0 = (uint32_t)(r3_kstack + sizeof(r3_kstack));
    r3_tss.iomap_base = sizeof(r3_tss);
    struct dt_ptr gp = { sizeof(r3_gdt) - 1, (uint32_t)r3_gdt };
    __asm__ volatile("lgdt %0\n\tltr %w1" : : "m"(gp), "r"(0x28) : "memory");

    uint32_t cr4;
    __asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
    if (cr4 & (1u << 8))
        __asm__ volatile("mov %0, %%cr4" : : "r"(cr4 & ~(1u << 8)));

    idt_set_gate(13, (void *)r3_gp, IDT_GATE_INT);
    idt_set_gate(R3_SYSCALL_VEC, (void *)r3_back, 0xEE);    /* DPL 3 */
    int r0 = r3_rdpmc(0);
    uint32_t lo = r3_lo, hi = r3_hi;
    idt_set(13, idt_exc_13);
    idt_set(R3_SYSCALL_VEC, idt_stray_isr);
    if (r0 == 0)
        fail(rule, "RDPMC 0 at CPL 3 with CR4.PCE=0 returned 0x%llx instead of #GP",
             ((uint64_t)hi << 32) | lo);
    else
        pass(rule);
}

static void r_evtsel_reserved(void)
{
    const char *rule = "evtsel-reserved-bits-gp";
    if (!need_pmu(rule))
        return;
    msg_reset();
    quiesce();
    static const unsigned int bits[] = { 32, 40, 63 };
    for (unsigned int i = 0; i < 3; i++) {
        uint64_t v = EVT | EVTSEL_USR | EVTSEL_OS | (1ull << bits[i]);
        if (!safe_wrmsr(MSR_IA32_PERFEVTSEL(0), v)) {
            note_hex("WRMSR IA32_PERFEVTSEL0 accepted reserved bit ", bits[i]);
            note_hex("reads back ", rd(MSR_IA32_PERFEVTSEL(0)));
        }
    }
    wr(MSR_IA32_PERFEVTSEL(0), 0);
    verdict(rule);
}

static void r_nonexistent(void)
{
    const char *rule = "nonexistent-counter-gp";
    if (!need_pmu(rule))
        return;
    if (P.ngp >= 8) {
        skip(rule, "CPUID.0AH offers %u GP counters: no free index below IA32_PMC8", P.ngp);
        return;
    }
    msg_reset();
    uint64_t v;
    if (!safe_rdmsr(MSR_IA32_PMC(P.ngp), &v))
        note_hex("RDMSR did not #GP: ", MSR_IA32_PMC(P.ngp));
    if (!safe_wrmsr(MSR_IA32_PMC(P.ngp), 0))
        note_hex("WRMSR did not #GP: ", MSR_IA32_PMC(P.ngp));
    if (!safe_rdmsr(MSR_IA32_PERFEVTSEL(P.ngp), &v))
        note_hex("RDMSR did not #GP: ", MSR_IA32_PERFEVTSEL(P.ngp));
    if (!safe_wrmsr(MSR_IA32_PERFEVTSEL(P.ngp), 0))
        note_hex("WRMSR did not #GP: ", MSR_IA32_PERFEVTSEL(P.ngp));
    verdict(rule);
}

static void r_pdcm(void)
{
    const char *rule = "pdcm-perf-capabilities";
    if (!need_pmu(rule))
        return;
    uint64_t caps = 0;
    int f = safe_rdmsr(MSR_IA32_PERF_CAPABILITIES, &caps);
    if (P.pdcm && f)
        fail(rule, "CPUID.1:ECX[15] (PDCM) set but RDMSR IA32_PERF_CAPABILITIES #GP");
    else if (!P.pdcm && !f)
        fail(rule, "PDCM clear but RDMSR IA32_PERF_CAPABILITIES returned 0x%llx", caps);
    else {
        if (P.pdcm)
            printf("pmucheck: IA32_PERF_CAPABILITIES=0x%llx\n", caps);
        pass(rule);
    }
}

static void r_available_events(void)
{
    const char *rule = "available-events-count";
    if (!need_pmu(rule))
        return;
    int any = 0;
    msg_reset();
    for (unsigned int i = 0; i <= PMU_EV_REF_CYCLES; i++) {
        if (!pmu_event_available(&P, i))
            continue;
        any = 1;
        uint64_t n = count_over(pmu_evtsel(i), 1, 1, 0, SPIN_UNIT);
        if (n < SPIN_UNIT / 2) {
            note_s(pmu_arch_events[i].name);
            note_hex("claimed available but counted only ", n);
        }
    }
    if (!any) {
        skip(rule, "no cycle or instruction event available: CPUID.0AH EBX=0x%x length %u", P.ebx,
             P.ebx_len);
        return;
    }
    verdict(rule);
}

static void r_unavailable_events(void)
{
    const char *rule = "unavailable-events-not-counted";
    if (!need_pmu(rule))
        return;
    int any = 0;
    msg_reset();
    for (unsigned int i = 0; i < PMU_NARCH_EVENTS && i < P.ebx_len; i++) {
        if (pmu_event_available(&P, i))
            continue;
        any = 1;
        quiesce();
        if (safe_wrmsr(MSR_IA32_PERFEVTSEL(0), pmu_evtsel(i) | EVTSEL_USR | EVTSEL_OS | EVTSEL_EN)) {
            note_s(pmu_arch_events[i].name);
            note_s("WRMSR of its event select #GP (the SDM allows any encoding)");
            continue;
        }
        global_on(GLOBAL_PMC(0));
        spin(SPIN_UNIT);
        global_on(0);
        uint64_t n = rd(MSR_IA32_PMC(0));
        wr(MSR_IA32_PERFEVTSEL(0), 0);
        if (n) {
            note_s(pmu_arch_events[i].name);
            note_hex("marked unavailable (EBX bit set) but counted ", n);
        }
    }
    if (!any) {
        skip(rule, "CPUID.0AH marks no architectural event unavailable: EBX=0x%x length %u", P.ebx,
             P.ebx_len);
        return;
    }
    verdict(rule);
}

/* ---- PMIs through the LVTPC ----------------------------------------------------------- */

static volatile uint32_t pmi_count, nmi_count, pmi_lvtpc, nmi_lvtpc, pmi_ip;
static const char *apic_why;
static int apic_rc;                 /* apic_init: 0, -1 failed, -2 not offered by CPUID */

IDT_ISR static void pmi_isr(struct iframe *f)
{
    pmi_count++;
    pmi_ip = f->ip;
    pmi_lvtpc = apic_read(APIC_REG_LVTPC);
    apic_eoi();
}

IDT_ISR static void nmi_isr(struct iframe *f)
{
    (void)f;
    nmi_count++;
    nmi_lvtpc = apic_read(APIC_REG_LVTPC);
}

static int need_apic(const char *rule)
{
    if (!need_event(rule))
        return 0;
    if (apic_mode == APIC_NONE) {
        if (apic_rc == -2)
            skip(rule, "%s", apic_why);
        else
            fail(rule, "local APIC unusable: %s", apic_why ? apic_why : "?");
        return 0;
    }
    return 1;
}

/* Overflow PMC0 once with LVTPC = lvt and INT as given, IF=1 while waiting
 * (up to `rounds` x 30000 instructions, ending early at the first PMI/NMI). */
static void pmi_run(uint32_t lvt, int with_int, uint32_t rounds)
{
    quiesce();
    pmi_count = nmi_count = 0;
    pmi_lvtpc = nmi_lvtpc = 0;
    apic_write(APIC_REG_LVTPC, lvt);
    wr(MSR_IA32_PMC(0), (uint32_t)(0u - preset));
    wr(MSR_IA32_PERFEVTSEL(0),
       EVT | EVTSEL_USR | EVTSEL_OS | EVTSEL_EN | (with_int ? EVTSEL_INT : 0));
    sti();
    global_on(GLOBAL_PMC(0));
    for (uint32_t r = 0; r < rounds && !pmi_count && !nmi_count; r++)
        spin(SPIN_UNIT);
    global_on(0);
    cli();
    wr(MSR_IA32_PERFEVTSEL(0), 0);
}

static void r_no_pmi_without_int(void)
{
    const char *rule = "no-pmi-without-int";
    if (!need_apic(rule))
        return;
    msg_reset();
    pmi_run(PMI_VECTOR, 0, QUIET_ROUNDS);
    uint64_t st = status(), v = rd(MSR_IA32_PMC(0));
    if (P.version >= 2 && !(st & GLOBAL_PMC(0)))
        note_hex("(setup) no overflow: GLOBAL_STATUS=", st);
    if (v > 0x10000000)
        note_hex("(setup) PMC0 did not wrap: ", v);
    if (pmi_count || nmi_count) {
        note_hex("PMI with INT clear: vector interrupts ", pmi_count);
        note_hex("NMIs ", nmi_count);
    }
    apic_write(APIC_REG_LVTPC, APIC_LVT_MASKED);
    verdict(rule);
}

static uint32_t lvt_after_fixed;
static int fixed_pmi_ok;

static void r_pmi_fixed(void)
{
    const char *rule = "pmi-fixed-with-int";
    if (!need_apic(rule))
        return;
    msg_reset();
    uint64_t t0 = rdtsc();
    pmi_run(PMI_VECTOR, 1, WAIT_ROUNDS);
    uint64_t t = rdtsc() - t0;
    lvt_after_fixed = apic_read(APIC_REG_LVTPC);
    if (pmi_count != 1)
        note_hex("PMIs on the LVTPC vector (expected exactly 1): ", pmi_count);
    if (nmi_count)
        note_hex("NMIs in fixed mode: ", nmi_count);
    if (pmi_count)
        printf("pmucheck: fixed-mode PMI at eip 0x%x, LVTPC in the handler 0x%x (%llu ticks)\n",
               pmi_ip, pmi_lvtpc, t);
    fixed_pmi_ok = pmi_count > 0;
    apic_write(APIC_REG_LVTPC, APIC_LVT_MASKED);
    verdict(rule);
}

static void r_lvtpc_masked(void)
{
    const char *rule = "lvtpc-masked-after-pmi";
    if (!need_apic(rule))
        return;
    if (!fixed_pmi_ok) {
        fail(rule, "no PMI was delivered (see pmi-fixed-with-int)");
        return;
    }
    msg_reset();
    if (!(pmi_lvtpc & APIC_LVT_MASKED))
        note_hex("LVTPC read in the PMI handler is not masked: ", pmi_lvtpc);
    if (!(lvt_after_fixed & APIC_LVT_MASKED))
        note_hex("LVTPC after the PMI is not masked: ", lvt_after_fixed);
    verdict(rule);
}

static void r_pmi_nmi(void)
{
    const char *rule = "pmi-nmi-mode";
    if (!need_apic(rule))
        return;
    msg_reset();
    pmi_run(APIC_LVT_DM_NMI, 1, WAIT_ROUNDS);
    uint32_t lvt = apic_read(APIC_REG_LVTPC);
    if (nmi_count != 1)
        note_hex("NMIs (expected exactly 1): ", nmi_count);
    if (pmi_count)
        note_hex("interrupts on the fixed vector in NMI mode: ", pmi_count);
    if (nmi_count && !(lvt & APIC_LVT_MASKED))
        note_hex("LVTPC not masked after the NMI: ", lvt);
    apic_write(APIC_REG_LVTPC, APIC_LVT_MASKED);
    verdict(rule);
}

/* ---- main ------------------------------------------------------------------------- */

int main(uint32_t magic, const struct mb_info *mbi)
{
    guest_start("pmucheck", magic, mbi);
    preset = (uint32_t)mb_opt_num("preset", 2000);
    if (preset < 1 || preset > 0x40000000u)
        preset = 2000;
    idt_init();
    pmu_discover(&P);
    printf("pmucheck: cpuid.0a version=%u gp=%u gp_width=%u ebx_len=%u ebx=0x%x ecx=0x%x "
           "fixed=%u fixed_width=%u pdcm=%d apic=%d x2apic=%d perfvisor=%d\n",
           P.version, P.ngp, P.gp_width, P.ebx_len, P.ebx, P.ecx, P.nfixed, P.fixed_width,
           P.pdcm, P.xapic, P.x2apic, P.perfvisor);

    /* GLOBAL_CTRL before anything writes a PMU MSR. */
    uint64_t gctrl = 0;
    int gctrl_fault = 0;
    const char *why = NULL;
    int probe = pmu_probe(&P, &why);
    if (probe == 0 && P.version >= 2)
        gctrl_fault = safe_rdmsr(MSR_IA32_PERF_GLOBAL_CTRL, &gctrl);
    if (probe)
        no_pmu = why;

    /* the counting event */
    static const unsigned int pref[] = { PMU_EV_CORE_CYCLES, PMU_EV_REF_CYCLES, PMU_EV_INSTRUCTIONS };
    for (unsigned int i = 0; i < 3 && !evt_name; i++)
        if (pmu_event_available(&P, pref[i])) {
            EVT = pmu_evtsel(pref[i]);
            evt_name = pmu_arch_events[pref[i]].name;
        }

    if (!no_pmu) {
        const char *am = mb_opt("apic");
        enum apic_mode want = APIC_NONE;
        if (am && strcmp(am, "xapic") == 0)
            want = APIC_XAPIC;
        else if (am && strcmp(am, "x2apic") == 0)
            want = APIC_X2APIC;
        apic_rc = apic_init(want, &apic_why);
        if (apic_rc == 0) {
            printf("pmucheck: apic mode=%s version=0x%x svr=0x%x\n", apic_mode_name(apic_mode),
                   apic_read(APIC_REG_VER), apic_read(APIC_REG_SVR));
            /* Native: the legacy PICs could deliver on vectors 8-15 once IF=1. */
            if (!P.perfvisor) {
                outb(0x21, 0xFF);
                outb(0xA1, 0xFF);
            }
        }
        idt_set(2, nmi_isr);
        idt_set(PMI_VECTOR, pmi_isr);
        printf("pmucheck: counting event %s, preset %u\n", evt_name ? evt_name : "(none)", preset);
    }

    /* CPUID rules first: they hold whether or not the MSRs work. */
    /* natively, a PMU that CPUID advertises but whose MSRs #GP is an emulator
     * without one (Bochs): every rule SKIPs */
    if (no_pmu && !P.perfvisor && P.version) {
        skip("cpuid-0a-version", "%s", no_pmu);
    } else {
        r_cpuid();
    }
    r_msrs_present(probe && P.version && P.ngp ? why : NULL);
    r_global_ctrl_reset(gctrl, gctrl_fault);
    r_counts_when_enabled();
    r_no_count_en_clear();
    r_no_count_global_clear();
    r_fixed_counts();
    r_overflow_status();
    r_ovf_ctrl_clears();
    r_status_read_only();
    r_minus_one();
    r_sign_extend();
    r_full_width();
    r_rdpmc_rdmsr();
    r_rdpmc_fixed();
    r_rdpmc_invalid();
    r_rdpmc_cpl3();
    r_evtsel_reserved();
    r_nonexistent();
    r_pdcm();
    r_available_events();
    r_unavailable_events();
    r_no_pmi_without_int();
    r_pmi_fixed();
    r_lvtpc_masked();
    r_pmi_nmi();

    if (!no_pmu)
        quiesce();
    printf("pmucheck: %u pass, %u fail, %u skip\n", n_pass, n_fail, n_skip);
    return (int)n_fail;
}
