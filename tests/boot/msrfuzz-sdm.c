/* msrfuzz-sdm.c - the rules of msrfuzz-sdm.h as a table.  What the guest's CPUID says
 * (docs/guests.md): CPUID.0AH version 5, 4 general-purpose counters 48 bits wide, EBX bit
 * vector length 7; ECX = 0x6: fixed counters 1 and 2 only (EDX[4:0] = 0); EDX[15]: AnyThread
 * deprecated; CPUID.01H:ECX[15] PDCM with IA32_PERF_CAPABILITIES = 0x2000 (bit 13: full-width
 * writes).  An MSR the table does not list does not exist for that CPUID: #GP. */
#include <stddef.h>

#include "msrfuzz-sdm.h"

#define NGP        4
#define WIDTH_MASK 0x0000FFFFFFFFFFFFull          /* 48-bit counters */
#define GP_BITS    0xFull                         /* PMC0-3 in GLOBAL_CTRL/STATUS */
#define FIXED_BITS (3ull << 33)                   /* fixed counters 1-2: bits 33, 34 */
/* IA32_PERF_GLOBAL_STATUS flags beside the overflow bits (20.2.4 version 4; 20.2.3 bit 61
 * from version 3, 62 and 63 from version 2): 55 Trace_ToPA_PMI, 58 LBR_Frz, 59 CTR_Frz,
 * 60 ASCI, 61 Ovf_Uncore, 62 OvfBuf, 63 CondChgd */
#define STATUS_FLAGS (1ull << 55 | 1ull << 58 | 1ull << 59 | 1ull << 60 | 1ull << 61 | \
                      1ull << 62 | 1ull << 63)
#define STATUS_BITS  (GP_BITS | FIXED_BITS | STATUS_FLAGS)

enum kind { PMC, A_PMC, EVTSEL, FIXED, FIXED_CTRL, GSTATUS, GCTRL, GRESET, GSET, PERFCAP };

struct row {
    uint32_t first;         /* first address */
    unsigned n;             /* consecutive addresses */
    unsigned index0;        /* counter index of the first */
    enum kind kind;
    int read_only;          /* WRMSR #GP whatever the value */
    uint64_t writable;      /* WRMSR #GP when a bit outside is set */
    const char *sdm;
};

static const struct row rows[] = {
    /* a WRMSR takes EAX sign-extended to 64 bits (20.2.6): no reserved bit to refuse */
    { 0x0C1, NGP, 0, PMC, 0, ~0ull, "IA32_PMC0-3, CPUID.0AH:EAX[15:8] = 4" },
    /* full width, bits 63:48 reserved; exist since PERF_CAPABILITIES[13] (20.2.6) */
    { 0x4C1, NGP, 0, A_PMC, 0, WIDTH_MASK, "IA32_A_PMC0-3" },
    /* 63:32 reserved; 21 AnyThread reserved when CPUID.0AH:EDX[15] deprecates it (20.2.1.1) */
    { 0x186, NGP, 0, EVTSEL, 0, 0xFFFFFFFFull & ~(1ull << 21), "IA32_PERFEVTSEL0-3" },
    /* CPUID.0AH:ECX bitmap 0x6 (20.2.5); "bits above the width must be written as zeros" */
    { 0x30A, 2, 1, FIXED, 0, WIDTH_MASK, "IA32_FIXED_CTR1-2" },
    /* per fixed counter i, bits 4i+3:4i: OS, USR, AnyThread (deprecated: reserved), PMI */
    { 0x38D, 1, 0, FIXED_CTRL, 0, 0xBull << 4 | 0xBull << 8, "IA32_FIXED_CTR_CTRL" },
    { 0x38E, 1, 0, GSTATUS, 1, 0, "IA32_PERF_GLOBAL_STATUS (read-only)" },
    { 0x38F, 1, 0, GCTRL, 0, GP_BITS | FIXED_BITS, "IA32_PERF_GLOBAL_CTRL" },
    /* write 1 to clear; reads 0 */
    { 0x390, 1, 0, GRESET, 0, STATUS_BITS, "IA32_PERF_GLOBAL_OVF_CTRL / STATUS_RESET" },
    /* write 1 to set, version 4; CondChgd and ASCI are the CPU's own; reads 0 */
    { 0x391, 1, 0, GSET, 0, STATUS_BITS & ~(1ull << 63 | 1ull << 60), "IA32_PERF_GLOBAL_STATUS_SET" },
    { 0x345, 1, 0, PERFCAP, 1, 0, "IA32_PERF_CAPABILITIES (read-only)" },
    /* not listed, so #GP: PMC/PERFEVTSEL/A_PMC 4-7, FIXED_CTR0 and 3, IA32_PERF_GLOBAL_INUSE
     * (392H: enumerated by version 4 on real CPUs; perfvisor does not offer it) */
};

static const struct row *find(uint32_t msr, unsigned *idx)
{
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
        if (msr >= rows[i].first && msr < rows[i].first + rows[i].n) {
            *idx = rows[i].index0 + (msr - rows[i].first);
            return &rows[i];
        }
    return NULL;
}

void sdm_pmu_reset(struct sdm_pmu *p)
{
    *p = (struct sdm_pmu){ .global_ctrl = GP_BITS };  /* GP enables set after RESET (Table 2-2) */
}

void sdm_pmu_cpuid(uint32_t leaf, uint32_t r[4])
{
    if (leaf == 1) {
        r[2] |= 1u << 15;                             /* PDCM */
    } else if (leaf == 0xA) {
        r[0] = 7u << 24 | 48u << 16 | NGP << 8 | 5;   /* EBX length, width, counters, version */
        r[1] = 0x7A;                                  /* only events 0 and 2 available */
        r[2] = 0x6;                                   /* fixed counters 1, 2 */
        r[3] = 1u << 15 | 48u << 5 | 0;               /* AnyThread deprecated, 48 bits, 0 contiguous */
    }
}

int sdm_pmu_rdmsr(const struct sdm_pmu *p, uint32_t msr, uint64_t *v)
{
    unsigned i;
    const struct row *r = find(msr, &i);
    if (!r)
        return -1;
    switch (r->kind) {
    case PMC:
    case A_PMC:      *v = p->pmc[i]; break;
    case EVTSEL:     *v = p->evtsel[i]; break;
    case FIXED:      *v = p->fixed[i]; break;
    case FIXED_CTRL: *v = p->fixed_ctrl; break;
    case GSTATUS:    *v = p->global_status; break;
    case GCTRL:      *v = p->global_ctrl; break;
    case PERFCAP:    *v = 1ull << 13; break;
    default:         *v = 0; break;                   /* STATUS_RESET, STATUS_SET */
    }
    return 0;
}

int sdm_pmu_wrmsr(struct sdm_pmu *p, uint32_t msr, uint64_t v)
{
    unsigned i;
    const struct row *r = find(msr, &i);
    if (!r || r->read_only || (v & ~r->writable))
        return -1;
    switch (r->kind) {
    case PMC:        p->pmc[i] = (uint64_t)(int64_t)(int32_t)(uint32_t)v & WIDTH_MASK; break;
    case A_PMC:      p->pmc[i] = v; break;
    case EVTSEL:     p->evtsel[i] = v; break;
    case FIXED:      p->fixed[i] = v; break;
    case FIXED_CTRL: p->fixed_ctrl = v; break;
    case GCTRL:      p->global_ctrl = v; break;
    case GRESET:     p->global_status &= ~v; break;
    case GSET:       p->global_status |= v; break;
    default:         break;
    }
    return 0;
}

/* RDPMC (Vol. 2B): ECX[30] selects the fixed counters, ECX[29:0] the index; ECX[31] (fast
 * read) is not offered: #GP, as for a counter that does not exist. */
int sdm_pmu_rdpmc(const struct sdm_pmu *p, uint32_t ecx, uint64_t *v)
{
    uint32_t idx = ecx & 0x3FFFFFFFu;
    if (ecx & 1u << 31)
        return -1;
    if (ecx & 1u << 30) {
        if (idx != 1 && idx != 2)
            return -1;
        *v = p->fixed[idx];
        return 0;
    }
    if (idx >= NGP)
        return -1;
    *v = p->pmc[idx];
    return 0;
}
