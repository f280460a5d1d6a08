/* The checks a processor makes at VM entry on the VMX controls, the host-state area and the
 * guest-state area (SDM Vol. 3C 26.2 and 26.3), as a pure function over a VMCS image and the
 * capability MSRs.  Bochs makes most of them, real CPUs and nested KVM all of them: a VMCS
 * perfvisor builds must pass here, so a violation shows up in a host unit test or a debug
 * build's boot log (make VMX_CHECK=1) instead of a VM-entry failure on hardware.
 *
 * Not checked, because perfvisor never sets the controls they govern (the checker fails any
 * image that sets them: VMX_RULE_UNMODELLED_CONTROL): TPR shadow and the APIC virtualisation
 * controls, posted interrupts, VMCS shadowing, PML, EPT-violation #VE, VM functions, SPP,
 * Intel PT, CET, PKS, the SMM and dual-monitor controls, the executive-VMCS pointer. */
#ifndef ARCH_X86_VMX_VMX_ENTRY_CHECK_H
#define ARCH_X86_VMX_VMX_ENTRY_CHECK_H

#include "arch/x86/vmx/vmcs_image.h"

/* id, SDM Vol. 3C section, the rule */
#define VMX_RULES(R) \
R(NONE,                 "",         "no rule broken") \
R(UNMODELLED_CONTROL,   "26.2.1",   "a control the checker has no rules for is set") \
R(PIN_CTLS,             "26.2.1.1", "pin-based controls: reserved bits must follow IA32_VMX_(TRUE_)PINBASED_CTLS") \
R(PROC_CTLS,            "26.2.1.1", "primary processor-based controls: reserved bits must follow IA32_VMX_(TRUE_)PROCBASED_CTLS") \
R(PROC2_CTLS,           "26.2.1.1", "secondary processor-based controls: reserved bits must follow IA32_VMX_PROCBASED_CTLS2") \
R(CR3_TARGET_COUNT,     "26.2.1.1", "the CR3-target count must not exceed IA32_VMX_MISC[24:16]") \
R(IO_BITMAP_ADDR,       "26.2.1.1", "with I/O bitmaps, both bitmap addresses must be 4-KByte aligned and within the physical-address width") \
R(MSR_BITMAP_ADDR,      "26.2.1.1", "with MSR bitmaps, the MSR-bitmap address must be 4-KByte aligned and within the physical-address width") \
R(NMI_CONTROLS,         "26.2.1.1", "virtual NMIs need NMI exiting, and NMI-window exiting needs virtual NMIs") \
R(VPID_ZERO,            "26.2.1.1", "with enable VPID, the VPID must not be 0000H") \
R(EPTP,                 "26.2.1.1", "with enable EPT, the EPT pointer must have a supported memory type, a supported page-walk length, A/D only if supported, and reserved bits clear") \
R(UNRESTRICTED_NO_EPT,  "26.2.1.1", "unrestricted guest needs enable EPT") \
R(EXIT_CTLS,            "26.2.1.2", "VM-exit controls: reserved bits must follow IA32_VMX_(TRUE_)EXIT_CTLS") \
R(SAVE_TIMER_NO_TIMER,  "26.2.1.2", "save VMX-preemption timer value needs activate VMX-preemption timer") \
R(EXIT_MSR_AREA,        "26.2.1.2", "the VM-exit MSR-store and MSR-load addresses must be 16-byte aligned and their areas within the physical-address width") \
R(ENTRY_CTLS,           "26.2.1.3", "VM-entry controls: reserved bits must follow IA32_VMX_(TRUE_)ENTRY_CTLS") \
R(ENTRY_INTR_TYPE,      "26.2.1.3", "VM-entry interruption information: the type must not be reserved (1), an NMI has vector 2, a hardware exception vector <= 31, other event needs monitor trap flag and vector 0") \
R(ENTRY_INTR_ERRCODE,   "26.2.1.3", "VM-entry interruption information: deliver error code iff a hardware exception that has one (8, 10-14, 17, 21) in protected mode; bits 30:12 clear; error code bits 31:16 clear") \
R(ENTRY_INSN_LEN,       "26.2.1.3", "VM-entry instruction length must be 1-15 for software interrupts and software exceptions") \
R(ENTRY_MSR_AREA,       "26.2.1.3", "the VM-entry MSR-load address must be 16-byte aligned and its area within the physical-address width") \
R(ENTRY_SMM,            "26.2.1.3", "entry to SMM and deactivate dual-monitor treatment must be 0 outside SMM") \
R(HOST_CR0,             "26.2.2",   "host CR0 must have the bits IA32_VMX_CR0_FIXED0 sets and none IA32_VMX_CR0_FIXED1 clears") \
R(HOST_CR4,             "26.2.2",   "host CR4 must have the bits IA32_VMX_CR4_FIXED0 sets and none IA32_VMX_CR4_FIXED1 clears") \
R(HOST_CR3,             "26.2.2",   "host CR3 must not set bits beyond the physical-address width") \
R(HOST_SYSENTER,        "26.2.2",   "host IA32_SYSENTER_ESP and IA32_SYSENTER_EIP must be canonical") \
R(HOST_PERF_GLOBAL,     "26.2.2",   "with load IA32_PERF_GLOBAL_CTRL on exit, its reserved bits must be clear") \
R(HOST_PAT,             "26.2.2",   "with load IA32_PAT on exit, every PAT entry must be 0, 1, 4, 5, 6 or 7") \
R(HOST_EFER,            "26.2.2",   "with load IA32_EFER on exit, reserved bits clear and LMA = LME = host address-space size") \
R(HOST_SEL_RPL_TI,      "26.2.3",   "host ES, CS, SS, DS, FS, GS and TR selectors must have RPL 0 and TI 0") \
R(HOST_SEL_NULL,        "26.2.3",   "host CS and TR selectors must not be 0000H (nor SS outside 64-bit)") \
R(HOST_BASE_CANONICAL,  "26.2.3",   "host FS, GS, GDTR, IDTR and TR bases must be canonical") \
R(HOST_ADDR_SPACE,      "26.2.4",   "in IA-32e mode the host address-space size exit control must be 1, with host CR4.PAE 1 and a canonical host RIP") \
R(GUEST_CR0,            "26.3.1.1", "guest CR0 must follow IA32_VMX_CR0_FIXED0/1 (PE and PG free with unrestricted guest), and PG needs PE") \
R(GUEST_CR4,            "26.3.1.1", "guest CR4 must have the bits IA32_VMX_CR4_FIXED0 sets and none IA32_VMX_CR4_FIXED1 clears") \
R(GUEST_DEBUGCTL,       "26.3.1.1", "with load debug controls, IA32_DEBUGCTL's reserved bits (2-5, 16-63) must be clear") \
R(GUEST_IA32E_PAGING,   "26.3.1.1", "an IA-32e mode guest needs CR0.PG and CR4.PAE; outside it CR4.PCIDE must be 0") \
R(GUEST_CR3,            "26.3.1.1", "guest CR3 must not set bits beyond the physical-address width") \
R(GUEST_DR7,            "26.3.1.1", "with load debug controls, DR7 bits 63:32 must be clear") \
R(GUEST_SYSENTER,       "26.3.1.1", "guest IA32_SYSENTER_ESP and IA32_SYSENTER_EIP must be canonical") \
R(GUEST_PERF_GLOBAL,    "26.3.1.1", "with load IA32_PERF_GLOBAL_CTRL on entry, its reserved bits must be clear") \
R(GUEST_PAT,            "26.3.1.1", "with load IA32_PAT on entry, every PAT entry must be 0, 1, 4, 5, 6 or 7") \
R(GUEST_EFER,           "26.3.1.1", "with load IA32_EFER on entry, reserved bits clear, LMA = IA-32e mode guest, and LME = LMA when CR0.PG is 1") \
R(SEG_SELECTOR,         "26.3.1.2", "TR and a usable LDTR must have TI 0; SS.RPL must equal CS.RPL (unless unrestricted guest)") \
R(SEG_V86,              "26.3.1.2", "in virtual-8086 mode every segment's base is selector << 4, limit FFFFH and access rights F3H") \
R(SEG_BASE,             "26.3.1.2", "TR, FS, GS and a usable LDTR base must be canonical; CS, and usable SS, DS, ES bases must have bits 63:32 clear") \
R(SEG_TYPE,             "26.3.1.2", "access rights type: CS 9, 11, 13, 15 (or 3 with unrestricted guest); SS 3 or 7; DS, ES, FS, GS accessed, and readable if code") \
R(SEG_S,                "26.3.1.2", "CS and usable SS, DS, ES, FS, GS must be code or data segments (S = 1)") \
R(SEG_DPL,              "26.3.1.2", "DPL: CS type 3 needs DPL 0; non-conforming CS DPL = SS.DPL, conforming CS DPL <= SS.DPL; SS.DPL = SS.RPL, and 0 when CS type 3 or CR0.PE = 0; data DPL >= RPL") \
R(SEG_PRESENT,          "26.3.1.2", "CS and usable SS, DS, ES, FS, GS must be present (P = 1)") \
R(SEG_AR_RESERVED,      "26.3.1.2", "access-rights bits 11:8 and 31:17 must be clear in every usable segment") \
R(SEG_CS_L_D,           "26.3.1.2", "an IA-32e mode guest's CS with L = 1 must have D/B = 0") \
R(SEG_GRANULARITY,      "26.3.1.2", "G must be 0 when any of limit bits 11:0 is 0, and 1 when any of limit bits 31:20 is 1") \
R(SEG_TR,               "26.3.1.2", "TR must be usable, present, a system segment (S = 0) of type 11 (busy 32/64-bit TSS), or 3 outside IA-32e mode") \
R(SEG_LDTR,             "26.3.1.2", "a usable LDTR must be present, a system segment (S = 0) of type 2") \
R(DTR,                  "26.3.1.3", "GDTR and IDTR bases must be canonical and their limits' bits 31:16 clear") \
R(RIP,                  "26.3.1.4", "RIP bits 63:32 must be clear outside 64-bit code, and RIP canonical in it") \
R(RFLAGS_RESERVED,      "26.3.1.4", "RFLAGS bits 63:22, 15, 5 and 3 must be clear and bit 1 set") \
R(RFLAGS_VM,            "26.3.1.4", "RFLAGS.VM must be 0 in an IA-32e mode guest or with CR0.PE = 0") \
R(RFLAGS_IF,            "26.3.1.4", "RFLAGS.IF must be 1 when an external interrupt is injected") \
R(ACTIVITY,             "26.3.1.5", "the activity state must be one IA32_VMX_MISC allows; HLT needs SS.DPL 0; STI or MOV-SS blocking needs the active state; an injected event must be one the state accepts") \
R(INTERRUPTIBILITY,     "26.3.1.5", "interruptibility: bits 31:5 clear, not STI and MOV-SS blocking both, STI blocking needs RFLAGS.IF, no STI/MOV-SS blocking when injecting an external interrupt, no MOV-SS blocking or (virtual NMIs) NMI blocking when injecting an NMI, no SMI blocking outside SMM") \
R(PENDING_DBG,          "26.3.1.5", "pending debug exceptions: reserved bits clear; with STI/MOV-SS blocking or HLT, BS = 1 iff RFLAGS.TF = 1 and IA32_DEBUGCTL.BTF = 0") \
R(LINK_POINTER,         "26.3.1.5", "the VMCS link pointer must be all ones, or 4-KByte aligned within the physical-address width") \
R(PDPTE,                "26.3.1.6", "with PAE paging outside IA-32e mode (and EPT), a present PDPTE must have its reserved bits clear")

enum vmx_rule {
#define VMX_RULE_ENUM(id, sec, text) VMX_RULE_##id,
    VMX_RULES(VMX_RULE_ENUM)
#undef VMX_RULE_ENUM
    VMX_RULE_COUNT
};

struct vmx_check_result {
    enum vmx_rule rule;
    const char *section;               /* "26.3.1.2" */
    const char *text;                  /* the rule */
    const char *what;                  /* the field or segment, e.g. "CS"; "" if none */
};

/* First rule the image breaks on this CPU (VMX_RULE_NONE: the entry checks pass), in SDM
 * order: controls, host state, guest state.  `in_ia32e` is whether the CPU doing the entry
 * runs in IA-32e mode (26.2.4); perfvisor always does. */
enum vmx_rule vmx_entry_check(const struct vmcs_image *img, const struct vmx_cap_msrs *caps,
                              int in_ia32e, struct vmx_check_result *out);

/* The rule's SDM section and text. */
const char *vmx_rule_section(enum vmx_rule r);
const char *vmx_rule_text(enum vmx_rule r);
const char *vmx_rule_name(enum vmx_rule r);   /* "SEG_TYPE" */

#endif
