/* Finds out, once, whether this CPU can run perfvisor, and which VMX controls to use.
 * Every requirement says why it is needed; a missing one ends the run with
 * "perfvisor: VT-x not available: <which and why>" instead of a fault later. */
#include "arch/x86/vmx/vmx.h"
#include "arch/x86/vmx/vmx_controls.h"
#include "arch/x86/cpu.h"
#include "arch/x86/cpuid_policy.h"
#include "arch/x86/msr.h"
#include "hv/printf.h"

#define CPUID1_ECX_VMX (1u << 5)       /* CPUID.1:ECX[5], SDM Vol. 3C 24.6 "Discovering Support" */

struct vmx_caps vmx_caps;

static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int fail(const char *fmt, ...)
{
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    hv_vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    hv_printf("perfvisor: VT-x not available: %s\n", buf);
    return -1;
}

/* The control value with the optional bits the CPU allows; a required bit it does not allow
 * is reported and sets *missing (vmx_controls.h has the lists and says why each is needed). */
static uint32_t adjust(uint32_t msr, uint32_t required, uint32_t optional, const char *what,
                       int *missing)
{
    uint64_t cap = rdmsr(msr);
    if (vmx_ctl_missing(cap, required)) {
        fail("%s: required control bits %x not allowed (capability MSR 0x%x = %016lx)", what,
             vmx_ctl_missing(cap, required), msr, cap);
        *missing = 1;
    }
    return vmx_ctl_adjust(cap, required, optional);
}

int vmx_probe(void)
{
    struct cpuid_regs r;
    char vendor[13];
    uint64_t fc;
    int missing = 0;

    cpuid_count(0, 0, &r);
    __builtin_memcpy(vendor, &r.ebx, 4);
    __builtin_memcpy(vendor + 4, &r.edx, 4);
    __builtin_memcpy(vendor + 8, &r.ecx, 4);
    vendor[12] = '\0';
    cpuid_count(1, 0, &r);
    if (!(r.ecx & CPUID1_ECX_VMX))
        return fail("the CPU (%s) does not have VMX: CPUID.1:ECX.VMX[bit 5] = 0 (an AMD CPU, "
                    "or an emulator without VT-x such as QEMU TCG; use KVM with nested VT-x, "
                    "Bochs, or Intel hardware)", vendor);

    /* VMXON #GPs unless IA32_FEATURE_CONTROL is locked with VMX-outside-SMX set (SDM 24.7). */
    if (rdmsr_safe(MSR_IA32_FEATURE_CONTROL, &fc))
        return fail("IA32_FEATURE_CONTROL (MSR 0x3A) cannot be read");
    if (!(fc & FEATURE_CONTROL_LOCK)) {
        fc |= FEATURE_CONTROL_LOCK | FEATURE_CONTROL_VMX_OUTSIDE_SMX;
        if (wrmsr_safe(MSR_IA32_FEATURE_CONTROL, fc))
            return fail("IA32_FEATURE_CONTROL (MSR 0x3A) is unlocked but cannot be written");
    } else if (!(fc & FEATURE_CONTROL_VMX_OUTSIDE_SMX)) {
        return fail("disabled by the firmware (IA32_FEATURE_CONTROL = %lx is locked without "
                    "VMX outside SMX): enable VT-x / Intel Virtualization Technology in the "
                    "BIOS setup", fc);
    }

    uint64_t basic = rdmsr(MSR_IA32_VMX_BASIC);
    vmx_caps.basic = basic;
    if (VMX_BASIC_MEMTYPE(basic) != VMX_MEMTYPE_WB)
        return fail("VMCS memory type %lu is not write-back (IA32_VMX_BASIC = %016lx)",
                    VMX_BASIC_MEMTYPE(basic), basic);
    int true_ctls = (basic & VMX_BASIC_TRUE_CTLS) != 0;

    vmx_caps.pin = adjust(true_ctls ? MSR_IA32_VMX_TRUE_PINBASED_CTLS : MSR_IA32_VMX_PINBASED_CTLS,
                          VMX_PIN_REQUIRED, VMX_PIN_OPTIONAL, "pin-based controls", &missing);
    vmx_caps.proc = adjust(true_ctls ? MSR_IA32_VMX_TRUE_PROCBASED_CTLS : MSR_IA32_VMX_PROCBASED_CTLS,
                           VMX_PROC_REQUIRED, VMX_PROC_OPTIONAL, "processor-based controls", &missing);
    /* IA32_VMX_PROCBASED_CTLS2 exists only if the primary controls allow "activate secondary
     * controls" (bit 63 of the primary capability MSR, SDM Vol. 3D A.3.3): reading it otherwise
     * is #GP. */
    if (!(vmx_caps.proc & PROC_ACTIVATE_SECONDARY))
        return missing ? -1 : fail("no secondary processor-based controls (IA32_VMX_PROCBASED_CTLS"
                                   " bit 63 = 0): EPT and unrestricted guest need them");
    vmx_caps.proc2 = adjust(MSR_IA32_VMX_PROCBASED_CTLS2, VMX_PROC2_REQUIRED, VMX_PROC2_OPTIONAL,
                            "secondary processor-based controls", &missing);
    vmx_caps.exit = adjust(true_ctls ? MSR_IA32_VMX_TRUE_EXIT_CTLS : MSR_IA32_VMX_EXIT_CTLS,
                           VMX_EXIT_REQUIRED, VMX_EXIT_OPTIONAL, "VM-exit controls", &missing);
    vmx_caps.entry = adjust(true_ctls ? MSR_IA32_VMX_TRUE_ENTRY_CTLS : MSR_IA32_VMX_ENTRY_CTLS,
                            VMX_ENTRY_REQUIRED, VMX_ENTRY_OPTIONAL, "VM-entry controls", &missing);
    if (missing)
        return -1;

    /* EPT: 4-level walks, write-back tables, 2 MiB pages for guest memory, INVEPT (A.10) */
    vmx_caps.ept_cap = rdmsr(MSR_IA32_VMX_EPT_VPID_CAP);
    uint64_t need = EPT_CAP_WALK_4 | EPT_CAP_WB | EPT_CAP_2M_PAGES | EPT_CAP_INVEPT;
    if ((vmx_caps.ept_cap & need) != need)
        return fail("EPT lacks %s%s%s%s (IA32_VMX_EPT_VPID_CAP = %016lx)",
                    vmx_caps.ept_cap & EPT_CAP_WALK_4 ? "" : "4-level page walks ",
                    vmx_caps.ept_cap & EPT_CAP_WB ? "" : "write-back paging structures ",
                    vmx_caps.ept_cap & EPT_CAP_2M_PAGES ? "" : "2 MiB pages ",
                    vmx_caps.ept_cap & EPT_CAP_INVEPT ? "" : "INVEPT ", vmx_caps.ept_cap);
    vmx_caps.invept_single = (vmx_caps.ept_cap & EPT_CAP_INVEPT_SINGLE) != 0;

    vmx_caps.cr0_fixed0 = rdmsr(MSR_IA32_VMX_CR0_FIXED0);
    vmx_caps.cr0_fixed1 = rdmsr(MSR_IA32_VMX_CR0_FIXED1);
    vmx_caps.cr4_fixed0 = rdmsr(MSR_IA32_VMX_CR4_FIXED0);
    vmx_caps.cr4_fixed1 = rdmsr(MSR_IA32_VMX_CR4_FIXED1);

    uint64_t misc = rdmsr(MSR_IA32_VMX_MISC);
    vmx_caps.preempt_rate = VMX_MISC_PREEMPT_RATE(misc);
    vmx_caps.exit_stores_lma = (misc & VMX_MISC_EXIT_STORES_LMA) != 0;

    /* the CR4 bits of features the guests' CPUID does not offer (leaves 1 and 7.0 after the
     * policy; the same for every vCPU) */
    struct cpuid_regs l1, l7;
    cpuid_count(1, 0, &l1);
    cpuid_policy(1, 0, 0, &l1);
    cpuid_count(7, 0, &l7);
    cpuid_policy(7, 0, 0, &l7);
    vmx_caps.cr4_guest_reserved = cpuid_cr4_guest_reserved(&l1, &l7);
    hv_printf("perfvisor: VT-x on %s: EPT, unrestricted guest%s, preemption timer at TSC/%u\n",
              vendor, vmx_caps.proc2 & PROC2_ENABLE_VPID ? ", VPID" : "",
              1u << VMX_MISC_PREEMPT_RATE(misc));
    return 0;
}
