/* The legacy PC ports an operating system probes at boot, answered like absent or minimal
 * hardware, per domain.  Pure: hv/vdev.c routes byte accesses here and acts on the result
 * (a reset request ends the domain).  Wider accesses to these ports are not decoded: they
 * stay unemulated (all ones, counted as ignored).
 *
 *   8259A PICs, 20H/21H (master), A0H/A1H (slave) (Intel 8259A datasheet, "Programming the
 *     8259A"): ICW1 (a write to the command port with bit 4 set) starts the sequence ICW2
 *     (vector base, bits 7:3), ICW3 (if not single, ICW1 bit 1), ICW4 (if ICW1 bit 0); then
 *     the data port is the IMR (OCW1), which reads back what was written (Linux's probe
 *     writes FBH and checks it); reset IMR FFH.  OCW2 (EOIs, rotations) is accepted and does
 *     nothing; OCW3 selects IRR or ISR for command-port reads, and a poll (bit 2) reads 0 (no
 *     request).  No input is wired: IRR and ISR always read 0, no interrupt is ever raised,
 *     so there is nothing spurious either (vectors 7/15 never arrive).
 *   8254 PIT, 40H-43H, and port 61H: a timer that has always already expired.  Counter
 *     reads return 0, control and counter writes are accepted and dropped (no time passes
 *     on them, no IRQ0).  Port 61H: bits 0-3 (gate 2, speaker, parity/channel check
 *     enables) store what is written; bit 4 (refresh) toggles on every read; bit 5 (OUT2)
 *     reads 1, so a calibration loop that waits for channel 2 to expire ends at once (and
 *     finds it useless); bits 6-7 (NMI sources) read 0.
 *   MC146818 CMOS/RTC, 70H (index, bit 7 NMI disable, stored) and 71H (data): 128 bytes of
 *     CMOS; the clock reads a fixed date, 2025-01-01 00:00:00 (Wednesday), from the domain's
 *     start, in BCD and 24-hour mode, and does not tick.  Status A 26H (no update in
 *     progress), B 02H (24-hour, BCD, no interrupts), C 00H, D 80H (valid RAM and time);
 *     C and D are read-only, UIP (A bit 7) reads 0; every other byte, time included, stores
 *     what is written.  Century (32H) 20H, as the FADT's CENTURY field says.
 *   Port 80H (POST codes) is left to the unemulated path: writes dropped, counted as ignored.
 *   8042 keyboard controller, 64H: status reads 00H (both buffers empty: a reset loop that
 *     waits for the input buffer goes on at once); command FEH (pulse the reset line) is a
 *     reset request; other commands are dropped.  Port 60H is not emulated.
 *   Reset control, CF9H: bits 1 (system reset) and 3 (full reset) store what is written;
 *     a write with bit 2 (reset CPU) set is a reset request.  The FADT's RESET_REG is here. */
#ifndef HV_LEGACY_PORTS_H
#define HV_LEGACY_PORTS_H

#include <stdint.h>

#define PIC_MASTER_CMD  0x20
#define PIC_MASTER_DATA 0x21
#define PIC_SLAVE_CMD   0xA0
#define PIC_SLAVE_DATA  0xA1
#define PIT_CH0         0x40
#define PIT_MODE        0x43
#define PORT_SYS_CTRL_B 0x61
#define CMOS_INDEX      0x70
#define CMOS_DATA       0x71
#define KBC_CMD         0x64
#define KBC_CMD_RESET   0xFE    /* pulse output port bit 0: the CPU's reset line */
#define PORT_RESET_CTRL 0xCF9
#define RESET_CTRL_RST_CPU (1u << 2)

enum legacy_result {
    LEGACY_NONE,                /* not a port of these devices: the caller ignores it */
    LEGACY_OK,
    LEGACY_RESET,               /* the guest asked for a reset */
};

struct vpic {
    uint8_t imr;                /* OCW1 */
    uint8_t vector_base;        /* ICW2 bits 7:3 */
    uint8_t icw_next;           /* 0: initialised; 2, 3, 4: the ICW the data port expects */
    uint8_t icw1;
    uint8_t read_isr;           /* OCW3 RR/RIS = 11: command-port reads show the ISR */
    uint8_t poll;               /* OCW3 P: the next command-port read is the poll byte */
};

struct legacy_ports {
    struct vpic pic[2];         /* master, slave */
    uint8_t sys_ctrl_b;         /* port 61H bits 3:0 */
    uint8_t refresh;            /* port 61H bit 4 */
    uint8_t cmos_index;         /* port 70H as written */
    uint8_t cmos[128];
    uint8_t reset_ctrl;         /* port CF9H bits 1, 3 */
};

void legacy_init(struct legacy_ports *lp);
/* One byte access (size 1; anything else is LEGACY_NONE).  For an IN, *value receives it. */
enum legacy_result legacy_io(struct legacy_ports *lp, uint16_t port, int size, int is_in,
                             uint32_t *value);

#endif
