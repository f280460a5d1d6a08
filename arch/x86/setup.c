/* Early x86 set-up: console first, so that everything after it can report. */
#include "hv/arch.h"
#include "arch/x86/cpu.h"
#include "arch/x86/emulator.h"
#include "arch/x86/gdt.h"
#include "arch/x86/lapic.h"
#include "arch/x86/serial.h"
#include "arch/x86/traps.h"
#include "hv/printf.h"

#define PIC1_DATA 0x21
#define PIC2_DATA 0xA1

void arch_early_init(void)
{
    serial_init();
    hv_printf("perfvisor: platform: %s\n", emulator_name(emulator_detect()));
    gdt_init();
    idt_init();
    outb(PIC1_DATA, 0xFF);              /* mask every legacy PIC line: we run with IF=0 */
    outb(PIC2_DATA, 0xFF);
    lapic_init();                       /* LVTs perfvisor does not use masked (#13 item 6) */
    /* FXSAVE of guest SSE state needs OSFXSR; the host itself uses no FPU/SSE. */
    write_cr4(read_cr4() | CR4_OSFXSR | CR4_OSXMMEXCPT);
    write_cr0((read_cr0() | CR0_MP | CR0_NE) & ~(CR0_EM | CR0_TS));
}
