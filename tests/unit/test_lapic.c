/* arch/x86/lapic.c on a local APIC model (SDM Vol. 3A ch. 11), issue #13 items 2 and 6:
 *   - LVT entries exist up to the version register's max LVT entry (11.4.8);
 *   - while SVR bit 8 (APIC software enable) is clear, every LVT mask bit is set and cannot be
 *     cleared (11.4.7.2);
 *   - a model of a broken APIC whose software enable does not stick. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "arch/x86/lapic.h"
#include "hv/vlapic.h"
#include "pmu/vpmu/pmu_msr.h"

struct apic {
    uint32_t reg[0x400 / 4];
    unsigned max_lvt;
    int enable_stuck_clear;
    unsigned writes[0x400 / 4];
};

static int is_lvt(uint32_t r)
{
    return r == 0x2F0 || (r >= APIC_LVT_TIMER && r <= APIC_LVT_ERROR);
}

static uint32_t rd(void *ctx, uint32_t r)
{
    struct apic *a = ctx;
    if (r == APIC_VERSION)
        return APIC_VERSION_ID | a->max_lvt << 16;
    return a->reg[r / 4];
}

static void wr(void *ctx, uint32_t r, uint32_t v)
{
    struct apic *a = ctx;
    a->writes[r / 4]++;
    if (r == APIC_SVR && a->enable_stuck_clear)
        v &= ~APIC_SVR_ENABLE;
    if (is_lvt(r) && !(a->reg[APIC_SVR / 4] & APIC_SVR_ENABLE))
        v |= LVT_MASKED;                             /* software-disabled: masks stay set */
    a->reg[r / 4] = v;
}

static struct apic a;
static const struct lapic_io io = { rd, wr, &a };

/* after RESET: SVR 0xFF (disabled), LVTs masked; then firmware left some on */
static void reset(unsigned max_lvt, uint32_t svr)
{
    memset(&a, 0, sizeof(a));
    a.max_lvt = max_lvt;
    a.reg[APIC_SVR / 4] = svr;
    a.reg[APIC_LVT_TIMER / 4] = 0x20030;             /* periodic, vector 0x30, unmasked */
    a.reg[APIC_TIMER_ICR / 4] = 100000;
    a.reg[APIC_LVT_THERM / 4] = 0x0031;
    a.reg[APIC_LVT_PMC / 4] = LVT_MASKED;
    a.reg[APIC_LVT_LINT0 / 4] = 0x700;               /* ExtINT: the 8259 */
    a.reg[APIC_LVT_LINT1 / 4] = 0x400;               /* NMI */
    a.reg[APIC_LVT_ERROR / 4] = 0x00FE;
    a.reg[0x2F0 / 4] = 0x00F2;                       /* CMCI */
    a.reg[APIC_TPR / 4] = 0x20;
}

/* Item 2: a software-disabled APIC (SVR bit 8 clear, as firmware may leave it) gets enabled,
 * so the LVTPC reads back NMI and unmasked. */
static void test_pmi_enables_software_disabled_apic(void **state)
{
    (void)state;
    char why[160] = "";
    reset(6, 0x0F);                                  /* disabled, spurious vector 0x0F */
    assert_int_equal(lapic_pmi_nmi_io(&io, why, sizeof(why)), 0);
    assert_true(a.reg[APIC_SVR / 4] & APIC_SVR_ENABLE);
    assert_int_equal(a.reg[APIC_SVR / 4] & 0xFF, 0x0F);    /* the spurious vector kept */
    assert_int_equal(a.reg[APIC_LVT_PMC / 4], LVT_DELIVERY_NMI);
    /* without the enable the same write would have stayed masked: the model's rule */
    reset(6, 0x0F);
    wr(&a, APIC_LVT_PMC, LVT_DELIVERY_NMI);
    assert_true(a.reg[APIC_LVT_PMC / 4] & LVT_MASKED);
}

/* Item 2: when the LVTPC does not read back as written, say why (no silent run without PMIs) */
static void test_pmi_fails_clearly(void **state)
{
    (void)state;
    char why[200] = "";
    reset(6, 0x0F);
    a.enable_stuck_clear = 1;
    assert_int_equal(lapic_pmi_nmi_io(&io, why, sizeof(why)), -1);
    assert_non_null(strstr(why, "LVTPC reads 10400 after writing 400"));
    assert_non_null(strstr(why, "PMIs would never arrive"));
    reset(3, 0x1FF);                                 /* max LVT 3: no LVTPC at all */
    assert_int_equal(lapic_pmi_nmi_io(&io, why, sizeof(why)), -1);
    assert_non_null(strstr(why, "no LVT performance-counter entry"));
    assert_int_equal(a.writes[APIC_LVT_PMC / 4], 0);
}

/* Item 6: every source perfvisor does not use is masked; LINT1 (platform NMI) is kept */
static void test_quiesce_masks_unused_sources(void **state)
{
    (void)state;
    reset(6, 0x0F);
    unsigned q = lapic_quiesce_io(&io);
    assert_int_equal(q, LAPIC_Q_TIMER | LAPIC_Q_THERMAL | LAPIC_Q_PMC | LAPIC_Q_LINT0 |
                        LAPIC_Q_ERROR | LAPIC_Q_CMCI);
    const uint32_t masked[] = { APIC_LVT_TIMER, APIC_LVT_THERM, APIC_LVT_PMC, APIC_LVT_LINT0,
                                APIC_LVT_ERROR, 0x2F0 };
    for (unsigned i = 0; i < 6; i++)
        assert_true(a.reg[masked[i] / 4] & LVT_MASKED);
    assert_int_equal(a.reg[APIC_LVT_LINT1 / 4], 0x400);
    assert_int_equal(a.writes[APIC_LVT_LINT1 / 4], 0);
    assert_int_equal(a.reg[APIC_TIMER_ICR / 4], 0);  /* the timer stopped */
    assert_int_equal(a.reg[APIC_TPR / 4], 0);
    assert_true(a.reg[APIC_SVR / 4] & APIC_SVR_ENABLE);
}

/* Entries beyond the max LVT entry are not written: a P6-era APIC (max 4) has no thermal or
 * CMCI entry, Skylake-X (max 5, Bochs) no CMCI */
static void test_quiesce_only_existing_entries(void **state)
{
    (void)state;
    reset(5, 0x1FF);
    assert_int_equal(lapic_quiesce_io(&io) & (LAPIC_Q_THERMAL | LAPIC_Q_CMCI), LAPIC_Q_THERMAL);
    assert_int_equal(a.writes[0x2F0 / 4], 0);
    reset(4, 0x1FF);
    assert_int_equal(lapic_quiesce_io(&io) & (LAPIC_Q_THERMAL | LAPIC_Q_CMCI | LAPIC_Q_PMC),
                     LAPIC_Q_PMC);
    assert_int_equal(a.writes[APIC_LVT_THERM / 4], 0);
    assert_int_equal(a.reg[APIC_SVR / 4], 0x1FF);    /* already enabled: untouched */
    assert_int_equal(a.writes[APIC_SVR / 4], 0);
}

/* SVR with a zero spurious vector gets FFH, the RESET value (vectors 0-15 are reserved) */
static void test_svr_spurious_vector(void **state)
{
    (void)state;
    reset(6, 0x00);
    lapic_quiesce_io(&io);
    assert_int_equal(a.reg[APIC_SVR / 4], 0x1FF);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pmi_enables_software_disabled_apic),
        cmocka_unit_test(test_pmi_fails_clearly),
        cmocka_unit_test(test_quiesce_masks_unused_sources),
        cmocka_unit_test(test_quiesce_only_existing_entries),
        cmocka_unit_test(test_svr_spurious_vector),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
