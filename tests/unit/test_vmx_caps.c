/* arch/x86/vmx/vmx_caps.c on recorded capability MSRs (SDM Vol. 3D Appendix A), issue #13
 * item 9: Bochs 2.7 corei7_skylake_x's values (shared/EMULATORS.md), a CPU whose primary
 * controls do not allow secondary ones (IA32_VMX_PROCBASED_CTLS2 must not be read: it would #GP),
 * and one whose IA32_VMX_MISC bit 5 is clear (EFER.LMA not saved by exits). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "arch/x86/msr.h"
#include "arch/x86/vmx/vmx_caps.h"

struct msrs {
    uint64_t v[0x20];              /* 480H..49FH */
    unsigned reads[0x20];
};

static uint64_t rd(void *ctx, uint32_t msr)
{
    struct msrs *m = ctx;
    assert_true(msr >= 0x480 && msr < 0x4A0);
    m->reads[msr - 0x480]++;
    return m->v[msr - 0x480];
}

static struct msrs bochs(void)
{
    struct msrs m;
    memset(&m, 0, sizeof(m));
    m.v[MSR_IA32_VMX_BASIC - 0x480] = 0x00d810000000002bull;
    m.v[MSR_IA32_VMX_PINBASED_CTLS - 0x480] = 0x0000007f00000016ull;
    m.v[MSR_IA32_VMX_PROCBASED_CTLS - 0x480] = 0xf7f9fffe0401e172ull;
    m.v[MSR_IA32_VMX_EXIT_CTLS - 0x480] = 0x007fffff00036dffull;
    m.v[MSR_IA32_VMX_ENTRY_CTLS - 0x480] = 0x0000ffff000011ffull;
    m.v[MSR_IA32_VMX_MISC - 0x480] = 0x00000000600401e0ull;
    m.v[MSR_IA32_VMX_PROCBASED_CTLS2 - 0x480] = 0x02177fff00000000ull;
    m.v[MSR_IA32_VMX_EPT_VPID_CAP - 0x480] = 0x00000f0106334141ull;
    m.v[MSR_IA32_VMX_TRUE_PINBASED_CTLS - 0x480] = 0x0000007f00000016ull;
    m.v[MSR_IA32_VMX_TRUE_PROCBASED_CTLS - 0x480] = 0xf7f9fffe04006172ull;
    m.v[MSR_IA32_VMX_TRUE_EXIT_CTLS - 0x480] = 0x007fffff00036dfbull;
    m.v[MSR_IA32_VMX_TRUE_ENTRY_CTLS - 0x480] = 0x0000ffff000011fbull;
    m.v[MSR_IA32_VMX_CR0_FIXED0 - 0x480] = 0x80000021ull;
    m.v[MSR_IA32_VMX_CR0_FIXED1 - 0x480] = 0xffffffffull;
    m.v[MSR_IA32_VMX_CR4_FIXED0 - 0x480] = 0x2000ull;
    m.v[MSR_IA32_VMX_CR4_FIXED1 - 0x480] = 0x3727ffull;
    return m;
}

static int read_caps(struct msrs *m, struct vmx_caps *c, char *why, size_t len)
{
    const struct vmx_msr_reader r = { rd, m };
    memset(c, 0, sizeof(*c));
    why[0] = '\0';
    return vmx_caps_read(&r, c, why, len);
}

static void test_bochs_caps(void **state)
{
    (void)state;
    struct msrs m = bochs();
    struct vmx_caps c;
    char why[192];
    assert_int_equal(read_caps(&m, &c, why, sizeof(why)), 0);
    assert_true(c.proc & PROC_ACTIVATE_SECONDARY);
    assert_true(c.proc2 & PROC2_ENABLE_EPT);
    assert_true(c.proc2 & PROC2_UNRESTRICTED_GUEST);
    assert_true(c.exit_stores_lma);                 /* MISC 0x600401e0: bit 5 set */
    assert_int_equal(c.preempt_rate, 0);
    assert_int_equal(m.reads[MSR_IA32_VMX_TRUE_PROCBASED_CTLS - 0x480], 1);  /* TRUE_* used */
    assert_int_equal(m.reads[MSR_IA32_VMX_PROCBASED_CTLS2 - 0x480], 1);
}

/* Primary bit 63 ("activate secondary controls" allowed-1) clear: refused, and the secondary
 * capability MSR, which does not exist then, is never read */
static void test_no_secondary_controls_not_read(void **state)
{
    (void)state;
    struct msrs m = bochs();
    m.v[MSR_IA32_VMX_TRUE_PROCBASED_CTLS - 0x480] &= ~(1ull << 63);
    struct vmx_caps c;
    char why[192];
    assert_int_equal(read_caps(&m, &c, why, sizeof(why)), -1);
    assert_non_null(strstr(why, "processor-based controls: required control bits 80000000 not allowed"));
    assert_int_equal(m.reads[MSR_IA32_VMX_PROCBASED_CTLS2 - 0x480], 0);
}

/* IA32_VMX_MISC bit 5 clear: exit_stores_lma 0 (CR0.PG then owned, vmcs_image_cr0_owned) */
static void test_misc_bit5_clear(void **state)
{
    (void)state;
    struct msrs m = bochs();
    m.v[MSR_IA32_VMX_MISC - 0x480] &= ~(1ull << 5);
    struct vmx_caps c;
    char why[192];
    assert_int_equal(read_caps(&m, &c, why, sizeof(why)), 0);
    assert_false(c.exit_stores_lma);
}

/* Without TRUE_* (BASIC bit 55 clear) the plain capability MSRs are used; EPT without 2 MiB
 * pages is refused with what is missing */
static void test_plain_msrs_and_ept_refusal(void **state)
{
    (void)state;
    struct msrs m = bochs();
    m.v[MSR_IA32_VMX_BASIC - 0x480] &= ~(1ull << 55);
    struct vmx_caps c;
    char why[192];
    assert_int_equal(read_caps(&m, &c, why, sizeof(why)), 0);
    assert_int_equal(m.reads[MSR_IA32_VMX_TRUE_PROCBASED_CTLS - 0x480], 0);
    assert_int_equal(m.reads[MSR_IA32_VMX_PROCBASED_CTLS - 0x480], 1);
    m = bochs();
    m.v[MSR_IA32_VMX_EPT_VPID_CAP - 0x480] &= ~(1ull << 16);
    assert_int_equal(read_caps(&m, &c, why, sizeof(why)), -1);
    assert_non_null(strstr(why, "EPT lacks 2 MiB pages"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bochs_caps),
        cmocka_unit_test(test_no_secondary_controls_not_read),
        cmocka_unit_test(test_misc_bit5_clear),
        cmocka_unit_test(test_plain_msrs_and_ept_refusal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
