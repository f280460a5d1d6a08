/* Model-specific register numbers (SDM Vol. 4, Chapter 2 "Model-Specific Registers"). */
#ifndef ARCH_X86_MSR_H
#define ARCH_X86_MSR_H

#define MSR_IA32_TSC               0x010
#define MSR_IA32_APIC_BASE         0x01B
#define MSR_IA32_FEATURE_CONTROL   0x03A
#define   FEATURE_CONTROL_LOCK         (1ull << 0)
#define   FEATURE_CONTROL_VMX_OUTSIDE_SMX (1ull << 2)
#define MSR_IA32_SYSENTER_CS       0x174
#define MSR_IA32_SYSENTER_ESP      0x175
#define MSR_IA32_SYSENTER_EIP      0x176
#define MSR_IA32_MCG_CAP           0x179   /* machine-check capabilities (Vol. 3B 16.3.1.1) */
#define MSR_IA32_MISC_ENABLE       0x1A0
#define MISC_ENABLE_FAST_STRINGS   (1ull << 0)
#define MISC_ENABLE_LIMIT_CPUID    (1ull << 22)  /* CPUID.0:EAX reports at most 2 */
#define MSR_IA32_PAT               0x277

#define MSR_IA32_VMX_BASIC         0x480   /* SDM Vol. 3D A.1 */
#define MSR_IA32_VMX_PINBASED_CTLS 0x481   /* A.3.1 */
#define MSR_IA32_VMX_PROCBASED_CTLS 0x482  /* A.3.2 */
#define MSR_IA32_VMX_EXIT_CTLS     0x483   /* A.4 */
#define MSR_IA32_VMX_ENTRY_CTLS    0x484   /* A.5 */
#define MSR_IA32_VMX_MISC          0x485   /* A.6 */
#define MSR_IA32_VMX_CR0_FIXED0    0x486   /* A.7 */
#define MSR_IA32_VMX_CR0_FIXED1    0x487
#define MSR_IA32_VMX_CR4_FIXED0    0x488   /* A.8 */
#define MSR_IA32_VMX_CR4_FIXED1    0x489
#define MSR_IA32_VMX_PROCBASED_CTLS2 0x48B /* A.3.3 */
#define MSR_IA32_VMX_EPT_VPID_CAP  0x48C   /* A.10 */
#define MSR_IA32_VMX_TRUE_PINBASED_CTLS  0x48D
#define MSR_IA32_VMX_TRUE_PROCBASED_CTLS 0x48E
#define MSR_IA32_VMX_TRUE_EXIT_CTLS      0x48F
#define MSR_IA32_VMX_TRUE_ENTRY_CTLS     0x490

#define MSR_IA32_EFER              0xC0000080
#define   EFER_SCE (1ull << 0)     /* SYSCALL enable */
#define   EFER_LME (1ull << 8)     /* long mode enable */
#define   EFER_LMA (1ull << 10)    /* long mode active (read-only) */
#define   EFER_NXE (1ull << 11)    /* no-execute enable */
#define MSR_IA32_STAR              0xC0000081
#define MSR_IA32_LSTAR             0xC0000082
#define MSR_IA32_CSTAR             0xC0000083
#define MSR_IA32_FMASK             0xC0000084
#define MSR_IA32_FS_BASE           0xC0000100
#define MSR_IA32_GS_BASE           0xC0000101
#define MSR_IA32_KERNEL_GS_BASE    0xC0000102
#define MSR_IA32_TSC_AUX           0xC0000103

#endif
