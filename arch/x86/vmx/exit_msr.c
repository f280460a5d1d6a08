/* RDMSR and WRMSR exits. */
#include "arch/x86/vmx/msr_policy.h"
#include "arch/x86/cpu.h"
#include "arch/x86/msr.h"
#include "arch/x86/vmx/exits.h"
#include "arch/x86/vmx/exit_vpmu.h"
#include "arch/x86/vmx/vmcs.h"
#include "arch/x86/vmx/vmx_vcpu.h"
#include "hv/domain.h"
#include "hv/printf.h"
#include "hv/string.h"
#include "hv/vlapic.h"
#include "pmu/vpmu/pmu_msr.h"

/* IA32_MISC_ENABLE (SDM Vol. 4 Table 2-2, architectural bits).  Writable, with no effect a
 * guest could see: fast strings (0; REP MOVS/STOS run natively either way), automatic thermal
 * control (3; no thermal sensors here), xTPR message disable (23; no xTPR messages).  Writable
 * with its effect: limit CPUID maxval (22; exit_cpuid.c).  Read-only: performance monitoring
 * available (7; set unless vpmu=off), BTS unavailable (11) and PEBS unavailable (12), both set;
 * a write may give them any value (ignored).  Reserved here, #GP if set: EIST (16) and
 * MONITOR FSM (18), whose CPUID features are hidden, XD bit disable (34, not modelled), and
 * every bit the table does not list. */
#define MISC_ENABLE_RESET        MISC_ENABLE_FAST_STRINGS   /* the writable bits at RESET */
#define MISC_ENABLE_WRITABLE     (MISC_ENABLE_FAST_STRINGS | (1ull << 3) | \
                                  MISC_ENABLE_LIMIT_CPUID | (1ull << 23))
#define MISC_ENABLE_PERFMON      (1ull << 7)
#define MISC_ENABLE_READ_ONLY    (MISC_ENABLE_PERFMON | (1ull << 11) | (1ull << 12))
#define MCG_CAP_NO_BANKS         0ull    /* IA32_MCG_CAP (SDM Vol. 3B 16.3.1.1): Count = 0 */
#define EFER_WRITABLE      (EFER_SCE | EFER_LME | EFER_NXE)

static int efer_read(struct vcpu *v, uint64_t *value)
{
    (void)v;
    *value = vmcs_read64(VMCS_GUEST_IA32_EFER);
    return 0;
}

/* IA32_EFER (SDM Vol. 4 Table 2-2): LMA follows LME and CR0.PG; changing LME while paging is
 * on is a #GP (SDM Vol. 3A 10.8.5). */
static int efer_write(struct vcpu *v, uint64_t value)
{
    (void)v;
    uint64_t old = vmcs_read64(VMCS_GUEST_IA32_EFER);
    uint64_t cr0 = vmcs_readnat(VMCS_GUEST_CR0);
    if (value & ~(EFER_WRITABLE | EFER_LMA))
        return -1;
    if ((cr0 & CR0_PG) && ((value ^ old) & EFER_LME))
        return -1;
    value = (value & EFER_WRITABLE) | (old & EFER_LMA);
    vmcs_write64(VMCS_GUEST_IA32_EFER, value);
    vmx_guest_paging_changed();
    return 0;
}

static int misc_enable_read(struct vcpu *v, uint64_t *value)
{
    *value = (MISC_ENABLE_RESET ^ v->misc_enable_flip) | (1ull << 11) | (1ull << 12) |
             (v->dom->vpmu_enabled ? MISC_ENABLE_PERFMON : 0);
    return 0;
}

static int misc_enable_write(struct vcpu *v, uint64_t value)
{
    if (value & ~(MISC_ENABLE_WRITABLE | MISC_ENABLE_READ_ONLY))
        return -1;
    v->misc_enable_flip = (value & MISC_ENABLE_WRITABLE) ^ MISC_ENABLE_RESET;
    return 0;
}

/* Machine-check architecture: CPUID.1 hides MCA, yet kernels written for QEMU read IA32_MCG_CAP
 * unconditionally; no banks, no MCG_CTL (SDM Vol. 3B 16.3.1.1).  Read-only: writes #GP. */
static int mcg_cap_read(struct vcpu *v, uint64_t *value)
{
    (void)v;
    *value = MCG_CAP_NO_BANKS;
    return 0;
}

static int read_only(struct vcpu *v, uint64_t value)
{
    (void)v;
    (void)value;
    return -1;
}

/* IA32_TSC_DEADLINE (SDM Vol. 3A 11.5.4.1): the virtual APIC timer's TSC-deadline mode
 * (hv/vlapic_timer.c); reads 0 and ignores writes in the other timer modes, never #GP. */
static int tsc_deadline_read(struct vcpu *v, uint64_t *value)
{
    *value = vlapic_tsc_deadline_read(&v->vlapic, ((struct vmx_vcpu *)v->arch)->regs.exit_tsc);
    return 0;
}

static int tsc_deadline_write(struct vcpu *v, uint64_t value)
{
    vlapic_tsc_deadline_write(&v->vlapic, value, ((struct vmx_vcpu *)v->arch)->regs.exit_tsc);
    v->events_pending = 1;             /* a deadline in the past fires at once */
    return 0;
}

static const struct msr_rule rules[] = {
    { MSR_IA32_TSC, MSR_PASS_READ, "IA32_TSC", NULL, NULL },   /* writes ignored: one TSC */
    { 0x08B, MSR_EMULATE, "IA32_BIOS_SIGN_ID", NULL, NULL },    /* microcode revision: 0 */
    { MSR_IA32_SYSENTER_CS, MSR_PASS, "IA32_SYSENTER_CS", NULL, NULL },   /* in the VMCS */
    { MSR_IA32_SYSENTER_ESP, MSR_PASS, "IA32_SYSENTER_ESP", NULL, NULL },
    { MSR_IA32_SYSENTER_EIP, MSR_PASS, "IA32_SYSENTER_EIP", NULL, NULL },
    { MSR_IA32_MCG_CAP, MSR_EMULATE, "IA32_MCG_CAP", mcg_cap_read, read_only },
    { MSR_IA32_MISC_ENABLE, MSR_EMULATE, "IA32_MISC_ENABLE", misc_enable_read, misc_enable_write },
    { MSR_IA32_DEBUGCTL, MSR_EMULATE, "IA32_DEBUGCTL", debugctl_read, debugctl_write },
    { MSR_IA32_PAT, MSR_PASS, "IA32_PAT", NULL, NULL },         /* saved/loaded by VMX */
    { MSR_IA32_TSC_DEADLINE, MSR_EMULATE, "IA32_TSC_DEADLINE", tsc_deadline_read,
      tsc_deadline_write },                                     /* CPUID.1:ECX[24] */
    { MSR_IA32_EFER, MSR_EMULATE, "IA32_EFER", efer_read, efer_write },
    { MSR_IA32_STAR, MSR_PASS, "IA32_STAR", NULL, NULL },       /* swapped per vCPU */
    { MSR_IA32_LSTAR, MSR_PASS, "IA32_LSTAR", NULL, NULL },
    { MSR_IA32_CSTAR, MSR_PASS, "IA32_CSTAR", NULL, NULL },
    { MSR_IA32_FMASK, MSR_PASS, "IA32_FMASK", NULL, NULL },
    { MSR_IA32_FS_BASE, MSR_PASS, "IA32_FS_BASE", NULL, NULL }, /* in the VMCS */
    { MSR_IA32_GS_BASE, MSR_PASS, "IA32_GS_BASE", NULL, NULL },
    { MSR_IA32_KERNEL_GS_BASE, MSR_PASS, "IA32_KERNEL_GS_BASE", NULL, NULL },
    { MSR_IA32_TSC_AUX, MSR_PASS, "IA32_TSC_AUX", NULL, NULL },
};

const struct msr_rule *msr_rule_find(uint32_t msr)
{
    for (unsigned i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
        if (rules[i].msr == msr)
            return &rules[i];
    return NULL;
}

/* Bitmap layout: read-low (MSRs 0-1FFFH) at 0, read-high (C0000000H-C0001FFFH) at 1024,
 * write-low at 2048, write-high at 3072.  A set bit makes the access exit. */
static void bitmap_set(uint8_t *bitmap, uint32_t msr, int write, int exits)
{
    uint32_t base = write ? 2048 : 0;
    if (msr >= 0xC0000000u) {
        base += 1024;
        msr -= 0xC0000000u;
    }
    if (exits)
        bitmap[base + msr / 8] |= (uint8_t)(1u << (msr % 8));
    else
        bitmap[base + msr / 8] &= (uint8_t)~(1u << (msr % 8));
}

/* One row of the bitmap's policy: `count` consecutive MSRs from `first`. */
struct msr_row {
    uint32_t first, count;
    enum msr_access access;
};

#define MSR_ROWS (sizeof(rules) / sizeof(rules[0]) + PMU_MSR_KINDS + 2)

/* The policy as data: the rules above, the vPMU's rows from pmu_msrs[] (every architectural
 * PMU MSR exits, enumerated or not, so that the absent ones #GP as on hardware), the vLAPIC's
 * x2APIC range and IA32_APIC_BASE (always emulated). */
static unsigned msr_rows(struct msr_row *rows)
{
    unsigned n = 0;
    for (unsigned i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
        rows[n++] = (struct msr_row){ rules[i].msr, 1, rules[i].access };
    for (unsigned k = 0; k < PMU_MSR_KINDS; k++)
        rows[n++] = (struct msr_row){ pmu_msrs[k].base, pmu_msrs[k].slots, MSR_EMULATE };
    rows[n++] = (struct msr_row){ X2APIC_MSR_BASE, X2APIC_MSR_LAST - X2APIC_MSR_BASE + 1,
                                  MSR_EMULATE };
    rows[n++] = (struct msr_row){ MSR_IA32_APIC_BASE, 1, MSR_EMULATE };
    return n;
}

void msr_bitmap_build(uint8_t *bitmap)
{
    struct msr_row rows[MSR_ROWS];
    unsigned n = msr_rows(rows);

    memset(bitmap, 0xFF, 4096);            /* an MSR no row names exits, and #GPs */
    for (unsigned i = 0; i < n; i++)
        for (uint32_t msr = rows[i].first; msr - rows[i].first < rows[i].count; msr++) {
            bitmap_set(bitmap, msr, 0, rows[i].access == MSR_EMULATE);
            bitmap_set(bitmap, msr, 1, rows[i].access != MSR_PASS);
        }
}

/* The frequent MSRs first (a guest's PMI handler writes a counter, the overflow status, the
 * LVTPC and EOI): the vLAPIC's, then the vPMU's; 1: neither, the rules decide. */
static inline int msr_access_apic_pmu(struct vcpu *v, uint32_t msr, int write, uint64_t *value)
{
    int r = apic_msr_access(v, msr, write, value);
    return r > 0 ? vpmu_msr_access(v, msr, write, value) : r;
}

static enum exit_action msr_fault(struct vcpu *v, const char *op, uint32_t msr)
{
    char why[64];
    vcpu_note_msr_fault(v, msr, op[0] == 'W');
    hv_snprintf(why, sizeof(why), "%s of MSR 0x%x", op, msr);
    vmx_inject_exception(v, VECTOR_GP, 1, 0, why);
    return EXIT_RESUME;
}

enum exit_action exit_rdmsr(struct vcpu *v, struct vmx_vcpu *x)
{
    uint32_t msr = (uint32_t)x->regs.rcx;
    const struct msr_rule *r;
    uint64_t value = 0;
    int vr = msr_access_apic_pmu(v, msr, 0, &value);

    if (vr < 0 || (vr > 0 && (!(r = msr_rule_find(msr)) || (r->read && r->read(v, &value)))))
        return msr_fault(v, "RDMSR", msr);
    set32(&x->regs.rax, value);
    set32(&x->regs.rdx, value >> 32);
    vmx_skip_instruction();
    return EXIT_RESUME;
}

enum exit_action exit_wrmsr(struct vcpu *v, struct vmx_vcpu *x)
{
    uint32_t msr = (uint32_t)x->regs.rcx;
    uint64_t value = (x->regs.rdx << 32) | (uint32_t)x->regs.rax;
    const struct msr_rule *r;
    int vr = msr_access_apic_pmu(v, msr, 1, &value);

    if (vr < 0 || (vr > 0 && (!(r = msr_rule_find(msr)) || (r->write && r->write(v, value)))))
        return msr_fault(v, "WRMSR", msr);
    vmx_skip_instruction();
    return EXIT_RESUME;
}
