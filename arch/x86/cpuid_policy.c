/* CPUID filtering (leaf layouts: SDM Vol. 2A, CPUID instruction reference).  Pure: the host
 * tests run it on recorded answers. */
#include "arch/x86/cpuid_policy.h"

/* Leaf 1 EAX: the processor signature every guest sees (SDM Vol. 2A Figure 3-6): family 6,
 * extended model 5, model 0, stepping 0, i.e. DisplayModel 50H, which Linux 6.1 has no entry
 * for.  Linux's perf keys its model-specific PMU tables on it (arch/x86/events/intel/core.c:
 * cache events, PEBS, LBR, offcore, Topdown; the uncore and RAPL drivers too): for a model it
 * does not know it uses only what CPUID 0AH enumerates ("generic architected perfmon"), which
 * is what the virtual PMU implements.  The host's model (Skylake-X under Bochs) would make
 * cache events count nothing on GP counters instead of being "not supported".  Family 6 (not
 * 0FH: NetBurst paths) and a model above 0DH (Linux's PAT errata of early family 6 parts). */
#define L1A_SIGNATURE 0x00050600u

/* Leaf 1 ECX */
#define L1C_MONITOR   (1u << 3)    /* MONITOR/MWAIT: we make them #UD */
#define L1C_DS_CPL    (1u << 4)    /* CPL-qualified debug store */
#define L1C_VMX       (1u << 5)    /* no nested virtualization */
#define L1C_SMX       (1u << 6)
#define L1C_EIST      (1u << 7)    /* SpeedStep: MSRs not offered */
#define L1C_TM2       (1u << 8)
#define L1C_SDBG      (1u << 11)   /* IA32_DEBUG_INTERFACE */
#define L1C_PDCM      (1u << 15)   /* IA32_PERF_CAPABILITIES: set by the vPMU (exit_cpuid.c) */
#define L1C_X2APIC    (1u << 21)   /* set again for the virtual LAPIC (exit_cpuid.c) */
#define L1C_TSC_DEADLINE (1u << 24) /* set again for the virtual LAPIC's timer (exit_cpuid.c) */
#define L1C_XSAVE     (1u << 26)   /* XSAVE state is not switched between domains */
#define L1C_OSXSAVE   (1u << 27)
#define L1C_AVX       (1u << 28)
#define L1C_HYPERVISOR (1u << 31)  /* "running under a hypervisor" */
/* Leaf 1 EDX */
#define L1D_MCE       (1u << 7)
#define L1D_APIC      (1u << 9)    /* set again for the virtual LAPIC (exit_cpuid.c) */
#define L1D_MTRR      (1u << 12)   /* MTRR MSRs not offered */
#define L1D_MCA       (1u << 14)
#define L1D_DS        (1u << 21)   /* debug store */
#define L1D_ACPI      (1u << 22)   /* thermal MSRs */
#define L1D_TM        (1u << 29)
#define L1D_PBE       (1u << 31)
/* Leaf 7 subleaf 0 EBX: the features that need no MSR or state of their own */
#define L7B_KEEP  ((1u << 0) /* FSGSBASE */ | (1u << 3) /* BMI1 */ | (1u << 7) /* SMEP */ | \
                   (1u << 8) /* BMI2 */ | (1u << 9) /* ERMS */ | (1u << 10) /* INVPCID */ | \
                   (1u << 18) /* RDSEED */ | (1u << 19) /* ADX */ | (1u << 20) /* SMAP */ | \
                   (1u << 23) /* CLFLUSHOPT */ | (1u << 24) /* CLWB */ | (1u << 29) /* SHA */)

void cpuid_policy(uint32_t leaf, uint32_t subleaf, uint32_t apic_id, struct cpuid_regs *r)
{
    (void)subleaf;
    switch (leaf) {
    case 1:
        r->eax = L1A_SIGNATURE;
        r->ecx &= ~(L1C_MONITOR | L1C_DS_CPL | L1C_VMX | L1C_SMX | L1C_EIST | L1C_TM2 | L1C_SDBG |
                    L1C_PDCM | L1C_X2APIC | L1C_TSC_DEADLINE | L1C_XSAVE | L1C_OSXSAVE | L1C_AVX);
        r->ecx |= L1C_HYPERVISOR;
        r->edx &= ~(L1D_MCE | L1D_APIC | L1D_MTRR | L1D_MCA | L1D_DS | L1D_ACPI | L1D_TM | L1D_PBE);
        /* EBX[31:24] initial APIC ID; EBX[23:16] logical processors per package: 1 */
        r->ebx = (r->ebx & 0x0000FFFFu) | (apic_id << 24) | (1u << 16);
        break;
    case 4:                                  /* cache topology: one core, one thread */
        r->eax &= 0x00003FFFu;
        break;
    case 5:                                  /* MONITOR/MWAIT */
    case 6:                                  /* thermal and power management */
    case 0xA:                                /* architectural PMU: the vPMU answers (exit_cpuid.c) */
    case 0xB:                                /* x2APIC topology */
    case 0xD:                                /* XSAVE state components */
    case 0xF:                                /* resource monitoring */
    case 0x10:                               /* resource allocation */
    case 0x12:                               /* SGX */
    case 0x14:                               /* processor trace */
    case 0x1F:                               /* V2 extended topology */
        r->eax = r->ebx = r->ecx = r->edx = 0;
        break;
    case 0x15:
        /* TSC/crystal ratio EBX/EAX, crystal Hz ECX.  The virtual APIC timer counts the TSC,
         * so its "crystal" is the TSC itself: ratio 1/1, ECX the TSC's Hz (host crystal x
         * ratio) or 0 where the host does not say.  The TSC frequency a guest computes is the
         * host's either way, and one derived from it for the APIC timer (Linux does) agrees. */
        if (r->eax && r->ebx) {
            r->ecx = (uint32_t)((uint64_t)r->ecx * r->ebx / r->eax);
            r->eax = r->ebx = 1;
        } else {
            r->eax = r->ebx = r->ecx = r->edx = 0;
        }
        break;
    case 0x16:
        /* base and maximum MHz stay; the bus (reference) frequency, ECX, is not the APIC
         * timer's clock here: 0, "not enumerated" */
        r->ecx = 0;
        break;
    case 7:
        if (subleaf == 0) {
            r->ebx &= L7B_KEEP;
            r->ecx = 0;
            r->edx = 0;
        } else {
            r->eax = r->ebx = r->ecx = r->edx = 0;
        }
        break;
    case CPUID_HV_LEAF_BASE:
        r->eax = CPUID_HV_LEAF_MAX;
        __builtin_memcpy(&r->ebx, "perf", 4);  /* "perfvisor\0\0\0" in EBX, ECX, EDX */
        __builtin_memcpy(&r->ecx, "viso", 4);
        __builtin_memcpy(&r->edx, "r\0\0\0", 4);
        break;
    default:
        if (leaf > CPUID_HV_LEAF_BASE && leaf < 0x80000000u)
            r->eax = r->ebx = r->ecx = r->edx = 0;
        break;
    }
}

/* Each CR4 bit and the CPUID feature flag that makes it settable (SDM Vol. 3A 2.5 "Control
 * Registers", Figure 2-7; Vol. 2A CPUID): without the feature, setting the bit is #GP
 * on hardware, so a guest told the feature is absent must get #GP too, and the bit must be the
 * hypervisor's (guest/host mask), never left to the CPU, which has the feature. */
static const struct {
    uint8_t cr4_bit;
    uint8_t leaf;      /* 1 or 7 (subleaf 0) */
    uint8_t reg;       /* 'b', 'c' or 'd' */
    uint8_t bit;
} cr4_features[] = {
    { 0, 1, 'd', 1 },   /* VME: virtual-8086 mode extensions (VME) */
    { 1, 1, 'd', 1 },   /* PVI: protected-mode virtual interrupts (VME) */
    { 2, 1, 'd', 4 },   /* TSD: time stamp disable (TSC) */
    { 3, 1, 'd', 2 },   /* DE: debugging extensions (DE) */
    { 4, 1, 'd', 3 },   /* PSE: page size extensions (PSE) */
    { 5, 1, 'd', 6 },   /* PAE (PAE) */
    { 7, 1, 'd', 13 },  /* PGE: global pages (PGE) */
    { 9, 1, 'd', 24 },  /* OSFXSR (FXSR) */
    { 10, 1, 'd', 25 }, /* OSXMMEXCPT (SSE) */
    { 11, 7, 'c', 2 },  /* UMIP */
    { 12, 7, 'c', 16 }, /* LA57: 5-level paging */
    { 13, 1, 'c', 5 },  /* VMXE (VMX) */
    { 14, 1, 'c', 6 },  /* SMXE (SMX) */
    { 16, 7, 'b', 0 },  /* FSGSBASE */
    { 17, 1, 'c', 17 }, /* PCIDE (PCID) */
    { 18, 1, 'c', 26 }, /* OSXSAVE (XSAVE) */
    { 19, 7, 'c', 23 }, /* KL: Key Locker */
    { 20, 7, 'b', 7 },  /* SMEP */
    { 21, 7, 'b', 20 }, /* SMAP */
    { 22, 7, 'c', 3 },  /* PKE: protection keys for user pages (PKU) */
    { 23, 7, 'c', 7 },  /* CET: control-flow enforcement (CET_SS) */
    { 24, 7, 'c', 31 }, /* PKS: protection keys for supervisor pages */
    { 25, 7, 'd', 5 },  /* UINTR: user interrupts */
};

static uint32_t reg_of(const struct cpuid_regs *r, uint8_t reg)
{
    return reg == 'b' ? r->ebx : reg == 'c' ? r->ecx : r->edx;
}

uint64_t cpuid_cr4_guest_reserved(const struct cpuid_regs *leaf1, const struct cpuid_regs *leaf7)
{
    /* PCE (bit 8) needs no feature flag; MCE (bit 6) stays settable although leaf 1 hides
     * MCE, as under KVM: no exception is intercepted, a guest's #MC setting is its own */
    uint64_t settable = CR4_PCE_BIT | CR4_MCE_BIT;
    for (unsigned i = 0; i < sizeof(cr4_features) / sizeof(cr4_features[0]); i++) {
        const struct cpuid_regs *r = cr4_features[i].leaf == 1 ? leaf1 : leaf7;
        if (reg_of(r, cr4_features[i].reg) & (1u << cr4_features[i].bit))
            settable |= 1ull << cr4_features[i].cr4_bit;
    }
    return ~settable;                  /* the rest: reserved, or a feature the guest lacks */
}
