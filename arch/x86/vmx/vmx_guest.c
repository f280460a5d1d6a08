/* The guest as the profiler sees it: its registers and its memory through its own paging. */
#include "arch/x86/cpu.h"
#include "arch/x86/guest_paging.h"
#include "arch/x86/msr.h"
#include "arch/x86/vmx/vmcs.h"
#include "arch/x86/vmx/vmx_vcpu.h"
#include "hv/arch.h"
#include "hv/domain.h"
#include "hv/string.h"
#include "perfvisor/capture.h"

void arch_vcpu_sample_state(struct vcpu *v, struct guest_sample_state *s)
{
    struct vmx_vcpu *x = v->arch;
    uint64_t cr0 = vmcs_readnat(VMCS_GUEST_CR0);

    s->ip = vmcs_readnat(VMCS_GUEST_RIP);
    s->cr3 = vmcs_readnat(VMCS_GUEST_CR3);
    s->cpl = (uint8_t)vmx_guest_cpl();
    s->word64 = (uint8_t)vmx_guest_64bit();
    s->mode = !(cr0 & CR0_PE) ? CAP_MODE_REAL : s->word64 ? CAP_MODE_64 : CAP_MODE_32;
    s->fp = s->word64 ? x->regs.rbp : (uint32_t)x->regs.rbp;
}

static int read_phys(void *ctx, uint64_t gpa, void *buf, size_t len)
{
    const void *p = domain_gpa_ptr(ctx, gpa, len);
    if (!p)
        return -1;
    memcpy(buf, p, len);
    return 0;
}

/* A call-chain walk reads several words from the same few stack pages within one exit, so
 * the guest's paging registers and the last page translated are kept for the rest of that
 * exit (keyed by the vCPU and its exit time stamp; exit_cr.c and the EFER write drop it). */
static struct {
    struct vcpu *v;
    uint64_t stamp;
    struct guest_paging pg;
    uint64_t gva_page;                 /* last page translated; ~0: none */
    const uint8_t *host_page;          /* where it lives in the domain's memory */
} view;

void vmx_guest_paging_changed(void)
{
    view.v = 0;
}

int arch_guest_read(struct vcpu *v, uint64_t gva, void *buf, uint64_t len)
{
    struct vmx_vcpu *x = v->arch;
    uint8_t *out = buf;

    if (view.v != v || view.stamp != x->regs.exit_tsc) {
        view.v = v;
        view.stamp = x->regs.exit_tsc;
        view.pg = (struct guest_paging){
            .cr0 = vmcs_readnat(VMCS_GUEST_CR0),
            .cr3 = vmcs_readnat(VMCS_GUEST_CR3),
            .cr4 = vmcs_readnat(VMCS_GUEST_CR4),
            .efer = vmcs_read64(VMCS_GUEST_IA32_EFER),
            .read_phys = read_phys,
            .ctx = v->dom,
        };
        view.gva_page = ~0ull;
    }
    while (len) {
        uint64_t page = gva & ~0xFFFull, chunk = 4096 - (gva & 0xFFF), gpa;
        if (chunk > len)
            chunk = len;
        if (page != view.gva_page) {
            const uint8_t *host;
            if (guest_paging_translate(&view.pg, page, &gpa) ||
                !(host = domain_gpa_ptr(v->dom, gpa, 4096)))
                return -1;
            view.gva_page = page;
            view.host_page = host;
        }
        const uint8_t *src = view.host_page + (gva & 0xFFF);
        if (chunk == 8)                        /* a frame: the common case, no memcpy */
            *(uint64_t *)out = *(const uint64_t *)src;
        else if (chunk == 4)
            *(uint32_t *)out = *(const uint32_t *)src;
        else
            memcpy(out, src, chunk);
        gva += chunk;
        out += chunk;
        len -= chunk;
    }
    return 0;
}
