/* The VM-entry checks of SDM Vol. 3C 26.2 (controls, host state) and 26.3.1 (guest state) as a
 * pure function: no VMX instruction, no MSR access.  The order follows the SDM's, so the first
 * rule reported is the one a processor would report (as a VM-instruction error 7 or 8 for
 * 26.2, an exit with reason 33 "VM-entry failure due to invalid guest state" for 26.3). */
#include "arch/x86/vmx/vmx_entry_check.h"
#include "arch/x86/cpu.h"
#include "arch/x86/msr.h"

/* VMX controls with no rules here (vmx_entry_check.h says why): */
#define PIN_UNMODELLED   (1u << 7)                          /* process posted interrupts */
#define PROC_TPR_SHADOW  (1u << 21)
#define PROC_UNMODELLED  PROC_TPR_SHADOW
#define PROC2_UNMODELLED ((1u << 0) | (1u << 4) | (1u << 8) | (1u << 9) /* APIC virtualisation */ \
                          | (1u << 13) | (1u << 14) | (1u << 17) | (1u << 18) /* VMFUNC, shadow VMCS, PML, #VE */ \
                          | (1u << 19) | (1u << 23) | (1u << 24))           /* PT, SPP */
#define EXIT_UNMODELLED  ((1u << 23) | (1u << 24) | (1u << 25) | (1u << 28) | (1u << 29))
#define ENTRY_TO_SMM     (1u << 10)
#define ENTRY_DEACTIVATE_DUAL_MONITOR (1u << 11)
#define ENTRY_UNMODELLED ((1u << 16) | (1u << 17) | (1u << 18) | (1u << 20) | (1u << 22))

/* IA32_VMX_MISC (Vol. 3D A.6) */
#define MISC_ACTIVITY_HLT        (1ull << 6)
#define MISC_CR3_TARGETS(m)      (((m) >> 16) & 0x1FF)
#define MISC_ZERO_INSN_LEN       (1ull << 30)
/* IA32_VMX_BASIC bit 56: VM entry may deliver hardware exceptions with or without an error
 * code regardless of the vector (A.1) */
#define BASIC_NO_ERRCODE_CHECK   (1ull << 56)
/* IA32_VMX_EPT_VPID_CAP (A.10) */
#define EPT_CAP_WALK_5           (1ull << 7)
#define EPT_CAP_UC               (1ull << 8)
#define EPT_CAP_AD               (1ull << 21)

#define CR4_PCIDE                (1ull << 17)
#define RFLAGS_TF                (1ull << 8)
#define RFLAGS_IF                (1ull << 9)
#define RFLAGS_VM                (1ull << 17)
#define RFLAGS_RESERVED          (~0x3FFFFFull | (1ull << 15) | (1ull << 5) | (1ull << 3))
#define DEBUGCTL_BTF             (1ull << 1)
#define DEBUGCTL_RESERVED        (~0xFFFFull | 0x3Cull)
#define EFER_KNOWN               (EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE)
#define PENDING_DBG_BS           (1ull << 14)
#define PENDING_DBG_RESERVED     (~((0xFull) | (1ull << 12) | (1ull << 14) | (1ull << 16)))
#define INTR_STI                 (1u << 0)
#define INTR_MOV_SS              (1u << 1)
#define INTR_SMI                 (1u << 2)
#define INTR_NMI                 (1u << 3)
enum { ACT_ACTIVE, ACT_HLT, ACT_SHUTDOWN, ACT_WAIT_SIPI };
enum { EV_EXTERNAL = 0, EV_NMI = 2, EV_HW_EXCEPTION = 3, EV_SW_INT = 4, EV_PRIV_SW_EXC = 5,
       EV_SW_EXC = 6, EV_OTHER = 7 };

static const char *const rule_sections[] = {
#define R(id, sec, text) sec,
    VMX_RULES(R)
#undef R
};
static const char *const rule_texts[] = {
#define R(id, sec, text) text,
    VMX_RULES(R)
#undef R
};
static const char *const rule_names[] = {
#define R(id, sec, text) #id,
    VMX_RULES(R)
#undef R
};
static const char *const seg_names[VSEG_COUNT] = { "ES", "CS", "SS", "DS", "FS", "GS", "LDTR", "TR" };

const char *vmx_rule_section(enum vmx_rule r) { return r < VMX_RULE_COUNT ? rule_sections[r] : "?"; }
const char *vmx_rule_text(enum vmx_rule r) { return r < VMX_RULE_COUNT ? rule_texts[r] : "?"; }
const char *vmx_rule_name(enum vmx_rule r) { return r < VMX_RULE_COUNT ? rule_names[r] : "?"; }

/* The checking context: the image, the CPU model, and what the controls imply. */
struct ctx {
    const struct vmcs_image *v;
    const struct vmx_cap_msrs *c;
    uint32_t proc2;                    /* secondary controls as in effect (0 if not activated) */
    int ug, ia32e, v86;
    struct vmx_check_result *out;
};

static enum vmx_rule fail(struct ctx *k, enum vmx_rule r, const char *what)
{
    if (k->out) {
        k->out->rule = r;
        k->out->section = rule_sections[r];
        k->out->text = rule_texts[r];
        k->out->what = what;
    }
    return r;
}

static int canonical(uint64_t a) { return ((int64_t)(a << 16) >> 16) == (int64_t)a; }
static int beyond_phys(const struct ctx *k, uint64_t a) { return k->c->maxphyaddr < 64 && (a >> k->c->maxphyaddr); }
static int ctl_ok(uint32_t v, uint64_t cap) { return (v & (uint32_t)cap) == (uint32_t)cap && !(v & ~(uint32_t)(cap >> 32)); }
static int pat_ok(uint64_t pat)
{
    for (int i = 0; i < 8; i++) {
        unsigned t = (pat >> (8 * i)) & 0xFF;
        if (t == 2 || t == 3 || t > 7)
            return 0;
    }
    return 1;
}
/* An MSR-load/store area: 16-byte aligned, every entry below the physical-address width. */
static int msr_area_ok(const struct ctx *k, uint32_t count, uint64_t addr)
{
    return !count || (!(addr & 0xF) && !beyond_phys(k, addr + (uint64_t)count * 16 - 1));
}

/* 26.2.1: VM-execution, VM-exit and VM-entry control fields */
static enum vmx_rule check_controls(struct ctx *k)
{
    const struct vmcs_image *v = k->v;
    const struct vmx_cap_msrs *c = k->c;
    uint32_t info = v->entry_intr_info, type = (info >> 8) & 7, vec = info & 0xFF;

    if ((v->pin & PIN_UNMODELLED) || (v->proc & PROC_UNMODELLED) || (k->proc2 & PROC2_UNMODELLED) ||
        (v->exit & EXIT_UNMODELLED) || (v->entry & ENTRY_UNMODELLED))
        return fail(k, VMX_RULE_UNMODELLED_CONTROL, "");
    /* 26.2.1.1 */
    if (!ctl_ok(v->pin, c->pin))
        return fail(k, VMX_RULE_PIN_CTLS, "pin-based VM-execution controls");
    if (!ctl_ok(v->proc, c->proc))
        return fail(k, VMX_RULE_PROC_CTLS, "primary processor-based VM-execution controls");
    if ((v->proc & PROC_ACTIVATE_SECONDARY) && !ctl_ok(v->proc2, c->proc2))
        return fail(k, VMX_RULE_PROC2_CTLS, "secondary processor-based VM-execution controls");
    if (v->cr3_target_count > MISC_CR3_TARGETS(c->misc))
        return fail(k, VMX_RULE_CR3_TARGET_COUNT, "CR3-target count");
    if ((v->proc & PROC_USE_IO_BITMAPS) &&
        ((v->io_bitmap_a & 0xFFF) || beyond_phys(k, v->io_bitmap_a) ||
         (v->io_bitmap_b & 0xFFF) || beyond_phys(k, v->io_bitmap_b)))
        return fail(k, VMX_RULE_IO_BITMAP_ADDR, "I/O-bitmap addresses");
    if ((v->proc & PROC_USE_MSR_BITMAPS) && ((v->msr_bitmap & 0xFFF) || beyond_phys(k, v->msr_bitmap)))
        return fail(k, VMX_RULE_MSR_BITMAP_ADDR, "MSR-bitmap address");
    if ((!(v->pin & PIN_NMI_EXITING) && (v->pin & PIN_VIRTUAL_NMIS)) ||
        (!(v->pin & PIN_VIRTUAL_NMIS) && (v->proc & PROC_NMI_WINDOW_EXITING)))
        return fail(k, VMX_RULE_NMI_CONTROLS, "pin-based controls");
    if ((k->proc2 & PROC2_ENABLE_VPID) && v->vpid == 0)
        return fail(k, VMX_RULE_VPID_ZERO, "VPID");
    if (k->proc2 & PROC2_ENABLE_EPT) {
        uint64_t e = v->eptp, mt = e & 7, walk = (e >> 3) & 7;
        if (!((mt == 0 && (c->ept_vpid & EPT_CAP_UC)) || (mt == 6 && (c->ept_vpid & EPT_CAP_WB))) ||
            !((walk == 3 && (c->ept_vpid & EPT_CAP_WALK_4)) || (walk == 4 && (c->ept_vpid & EPT_CAP_WALK_5))) ||
            ((e & (1ull << 6)) && !(c->ept_vpid & EPT_CAP_AD)) || (e & 0xF80) || beyond_phys(k, e))
            return fail(k, VMX_RULE_EPTP, "EPT pointer");
    }
    if ((k->proc2 & PROC2_UNRESTRICTED_GUEST) && !(k->proc2 & PROC2_ENABLE_EPT))
        return fail(k, VMX_RULE_UNRESTRICTED_NO_EPT, "secondary processor-based controls");

    /* 26.2.1.2 */
    if (!ctl_ok(v->exit, c->exit))
        return fail(k, VMX_RULE_EXIT_CTLS, "VM-exit controls");
    if ((v->exit & EXIT_SAVE_PREEMPTION_TIMER) && !(v->pin & PIN_PREEMPTION_TIMER))
        return fail(k, VMX_RULE_SAVE_TIMER_NO_TIMER, "VM-exit controls");
    if (!msr_area_ok(k, v->exit_msr_store_count, v->exit_msr_store_addr))
        return fail(k, VMX_RULE_EXIT_MSR_AREA, "VM-exit MSR-store area");
    if (!msr_area_ok(k, v->exit_msr_load_count, v->exit_msr_load_addr))
        return fail(k, VMX_RULE_EXIT_MSR_AREA, "VM-exit MSR-load area");

    /* 26.2.1.3 */
    if (!ctl_ok(v->entry, c->entry))
        return fail(k, VMX_RULE_ENTRY_CTLS, "VM-entry controls");
    if (info & INTR_INFO_VALID) {
        int has_code = vec == 8 || (vec >= 10 && vec <= 14) || vec == 17 || vec == 21;
        int pe = (v->cr0 & CR0_PE) != 0;
        int want_code;
        if (type == 1 || (type == EV_NMI && vec != 2) || (type == EV_HW_EXCEPTION && vec > 31) ||
            (type == EV_OTHER && (vec != 0 || !((c->proc >> 32) & PROC_MONITOR_TRAP_FLAG))))
            return fail(k, VMX_RULE_ENTRY_INTR_TYPE, "VM-entry interruption-information field");
        if (type != EV_HW_EXCEPTION || (k->ug && !pe))
            want_code = 0;
        else if (c->basic & BASIC_NO_ERRCODE_CHECK)
            want_code = -1;            /* either */
        else
            want_code = has_code;
        if ((info & 0x7FFFF000u) || (want_code >= 0 && !!(info & INTR_INFO_DELIVER_CODE) != want_code) ||
            ((info & INTR_INFO_DELIVER_CODE) && (v->entry_error_code >> 16)))
            return fail(k, VMX_RULE_ENTRY_INTR_ERRCODE, "VM-entry interruption-information field");
        if ((type == EV_SW_INT || type == EV_PRIV_SW_EXC || type == EV_SW_EXC) &&
            (v->entry_insn_len > 15 || (v->entry_insn_len == 0 && !(c->misc & MISC_ZERO_INSN_LEN))))
            return fail(k, VMX_RULE_ENTRY_INSN_LEN, "VM-entry instruction length");
    }
    if (!msr_area_ok(k, v->entry_msr_load_count, v->entry_msr_load_addr))
        return fail(k, VMX_RULE_ENTRY_MSR_AREA, "VM-entry MSR-load area");
    if (v->entry & (ENTRY_TO_SMM | ENTRY_DEACTIVATE_DUAL_MONITOR))
        return fail(k, VMX_RULE_ENTRY_SMM, "VM-entry controls");
    return VMX_RULE_NONE;
}

/* 26.2.2 - 26.2.4: host state */
static enum vmx_rule check_host(struct ctx *k, int in_ia32e)
{
    const struct vmcs_image *v = k->v;
    const struct vmx_cap_msrs *c = k->c;
    int hass = (v->exit & EXIT_HOST_ADDR_SPACE_SIZE) != 0;

    if ((v->host_cr0 & c->cr0_fixed0) != c->cr0_fixed0 || (v->host_cr0 & ~c->cr0_fixed1))
        return fail(k, VMX_RULE_HOST_CR0, "host CR0");
    if ((v->host_cr4 & c->cr4_fixed0) != c->cr4_fixed0 || (v->host_cr4 & ~c->cr4_fixed1))
        return fail(k, VMX_RULE_HOST_CR4, "host CR4");
    if (beyond_phys(k, v->host_cr3))
        return fail(k, VMX_RULE_HOST_CR3, "host CR3");
    if (!canonical(v->host_sysenter_esp) || !canonical(v->host_sysenter_eip))
        return fail(k, VMX_RULE_HOST_SYSENTER, "host IA32_SYSENTER_ESP/EIP");
    if ((v->exit & EXIT_LOAD_PERF_GLOBAL_CTRL) && (v->host_perf_global_ctrl & ~c->perf_global_ctrl_valid))
        return fail(k, VMX_RULE_HOST_PERF_GLOBAL, "host IA32_PERF_GLOBAL_CTRL");
    if ((v->exit & EXIT_LOAD_IA32_PAT) && !pat_ok(v->host_pat))
        return fail(k, VMX_RULE_HOST_PAT, "host IA32_PAT");
    if ((v->exit & EXIT_LOAD_IA32_EFER) &&
        ((v->host_efer & ~EFER_KNOWN) || !!(v->host_efer & EFER_LMA) != hass ||
         !!(v->host_efer & EFER_LME) != hass))
        return fail(k, VMX_RULE_HOST_EFER, "host IA32_EFER");

    for (int i = 0; i < VSEG_COUNT; i++)
        if (i != VSEG_LDTR && (v->host_sel[i] & 7))
            return fail(k, VMX_RULE_HOST_SEL_RPL_TI, seg_names[i]);
    if (!v->host_sel[VSEG_CS] || !v->host_sel[VSEG_TR] || (!hass && !v->host_sel[VSEG_SS]))
        return fail(k, VMX_RULE_HOST_SEL_NULL, !v->host_sel[VSEG_CS] ? "CS" : !v->host_sel[VSEG_TR] ? "TR" : "SS");
    if (!canonical(v->host_fs_base) || !canonical(v->host_gs_base) || !canonical(v->host_gdtr_base) ||
        !canonical(v->host_idtr_base) || !canonical(v->host_tr_base))
        return fail(k, VMX_RULE_HOST_BASE_CANONICAL, "host FS/GS/GDTR/IDTR/TR base");

    /* 26.2.4 */
    if (in_ia32e ? (!hass || !(v->host_cr4 & CR4_PAE) || !canonical(v->host_rip))
                 : (hass || k->ia32e || (v->host_cr4 & CR4_PCIDE) || (v->host_rip >> 32)))
        return fail(k, VMX_RULE_HOST_ADDR_SPACE, "VM-exit controls / host CR4 / host RIP");
    return VMX_RULE_NONE;
}

/* G must match the limit's bits 11:0 and 31:20 (26.3.1.2) */
static int granularity_ok(const struct vmx_seg *s)
{
    if ((s->limit & 0xFFF) != 0xFFF && (s->ar & AR_G))
        return 0;
    if ((s->limit & 0xFFF00000u) && !(s->ar & AR_G))
        return 0;
    return 1;
}

/* 26.3.1.2: segment registers */
static enum vmx_rule check_segments(struct ctx *k)
{
    const struct vmcs_image *v = k->v;
    const struct vmx_seg *s = v->seg, *cs = &s[VSEG_CS], *ss = &s[VSEG_SS];
    const struct vmx_seg *tr = &s[VSEG_TR], *ldtr = &s[VSEG_LDTR];
    int ldtr_usable = !(ldtr->ar & AR_UNUSABLE);
#define USABLE(i) (i == VSEG_CS || !(s[i].ar & AR_UNUSABLE))

    if (tr->sel & 4)
        return fail(k, VMX_RULE_SEG_SELECTOR, "TR");
    if (ldtr_usable && (ldtr->sel & 4))
        return fail(k, VMX_RULE_SEG_SELECTOR, "LDTR");
    if (!k->v86 && !k->ug && (ss->sel & 3) != (cs->sel & 3))
        return fail(k, VMX_RULE_SEG_SELECTOR, "SS");
    if (k->v86)
        for (int i = VSEG_ES; i <= VSEG_GS; i++)
            if (s[i].base != (uint64_t)s[i].sel << 4 || s[i].limit != 0xFFFF || s[i].ar != 0xF3)
                return fail(k, VMX_RULE_SEG_V86, seg_names[i]);

    if (!canonical(tr->base))
        return fail(k, VMX_RULE_SEG_BASE, "TR");
    if (!canonical(s[VSEG_FS].base) || !canonical(s[VSEG_GS].base))
        return fail(k, VMX_RULE_SEG_BASE, !canonical(s[VSEG_FS].base) ? "FS" : "GS");
    if (ldtr_usable && !canonical(ldtr->base))
        return fail(k, VMX_RULE_SEG_BASE, "LDTR");
    for (int i = VSEG_ES; i <= VSEG_DS; i++)
        if (USABLE(i) && (s[i].base >> 32))
            return fail(k, VMX_RULE_SEG_BASE, seg_names[i]);

    if (!k->v86) {
        unsigned cst = AR_TYPE(cs->ar);
        if (!(cst == 9 || cst == 11 || cst == 13 || cst == 15 || (k->ug && cst == 3)))
            return fail(k, VMX_RULE_SEG_TYPE, "CS");
        if (USABLE(VSEG_SS) && AR_TYPE(ss->ar) != 3 && AR_TYPE(ss->ar) != 7)
            return fail(k, VMX_RULE_SEG_TYPE, "SS");
        for (int i = VSEG_ES; i <= VSEG_GS; i++) {
            unsigned t = AR_TYPE(s[i].ar);
            if (i == VSEG_CS || i == VSEG_SS || !USABLE(i))
                continue;
            if (!(t & 1) || ((t & 8) && !(t & 2)))
                return fail(k, VMX_RULE_SEG_TYPE, seg_names[i]);
        }
        for (int i = VSEG_ES; i <= VSEG_GS; i++)
            if (USABLE(i) && !(s[i].ar & AR_S))
                return fail(k, VMX_RULE_SEG_S, seg_names[i]);
        if ((cst == 3 && AR_DPL(cs->ar) != 0) ||
            ((cst == 9 || cst == 11) && AR_DPL(cs->ar) != AR_DPL(ss->ar)) ||
            ((cst == 13 || cst == 15) && AR_DPL(cs->ar) > AR_DPL(ss->ar)))
            return fail(k, VMX_RULE_SEG_DPL, "CS");
        if ((!k->ug && AR_DPL(ss->ar) != (ss->sel & 3u)) ||
            ((cst == 3 || !(v->cr0 & CR0_PE)) && AR_DPL(ss->ar) != 0))
            return fail(k, VMX_RULE_SEG_DPL, "SS");
        for (int i = VSEG_ES; i <= VSEG_GS; i++)
            if (i != VSEG_CS && i != VSEG_SS && USABLE(i) && !k->ug && AR_TYPE(s[i].ar) <= 11 &&
                AR_DPL(s[i].ar) < (s[i].sel & 3u))
                return fail(k, VMX_RULE_SEG_DPL, seg_names[i]);
        for (int i = VSEG_ES; i <= VSEG_GS; i++)
            if (USABLE(i) && !(s[i].ar & AR_P))
                return fail(k, VMX_RULE_SEG_PRESENT, seg_names[i]);
        for (int i = VSEG_ES; i <= VSEG_GS; i++)
            if (USABLE(i) && (s[i].ar & 0xFFFE0F00u))
                return fail(k, VMX_RULE_SEG_AR_RESERVED, seg_names[i]);
        if (k->ia32e && (cs->ar & AR_L) && (cs->ar & AR_DB))
            return fail(k, VMX_RULE_SEG_CS_L_D, "CS");
        for (int i = VSEG_ES; i <= VSEG_GS; i++)
            if (USABLE(i) && !granularity_ok(&s[i]))
                return fail(k, VMX_RULE_SEG_GRANULARITY, seg_names[i]);
    }

    if ((tr->ar & AR_UNUSABLE) || !(tr->ar & AR_P) || (tr->ar & AR_S) ||
        !(AR_TYPE(tr->ar) == 11 || (!k->ia32e && AR_TYPE(tr->ar) == 3)))
        return fail(k, VMX_RULE_SEG_TR, "TR");
    if (tr->ar & 0xFFFE0F00u)
        return fail(k, VMX_RULE_SEG_AR_RESERVED, "TR");
    if (!granularity_ok(tr))
        return fail(k, VMX_RULE_SEG_GRANULARITY, "TR");
    if (ldtr_usable) {
        if (AR_TYPE(ldtr->ar) != 2 || (ldtr->ar & AR_S) || !(ldtr->ar & AR_P))
            return fail(k, VMX_RULE_SEG_LDTR, "LDTR");
        if (ldtr->ar & 0xFFFE0F00u)
            return fail(k, VMX_RULE_SEG_AR_RESERVED, "LDTR");
        if (!granularity_ok(ldtr))
            return fail(k, VMX_RULE_SEG_GRANULARITY, "LDTR");
    }
#undef USABLE
    return VMX_RULE_NONE;
}

/* 26.3.1.5: activity and interruptibility state, pending debug exceptions, link pointer */
static enum vmx_rule check_non_register(struct ctx *k)
{
    const struct vmcs_image *v = k->v;
    uint32_t info = v->entry_intr_info, intr = v->interruptibility;
    int inject = (info & INTR_INFO_VALID) != 0;
    unsigned type = (info >> 8) & 7, vec = info & 0xFF;

    if (v->activity > ACT_WAIT_SIPI || (v->activity && !(k->c->misc & (MISC_ACTIVITY_HLT << (v->activity - 1)))) ||
        (v->activity == ACT_HLT && AR_DPL(v->seg[VSEG_SS].ar) != 0) ||
        ((intr & (INTR_STI | INTR_MOV_SS)) && v->activity != ACT_ACTIVE))
        return fail(k, VMX_RULE_ACTIVITY, "activity state");
    if (inject && ((v->activity == ACT_HLT &&
                    !(type == EV_EXTERNAL || type == EV_NMI || type == EV_OTHER ||
                      (type == EV_HW_EXCEPTION && (vec == 1 || vec == 18)))) ||
                   (v->activity == ACT_SHUTDOWN && !(type == EV_NMI || (type == EV_HW_EXCEPTION && vec == 18))) ||
                   v->activity == ACT_WAIT_SIPI))
        return fail(k, VMX_RULE_ACTIVITY, "activity state and VM-entry interruption information");

    if ((intr >> 5) || (intr & (INTR_STI | INTR_MOV_SS)) == (INTR_STI | INTR_MOV_SS) ||
        ((intr & INTR_STI) && !(v->rflags & RFLAGS_IF)) ||
        (inject && type == EV_EXTERNAL && (intr & (INTR_STI | INTR_MOV_SS))) ||
        (inject && type == EV_NMI && (intr & INTR_MOV_SS)) ||
        (inject && type == EV_NMI && (v->pin & PIN_VIRTUAL_NMIS) && (intr & INTR_NMI)) ||
        (intr & INTR_SMI))
        return fail(k, VMX_RULE_INTERRUPTIBILITY, "interruptibility state");

    if (v->pending_dbg & PENDING_DBG_RESERVED)
        return fail(k, VMX_RULE_PENDING_DBG, "pending debug exceptions");
    if ((intr & (INTR_STI | INTR_MOV_SS)) || v->activity == ACT_HLT) {
        int want_bs = (v->rflags & RFLAGS_TF) && !(v->debugctl & DEBUGCTL_BTF);
        if (!!(v->pending_dbg & PENDING_DBG_BS) != want_bs)
            return fail(k, VMX_RULE_PENDING_DBG, "pending debug exceptions (BS)");
    }
    if (v->link_pointer != ~0ull && ((v->link_pointer & 0xFFF) || beyond_phys(k, v->link_pointer)))
        return fail(k, VMX_RULE_LINK_POINTER, "VMCS link pointer");
    return VMX_RULE_NONE;
}

/* 26.3: guest state */
static enum vmx_rule check_guest(struct ctx *k)
{
    const struct vmcs_image *v = k->v;
    const struct vmx_cap_msrs *c = k->c;
    uint64_t fixed0 = c->cr0_fixed0 & (k->ug ? ~(CR0_PE | CR0_PG) : ~0ull);
    enum vmx_rule r;

    /* 26.3.1.1 */
    if ((v->cr0 & fixed0) != fixed0 || (v->cr0 & ~c->cr0_fixed1) ||
        ((v->cr0 & CR0_PG) && !(v->cr0 & CR0_PE)))
        return fail(k, VMX_RULE_GUEST_CR0, "guest CR0");
    if ((v->cr4 & c->cr4_fixed0) != c->cr4_fixed0 || (v->cr4 & ~c->cr4_fixed1))
        return fail(k, VMX_RULE_GUEST_CR4, "guest CR4");
    if ((v->entry & ENTRY_LOAD_DEBUG_CONTROLS) && (v->debugctl & DEBUGCTL_RESERVED))
        return fail(k, VMX_RULE_GUEST_DEBUGCTL, "guest IA32_DEBUGCTL");
    if (k->ia32e ? (!(v->cr0 & CR0_PG) || !(v->cr4 & CR4_PAE)) : (v->cr4 & CR4_PCIDE) != 0)
        return fail(k, VMX_RULE_GUEST_IA32E_PAGING, "guest CR0/CR4");
    if (beyond_phys(k, v->cr3))
        return fail(k, VMX_RULE_GUEST_CR3, "guest CR3");
    if ((v->entry & ENTRY_LOAD_DEBUG_CONTROLS) && (v->dr7 >> 32))
        return fail(k, VMX_RULE_GUEST_DR7, "guest DR7");
    if (!canonical(v->sysenter_esp) || !canonical(v->sysenter_eip))
        return fail(k, VMX_RULE_GUEST_SYSENTER, "guest IA32_SYSENTER_ESP/EIP");
    if ((v->entry & ENTRY_LOAD_PERF_GLOBAL_CTRL) && (v->perf_global_ctrl & ~c->perf_global_ctrl_valid))
        return fail(k, VMX_RULE_GUEST_PERF_GLOBAL, "guest IA32_PERF_GLOBAL_CTRL");
    if ((v->entry & ENTRY_LOAD_IA32_PAT) && !pat_ok(v->pat))
        return fail(k, VMX_RULE_GUEST_PAT, "guest IA32_PAT");
    if ((v->entry & ENTRY_LOAD_IA32_EFER) &&
        ((v->efer & ~EFER_KNOWN) || !!(v->efer & EFER_LMA) != k->ia32e ||
         ((v->cr0 & CR0_PG) && !!(v->efer & EFER_LME) != !!(v->efer & EFER_LMA))))
        return fail(k, VMX_RULE_GUEST_EFER, "guest IA32_EFER");

    if ((r = check_segments(k)))
        return r;

    /* 26.3.1.3 */
    if (!canonical(v->gdtr_base) || !canonical(v->idtr_base) || (v->gdtr_limit >> 16) || (v->idtr_limit >> 16))
        return fail(k, VMX_RULE_DTR, "GDTR/IDTR");

    /* 26.3.1.4 */
    if ((k->ia32e && (v->seg[VSEG_CS].ar & AR_L)) ? !canonical(v->rip) : (v->rip >> 32) != 0)
        return fail(k, VMX_RULE_RIP, "RIP");
    if ((v->rflags & RFLAGS_RESERVED) || !(v->rflags & RFLAGS_RSVD1))
        return fail(k, VMX_RULE_RFLAGS_RESERVED, "RFLAGS");
    if ((v->rflags & RFLAGS_VM) && (k->ia32e || !(v->cr0 & CR0_PE)))
        return fail(k, VMX_RULE_RFLAGS_VM, "RFLAGS");
    if ((v->entry_intr_info & INTR_INFO_VALID) && ((v->entry_intr_info >> 8) & 7) == EV_EXTERNAL &&
        !(v->rflags & RFLAGS_IF))
        return fail(k, VMX_RULE_RFLAGS_IF, "RFLAGS");

    if ((r = check_non_register(k)))
        return r;

    /* 26.3.1.6: with EPT the PDPTEs come from these fields */
    if ((v->cr0 & CR0_PG) && (v->cr4 & CR4_PAE) && !k->ia32e && (k->proc2 & PROC2_ENABLE_EPT))
        for (int i = 0; i < 4; i++)
            if ((v->pdpte[i] & 1) && ((v->pdpte[i] & 0x1E6) || beyond_phys(k, v->pdpte[i] & ~(1ull << 63)) ||
                                      (v->pdpte[i] >> 63)))
                return fail(k, VMX_RULE_PDPTE, i == 0 ? "PDPTE0" : i == 1 ? "PDPTE1" : i == 2 ? "PDPTE2" : "PDPTE3");
    return VMX_RULE_NONE;
}

enum vmx_rule vmx_entry_check(const struct vmcs_image *img, const struct vmx_cap_msrs *caps,
                              int in_ia32e, struct vmx_check_result *out)
{
    struct ctx k = {
        .v = img, .c = caps, .out = out,
        .proc2 = (img->proc & PROC_ACTIVATE_SECONDARY) ? img->proc2 : 0,
        .ia32e = (img->entry & ENTRY_IA32E_MODE_GUEST) != 0,
    };
    enum vmx_rule r;

    k.ug = (k.proc2 & PROC2_UNRESTRICTED_GUEST) != 0;
    k.v86 = !k.ia32e && (img->cr0 & CR0_PE) && (img->rflags & RFLAGS_VM);
    if (out)
        *out = (struct vmx_check_result){ VMX_RULE_NONE, "", rule_texts[0], "" };
    if ((r = check_controls(&k)) || (r = check_host(&k, in_ia32e)) || (r = check_guest(&k)))
        return r;
    return VMX_RULE_NONE;
}
