/* VMX set-up: VMXON, one VMCS per vCPU with its host and initial guest state, switching the
 * loaded vCPU, and the helpers exit handlers share. */
#include "arch/x86/vmx/vmx_vcpu.h"
#include "boot/multiboot.h"
#include "arch/x86/cpu.h"
#include "arch/x86/gdt.h"
#include "arch/x86/msr.h"
#include "arch/x86/vmx/ept.h"
#include "arch/x86/vmx/msr_policy.h"
#include "arch/x86/vmx/vmcs.h"
#include "arch/x86/vmx/vmcs_image.h"
#include "arch/x86/vmx/vmx_check_cpu.h"
#include "arch/x86/vmx/vmx_vpmu.h"
#include "arch/x86/vmx/vmx_ops.h"
#include "hv/arch.h"
#include "hv/domain.h"
#include "hv/guest_mbinfo.h"
#include "hv/mm.h"
#include "hv/printf.h"
#include "hv/string.h"

#define FXSAVE_FCW_INIT  0x037F       /* x87 control word after FNINIT (Vol. 1 8.1.5) */
#define MXCSR_INIT       0x1F80       /* all SSE exceptions masked, after RESET (Vol. 1 10.2.3) */

static uint8_t *msr_bitmap;
static struct vcpu *loaded;            /* the vCPU whose VMCS is current */

static const uint32_t swapped_msr_numbers[SW_COUNT] = {
    [SW_STAR] = MSR_IA32_STAR, [SW_LSTAR] = MSR_IA32_LSTAR, [SW_CSTAR] = MSR_IA32_CSTAR,
    [SW_FMASK] = MSR_IA32_FMASK, [SW_KERNEL_GS_BASE] = MSR_IA32_KERNEL_GS_BASE,
    [SW_TSC_AUX] = MSR_IA32_TSC_AUX,
};

int arch_virt_init(void)
{
    if (vmx_probe())
        return -1;

    /* CR0 and CR4 must respect the VMX fixed bits (SDM Vol. 3D A.7, A.8) before VMXON. */
    write_cr4((read_cr4() | vmx_caps.cr4_fixed0 | CR4_VMXE) & vmx_caps.cr4_fixed1);
    write_cr0((read_cr0() | vmx_caps.cr0_fixed0) & vmx_caps.cr0_fixed1);

    uint32_t *vmxon_region = page_alloc_zeroed(PAGE_SIZE, PAGE_SIZE);
    vmxon_region[0] = VMX_BASIC_REVISION(vmx_caps.basic);
    int r = vmxon((uint64_t)(uintptr_t)vmxon_region);
    if (r) {
        hv_printf("perfvisor: VT-x not available: VMXON failed (%s)\n",
                  r == 1 ? "VMfailInvalid" : "VMfailValid");
        return -1;
    }
    msr_bitmap = page_alloc_zeroed(PAGE_SIZE, PAGE_SIZE);
    msr_bitmap_build(msr_bitmap);
    return 0;
}

int arch_domain_init(struct domain *d)
{
    struct ept *ept = page_alloc_zeroed(sizeof(*ept), PAGE_SIZE);
    d->arch = ept;
    return ept_build(ept, d->mem_size, d->mem_host);
}

/* The host state VM exits return to: this CPU's as it runs the hypervisor. */
static void read_host_regs(struct vmx_host_regs *h)
{
    struct desc_ptr idtr;
    sidt(&idtr);
    *h = (struct vmx_host_regs){
        .cr0 = read_cr0(), .cr3 = read_cr3(), .cr4 = read_cr4(),
        .efer = rdmsr(MSR_IA32_EFER), .pat = rdmsr(MSR_IA32_PAT),
        .cs = GDT_SEL_CODE, .ds = GDT_SEL_DATA, .tr = GDT_SEL_TSS,
        .tr_base = tss_base(), .gdtr_base = gdt_base(), .idtr_base = idtr.base,
        .rip = (uint64_t)(uintptr_t)vmx_exit_stub,
    };
}

/* VMWRITEs every field of an image that exists for its controls (HOST_RSP is vmx_entry.asm's). */
static void vmcs_write_image(const struct vmcs_image *img)
{
    for (unsigned i = 0; i < vmcs_image_field_count; i++) {
        const struct vmcs_image_field *f = &vmcs_image_fields[i];
        const uint8_t *p = (const uint8_t *)img + f->offset;
        uint64_t v = f->size == 8 ? *(const uint64_t *)p : f->size == 4 ? *(const uint32_t *)p
                   : *(const uint16_t *)p;
        if (f->when != VMCS_FIELD_READ_ONLY_HERE && vmcs_image_field_present(img, f))
            vmcs_write(f->encoding, v);
    }
}

/* 0 if a start state can be entered, else -1 and why: a domain whose loader got it wrong is
 * stopped before any VM entry.  The VMCS it would get goes through the VM-entry checks (SDM
 * Vol. 3C 26.2-26.3, vmx_entry_check.c) on this CPU's capabilities; the rest is the loader's
 * own sanity: selectors inside GDTR's limit, CR3, RIP and the GDT inside the domain. */
int arch_boot_state_check(const struct domain *d, char *err, int errlen)
{
    const struct guest_boot_state *st = &d->boot;
    struct vmx_cap_msrs caps;
    struct vmx_host_regs host;
    struct vmcs_image img = { 0 };
    struct vmx_check_result res;
    /* the EPT is built after this check: an EPTP of the same format stands in for it */
    struct vmx_vcpu_refs refs = { .msr_bitmap = (uint64_t)(uintptr_t)msr_bitmap,
                                  .eptp = EPTP_WALK_4 | EPTP_MEMTYPE_WB, .vpid = (uint16_t)d->id };
    const char *why = NULL;

    vmx_read_cap_msrs(&caps);
    read_host_regs(&host);
    vmcs_image_controls(&img, &vmx_caps, st, &refs);
    vmcs_image_host(&img, &host);
    vmcs_image_guest(&img, &vmx_caps, st);
    if (vmx_entry_check(&img, &caps, 1, &res) != VMX_RULE_NONE) {
        hv_snprintf(err, errlen, "SDM Vol. 3C %s: %s (%s)", res.section, res.text, res.what);
        return -1;
    }
    if ((st->cs & 7) || (st->ds & 7) || !st->cs || !st->ds)
        why = "CS and DS must be non-null GDT selectors with RPL 0";
    else if (st->gdtr_limit < (st->cs | 7) || st->gdtr_limit < (st->ds | 7))
        why = "GDTR's limit does not cover the CS and DS selectors";
    else if (st->cr3 >= d->mem_size)
        why = "CR3 is outside the domain's memory";
    else if (st->rip >= d->mem_size || st->gdtr_base + st->gdtr_limit >= d->mem_size)
        why = "RIP or the GDT is outside the domain's memory";
    if (!why)
        return 0;
    hv_snprintf(err, errlen, "%s", why);
    return -1;
}

int arch_vcpu_init(struct vcpu *v)
{
    struct vmx_vcpu *x = page_alloc_zeroed(sizeof(*x), PAGE_SIZE);
    uint32_t *vmcs = page_alloc_zeroed(PAGE_SIZE, PAGE_SIZE);
    int r;

    v->arch = x;
    vmcs[0] = VMX_BASIC_REVISION(vmx_caps.basic);
    x->vmcs_pa = (uint64_t)(uintptr_t)vmcs;
    if ((r = vmclear(x->vmcs_pa)) || (r = vmptrld(x->vmcs_pa))) {
        vmx_report_failure("VMCLEAR/VMPTRLD", r);
        return -1;
    }
    loaded = NULL;                     /* force a full load before the first entry */
    /* the vPMU's backend, once per vCPU: software (TSC + preemption timer), or the real
     * counters with vpmu=hw (vmx_vpmu.c) */
    vmx_vpmu_vcpu_init(v);
    v->vpmu.mode = v->dom->vpmu_mode;
    vlapic_init(&v->vlapic, (uint32_t)v->id);
    struct vmcs_image img = { 0 };
    struct vmx_host_regs host;
    struct vmx_vcpu_refs refs = { .msr_bitmap = (uint64_t)(uintptr_t)msr_bitmap,
                                  .eptp = ((struct ept *)v->dom->arch)->eptp,
                                  .vpid = (uint16_t)v->dom->id };
    read_host_regs(&host);
    vmcs_image_controls(&img, &vmx_caps, &v->dom->boot, &refs);
    vmcs_image_host(&img, &host);
    vmcs_image_guest(&img, &vmx_caps, &v->dom->boot);
    vmx_vpmu_image(v, &img);
    vmcs_write_image(&img);
    vmx_check_break(v);                /* VMX_CHECK builds' tests only (vmxcheck-break=) */
    x->proc = img.proc;
    x->cr0_shadow_owned = img.cr0_mask;
    x->cr4_shadow_owned = img.cr4_mask;
    /* DR0-3 (zeroed with *x) and DR6 are swapped by vmx_vcpu_load; DR7 and IA32_DEBUGCTL are
     * in the image */
    x->dr6 = DR6_INIT;
    x->regs.rax = v->dom->boot.rax;    /* multiboot: the magic 0x2BADB002 */
    x->regs.rbx = v->dom->boot.rbx;    /* multiboot: the information */
    x->regs.rsi = v->dom->boot.rsi;    /* Linux: boot_params */
    *(uint16_t *)&x->fxsave[0] = FXSAVE_FCW_INIT;
    *(uint32_t *)&x->fxsave[24] = MXCSR_INIT;
    x->last_reason = -1;
    return 0;
}

/* Makes v the current vCPU: its VMCS, and the state VMX does not switch for us. */
void vmx_vcpu_load(struct vcpu *v)
{
    struct vmx_vcpu *x = v->arch;
    if (loaded == v)
        return;
    if (loaded) {
        struct vmx_vcpu *old = loaded->arch;
        for (int i = 0; i < SW_COUNT; i++)
            old->swapped_msrs[i] = rdmsr(swapped_msr_numbers[i]);
        old->cr2 = read_cr2();
        vmx_debug_regs_save(old);
        fxsave(old->fxsave);
    }
    int r = vmptrld(x->vmcs_pa);
    if (r) {
        vmx_report_failure("VMPTRLD", r);
        panic("vmx_vcpu_load: cannot load the VMCS of domain %d", v->dom->id);
    }
    for (int i = 0; i < SW_COUNT; i++)
        wrmsr(swapped_msr_numbers[i], x->swapped_msrs[i]);
    write_cr2(x->cr2);
    vmx_debug_regs_load(x);
    fxrstor(x->fxsave);
    vmx_vpmu_switch(loaded, v);        /* counters of the one leaving saved, v's loaded */
    loaded = v;
}

void vmx_skip_instruction(void)
{
    vmx_advance_rip(vmcs_read32(VMCS_EXIT_INSTRUCTION_LEN));
}

void vmx_advance_rip(uint64_t len)
{
    vmcs_writenat(VMCS_GUEST_RIP, vmcs_readnat(VMCS_GUEST_RIP) + len);
    uint32_t intr = vmcs_read32(VMCS_GUEST_INTERRUPTIBILITY);
    if (intr & 3)                      /* blocking by STI (bit 0) or MOV SS (bit 1) ends */
        vmcs_write32(VMCS_GUEST_INTERRUPTIBILITY, intr & ~3u);
}

void vmx_inject_exception(struct vcpu *v, int vector, int has_error_code, uint32_t error_code,
                          const char *why)
{
    uint32_t info = INTR_INFO_VALID | INTR_TYPE_HW_EXCEPTION | (uint32_t)vector;
    /* In real mode (CR0.PE=0) no error code is pushed (SDM 26.2.1.3). */
    if (has_error_code && (vmcs_readnat(VMCS_GUEST_CR0) & CR0_PE)) {
        info |= INTR_INFO_DELIVER_CODE;
        vmcs_write32(VMCS_ENTRY_EXCEPTION_ERROR_CODE, error_code);
    }
    vmcs_write32(VMCS_ENTRY_INTR_INFO, info);
    vmx_fault_rflags(vector);
    ((struct vmx_vcpu *)v->arch)->injected = 1;
    hv_snprintf(v->last_event, sizeof(v->last_event), "%s injected at rip 0x%lx: %s",
                vector == VECTOR_GP ? "#GP" : vector == VECTOR_UD ? "#UD" : "exception",
                vmcs_readnat(VMCS_GUEST_RIP), why);
}

/* Register numbering of exit qualifications: 0 RAX, 1 RCX, 2 RDX, 3 RBX, 4 RSP, 5 RBP, 6 RSI,
 * 7 RDI, 8-15 R8-R15 (SDM Vol. 3C Table 28-3). */
static uint64_t *gpr_slot(struct vmx_vcpu *x, int index)
{
    struct guest_regs *r = &x->regs;
    uint64_t *const slots[16] = { &r->rax, &r->rcx, &r->rdx, &r->rbx, NULL, &r->rbp, &r->rsi,
                                  &r->rdi, &r->r8, &r->r9, &r->r10, &r->r11, &r->r12, &r->r13,
                                  &r->r14, &r->r15 };
    return slots[index & 15];
}

/* In 64-bit mode (CS.L, access-rights bit 13) a register operand is 64 bits, else 32. */
uint64_t vmx_gpr_read(struct vmx_vcpu *x, int index)
{
    uint64_t *p = gpr_slot(x, index);
    uint64_t v = p ? *p : vmcs_readnat(VMCS_GUEST_RSP);
    return vmx_guest_64bit() ? v : (uint32_t)v;
}

void vmx_gpr_write(struct vmx_vcpu *x, int index, uint64_t value)
{
    uint64_t *p = gpr_slot(x, index);
    if (p)
        *p = value;
    else
        vmcs_writenat(VMCS_GUEST_RSP, value);
}
