/* The VMX controls perfvisor asks for, each with why (vmx_probe.c applies them to the
 * capability MSRs; the host unit tests apply them to recorded capability MSRs to build the
 * same VMCS images).  Required: without it perfvisor does not run; optional: used if allowed. */
#ifndef ARCH_X86_VMX_VMX_CONTROLS_H
#define ARCH_X86_VMX_VMX_CONTROLS_H

#include <stdint.h>

#include "arch/x86/vmx/vmx.h"

#define VMX_PIN_REQUIRED (PIN_EXTERNAL_INTERRUPT_EXITING /* host interrupts never reach a guest */ \
    | PIN_NMI_EXITING                  /* NMIs belong to the host (PMU overflow later) */     \
    | PIN_VIRTUAL_NMIS                 /* NMI blocking tracked per guest */                   \
    | PIN_PREEMPTION_TIMER)            /* time slices and the software sampling backend */
#define VMX_PIN_OPTIONAL 0u

#define VMX_PROC_REQUIRED (PROC_HLT_EXITING /* HLT with IF=0 ends a domain */                 \
    | PROC_UNCONDITIONAL_IO_EXITING    /* every port is emulated or ignored, never real */    \
    | PROC_USE_MSR_BITMAPS             /* only the MSRs we emulate exit */                    \
    | PROC_RDPMC_EXITING               /* RDPMC reads the guest's virtual PMU */              \
    | PROC_CR8_LOAD_EXITING            /* a 64-bit guest's CR8 is its virtual TPR, */         \
    | PROC_CR8_STORE_EXITING           /* never the physical one (SDM 11.8.6.5) */            \
    | PROC_ACTIVATE_SECONDARY)         /* EPT and unrestricted guest live there */
#define VMX_PROC_OPTIONAL (PROC_MWAIT_EXITING | PROC_MONITOR_EXITING)

#define VMX_PROC2_REQUIRED (PROC2_ENABLE_EPT /* domains are isolated by EPT */                \
    | PROC2_UNRESTRICTED_GUEST)        /* guests start in protected mode without paging */
#define VMX_PROC2_OPTIONAL (PROC2_ENABLE_VPID | PROC2_ENABLE_RDTSCP | PROC2_ENABLE_INVPCID)

#define VMX_EXIT_REQUIRED (EXIT_HOST_ADDR_SPACE_SIZE /* the hypervisor is 64-bit */           \
    | EXIT_SAVE_IA32_EFER | EXIT_LOAD_IA32_EFER  /* guests switch long mode on their own */   \
    | EXIT_SAVE_IA32_PAT | EXIT_LOAD_IA32_PAT                                                 \
    | EXIT_SAVE_PREEMPTION_TIMER       /* a slice continues across exits */                   \
    | EXIT_ACK_INTERRUPT_ON_EXIT                                                              \
    | EXIT_SAVE_DEBUG_CONTROLS)        /* the guest's DR7/IA32_DEBUGCTL survive exits */
#define VMX_EXIT_OPTIONAL 0u

#define VMX_ENTRY_REQUIRED (ENTRY_LOAD_IA32_EFER | ENTRY_LOAD_IA32_PAT                         \
    | ENTRY_LOAD_DEBUG_CONTROLS)       /* each domain has its own DR7 and IA32_DEBUGCTL */
#define VMX_ENTRY_OPTIONAL 0u

/* Allowed-0 settings (bits 31:0) must be 1, allowed-1 settings (bits 63:32) may be 1
 * (SDM Vol. 3D A.3-A.5): the control value with the optional bits the CPU allows. */
static inline uint32_t vmx_ctl_adjust(uint64_t cap, uint32_t required, uint32_t optional)
{
    return ((uint32_t)cap | required | optional) & (uint32_t)(cap >> 32);
}

/* The required bits the CPU does not allow (0: all allowed). */
static inline uint32_t vmx_ctl_missing(uint64_t cap, uint32_t required)
{
    return required & ~(uint32_t)(cap >> 32);
}

#endif
