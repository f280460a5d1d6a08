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
#include "arch/x86/vmx/vmx_ops.h"
#include "hv/arch.h"
#include "hv/domain.h"
#include "hv/guest_mbinfo.h"
#include "hv/mm.h"
#include "hv/printf.h"
#include "hv/string.h"

/* Guest segment access rights in the VMCS format (SDM Vol. 3C 25.4.1, Table 25-2; descriptor
 * types from Vol. 3A 3.4.5.1 Table 3-1 and 7.2.2): */
#define AR_UNUSABLE      (1u << 16)   /* segment unusable */
#define AR_CODE32        0xC09Bu      /* G, D/B, P, S, type 11 (code exec/read accessed) */
#define AR_CODE64        0xA09Bu      /* G, L, P, S, type 11: 64-bit code (L=1 needs D=0) */
#define AR_DATA32        0xC093u      /* G, D/B, P, S, type 3 (data read/write accessed) */
#define AR_TSS32_BUSY    0x008Bu      /* P, type 11 (busy 32-bit TSS) */
#define PAT_POWER_ON     0x0007040600070406ull  /* IA32_PAT after RESET (Vol. 3A 13.12.4, Table 13-11) */
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

static void setup_host_state(void)
{
    struct desc_ptr idtr;
    sidt(&idtr);
    vmcs_writenat(VMCS_HOST_CR0, read_cr0());
    vmcs_writenat(VMCS_HOST_CR3, read_cr3());
    vmcs_writenat(VMCS_HOST_CR4, read_cr4());
    vmcs_write16(VMCS_HOST_CS_SEL, GDT_SEL_CODE);
    vmcs_write16(VMCS_HOST_SS_SEL, GDT_SEL_DATA);
    vmcs_write16(VMCS_HOST_DS_SEL, GDT_SEL_DATA);
    vmcs_write16(VMCS_HOST_ES_SEL, GDT_SEL_DATA);
    vmcs_write16(VMCS_HOST_FS_SEL, 0);
    vmcs_write16(VMCS_HOST_GS_SEL, 0);
    vmcs_write16(VMCS_HOST_TR_SEL, GDT_SEL_TSS);
    vmcs_writenat(VMCS_HOST_FS_BASE, 0);
    vmcs_writenat(VMCS_HOST_GS_BASE, 0);
    vmcs_writenat(VMCS_HOST_TR_BASE, tss_base());
    vmcs_writenat(VMCS_HOST_GDTR_BASE, gdt_base());
    vmcs_writenat(VMCS_HOST_IDTR_BASE, idtr.base);
    vmcs_write32(VMCS_HOST_SYSENTER_CS, 0);
    vmcs_writenat(VMCS_HOST_SYSENTER_ESP, 0);
    vmcs_writenat(VMCS_HOST_SYSENTER_EIP, 0);
    vmcs_write64(VMCS_HOST_IA32_EFER, rdmsr(MSR_IA32_EFER));
    vmcs_write64(VMCS_HOST_IA32_PAT, rdmsr(MSR_IA32_PAT));
    vmcs_writenat(VMCS_HOST_RIP, (uint64_t)(uintptr_t)vmx_exit_stub);
}

static void setup_controls(struct domain *d, struct vmx_vcpu *x)
{
    vmcs_write32(VMCS_PIN_BASED_CTLS, vmx_caps.pin);
    vmcs_write32(VMCS_PROC_BASED_CTLS, vmx_caps.proc);
    x->proc = vmx_caps.proc;
    vmcs_write32(VMCS_PROC_BASED_CTLS2, vmx_caps.proc2);
    vmcs_write32(VMCS_EXIT_CTLS, vmx_caps.exit);
    /* IA-32e mode guest: set for a 64-bit start (26.3.1.1); later, VM exits store EFER.LMA in
     * it (28.2), so a guest that enters long mode itself keeps it right. */
    vmcs_write32(VMCS_ENTRY_CTLS, vmx_caps.entry | (d->boot.long_mode ? ENTRY_IA32E_MODE_GUEST : 0));
    vmcs_write32(VMCS_EXCEPTION_BITMAP, 0);          /* guests handle their own exceptions */
    vmcs_write32(VMCS_PF_ERROR_CODE_MASK, 0);
    vmcs_write32(VMCS_PF_ERROR_CODE_MATCH, 0);
    vmcs_write32(VMCS_CR3_TARGET_COUNT, 0);
    vmcs_write32(VMCS_EXIT_MSR_STORE_COUNT, 0);
    vmcs_write32(VMCS_EXIT_MSR_LOAD_COUNT, 0);
    vmcs_write32(VMCS_ENTRY_MSR_LOAD_COUNT, 0);
    vmcs_write32(VMCS_ENTRY_INTR_INFO, 0);
    vmcs_write64(VMCS_MSR_BITMAP, (uint64_t)(uintptr_t)msr_bitmap);
    vmcs_write64(VMCS_EPT_POINTER, ((struct ept *)d->arch)->eptp);
    if (vmx_caps.proc2 & PROC2_ENABLE_VPID)
        vmcs_write16(VMCS_VPID, (uint16_t)d->id);     /* non-zero: 0 is the host's */
    vmcs_write64(VMCS_LINK_POINTER, ~0ull);          /* no shadow VMCS */

    /* The guest owns CR0 and CR4 except the bits VMX pins (fixed bits, minus PE and PG which
     * unrestricted guest frees) and every CR4 bit its CPUID does not offer (OSXSAVE, PKE, CET,
     * LA57, UINTR, ... and the reserved ones: cpuid_cr4_guest_reserved).  A guest write that
     * changes an owned bit exits to exit_cr.c; reads see the read shadow. */
    x->cr0_shadow_owned = (vmx_caps.cr0_fixed0 & ~(CR0_PE | CR0_PG)) | (~vmx_caps.cr0_fixed1 & 0xFFFFFFFFull) |
                          (vmx_caps.exit_stores_lma ? 0 : CR0_PG);  /* see vmx_caps */
    x->cr4_shadow_owned = vmx_caps.cr4_fixed0 | ~vmx_caps.cr4_fixed1 | vmx_caps.cr4_guest_reserved;
    vmcs_writenat(VMCS_CR0_GUEST_HOST_MASK, x->cr0_shadow_owned);
    vmcs_writenat(VMCS_CR4_GUEST_HOST_MASK, x->cr4_shadow_owned);
}

/* 0 if a start state passes the VM-entry checks on guest state it touches (SDM Vol. 3C
 * 26.3.1.1 control registers and EFER, 26.3.1.2 segments and GDTR, 26.3.1.4 RIP), else -1 and
 * the rule broken: a domain whose loader got it wrong is stopped before any VM entry. */
int arch_boot_state_check(const struct domain *d, char *err, int errlen)
{
    const struct guest_boot_state *st = &d->boot;
    const char *why = NULL;
    uint64_t cr0 = st->cr0 | (vmx_caps.cr0_fixed0 & ~(CR0_PE | CR0_PG));
    uint64_t cr4 = st->cr4 | vmx_caps.cr4_fixed0;
    uint64_t efer_lm = EFER_LME | EFER_LMA;
    uint32_t entry_may = (uint32_t)(rdmsr(MSR_IA32_VMX_ENTRY_CTLS) >> 32);

    if ((cr0 & ~vmx_caps.cr0_fixed1) || (cr0 >> 32))
        why = "CR0 sets a bit VMX keeps clear (IA32_VMX_CR0_FIXED1) or a reserved bit";
    else if ((cr0 & CR0_PG) && !(cr0 & CR0_PE))
        why = "CR0.PG without CR0.PE";
    else if (cr4 & ~vmx_caps.cr4_fixed1)
        why = "CR4 sets a bit VMX keeps clear (IA32_VMX_CR4_FIXED1)";
    else if (st->cr3 >> 52 || st->cr3 >= d->mem_size)
        why = "CR3 is outside the domain's memory";
    else if (st->long_mode && !(entry_may & ENTRY_IA32E_MODE_GUEST))
        why = "the processor does not allow the IA-32e mode guest VM-entry control";
    else if (st->long_mode && (!(cr0 & CR0_PG) || !(cr4 & CR4_PAE)))
        why = "a 64-bit start needs CR0.PG and CR4.PAE";
    else if (st->long_mode ? (st->efer & efer_lm) != efer_lm : (st->efer & EFER_LMA) != 0)
        why = "EFER.LMA must equal the IA-32e mode guest control (and EFER.LME with CR0.PG)";
    else if (st->efer & ~(EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE))
        why = "EFER sets a reserved bit";
    else if ((st->cs & 7) || (st->ds & 7) || !st->cs || !st->ds)
        why = "CS and DS must be non-null GDT selectors with RPL 0";
    else if (st->gdtr_limit < (st->cs | 7) || st->gdtr_limit < (st->ds | 7))
        why = "GDTR's limit does not cover the CS and DS selectors";
    else if (st->long_mode ? ((int64_t)(st->rip << 16) >> 16) != (int64_t)st->rip
                           : (st->rip >> 32) != 0)
        why = st->long_mode ? "RIP is not canonical" : "EIP above 4 GiB in 32-bit mode";
    else if (st->rip >= d->mem_size || st->gdtr_base + st->gdtr_limit >= d->mem_size)
        why = "RIP or the GDT is outside the domain's memory";
    if (!why)
        return 0;
    hv_snprintf(err, errlen, "%s", why);
    return -1;
}

/* The start state the loader left (hv/guest_load.c): a multiboot loader's (Multiboot 0.6.96,
 * 3.2 "Machine state") or Linux's 64-bit entry (boot.rst "64-bit Boot Protocol"). */
static void setup_guest_state(struct domain *d, struct vmx_vcpu *x)
{
    const struct guest_boot_state *st = &d->boot;
    /* Unrestricted guest frees PE and PG from the fixed-0 bits (26.3.1.1); the rest are forced
     * on and the read shadow shows the guest its own value. */
    vmcs_writenat(VMCS_CR0_READ_SHADOW, st->cr0);
    vmcs_writenat(VMCS_GUEST_CR0, (st->cr0 | (vmx_caps.cr0_fixed0 & ~(CR0_PE | CR0_PG))) & vmx_caps.cr0_fixed1);
    vmcs_writenat(VMCS_CR4_READ_SHADOW, st->cr4);
    vmcs_writenat(VMCS_GUEST_CR4, (st->cr4 | vmx_caps.cr4_fixed0) & vmx_caps.cr4_fixed1);
    vmcs_writenat(VMCS_GUEST_CR3, st->cr3);

    /* 64-bit: CS.L=1 and D=0 (26.3.1.2); data segments are the same flat 0xC093 in both modes */
    uint32_t cs_ar = st->long_mode ? AR_CODE64 : AR_CODE32;
    static const struct { uint32_t sel, base, limit, ar; int is_cs; } segs[] = {
        { VMCS_GUEST_CS_SEL, VMCS_GUEST_CS_BASE, VMCS_GUEST_CS_LIMIT, VMCS_GUEST_CS_AR, 1 },
        { VMCS_GUEST_SS_SEL, VMCS_GUEST_SS_BASE, VMCS_GUEST_SS_LIMIT, VMCS_GUEST_SS_AR, 0 },
        { VMCS_GUEST_DS_SEL, VMCS_GUEST_DS_BASE, VMCS_GUEST_DS_LIMIT, VMCS_GUEST_DS_AR, 0 },
        { VMCS_GUEST_ES_SEL, VMCS_GUEST_ES_BASE, VMCS_GUEST_ES_LIMIT, VMCS_GUEST_ES_AR, 0 },
        { VMCS_GUEST_FS_SEL, VMCS_GUEST_FS_BASE, VMCS_GUEST_FS_LIMIT, VMCS_GUEST_FS_AR, 0 },
        { VMCS_GUEST_GS_SEL, VMCS_GUEST_GS_BASE, VMCS_GUEST_GS_LIMIT, VMCS_GUEST_GS_AR, 0 },
    };
    for (unsigned i = 0; i < sizeof(segs) / sizeof(segs[0]); i++) {
        vmcs_write(segs[i].sel, segs[i].is_cs ? st->cs : st->ds);
        vmcs_write(segs[i].base, 0);
        vmcs_write(segs[i].limit, 0xFFFFFFFF);
        vmcs_write(segs[i].ar, segs[i].is_cs ? cs_ar : AR_DATA32);
    }
    vmcs_write16(VMCS_GUEST_LDTR_SEL, 0);
    vmcs_writenat(VMCS_GUEST_LDTR_BASE, 0);
    vmcs_write32(VMCS_GUEST_LDTR_LIMIT, 0);
    vmcs_write32(VMCS_GUEST_LDTR_AR, AR_UNUSABLE);
    vmcs_write16(VMCS_GUEST_TR_SEL, 0);              /* VM entry needs a usable TR (26.3.1.2) */
    vmcs_writenat(VMCS_GUEST_TR_BASE, 0);
    vmcs_write32(VMCS_GUEST_TR_LIMIT, 0x67);
    vmcs_write32(VMCS_GUEST_TR_AR, AR_TSS32_BUSY);
    vmcs_writenat(VMCS_GUEST_GDTR_BASE, st->gdtr_base); /* the flat GDT the selectors index, */
    vmcs_write32(VMCS_GUEST_GDTR_LIMIT, st->gdtr_limit); /* as the loader left it; no IDT yet */
    vmcs_writenat(VMCS_GUEST_IDTR_BASE, 0);
    vmcs_write32(VMCS_GUEST_IDTR_LIMIT, 0);

    vmcs_writenat(VMCS_GUEST_RIP, st->rip);
    vmcs_writenat(VMCS_GUEST_RSP, st->rsp);
    vmcs_writenat(VMCS_GUEST_RFLAGS, RFLAGS_RSVD1);   /* IF=0 */
    /* Debug state at RESET (SDM Vol. 3A Table 10-1): DR7 and IA32_DEBUGCTL are loaded from
     * here at every entry and saved at every exit (the debug-controls VM-entry/exit controls);
     * DR0-3 (zeroed with *x) and DR6 are swapped by vmx_vcpu_load. */
    vmcs_writenat(VMCS_GUEST_DR7, DR7_INIT);
    vmcs_write64(VMCS_GUEST_IA32_DEBUGCTL, 0);
    x->dr6 = DR6_INIT;
    vmcs_write64(VMCS_GUEST_IA32_EFER, st->efer);  /* loaded at entry (ENTRY_LOAD_IA32_EFER) */
    vmcs_write64(VMCS_GUEST_IA32_PAT, PAT_POWER_ON);
    vmcs_write32(VMCS_GUEST_SYSENTER_CS, 0);
    vmcs_writenat(VMCS_GUEST_SYSENTER_ESP, 0);
    vmcs_writenat(VMCS_GUEST_SYSENTER_EIP, 0);
    vmcs_write32(VMCS_GUEST_INTERRUPTIBILITY, 0);
    vmcs_write32(VMCS_GUEST_ACTIVITY_STATE, 0);       /* active */
    vmcs_writenat(VMCS_GUEST_PENDING_DBG_EXCEPTIONS, 0);
    vmcs_write32(VMCS_GUEST_PREEMPTION_TIMER, 0);

    x->regs.rax = st->rax;             /* multiboot: the magic 0x2BADB002 */
    x->regs.rbx = st->rbx;             /* multiboot: the information */
    x->regs.rsi = st->rsi;             /* Linux: boot_params */
    *(uint16_t *)&x->fxsave[0] = FXSAVE_FCW_INIT;
    *(uint32_t *)&x->fxsave[24] = MXCSR_INIT;
    x->last_reason = -1;
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
    /* the vPMU's backend, once per vCPU: software (TSC + preemption timer); the hardware
     * backend (vpmu_hw_backend) is not wired into VMX yet (GLOBAL_CTRL load controls, NMIs) */
    vpmu_init_backend(&v->vpmu, &vpmu_sw_backend, NULL);
    v->vpmu.mode = v->dom->vpmu_mode;
    vlapic_init(&v->vlapic, (uint32_t)v->id);
    setup_controls(v->dom, x);
    setup_host_state();
    setup_guest_state(v->dom, x);
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
        vpmu_save(&loaded->vpmu);
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
    vpmu_restore(&v->vpmu);
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
