/* msrfuzz.c - random writes to every architectural PMU MSR, and RDPMC with
 * random indexes, each under a #GP fixup; a deterministic summary.
 *
 * Addresses (the architectural range and a few beyond it):
 *   IA32_PMC0..7 C1H..C8H, IA32_PERFEVTSEL0..7 186H..18DH, IA32_FIXED_CTR0..3
 *   309H..30CH, IA32_FIXED_CTR_CTRL 38DH, GLOBAL_STATUS 38EH, GLOBAL_CTRL 38FH,
 *   GLOBAL_OVF_CTRL 390H, 391H, 392H, IA32_PERF_CAPABILITIES 345H,
 *   IA32_A_PMC0..7 4C1H..4C8H.
 * First every address is read once (`rd0=ok|#GP`), then `rounds` times for
 * each address in turn: WRMSR of a random value (xorshift64 from `seed`, in
 * eight shapes: full 64 bits, low 32 bits, 48 bits, one bit, 0, all ones, a
 * byte, a sign-extended 32-bit value), then RDMSR.  Then RDPMC with a fixed
 * list of indexes (0..8, bit 30 | 0..4, bit 31, bits 31:30, bit 29, all ones)
 * and `rdpmc` random ones (small, bit 30 | small, garbage).
 *
 * Output (all deterministic for a given PMU implementation, seed and rounds):
 *   msrfuzz: seed=S rounds=R
 *   msrfuzz: msr 0x0c1 rd0=ok writes=R wr-gp=K reads=R rd-gp=K     one per address
 *   msrfuzz: rdpmc 0x00000000 ok|#GP|#UD                             one per fixed index
 *   msrfuzz: rdpmc random n=N gp=K ud=K
 *   msrfuzz: gp-checksum=XXXXXXXX value-checksum=XXXXXXXX
 *   msrfuzz: nmis=N stray-interrupts=N                               (not in a checksum)
 * gp-checksum is FNV-1a over (address, operation, faulted) of every access in
 * order; value-checksum over the read-back values of the control MSRs
 * (PERFEVTSELx, FIXED_CTR_CTRL, GLOBAL_CTRL, PERF_CAPABILITIES), whose
 * contents do not depend on time.  Counters are left stopped.  Exit status 0:
 * it must never crash (an unexpected exception other than #GP/#UD on the
 * fuzzed instructions prints "idt: unexpected exception" and exits 99).
 * Options: seed=N (default 1), rounds=N (default 64), rdpmc=N (default 256). */
#include "guest.h"
#include "idt.h"
#include "pmu.h"

static uint64_t rng_state;

static uint64_t xorshift64(void)
{
    uint64_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return rng_state = x;
}

static uint32_t fnv_gp = 2166136261u, fnv_val = 2166136261u;

static void fnv(uint32_t *h, uint64_t v, unsigned int bytes)
{
    for (unsigned int i = 0; i < bytes; i++) {
        *h ^= (uint8_t)(v >> (8 * i));
        *h *= 16777619u;
    }
}

static uint64_t random_value(void)
{
    uint64_t r = xorshift64(), s = xorshift64();
    switch (s & 7) {
    case 0: return r;
    case 1: return r & 0xFFFFFFFFull;
    case 2: return r & 0x0000FFFFFFFFFFFFull;
    case 3: return 1ull << (r & 63);
    case 4: return 0;
    case 5: return ~0ull;
    case 6: return r & 0xFF;
    default: return (uint64_t)(int64_t)(int32_t)(uint32_t)r;
    }
}

static const uint32_t msrs[] = {
    0xC1, 0xC2, 0xC3, 0xC4, 0xC5, 0xC6, 0xC7, 0xC8,
    0x186, 0x187, 0x188, 0x189, 0x18A, 0x18B, 0x18C, 0x18D,
    0x309, 0x30A, 0x30B, 0x30C,
    0x38D, 0x38E, 0x38F, 0x390, 0x391, 0x392,
    0x345,
    0x4C1, 0x4C2, 0x4C3, 0x4C4, 0x4C5, 0x4C6, 0x4C7, 0x4C8,
};
#define NMSRS (sizeof(msrs) / sizeof(msrs[0]))

static int is_control(uint32_t msr)
{
    return (msr >= 0x186 && msr <= 0x18D) || msr == 0x38D || msr == 0x38F || msr == 0x345;
}

static volatile uint32_t nmis;

IDT_ISR static void nmi_isr(struct iframe *f)
{
    (void)f;
    nmis++;
}

static const char *fault_name(int faulted)
{
    return !faulted ? "ok" : idt_fault_vector == 6 ? "#UD" : "#GP";
}

int main(uint32_t magic, const struct mb_info *mbi)
{
    guest_start("msrfuzz", magic, mbi);
    uint64_t seed = mb_opt_num("seed", 1);
    uint32_t rounds = (uint32_t)mb_opt_num("rounds", 64);
    uint32_t nrdpmc = (uint32_t)mb_opt_num("rdpmc", 256);
    rng_state = seed ? seed : 0x9E3779B97F4A7C15ull;     /* xorshift must not start at 0 */
    idt_init();
    idt_set(2, nmi_isr);

    struct pmu_info p;
    pmu_discover(&p);
    printf("msrfuzz: cpuid.0a version=%u gp=%u gp_width=%u fixed=%u fixed_width=%u ebx=0x%x "
           "ecx=0x%x pdcm=%d\n", p.version, p.ngp, p.gp_width, p.nfixed, p.fixed_width, p.ebx,
           p.ecx, p.pdcm);
    printf("msrfuzz: seed=%llu rounds=%u\n", seed, rounds);

    static uint32_t wr_gp[NMSRS], rd_gp[NMSRS];
    static int rd0[NMSRS];
    for (unsigned int i = 0; i < NMSRS; i++) {
        uint64_t v;
        rd0[i] = safe_rdmsr(msrs[i], &v);
        fnv(&fnv_gp, msrs[i], 4);
        fnv(&fnv_gp, 0x52, 1);
        fnv(&fnv_gp, (uint64_t)(rd0[i] != 0), 1);
    }
    for (uint32_t r = 0; r < rounds; r++) {
        for (unsigned int i = 0; i < NMSRS; i++) {
            uint64_t w = random_value(), v = 0;
            int fw = safe_wrmsr(msrs[i], w);
            int fr = safe_rdmsr(msrs[i], &v);
            wr_gp[i] += fw != 0;
            rd_gp[i] += fr != 0;
            fnv(&fnv_gp, msrs[i], 4);
            fnv(&fnv_gp, 0x57, 1);
            fnv(&fnv_gp, (uint64_t)(fw != 0), 1);
            fnv(&fnv_gp, (uint64_t)(fr != 0), 1);
            if (is_control(msrs[i]) && !fr) {
                fnv(&fnv_val, msrs[i], 4);
                fnv(&fnv_val, v, 8);
            }
        }
    }
    /* stop whatever the random values started before printing */
    safe_wrmsr(0x38F, 0);
    safe_wrmsr(0x38D, 0);
    for (uint32_t i = 0; i < 8; i++)
        safe_wrmsr(0x186 + i, 0);

    for (unsigned int i = 0; i < NMSRS; i++)
        printf("msrfuzz: msr 0x%03x rd0=%s writes=%u wr-gp=%u reads=%u rd-gp=%u\n", msrs[i],
               rd0[i] ? "#GP" : "ok", rounds, wr_gp[i], rounds, rd_gp[i]);

    static const uint32_t idx[] = {
        0, 1, 2, 3, 4, 5, 6, 7, 8,
        0x40000000, 0x40000001, 0x40000002, 0x40000003, 0x40000004,
        0x80000000, 0xC0000000, 0x20000000, 0xFFFFFFFF,
    };
    for (unsigned int i = 0; i < sizeof(idx) / sizeof(idx[0]); i++) {
        uint64_t v;
        int f = safe_rdpmc(idx[i], &v);
        printf("msrfuzz: rdpmc 0x%08x %s\n", idx[i], fault_name(f));
        fnv(&fnv_gp, idx[i], 4);
        fnv(&fnv_gp, 0x50, 1);
        fnv(&fnv_gp, (uint64_t)(f ? (idt_fault_vector == 6 ? 2 : 1) : 0), 1);
    }
    uint32_t gp = 0, ud = 0;
    for (uint32_t i = 0; i < nrdpmc; i++) {
        uint64_t r = xorshift64(), v;
        uint32_t e;
        switch (r & 3) {
        case 0: e = (uint32_t)(r >> 8) & 0xF; break;
        case 1: e = 0x40000000u | ((uint32_t)(r >> 8) & 0x7); break;
        default: e = (uint32_t)(r >> 16); break;
        }
        int f = safe_rdpmc(e, &v);
        if (f && idt_fault_vector == 6)
            ud++;
        else if (f)
            gp++;
        fnv(&fnv_gp, e, 4);
        fnv(&fnv_gp, 0x50, 1);
        fnv(&fnv_gp, (uint64_t)(f ? (idt_fault_vector == 6 ? 2 : 1) : 0), 1);
    }
    printf("msrfuzz: rdpmc random n=%u gp=%u ud=%u\n", nrdpmc, gp, ud);
    printf("msrfuzz: gp-checksum=%08x value-checksum=%08x\n", fnv_gp, fnv_val);
    printf("msrfuzz: nmis=%u stray-interrupts=%u\n", nmis, idt_stray);
    return 0;
}
