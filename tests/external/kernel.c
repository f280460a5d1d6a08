/* kernel.c - a tiny multiboot v1 kernel, written without any perfvisor code.
 *
 * Prints a greeting and its command line on COM1, then reports an exit status
 * the two ways emulators understand:
 *   port 0xF4   QEMU's isa-debug-exit (and perfvisor's exit port)
 *   port 0x8900 the bytes "Shutdown" make Bochs power off
 * The status is 0, or N if the command line contains `exit=N`. */

#define COM1 0x3F8

struct multiboot_info {                 /* only the fields we read */
    unsigned int flags;                 /* bit 2: cmdline is valid */
    unsigned int mem_lower, mem_upper;
    unsigned int boot_device;
    unsigned int cmdline;               /* physical address of a C string */
};

static void outb(unsigned short port, unsigned char v)
{
    __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static unsigned char inb(unsigned short port)
{
    unsigned char v;
    __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

/* 115200 baud, 8 data bits, no parity, 1 stop bit, no interrupts.
 * (Bochs' BIOS leaves 5 data bits, so this is not optional.) */
static void serial_init(void)
{
    outb(COM1 + 1, 0x00);               /* IER: interrupts off */
    outb(COM1 + 3, 0x80);               /* LCR: DLAB on, to set the divisor */
    outb(COM1 + 0, 0x01);               /* divisor 1 = 115200 baud */
    outb(COM1 + 1, 0x00);
    outb(COM1 + 3, 0x03);               /* LCR: 8N1, DLAB off */
    outb(COM1 + 2, 0xC7);               /* FCR: FIFOs on and cleared */
}

static void serial_putc(char c)
{
    for (int i = 0; i < 1000000 && !(inb(COM1 + 5) & 0x20); i++)
        ;                               /* LSR bit 5: room for a character */
    outb(COM1, (unsigned char)c);
}

static void serial_puts(const char *s)
{
    while (*s)
        serial_putc(*s++);
}

/* Wait until the last bit has left the transmitter (LSR bit 6). */
static void serial_drain(void)
{
    for (int i = 0; i < 1000000 && !(inb(COM1 + 5) & 0x40); i++)
        ;
}

/* Find "exit=N" as a whole word of the command line; 0 if absent. */
static unsigned char exit_status(const char *cmd)
{
    for (const char *p = cmd; *p; p++) {
        if ((p == cmd || p[-1] == ' ') && p[0] == 'e' && p[1] == 'x' && p[2] == 'i' &&
            p[3] == 't' && p[4] == '=') {
            unsigned int n = 0;
            for (p += 5; *p >= '0' && *p <= '9'; p++)
                n = n * 10 + (*p - '0');
            return (unsigned char)n;
        }
    }
    return 0;
}

void kmain(unsigned int magic, const struct multiboot_info *info)
{
    const char *cmd = "";

    serial_init();
    serial_puts("external kernel: hello from a kernel built outside perfvisor\n");
    if (magic != 0x2BADB002) {
        serial_puts("external kernel: not started by a multiboot loader\n");
    } else if (info->flags & (1 << 2)) {
        cmd = (const char *)info->cmdline;
    }
    serial_puts("external kernel: cmdline: ");
    serial_puts(cmd);
    serial_puts("\n");

    unsigned char status = exit_status(cmd);
    serial_puts("external kernel: exiting with status ");
    if (status >= 100)
        serial_putc((char)('0' + status / 100));
    if (status >= 10)
        serial_putc((char)('0' + status / 10 % 10));
    serial_putc((char)('0' + status % 10));
    serial_puts("\n");

    serial_drain();
    outb(0xF4, status);
    for (const char *s = "Shutdown"; *s; s++)
        outb(0x8900, (unsigned char)*s);
    for (;;)
        __asm__ volatile("cli; hlt");
}
