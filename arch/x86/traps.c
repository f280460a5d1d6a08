/* Host exceptions: an exception in the hypervisor is a bug, except at the few instructions
 * listed in .ex_table (MSR probes), which resume at their fixup. */
#include "arch/x86/traps.h"
#include "arch/x86/cpu.h"
#include "arch/x86/gdt.h"
#include "arch/x86/vmx/vmx_vpmu.h"
#include "hv/printf.h"
#include "pmu/sampling/prof.h"

#define IDT_TYPE_INTERRUPT_GATE 0x8E   /* present, DPL 0, 64-bit interrupt gate (SDM 6.14.1) */
#define IDT_VECTORS 32

struct idt_entry {
    uint16_t offset_lo;
    uint16_t selector;
    uint8_t ist;
    uint8_t type;
    uint16_t offset_mid;
    uint32_t offset_hi;
    uint32_t reserved;
} __attribute__((packed));
_Static_assert(sizeof(struct idt_entry) == 16, "64-bit IDT gate is 16 bytes");

struct ex_entry {
    uint64_t fault_rip, fixup_rip;
};

extern const uint64_t trap_stub_table[IDT_VECTORS];
extern const struct ex_entry __ex_table_start[], __ex_table_end[];

static struct idt_entry idt[IDT_VECTORS] __attribute__((aligned(16)));
uint64_t host_nmis_ignored;             /* NMIs that were not the PMU's, shown in the summary */

static const char *const exception_names[IDT_VECTORS] = {
    "#DE divide error", "#DB debug", "NMI", "#BP breakpoint", "#OF overflow",
    "#BR bound range", "#UD invalid opcode", "#NM device not available", "#DF double fault",
    "coprocessor segment overrun", "#TS invalid TSS", "#NP segment not present",
    "#SS stack fault", "#GP general protection", "#PF page fault", "reserved",
    "#MF x87 error", "#AC alignment check", "#MC machine check", "#XM SIMD exception",
    "#VE virtualization exception", "#CP control protection",
};

void idt_init(void)
{
    for (int v = 0; v < IDT_VECTORS; v++) {
        uint64_t a = trap_stub_table[v];
        idt[v] = (struct idt_entry){
            .offset_lo = (uint16_t)a,
            .selector = GDT_SEL_CODE,
            .ist = 0,
            .type = IDT_TYPE_INTERRUPT_GATE,
            .offset_mid = (uint16_t)(a >> 16),
            .offset_hi = (uint32_t)(a >> 32),
        };
    }
    struct desc_ptr p = { sizeof(idt) - 1, (uint64_t)idt };
    __asm__ volatile("lidt %0" : : "m"(p));
}

void trap_nmi_iret_frame(void);       /* trap_entry.asm */
static int (*exit_nmi_fn)(void *ctx);   /* set only while trap_nmi_exit runs the handler */
static void *exit_nmi_ctx;

void trap_nmi_exit(int (*fn)(void *ctx), void *ctx)
{
    exit_nmi_fn = fn;
    exit_nmi_ctx = ctx;
    trap_nmi_iret_frame();
    exit_nmi_fn = 0;
}

void trap_handler(struct trap_frame *f)
{
    for (const struct ex_entry *e = __ex_table_start; e < __ex_table_end; e++) {
        if (e->fault_rip == f->rip) {
            f->rip = e->fixup_rip;
            return;
        }
    }
    if (f->vector == 2 && exit_nmi_fn) {   /* the NMI of a VM exit (trap_nmi_exit) */
        int (*fn)(void *ctx) = exit_nmi_fn;
        exit_nmi_fn = 0;                    /* an NMI after the IRET is the hypervisor's */
        if (!fn(exit_nmi_ctx))
            host_nmis_ignored++;
        return;
    }
    /* a PMU overflow in the hypervisor: the sampler's, or (vpmu=hw) the loaded vCPU's */
    if (f->vector == 2 && (prof_host_nmi(f->rip) | vmx_vpmu_nmi_note()))
        return;
    if (f->vector == 2) {               /* another NMI: counted (printing here could tear */
        host_nmis_ignored++;            /* a console write the NMI interrupted) */
        return;
    }
    const char *name = f->vector < 22 && exception_names[f->vector] ? exception_names[f->vector]
                                                                    : "exception";
    hv_printf("perfvisor: hypervisor exception %lu (%s), error code %lx\n", f->vector, name,
              f->error_code);
    hv_printf("  rip %016lx  cs %04lx  rflags %016lx  rsp %016lx  ss %04lx\n", f->rip, f->cs,
              f->rflags, f->rsp, f->ss);
    hv_printf("  rax %016lx  rbx %016lx  rcx %016lx  rdx %016lx\n", f->rax, f->rbx, f->rcx, f->rdx);
    hv_printf("  rsi %016lx  rdi %016lx  rbp %016lx  r8  %016lx\n", f->rsi, f->rdi, f->rbp, f->r8);
    hv_printf("  r9  %016lx  r10 %016lx  r11 %016lx  r12 %016lx\n", f->r9, f->r10, f->r11, f->r12);
    hv_printf("  r13 %016lx  r14 %016lx  r15 %016lx  cr2 %016lx\n", f->r13, f->r14, f->r15,
              read_cr2());
    hv_printf("  cr0 %016lx  cr3 %016lx  cr4 %016lx\n", read_cr0(), read_cr3(), read_cr4());
    /* a short frame-pointer backtrace of the hypervisor */
    uint64_t *fp = (uint64_t *)f->rbp;
    for (int i = 0; i < 8 && fp && ((uint64_t)fp & 7) == 0 && (uint64_t)fp < (1ull << 32); i++) {
        hv_printf("  called from %016lx\n", fp[1]);
        fp = (uint64_t *)fp[0];
    }
    panic("trap_handler: unexpected %s in the hypervisor", name);
}
