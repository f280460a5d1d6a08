/* arch/x86/vmx/vmx_entry_check.c: the VM-entry checks of SDM Vol. 3C 26.2-26.3 on the VMCS images
 * perfvisor builds (arch/x86/vmx/vmcs_image.c, the code vmx_vcpu.c writes to the VMCS with),
 * for the start states its loaders leave (hv/guest_load.c: a multiboot ELF32 kernel, a Linux
 * bzImage's 64-bit entry) and for states a guest reaches itself (long mode switched on by a
 * 32-bit guest, PAE paging), on two CPUs: Bochs 2.7's corei7_skylake_x (the capability MSRs
 * as a VMX_CHECK=1 build prints them) and a stricter, hardware-like model.  Every image must pass; then
 * each broken image (one field changed the way a bug would) must fail with its rule. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch/x86/vmx/vmx_entry_check.h"
#include "vmx_images.h"

static void expect_pass(const struct vmx_cap_msrs *m, const char *cpu)
{
    for (int k = 0; k < GUEST_KINDS; k++) {
        struct vmcs_image img = build(m, k);
        struct vmx_check_result r;
        enum vmx_rule rule = vmx_entry_check(&img, m, 1, &r);
        if (rule != VMX_RULE_NONE)
            fail_msg("%s, %s: SDM %s %s: %s (%s)", cpu, kind_names[k], r.section,
                     vmx_rule_name(rule), r.text, r.what);
    }
}

static void test_perfvisor_images_pass_on_bochs(void **state) { (void)state; expect_pass(&bochs_skylake_x, "Bochs skylake_x"); }
static void test_perfvisor_images_pass_on_strict_cpu(void **state) { (void)state; expect_pass(&strict_cpu, "strict CPU"); }

/* ---- broken images */
struct broken {
    const char *name;
    enum image_kind kind;
    void (*mutate)(struct vmcs_image *);
    enum vmx_rule rule;
    int not_ia32e_host;                /* checked as if the CPU ran outside IA-32e mode */
};

#define MUT(fn, body) static void fn(struct vmcs_image *v) { body; }
MUT(set_posted_intr,  v->pin |= 1u << 7)
MUT(clear_must1_pin,  v->pin &= ~0x16u)
MUT(proc_not_allowed, v->proc |= 1u << 0)                      /* reserved, allowed-1 clear */
MUT(proc2_reserved,   v->proc2 |= 1u << 31)
MUT(cr3_targets,      v->cr3_target_count = 5)
MUT(io_bitmap_unal,   v->proc = (v->proc & ~PROC_UNCONDITIONAL_IO_EXITING) | PROC_USE_IO_BITMAPS; v->io_bitmap_a = 0x130800)
MUT(msr_bitmap_unal,  v->msr_bitmap = 0x120010)
MUT(msr_bitmap_wide,  v->msr_bitmap = 1ull << 45)
MUT(vnmi_no_nmi_exit, v->pin &= ~PIN_NMI_EXITING)
MUT(vpid_zero,        v->vpid = 0)
MUT(eptp_walk5,       v->eptp = (v->eptp & ~0x38ull) | (4ull << 3))
MUT(eptp_uc,          v->eptp = (v->eptp & ~7ull) | 1)
MUT(eptp_reserved,    v->eptp |= 1ull << 9)
MUT(ug_no_ept,        v->proc2 &= ~PROC2_ENABLE_EPT)
MUT(exit_reserved,    v->exit &= ~(1u << 2 | 1u << 0x4))
MUT(save_timer_only,  v->pin &= ~PIN_PREEMPTION_TIMER)
MUT(exit_msr_unal,    v->exit_msr_load_count = 1; v->exit_msr_load_addr = 0x150008)
MUT(entry_reserved,   v->entry |= 1u << 31)
MUT(inject_nmi_vec,   v->entry_intr_info = INTR_INFO_VALID | INTR_TYPE_NMI | 3)
MUT(inject_type1,     v->entry_intr_info = INTR_INFO_VALID | (1u << 8) | 32)
MUT(inject_gp_nocode, v->entry_intr_info = INTR_INFO_VALID | INTR_TYPE_HW_EXCEPTION | VECTOR_GP)
MUT(inject_ud_code,   v->entry_intr_info = INTR_INFO_VALID | INTR_TYPE_HW_EXCEPTION | INTR_INFO_DELIVER_CODE | VECTOR_UD)
MUT(inject_gp_code_hi, v->entry_intr_info = INTR_INFO_VALID | INTR_TYPE_HW_EXCEPTION | INTR_INFO_DELIVER_CODE | VECTOR_GP; v->entry_error_code = 0x10000)
MUT(inject_int_len0,  v->entry_intr_info = INTR_INFO_VALID | (4u << 8) | 0x80; v->entry_insn_len = 16)
MUT(entry_msr_unal,   v->entry_msr_load_count = 2; v->entry_msr_load_addr = 0x150004)
MUT(entry_smm,        v->entry |= 1u << 10)
MUT(host_cr0_no_ne,   v->host_cr0 &= ~CR0_NE)
MUT(host_cr4_no_vmxe, v->host_cr4 &= ~CR4_VMXE)
MUT(host_cr3_wide,    v->host_cr3 = 1ull << 50)
MUT(host_sysenter,    v->host_sysenter_eip = 0x0000800000000000ull)
MUT(host_pat_2,       v->host_pat = 0x0007040600070402ull)
MUT(host_perf_glob,   v->exit |= EXIT_LOAD_PERF_GLOBAL_CTRL; v->host_perf_global_ctrl = 1ull << 35)
MUT(host_efer_no_lma, v->host_efer &= ~EFER_LMA)
MUT(host_cs_rpl,      v->host_sel[VSEG_CS] |= 3)
MUT(host_fs_ti,       v->host_sel[VSEG_FS] = 4)
MUT(host_tr_null,     v->host_sel[VSEG_TR] = 0)
MUT(host_gdt_noncan,  v->host_gdtr_base = 0x0000800000000000ull)
MUT(host_32bit,       v->exit &= ~EXIT_HOST_ADDR_SPACE_SIZE; v->host_efer &= ~(EFER_LME | EFER_LMA))
MUT(host_rip_noncan,  v->host_rip = 0x0001000000000000ull)
MUT(guest_cr0_no_ne,  v->cr0 &= ~CR0_NE)
MUT(guest_pg_no_pe,   v->cr0 = (v->cr0 & ~CR0_PE) | CR0_PG)
MUT(guest_cr4_no_vmxe, v->cr4 &= ~CR4_VMXE)
MUT(guest_debugctl,   v->debugctl = 1ull << 3)
MUT(ia32e_no_pae,     v->cr4 &= ~CR4_PAE)
MUT(pcide_in_32bit,   v->cr4 |= 1ull << 17)
MUT(guest_cr3_wide,   v->cr3 = 1ull << 45)
MUT(guest_dr7_high,   v->dr7 |= 1ull << 40)
MUT(guest_sysenter,   v->sysenter_esp = 0x1234000000000000ull)
MUT(guest_perf_glob,  v->entry |= ENTRY_LOAD_PERF_GLOBAL_CTRL; v->perf_global_ctrl = 1ull << 20)
MUT(guest_pat_3,      v->pat = 0x0307040600070406ull)
MUT(efer_lma_no_ia32e, v->efer |= EFER_LMA)
MUT(efer_lme_not_lma, v->efer &= ~EFER_LME)
MUT(tr_ti,            v->seg[VSEG_TR].sel = 4)
MUT(ss_rpl_ne_cs,     v->proc2 &= ~PROC2_UNRESTRICTED_GUEST; v->seg[VSEG_SS].sel |= 3; v->seg[VSEG_SS].ar |= 3u << 5)
MUT(v86_bad_seg,      v->rflags |= 1ull << 17)
MUT(fs_base_noncan,   v->seg[VSEG_FS].base = 0x0000900000000000ull)
MUT(cs_base_high,     v->seg[VSEG_CS].base = 1ull << 32)
MUT(cs_data_type,     v->seg[VSEG_CS].ar = 0xC091u)               /* read-only data */
MUT(ss_code_type,     v->seg[VSEG_SS].ar = (v->seg[VSEG_SS].ar & ~0xFu) | 0xB)
MUT(ds_not_accessed,  v->seg[VSEG_DS].ar &= ~1u)
MUT(es_system,        v->seg[VSEG_ES].ar &= ~AR_S)
MUT(cs_dpl_ne_ss,     v->seg[VSEG_CS].ar |= 3u << 5)
MUT(gs_not_present,   v->seg[VSEG_GS].ar &= ~AR_P)
MUT(ds_ar_reserved,   v->seg[VSEG_DS].ar |= 1u << 9)
MUT(cs_l_and_d,       v->seg[VSEG_CS].ar |= AR_DB)
MUT(ss_g_small_limit, v->seg[VSEG_SS].limit = 0xFFFFE)
MUT(ds_nog_big_limit, v->seg[VSEG_DS].ar &= ~AR_G)
MUT(tr_unusable,      v->seg[VSEG_TR].ar |= AR_UNUSABLE)
MUT(tr_16bit_in_64,   v->seg[VSEG_TR].ar = (v->seg[VSEG_TR].ar & ~0xFu) | 3)
MUT(ldtr_usable_bad,  v->seg[VSEG_LDTR].ar = 0x0083)
MUT(gdtr_limit_wide,  v->gdtr_limit = 0x10000)
MUT(idtr_noncan,      v->idtr_base = 0xFFFF000000000000ull >> 4)
MUT(rip_high_32bit,   v->rip |= 1ull << 32)
MUT(rip_noncan_64,    v->rip = 0x0000900000000000ull)
MUT(rflags_bit1,      v->rflags = 0)
MUT(rflags_bit15,     v->rflags |= 1ull << 15)
MUT(rflags_vm_64,     v->rflags |= 1ull << 17)
MUT(inject_ext_if0,   v->entry_intr_info = INTR_INFO_VALID | INTR_TYPE_EXTERNAL | 0x30)
MUT(activity_bad,     v->activity = 4)
MUT(activity_sipi,    v->activity = 3)                          /* the strict CPU has only HLT */
MUT(hlt_with_sti,     v->activity = 1; v->rflags |= 1ull << 9; v->interruptibility = 1)
MUT(sti_and_movss,    v->interruptibility = 3; v->rflags |= 1ull << 9)
MUT(sti_if0,          v->interruptibility = 1)
MUT(smi_blocking,     v->interruptibility = 4)
MUT(nmi_into_blocked, v->interruptibility = 8; v->entry_intr_info = INTR_INFO_VALID | INTR_TYPE_NMI | 2)
MUT(pdbg_reserved,    v->pending_dbg = 1ull << 5)
MUT(pdbg_bs_no_tf,    v->interruptibility = 2; v->pending_dbg = 1ull << 14)
MUT(link_ptr_unal,    v->link_pointer = 0x160008)
MUT(pdpte_reserved,   v->pdpte[1] = 0x202001 | (1ull << 7))
MUT(pdpte_wide,       v->pdpte[0] |= 1ull << 50)

static const struct broken broken_images[] = {
    { "unmodelled control: posted interrupts", MB32, set_posted_intr, VMX_RULE_UNMODELLED_CONTROL, 0 },
    { "pin-based must-be-1 bits clear", MB32, clear_must1_pin, VMX_RULE_PIN_CTLS, 0 },
    { "primary control the CPU does not allow", MB32, proc_not_allowed, VMX_RULE_PROC_CTLS, 0 },
    { "secondary control reserved bit", MB32, proc2_reserved, VMX_RULE_PROC2_CTLS, 0 },
    { "CR3-target count 5 > 4", MB32, cr3_targets, VMX_RULE_CR3_TARGET_COUNT, 0 },
    { "I/O bitmap A not page aligned", MB32, io_bitmap_unal, VMX_RULE_IO_BITMAP_ADDR, 0 },
    { "MSR bitmap not page aligned", LINUX64, msr_bitmap_unal, VMX_RULE_MSR_BITMAP_ADDR, 0 },
    { "MSR bitmap beyond MAXPHYADDR", LINUX64, msr_bitmap_wide, VMX_RULE_MSR_BITMAP_ADDR, 0 },
    { "virtual NMIs without NMI exiting", MB32, vnmi_no_nmi_exit, VMX_RULE_NMI_CONTROLS, 0 },
    { "VPID 0 with enable VPID", MB32, vpid_zero, VMX_RULE_VPID_ZERO, 0 },
    { "EPTP 5-level walk unsupported", MB32, eptp_walk5, VMX_RULE_EPTP, 0 },
    { "EPTP memory type 1", MB32, eptp_uc, VMX_RULE_EPTP, 0 },
    { "EPTP reserved bit 9", LINUX64, eptp_reserved, VMX_RULE_EPTP, 0 },
    { "unrestricted guest without EPT", MB32, ug_no_ept, VMX_RULE_UNRESTRICTED_NO_EPT, 0 },
    { "exit controls default1 bits clear", MB32, exit_reserved, VMX_RULE_EXIT_CTLS, 0 },
    { "save preemption timer without the timer", MB32, save_timer_only, VMX_RULE_SAVE_TIMER_NO_TIMER, 0 },
    { "exit MSR-load area misaligned", MB32, exit_msr_unal, VMX_RULE_EXIT_MSR_AREA, 0 },
    { "entry control reserved bit 31", MB32, entry_reserved, VMX_RULE_ENTRY_CTLS, 0 },
    { "injected NMI with vector 3", MB32, inject_nmi_vec, VMX_RULE_ENTRY_INTR_TYPE, 0 },
    { "injected event of reserved type 1", MB32, inject_type1, VMX_RULE_ENTRY_INTR_TYPE, 0 },
    { "#GP injected without its error code", MB32, inject_gp_nocode, VMX_RULE_ENTRY_INTR_ERRCODE, 0 },
    { "#UD injected with an error code", LINUX64, inject_ud_code, VMX_RULE_ENTRY_INTR_ERRCODE, 0 },
    { "#GP injected with error code bit 16", MB32, inject_gp_code_hi, VMX_RULE_ENTRY_INTR_ERRCODE, 0 },
    { "software interrupt, instruction length 16", MB32, inject_int_len0, VMX_RULE_ENTRY_INSN_LEN, 0 },
    { "entry MSR-load area misaligned", MB32, entry_msr_unal, VMX_RULE_ENTRY_MSR_AREA, 0 },
    { "entry to SMM", MB32, entry_smm, VMX_RULE_ENTRY_SMM, 0 },
    { "host CR0.NE clear", MB32, host_cr0_no_ne, VMX_RULE_HOST_CR0, 0 },
    { "host CR4.VMXE clear", MB32, host_cr4_no_vmxe, VMX_RULE_HOST_CR4, 0 },
    { "host CR3 beyond MAXPHYADDR", MB32, host_cr3_wide, VMX_RULE_HOST_CR3, 0 },
    { "host SYSENTER_EIP not canonical", MB32, host_sysenter, VMX_RULE_HOST_SYSENTER, 0 },
    { "host PERF_GLOBAL_CTRL fixed counter 3", MB32, host_perf_glob, VMX_RULE_HOST_PERF_GLOBAL, 0 },
    { "host PAT entry type 2", MB32, host_pat_2, VMX_RULE_HOST_PAT, 0 },
    { "host EFER.LMA clear", MB32, host_efer_no_lma, VMX_RULE_HOST_EFER, 0 },
    { "host CS RPL 3", MB32, host_cs_rpl, VMX_RULE_HOST_SEL_RPL_TI, 0 },
    { "host FS selector TI set", MB32, host_fs_ti, VMX_RULE_HOST_SEL_RPL_TI, 0 },
    { "host TR null", MB32, host_tr_null, VMX_RULE_HOST_SEL_NULL, 0 },
    { "host GDTR base not canonical", MB32, host_gdt_noncan, VMX_RULE_HOST_BASE_CANONICAL, 0 },
    { "32-bit host from IA-32e mode", MB32, host_32bit, VMX_RULE_HOST_ADDR_SPACE, 0 },
    { "host RIP not canonical", MB32, host_rip_noncan, VMX_RULE_HOST_ADDR_SPACE, 0 },
    { "64-bit host from outside IA-32e mode", MB32, NULL, VMX_RULE_HOST_ADDR_SPACE, 1 },
    { "guest CR0.NE clear", MB32, guest_cr0_no_ne, VMX_RULE_GUEST_CR0, 0 },
    { "guest CR0.PG without PE", MB32, guest_pg_no_pe, VMX_RULE_GUEST_CR0, 0 },
    { "guest CR4.VMXE clear", LINUX64, guest_cr4_no_vmxe, VMX_RULE_GUEST_CR4, 0 },
    { "guest IA32_DEBUGCTL reserved bit 3", MB32, guest_debugctl, VMX_RULE_GUEST_DEBUGCTL, 0 },
    { "64-bit guest without CR4.PAE", LINUX64, ia32e_no_pae, VMX_RULE_GUEST_IA32E_PAGING, 0 },
    { "CR4.PCIDE in a 32-bit guest", MB32, pcide_in_32bit, VMX_RULE_GUEST_IA32E_PAGING, 0 },
    { "guest CR3 beyond MAXPHYADDR", LINUX64, guest_cr3_wide, VMX_RULE_GUEST_CR3, 0 },
    { "guest DR7 bit 40", MB32, guest_dr7_high, VMX_RULE_GUEST_DR7, 0 },
    { "guest SYSENTER_ESP not canonical", MB32, guest_sysenter, VMX_RULE_GUEST_SYSENTER, 0 },
    { "guest PERF_GLOBAL_CTRL bit 20", MB32, guest_perf_glob, VMX_RULE_GUEST_PERF_GLOBAL, 0 },
    { "guest PAT entry type 3", LINUX64, guest_pat_3, VMX_RULE_GUEST_PAT, 0 },
    { "EFER.LMA in a 32-bit guest", MB32, efer_lma_no_ia32e, VMX_RULE_GUEST_EFER, 0 },
    { "EFER.LME != LMA with paging", LINUX64, efer_lme_not_lma, VMX_RULE_GUEST_EFER, 0 },
    { "TR selector TI set", MB32, tr_ti, VMX_RULE_SEG_SELECTOR, 0 },
    { "SS.RPL != CS.RPL without unrestricted guest", MB32_PAE, ss_rpl_ne_cs, VMX_RULE_SEG_SELECTOR, 0 },
    { "virtual-8086 mode with flat segments", MB32, v86_bad_seg, VMX_RULE_SEG_V86, 0 },
    { "FS base not canonical", LINUX64, fs_base_noncan, VMX_RULE_SEG_BASE, 0 },
    { "CS base above 4 GiB", MB32, cs_base_high, VMX_RULE_SEG_BASE, 0 },
    { "CS with a data type", MB32, cs_data_type, VMX_RULE_SEG_TYPE, 0 },
    { "SS with a code type", LINUX64, ss_code_type, VMX_RULE_SEG_TYPE, 0 },
    { "DS not accessed", MB32, ds_not_accessed, VMX_RULE_SEG_TYPE, 0 },
    { "ES a system segment", MB32, es_system, VMX_RULE_SEG_S, 0 },
    { "CS.DPL 3 with SS.DPL 0", MB32, cs_dpl_ne_ss, VMX_RULE_SEG_DPL, 0 },
    { "GS not present", MB32, gs_not_present, VMX_RULE_SEG_PRESENT, 0 },
    { "DS access-rights bit 9", MB32, ds_ar_reserved, VMX_RULE_SEG_AR_RESERVED, 0 },
    { "64-bit CS with D/B set", LINUX64, cs_l_and_d, VMX_RULE_SEG_CS_L_D, 0 },
    { "SS limit FFFFEH (bits 11:0 not all ones) with G", MB32, ss_g_small_limit, VMX_RULE_SEG_GRANULARITY, 0 },
    { "DS limit 4 GiB without G", LINUX64, ds_nog_big_limit, VMX_RULE_SEG_GRANULARITY, 0 },
    { "TR unusable", MB32, tr_unusable, VMX_RULE_SEG_TR, 0 },
    { "16-bit TSS in a 64-bit guest", LINUX64, tr_16bit_in_64, VMX_RULE_SEG_TR, 0 },
    { "usable LDTR of type 3", MB32, ldtr_usable_bad, VMX_RULE_SEG_LDTR, 0 },
    { "GDTR limit above FFFFH", MB32, gdtr_limit_wide, VMX_RULE_DTR, 0 },
    { "IDTR base not canonical", LINUX64, idtr_noncan, VMX_RULE_DTR, 0 },
    { "RIP above 4 GiB in 32-bit code", MB32, rip_high_32bit, VMX_RULE_RIP, 0 },
    { "RIP not canonical in 64-bit code", LINUX64, rip_noncan_64, VMX_RULE_RIP, 0 },
    { "RFLAGS bit 1 clear", MB32, rflags_bit1, VMX_RULE_RFLAGS_RESERVED, 0 },
    { "RFLAGS bit 15 set", LINUX64, rflags_bit15, VMX_RULE_RFLAGS_RESERVED, 0 },
    { "RFLAGS.VM in a 64-bit guest", LINUX64, rflags_vm_64, VMX_RULE_RFLAGS_VM, 0 },
    { "external interrupt injected with IF=0", MB32, inject_ext_if0, VMX_RULE_RFLAGS_IF, 0 },
    { "activity state 4", MB32, activity_bad, VMX_RULE_ACTIVITY, 0 },
    { "HLT state with STI blocking", MB32, hlt_with_sti, VMX_RULE_ACTIVITY, 0 },
    { "STI and MOV-SS blocking both", MB32, sti_and_movss, VMX_RULE_INTERRUPTIBILITY, 0 },
    { "STI blocking with IF=0", MB32, sti_if0, VMX_RULE_INTERRUPTIBILITY, 0 },
    { "SMI blocking outside SMM", LINUX64, smi_blocking, VMX_RULE_INTERRUPTIBILITY, 0 },
    { "NMI injected while NMIs are blocked (virtual NMIs)", MB32, nmi_into_blocked, VMX_RULE_INTERRUPTIBILITY, 0 },
    { "pending debug exceptions bit 5", MB32, pdbg_reserved, VMX_RULE_PENDING_DBG, 0 },
    { "BS pending with TF=0 under MOV-SS blocking", MB32, pdbg_bs_no_tf, VMX_RULE_PENDING_DBG, 0 },
    { "VMCS link pointer misaligned", MB32, link_ptr_unal, VMX_RULE_LINK_POINTER, 0 },
    { "PDPTE1 reserved bit 7", MB32_PAE, pdpte_reserved, VMX_RULE_PDPTE, 0 },
    { "PDPTE0 beyond MAXPHYADDR", MB32_PAE, pdpte_wide, VMX_RULE_PDPTE, 0 },
};
#define N_BROKEN (sizeof(broken_images) / sizeof(broken_images[0]))

/* Each broken image fails with its rule on both CPUs, except activity state 3 (wait-for-SIPI),
 * which Bochs allows and the strict CPU does not. */
static void check_broken(const struct broken *b, const struct vmx_cap_msrs *m, const char *cpu)
{
    struct vmcs_image img = build(m, b->kind);
    struct vmx_check_result r;
    if (b->mutate)
        b->mutate(&img);
    enum vmx_rule got = vmx_entry_check(&img, m, !b->not_ia32e_host, &r);
    if (got != b->rule)
        fail_msg("%s on %s: expected %s, got %s (%s: %s)", b->name, cpu, vmx_rule_name(b->rule),
                 vmx_rule_name(got), r.section, r.what);
    assert_string_equal(r.section, vmx_rule_section(b->rule));
    assert_true(strlen(r.text) > 20);
}

static void test_broken(void **state)
{
    const struct broken *b = *state;
    check_broken(b, &bochs_skylake_x, "Bochs skylake_x");
    check_broken(b, &strict_cpu, "strict CPU");
}

/* Activity states follow IA32_VMX_MISC[8:6]: wait-for-SIPI is accepted on Bochs, refused on a
 * CPU that reports only HLT. */
static void test_activity_states_follow_misc(void **state)
{
    (void)state;
    struct vmcs_image a = build(&bochs_skylake_x, MB32), b = build(&strict_cpu, MB32);
    activity_sipi(&a);
    activity_sipi(&b);
    assert_int_equal(vmx_entry_check(&a, &bochs_skylake_x, 1, NULL), VMX_RULE_NONE);
    assert_int_equal(vmx_entry_check(&b, &strict_cpu, 1, NULL), VMX_RULE_ACTIVITY);
}

/* The rules' order is the SDM's: an image broken in a control and in the guest state reports
 * the control (a VMfailValid, not an exit with reason 33). */
static void test_first_rule_in_sdm_order(void **state)
{
    (void)state;
    struct vmcs_image v = build(&bochs_skylake_x, LINUX64);
    rip_noncan_64(&v);
    host_cr0_no_ne(&v);
    assert_int_equal(vmx_entry_check(&v, &bochs_skylake_x, 1, NULL), VMX_RULE_HOST_CR0);
    vpid_zero(&v);
    assert_int_equal(vmx_entry_check(&v, &bochs_skylake_x, 1, NULL), VMX_RULE_VPID_ZERO);
}

/* Every rule has an SDM section of 26.2.x or 26.3.x and a text; rule families covered by a
 * broken image above: all but NONE. */
static void test_every_rule_has_a_broken_image(void **state)
{
    (void)state;
    for (int r = 1; r < VMX_RULE_COUNT; r++) {
        int covered = 0;
        assert_true(strncmp(vmx_rule_section(r), "26.", 3) == 0);
        for (unsigned i = 0; i < N_BROKEN; i++)
            covered |= broken_images[i].rule == (enum vmx_rule)r;
        if (!covered)
            fail_msg("rule %s has no broken image", vmx_rule_name(r));
    }
}

int main(void)
{
    struct CMUnitTest tests[4 + N_BROKEN + 1];
    static char names[N_BROKEN][96];
    unsigned n = 0;
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_perfvisor_images_pass_on_bochs);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_perfvisor_images_pass_on_strict_cpu);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_activity_states_follow_misc);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_first_rule_in_sdm_order);
    for (unsigned i = 0; i < N_BROKEN; i++) {
        snprintf(names[i], sizeof(names[i]), "broken: %s -> %s", broken_images[i].name,
                 vmx_rule_name(broken_images[i].rule));
        tests[n] = (struct CMUnitTest)cmocka_unit_test_prestate(test_broken, (void *)&broken_images[i]);
        tests[n++].name = names[i];
    }
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_every_rule_has_a_broken_image);
    return _cmocka_run_group_tests("vmx_entry_check", tests, n, vmx_images_setup, vmx_images_teardown);
}
