/* The VMCS of a new vCPU as data (vmcs_image.h): controls, host state and the guest's start
 * state, computed from the probed VMX capabilities without executing any VMX instruction. */
#include <stddef.h>

#include "arch/x86/cpu.h"
#include "arch/x86/vmx/vmcs.h"
#include "arch/x86/vmx/vmcs_image.h"

#define PAT_POWER_ON 0x0007040600070406ull  /* IA32_PAT after RESET (Vol. 3A 13.12.4, Table 13-11) */

/* The guest owns CR0 and CR4 except the bits VMX pins (fixed bits, minus PE and PG which
 * unrestricted guest frees; PG too when exits do not store EFER.LMA: see vmx_caps) and every
 * CR4 bit its CPUID does not offer (cpuid_cr4_guest_reserved). */
uint64_t vmcs_image_cr0_owned(const struct vmx_caps *caps)
{
    return (caps->cr0_fixed0 & ~(CR0_PE | CR0_PG)) | (~caps->cr0_fixed1 & 0xFFFFFFFFull) |
           (caps->exit_stores_lma ? 0 : CR0_PG);
}

uint64_t vmcs_image_cr4_owned(const struct vmx_caps *caps)
{
    return caps->cr4_fixed0 | ~caps->cr4_fixed1 | caps->cr4_guest_reserved;
}

void vmcs_image_controls(struct vmcs_image *img, const struct vmx_caps *caps,
                         const struct guest_boot_state *st, const struct vmx_vcpu_refs *refs)
{
    img->pin = caps->pin;
    img->proc = caps->proc;
    img->proc2 = caps->proc2;
    img->exit = caps->exit;
    /* IA-32e mode guest: set for a 64-bit start (26.3.1.1); later, VM exits store EFER.LMA in
     * it (28.2), so a guest that enters long mode itself keeps it right. */
    img->entry = caps->entry | (st->long_mode ? ENTRY_IA32E_MODE_GUEST : 0);
    img->exception_bitmap = 0;         /* guests handle their own exceptions */
    img->pf_error_mask = img->pf_error_match = 0;
    img->cr3_target_count = 0;
    img->exit_msr_store_count = img->exit_msr_load_count = img->entry_msr_load_count = 0;
    img->entry_intr_info = 0;
    img->msr_bitmap = refs->msr_bitmap;
    img->eptp = refs->eptp;
    img->vpid = (caps->proc2 & PROC2_ENABLE_VPID) ? refs->vpid : 0;  /* non-zero: 0 is the host's */
    img->link_pointer = ~0ull;         /* no shadow VMCS */
    /* A guest write that changes an owned bit exits to exit_cr.c; reads see the read shadow. */
    img->cr0_mask = vmcs_image_cr0_owned(caps);
    img->cr4_mask = vmcs_image_cr4_owned(caps);
}

void vmcs_image_host(struct vmcs_image *img, const struct vmx_host_regs *h)
{
    img->host_cr0 = h->cr0;
    img->host_cr3 = h->cr3;
    img->host_cr4 = h->cr4;
    for (int i = 0; i < VSEG_COUNT; i++)
        img->host_sel[i] = h->ds;
    img->host_sel[VSEG_CS] = h->cs;
    img->host_sel[VSEG_FS] = img->host_sel[VSEG_GS] = img->host_sel[VSEG_LDTR] = 0;
    img->host_sel[VSEG_TR] = h->tr;
    img->host_fs_base = img->host_gs_base = 0;
    img->host_tr_base = h->tr_base;
    img->host_gdtr_base = h->gdtr_base;
    img->host_idtr_base = h->idtr_base;
    img->host_sysenter_cs = 0;
    img->host_sysenter_esp = img->host_sysenter_eip = 0;
    img->host_efer = h->efer;
    img->host_pat = h->pat;
    img->host_rip = h->rip;
}

/* The start state the loader left (hv/guest_load.c): a multiboot loader's (Multiboot 0.6.96,
 * 3.2 "Machine state") or Linux's 64-bit entry (boot.rst "64-bit Boot Protocol"). */
void vmcs_image_guest(struct vmcs_image *img, const struct vmx_caps *caps,
                      const struct guest_boot_state *st)
{
    /* Unrestricted guest frees PE and PG from the fixed-0 bits (26.3.1.1); the rest are forced
     * on and the read shadow shows the guest its own value. */
    img->cr0_shadow = st->cr0;
    img->cr0 = (st->cr0 | (caps->cr0_fixed0 & ~(CR0_PE | CR0_PG))) & caps->cr0_fixed1;
    img->cr4_shadow = st->cr4;
    img->cr4 = (st->cr4 | caps->cr4_fixed0) & caps->cr4_fixed1;
    img->cr3 = st->cr3;

    /* flat segments; 64-bit: CS.L=1 and D=0 (26.3.1.2); data is 0xC093 in both modes */
    for (int i = VSEG_ES; i <= VSEG_GS; i++)
        img->seg[i] = (struct vmx_seg){ .sel = st->ds, .base = 0, .limit = 0xFFFFFFFF,
                                        .ar = AR_DATA32 };
    img->seg[VSEG_CS].sel = st->cs;
    img->seg[VSEG_CS].ar = st->long_mode ? AR_CODE64 : AR_CODE32;
    img->seg[VSEG_LDTR] = (struct vmx_seg){ .ar = AR_UNUSABLE };
    /* VM entry needs a usable TR (26.3.1.2): a busy 32-bit TSS the guest never uses */
    img->seg[VSEG_TR] = (struct vmx_seg){ .limit = 0x67, .ar = AR_TSS32_BUSY };
    img->gdtr_base = st->gdtr_base;    /* the flat GDT the selectors index, as the loader */
    img->gdtr_limit = st->gdtr_limit;  /* left it; no IDT yet */
    img->idtr_base = 0;
    img->idtr_limit = 0;

    img->rip = st->rip;
    img->rsp = st->rsp;
    img->rflags = RFLAGS_RSVD1;        /* IF=0 */
    /* Debug state at RESET (SDM Vol. 3A Table 10-1): DR7 and IA32_DEBUGCTL are loaded from
     * here at every entry and saved at every exit (the debug-controls VM-entry/exit controls) */
    img->dr7 = DR7_INIT;
    img->debugctl = 0;
    img->efer = st->efer;              /* loaded at entry (ENTRY_LOAD_IA32_EFER) */
    img->pat = PAT_POWER_ON;
    img->perf_global_ctrl = 0;
    img->sysenter_cs = 0;
    img->sysenter_esp = img->sysenter_eip = 0;
    img->interruptibility = 0;
    img->activity = 0;                 /* active */
    img->pending_dbg = 0;
    img->preemption_timer = 0;
    for (int i = 0; i < 4; i++)
        img->pdpte[i] = 0;
}

#define F(enc, member, when) { enc, offsetof(struct vmcs_image, member),                     \
                               sizeof(((struct vmcs_image *)0)->member), when }
#define A VMCS_FIELD_ALWAYS
#define SEG(name, idx) F(VMCS_GUEST_##name##_SEL, seg[idx].sel, A),                           \
                       F(VMCS_GUEST_##name##_BASE, seg[idx].base, A),                         \
                       F(VMCS_GUEST_##name##_LIMIT, seg[idx].limit, A),                       \
                       F(VMCS_GUEST_##name##_AR, seg[idx].ar, A)

const struct vmcs_image_field vmcs_image_fields[] = {
    F(VMCS_PIN_BASED_CTLS, pin, A), F(VMCS_PROC_BASED_CTLS, proc, A),
    F(VMCS_PROC_BASED_CTLS2, proc2, A), F(VMCS_EXIT_CTLS, exit, A), F(VMCS_ENTRY_CTLS, entry, A),
    F(VMCS_EXCEPTION_BITMAP, exception_bitmap, A), F(VMCS_PF_ERROR_CODE_MASK, pf_error_mask, A),
    F(VMCS_PF_ERROR_CODE_MATCH, pf_error_match, A), F(VMCS_CR3_TARGET_COUNT, cr3_target_count, A),
    F(VMCS_IO_BITMAP_A, io_bitmap_a, A), F(VMCS_IO_BITMAP_B, io_bitmap_b, A),
    F(VMCS_MSR_BITMAP, msr_bitmap, A), F(VMCS_EPT_POINTER, eptp, A),
    F(VMCS_TSC_OFFSET, tsc_offset, A),
    F(VMCS_VPID, vpid, VMCS_FIELD_IF_VPID),
    F(VMCS_CR0_GUEST_HOST_MASK, cr0_mask, A), F(VMCS_CR4_GUEST_HOST_MASK, cr4_mask, A),
    F(VMCS_CR0_READ_SHADOW, cr0_shadow, A), F(VMCS_CR4_READ_SHADOW, cr4_shadow, A),
    F(VMCS_EXIT_MSR_STORE_COUNT, exit_msr_store_count, A),
    F(VMCS_EXIT_MSR_LOAD_COUNT, exit_msr_load_count, A),
    F(VMCS_ENTRY_MSR_LOAD_COUNT, entry_msr_load_count, A),
    F(VMCS_EXIT_MSR_STORE_ADDR, exit_msr_store_addr, A),
    F(VMCS_EXIT_MSR_LOAD_ADDR, exit_msr_load_addr, A),
    F(VMCS_ENTRY_MSR_LOAD_ADDR, entry_msr_load_addr, A),
    F(VMCS_ENTRY_INTR_INFO, entry_intr_info, A),
    F(VMCS_ENTRY_EXCEPTION_ERROR_CODE, entry_error_code, A),
    F(VMCS_ENTRY_INSTRUCTION_LEN, entry_insn_len, A),

    F(VMCS_HOST_CR0, host_cr0, A), F(VMCS_HOST_CR3, host_cr3, A), F(VMCS_HOST_CR4, host_cr4, A),
    F(VMCS_HOST_ES_SEL, host_sel[VSEG_ES], A), F(VMCS_HOST_CS_SEL, host_sel[VSEG_CS], A),
    F(VMCS_HOST_SS_SEL, host_sel[VSEG_SS], A), F(VMCS_HOST_DS_SEL, host_sel[VSEG_DS], A),
    F(VMCS_HOST_FS_SEL, host_sel[VSEG_FS], A), F(VMCS_HOST_GS_SEL, host_sel[VSEG_GS], A),
    F(VMCS_HOST_TR_SEL, host_sel[VSEG_TR], A),
    F(VMCS_HOST_FS_BASE, host_fs_base, A), F(VMCS_HOST_GS_BASE, host_gs_base, A),
    F(VMCS_HOST_TR_BASE, host_tr_base, A), F(VMCS_HOST_GDTR_BASE, host_gdtr_base, A),
    F(VMCS_HOST_IDTR_BASE, host_idtr_base, A),
    F(VMCS_HOST_SYSENTER_CS, host_sysenter_cs, A),
    F(VMCS_HOST_SYSENTER_ESP, host_sysenter_esp, A),
    F(VMCS_HOST_SYSENTER_EIP, host_sysenter_eip, A),
    F(VMCS_HOST_IA32_EFER, host_efer, A), F(VMCS_HOST_IA32_PAT, host_pat, A),
    F(VMCS_HOST_IA32_PERF_GLOBAL_CTRL, host_perf_global_ctrl, VMCS_FIELD_IF_EXIT_PERF),
    F(VMCS_HOST_RSP, host_rsp, VMCS_FIELD_READ_ONLY_HERE), F(VMCS_HOST_RIP, host_rip, A),

    F(VMCS_GUEST_CR0, cr0, A), F(VMCS_GUEST_CR3, cr3, A), F(VMCS_GUEST_CR4, cr4, A),
    F(VMCS_GUEST_DR7, dr7, A), F(VMCS_GUEST_RSP, rsp, A), F(VMCS_GUEST_RIP, rip, A),
    F(VMCS_GUEST_RFLAGS, rflags, A),
    SEG(ES, VSEG_ES), SEG(CS, VSEG_CS), SEG(SS, VSEG_SS), SEG(DS, VSEG_DS), SEG(FS, VSEG_FS),
    SEG(GS, VSEG_GS), SEG(LDTR, VSEG_LDTR), SEG(TR, VSEG_TR),
    F(VMCS_GUEST_GDTR_BASE, gdtr_base, A), F(VMCS_GUEST_GDTR_LIMIT, gdtr_limit, A),
    F(VMCS_GUEST_IDTR_BASE, idtr_base, A), F(VMCS_GUEST_IDTR_LIMIT, idtr_limit, A),
    F(VMCS_GUEST_IA32_DEBUGCTL, debugctl, A), F(VMCS_GUEST_IA32_PAT, pat, A),
    F(VMCS_GUEST_IA32_EFER, efer, A),
    F(VMCS_GUEST_IA32_PERF_GLOBAL_CTRL, perf_global_ctrl, VMCS_FIELD_IF_ENTRY_PERF),
    F(VMCS_GUEST_SYSENTER_CS, sysenter_cs, A), F(VMCS_GUEST_SYSENTER_ESP, sysenter_esp, A),
    F(VMCS_GUEST_SYSENTER_EIP, sysenter_eip, A),
    F(VMCS_GUEST_INTERRUPTIBILITY, interruptibility, A),
    F(VMCS_GUEST_ACTIVITY_STATE, activity, A),
    F(VMCS_GUEST_PREEMPTION_TIMER, preemption_timer, A),
    F(VMCS_GUEST_PENDING_DBG_EXCEPTIONS, pending_dbg, A),
    F(VMCS_LINK_POINTER, link_pointer, A),
    F(VMCS_GUEST_PDPTE0, pdpte[0], A), F(VMCS_GUEST_PDPTE1, pdpte[1], A),
    F(VMCS_GUEST_PDPTE2, pdpte[2], A), F(VMCS_GUEST_PDPTE3, pdpte[3], A),
};
const unsigned vmcs_image_field_count = sizeof(vmcs_image_fields) / sizeof(vmcs_image_fields[0]);

int vmcs_image_field_present(const struct vmcs_image *img, const struct vmcs_image_field *f)
{
    switch (f->when) {
    case VMCS_FIELD_IF_VPID:
        return (img->proc2 & PROC2_ENABLE_VPID) != 0;
    case VMCS_FIELD_IF_ENTRY_PERF:
        return (img->entry & ENTRY_LOAD_PERF_GLOBAL_CTRL) != 0;
    case VMCS_FIELD_IF_EXIT_PERF:
        return (img->exit & EXIT_LOAD_PERF_GLOBAL_CTRL) != 0;
    default:
        return 1;
    }
}
