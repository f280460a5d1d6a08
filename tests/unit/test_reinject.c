/* arch/x86/vmx/vmx_reinject.c: events a VM exit interrupted (SDM Vol. 3C 28.2.3-28.2.4, 27.6.1,
 * 27.7.1.2, 26.3.1.5), issue #13 item 8, on exit records. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "arch/x86/vmx/vmx.h"
#include "arch/x86/vmx/vmx_reinject.h"

#define VALID (1u << 31)
#define CODE  (1u << 11)

static struct vmx_entry_events complete(struct vmx_exit_events e)
{
    struct vmx_entry_events out;
    vmx_exit_events_complete(&e, &out);
    return out;
}

/* A #PF being delivered when its IDT entry's page took an EPT violation: injected again with
 * its error code; bit 12 (undefined in IDT-vectoring information) dropped */
static void test_hw_exception_reinjected_with_error_code(void **state)
{
    (void)state;
    struct vmx_entry_events o = complete((struct vmx_exit_events){
        .reason = EXIT_EPT_VIOLATION, .idt_info = VALID | CODE | (3u << 8) | 14 | (1u << 12),
        .idt_error = 0x6, .insn_len = 3 });
    assert_true(o.inject);
    assert_int_equal(o.entry_intr_info, VALID | CODE | (3u << 8) | 14);
    assert_int_equal(o.entry_error, 6);
    assert_int_equal(o.entry_insn_len, 0);           /* hardware events carry no length */
    assert_false(o.set_interruptibility);
}

/* An external interrupt perfvisor injected (a vLAPIC vector) cut short by a host NMI exit:
 * not lost */
static void test_injected_interrupt_survives_host_nmi(void **state)
{
    (void)state;
    struct vmx_entry_events o = complete((struct vmx_exit_events){
        .reason = EXIT_EXCEPTION_NMI, .exit_intr_info = VALID | (2u << 8) | 2,
        .idt_info = VALID | (0u << 8) | 0x31 });
    assert_true(o.inject);
    assert_int_equal(o.entry_intr_info, VALID | 0x31);
    assert_int_equal(o.entry_error, 0);
}

/* INT n, INT3/INTO and INT1: re-executed from the exit's instruction length (27.6.1.1) */
static void test_software_events_keep_length(void **state)
{
    (void)state;
    for (uint32_t type = 4; type <= 6; type++) {
        struct vmx_entry_events o = complete((struct vmx_exit_events){
            .reason = EXIT_EPT_VIOLATION, .idt_info = VALID | (type << 8) | 0x80, .insn_len = 2 });
        assert_true(o.inject);
        assert_int_equal(o.entry_intr_info, VALID | (type << 8) | 0x80);
        assert_int_equal(o.entry_insn_len, 2);
    }
}

/* An NMI whose delivery was interrupted: injected again with blocking by NMI cleared (27.7.1.2;
 * an NMI injection under virtual-NMI blocking fails the entry checks, 26.3.1.5); other bits kept */
static void test_nmi_reinjected_unblocked(void **state)
{
    (void)state;
    struct vmx_entry_events o = complete((struct vmx_exit_events){
        .reason = EXIT_EPT_VIOLATION, .idt_info = VALID | (2u << 8) | 2,
        .interruptibility = VMX_BLOCK_NMI | 1u });
    assert_true(o.inject);
    assert_int_equal(o.entry_intr_info, VALID | (2u << 8) | 2);
    assert_true(o.set_interruptibility);
    assert_int_equal(o.interruptibility, 1u);
    /* already unblocked: nothing to write */
    o = complete((struct vmx_exit_events){ .reason = EXIT_EPT_VIOLATION,
                                           .idt_info = VALID | (2u << 8) | 2 });
    assert_false(o.set_interruptibility);
}

/* Bit 12 of an EPT violation's qualification: the faulting IRET had unblocked NMIs and will run
 * again, so blocking by NMI is restored; not when delivery was interrupted (then the event is
 * what matters) */
static void test_iret_nmi_unblocking_restored(void **state)
{
    (void)state;
    struct vmx_entry_events o = complete((struct vmx_exit_events){
        .reason = EXIT_EPT_VIOLATION, .qualification = (1u << 12) | 0x181, .interruptibility = 0 });
    assert_false(o.inject);
    assert_true(o.set_interruptibility);
    assert_int_equal(o.interruptibility, VMX_BLOCK_NMI);
    o = complete((struct vmx_exit_events){ .reason = EXIT_EPT_VIOLATION, .qualification = 0x181 });
    assert_false(o.set_interruptibility);
    o = complete((struct vmx_exit_events){ .reason = EXIT_EPT_VIOLATION, .qualification = 1u << 12,
                                           .idt_info = VALID | 0x30 });
    assert_false(o.set_interruptibility);
    /* the same bit of an exception exit's interruption information, except for a #DF */
    o = complete((struct vmx_exit_events){ .reason = EXIT_EXCEPTION_NMI,
                                           .exit_intr_info = VALID | (1u << 12) | (3u << 8) | 14 });
    assert_true(o.set_interruptibility);
    assert_int_equal(o.interruptibility, VMX_BLOCK_NMI);
    o = complete((struct vmx_exit_events){ .reason = EXIT_EXCEPTION_NMI,
                                           .exit_intr_info = VALID | (1u << 12) | (3u << 8) | 8 });
    assert_false(o.set_interruptibility);
    /* other exits: bit 12 of their qualification means something else */
    o = complete((struct vmx_exit_events){ .reason = EXIT_CR_ACCESS, .qualification = 1u << 12 });
    assert_false(o.set_interruptibility);
}

/* Nothing interrupted: nothing to write (the common case) */
static void test_nothing_to_do(void **state)
{
    (void)state;
    struct vmx_entry_events o = complete((struct vmx_exit_events){
        .reason = EXIT_CPUID, .interruptibility = VMX_BLOCK_NMI });
    assert_false(o.inject);
    assert_false(o.set_interruptibility);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hw_exception_reinjected_with_error_code),
        cmocka_unit_test(test_injected_interrupt_survives_host_nmi),
        cmocka_unit_test(test_software_events_keep_length),
        cmocka_unit_test(test_nmi_reinjected_unblocked),
        cmocka_unit_test(test_iret_nmi_unblocking_restored),
        cmocka_unit_test(test_nothing_to_do),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
