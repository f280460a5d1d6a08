/* Finds out, once, whether this CPU can run perfvisor, and which VMX controls to use.
 * Every requirement says why it is needed; a missing one ends the run with
 * "perfvisor: VT-x not available: <which and why>" instead of a fault later. */
#include "arch/x86/vmx/vmx.h"
#include "arch/x86/vmx/vmx_caps.h"
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

static uint64_t cpu_rdmsr(void *ctx, uint32_t msr)
{
    (void)ctx;
    return rdmsr(msr);
}

int vmx_probe(void)
{
    struct cpuid_regs r;
    char vendor[13];
    uint64_t fc;

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

    /* capability MSRs: controls, EPT, fixed bits, IA32_VMX_MISC (vmx_caps.c) */
    char why[192];
    const struct vmx_msr_reader cpu = { cpu_rdmsr, 0 };
    if (vmx_caps_read(&cpu, &vmx_caps, why, sizeof(why)))
        return fail("%s", why);

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
              1u << vmx_caps.preempt_rate);
    return 0;
}
