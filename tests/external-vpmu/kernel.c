/* kernel.c - a multiboot v1 kernel that profiles itself with the
 * architectural performance-monitoring counters and the local APIC, written
 * without any perfvisor code, following the Intel SDM:
 *
 *   Vol. 2A CPUID leaf 0AH      what the PMU offers (version, counters, events)
 *   Vol. 3B 20.2.1              IA32_PERFEVTSEL0 (186H) and IA32_PMC0 (C1H)
 *   Vol. 3B 20.2.2              IA32_PERF_GLOBAL_CTRL (38FH), ..._OVF_CTRL (390H)
 *   Vol. 3B 20.6.3.5.8 / 20.2   PMIs: the counter overflows, the local APIC
 *                               raises the interrupt programmed in its LVT
 *                               performance counter register (LVTPC)
 *   Vol. 3A 11.5.1              LVTPC at xAPIC offset 340H (0xFEE00340); the
 *                               APIC sets its mask bit when it delivers a PMI
 *
 * What it does: counts UnHalted Core Cycles (event 3CH, umask 00H) on PMC0,
 * which starts at -PERIOD and so overflows every PERIOD cycles.  Each overflow
 * interrupts on vector 0xE0; the handler looks at the interrupted EIP, counts
 * a sample for the function it lies in, and re-arms everything.  The work is
 * three functions with exactly known shares of the loop instructions,
 * 50 / 30 / 20 % (as tests/external-profile): at the end it prints the
 * sampled shares beside the true ones.
 *
 * Command line: period=N (default 100000 cycles, at most 2^31 - 1),
 * total=N (loop instructions wanted, default 60000000).  Exit status (port
 * 0xF4): 0; also 0 with "no usable PMU" if CPUID offers no PMU/APIC or the
 * PMU MSRs #GP (e.g. Bochs advertises a PMU it does not have); 1 if the PMU
 * was programmed but no PMI arrived; 2 on an unexpected #GP. */

#define COM1 0x3F8

typedef unsigned int u32;
typedef unsigned long long u64;

struct multiboot_info {                 /* only the fields we read */
    u32 flags;                          /* bit 2: cmdline is valid */
    u32 mem_lower, mem_upper;
    u32 boot_device;
    u32 cmdline;                        /* physical address of a C string */
};

/* ---- port I/O, CPUID, MSRs -------------------------------------------------- */

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

static void cpuid(u32 leaf, u32 *a, u32 *b, u32 *c, u32 *d)
{
    __asm__ volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d) : "a"(leaf), "c"(0));
}

static u64 rdmsr(u32 msr)
{
    u32 lo, hi;
    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return ((u64)hi << 32) | lo;
}

static void wrmsr(u32 msr, u64 v)
{
    __asm__ volatile("wrmsr" : : "c"(msr), "a"((u32)v), "d"((u32)(v >> 32)) : "memory");
}

static inline u64 rdtsc(void)
{
    u32 lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((u64)hi << 32) | lo;
}

/* ---- COM1 ------------------------------------------------------------------ */

static void serial_init(void)           /* 115200 baud, 8N1, no interrupts */
{
    outb(COM1 + 1, 0x00);
    outb(COM1 + 3, 0x80);
    outb(COM1 + 0, 0x01);
    outb(COM1 + 1, 0x00);
    outb(COM1 + 3, 0x03);
    outb(COM1 + 2, 0xC7);
}

static void serial_putc(char c)
{
    for (int i = 0; i < 1000000 && !(inb(COM1 + 5) & 0x20); i++)
        ;
    outb(COM1, (unsigned char)c);
}

static void serial_puts(const char *s)
{
    while (*s)
        serial_putc(*s++);
}

/* ---- numbers without libgcc ---------------------------------------------------- */

static u64 udiv64(u64 n, u64 d)
{
    u64 q = 0, r = 0;
    for (int i = 63; i >= 0; i--) {
        r = (r << 1) | ((n >> i) & 1);
        if (r >= d) {
            r -= d;
            q |= 1ull << i;
        }
    }
    return q;
}

static void put_u64(u64 v)
{
    char buf[24];
    int i = 0;
    do {
        u64 q = udiv64(v, 10);
        buf[i++] = (char)('0' + (v - q * 10));
        v = q;
    } while (v);
    while (i)
        serial_putc(buf[--i]);
}

static void put_hex32(u32 v)
{
    serial_puts("0x");
    for (int s = 28; s >= 0; s -= 4)
        serial_putc("0123456789abcdef"[(v >> s) & 0xF]);
}

static void put_pct(u64 part, u64 total)  /* "xx.yy%", rounded */
{
    u32 h = total ? (u32)udiv64(part * 10000 + total / 2, total) : 0;
    put_u64(h / 100);
    serial_putc('.');
    serial_putc((char)('0' + h / 10 % 10));
    serial_putc((char)('0' + h % 10));
    serial_putc('%');
}

static u32 opt_num(const char *cmd, const char *key, u32 def)  /* "key=N", decimal */
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

static void __attribute__((noreturn)) finish(int status)
{
    for (int i = 0; i < 1000000 && !(inb(COM1 + 5) & 0x40); i++)
        ;                               /* drain COM1 */
    outb(0xF4, (unsigned char)status);  /* QEMU isa-debug-exit, perfvisor */
    for (const char *s = "Shutdown"; *s; s++)
        outb(0x8900, (unsigned char)*s);/* Bochs */
    for (;;)
        __asm__ volatile("cli; hlt");
}

/* ---- the PMU and the local APIC, by the SDM ------------------------------------- */

#define IA32_PMC0                 0x0C1
#define IA32_PERFEVTSEL0          0x186
#define IA32_PERF_GLOBAL_CTRL     0x38F     /* version >= 2 */
#define IA32_PERF_GLOBAL_OVF_CTRL 0x390     /* version >= 2 */

#define EVTSEL_USR  (1u << 16)              /* count at CPL > 0 */
#define EVTSEL_OS   (1u << 17)              /* count at CPL 0 */
#define EVTSEL_INT  (1u << 20)              /* APIC interrupt on overflow */
#define EVTSEL_EN   (1u << 22)              /* counter enabled */
#define EVT_CORE_CYCLES 0x003Cu             /* event 3CH, umask 00H */

#define APIC_BASE   0xFEE00000u             /* xAPIC registers after reset */
#define APIC_TPR    0x080
#define APIC_EOI    0x0B0
#define APIC_SVR    0x0F0
#define APIC_LVTPC  0x340
#define LVT_MASKED  (1u << 16)
#define PMI_VECTOR  0xE0

static void apic_write(u32 reg, u32 v)
{
    *(volatile u32 *)(APIC_BASE + reg) = v;
}

/* ---- IDT: #GP and the PMI vector --------------------------------------------------- */

struct gate {
    unsigned short off_lo, sel;
    unsigned char zero, type;
    unsigned short off_hi;
} __attribute__((packed));

static struct gate idt[256];
void pmi_entry(void);                   /* boot.S */
void gp_entry(void);

static void set_gate(int vec, void (*fn)(void))
{
    u32 a = (u32)fn;
    idt[vec].off_lo = (unsigned short)a;
    idt[vec].sel = 0x08;
    idt[vec].zero = 0;
    idt[vec].type = 0x8E;               /* present, DPL 0, 32-bit interrupt gate */
    idt[vec].off_hi = (unsigned short)(a >> 16);
}

static void load_idt(void)
{
    struct { unsigned short limit; u32 base; } __attribute__((packed)) p = {
        sizeof(idt) - 1, (u32)idt };
    __asm__ volatile("lidt %0" : : "m"(p));
}

/* ---- the profiled work --------------------------------------------------------------- */

#define CHUNK           1999u           /* loop iterations per call */
#define ROUND_LOOP_INSNS (10u * CHUNK * 3u)

#define SPIN(acc)                                                              \
    do {                                                                       \
        u32 n_ = CHUNK;                                                        \
        __asm__ volatile("1: add %1, %0\n\tdec %1\n\tjnz 1b"                   \
                         : "+r"(acc), "+r"(n_) : : "cc");                      \
    } while (0)

/* Each in its own section, so kernel.ld can bracket it with symbols. */
__attribute__((noinline, noclone, section(".prof.func_a"))) u32 func_a(u32 acc)
{
    SPIN(acc);
    return acc + 1;
}

__attribute__((noinline, noclone, section(".prof.func_b"))) u32 func_b(u32 acc)
{
    SPIN(acc);
    return acc + 2;
}

__attribute__((noinline, noclone, section(".prof.func_c"))) u32 func_c(u32 acc)
{
    SPIN(acc);
    return acc + 3;
}

extern const char func_a_start[], func_a_end[], func_b_start[], func_b_end[];
extern const char func_c_start[], func_c_end[];

__attribute__((noinline, noclone)) u32 run_rounds(u32 rounds)
{
    u32 acc = 0;
    for (u32 r = 0; r < rounds; r++) {  /* a b a c a b a c a b: 5 / 3 / 2 */
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

/* ---- sampling ---------------------------------------------------------------------- */

static u32 period = 100000;
static u32 pmu_version;
static volatile u32 samples_a, samples_b, samples_c, samples_other;
static volatile int programming;        /* a #GP now means: no PMU MSRs */

/* Called from pmi_entry with the interrupted EIP. */
void pmi_handler(u32 eip)
{
    if (eip >= (u32)func_a_start && eip < (u32)func_a_end)
        samples_a++;
    else if (eip >= (u32)func_b_start && eip < (u32)func_b_end)
        samples_b++;
    else if (eip >= (u32)func_c_start && eip < (u32)func_c_end)
        samples_c++;
    else
        samples_other++;
    /* Re-arm: a WRMSR to IA32_PMC0 writes EAX sign-extended, so -period. */
    wrmsr(IA32_PMC0, (u32)(0u - period));
    /* Clear the overflow bit of PMC0 in IA32_PERF_GLOBAL_STATUS. */
    if (pmu_version >= 2)
        wrmsr(IA32_PERF_GLOBAL_OVF_CTRL, 1);
    /* The APIC masked the LVTPC when it delivered the PMI: unmask it. */
    apic_write(APIC_LVTPC, PMI_VECTOR);
    apic_write(APIC_EOI, 0);
}

void gp_handler(u32 eip, u32 err)
{
    if (programming) {
        serial_puts("external-vpmu: no usable PMU (#GP programming the PMU/APIC MSRs)\n");
        finish(0);
    }
    serial_puts("external-vpmu: unexpected #GP at eip ");
    put_hex32(eip);
    serial_puts(" error code ");
    put_hex32(err);
    serial_puts("\n");
    finish(2);
}

static void no_pmu(const char *why)
{
    serial_puts("external-vpmu: no usable PMU (");
    serial_puts(why);
    serial_puts(")\n");
    finish(0);
}

void kmain(u32 magic, const struct multiboot_info *info)
{
    const char *cmd = "";
    serial_init();
    if (magic == 0x2BADB002 && (info->flags & (1u << 2)))
        cmd = (const char *)info->cmdline;
    serial_puts("external-vpmu: hello (cmdline: ");
    serial_puts(cmd);
    serial_puts(")\n");

    period = opt_num(cmd, "period", 100000);
    if (period < 100 || period > 0x7FFFFFFFu)
        period = 100000;
    u32 rounds = opt_num(cmd, "total", 60000000) / ROUND_LOOP_INSNS;
    if (!rounds)
        rounds = 1;

    set_gate(13, gp_entry);
    set_gate(PMI_VECTOR, pmi_entry);
    load_idt();

    /* 1. Ask CPUID what there is. */
    u32 a, b, c, d, max;
    cpuid(0, &max, &b, &c, &d);
    if (max < 0xA)
        no_pmu("CPUID has no leaf 0AH");
    cpuid(0xA, &a, &b, &c, &d);
    pmu_version = a & 0xFF;             /* EAX[7:0]: version */
    u32 ngp = (a >> 8) & 0xFF;          /* EAX[15:8]: general-purpose counters */
    u32 ebx_len = a >> 24;              /* EAX[31:24]: valid bits in EBX */
    if (pmu_version == 0 || ngp == 0)
        no_pmu("CPUID.0AH: no architectural PMU");
    if (ebx_len == 0 || (b & 1))        /* EBX bit 0 set: core cycles NOT available */
        no_pmu("CPUID.0AH: UnHalted Core Cycles not available");
    cpuid(1, &a, &b, &c, &d);
    if (!(d & (1u << 9)))               /* CPUID.1:EDX[9]: on-chip local APIC */
        no_pmu("CPUID.1: no local APIC");

    /* 2. Program the counter, stopped: PMC0 = -period, event select without EN. */
    programming = 1;
    if (pmu_version >= 2)
        wrmsr(IA32_PERF_GLOBAL_CTRL, 0);
    wrmsr(IA32_PERFEVTSEL0, EVT_CORE_CYCLES | EVTSEL_USR | EVTSEL_OS | EVTSEL_INT);
    wrmsr(IA32_PMC0, (u32)(0u - period));
    if (pmu_version >= 2)
        wrmsr(IA32_PERF_GLOBAL_OVF_CTRL, 1);
    (void)rdmsr(IA32_PMC0);
    programming = 0;

    /* 3. The local APIC: software-enable it (SVR bit 8, spurious vector 0xFF),
     *    accept every priority (TPR 0), PMIs as fixed interrupts on 0xE0. */
    apic_write(APIC_SVR, 0x100 | 0xFF);
    apic_write(APIC_TPR, 0);
    apic_write(APIC_LVTPC, PMI_VECTOR);
    outb(0x21, 0xFF);                   /* mask the legacy PICs, if any */
    outb(0xA1, 0xFF);

    serial_puts("external-vpmu: pmu version ");
    put_u64(pmu_version);
    serial_puts(", period ");
    put_u64(period);
    serial_puts(" cycles; func_a=");
    put_hex32((u32)func_a_start);
    serial_puts(" func_b=");
    put_hex32((u32)func_b_start);
    serial_puts(" func_c=");
    put_hex32((u32)func_c_start);
    serial_puts("\n");

    /* 4. Go: EN, interrupts on, then the global enable. */
    wrmsr(IA32_PERFEVTSEL0, EVT_CORE_CYCLES | EVTSEL_USR | EVTSEL_OS | EVTSEL_INT | EVTSEL_EN);
    __asm__ volatile("sti");
    if (pmu_version >= 2)
        wrmsr(IA32_PERF_GLOBAL_CTRL, 1);
    u64 t0 = rdtsc();
    u32 acc = run_rounds(rounds);
    u64 t1 = rdtsc();
    if (pmu_version >= 2)
        wrmsr(IA32_PERF_GLOBAL_CTRL, 0);
    wrmsr(IA32_PERFEVTSEL0, 0);
    __asm__ volatile("cli");
    apic_write(APIC_LVTPC, LVT_MASKED);

    /* 5. Report. */
    u64 n = (u64)samples_a + samples_b + samples_c + samples_other;
    u64 chunk = CHUNK * 3u, la = (u64)rounds * 5 * chunk, lb = (u64)rounds * 3 * chunk,
        lc = (u64)rounds * 2 * chunk, all = la + lb + lc;
    serial_puts("external-vpmu: rounds=");
    put_u64(rounds);
    serial_puts(" acc=");
    put_hex32(acc);
    serial_puts(" ticks=");
    put_u64(t1 - t0);
    serial_puts("\nexternal-vpmu: samples=");
    put_u64(n);
    serial_puts(" func_a=");
    put_pct(samples_a, n);
    serial_puts(" func_b=");
    put_pct(samples_b, n);
    serial_puts(" func_c=");
    put_pct(samples_c, n);
    serial_puts(" other=");
    put_u64(samples_other);
    serial_puts("\nexternal-vpmu: truth func_a=");
    put_pct(la, all);
    serial_puts(" func_b=");
    put_pct(lb, all);
    serial_puts(" func_c=");
    put_pct(lc, all);
    serial_puts(" of ");
    put_u64(all);
    serial_puts(" loop instructions\n");
    if (!n) {
        serial_puts("external-vpmu: no PMI arrived\n");
        finish(1);
    }
    serial_puts("external-vpmu: exiting with status 0\n");
    finish(0);
}
