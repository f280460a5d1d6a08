/* kernel.c - a multiboot v1 kernel with an exactly known profile, written
 * without any perfvisor code.
 *
 * Three non-inlined functions, func_a, func_b and func_c, each run the same
 * fixed inline-assembly loop (add, dec, jnz: 3 instructions per iteration)
 * for CHUNK iterations per call.  One round calls them in the interleaved
 * order  a b a c a b a c a b  (5 x a, 3 x b, 2 x c), so their loops execute
 * exactly 50 % / 30 % / 20 % of the loop instructions, in chunks of
 * 3 * CHUNK = 5997 instructions; every call is identical, so the shares of
 * all instructions inside each function (prologue and epilogue included) are
 * exactly the same.  Command line: total=N (default 60000000) is the wanted
 * number of loop instructions; the kernel runs floor(N / 59970) rounds, at
 * least 1 (default: 1000 rounds, 59970000 loop instructions).  At the end it prints the exact counts and shares on COM1 and exits
 * with status 0 through port 0xF4 (QEMU isa-debug-exit, perfvisor) and
 * "Shutdown" on port 0x8900 (Bochs). */

#define COM1 0x3F8

#define CHUNK           1999u           /* loop iterations per call: a prime */
#define INSNS_PER_ITER  3u              /* add, dec, jnz */
#define CALLS_A         5u              /* calls per round */
#define CALLS_B         3u
#define CALLS_C         2u
#define CALLS_PER_ROUND (CALLS_A + CALLS_B + CALLS_C)
#define ROUND_LOOP_INSNS (CALLS_PER_ROUND * CHUNK * INSNS_PER_ITER)     /* 59970 */
#define DEFAULT_TOTAL   60000000u

typedef unsigned int u32;
typedef unsigned long long u64;

struct multiboot_info {                 /* only the fields we read */
    u32 flags;                          /* bit 2: cmdline is valid */
    u32 mem_lower, mem_upper;
    u32 boot_device;
    u32 cmdline;                        /* physical address of a C string */
};

/* ---- COM1 ---------------------------------------------------------------- */

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

/* 115200 baud, 8N1, no interrupts (Bochs' BIOS leaves 5 data bits). */
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

static void serial_drain(void)          /* LSR bit 6: transmitter empty */
{
    for (int i = 0; i < 1000000 && !(inb(COM1 + 5) & 0x40); i++)
        ;
}

/* ---- numbers without libgcc ------------------------------------------------ */

/* n / d by shift and subtract (no __udivdi3 in a freestanding -m32 build). */
static u64 udiv64(u64 n, u64 d, u64 *rem)
{
    u64 q = 0, r = 0;
    for (int i = 63; i >= 0; i--) {
        r = (r << 1) | ((n >> i) & 1);
        if (r >= d) {
            r -= d;
            q |= 1ull << i;
        }
    }
    if (rem)
        *rem = r;
    return q;
}

/* v / 10 with two 32-bit DIVs (cheap: printing stays a tiny part of the run). */
static u32 divmod10(u64 *v)
{
    u32 hi = (u32)(*v >> 32), lo = (u32)*v, qhi = hi / 10, rem = hi % 10, qlo;
    __asm__("divl %4" : "=a"(qlo), "=d"(rem) : "a"(lo), "d"(rem), "rm"(10u));
    *v = ((u64)qhi << 32) | qlo;
    return rem;
}

static void put_u64(u64 v)
{
    char buf[24];
    int i = 0;
    do
        buf[i++] = (char)('0' + divmod10(&v));
    while (v);
    while (i)
        serial_putc(buf[--i]);
}

static void put_hex32(u32 v)
{
    serial_puts("0x");
    for (int s = 28; s >= 0; s -= 4)
        serial_putc("0123456789abcdef"[(v >> s) & 0xF]);
}

/* part/total as a percentage with two decimals, rounded to nearest. */
static void put_pct(u64 part, u64 total)
{
    u64 hundredths = udiv64(part * 10000 + total / 2, total, 0);
    u32 h = (u32)hundredths;            /* at most 10000 */
    put_u64(h / 100);
    serial_putc('.');
    serial_putc((char)('0' + h / 10 % 10));
    serial_putc((char)('0' + h % 10));
    serial_putc('%');
}

/* "key=N" as a whole word of the command line: N (decimal), else def. */
static u32 opt_num(const char *cmd, const char *key, u32 def)
{
    for (const char *p = cmd; *p; p++) {
        if (p != cmd && p[-1] != ' ')
            continue;
        const char *k = key, *q = p;
        while (*k && *q == *k)
            k++, q++;
        if (*k || *q != '=')
            continue;
        q++;
        if (*q < '0' || *q > '9')
            return def;
        u32 n = 0;
        for (; *q >= '0' && *q <= '9'; q++)
            n = n * 10 + (u32)(*q - '0');
        return n;
    }
    return def;
}

static inline u64 rdtsc(void)
{
    u32 lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((u64)hi << 32) | lo;
}

/* ---- the profiled work ------------------------------------------------------ */

/* CHUNK iterations of add, dec, jnz: exactly 3 * CHUNK instructions. */
#define SPIN(acc)                                                              \
    do {                                                                       \
        u32 n_ = CHUNK;                                                        \
        __asm__ volatile("1: add %1, %0\n\tdec %1\n\tjnz 1b"                   \
                         : "+r"(acc), "+r"(n_) : : "cc");                      \
    } while (0)

/* The three differ only in the constant they add at the end (so gcc's
 * identical-code folding cannot merge them): each call executes exactly
 * 3 * CHUNK + 7 instructions (push, mov, mov, mov, the loop, add, pop, ret). */
__attribute__((noinline, noclone)) u32 func_a(u32 acc)
{
    SPIN(acc);
    return acc + 1;
}

__attribute__((noinline, noclone)) u32 func_b(u32 acc)
{
    SPIN(acc);
    return acc + 2;
}

__attribute__((noinline, noclone)) u32 func_c(u32 acc)
{
    SPIN(acc);
    return acc + 3;
}

__attribute__((noinline, noclone)) u32 run_rounds(u32 rounds)
{
    u32 acc = 0;
    for (u32 r = 0; r < rounds; r++) {
        acc = func_a(acc);
        acc = func_b(acc);
        acc = func_a(acc);
        acc = func_c(acc);
        acc = func_a(acc);
        acc = func_b(acc);
        acc = func_a(acc);
        acc = func_c(acc);
        acc = func_a(acc);
        acc = func_b(acc);
    }
    return acc;
}

void kmain(u32 magic, const struct multiboot_info *info)
{
    const char *cmd = "";
    u64 t_kmain = rdtsc();

    serial_init();
    if (magic == 0x2BADB002 && (info->flags & (1u << 2)))
        cmd = (const char *)info->cmdline;
    serial_puts("external-profile: hello (cmdline: ");
    serial_puts(cmd);
    serial_puts(")\n");
    if (magic != 0x2BADB002)
        serial_puts("external-profile: not started by a multiboot loader\n");

    u32 total = opt_num(cmd, "total", DEFAULT_TOTAL);
    u32 rounds = total / ROUND_LOOP_INSNS;
    if (!rounds)
        rounds = 1;

    serial_puts("external-profile: func_a=");
    put_hex32((u32)func_a);
    serial_puts(" func_b=");
    put_hex32((u32)func_b);
    serial_puts(" func_c=");
    put_hex32((u32)func_c);
    serial_puts(" run_rounds=");
    put_hex32((u32)run_rounds);
    serial_puts("\n");

    u64 t0 = rdtsc();
    u32 acc = run_rounds(rounds);
    u64 t1 = rdtsc();

    u64 chunk_insns = (u64)CHUNK * INSNS_PER_ITER;
    u64 a = (u64)rounds * CALLS_A * chunk_insns;
    u64 b = (u64)rounds * CALLS_B * chunk_insns;
    u64 c = (u64)rounds * CALLS_C * chunk_insns;
    u64 all = a + b + c;

    serial_puts("external-profile: rounds=");
    put_u64(rounds);
    serial_puts(" chunk=");
    put_u64(CHUNK);
    serial_puts(" iterations acc=");
    put_hex32(acc);
    serial_puts(" ticks=");
    put_u64(t1 - t0);
    serial_puts("\nexternal-profile: loop instructions func_a=");
    put_u64(a);
    serial_puts(" func_b=");
    put_u64(b);
    serial_puts(" func_c=");
    put_u64(c);
    serial_puts("\nexternal-profile: func_a=");
    put_pct(a, all);
    serial_puts(" func_b=");
    put_pct(b, all);
    serial_puts(" func_c=");
    put_pct(c, all);
    serial_puts(" of ");
    put_u64(all);
    serial_puts(" loop instructions\nexternal-profile: kmain ticks=");
    put_u64(rdtsc() - t_kmain);
    serial_puts(" (from kmain's entry to here)\nexternal-profile: exiting with status 0\n");

    serial_drain();
    outb(0xF4, 0);
    for (const char *s = "Shutdown"; *s; s++)
        outb(0x8900, (unsigned char)*s);
    for (;;)
        __asm__ volatile("cli; hlt");
}
