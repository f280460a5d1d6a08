/* The vCPU state a loader leaves at a guest's first instruction, in neutral terms: hv/ fills it
 * (multiboot: hv/guest_mbinfo.c's handoff; Linux: hv/linux_loader.c's 64-bit entry) and arch/
 * applies it to the VMCS (vmx_vcpu.c setup_guest_state). */
#ifndef HV_GUEST_BOOT_H
#define HV_GUEST_BOOT_H

#include <stdint.h>

struct guest_boot_state {
    int long_mode;                 /* 1: 64-bit code (EFER.LME/LMA, CS.L); 0: 32-bit protected */
    uint64_t rip, rsp, rax, rbx, rsi;
    uint64_t cr0, cr3, cr4, efer;  /* CR0 as the guest reads it; VMX's fixed bits are added */
    uint16_t cs, ds;               /* CS; DS is also SS, ES, FS, GS (all flat, base 0) */
    uint64_t gdtr_base;
    uint16_t gdtr_limit;
};

#endif
