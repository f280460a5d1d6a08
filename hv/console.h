/* The console line, shared by text and binary capture frames (implemented by the
 * architecture's serial driver, arch/x86/serial.c). */
#ifndef HV_CONSOLE_H
#define HV_CONSOLE_H

#include <stddef.h>
#include <stdint.h>

/* Queues binary bytes (a capture frame) if they fit whole; 0, or -1 when the queue is too full
 * (the caller keeps its samples and tries later).  Never waits. */
int console_try_binary(const uint8_t *p, size_t len);
/* Bytes the queue can take now. */
uint32_t console_queue_room(void);
/* Moves queued bytes to the UART as far as it has room now.  Never waits. */
void console_pump(void);
/* Whether bytes wait in the queue (read on every VM exit, so a plain variable). */
extern uint32_t console_queued;
static inline int console_pending(void) { return console_queued != 0; }
/* Sends everything queued, waiting for the UART. */
void console_flush(void);

#endif
