/* The guest's local APIC through its three interfaces: the xAPIC page (EPT violations), the
 * x2APIC MSRs and IA32_APIC_BASE (RDMSR/WRMSR exits, routed here by exit_msr.c).
 *
 * The guest's xAPIC page (SDM Vol. 3A 11.4.1): nothing is mapped at 0xFEE00000 in its EPT,
 * so an access exits as an EPT violation with the guest-physical address; the instruction is
 * fetched through the guest's paging and decoded (arch/x86/insn_decode.c) for its register or
 * immediate and its length, and the access goes to the virtual LAPIC (hv/vlapic.c). */
#include "arch/x86/insn_decode.h"
#include "arch/x86/msr.h"
#include "arch/x86/vmx/exit_vpmu.h"
#include "arch/x86/vmx/exits.h"
#include "arch/x86/vmx/vmcs.h"
#include "arch/x86/vmx/vmx_vcpu.h"
#include "hv/arch.h"
#include "hv/domain.h"
#include "hv/vlapic.h"

#define AR_L  (1u << 13)     /* CS access rights: 64-bit code */
#define AR_DB (1u << 14)     /* CS access rights: default operand size 32 */
#define MAX_INSN 15

/* Fetches the instruction at the guest's RIP through its paging and decodes it as a MOV to or
 * from memory: 0 for a 32-bit MOV, the only width the APIC pages take; -1 otherwise (bytes then
 * hold what could be fetched, zeros past it, for the stop message). */
static int fetch_mov32(struct vcpu *v, uint64_t rip, uint8_t bytes[MAX_INSN], struct insn_mov *m)
{
    uint32_t ar = vmcs_read32(VMCS_GUEST_CS_AR);
    uint64_t linear = rip + ((ar & AR_L) ? 0 : vmcs_readnat(VMCS_GUEST_CS_BASE));
    int mode = (ar & AR_L) ? 64 : (ar & AR_DB) ? 32 : 16;
    size_t n = MAX_INSN;

    while (n && arch_guest_read(v, linear, bytes, n))    /* the last page may end early */
        n--;
    return !n || insn_decode_mov(bytes, n, mode, m) || m->size != 4 ? -1 : 0;
}

/* The value a decoded MOV stores: its immediate or its source register. */
static uint32_t mov_source(struct vmx_vcpu *x, const struct insn_mov *m)
{
    return m->reg < 0 ? (uint32_t)m->imm : (uint32_t)vmx_gpr_read(x, m->reg);
}

enum exit_action exit_apic_mmio(struct vcpu *v, struct vmx_vcpu *x, uint64_t gpa)
{
    uint8_t bytes[MAX_INSN] = { 0 };
    struct insn_mov m;
    uint32_t off = (uint32_t)(gpa & 0xFFF), val;
    uint64_t rip = vmcs_readnat(VMCS_GUEST_RIP);

    if (v->vlapic.disabled) {            /* IA32_APIC_BASE.EN = 0: no APIC there (11.4.3) */
        domain_stop(v->dom, "access to the xAPIC page (offset 0x%x, rip 0x%lx) with the APIC "
                    "globally disabled (IA32_APIC_BASE.EN = 0)", off, rip);
        return EXIT_END_SLICE;
    }
    if (fetch_mov32(v, rip, bytes, &m)) {
        domain_stop(v->dom, "xAPIC access at offset 0x%x by an instruction perfvisor does not "
                    "emulate (rip 0x%lx, bytes %02x %02x %02x %02x): use 32-bit MOVs, or x2APIC",
                    off, rip, bytes[0], bytes[1], bytes[2], bytes[3]);
        return EXIT_END_SLICE;
    }
    if (m.is_write) {
        val = mov_source(x, &m);
        if (vlapic_mmio_write(&v->vlapic, off, val, x->regs.exit_tsc))
            goto bad;
        v->events_pending = 1;             /* an EOI, a self-IPI or an unmasked LVT */
    } else {
        if (vlapic_mmio_read(&v->vlapic, off, &val, x->regs.exit_tsc))
            goto bad;
        v->events_pending = 1;             /* an APIC timer expiry the read brought due */
        vmx_gpr_write(x, m.reg, val);      /* a 32-bit load zero-extends in 64-bit mode */
    }
    vmx_advance_rip(m.length);
    return EXIT_RESUME;
bad:
    domain_stop(v->dom, "xAPIC access at offset 0x%x (rip 0x%lx) that the APIC does not define",
                off, rip);
    return EXIT_END_SLICE;
}

/* A Linux domain's I/O APIC page (hv/domain_ioapic.c): the same decoding, 32-bit MOVs only. */
enum exit_action exit_ioapic_mmio(struct vcpu *v, struct vmx_vcpu *x, uint64_t gpa)
{
    uint8_t bytes[MAX_INSN] = { 0 };
    struct insn_mov m;
    uint32_t off = (uint32_t)(gpa & 0xFFF);
    uint64_t rip = vmcs_readnat(VMCS_GUEST_RIP);

    if (fetch_mov32(v, rip, bytes, &m)) {
        domain_stop(v->dom, "I/O APIC access at offset 0x%x by an instruction perfvisor does "
                    "not emulate (rip 0x%lx, bytes %02x %02x %02x %02x): use 32-bit MOVs",
                    off, rip, bytes[0], bytes[1], bytes[2], bytes[3]);
        return EXIT_END_SLICE;
    }
    if (m.is_write) {
        domain_ioapic_access(v->dom, gpa, 1, mov_source(x, &m));
    } else {
        vmx_gpr_write(x, m.reg, domain_ioapic_access(v->dom, gpa, 0, 0));
    }
    vmx_advance_rip(m.length);
    return EXIT_RESUME;
}

/* The x2APIC MSRs (800H-8FFH) and IA32_APIC_BASE.  After an access the vLAPIC is asked for a
 * delivery only if something waits (an EOI or a TPR write that unblocks the IRR, a self-IPI, a
 * timer expiry the access brought due): an LVTPC unmask or an EOI with an empty IRR, the
 * usual end of a PMI handler, leaves nothing to re-evaluate. */
int apic_msr_access(struct vcpu *v, uint32_t msr, int write, uint64_t *value)
{
    struct vmx_vcpu *x = v->arch;
    int r;

    if (msr >= X2APIC_MSR_BASE && msr <= X2APIC_MSR_LAST) {
        r = write ? vlapic_msr_write(&v->vlapic, msr, *value, x->regs.exit_tsc)
                  : vlapic_msr_read(&v->vlapic, msr, value, x->regs.exit_tsc);
    } else if (msr == MSR_IA32_APIC_BASE) {     /* the state transitions of SDM 11.12.5 */
        if (!write) {
            *value = vlapic_base_read(&v->vlapic);
            return 0;
        }
        r = vlapic_base_write(&v->vlapic, *value);   /* a disable drops what was pending */
    } else {
        return 1;                              /* not ours */
    }
    if (vlapic_has_events(&v->vlapic))
        v->events_pending = 1;
    return r;
}
