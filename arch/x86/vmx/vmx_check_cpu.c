/* The VM-entry checker (vmx_entry_check.c) on this CPU: its capability MSRs, and the current
 * VMCS read back into an image.  With VMX_ENTRY_CHECK defined (make VMX_CHECK=1) vmexit.c runs
 * vmx_check_current before every VMLAUNCH; arch_boot_state_check uses the capability MSRs in
 * every build. */
#include "arch/x86/vmx/vmx_check_cpu.h"
#include "arch/x86/cpu.h"
#include "arch/x86/msr.h"
#include "arch/x86/vmx/vmcs.h"
#include "arch/x86/vmx/vmx.h"
#include "hv/cmdline.h"
#include "hv/domain.h"
#include "hv/printf.h"
#include "hv/string.h"

/* The VMX_CHECK build's options (hypervisor command line):
 *   vmxcheck=warn   a violation is printed and the entry goes ahead, so the CPU's own verdict
 *                   follows (a VM-entry failure, explained by vmx_check_explain): the checker's
 *                   model and the CPU compared; default: the domain is stopped before the entry;
 *   vmxcheck-break=N  for the tests: domain N's guest TR is made unusable after its VMCS is
 *                   written (SDM 26.3.1.2: TR must be usable), a VMCS known to be broken. */
static int warn_only;
static unsigned long break_domain;

void vmx_read_cap_msrs(struct vmx_cap_msrs *c)
{
    struct cpuid_regs r;
    int true_ctls = (rdmsr(MSR_IA32_VMX_BASIC) & VMX_BASIC_TRUE_CTLS) != 0;

    c->basic = rdmsr(MSR_IA32_VMX_BASIC);
    c->pin = rdmsr(true_ctls ? MSR_IA32_VMX_TRUE_PINBASED_CTLS : MSR_IA32_VMX_PINBASED_CTLS);
    c->proc = rdmsr(true_ctls ? MSR_IA32_VMX_TRUE_PROCBASED_CTLS : MSR_IA32_VMX_PROCBASED_CTLS);
    /* IA32_VMX_PROCBASED_CTLS2 exists only if "activate secondary controls" may be 1 (A.3.3) */
    c->proc2 = (c->proc >> 32) & PROC_ACTIVATE_SECONDARY ? rdmsr(MSR_IA32_VMX_PROCBASED_CTLS2) : 0;
    c->exit = rdmsr(true_ctls ? MSR_IA32_VMX_TRUE_EXIT_CTLS : MSR_IA32_VMX_EXIT_CTLS);
    c->entry = rdmsr(true_ctls ? MSR_IA32_VMX_TRUE_ENTRY_CTLS : MSR_IA32_VMX_ENTRY_CTLS);
    c->misc = rdmsr(MSR_IA32_VMX_MISC);
    c->cr0_fixed0 = rdmsr(MSR_IA32_VMX_CR0_FIXED0);
    c->cr0_fixed1 = rdmsr(MSR_IA32_VMX_CR0_FIXED1);
    c->cr4_fixed0 = rdmsr(MSR_IA32_VMX_CR4_FIXED0);
    c->cr4_fixed1 = rdmsr(MSR_IA32_VMX_CR4_FIXED1);
    c->ept_vpid = (c->proc2 >> 32) & (PROC2_ENABLE_EPT | PROC2_ENABLE_VPID)
                  ? rdmsr(MSR_IA32_VMX_EPT_VPID_CAP) : 0;
    cpuid_count(0x80000000, 0, &r);
    c->maxphyaddr = 36;                /* without leaf 80000008H (SDM Vol. 3A 4.1.4) */
    if (r.eax >= 0x80000008) {
        cpuid_count(0x80000008, 0, &r);
        c->maxphyaddr = r.eax & 0xFF;
    }
    /* IA32_PERF_GLOBAL_CTRL: a bit per general counter (0..n-1) and per fixed counter (32..)
     * from CPUID.0AH; none before architectural PMU version 2 (SDM Vol. 3B 20.2.2) */
    c->perf_global_ctrl_valid = 0;
    cpuid_count(0, 0, &r);
    if (r.eax >= 0xA) {
        cpuid_count(0xA, 0, &r);
        unsigned version = r.eax & 0xFF, gp = (r.eax >> 8) & 0xFF, fixed = r.edx & 0x1F;
        if (version >= 2)
            c->perf_global_ctrl_valid = ((1ull << gp) - 1) | (((1ull << fixed) - 1) << 32);
    }
}

void vmcs_read_image(struct vmcs_image *img)
{
    *img = (struct vmcs_image){ 0 };
    img->pin = vmcs_read32(VMCS_PIN_BASED_CTLS);   /* the controls decide which fields exist */
    img->proc2 = vmcs_read32(VMCS_PROC_BASED_CTLS2);
    img->entry = vmcs_read32(VMCS_ENTRY_CTLS);
    img->exit = vmcs_read32(VMCS_EXIT_CTLS);
    for (unsigned i = 0; i < vmcs_image_field_count; i++) {
        const struct vmcs_image_field *f = &vmcs_image_fields[i];
        uint8_t *p = (uint8_t *)img + f->offset;
        if (!vmcs_image_field_present(img, f))
            continue;
        uint64_t v = vmcs_read(f->encoding);
        if (f->size == 8)
            *(uint64_t *)p = v;
        else if (f->size == 4)
            *(uint32_t *)p = (uint32_t)v;
        else
            *(uint16_t *)p = (uint16_t)v;
    }
}

void vmx_check_explain(struct vcpu *v)
{
    struct vmx_cap_msrs caps;
    struct vmcs_image img;
    struct vmx_check_result res;

    vmx_read_cap_msrs(&caps);
    vmcs_read_image(&img);
    if (vmx_entry_check(&img, &caps, (rdmsr(MSR_IA32_EFER) & EFER_LMA) != 0, &res) == VMX_RULE_NONE)
        hv_printf("perfvisor: domain %d: the VM-entry checker finds no broken rule: the CPU checks "
                  "something it does not model (vmx_entry_check.h lists what it leaves out)\n",
                  v->dom->id);
    else
        hv_printf("perfvisor: domain %d: the VM-entry checker says: SDM Vol. 3C %s: %s (%s)\n",
                  v->dom->id, res.section, res.text, res.what);
}

void vmx_check_options(const char *cmdline)
{
    char val[16];
    uint64_t n;
#ifdef VMX_ENTRY_CHECK
    if (cmdline_get(cmdline, "vmxcheck", val, sizeof(val)))
        warn_only = !strcmp(val, "warn");
    if (cmdline_get_u64(cmdline, "vmxcheck-break", &n) > 0)
        break_domain = (unsigned long)n;
#else
    (void)cmdline, (void)val, (void)n;
#endif
}

void vmx_check_break(struct vcpu *v)
{
    if (break_domain && (unsigned long)v->dom->id == break_domain) {
        hv_printf("perfvisor: domain %d: vmxcheck-break: its guest TR made unusable (a test)\n",
                  v->dom->id);
        vmcs_write32(VMCS_GUEST_TR_AR, vmcs_read32(VMCS_GUEST_TR_AR) | AR_UNUSABLE);
    }
}

int vmx_check_current(struct vcpu *v)
{
    static struct vmx_cap_msrs caps;
    static int have_caps;
    struct vmcs_image img;
    struct vmx_check_result res;

    struct vmx_vcpu *x = v->arch;

    if (!have_caps) {
        vmx_read_cap_msrs(&caps);
        have_caps = 1;
        hv_printf("perfvisor: VMX_CHECK build: the VM-entry checks (SDM Vol. 3C 26.2-26.3) run "
                  "before every VM entry, on BASIC %016lx PIN %016lx PROC %016lx PROC2 %016lx "
                  "EXIT %016lx ENTRY %016lx MISC %016lx CR0 %lx/%lx CR4 %lx/%lx EPT %016lx "
                  "MAXPHYADDR %u\n", caps.basic, caps.pin, caps.proc, caps.proc2, caps.exit,
                  caps.entry, caps.misc, caps.cr0_fixed0, caps.cr0_fixed1, caps.cr4_fixed0,
                  caps.cr4_fixed1, caps.ept_vpid, caps.maxphyaddr);
    }
    vmcs_read_image(&img);
    /* HOST_RSP is written by vmx_entry.asm just before the entry: any canonical value */
    if (vmx_entry_check(&img, &caps, (rdmsr(MSR_IA32_EFER) & EFER_LMA) != 0, &res) == VMX_RULE_NONE) {
        if (!x->launched)
            hv_printf("perfvisor: domain %d: the VMCS passes the VM-entry checks at VMLAUNCH "
                      "(%s guest)\n", v->dom->id,
                      img.entry & ENTRY_IA32E_MODE_GUEST ? "IA-32e mode" : "32-bit");
        return 0;
    }
    hv_printf("perfvisor: VM-entry check failed for domain %d: SDM Vol. 3C %s: %s (%s)%s\n",
              v->dom->id, res.section, res.text, res.what,
              warn_only ? "; vmxcheck=warn: entering anyway" : "");
    return warn_only ? 0 : -1;
}
