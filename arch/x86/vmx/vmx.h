/* VMX controls, exit reasons and the VMX state of a vCPU. */
#ifndef ARCH_X86_VMX_VMX_H
#define ARCH_X86_VMX_VMX_H

#include <stdint.h>

/* Pin-based VM-execution controls (SDM Vol. 3C 25.6.1, Table 25-5) */
#define PIN_EXTERNAL_INTERRUPT_EXITING (1u << 0)
#define PIN_NMI_EXITING                (1u << 3)
#define PIN_VIRTUAL_NMIS               (1u << 5)
#define PIN_PREEMPTION_TIMER           (1u << 6)

/* Primary processor-based controls (25.6.2, Table 25-6) */
#define PROC_INTERRUPT_WINDOW_EXITING  (1u << 2)
#define PROC_HLT_EXITING               (1u << 7)
#define PROC_INVLPG_EXITING            (1u << 9)
#define PROC_MWAIT_EXITING             (1u << 10)
#define PROC_RDPMC_EXITING             (1u << 11)
#define PROC_RDTSC_EXITING             (1u << 12)
#define PROC_CR3_LOAD_EXITING          (1u << 15)
#define PROC_CR3_STORE_EXITING         (1u << 16)
#define PROC_CR8_LOAD_EXITING          (1u << 19)   /* MOV to CR8 exits (64-bit guests' TPR) */
#define PROC_CR8_STORE_EXITING         (1u << 20)   /* MOV from CR8 exits */
#define PROC_NMI_WINDOW_EXITING        (1u << 22)
#define PROC_MOV_DR_EXITING            (1u << 23)
#define PROC_UNCONDITIONAL_IO_EXITING  (1u << 24)
#define PROC_USE_IO_BITMAPS            (1u << 25)
#define PROC_MONITOR_TRAP_FLAG         (1u << 27)
#define PROC_USE_MSR_BITMAPS           (1u << 28)
#define PROC_MONITOR_EXITING           (1u << 29)
#define PROC_ACTIVATE_SECONDARY        (1u << 31)

/* Secondary processor-based controls (25.6.2, Table 25-7) */
#define PROC2_ENABLE_EPT               (1u << 1)
#define PROC2_ENABLE_RDTSCP            (1u << 3)
#define PROC2_ENABLE_VPID              (1u << 5)
#define PROC2_UNRESTRICTED_GUEST       (1u << 7)
#define PROC2_ENABLE_INVPCID           (1u << 12)

/* VM-exit controls (25.7.1, Table 25-13) */
#define EXIT_SAVE_DEBUG_CONTROLS       (1u << 2)    /* guest DR7, IA32_DEBUGCTL -> VMCS (28.3.1) */
#define EXIT_HOST_ADDR_SPACE_SIZE      (1u << 9)    /* host is 64-bit */
#define EXIT_LOAD_PERF_GLOBAL_CTRL     (1u << 12)
#define EXIT_ACK_INTERRUPT_ON_EXIT     (1u << 15)
#define EXIT_SAVE_IA32_PAT             (1u << 18)
#define EXIT_LOAD_IA32_PAT             (1u << 19)
#define EXIT_SAVE_IA32_EFER            (1u << 20)
#define EXIT_LOAD_IA32_EFER            (1u << 21)
#define EXIT_SAVE_PREEMPTION_TIMER     (1u << 22)

/* VM-entry controls (25.8.1, Table 25-15) */
#define ENTRY_LOAD_DEBUG_CONTROLS      (1u << 2)    /* VMCS -> guest DR7, IA32_DEBUGCTL (27.3.2.1) */
#define ENTRY_IA32E_MODE_GUEST         (1u << 9)
#define ENTRY_LOAD_PERF_GLOBAL_CTRL    (1u << 13)
#define ENTRY_LOAD_IA32_PAT            (1u << 14)
#define ENTRY_LOAD_IA32_EFER           (1u << 15)

/* IA32_VMX_BASIC (Appendix A.1) */
#define VMX_BASIC_REVISION(b)      ((uint32_t)(b) & 0x7FFFFFFF)
#define VMX_BASIC_MEMTYPE(b)       (((b) >> 50) & 0xF)
#define VMX_BASIC_TRUE_CTLS        (1ull << 55)
#define VMX_MEMTYPE_WB             6

/* IA32_VMX_MISC (A.6) */
#define VMX_MISC_PREEMPT_RATE(m)   ((m) & 0x1F)   /* timer ticks every 2^rate TSC ticks */
#define VMX_MISC_EXIT_STORES_LMA   (1ull << 5)    /* exits save EFER.LMA in the IA-32e entry control */

/* IA32_VMX_EPT_VPID_CAP (A.10) */
#define EPT_CAP_WALK_4             (1ull << 6)
#define EPT_CAP_WB                 (1ull << 14)
#define EPT_CAP_2M_PAGES           (1ull << 16)
#define EPT_CAP_INVEPT             (1ull << 20)
#define EPT_CAP_INVEPT_SINGLE      (1ull << 25)
#define EPT_CAP_INVEPT_ALL         (1ull << 26)

/* Exit reasons (Appendix C) */
enum vmx_exit_reason {
    EXIT_EXCEPTION_NMI = 0, EXIT_EXTERNAL_INTERRUPT = 1, EXIT_TRIPLE_FAULT = 2, EXIT_INIT = 3,
    EXIT_SIPI = 4, EXIT_IO_SMI = 5, EXIT_OTHER_SMI = 6, EXIT_INTERRUPT_WINDOW = 7,
    EXIT_NMI_WINDOW = 8, EXIT_TASK_SWITCH = 9, EXIT_CPUID = 10, EXIT_GETSEC = 11, EXIT_HLT = 12,
    EXIT_INVD = 13, EXIT_INVLPG = 14, EXIT_RDPMC = 15, EXIT_RDTSC = 16, EXIT_RSM = 17,
    EXIT_VMCALL = 18, EXIT_VMCLEAR = 19, EXIT_VMLAUNCH = 20, EXIT_VMPTRLD = 21,
    EXIT_VMPTRST = 22, EXIT_VMREAD = 23, EXIT_VMRESUME = 24, EXIT_VMWRITE = 25,
    EXIT_VMXOFF = 26, EXIT_VMXON = 27, EXIT_CR_ACCESS = 28, EXIT_DR_ACCESS = 29,
    EXIT_IO_INSTRUCTION = 30, EXIT_RDMSR = 31, EXIT_WRMSR = 32, EXIT_ENTRY_FAIL_GUEST = 33,
    EXIT_ENTRY_FAIL_MSR = 34, EXIT_MWAIT = 36, EXIT_MONITOR_TRAP = 37, EXIT_MONITOR = 39,
    EXIT_PAUSE = 40, EXIT_ENTRY_FAIL_MCE = 41, EXIT_TPR_BELOW_THRESHOLD = 43,
    EXIT_APIC_ACCESS = 44, EXIT_VIRTUALIZED_EOI = 45, EXIT_GDTR_IDTR = 46, EXIT_LDTR_TR = 47,
    EXIT_EPT_VIOLATION = 48, EXIT_EPT_MISCONFIG = 49, EXIT_INVEPT = 50, EXIT_RDTSCP = 51,
    EXIT_PREEMPTION_TIMER = 52, EXIT_INVVPID = 53, EXIT_WBINVD = 54, EXIT_XSETBV = 55,
    EXIT_APIC_WRITE = 56, EXIT_RDRAND = 57, EXIT_INVPCID = 58, EXIT_VMFUNC = 59,
    EXIT_ENCLS = 60, EXIT_RDSEED = 61, EXIT_PML_FULL = 62, EXIT_XSAVES = 63, EXIT_XRSTORS = 64,
    EXIT_REASON_MAX = 65,
};
#define EXIT_REASON_ENTRY_FAILURE (1u << 31)   /* bit 31 of the exit reason (27.2.1) */

/* VM-entry interruption-information field (25.8.3, Table 25-17) */
#define INTR_INFO_VALID            (1u << 31)
#define INTR_INFO_DELIVER_CODE     (1u << 11)
#define INTR_TYPE_EXTERNAL         (0u << 8)
#define INTR_TYPE_NMI              (2u << 8)
#define INTR_TYPE_HW_EXCEPTION     (3u << 8)
#define INTR_TYPE_MASK             (7u << 8)
#define VECTOR_UD 6
#define VECTOR_GP 13

/* Guest general-purpose registers, saved and loaded by vmx_entry.asm (offsets fixed there). */
struct guest_regs {
    uint64_t rax, rbx, rcx, rdx, rsi, rdi, rbp;
    uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
    uint64_t entry_tsc;        /* TSC just before VMLAUNCH/VMRESUME */
    uint64_t exit_tsc;         /* TSC just after the VM exit */
};

/* MSRs the guest owns outright (not in the VMCS): swapped when the vCPU changes. */
enum { SW_STAR, SW_LSTAR, SW_CSTAR, SW_FMASK, SW_KERNEL_GS_BASE, SW_TSC_AUX, SW_COUNT };

#define VMX_APIC_NONE (~0ull)             /* vmx_vcpu.apic_deadline: no APIC timer expiry */

struct vmx_vcpu {
    struct guest_regs regs;
    uint8_t fxsave[512] __attribute__((aligned(16)));  /* guest x87/SSE state */
    uint64_t vmcs_pa;
    int launched;
    uint64_t cr0_shadow_owned;         /* CR0 bits the hypervisor owns (guest/host mask) */
    uint64_t cr4_shadow_owned;
    uint64_t swapped_msrs[SW_COUNT];
    uint64_t cr2;
    uint64_t dr[4], dr6;               /* DR0-3 and DR6, which VMX does not switch (DR7 and
                                        * IA32_DEBUGCTL are in the VMCS): swapped like the MSRs */
    int last_reason;                   /* for exit-to-re-entry accounting; -1: none */
    int injected;                      /* an event was queued while handling this exit */
    uint32_t armed;                    /* preemption-timer value programmed, or left at the last settle */
    uint64_t slice_left;               /* guest ticks left in this time slice */
    int rearm;                         /* the next event time changed: re-arm the timer */
    uint64_t apic_deadline;            /* the APIC timer's expiry (TSC) the timer was armed
                                        * with; VMX_APIC_NONE: it was not counting */
    int apic_bound;                    /* ... and that expiry was the nearest event */
    uint32_t proc;                     /* primary processor-based controls now (windows toggle) */
    uint64_t mark_tsc;
};

/* Capabilities found by vmx_probe(), used to build every VMCS. */
struct vmx_caps {
    uint64_t basic;
    uint32_t pin, proc, proc2, exit, entry;  /* controls we will use, already adjusted */
    uint64_t cr0_fixed0, cr0_fixed1, cr4_fixed0, cr4_fixed1;
    uint64_t ept_cap;
    int invept_single;
    unsigned preempt_rate;                   /* preemption timer counts TSC >> rate */
    /* CR4 bits the guests' CPUID does not offer (cpuid_cr4_guest_reserved): owned by the
     * hypervisor (CR4 guest/host mask), MOV to CR4 setting one is #GP */
    uint64_t cr4_guest_reserved;
    /* IA32_VMX_MISC bit 5: VM exits store EFER.LMA into the "IA-32e mode guest" entry control
     * (SDM Vol. 3D A.6).  Without it CR0.PG is owned too, so that exit_cr.c sees every paging
     * switch and sets the control itself. */
    int exit_stores_lma;
};
extern struct vmx_caps vmx_caps;

int vmx_probe(void);                   /* prints the VT-x error and returns -1 if unusable */

/* vmx_entry.asm: enters the guest; returns 0 after a VM exit, 1 on VMfailInvalid,
 * 2 on VMfailValid (VM-instruction error in the VMCS). */
int vmx_enter(struct guest_regs *regs, int launched);
void vmx_exit_stub(void);

#endif
