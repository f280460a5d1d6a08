/* arch/x86/vmx/vmx_vpmu_hw.c: the vPMU on real counters wired into VMX (vpmu=hw), on the SDM
 * PMU model (tests/unit/pmu_model.c) as the real PMU: the backend choice and the fallback to
 * software where there is no PMU (Bochs); IA32_PERF_GLOBAL_CTRL through the VM-entry/VM-exit
 * load controls, or the MSR-load lists where those are missing, in a VMCS image that still
 * passes the VM-entry checks (arch/x86/vmx/vmx_entry_check.c); the counters' save and load when
 * the loaded vCPU changes; a PMI routed to the vCPU whose counter overflowed. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "arch/x86/vmx/vmx_entry_check.h"
#include "arch/x86/vmx/vmx_vpmu_hw.h"
#include "pmu_model.h"
#include "vmx_images.h"

#define EV_CYCLES 0u
#define W48       ((1ull << 48) - 1)
#define ALL_RINGS (PERFEVTSEL_USR | PERFEVTSEL_OS | PERFEVTSEL_EN)

static struct pmu_model m;
static const struct hwpmu_ops model_ops = { pmu_model_rdmsr, pmu_model_wrmsr, pmu_model_cpuid, &m };
static struct vmx_vpmu_hw s;
static char msg[400];

static uint64_t cycles_sel(uint64_t flags)
{
    return perfevtsel_make(pmu_arch_events[EV_CYCLES].event, pmu_arch_events[EV_CYCLES].umask, flags);
}

static void wr(struct vpmu *p, uint32_t msr, uint64_t v) { assert_int_equal(vpmu_wrmsr(p, msr, v), 0); }
static uint64_t rd(struct vpmu *p, uint32_t msr)
{
    uint64_t v = 0xBAD;
    assert_int_equal(vpmu_rdmsr(p, msr, &v), 0);
    return v;
}
static uint64_t model(uint32_t msr)
{
    uint64_t v = 0xBAD;
    assert_int_equal(pmu_model_rdmsr(&m, msr, &v), 0);
    return v;
}

/* The real PMU is `cfg`; the VMX capability MSRs are Bochs skylake_x's (both load controls
 * allowed) unless no_load_controls. */
static int select_on(const struct pmu_model_config *cfg, int want, int no_load_controls)
{
    uint64_t exit_cap = bochs_skylake_x.exit, entry_cap = bochs_skylake_x.entry;
    memset(&m, 0, sizeof(m));
    pmu_model_init(&m, cfg);
    if (no_load_controls) {
        exit_cap &= ~((uint64_t)EXIT_LOAD_PERF_GLOBAL_CTRL << 32);
        entry_cap &= ~((uint64_t)ENTRY_LOAD_PERF_GLOBAL_CTRL << 32);
    }
    return vmx_vpmu_hw_select(&s, &model_ops, want, exit_cap, entry_cap, msg, sizeof(msg));
}

/* The guest's counter 0 counts cycles at every CPL from `start`, with a PMI if `pmi`. */
static void guest_counts(struct vpmu *p, uint64_t start, int pmi)
{
    wr(p, MSR_IA32_PERFEVTSEL0, cycles_sel(ALL_RINGS | (pmi ? PERFEVTSEL_INT : 0)));
    wr(p, MSR_IA32_A_PMC0, start);
    wr(p, MSR_IA32_PERF_GLOBAL_CTRL, 1);
}

/* The guest runs `cycles` on the model: the load controls' values at entry and exit. */
static void run(struct vpmu *p, uint64_t cycles)
{
    uint64_t entry, exit;
    vmx_vpmu_hw_values(&s, p, &entry, &exit);
    assert_int_equal(pmu_model_wrmsr(&m, MSR_IA32_PERF_GLOBAL_CTRL, entry), 0);
    pmu_model_count(&m, EV_CYCLES, cycles);
    assert_int_equal(pmu_model_wrmsr(&m, MSR_IA32_PERF_GLOBAL_CTRL, exit), 0);
}

static void test_not_asked_is_software(void **state)
{
    (void)state;
    struct vpmu p;
    assert_int_equal(select_on(&PMU_CFG_V4, 0, 0), 0);
    assert_string_equal(msg, "");
    vmx_vpmu_hw_vcpu_init(&s, &p);
    assert_ptr_equal(p.ops, &vpmu_sw_backend);
    assert_int_equal(m.writes, 0);                          /* the PMU was not even probed */
}

static void test_hw_on_a_v4_pmu(void **state)
{
    (void)state;
    struct vpmu p;
    assert_int_equal(select_on(&PMU_CFG_V4, 1, 0), 1);
    assert_true(s.on && s.load_controls);
    assert_non_null(strstr(msg, "experimental"));
    assert_non_null(strstr(msg, "3 of 4 general counters, GP 0 kept by the hypervisor; 3 fixed"));
    assert_non_null(strstr(msg, "VM-entry/VM-exit load controls"));
    vmx_vpmu_hw_vcpu_init(&s, &p);
    assert_ptr_equal(p.ops, &vpmu_hw_backend);
    assert_true(vmx_vpmu_on_hw(&p));
}

/* Bochs: CPUID advertises version 4, every PMU MSR #GPs (or reads 0): software, and says why. */
static void test_no_pmu_falls_back_to_software(void **state)
{
    (void)state;
    const struct pmu_model_config *cfgs[] = { &PMU_CFG_BOCHS, &PMU_CFG_BOCHS_IGNORE, &PMU_CFG_V1 };
    for (unsigned i = 0; i < 3; i++) {
        struct vpmu p;
        assert_int_equal(select_on(cfgs[i], 1, 0), 0);
        assert_false(s.on);
        assert_non_null(strstr(msg, "vpmu=hw: no architectural PMU"));
        assert_non_null(strstr(msg, "software backend"));
        vmx_vpmu_hw_vcpu_init(&s, &p);
        assert_ptr_equal(p.ops, &vpmu_sw_backend);
    }
}

/* With the load controls: both controls set, the guest-state field = the guest's enables
 * (guest GP 0 = host GP 1) | the hypervisor's GP 0, the host-state field = the hypervisor's
 * (cpu-switch) or both (domain-switch); the image passes the VM-entry checks on a CPU whose
 * IA32_PERF_GLOBAL_CTRL has the model's bits. */
static void test_image_load_controls(void **state)
{
    (void)state;
    struct vpmu p;
    struct vpmu_hw_msr_entry lists[2] __attribute__((aligned(16)));
    struct vmx_cap_msrs caps = bochs_skylake_x;
    struct vmx_check_result r;
    struct vmcs_image img = build(&bochs_skylake_x, MB32);

    assert_int_equal(select_on(&PMU_CFG_V4, 1, 0), 1);
    vmx_vpmu_hw_vcpu_init(&s, &p);
    guest_counts(&p, 0, 0);
    wr(&p, MSR_IA32_PERF_GLOBAL_CTRL, 1 | (1ull << 33));     /* GP 0 and fixed 1 */
    vmx_vpmu_hw_image(&s, &p, &img, lists, (uint64_t)(uintptr_t)lists);
    assert_true(img.entry & ENTRY_LOAD_PERF_GLOBAL_CTRL);
    assert_true(img.exit & EXIT_LOAD_PERF_GLOBAL_CTRL);
    assert_int_equal(img.perf_global_ctrl, 0x2 | 0x1 | (1ull << 33));
    assert_int_equal(img.host_perf_global_ctrl, 0x1);
    assert_int_equal(img.entry_msr_load_count, 0);
    caps.perf_global_ctrl_valid = 0xFull | (0x7ull << 32);  /* the model: 4 GP, 3 fixed */
    assert_int_equal(vmx_entry_check(&img, &caps, 1, &r), VMX_RULE_NONE);
    p.mode = VPMU_DOMAIN_SWITCH;
    vmx_vpmu_hw_image(&s, &p, &img, lists, (uint64_t)(uintptr_t)lists);
    assert_int_equal(img.host_perf_global_ctrl, 0x2 | 0x1 | (1ull << 33));
    /* on a CPU with one fewer fixed counter the same value breaks the entry check */
    caps.perf_global_ctrl_valid = 0xFull | (0x3ull << 32);
    wr(&p, MSR_IA32_PERF_GLOBAL_CTRL, 1 | (1ull << 34));
    vmx_vpmu_hw_image(&s, &p, &img, lists, (uint64_t)(uintptr_t)lists);
    assert_int_equal(vmx_entry_check(&img, &caps, 1, &r), VMX_RULE_HOST_PERF_GLOBAL);
}

/* Without the load controls: one IA32_PERF_GLOBAL_CTRL entry in each MSR-load list, 16-byte
 * aligned, the counts 1, the controls clear; the image passes the VM-entry checks. */
static void test_image_msr_load_lists(void **state)
{
    (void)state;
    struct vpmu p;
    static struct vpmu_hw_msr_entry lists[2] __attribute__((aligned(16)));
    struct vmx_check_result r;
    struct vmcs_image img = build(&bochs_skylake_x, LINUX64);

    assert_int_equal(select_on(&PMU_CFG_V4, 1, 1), 1);
    assert_false(s.load_controls);
    assert_non_null(strstr(msg, "MSR-load lists"));
    vmx_vpmu_hw_vcpu_init(&s, &p);
    guest_counts(&p, 0, 0);
    vmx_vpmu_hw_image(&s, &p, &img, lists, (uint64_t)(uintptr_t)lists);
    assert_false(img.entry & ENTRY_LOAD_PERF_GLOBAL_CTRL);
    assert_false(img.exit & EXIT_LOAD_PERF_GLOBAL_CTRL);
    assert_int_equal(img.entry_msr_load_count, 1);
    assert_int_equal(img.exit_msr_load_count, 1);
    assert_int_equal(img.entry_msr_load_addr, (uint64_t)(uintptr_t)&lists[0]);
    assert_int_equal(img.exit_msr_load_addr, (uint64_t)(uintptr_t)&lists[1]);
    assert_int_equal(lists[0].index, MSR_IA32_PERF_GLOBAL_CTRL);
    assert_int_equal(lists[0].reserved, 0);
    assert_int_equal(lists[0].data, 0x3);
    assert_int_equal(lists[1].index, MSR_IA32_PERF_GLOBAL_CTRL);
    assert_int_equal(lists[1].data, 0x1);
    assert_int_equal(vmx_entry_check(&img, &bochs_skylake_x, 1, &r), VMX_RULE_NONE);
    img.entry_msr_load_addr += 8;                           /* misaligned: the checker sees it */
    assert_int_equal(vmx_entry_check(&img, &bochs_skylake_x, 1, &r), VMX_RULE_ENTRY_MSR_AREA);
}

/* Two vCPUs on one PMU: switching saves the leaving one's counters into its state and loads the
 * arriving one's; IA32_PERF_GLOBAL_CTRL is the hypervisor's alone before either (in domain-switch
 * mode the exit left the guest's counters running). */
static void test_switch_saves_and_loads(void **state)
{
    (void)state;
    struct vpmu a, b;

    assert_int_equal(select_on(&PMU_CFG_V4, 1, 0), 1);
    vmx_vpmu_hw_vcpu_init(&s, &a);
    vmx_vpmu_hw_vcpu_init(&s, &b);
    a.mode = b.mode = VPMU_DOMAIN_SWITCH;
    assert_int_equal(vmx_vpmu_hw_switch(&s, NULL, &a), 0);
    guest_counts(&a, 1000, 0);
    assert_int_equal(model(MSR_IA32_PMC0 + 1), 1000);          /* guest GP 0 = host GP 1 */
    run(&a, 500);
    assert_true(model(MSR_IA32_PERF_GLOBAL_CTRL) & 2);        /* domain-switch: still running */

    assert_int_equal(vmx_vpmu_hw_switch(&s, &a, &b), 0);
    assert_int_equal(model(MSR_IA32_PERF_GLOBAL_CTRL), 1);    /* the hypervisor's GP 0 only */
    assert_int_equal(a.st.pmc[0], 1500);
    assert_int_equal(model(MSR_IA32_PMC0 + 1), 0);            /* b's counter, never written */
    pmu_model_count(&m, EV_CYCLES, 77);                       /* hypervisor work: not a's */
    guest_counts(&b, 20, 0);
    run(&b, 200);

    assert_int_equal(vmx_vpmu_hw_switch(&s, &b, &a), 0);
    assert_int_equal(b.st.pmc[0], 220);
    assert_int_equal(model(MSR_IA32_PMC0 + 1), 1500);         /* a's value back on the PMU */
    run(&a, 5);
    assert_int_equal(rd(&a, MSR_IA32_A_PMC0), 1505);
    assert_int_equal(a.backend_errors + b.backend_errors, 0);
}

/* A PMI goes to the vCPU whose counter overflowed: a's, then, after a switch, b's; an NMI with
 * no guest counter overflowed (the hypervisor's sampler's) is no vCPU's. */
static void test_pmi_routed_to_its_vcpu(void **state)
{
    (void)state;
    struct vpmu a, b, soft;

    assert_int_equal(select_on(&PMU_CFG_V4, 1, 0), 1);
    vmx_vpmu_hw_vcpu_init(&s, &a);
    vmx_vpmu_hw_vcpu_init(&s, &b);
    vpmu_init(&soft);
    assert_int_equal(vmx_vpmu_hw_switch(&s, NULL, &a), 0);
    guest_counts(&a, W48 - 99, 1);                            /* overflows at the 100th cycle */
    run(&a, 150);
    assert_int_equal(m.pmis, 1);
    assert_int_equal(vmx_vpmu_hw_nmi(&a), 1);
    assert_int_equal(vpmu_take_pmi(&a), 1);
    assert_int_equal(rd(&a, MSR_IA32_PERF_GLOBAL_STATUS) & 1, 1);
    m.pmis = 0;
    m.lvtpc &= ~LVT_MASKED;

    assert_int_equal(vmx_vpmu_hw_switch(&s, &a, &b), 0);
    guest_counts(&b, W48 - 999, 1);
    run(&b, 50);
    assert_int_equal(m.pmis, 0);
    assert_int_equal(vmx_vpmu_hw_nmi(&b), 0);                 /* an NMI, but not b's counter */
    run(&b, 1000);
    assert_int_equal(m.pmis, 1);
    assert_int_equal(vmx_vpmu_hw_nmi(&b), 1);
    assert_int_equal(vpmu_take_pmi(&b), 1);
    assert_int_equal(vpmu_take_pmi(&a), 0);                   /* a's was taken, none since */
    assert_int_equal(a.st.global_status & 1, 1);              /* a's own overflow bit kept */

    assert_int_equal(vmx_vpmu_hw_nmi(NULL), 0);
    assert_int_equal(vmx_vpmu_hw_nmi(&soft), 0);              /* software backend: no NMI of its */
}

/* An NMI in VMX root (domain-switch mode: the exit leaves the guest's counters running) or a PMI
 * that skids past the exit: the NMI handler only notes it (vmx_vpmu_hw_nmi_note reads the host's
 * IA32_PERF_GLOBAL_STATUS, changes nothing) and vmx_vpmu_hw_nmi hands it over before the next
 * entry.  The hypervisor's own counter's overflow (GP 0, the sampler's) is not the guest's. */
static void test_nmi_in_root_noted(void **state)
{
    (void)state;
    struct vpmu a, soft;
    uint64_t entry, exit;

    assert_int_equal(select_on(&PMU_CFG_V4, 1, 0), 1);
    vmx_vpmu_hw_vcpu_init(&s, &a);
    vpmu_init(&soft);
    a.mode = VPMU_DOMAIN_SWITCH;
    assert_int_equal(vmx_vpmu_hw_switch(&s, NULL, &a), 0);
    guest_counts(&a, W48 - 999, 1);
    run(&a, 500);                                             /* in the guest: no overflow */
    assert_int_equal(vmx_vpmu_hw_nmi_note(&s, &a), 0);
    vmx_vpmu_hw_values(&s, &a, &entry, &exit);
    assert_int_equal(model(MSR_IA32_PERF_GLOBAL_CTRL), exit);  /* still counting in VMX root */
    pmu_model_count(&m, EV_CYCLES, 600);                      /* the hypervisor's work for it */
    assert_int_equal(m.pmis, 1);
    assert_int_equal(vmx_vpmu_hw_nmi_note(&s, &a), 1);
    assert_int_equal(a.st.global_status, 0);                  /* noted only: a's state untouched */
    assert_int_equal(vpmu_take_pmi(&a), 0);
    assert_int_equal(vmx_vpmu_hw_nmi(&a), 1);                 /* before the next entry */
    assert_int_equal(vpmu_take_pmi(&a), 1);
    assert_int_equal(vmx_vpmu_hw_nmi_note(&s, &a), 0);        /* handed over: nothing left */
    assert_int_equal(vmx_vpmu_hw_nmi_note(&s, &soft), 0);
    assert_int_equal(vmx_vpmu_hw_nmi_note(&s, NULL), 0);

    /* the sampler's GP 0 overflows: not a's */
    assert_int_equal(pmu_model_wrmsr(&m, MSR_IA32_PMC0, 0xFFFFFFF0u), 0);
    assert_int_equal(pmu_model_wrmsr(&m, MSR_IA32_PERFEVTSEL0, cycles_sel(ALL_RINGS | PERFEVTSEL_INT)), 0);
    assert_int_equal(pmu_model_wrmsr(&m, MSR_IA32_PERF_GLOBAL_CTRL, 1), 0);
    pmu_model_count(&m, EV_CYCLES, 100);
    assert_int_equal(model(MSR_IA32_PERF_GLOBAL_STATUS) & 1, 1);
    assert_int_equal(vmx_vpmu_hw_nmi_note(&s, &a), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_not_asked_is_software),
        cmocka_unit_test(test_hw_on_a_v4_pmu),
        cmocka_unit_test(test_no_pmu_falls_back_to_software),
        cmocka_unit_test(test_image_load_controls),
        cmocka_unit_test(test_image_msr_load_lists),
        cmocka_unit_test(test_switch_saves_and_loads),
        cmocka_unit_test(test_pmi_routed_to_its_vcpu),
        cmocka_unit_test(test_nmi_in_root_noted),
    };
    return cmocka_run_group_tests(tests, vmx_images_setup, vmx_images_teardown);
}
