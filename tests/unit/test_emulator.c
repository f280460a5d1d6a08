/* arch/x86/emulator.c: which emulator perfvisor runs under, from CPUID.1:ECX[31], the
 * hypervisor leaf's signature and a read of port 0xE9 (issue #13 item 12): the exit ports are
 * written only where their emulator was recognised; bare metal halts. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "arch/x86/emulator.h"

#define HV (1u << 31)

static void test_qemu_and_kvm_by_signature(void **state)
{
    (void)state;
    assert_int_equal(emulator_classify(HV, "TCGTCGTCGTCG", 0xFF), EMULATOR_QEMU_TCG);
    assert_int_equal(emulator_classify(HV, "KVMKVMKVM\0\0\0", 0xFF), EMULATOR_KVM);
    assert_true(emulator_has_exit_port(EMULATOR_QEMU_TCG));
    assert_true(emulator_has_exit_port(EMULATOR_KVM));
    /* a signature without the hypervisor bit is not believed */
    assert_int_equal(emulator_classify(0, "TCGTCGTCGTCG", 0xFF), EMULATOR_NONE);
}

static void test_bochs_by_port_e9(void **state)
{
    (void)state;
    assert_int_equal(emulator_classify(0, NULL, 0xE9), EMULATOR_BOCHS);
    assert_true(emulator_has_exit_port(EMULATOR_BOCHS));
    /* port_e9_hack off: Bochs reads an unused port, indistinguishable from a PC */
    assert_int_equal(emulator_classify(0, NULL, 0xFF), EMULATOR_NONE);
}

static void test_bare_metal_and_other_hypervisors_halt(void **state)
{
    (void)state;
    assert_int_equal(emulator_classify(0, NULL, 0xFF), EMULATOR_NONE);
    assert_int_equal(emulator_classify(0, NULL, 0x00), EMULATOR_NONE);
    assert_int_equal(emulator_classify(HV, "VMwareVMware", 0xFF), EMULATOR_OTHER_HV);
    assert_int_equal(emulator_classify(HV, "Microsoft Hv", 0xFF), EMULATOR_OTHER_HV);
    assert_int_equal(emulator_classify(HV, "TCGTCGTCGTC", 0xFF), EMULATOR_OTHER_HV);  /* 11 + NUL */
    assert_false(emulator_has_exit_port(EMULATOR_NONE));
    assert_false(emulator_has_exit_port(EMULATOR_OTHER_HV));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_qemu_and_kvm_by_signature),
        cmocka_unit_test(test_bochs_by_port_e9),
        cmocka_unit_test(test_bare_metal_and_other_hypervisors_halt),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
