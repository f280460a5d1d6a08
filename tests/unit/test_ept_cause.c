/* arch/x86/vmx/ept.h: which EPT violations on the xAPIC page are the MOV at RIP (SDM Vol. 3C
 * Table 28-7 exit qualification, 28.2.4 IDT-vectoring information).  The qualifications are
 * shaped like the ones Bochs 2.7 reports (tests/boot/isolation-tests.sh prints them): 0x181
 * for a data read through a linear address (a MOV load, an IDT gate or GDT descriptor read),
 * 0x81 for a page-walk read. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "arch/x86/vmx/ept.h"

#define Q_DATA_READ   0x181ull     /* read, linear valid, translation */
#define Q_DATA_WRITE  0x182ull
#define Q_WALK_READ   0x081ull     /* read of a paging-structure entry */
#define Q_WALK_AD     0x082ull     /* accessed/dirty update of an entry */
#define Q_FETCH       0x184ull
#define IDTV_PF       (IDT_VECTORING_VALID | (3u << 8) | 14u)   /* hardware exception #PF */
#define IDTV_INT_21   (IDT_VECTORING_VALID | (4u << 8) | 0x21u)  /* software interrupt */

/* Bit 7 = 1 and bit 8 = 1, outside event delivery: the access of the instruction at RIP. */
static void test_data_access_is_the_mov(void **state)
{
    (void)state;
    assert_int_equal(ept_violation_cause(Q_DATA_READ, 0), EPT_CAUSE_DATA);
    assert_int_equal(ept_violation_cause(Q_DATA_WRITE, 0), EPT_CAUSE_DATA);
    /* an IDT-vectoring field with bit 31 clear is no event (its other bits are undefined) */
    assert_int_equal(ept_violation_cause(Q_DATA_WRITE, 0x7FFFFFFFu), EPT_CAUSE_DATA);
}

/* Bit 8 = 0 with bit 7 = 1: a paging-structure entry, read or A/D update. */
static void test_page_walk_is_not_the_mov(void **state)
{
    (void)state;
    assert_int_equal(ept_violation_cause(Q_WALK_READ, 0), EPT_CAUSE_PAGE_WALK);
    assert_int_equal(ept_violation_cause(Q_WALK_AD, 0), EPT_CAUSE_PAGE_WALK);
    assert_int_equal(ept_violation_cause(Q_WALK_READ | EPT_VIOL_FETCH, 0), EPT_CAUSE_PAGE_WALK);
    assert_int_equal(ept_violation_cause(Q_WALK_READ, IDTV_PF), EPT_CAUSE_PAGE_WALK);
}

/* Bit 7 = 0: no linear address at all (bit 8 is then reserved and ignored). */
static void test_no_linear_address(void **state)
{
    (void)state;
    assert_int_equal(ept_violation_cause(EPT_VIOL_READ, 0), EPT_CAUSE_NO_LINEAR);
    assert_int_equal(ept_violation_cause(EPT_VIOL_READ | EPT_VIOL_TRANSLATION, 0),
                     EPT_CAUSE_NO_LINEAR);
}

/* An exit during event delivery: a gate, descriptor, TSS or stack access, not the MOV at RIP
 * even when the event is a fault that MOV raised. */
static void test_event_delivery_is_not_the_mov(void **state)
{
    (void)state;
    assert_int_equal(ept_violation_cause(Q_DATA_READ, IDTV_PF), EPT_CAUSE_EVENT_DELIVERY);
    assert_int_equal(ept_violation_cause(Q_DATA_WRITE, IDTV_INT_21), EPT_CAUSE_EVENT_DELIVERY);
    assert_int_equal(IDT_VECTORING_VECTOR(IDTV_INT_21), 0x21);
}

static void test_fetch(void **state)
{
    (void)state;
    assert_int_equal(ept_violation_cause(Q_FETCH, 0), EPT_CAUSE_FETCH);
}

/* The limit is the offset of the last byte (SDM Vol. 3A 3.5.1): [base, base + limit]. */
static void test_linear_in_table(void **state)
{
    (void)state;
    assert_true(ept_linear_in_table(0xFEE00000, 0xFEE00000, 0xFFF));
    assert_true(ept_linear_in_table(0xFEE00FFF, 0xFEE00000, 0xFFF));
    assert_false(ept_linear_in_table(0xFEE01000, 0xFEE00000, 0xFFF));
    assert_false(ept_linear_in_table(0xFEDFFFFF, 0xFEE00000, 0xFFF));   /* below the base */
    assert_true(ept_linear_in_table(0xFEE00070, 0xFEE00000, 0x7FF));
    assert_false(ept_linear_in_table(0xFEE00000, 0, 0x67));             /* the initial TR */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_data_access_is_the_mov),
        cmocka_unit_test(test_page_walk_is_not_the_mov),
        cmocka_unit_test(test_no_linear_address),
        cmocka_unit_test(test_event_delivery_is_not_the_mov),
        cmocka_unit_test(test_fetch),
        cmocka_unit_test(test_linear_in_table),
    };
    return cmocka_run_group_tests_name("arch/x86/vmx/ept.h", tests, NULL, NULL);
}
