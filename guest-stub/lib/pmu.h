/* pmu.h - the architectural performance-monitoring unit as a guest discovers
 * it (SDM Vol. 3B, chapter 20 "Performance Monitoring", 20.2; Vol. 2A CPUID
 * leaf 0AH; Vol. 4 table 2-2).  Header only, like idt.h.
 *
 * Never assume what a (virtual) PMU offers: pmu_discover() reads CPUID leaf
 * 0AH and leaf 1, and pmu_probe() (needs idt_init()) checks that the counter
 * MSRs really exist, because CPUID alone is not trustworthy (Bochs advertises
 * version 4 and #GPs every PMU MSR). */
#ifndef GUEST_PMU_H
#define GUEST_PMU_H

#include "guest.h"
#include "idt.h"

/* MSRs (SDM Vol. 4, table 2-2). */
#define MSR_IA32_PMC(i)             (0x0C1u + (i))  /* CPUID.0AH:EAX[15:8] > i */
#define MSR_IA32_PERFEVTSEL(i)      (0x186u + (i))
#define MSR_IA32_A_PMC(i)           (0x4C1u + (i))  /* full-width alias: PERF_CAPABILITIES[13] */
#define MSR_IA32_FIXED_CTR(i)       (0x309u + (i))  /* version > 1 */
#define MSR_IA32_PERF_CAPABILITIES  0x345u          /* CPUID.1:ECX[15] (PDCM) */
#define MSR_IA32_FIXED_CTR_CTRL     0x38Du          /* version > 1 */
#define MSR_IA32_PERF_GLOBAL_STATUS 0x38Eu          /* version > 1, read-only */
#define MSR_IA32_PERF_GLOBAL_CTRL   0x38Fu          /* version > 1 */
#define MSR_IA32_PERF_GLOBAL_OVF_CTRL 0x390u        /* version > 1 (v4: GLOBAL_STATUS_RESET) */

/* IA32_PERFEVTSELx fields (SDM Vol. 3B, 20.2.1.1, figure 20-1). */
#define EVTSEL_EVENT(e)     ((uint64_t)(e) & 0xFF)
#define EVTSEL_UMASK(u)     (((uint64_t)(u) & 0xFF) << 8)
#define EVTSEL_USR          (1ull << 16)
#define EVTSEL_OS           (1ull << 17)
#define EVTSEL_EDGE         (1ull << 18)
#define EVTSEL_PC           (1ull << 19)
#define EVTSEL_INT          (1ull << 20)    /* PMI on overflow */
#define EVTSEL_ANY          (1ull << 21)
#define EVTSEL_EN           (1ull << 22)
#define EVTSEL_INV          (1ull << 23)

/* IA32_FIXED_CTR_CTRL: 4 bits per fixed counter i at 4*i: OS, USR, AnyThread, PMI. */
#define FIXED_CTRL_OS(i)    (1ull << (4 * (i)))
#define FIXED_CTRL_USR(i)   (2ull << (4 * (i)))
#define FIXED_CTRL_PMI(i)   (8ull << (4 * (i)))

/* IA32_PERF_GLOBAL_CTRL / STATUS / OVF_CTRL: bit i = PMCi, bit 32+i = FIXED_CTRi. */
#define GLOBAL_PMC(i)       (1ull << (i))
#define GLOBAL_FIXED(i)     (1ull << (32 + (i)))

#define RDPMC_FIXED         (1u << 30)  /* RDPMC ECX[30]: fixed-function counter i */
#define PERF_CAP_FW_WRITE   (1ull << 13) /* IA32_A_PMCx full-width writes */

#define CPUID1_ECX_PDCM     (1u << 15)
#define CPUID1_ECX_X2APIC   (1u << 21)
#define CPUID1_EDX_APIC     (1u << 9)

/* Architectural events, in the order of CPUID.0AH:EBX bits (bit set = NOT available). */
struct pmu_arch_event {
    const char *name;
    uint8_t event, umask;
};
static const struct pmu_arch_event pmu_arch_events[] __attribute__((unused)) = {
    { "UnHalted Core Cycles", 0x3C, 0x00 },
    { "Instructions Retired", 0xC0, 0x00 },
    { "UnHalted Reference Cycles", 0x3C, 0x01 },
    { "LLC Reference", 0x2E, 0x4F },
    { "LLC Misses", 0x2E, 0x41 },
    { "Branch Instructions Retired", 0xC4, 0x00 },
    { "Branch Misses Retired", 0xC5, 0x00 },
    { "Topdown Slots", 0xA4, 0x01 },
};
#define PMU_NARCH_EVENTS (sizeof(pmu_arch_events) / sizeof(pmu_arch_events[0]))
#define PMU_EV_CORE_CYCLES 0
#define PMU_EV_INSTRUCTIONS 1
#define PMU_EV_REF_CYCLES  2

struct pmu_info {
    uint32_t max_leaf;
    uint32_t eax, ebx, ecx, edx;        /* CPUID.0AH raw */
    uint32_t version;                   /* EAX[7:0] */
    uint32_t ngp;                       /* EAX[15:8] */
    uint32_t gp_width;                  /* EAX[23:16] */
    uint32_t ebx_len;                   /* EAX[31:24]: valid bits of EBX */
    uint32_t nfixed;                    /* EDX[4:0] (version > 1) */
    uint32_t fixed_width;               /* EDX[12:5] (version > 1) */
    uint32_t leaf1_ecx, leaf1_edx;
    int pdcm, x2apic, xapic;
    int perfvisor;                      /* CPUID 0x40000000 says "perfvisor" */
    uint64_t gp_mask, fixed_mask;       /* value masks for the counter widths */
};

static inline uint64_t pmu_width_mask(uint32_t w)
{
    return w >= 64 ? ~0ull : w == 0 ? 0 : (1ull << w) - 1;
}

static inline void pmu_discover(struct pmu_info *p)
{
    uint32_t a, b, c, d;
    memset(p, 0, sizeof(*p));
    cpuid(0, 0, &p->max_leaf, &b, &c, &d);
    cpuid(1, 0, &a, &b, &p->leaf1_ecx, &p->leaf1_edx);
    p->pdcm = !!(p->leaf1_ecx & CPUID1_ECX_PDCM);
    p->x2apic = !!(p->leaf1_ecx & CPUID1_ECX_X2APIC);
    p->xapic = !!(p->leaf1_edx & CPUID1_EDX_APIC);
    cpuid(0x40000000, 0, &a, &b, &c, &d);
    p->perfvisor = b == 0x66726570 && c == 0x6f736976 && (d & 0xFF) == 'r'; /* "perfvisor" */
    if (p->max_leaf < 0xA)
        return;
    cpuid(0xA, 0, &p->eax, &p->ebx, &p->ecx, &p->edx);
    p->version = p->eax & 0xFF;
    p->ngp = (p->eax >> 8) & 0xFF;
    p->gp_width = (p->eax >> 16) & 0xFF;
    p->ebx_len = p->eax >> 24;
    if (p->version > 1) {
        p->nfixed = p->edx & 0x1F;
        p->fixed_width = (p->edx >> 5) & 0xFF;
    }
    p->gp_mask = pmu_width_mask(p->gp_width);
    p->fixed_mask = pmu_width_mask(p->fixed_width);
}

/* SDM Vol. 2A CPUID 0AH: FxCtr[i] is supported if ECX[i] || EDX[4:0] > i (ECX is
 * the version-5 bitmap, 0 before). */
static inline int pmu_fixed_offered(const struct pmu_info *p, unsigned int i)
{
    if (p->version < 2 || i >= 32)
        return 0;
    return ((p->ecx >> i) & 1) || p->nfixed > i;
}

/* Architectural event i is available if i < EBX length and EBX[i] == 0. */
static inline int pmu_event_available(const struct pmu_info *p, unsigned int i)
{
    return i < p->ebx_len && i < 32 && !((p->ebx >> i) & 1);
}

static inline uint64_t pmu_evtsel(unsigned int ev)
{
    return EVTSEL_EVENT(pmu_arch_events[ev].event) | EVTSEL_UMASK(pmu_arch_events[ev].umask);
}

/* Usable for counting: a version >= 1 PMU with >= 1 GP counter whose PMC0 and
 * PERFEVTSEL0 do not #GP (needs idt_init()).  0, or -1 with *why set. */
static inline int pmu_probe(const struct pmu_info *p, const char **why)
{
    static char buf[64];
    uint64_t v;
    if (p->max_leaf < 0xA || p->version == 0) {
        /* "no architectural PMU (CPUID.0AH version N)" without snprintf */
        char *q = buf;
        for (const char *s = "no architectural PMU (CPUID.0AH version "; *s; s++)
            *q++ = *s;
        uint32_t x = p->version;
        if (x >= 100)
            *q++ = (char)('0' + x / 100);
        if (x >= 10)
            *q++ = (char)('0' + x / 10 % 10);
        *q++ = (char)('0' + x % 10);
        *q++ = ')';
        *q = 0;
        *why = buf;
        return -1;
    }
    if (p->ngp == 0) {
        *why = "no general-purpose counters (CPUID.0AH:EAX[15:8] = 0)";
        return -1;
    }
    if (safe_rdmsr(MSR_IA32_PMC(0), &v) || safe_rdmsr(MSR_IA32_PERFEVTSEL(0), &v)) {
        *why = "CPUID.0AH advertises a PMU but IA32_PMC0/IA32_PERFEVTSEL0 #GP";
        return -1;
    }
    return 0;
}

#endif
