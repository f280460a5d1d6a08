/* Which emulator perfvisor runs under, if any: its exit ports (QEMU's isa-debug-exit at 0xF4,
 * Bochs' shutdown port 0x8900) are written only there, and CPUID's frequency leaves are believed
 * only on bare metal (arch/x86/tsc.c). */
#ifndef ARCH_X86_EMULATOR_H
#define ARCH_X86_EMULATOR_H

#include <stdint.h>

enum emulator {
    EMULATOR_NONE,        /* bare metal, or a hypervisor that is neither: halt at the end */
    EMULATOR_BOCHS,       /* Bochs with port_e9_hack (perfvisor's bochsrc enables it) */
    EMULATOR_QEMU_TCG,    /* QEMU without acceleration: hypervisor leaf "TCGTCGTCGTCG" */
    EMULATOR_KVM,         /* a KVM guest (normally QEMU's): hypervisor leaf "KVMKVMKVM" */
    EMULATOR_OTHER_HV,    /* CPUID.1:ECX[31] set, another hypervisor: no exit port known */
};

#define BOCHS_E9_PORT 0xE9  /* Bochs' port E9 hack: reads return 0xE9 when enabled */

/* Pure (host-tested): the decision from CPUID.1:ECX, the hypervisor leaf's 12-byte signature
 * (EBX, ECX, EDX of 0x40000000; NULL if the hypervisor bit is clear) and a read of port 0xE9. */
enum emulator emulator_classify(uint32_t leaf1_ecx, const char sig[12], uint8_t port_e9);

/* Detected once, on the CPU. */
enum emulator emulator_detect(void);
const char *emulator_name(enum emulator e);
/* Whether a run can end by an emulator's exit port, or only by halting. */
int emulator_has_exit_port(enum emulator e);

#endif
