/* The console UART: a 16550 driven polled (no interrupts): set-up, room in the transmit FIFO,
 * one byte out, and waiting for the line to go idle.  The transmit queue in front of it and when
 * it is pumped are generic (hv/console_queue.c).  Register offsets: PC16550D datasheet.
 *
 * Which UART (issue #13 item 10): COM1 is not always there (servers put serial-over-LAN on COM2
 * or elsewhere), so nothing is sent until arch_console_setup has the command line: console=
 * (com1..com4, ttyS0..3, a port, vga), else the ACPI SPCR table's I/O-port UART, else COM1; each
 * must answer the scratch-register probe.  Until then output waits in the console queue.  With
 * no UART the console is the VGA text screen (arch/x86/vga.c) and the run goes on. */
#include "arch/x86/serial.h"
#include "arch/x86/console_select.h"
#include "arch/x86/cpu.h"
#include "arch/x86/firmware.h"
#include "arch/x86/ioapic.h"
#include "hv/arch.h"
#include "hv/cmdline.h"
#include "hv/console.h"
#include "hv/printf.h"

#define COM1      0x3F8
#define UART_THR  0   /* transmit holding (write, DLAB=0) */
#define UART_DLL  0   /* divisor latch low (DLAB=1) */
#define UART_IER  1   /* interrupt enable */
#define UART_DLM  1   /* divisor latch high (DLAB=1) */
#define UART_FCR  2   /* FIFO control (write) */
#define UART_LCR  3   /* line control */
#define UART_MCR  4   /* modem control */
#define UART_LSR  5   /* line status */
#define UART_SCR  7   /* scratch: holds what is written (16450 on); an empty ISA port reads FFH */
#define LCR_8N1   0x03  /* 8 data bits, no parity, 1 stop bit (Bochs' BIOS leaves 5 bits) */
#define LCR_DLAB  0x80  /* divisor latch access */
#define FCR_ENABLE_CLEAR 0xC7  /* enable and clear FIFOs, 14-byte trigger */
#define MCR_DTR_RTS 0x03
#define LSR_THRE  0x20  /* transmit holding register (FIFO) empty */
#define LSR_TEMT  0x40  /* transmitter empty (shift register too) */
#define UART_FIFO 16    /* bytes the transmit FIFO takes once THRE is set */

enum { CON_UNDECIDED, CON_UART, CON_VGA };
static int con_state;
static uint16_t com;                   /* the console UART's base port (CON_UART) */

static int uart_present(uint16_t base)
{
    uint8_t old = inb(base + UART_SCR);
    outb(base + UART_SCR, 0x5A);
    int ok = inb(base + UART_SCR) == 0x5A;
    outb(base + UART_SCR, 0xA5);
    ok = ok && inb(base + UART_SCR) == 0xA5;
    outb(base + UART_SCR, old);
    return ok;
}

static void uart_setup(uint16_t base)
{
    outb(base + UART_IER, 0x00);
    outb(base + UART_LCR, LCR_DLAB);
    outb(base + UART_DLL, 1);          /* 115200 baud = 115200 / 1 */
    outb(base + UART_DLM, 0);
    outb(base + UART_LCR, LCR_8N1);
    outb(base + UART_FCR, FCR_ENABLE_CLEAR);
    outb(base + UART_MCR, MCR_DTR_RTS);
    com = base;
    con_state = CON_UART;
}

static void use_vga(void)
{
    vga_init();
    con_state = CON_VGA;
}

void serial_init(void)
{
    con_state = CON_UNDECIDED;         /* output queues until arch_console_setup */
}

/* The UART the firmware's ACPI SPCR table names, if it is an I/O-port 16550 (BIOS boots). */
static uint16_t spcr_port(void)
{
    uint32_t len;
    const uint8_t *spcr = fw_acpi_table("SPCR", &len);
    return spcr ? spcr_uart_port(spcr, len) : 0;
}

static int com_number(uint16_t port)
{
    return port == 0x3F8 ? 1 : port == 0x2F8 ? 2 : port == 0x3E8 ? 3 : port == 0x2E8 ? 4 : 0;
}

void arch_console_setup(const char *cmdline, uint64_t acpi_rsdp)
{
    char val[32], note[128] = "";
    uint16_t port = 0;
    const char *why = "default";
    char given[48];

    if (con_state != CON_UNDECIDED)
        return;
    fw_set_rsdp(acpi_rsdp);
    if (cmdline && cmdline_get(cmdline, "console", val, sizeof(val))) {
        if (console_parse(val, &port))
            hv_snprintf(note, sizeof(note), "console=%s is not com1..com4, ttyS0..3, an I/O port "
                        "or vga: ignored", val);
        else if (port == CONSOLE_PORT_NONE)
            use_vga();
        else if (uart_present(port))
            uart_setup(port);
        else
            hv_snprintf(note, sizeof(note), "console=%s: no UART answers at port 0x%x", val, port);
        hv_snprintf(given, sizeof(given), "console=%s", val);
        why = given;
    }
    if (con_state == CON_UNDECIDED && (port = spcr_port()) && uart_present(port)) {
        uart_setup(port);
        why = "ACPI SPCR";
    }
    if (con_state == CON_UNDECIDED) {
        why = "default";
        if (uart_present(COM1))
            uart_setup(COM1);
        else
            use_vga();
    }
    if (con_state == CON_UART && com_number(com))
        hv_printf("perfvisor: console: COM%d (port 0x%x, %s)\n", com_number(com), com, why);
    else if (con_state == CON_UART)
        hv_printf("perfvisor: console: UART at port 0x%x (%s)\n", com, why);
    else
        hv_printf("perfvisor: console: no UART (%s): output on the VGA text screen only\n",
                  why[0] == 'c' ? why : "COM1 does not answer, no console= or SPCR UART");
    if (note[0])
        hv_printf("perfvisor: console: %s\n", note);
    ioapic_quiesce();                  /* the firmware's MADT names them (#13 item 6) */
}

unsigned arch_uart_tx_room(void)
{
    if (con_state == CON_VGA)
        return UART_FIFO;
    if (con_state == CON_UART && (inb(com + UART_LSR) & LSR_THRE))
        return UART_FIFO;
    cpu_relax();                       /* busy (or undecided): callers that wait poll again */
    return 0;
}

void arch_uart_put(uint8_t b)
{
    if (con_state == CON_VGA)
        vga_putc((char)b);
    else
        outb(com + UART_THR, b);
}

void serial_drain(void)
{
    if (con_state == CON_UNDECIDED)    /* ending before the command line was read */
        arch_console_setup(0, 0);
    console_flush();
    while (con_state == CON_UART && !(inb(com + UART_LSR) & LSR_TEMT))
        cpu_relax();
}
