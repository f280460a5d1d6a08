#ifndef ARCH_X86_SERIAL_H
#define ARCH_X86_SERIAL_H

/* Early: nothing is sent until arch_console_setup (hv/arch.h) chooses the UART or the screen. */
void serial_init(void);
/* Waits until every byte written has left the UART (before shutting the emulator down). */
void serial_drain(void);

/* The VGA text screen (arch/x86/vga.c), the console when no UART answers. */
void vga_init(void);
void vga_putc(char c);

#endif
