#ifndef ARCH_X86_SERIAL_H
#define ARCH_X86_SERIAL_H

void serial_init(void);
/* Waits until every byte written has left the UART (before shutting the emulator down). */
void serial_drain(void);

#endif
