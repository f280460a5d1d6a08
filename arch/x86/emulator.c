/* Emulator detection.  Choice (issue #13 item 12): QEMU and KVM name themselves in the CPUID
 * hypervisor leaf (0x40000000: "TCGTCGTCGTCG", "KVMKVMKVM\0\0\0"), as every hypervisor that sets
 * CPUID.1:ECX[31] does; Bochs sets neither, so it is recognised by its "port E9 hack", which
 * perfvisor's bochsrc enables (`port_e9_hack: enabled=1`, profiler/emulator.c): a read of port
 * 0xE9 returns 0xE9 there, while on a PC it reads an unused ISA port (0xFF).  Nothing else is
 * probed: DMI/SMBIOS strings depend on the BIOS image, not on the emulator. */
#include "arch/x86/emulator.h"
#include "arch/x86/cpu.h"

#define CPUID1_ECX_HYPERVISOR (1u << 31)
#define CPUID_HV_LEAF         0x40000000u

static int sig_is(const char sig[12], const char *want)
{
    for (int i = 0; i < 12; i++)
        if (sig[i] != want[i])
            return 0;
    return 1;
}

enum emulator emulator_classify(uint32_t leaf1_ecx, const char sig[12], uint8_t port_e9)
{
    if ((leaf1_ecx & CPUID1_ECX_HYPERVISOR) && sig) {
        if (sig_is(sig, "TCGTCGTCGTCG"))
            return EMULATOR_QEMU_TCG;
        if (sig_is(sig, "KVMKVMKVM\0\0\0"))
            return EMULATOR_KVM;
    }
    if (port_e9 == BOCHS_E9_PORT)
        return EMULATOR_BOCHS;
    return (leaf1_ecx & CPUID1_ECX_HYPERVISOR) ? EMULATOR_OTHER_HV : EMULATOR_NONE;
}

const char *emulator_name(enum emulator e)
{
    switch (e) {
    case EMULATOR_BOCHS:    return "Bochs (port E9 hack)";
    case EMULATOR_QEMU_TCG: return "QEMU TCG (CPUID hypervisor leaf TCGTCGTCGTCG)";
    case EMULATOR_KVM:      return "KVM (CPUID hypervisor leaf KVMKVMKVM)";
    case EMULATOR_OTHER_HV: return "an unknown hypervisor (CPUID.1:ECX[31])";
    default:                return "no emulator detected (bare metal)";
    }
}

int emulator_has_exit_port(enum emulator e)
{
    return e == EMULATOR_BOCHS || e == EMULATOR_QEMU_TCG || e == EMULATOR_KVM;
}

enum emulator emulator_detect(void)
{
    static int done;
    static enum emulator found;
    if (done)
        return found;
    struct cpuid_regs r;
    char sig[12];
    cpuid_count(1, 0, &r);
    uint32_t ecx = r.ecx;
    int hv = (ecx & CPUID1_ECX_HYPERVISOR) != 0;
    if (hv) {
        cpuid_count(CPUID_HV_LEAF, 0, &r);
        __builtin_memcpy(sig, &r.ebx, 4);
        __builtin_memcpy(sig + 4, &r.ecx, 4);
        __builtin_memcpy(sig + 8, &r.edx, 4);
    }
    found = emulator_classify(ecx, hv ? sig : 0, inb(BOCHS_E9_PORT));
    done = 1;
    return found;
}
