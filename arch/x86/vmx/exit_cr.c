/* Control-register exits: a guest write that changes a CR0/CR4 bit the hypervisor owns
 * (guest/host mask), and every MOV to or from CR8 (CR8-load/store exiting): a 64-bit guest's
 * CR8 is its virtual TPR.  CR3 never exits with EPT. */
#include "arch/x86/cpu.h"
#include "arch/x86/msr.h"
#include "arch/x86/vmx/exits.h"
#include "arch/x86/vmx/vmcs.h"
#include "arch/x86/vmx/vmx_vcpu.h"
#include "hv/domain.h"
#include "hv/printf.h"
#include "hv/vlapic.h"

/* Exit qualification for control-register accesses (SDM Vol. 3C Table 28-3) */
#define CR_NUMBER(q)      ((int)((q) & 0xF))
#define CR_ACCESS_TYPE(q) ((int)(((q) >> 4) & 3))  /* 0 MOV to CR, 1 MOV from CR, 2 CLTS, 3 LMSW */
#define CR_MOV_TO         0
#define CR_MOV_FROM       1
#define CR_LMSW           3
#define CR_GPR(q)         ((int)(((q) >> 8) & 0xF))
#define CR0_RESERVED      (~0xE005003Full)          /* bits other than PE MP EM TS ET NE WP AM NW CD PG */

/* In PAE paging without long mode, VM entry loads the PDPTEs from the VMCS, not memory
 * (SDM 26.3.2.4), so when the guest switches to it we read them for it. */
static int load_pdptes(struct vcpu *v)
{
    uint64_t cr3 = vmcs_readnat(VMCS_GUEST_CR3) & 0xFFFFFFE0ull;
    const uint64_t *pdpte = domain_gpa_ptr(v->dom, cr3, 32);
    if (!pdpte)
        return -1;
    vmcs_write64(VMCS_GUEST_PDPTE0, pdpte[0]);
    vmcs_write64(VMCS_GUEST_PDPTE1, pdpte[1]);
    vmcs_write64(VMCS_GUEST_PDPTE2, pdpte[2]);
    vmcs_write64(VMCS_GUEST_PDPTE3, pdpte[3]);
    return 0;
}

static void update_paging_mode(struct vcpu *v, uint64_t cr0, uint64_t cr4)
{
    vmx_guest_paging_changed();
    uint64_t efer = vmcs_read64(VMCS_GUEST_IA32_EFER);
    uint32_t entry = vmcs_read32(VMCS_ENTRY_CTLS);

    if ((cr0 & CR0_PG) && (efer & EFER_LME))
        efer |= EFER_LMA;                      /* IA-32e mode is now active (SDM 10.8.5) */
    else
        efer &= ~EFER_LMA;
    vmcs_write64(VMCS_GUEST_IA32_EFER, efer);
    vmcs_write32(VMCS_ENTRY_CTLS, efer & EFER_LMA ? entry | ENTRY_IA32E_MODE_GUEST
                                                  : entry & ~ENTRY_IA32E_MODE_GUEST);
    if ((cr0 & CR0_PG) && (cr4 & CR4_PAE) && !(efer & EFER_LMA) && load_pdptes(v))
        domain_stop(v->dom, "PAE page-directory pointers at CR3 0x%lx are outside its memory",
                    vmcs_readnat(VMCS_GUEST_CR3));
}

static enum exit_action emulate_cr0_write(struct vcpu *v, struct vmx_vcpu *x, uint64_t val)
{
    uint64_t old = (vmcs_readnat(VMCS_GUEST_CR0) & ~x->cr0_shadow_owned) |
                   (vmcs_readnat(VMCS_CR0_READ_SHADOW) & x->cr0_shadow_owned);
    uint64_t cr4 = vmcs_readnat(VMCS_GUEST_CR4);
    uint64_t efer = vmcs_read64(VMCS_GUEST_IA32_EFER);

    /* #GP conditions of MOV to CR0 (SDM Vol. 2B "MOV—Move to/from Control Registers") */
    if ((val & CR0_RESERVED) || ((val & CR0_PG) && !(val & CR0_PE)) ||
        ((val & CR0_NW) && !(val & CR0_CD)) ||
        ((val & CR0_PG) && !(old & CR0_PG) && (efer & EFER_LME) && !(cr4 & CR4_PAE))) {
        vmx_inject_exception(v, VECTOR_GP, 1, 0, "MOV to CR0 with an invalid value");
        return EXIT_RESUME;
    }
    uint64_t real = (val | (vmx_caps.cr0_fixed0 & ~(CR0_PE | CR0_PG))) & vmx_caps.cr0_fixed1;
    vmcs_writenat(VMCS_CR0_READ_SHADOW, val);
    vmcs_writenat(VMCS_GUEST_CR0, real);
    vmx_guest_paging_changed();
    if ((old ^ val) & CR0_PG)
        update_paging_mode(v, val, cr4);
    vmx_skip_instruction();
    return EXIT_RESUME;
}

static enum exit_action emulate_cr4_write(struct vcpu *v, struct vmx_vcpu *x, uint64_t val)
{
    /* VMXE, OSXSAVE, PKE, CET, LA57, ...: features CPUID does not offer guests (vmx_probe.c) */
    uint64_t allowed = vmx_caps.cr4_fixed1 & ~vmx_caps.cr4_guest_reserved;
    uint64_t old = vmcs_readnat(VMCS_GUEST_CR4);
    (void)x;

    if (val & ~allowed) {
        vmx_inject_exception(v, VECTOR_GP, 1, 0, "MOV to CR4 setting a reserved bit");
        return EXIT_RESUME;
    }
    vmcs_writenat(VMCS_CR4_READ_SHADOW, val);
    vmcs_writenat(VMCS_GUEST_CR4, val | vmx_caps.cr4_fixed0);
    vmx_guest_paging_changed();
    if ((old ^ val) & CR4_PAE)
        update_paging_mode(v, vmcs_readnat(VMCS_GUEST_CR0), val);
    vmx_skip_instruction();
    return EXIT_RESUME;
}

/* MOV to/from CR8 reaches the guest's virtual TPR, never the CPU's (SDM Vol. 3A 11.8.6.5).
 * Only 64-bit code can name CR8: elsewhere the instruction is a #UD before any exit. */
static enum exit_action emulate_cr8(struct vcpu *v, struct vmx_vcpu *x, int type, int gpr)
{
    if (type == CR_MOV_FROM) {
        vmx_gpr_write(x, gpr, vlapic_cr8_read(&v->vlapic));
    } else if (vlapic_cr8_write(&v->vlapic, vmx_gpr_read(x, gpr))) {
        vmx_inject_exception(v, VECTOR_GP, 1, 0, "MOV to CR8 setting a reserved bit");
        return EXIT_RESUME;
    } else {
        v->events_pending = 1;           /* a lower priority class may let an IRR vector in */
    }
    vmx_skip_instruction();
    return EXIT_RESUME;
}

enum exit_action exit_cr_access(struct vcpu *v, struct vmx_vcpu *x)
{
    uint64_t q = vmcs_readnat(VMCS_EXIT_QUALIFICATION);
    int cr = CR_NUMBER(q), type = CR_ACCESS_TYPE(q);

    if (type == CR_MOV_TO && cr == 0)
        return emulate_cr0_write(v, x, vmx_gpr_read(x, CR_GPR(q)));
    if (type == CR_MOV_TO && cr == 4)
        return emulate_cr4_write(v, x, vmx_gpr_read(x, CR_GPR(q)));
    if ((type == CR_MOV_TO || type == CR_MOV_FROM) && cr == 8)
        return emulate_cr8(v, x, type, CR_GPR(q));
    if (type == CR_LMSW) {                     /* LMSW: only the low 4 bits of CR0 (PE can't clear) */
        uint64_t cr0 = vmcs_readnat(VMCS_CR0_READ_SHADOW);
        uint64_t src = (q >> 16) & 0xF;
        return emulate_cr0_write(v, x, (cr0 & ~0xEull) | (src & 0xE) | ((cr0 | src) & CR0_PE));
    }
    vmx_dump_guest(v, EXIT_CR_ACCESS);
    domain_stop(v->dom, "unexpected control-register access (qualification 0x%lx)", q);
    return EXIT_END_SLICE;
}
