/* apictimer.c - the local APIC timer as a test kernel written for QEMU (kvm-unit-tests' x86
 * apic tests and the like) uses it, one "apictimer: PASS|FAIL <rule>" line per check; the exit
 * status is the number of failures.  SDM Vol. 3A 11.5.4 "APIC Timer" (10.5.4 before 2023):
 *   one-shot: fires once, initial count x divisor TSC ticks after the initial-count write (the
 *     timer's bus clock is the TSC rate here, docs/guests.md); the current count decreases and
 *     stays 0 after; periodic: fires again every period, a 0 initial count stops it; masked:
 *     counts down without an interrupt;
 *   11.5.4.1 TSC-deadline mode (if CPUID.1:ECX[24]): initial-count writes ignored, fires once the
 *     TSC reaches IA32_TSC_DEADLINE, which then reads 0; a deadline in the past fires at once; 0
 *     disarms; leaving the mode disarms;
 * through the xAPIC page, then in x2APIC mode (MSRs 832H, 838H, 839H, 83EH).  Each check that
 * times an interrupt starts on a fresh time slice (HLT with IF=1 gives up the slice), so that
 * no other domain runs in its window; the lateness bound is late=N (option, default
 * LATE_BOUND).  Then, with another domain beside it, wall time: a one-shot that expires while
 * the other domain runs fires at the first instruction after this one's HLT, and a periodic
 * timer that expired many times meanwhile fires once. */
#include "apic.h"
#include "div64.h"
#include "guest.h"
#include "check.h"
#include "idt.h"
#include "../include/perfvisor/hypercall.h"

#define VEC             0x40
#define REG_LVT_TIMER   0x320
#define REG_TIMER_ICR   0x380
#define REG_TIMER_CCR   0x390
#define REG_TIMER_DCR   0x3E0
#define TIMER_PERIODIC  (1u << 17)      /* LVT timer mode 01b */
#define TIMER_DEADLINE  (2u << 17)      /* LVT timer mode 10b */
#define DCR_BY_1        0xBu            /* Figure 11-10 */
#define DCR_BY_16       0x3u
#define MSR_TSC_DEADLINE 0x6E0u
#define CPUID1_ECX_TSC_DEADLINE (1u << 24)

/* How late an interrupt may arrive, in TSC ticks after its due time: noticing it (the
 * preemption-timer exit, or the exit the guest was in), one VM entry injecting it, and the
 * handler's prologue before its RDTSC.  Measured under Bochs: see tests/boot/peer-tests.sh. */
#define LATE_BOUND      5000u
#define MAX_FIRED       16

static volatile uint32_t fired;
static volatile uint64_t fired_tsc[MAX_FIRED];
static uint32_t late_bound = LATE_BOUND;

IDT_ISR static void timer_isr(struct iframe *f)
{
    uint64_t t = rdtsc();
    (void)f;
    if (fired < MAX_FIRED)
        fired_tsc[fired] = t;
    fired++;
    apic_eoi();
}



/* Give up the rest of the slice (HC_YIELD); back here on a fresh one. */
static void fresh_slice(void)
{
    int32_t ret;
    __asm__ volatile("vmcall" : "=a"(ret) : "a"(HC_YIELD) : "memory");
}

/* Spin without exits until `n` interrupts came or `ticks` passed. */
static void spin_until(uint32_t n, uint64_t ticks)
{
    uint64_t t0 = rdtsc();
    while (fired < n && rdtsc() - t0 < ticks)
        ;
}

static void spin(uint64_t ticks)
{
    spin_until(~0u, ticks);
}

static void reset(void)
{
    apic_write(REG_TIMER_ICR, 0);
    apic_write(REG_LVT_TIMER, APIC_LVT_MASKED | VEC);
    fired = 0;
}

static void test_oneshot(const char *m)
{
    const uint32_t n = 20000, div = 16;
    const uint64_t due = (uint64_t)n * div;

    fresh_slice();
    reset();
    apic_write(REG_TIMER_DCR, DCR_BY_16);
    apic_write(REG_LVT_TIMER, VEC);
    uint64_t t0 = rdtsc();
    apic_write(REG_TIMER_ICR, n);
    uint32_t c1 = apic_read(REG_TIMER_CCR);
    spin(due / 4);
    uint32_t c2 = apic_read(REG_TIMER_CCR);
    spin(due / 4);
    uint32_t c3 = apic_read(REG_TIMER_CCR);
    check_mode(c1 <= n && c1 > c2 && c2 > c3 && c3 > 0, m, "current-count-decreases",
          "%u, %u, %u (initial %u)", c1, c2, c3, n);
    spin_until(1, 4 * due);
    uint64_t at = fired_tsc[0] - t0;
    check_mode(fired == 1 && at >= due && at - due <= late_bound, m, "oneshot-fires-at-count",
          "fired %u, after %llu ticks, due %llu", fired, at, due);
    printf("apictimer: %s oneshot due=%llu late=%llu\n", m, due, fired ? at - due : 0);
    spin(2 * due);
    check_mode(fired == 1, m, "oneshot-fires-once", "fired %u times", fired);
    check_mode(apic_read(REG_TIMER_CCR) == 0, m, "oneshot-count-stays-zero", "0x%x",
          apic_read(REG_TIMER_CCR));
}

static void test_periodic(const char *m)
{
    const uint32_t n = 5000, div = 16, times = 6;
    const uint64_t period = (uint64_t)n * div;
    uint64_t worst = 0;

    fresh_slice();
    reset();
    apic_write(REG_TIMER_DCR, DCR_BY_16);
    apic_write(REG_LVT_TIMER, VEC | TIMER_PERIODIC);
    uint64_t t0 = rdtsc();
    apic_write(REG_TIMER_ICR, n);
    spin_until(times, (times + 2) * period);
    apic_write(REG_TIMER_ICR, 0);               /* "a write of 0 ... stops" it */
    uint32_t got = fired;
    int ok = got == times;
    for (uint32_t k = 0; ok && k < times; k++) {
        uint64_t due = t0 + (k + 1) * period;   /* the reloads keep the period's grid */
        uint64_t late = fired_tsc[k] >= due ? fired_tsc[k] - due : ~0ull;
        if (late > worst)
            worst = late;
    }
    check_mode(ok && worst <= late_bound, m, "periodic-fires-every-period",
          "%u interrupts of %u, worst lateness %llu", got, times, worst);
    printf("apictimer: %s periodic period=%llu times=%u worst-late=%llu\n", m, period, got, worst);
    spin(3 * period);
    check_mode(fired == got && apic_read(REG_TIMER_CCR) == 0, m, "periodic-zero-count-stops",
          "%u more interrupts", fired - got);
}

static void test_masked(const char *m)
{
    const uint32_t n = 1000;

    reset();
    apic_write(REG_TIMER_DCR, DCR_BY_16);
    apic_write(REG_LVT_TIMER, VEC | APIC_LVT_MASKED);
    apic_write(REG_TIMER_ICR, n);
    spin(4ull * n * 16);
    check_mode(fired == 0 && apic_read(REG_TIMER_CCR) == 0, m, "masked-counts-without-interrupt",
          "fired %u, current count %u", fired, apic_read(REG_TIMER_CCR));
}

static void test_tsc_deadline(const char *m)
{
    uint32_t a, b, c, d;
    uint64_t v = 0;

    cpuid(1, 0, &a, &b, &c, &d);
    if (!(c & CPUID1_ECX_TSC_DEADLINE)) {
        check_mode(0, m, "tsc-deadline-offered", "CPUID.1:ECX[24] clear");
        return;
    }
    fresh_slice();
    reset();
    apic_write(REG_LVT_TIMER, VEC | TIMER_DEADLINE);
    apic_write(REG_TIMER_ICR, 1234);
    check_mode(apic_read(REG_TIMER_ICR) == 0 && apic_read(REG_TIMER_CCR) == 0, m,
          "tsc-deadline-ignores-initial-count", "initial %u current %u",
          apic_read(REG_TIMER_ICR), apic_read(REG_TIMER_CCR));
    uint64_t dl = rdtsc() + 100000;
    wrmsr(MSR_TSC_DEADLINE, dl);
    v = rdmsr(MSR_TSC_DEADLINE);
    spin_until(1, 400000);
    check_mode(v == dl && fired == 1 && fired_tsc[0] >= dl && fired_tsc[0] - dl <= late_bound, m,
          "tsc-deadline-fires-at-deadline", "read 0x%llx, fired %u, at deadline + %lld", v, fired,
          (long long)(fired_tsc[0] - dl));
    printf("apictimer: %s tsc-deadline late=%llu\n", m, fired ? fired_tsc[0] - dl : 0);
    check_mode(rdmsr(MSR_TSC_DEADLINE) == 0, m, "tsc-deadline-clears-msr", "0x%llx",
          rdmsr(MSR_TSC_DEADLINE));
    fired = 0;
    wrmsr(MSR_TSC_DEADLINE, 1);
    uint32_t now = fired;                       /* the first instruction after the WRMSR */
    check_mode(now == 1, m, "tsc-deadline-past-fires-at-once", "fired %u", now);
    fired = 0;
    wrmsr(MSR_TSC_DEADLINE, rdtsc() + 50000);
    wrmsr(MSR_TSC_DEADLINE, 0);
    spin(150000);
    check_mode(fired == 0, m, "tsc-deadline-zero-disarms", "fired %u", fired);
    wrmsr(MSR_TSC_DEADLINE, rdtsc() + 50000);
    apic_write(REG_LVT_TIMER, VEC);             /* to one-shot: disarms */
    apic_write(REG_LVT_TIMER, VEC | TIMER_DEADLINE);
    v = rdmsr(MSR_TSC_DEADLINE);
    spin(150000);
    check_mode(fired == 0 && v == 0, m, "mode-switch-disarms", "fired %u, deadline 0x%llx", fired, v);
    apic_write(REG_LVT_TIMER, VEC);
    check_mode(rdmsr(MSR_TSC_DEADLINE) == 0, m, "tsc-deadline-msr-zero-outside-mode", "0x%llx",
          rdmsr(MSR_TSC_DEADLINE));
}

/* Wall time: the timer counts on while another domain runs. */
static void test_wall_time(void)
{
    const uint64_t n = 1000000, period = 100000;

    fresh_slice();
    reset();
    apic_write(REG_TIMER_DCR, DCR_BY_1);
    apic_write(REG_LVT_TIMER, VEC);
    uint64_t t0 = rdtsc();
    apic_write(REG_TIMER_ICR, (uint32_t)n);
    fresh_slice();                              /* the other domain runs its slice */
    uint32_t got = fired;                       /* the first instruction back here */
    uint64_t away = rdtsc() - t0;
    check_mode(away > n, "", "wall-another-domain-ran", "back after %llu ticks", away);
    check_mode(got == 1 && fired_tsc[0] - t0 >= n, "", "wall-oneshot-fires-on-return",
          "fired %u", got);
    printf("apictimer: wall oneshot due=%llu away=%llu\n", n, away);

    reset();
    apic_write(REG_LVT_TIMER, VEC | TIMER_PERIODIC);
    t0 = rdtsc();
    apic_write(REG_TIMER_ICR, (uint32_t)period);
    fresh_slice();
    got = fired;
    away = rdtsc() - t0;
    apic_write(REG_TIMER_ICR, 0);
    uint64_t periods = udiv64(away, period, 0);
    check_mode(periods > 10 && got == 1, "", "wall-periodic-fires-once-on-return",
          "%u interrupts after %llu periods away", got, periods);
    printf("apictimer: wall periodic period=%llu away-periods=%llu interrupts=%u\n", period,
           periods, got);
}

static void run_mode(enum apic_mode mode)
{
    const char *why = "", *m = apic_mode_name(mode);
    if (apic_init(mode, &why)) {
        check_mode(0, m, "init", "%s", why);
        return;
    }
    test_oneshot(m);
    test_periodic(m);
    test_masked(m);
    test_tsc_deadline(m);
    reset();
}

int main(uint32_t magic, const struct mb_info *mbi)
{
    guest_start("apictimer", magic, mbi);
    check_begin("apictimer");
    late_bound = (uint32_t)mb_opt_num("late", LATE_BOUND);
    idt_init();
    idt_set(VEC, timer_isr);
    sti();
    run_mode(APIC_XAPIC);
    run_mode(APIC_X2APIC);
    if (mb_opt_num("wall", 0))
        test_wall_time();
    cli();
    return check_summary();
}
