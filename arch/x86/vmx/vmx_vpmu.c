/* The guest vPMU's backend on this CPU: vpmu=hw on the hypervisor command line (experimental)
 * puts the guests' counters on the real PMU (vmx_vpmu_hw.c decides, this file applies it:
 * real MSRs, VMCS fields, the vLAPIC's PMI); otherwise, and when the CPU has no usable
 * architectural PMU (Bochs), every vCPU keeps the software backend. */
#include "arch/x86/vmx/vmx_vpmu.h"
#include "arch/x86/cpu.h"
#include "arch/x86/lapic.h"
#include "arch/x86/msr.h"
#include "arch/x86/vmx/vmcs.h"
#include "arch/x86/vmx/vmx_check_cpu.h"
#include "arch/x86/vmx/vmx_vpmu_hw.h"
#include "hv/cmdline.h"
#include "hv/domain.h"
#include "hv/printf.h"
#include "hv/string.h"
#include "hv/vlapic.h"
#include "pmu/sampling/hw_backend.h"

static struct vmx_vpmu_hw hw;
static struct vcpu *hw_loaded;         /* the vCPU whose counters are on the PMU, if any */
volatile int vmx_vpmu_noted;           /* an NMI found hw_loaded's counter overflowed */
/* Each domain's VM-entry (0) and VM-exit (1) MSR-load list, where the load controls are
 * missing: 16-byte aligned (SDM Vol. 3C 26.2.1.2-3); the hypervisor's memory is identity mapped. */
static struct vpmu_hw_msr_entry lists[MAX_DOMAINS + 1][2] __attribute__((aligned(16)));

int arch_vpmu_init(const char *cmdline)
{
    char want[16] = "sw", msg[320], why[160];
    int true_ctls = (rdmsr(MSR_IA32_VMX_BASIC) & VMX_BASIC_TRUE_CTLS) != 0;

    if (cmdline_get(cmdline, "vpmu", want, sizeof(want)) && strcmp(want, "sw") &&
        strcmp(want, "hw")) {
        hv_printf("perfvisor: vpmu= must be sw (the default) or hw (experimental: guests' counters "
                  "on the real PMU)\n");
        return -1;
    }
    int on = vmx_vpmu_hw_select(&hw, &hwpmu_cpu_ops, !strcmp(want, "hw"),
                                rdmsr(true_ctls ? MSR_IA32_VMX_TRUE_EXIT_CTLS : MSR_IA32_VMX_EXIT_CTLS),
                                rdmsr(true_ctls ? MSR_IA32_VMX_TRUE_ENTRY_CTLS : MSR_IA32_VMX_ENTRY_CTLS),
                                msg, sizeof(msg));
    /* a guest's PMI arrives as the host's NMI: the LVT performance-counter entry must say so */
    if (on && lapic_pmi_as_nmi(why, sizeof(why))) {
        hw.on = 0;
        hv_snprintf(msg, sizeof(msg), "vpmu=hw: PMIs cannot arrive (%s): the guests' vPMUs use the "
                    "software backend", why);
    }
    if (msg[0])
        hv_printf("perfvisor: %s\n", msg);
    vmx_check_options(cmdline);        /* the VMX_CHECK build's own options */
    return 0;
}

void vmx_vpmu_vcpu_init(struct vcpu *v)
{
    vmx_vpmu_hw_vcpu_init(&hw, &v->vpmu);
}

void vmx_vpmu_image(struct vcpu *v, struct vmcs_image *img)
{
    struct vpmu_hw_msr_entry *l = lists[v->dom->id % (MAX_DOMAINS + 1)];
    vmx_vpmu_hw_image(&hw, &v->vpmu, img, l, (uint64_t)(uintptr_t)l);
}

void vmx_vpmu_refresh(struct vcpu *v)
{
    uint64_t entry, exit;
    struct vpmu_hw_msr_entry *l = lists[v->dom->id % (MAX_DOMAINS + 1)];

    if (!vmx_vpmu_on_hw(&v->vpmu))
        return;
    if (!hw.load_controls) {
        vpmu_hw_global_ctrl_lists(&hw.host, &v->vpmu.st, v->vpmu.mode == VPMU_DOMAIN_SWITCH,
                                  &l[0], &l[1]);
        return;
    }
    vmx_vpmu_hw_values(&hw, &v->vpmu, &entry, &exit);
    vmcs_write64(VMCS_GUEST_IA32_PERF_GLOBAL_CTRL, entry);
    vmcs_write64(VMCS_HOST_IA32_PERF_GLOBAL_CTRL, exit);
}

void vmx_vpmu_switch(struct vcpu *out, struct vcpu *in)
{
    if (vmx_vpmu_noted && out) {       /* its PMI first, while its counters are on the PMU */
        vmx_vpmu_noted = 0;
        vmx_vpmu_nmi(out);
    }
    if (vmx_vpmu_hw_switch(&hw, out ? &out->vpmu : NULL, in ? &in->vpmu : NULL))
        (in ? in : out)->vpmu.backend_errors++;
    hw_loaded = in && vmx_vpmu_on_hw(&in->vpmu) ? in : NULL;
}

int vmx_vpmu_nmi_note(void)
{
    if (!hw_loaded || !vmx_vpmu_hw_nmi_note(&hw, &hw_loaded->vpmu))
        return 0;
    vmx_vpmu_noted = 1;
    return 1;
}

void vmx_vpmu_take_noted(struct vcpu *v)
{
    vmx_vpmu_noted = 0;                /* before the status is read: a later NMI notes again */
    vmx_vpmu_nmi(v);
}

void vmx_vpmu_nmi(struct vcpu *v)
{
    if (!vmx_vpmu_hw_nmi(&v->vpmu))
        return;
    lapic_pmi_unmask();                /* some CPUs mask LVTPC when they deliver a PMI */
    if (vpmu_take_pmi(&v->vpmu) && vlapic_pmi(&v->vlapic))
        v->events_pending = 1;
}
