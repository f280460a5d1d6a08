/* The architectural performance-monitoring MSRs, once: addresses, what enumerates each, which
 * bits are reserved, how software may access them.  Shared by the hardware sampling backend
 * (pmu/sampling/hw_pmu.c), the PMU model its tests run against (tests/unit/pmu_model.c) and the guest
 * vPMU, so the three cannot disagree about the SDM.
 *
 * Sources (section numbers of the SDM editions from 2023 on; older editions number the same
 * sections 18.x):
 *   Vol. 2A  CPUID leaf 0AH "Architectural Performance Monitoring Leaf", leaf 01H ECX[15] PDCM
 *   Vol. 3B  20.2.1 version 1 (IA32_PERFEVTSELx, IA32_PMCx, Figure 20-1; Table 20-1 events)
 *            20.2.2 version 2 (fixed counters, IA32_PERF_GLOBAL_CTRL/STATUS/OVF_CTRL)
 *            20.2.3 version 3 (AnyThread)   20.2.4 version 4 (STATUS_RESET, STATUS_SET)
 *            20.2.5 version 5 (fixed-counter bitmap in ECX, AnyThread deprecation)
 *            20.2.6 "Full-Width Writes to Performance Counter Registers"
 *   Vol. 3A  11.5.1 "Local Vector Table" (the LVT performance-counter register)
 *   Vol. 4   Table 2-2 "IA-32 Architectural MSRs" (addresses, the "If CPUID..." conditions)
 *
 * Hardware register fields are decoded with shift/mask helpers, never C bit-fields. */
#ifndef PMU_PMU_MSR_H
#define PMU_PMU_MSR_H

#include <stddef.h>
#include <stdint.h>

/* ---- CPUID ---- */

#define CPUID_LEAF_PMU          0x0Au
#define CPUID_01_ECX_PDCM       (1u << 15)   /* IA32_PERF_CAPABILITIES exists (Vol. 2A) */

/* CPUID.0AH:EAX */
#define CPUID_0A_EAX_VERSION(a)   ((a) & 0xFFu)          /* 7:0 architectural perfmon version */
#define CPUID_0A_EAX_NGP(a)       (((a) >> 8) & 0xFFu)   /* 15:8 GP counters per logical CPU */
#define CPUID_0A_EAX_GP_WIDTH(a)  (((a) >> 16) & 0xFFu)  /* 23:16 GP counter width */
#define CPUID_0A_EAX_EBX_LEN(a)   (((a) >> 24) & 0xFFu)  /* 31:24 valid bits in EBX */
#define CPUID_0A_EAX(ver, ngp, width, ebx_len) \
    ((uint32_t)(ver) | (uint32_t)(ngp) << 8 | (uint32_t)(width) << 16 | (uint32_t)(ebx_len) << 24)
/* CPUID.0AH:EBX bit i set: architectural event i is NOT available (i < EAX[31:24]) */
/* CPUID.0AH:ECX (version 5): bit i set: fixed counter i is supported, whatever EDX[4:0] says */
/* CPUID.0AH:EDX (version > 1) */
#define CPUID_0A_EDX_NFIXED(d)      ((d) & 0x1Fu)        /* 4:0 fixed counters (contiguous) */
#define CPUID_0A_EDX_FIXED_WIDTH(d) (((d) >> 5) & 0xFFu) /* 12:5 fixed counter width */
#define CPUID_0A_EDX_ANY_DEPRECATED (1u << 15)           /* AnyThread deprecated (v5) */
#define CPUID_0A_EDX(nfixed, width, any_deprecated) \
    ((uint32_t)(nfixed) | (uint32_t)(width) << 5 | ((any_deprecated) ? CPUID_0A_EDX_ANY_DEPRECATED : 0u))

/* ---- addresses (Vol. 4 Table 2-2) ---- */

#define MSR_IA32_PMC0             0x0C1   /* IA32_PMCx = 0C1H + x, x < CPUID.0AH:EAX[15:8] */
#define MSR_IA32_PERFEVTSEL0      0x186   /* IA32_PERFEVTSELx = 186H + x */
#define MSR_IA32_FIXED_CTR0       0x309   /* IA32_FIXED_CTRx = 309H + x (version > 1) */
#define MSR_IA32_PERF_CAPABILITIES 0x345  /* if CPUID.01H:ECX[15] (PDCM) */
#define MSR_IA32_FIXED_CTR_CTRL   0x38D
#define MSR_IA32_PERF_GLOBAL_STATUS 0x38E
#define MSR_IA32_PERF_GLOBAL_CTRL 0x38F
#define MSR_IA32_PERF_GLOBAL_OVF_CTRL 0x390   /* version 4 calls it IA32_PERF_GLOBAL_STATUS_RESET */
#define MSR_IA32_PERF_GLOBAL_STATUS_SET 0x391 /* version 4 */
#define MSR_IA32_A_PMC0           0x4C1   /* IA32_A_PMCx = 4C1H + x, if PERF_CAPABILITIES[13] */

/* The architectural address ranges hold this many counters; the MSRs after them are others. */
#define PMU_MAX_GP     8
#define PMU_MAX_FIXED  4

/* ---- IA32_PERFEVTSELx (Vol. 3B 20.2.1.1, Figure 20-1) ---- */

#define PERFEVTSEL_EVENT_SHIFT 0
#define PERFEVTSEL_EVENT_MASK  0x00000000000000FFull  /* 7:0 event select */
#define PERFEVTSEL_UMASK_SHIFT 8
#define PERFEVTSEL_UMASK_MASK  0x000000000000FF00ull  /* 15:8 unit mask */
#define PERFEVTSEL_USR   (1ull << 16)  /* count at CPL 1-3 */
#define PERFEVTSEL_OS    (1ull << 17)  /* count at CPL 0 */
#define PERFEVTSEL_EDGE  (1ull << 18)  /* E: count deasserted-to-asserted transitions */
#define PERFEVTSEL_PC    (1ull << 19)  /* pin control (no architectural effect on recent CPUs) */
#define PERFEVTSEL_INT   (1ull << 20)  /* APIC interrupt (PMI) on overflow */
#define PERFEVTSEL_ANY   (1ull << 21)  /* AnyThread: version 3+, until deprecated (v5) */
#define PERFEVTSEL_EN    (1ull << 22)  /* enable the counter */
#define PERFEVTSEL_INV   (1ull << 23)  /* invert the CMASK comparison */
#define PERFEVTSEL_CMASK_SHIFT 24
#define PERFEVTSEL_CMASK_MASK  0x00000000FF000000ull  /* 31:24 counter mask */
#define PERFEVTSEL_RESERVED_HI 0xFFFFFFFF00000000ull  /* 63:32: model-specific (TSX filters) */

static inline unsigned perfevtsel_event(uint64_t v)
{ return (unsigned)((v & PERFEVTSEL_EVENT_MASK) >> PERFEVTSEL_EVENT_SHIFT); }
static inline unsigned perfevtsel_umask(uint64_t v)
{ return (unsigned)((v & PERFEVTSEL_UMASK_MASK) >> PERFEVTSEL_UMASK_SHIFT); }
static inline unsigned perfevtsel_cmask(uint64_t v)
{ return (unsigned)((v & PERFEVTSEL_CMASK_MASK) >> PERFEVTSEL_CMASK_SHIFT); }
static inline uint64_t perfevtsel_make(unsigned event, unsigned umask, uint64_t flags)
{
    return ((uint64_t)event << PERFEVTSEL_EVENT_SHIFT & PERFEVTSEL_EVENT_MASK) |
           ((uint64_t)umask << PERFEVTSEL_UMASK_SHIFT & PERFEVTSEL_UMASK_MASK) | flags;
}

/* ---- IA32_FIXED_CTR_CTRL: 4 bits per fixed counter (Vol. 3B 20.2.2, 20.2.3) ---- */

#define FIXED_CTRL_OS    0x1u   /* EN bit 0: count at CPL 0 */
#define FIXED_CTRL_USR   0x2u   /* EN bit 1: count at CPL > 0 */
#define FIXED_CTRL_ANY   0x4u   /* AnyThread (version 3+, until deprecated) */
#define FIXED_CTRL_PMI   0x8u   /* PMI on overflow */
#define FIXED_CTRL_BITS  4

static inline unsigned fixed_ctrl_field(uint64_t v, unsigned i)
{ return (unsigned)(v >> (FIXED_CTRL_BITS * i)) & 0xFu; }
static inline uint64_t fixed_ctrl_with(uint64_t v, unsigned i, unsigned field)
{
    unsigned s = FIXED_CTRL_BITS * i;
    return (v & ~(0xFull << s)) | ((uint64_t)(field & 0xFu) << s);
}

/* ---- IA32_PERF_GLOBAL_CTRL / _STATUS / _OVF_CTRL bit positions (Vol. 3B 20.2.2, 20.2.4) ---- */

#define PERF_GLOBAL_PMC(i)      (1ull << (i))         /* GP counter i: enable / overflow / clear */
#define PERF_GLOBAL_FIXED(i)    (1ull << (32 + (i)))  /* fixed counter i */
#define PERF_GLOBAL_TRACE_TOPA  (1ull << 55)  /* status v4: Intel PT ToPA PMI */
#define PERF_GLOBAL_LBR_FRZ     (1ull << 58)  /* status v4: LBRs frozen */
#define PERF_GLOBAL_CTR_FRZ     (1ull << 59)  /* status v4: counters frozen */
#define PERF_GLOBAL_ASCI        (1ull << 60)  /* status v4: SGX enclave contributions */
#define PERF_GLOBAL_OVF_UNCORE  (1ull << 61)  /* status v3: uncore counter overflow */
#define PERF_GLOBAL_OVF_BUF     (1ull << 62)  /* status: DS buffer overflow */
#define PERF_GLOBAL_COND_CHGD   (1ull << 63)  /* status: PMU state changed */

/* ---- IA32_PERF_CAPABILITIES (Vol. 4 Table 2-2) ---- */
#define PERF_CAP_FW_WRITE       (1ull << 13)  /* IA32_A_PMCx exist: full-width counter writes */

/* ---- the LVT performance-counter register (Vol. 3A 11.5.1): where a PMI goes ----
 * Its address is the local APIC's, defined with the others in hv/vlapic.h: APIC_LVT_PMC (offset
 * 340H in the xAPIC page) and X2APIC_MSR(APIC_LVT_PMC) (MSR 834H, Table 11-6). */
#define LVT_VECTOR_MASK         0xFFu
#define LVT_DELIVERY_SHIFT      8
#define LVT_DELIVERY_MASK       (7u << 8)
#define LVT_DELIVERY_FIXED      (0u << 8)
#define LVT_DELIVERY_NMI        (4u << 8)
#define LVT_MASKED              (1u << 16)  /* set at reset; some CPUs set it on PMI delivery */

/* ---- architectural events (Vol. 3B Table 20-1), indexed by their CPUID.0AH:EBX bit ---- */

#define PMU_ARCH_EVENTS 7
struct pmu_arch_event {
    uint8_t event, umask;
    int8_t fixed;               /* the fixed counter that counts it, or -1 */
    const char *name;
};
/* Bit i of CPUID.0AH:EBX and index i here name the same event: 0 UnHalted Core Cycles,
 * 1 Instructions Retired, 2 UnHalted Reference Cycles, 3 LLC Reference, 4 LLC Misses,
 * 5 Branch Instruction Retired, 6 Branch Misses Retired (enum cap_event uses this order).
 * On GP counters 3CH/01H counts at the bus clock on some processors; the fixed counter 2 counts
 * at the TSC rate (Table 20-2). */
static const struct pmu_arch_event pmu_arch_events[PMU_ARCH_EVENTS] = {
    { 0x3C, 0x00, 1, "UnHalted Core Cycles" },
    { 0xC0, 0x00, 0, "Instructions Retired" },
    { 0x3C, 0x01, 2, "UnHalted Reference Cycles" },
    { 0x2E, 0x4F, -1, "LLC Reference" },
    { 0x2E, 0x41, -1, "LLC Misses" },
    { 0xC4, 0x00, -1, "Branch Instruction Retired" },
    { 0xC5, 0x00, -1, "Branch Misses Retired" },
};

/* ---- what CPUID (and IA32_PERF_CAPABILITIES) enumerate ---- */

struct pmu_caps {
    unsigned version;             /* CPUID.0AH:EAX[7:0] */
    unsigned ngp;                 /* GP counters, EAX[15:8], at most PMU_MAX_GP used */
    unsigned gp_width;            /* EAX[23:16] */
    unsigned ebx_len;             /* EAX[31:24]: EBX bits at or above it are not valid */
    uint32_t unavailable_events;  /* EBX: bit i set = architectural event i not available */
    unsigned nfixed;              /* EDX[4:0] (0 unless version > 1) */
    unsigned fixed_width;         /* EDX[12:5] */
    uint32_t fixed_bitmap;        /* ECX (version 5): fixed counter i supported */
    int any_deprecated;           /* EDX[15] (version 5) */
    int pdcm;                     /* CPUID.01H:ECX[15]: IA32_PERF_CAPABILITIES exists */
    int full_width_writes;        /* IA32_PERF_CAPABILITIES[13]: IA32_A_PMCx exist */
};

static inline uint64_t pmu_width_mask(unsigned width)
{
    return width >= 64 ? ~0ull : (1ull << width) - 1;
}

/* Fills c from the CPUID answers; full_width_writes stays 0 (it is read from an MSR). */
static inline void pmu_caps_decode(struct pmu_caps *c, uint32_t leaf1_ecx, const uint32_t a[4])
{
    c->version = CPUID_0A_EAX_VERSION(a[0]);
    c->ngp = CPUID_0A_EAX_NGP(a[0]);
    if (c->ngp > PMU_MAX_GP)
        c->ngp = PMU_MAX_GP;
    c->gp_width = CPUID_0A_EAX_GP_WIDTH(a[0]);
    c->ebx_len = CPUID_0A_EAX_EBX_LEN(a[0]);
    c->unavailable_events = a[1];
    /* EDX is defined only "if Version ID > 1", ECX only from version 5 (Vol. 2A) */
    c->nfixed = c->version > 1 ? CPUID_0A_EDX_NFIXED(a[3]) : 0;
    c->fixed_width = c->version > 1 ? CPUID_0A_EDX_FIXED_WIDTH(a[3]) : 0;
    c->any_deprecated = c->version > 1 && (a[3] & CPUID_0A_EDX_ANY_DEPRECATED);
    c->fixed_bitmap = c->version >= 5 ? a[2] : 0;
    c->pdcm = !!(leaf1_ecx & CPUID_01_ECX_PDCM);
    c->full_width_writes = 0;
}

/* Architectural event i can be counted by a GP counter: i < EAX[31:24] and EBX bit i clear. */
static inline int pmu_event_available(const struct pmu_caps *c, unsigned i)
{
    return i < PMU_ARCH_EVENTS && i < c->ebx_len && !((c->unavailable_events >> i) & 1);
}

/* Fixed counter i exists: "FxCtr[i]_is_supported := ECX[i] || (EDX[4:0] > i)" (20.2.5). */
static inline int pmu_fixed_exists(const struct pmu_caps *c, unsigned i)
{
    if (c->version < 2 || i >= PMU_MAX_FIXED)
        return 0;
    return i < c->nfixed || ((c->fixed_bitmap >> i) & 1);
}

/* AnyThread bits (PERFEVTSEL bit 21, FIXED_CTR_CTRL bit 4i+2): version 3 on, unless v5 EDX[15]. */
static inline int pmu_anythread(const struct pmu_caps *c)
{
    return c->version >= 3 && !c->any_deprecated;
}

/* The counter bits of GLOBAL_CTRL/STATUS/OVF_CTRL: GP counters 0..ngp-1, then the fixed ones. */
static inline uint64_t pmu_global_counter_bits(const struct pmu_caps *c)
{
    uint64_t v = c->ngp ? pmu_width_mask(c->ngp) : 0;
    for (unsigned i = 0; i < PMU_MAX_FIXED; i++)
        if (pmu_fixed_exists(c, i))
            v |= PERF_GLOBAL_FIXED(i);
    return v;
}

/* The bits IA32_PERF_GLOBAL_STATUS defines (and OVF_CTRL / STATUS_RESET clear), per version
 * (Vol. 4 Table 2-2: OvfBuf and CondChgd "> 0", Ovf_Uncore "> 2", the v4 indicators "> 3"). */
static inline uint64_t pmu_global_status_bits(const struct pmu_caps *c)
{
    uint64_t v = pmu_global_counter_bits(c) | PERF_GLOBAL_OVF_BUF | PERF_GLOBAL_COND_CHGD;
    if (c->version >= 3)
        v |= PERF_GLOBAL_OVF_UNCORE;
    if (c->version >= 4)
        v |= PERF_GLOBAL_TRACE_TOPA | PERF_GLOBAL_LBR_FRZ | PERF_GLOBAL_CTR_FRZ | PERF_GLOBAL_ASCI;
    return v;
}

/* ---- the table ---- */

enum pmu_msr_kind {
    PMU_MSR_PERFEVTSEL,
    PMU_MSR_PMC,
    PMU_MSR_A_PMC,
    PMU_MSR_FIXED_CTR,
    PMU_MSR_FIXED_CTR_CTRL,
    PMU_MSR_GLOBAL_STATUS,
    PMU_MSR_GLOBAL_CTRL,
    PMU_MSR_GLOBAL_OVF_CTRL,
    PMU_MSR_GLOBAL_STATUS_SET,
    PMU_MSR_PERF_CAPABILITIES,
    PMU_MSR_KINDS
};

enum pmu_access {
    PMU_RW,     /* read and write; reserved bits #GP */
    PMU_RO,     /* a write raises #GP */
    PMU_W1C,    /* writing 1 clears the matching IA32_PERF_GLOBAL_STATUS bit; reads 0 */
    PMU_W1S,    /* writing 1 sets the matching IA32_PERF_GLOBAL_STATUS bit; reads 0 */
};

enum pmu_index { PMU_IDX_NONE, PMU_IDX_GP, PMU_IDX_FIXED };

#define PMU_NEEDS_PDCM      1u   /* CPUID.01H:ECX[15] */
#define PMU_NEEDS_FW_WRITE  2u   /* IA32_PERF_CAPABILITIES[13] */

struct pmu_msr_desc {
    uint32_t base;              /* the MSR, or that of instance 0 */
    uint8_t slots;              /* consecutive addresses the architecture gives it */
    uint8_t index;              /* enum pmu_index: what instance x must exist for */
    uint8_t access;             /* enum pmu_access */
    uint8_t min_version;        /* CPUID.0AH:EAX[7:0] at least this */
    uint8_t needs;              /* PMU_NEEDS_* */
    const char *name;
    const char *enumerated_by;  /* the SDM's condition (Vol. 4 Table 2-2) */
};

static const struct pmu_msr_desc pmu_msrs[PMU_MSR_KINDS] = {
    [PMU_MSR_PERFEVTSEL] = { MSR_IA32_PERFEVTSEL0, PMU_MAX_GP, PMU_IDX_GP, PMU_RW, 1, 0,
        "IA32_PERFEVTSELx", "x < CPUID.0AH:EAX[15:8]" },
    [PMU_MSR_PMC] = { MSR_IA32_PMC0, PMU_MAX_GP, PMU_IDX_GP, PMU_RW, 1, 0,
        "IA32_PMCx", "x < CPUID.0AH:EAX[15:8]; a write sign-extends EAX[31:0] (20.2.6)" },
    [PMU_MSR_A_PMC] = { MSR_IA32_A_PMC0, PMU_MAX_GP, PMU_IDX_GP, PMU_RW, 1, PMU_NEEDS_FW_WRITE,
        "IA32_A_PMCx", "x < CPUID.0AH:EAX[15:8] and IA32_PERF_CAPABILITIES[13] (20.2.6)" },
    [PMU_MSR_FIXED_CTR] = { MSR_IA32_FIXED_CTR0, PMU_MAX_FIXED, PMU_IDX_FIXED, PMU_RW, 2, 0,
        "IA32_FIXED_CTRx", "version > 1 and (x < CPUID.0AH:EDX[4:0] or CPUID.0AH:ECX[x])" },
    [PMU_MSR_FIXED_CTR_CTRL] = { MSR_IA32_FIXED_CTR_CTRL, 1, PMU_IDX_NONE, PMU_RW, 2, 0,
        "IA32_FIXED_CTR_CTRL", "CPUID.0AH:EAX[7:0] > 1" },
    [PMU_MSR_GLOBAL_STATUS] = { MSR_IA32_PERF_GLOBAL_STATUS, 1, PMU_IDX_NONE, PMU_RO, 2, 0,
        "IA32_PERF_GLOBAL_STATUS", "CPUID.0AH:EAX[7:0] > 1 (20.2.2)" },
    [PMU_MSR_GLOBAL_CTRL] = { MSR_IA32_PERF_GLOBAL_CTRL, 1, PMU_IDX_NONE, PMU_RW, 2, 0,
        "IA32_PERF_GLOBAL_CTRL", "CPUID.0AH:EAX[7:0] > 1 (20.2.2)" },
    [PMU_MSR_GLOBAL_OVF_CTRL] = { MSR_IA32_PERF_GLOBAL_OVF_CTRL, 1, PMU_IDX_NONE, PMU_W1C, 2, 0,
        "IA32_PERF_GLOBAL_OVF_CTRL", "CPUID.0AH:EAX[7:0] > 1; STATUS_RESET from version 4" },
    [PMU_MSR_GLOBAL_STATUS_SET] = { MSR_IA32_PERF_GLOBAL_STATUS_SET, 1, PMU_IDX_NONE, PMU_W1S,
        4, 0, "IA32_PERF_GLOBAL_STATUS_SET", "CPUID.0AH:EAX[7:0] > 3 (20.2.4)" },
    [PMU_MSR_PERF_CAPABILITIES] = { MSR_IA32_PERF_CAPABILITIES, 1, PMU_IDX_NONE, PMU_RO, 0,
        PMU_NEEDS_PDCM, "IA32_PERF_CAPABILITIES", "CPUID.01H:ECX[15] (PDCM)" },
};

/* Which table entry and instance an address is; 0 if it is no architectural PMU MSR. */
static inline int pmu_msr_lookup(uint32_t msr, enum pmu_msr_kind *kind, unsigned *idx)
{
    for (unsigned k = 0; k < PMU_MSR_KINDS; k++)
        if (msr >= pmu_msrs[k].base && msr - pmu_msrs[k].base < pmu_msrs[k].slots) {
            *kind = (enum pmu_msr_kind)k;
            *idx = msr - pmu_msrs[k].base;
            return 1;
        }
    return 0;
}

/* Does this CPU have instance idx of that MSR?  Accessing one it does not have raises #GP. */
static inline int pmu_msr_exists(const struct pmu_caps *c, enum pmu_msr_kind k, unsigned idx)
{
    const struct pmu_msr_desc *d = &pmu_msrs[k];
    if (idx >= d->slots || c->version < d->min_version)
        return 0;
    if ((d->needs & PMU_NEEDS_PDCM) && !c->pdcm)
        return 0;
    if ((d->needs & PMU_NEEDS_FW_WRITE) && !c->full_width_writes)
        return 0;
    switch (d->index) {
    case PMU_IDX_GP:    return idx < c->ngp;
    case PMU_IDX_FIXED: return pmu_fixed_exists(c, idx);
    default:            return 1;
    }
}

/* The bits a WRMSR must leave clear (else #GP).  PMU_RO registers reject every write; the
 * legacy IA32_PMCx has none: it takes EAX[31:0], sign-extends it and ignores EDX (20.2.6). */
static inline uint64_t pmu_msr_reserved(const struct pmu_caps *c, enum pmu_msr_kind k)
{
    uint64_t ok = 0;
    switch (k) {
    case PMU_MSR_PERFEVTSEL:
        return PERFEVTSEL_RESERVED_HI | (pmu_anythread(c) ? 0 : PERFEVTSEL_ANY);
    case PMU_MSR_PMC:
        return 0;
    case PMU_MSR_A_PMC:
        return ~pmu_width_mask(c->gp_width);
    case PMU_MSR_FIXED_CTR:
        return ~pmu_width_mask(c->fixed_width);   /* "must be written as zeros" (20.2.2) */
    case PMU_MSR_FIXED_CTR_CTRL:
        for (unsigned i = 0; i < PMU_MAX_FIXED; i++)
            if (pmu_fixed_exists(c, i))
                ok = fixed_ctrl_with(ok, i, FIXED_CTRL_OS | FIXED_CTRL_USR | FIXED_CTRL_PMI |
                                                (pmu_anythread(c) ? FIXED_CTRL_ANY : 0));
        return ~ok;
    case PMU_MSR_GLOBAL_CTRL:
        return ~pmu_global_counter_bits(c);
    case PMU_MSR_GLOBAL_OVF_CTRL:
        return ~pmu_global_status_bits(c);
    case PMU_MSR_GLOBAL_STATUS_SET:   /* CondChgd and ASCI are the CPU's to set */
        return ~(pmu_global_status_bits(c) & ~(PERF_GLOBAL_COND_CHGD | PERF_GLOBAL_ASCI));
    default:
        return ~0ull;
    }
}

/* IA32_PERF_GLOBAL_CTRL after RESET: the GP counters' enable bits set, the fixed ones clear
 * (Vol. 4 Table 2-2; KVM emulates the same since 2024: "Set enable bits for GP counters in
 * PERF_GLOBAL_CTRL at RESET"). */
static inline uint64_t pmu_global_ctrl_reset(const struct pmu_caps *c)
{
    return c->ngp ? pmu_width_mask(c->ngp) : 0;
}

/* WRMSR to IA32_PMCx: "the value written ... is the signed extended 64-bit value of the
 * EAX[31:0] input" (20.2.6), then the counter keeps its low `width` bits. */
static inline uint64_t pmu_pmc_legacy_write_value(uint64_t v, unsigned width)
{
    return (uint64_t)(int64_t)(int32_t)(uint32_t)v & pmu_width_mask(width);
}

#endif
