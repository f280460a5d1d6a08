/* A VMCS as plain data: every field perfvisor writes before the first VM entry, and the
 * capability MSRs that decide which values are legal.  vmcs_image.c builds the image from the
 * VMX capabilities and a guest's start state without touching the CPU, so the same code serves
 * vmx_vcpu.c (which VMWRITEs it) and the host unit tests (which check it with
 * vmx_entry_check.c).  Nothing here executes a VMX instruction. */
#ifndef ARCH_X86_VMX_VMCS_IMAGE_H
#define ARCH_X86_VMX_VMCS_IMAGE_H

#include <stdint.h>

#include "arch/x86/vmx/vmx.h"
#include "hv/guest_boot.h"

/* The guest segment registers, in the order of their VMCS encodings (SDM Vol. 3D B.1.2). */
enum vmx_seg_index { VSEG_ES, VSEG_CS, VSEG_SS, VSEG_DS, VSEG_FS, VSEG_GS, VSEG_LDTR, VSEG_TR,
                     VSEG_COUNT };

struct vmx_seg {
    uint16_t sel;
    uint64_t base;
    uint32_t limit;
    uint32_t ar;                       /* access rights, VMCS format (SDM Vol. 3C 25.4.1) */
};

/* Guest segment access rights in the VMCS format (SDM Vol. 3C 25.4.1, Table 25-2; descriptor
 * types from Vol. 3A 3.4.5.1 Table 3-1 and 7.2.2). */
#define AR_TYPE(ar)      ((ar) & 0xF)
#define AR_S             (1u << 4)    /* code/data (1) or system (0) descriptor */
#define AR_DPL(ar)       (((ar) >> 5) & 3)
#define AR_P             (1u << 7)    /* present */
#define AR_L             (1u << 13)   /* 64-bit code */
#define AR_DB            (1u << 14)   /* default operation size */
#define AR_G             (1u << 15)   /* granularity */
#define AR_UNUSABLE      (1u << 16)   /* segment unusable */
#define AR_CODE32        0xC09Bu      /* G, D/B, P, S, type 11 (code exec/read accessed) */
#define AR_CODE64        0xA09Bu      /* G, L, P, S, type 11: 64-bit code (L=1 needs D=0) */
#define AR_DATA32        0xC093u      /* G, D/B, P, S, type 3 (data read/write accessed) */
#define AR_TSS32_BUSY    0x008Bu      /* P, type 11 (busy 32-bit TSS) */

struct vmcs_image {
    /* VM-execution, VM-exit and VM-entry control fields (SDM Vol. 3C 25.6-25.8) */
    uint32_t pin, proc, proc2, exit, entry;
    uint32_t exception_bitmap, pf_error_mask, pf_error_match, cr3_target_count;
    uint64_t io_bitmap_a, io_bitmap_b, msr_bitmap, eptp, tsc_offset;
    uint16_t vpid;
    uint64_t cr0_mask, cr4_mask, cr0_shadow, cr4_shadow;
    uint32_t exit_msr_store_count, exit_msr_load_count, entry_msr_load_count;
    uint64_t exit_msr_store_addr, exit_msr_load_addr, entry_msr_load_addr;
    uint32_t entry_intr_info, entry_error_code, entry_insn_len;

    /* host-state area (25.5) */
    uint64_t host_cr0, host_cr3, host_cr4;
    uint16_t host_sel[VSEG_COUNT];     /* ES CS SS DS FS GS, [VSEG_LDTR] unused, TR */
    uint64_t host_fs_base, host_gs_base, host_tr_base, host_gdtr_base, host_idtr_base;
    uint32_t host_sysenter_cs;
    uint64_t host_sysenter_esp, host_sysenter_eip;
    uint64_t host_efer, host_pat, host_perf_global_ctrl;
    uint64_t host_rsp, host_rip;

    /* guest-state area (25.4) */
    uint64_t cr0, cr3, cr4, dr7;
    uint64_t rsp, rip, rflags;
    struct vmx_seg seg[VSEG_COUNT];
    uint64_t gdtr_base, idtr_base;
    uint32_t gdtr_limit, idtr_limit;
    uint64_t debugctl, pat, efer, perf_global_ctrl;
    uint32_t sysenter_cs;
    uint64_t sysenter_esp, sysenter_eip;
    uint32_t interruptibility, activity, preemption_timer;
    uint64_t pending_dbg;
    uint64_t link_pointer;
    uint64_t pdpte[4];
};

/* The VMX capability MSRs as read (SDM Vol. 3D Appendix A): the checker's model of the CPU.
 * pin/proc/exit/entry are the TRUE_ MSRs when IA32_VMX_BASIC bit 55 says they exist. */
struct vmx_cap_msrs {
    uint64_t basic, pin, proc, proc2, exit, entry, misc;
    uint64_t cr0_fixed0, cr0_fixed1, cr4_fixed0, cr4_fixed1, ept_vpid;
    unsigned maxphyaddr;               /* CPUID.80000008H:EAX[7:0] */
    uint64_t perf_global_ctrl_valid;   /* IA32_PERF_GLOBAL_CTRL bits that exist (CPUID.0AH) */
};

/* The host registers VM exits return to: what vmx_vcpu.c reads from the running CPU. */
struct vmx_host_regs {
    uint64_t cr0, cr3, cr4, efer, pat;
    uint16_t cs, ds, tr;               /* ds is also ES and SS; FS and GS are null */
    uint64_t tr_base, gdtr_base, idtr_base, rip;
};

/* What the VMCS of a domain refers to outside itself. */
struct vmx_vcpu_refs {
    uint64_t msr_bitmap, eptp;
    uint16_t vpid;                     /* the domain's id: 0 is the host's */
};

/* The control fields of a new vCPU's VMCS, from the probed controls (vmx_caps). */
void vmcs_image_controls(struct vmcs_image *img, const struct vmx_caps *caps,
                         const struct guest_boot_state *st, const struct vmx_vcpu_refs *refs);
/* The host-state fields. */
void vmcs_image_host(struct vmcs_image *img, const struct vmx_host_regs *host);
/* The guest-state fields for the loader's start state (hv/guest_boot.h). */
void vmcs_image_guest(struct vmcs_image *img, const struct vmx_caps *caps,
                      const struct guest_boot_state *st);
/* CR0/CR4 bits the hypervisor owns (the guest/host masks). */
uint64_t vmcs_image_cr0_owned(const struct vmx_caps *caps);
uint64_t vmcs_image_cr4_owned(const struct vmx_caps *caps);

/* The VMCS fields of an image, one row each: encoding, where it lives in the struct, its
 * size there, and when it exists.  vmx_vcpu.c writes an image with it, vmx_entry_check's
 * debug hook reads the current VMCS back into one. */
enum { VMCS_FIELD_ALWAYS, VMCS_FIELD_IF_VPID, VMCS_FIELD_IF_ENTRY_PERF, VMCS_FIELD_IF_EXIT_PERF,
       VMCS_FIELD_READ_ONLY_HERE /* written by vmx_entry.asm before each entry */ };
struct vmcs_image_field {
    uint16_t encoding;
    uint16_t offset;
    uint8_t size;
    uint8_t when;
};
extern const struct vmcs_image_field vmcs_image_fields[];
extern const unsigned vmcs_image_field_count;
/* Whether a row's field exists for this image (its own controls decide). */
int vmcs_image_field_present(const struct vmcs_image *img, const struct vmcs_image_field *f);

#endif
