/* The guest as the profiler sees it: its memory through its own paging (its registers for a
 * sample: vmx_guest.h). */
#include "arch/x86/cpu.h"
#include "arch/x86/guest_paging.h"
#include "arch/x86/msr.h"
#include "arch/x86/vmx/vmcs.h"
#include "arch/x86/vmx/vmx_guest.h"
#include "hv/arch.h"
#include "hv/domain.h"
#include "hv/string.h"

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

int vmx_guest_read(void *ctx, uint64_t gva, void *buf, uint64_t len)
{
    struct vcpu *v = ctx;
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

/* The vCPU is the loaded one at a sample: its LSTAR and KERNEL_GS_BASE are in the CPU
 * (vmx_vcpu_load swaps them), its GS base in the VMCS. */
uint64_t vmx_guest_sysreg(void *ctx, int which)
{
    (void)ctx;
    switch (which) {
    case PROF_REG_GS_BASE:
        return vmcs_readnat(VMCS_GUEST_GS_BASE);
    case PROF_REG_KERNEL_GS_BASE:
        return rdmsr(MSR_IA32_KERNEL_GS_BASE);
    case PROF_REG_SYSCALL_ENTRY:
        return rdmsr(MSR_IA32_LSTAR);
    case PROF_REG_SP:
        return vmcs_readnat(VMCS_GUEST_RSP);
    }
    return 0;
}

int vmx_guest_read_as(void *ctx, uint64_t cr3, uint64_t gva, void *buf, uint64_t len)
{
    struct vcpu *v = ctx;
    struct guest_paging pg = {
        .cr0 = vmcs_readnat(VMCS_GUEST_CR0), .cr3 = cr3, .cr4 = vmcs_readnat(VMCS_GUEST_CR4),
        .efer = vmcs_read64(VMCS_GUEST_IA32_EFER), .read_phys = read_phys, .ctx = v->dom,
    };
    return guest_paging_read(&pg, gva, buf, len);
}

/* The sampler's Linux-task reads touch a few kernel pages again and again (the per-CPU slot of
 * current_task, the running task_structs), all in the kernel's direct map, which the kernel never
 * remaps: their translations are kept across exits, a few per vCPU.  A guest that remaps them
 * anyway only misleads its own task names (reads stay inside its memory). */
#define KTLB_SIZE 4
static struct ktlb_entry {
    struct vcpu *v;
    uint64_t page;
    const uint8_t *host;
} ktlb[KTLB_SIZE];
static unsigned ktlb_next;

static const uint8_t *kernel_page(struct vcpu *v, uint64_t page)
{
    static unsigned hit;                /* the last entry used: most reads are the per-CPU slot */
    if (ktlb[hit].v == v && ktlb[hit].page == page)
        return ktlb[hit].host;
    for (unsigned i = 0; i < KTLB_SIZE; i++)
        if (ktlb[i].v == v && ktlb[i].page == page)
            return ktlb[(hit = i)].host;
    uint64_t cr3 = vmcs_readnat(VMCS_GUEST_CR3), gpa;
    struct guest_paging pg = {
        .cr0 = vmcs_readnat(VMCS_GUEST_CR0), .cr3 = cr3, .cr4 = vmcs_readnat(VMCS_GUEST_CR4),
        .efer = vmcs_read64(VMCS_GUEST_IA32_EFER), .read_phys = read_phys, .ctx = v->dom,
    };
    const uint8_t *host;
    if (guest_paging_translate(&pg, page, &gpa)) {
        pg.cr3 = cr3 & ~0x1FFFull;          /* PTI: the kernel half of the pair */
        if (pg.cr3 == cr3 || guest_paging_translate(&pg, page, &gpa))
            return 0;
    }
    if (!(host = domain_gpa_ptr(v->dom, gpa, 4096)))
        return 0;
    struct ktlb_entry *e = &ktlb[ktlb_next++ % KTLB_SIZE];
    *e = (struct ktlb_entry){ v, page, host };
    return host;
}

int vmx_guest_read_kernel(void *ctx, uint64_t gva, void *buf, uint64_t len)
{
    struct vcpu *v = ctx;
    uint8_t *out = buf;
    if (len == 8 && (gva & 0xFFF) <= 4096 - 8) {    /* the common read: a pointer */
        const uint8_t *host = kernel_page(v, gva & ~0xFFFull);
        if (!host)
            return -1;
        *(uint64_t *)out = *(const uint64_t *)(host + (gva & 0xFFF));
        return 0;
    }
    while (len) {
        uint64_t chunk = 4096 - (gva & 0xFFF);
        const uint8_t *host = kernel_page(v, gva & ~0xFFFull);
        if (!host)
            return -1;
        if (chunk > len)
            chunk = len;
        if (chunk == 8)
            *(uint64_t *)out = *(const uint64_t *)(host + (gva & 0xFFF));
        else
            memcpy(out, host + (gva & 0xFFF), chunk);
        gva += chunk;
        out += chunk;
        len -= chunk;
    }
    return 0;
}

int arch_guest_read(struct vcpu *v, uint64_t gva, void *buf, uint64_t len)
{
    return vmx_guest_read(v, gva, buf, len);
}
