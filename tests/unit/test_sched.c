/* hv/sched.c: round robin with sleeping vCPUs (HLT with IF=1).  The architecture and the
 * platform are doubles here: a fake clock, an arch_vcpu_run that plays a script per domain, and
 * an idle that records how far it waited. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>
#include <string.h>

#include "hv/domain.h"
#include "hv/sched.h"
#include "hv/summary.h"

struct domain domains[MAX_DOMAINS];
int ndomains;

static uint64_t clock_now;                       /* the fake TSC */
static uint64_t idle_from, idle_to;              /* the last idle: [from, to) */
static int idles;

uint64_t platform_ticks(void) { return clock_now; }

void platform_idle_until(uint64_t tsc)
{
    idles++;
    idle_from = clock_now;
    if (tsc > clock_now)
        clock_now = tsc;
    idle_to = clock_now;
}

void console_service_slice(struct vcpu *v) { (void)v; }
uint64_t vcpu_hv_ticks(const struct vcpu *v) { (void)v; return 0; }

void domain_stop(struct domain *d, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d->stop_reason, sizeof(d->stop_reason), fmt, ap);
    va_end(ap);
    d->state = DOMAIN_STOPPED;
}

/* What each domain does in a slice: */
enum act { RUN, SLEEP_TIMER, SLEEP_FOREVER, END };
static struct {
    enum act script[16];
    int n, pos;
    uint64_t ran_at[16];                         /* the clock at each slice's start */
} play[MAX_DOMAINS];

void arch_vcpu_run(struct vcpu *v, uint64_t ticks)
{
    int i = (int)(v->dom - domains);
    (void)ticks;
    assert_true(play[i].pos < play[i].n);
    assert_false(v->sleeping);                   /* the scheduler woke it first */
    play[i].ran_at[play[i].pos] = clock_now;
    v->events_pending = 0;                       /* delivered at entry (vmx_deliver_events) */
    clock_now += 300;                            /* every slice takes 300 ticks */
    switch (play[i].script[play[i].pos++]) {
    case RUN:
        break;
    case SLEEP_TIMER:                            /* HLT with a one-shot due in 1000 ticks */
        v->vlapic.timer.armed = 1;
        v->vlapic.timer.deadline = clock_now + 1000;
        v->sleeping = 1;
        break;
    case SLEEP_FOREVER:
        v->vlapic.timer.armed = 0;
        v->sleeping = 1;
        break;
    case END:
        v->dom->state = DOMAIN_EXITED;
        break;
    }
}

static void setup_domains(int n)
{
    memset(domains, 0, sizeof(domains));
    memset(play, 0, sizeof(play));
    ndomains = n;
    clock_now = 1000;
    idles = 0;
    hv_idle_ticks = 0;
    for (int i = 0; i < n; i++) {
        domains[i].id = i + 1;
        domains[i].state = DOMAIN_RUNNING;
        domains[i].vcpu.dom = &domains[i];
        vlapic_init(&domains[i].vcpu.vlapic, 0);
    }
}

#define SCRIPT(i, ...)                                                                  \
    do {                                                                                \
        enum act s_[] = { __VA_ARGS__ };                                                \
        memcpy(play[i].script, s_, sizeof(s_));                                         \
        play[i].n = (int)(sizeof(s_) / sizeof(s_[0]));                                  \
    } while (0)

/* vcpu_wake_tsc: pending events wake at once, else the timer's deadline, else never. */
static void test_wake_tsc(void **state)
{
    (void)state;
    setup_domains(1);
    struct vcpu *v = &domains[0].vcpu;
    assert_int_equal(vcpu_wake_tsc(v), UINT64_MAX);
    v->vlapic.timer.armed = 1;
    v->vlapic.timer.deadline = 5000;
    assert_int_equal(vcpu_wake_tsc(v), 5000);
    v->events_pending = 1;
    assert_int_equal(vcpu_wake_tsc(v), 0);
    v->events_pending = 0;
    uint32_t svr = 0x1FF;                        /* software-enable the APIC, then an interrupt */
    assert_int_equal(vlapic_mmio_write(&v->vlapic, 0xF0, svr, 0), 0);
    assert_int_equal(vlapic_deliver(&v->vlapic, 0x40, 0), 1);
    assert_int_equal(vcpu_wake_tsc(v), 0);
    v->vlapic.nmi_pending = 1;
    assert_int_equal(vcpu_wake_tsc(v), 0);
}

/* A sleeper is passed over while another domain runs, and runs again once its timer is due. */
static void test_sleeper_skipped_until_timer(void **state)
{
    (void)state;
    setup_domains(2);
    SCRIPT(0, SLEEP_TIMER, END);
    SCRIPT(1, RUN, RUN, RUN, RUN, RUN, RUN, END);
    sched_run(10000);
    /* domain 1 slept at 1300 until 2300; domain 2's slices start every 300 ticks from 1300 */
    assert_int_equal(play[0].pos, 2);
    assert_true(play[0].ran_at[1] >= 2300);
    assert_true(play[0].ran_at[1] < 2300 + 300 + 300);   /* within a round of its deadline */
    assert_int_equal(play[1].pos, 7);
    assert_int_equal(idles, 0);                  /* someone could always run */
    assert_int_equal(domains[0].state, DOMAIN_EXITED);
}

/* When every domain sleeps, the hypervisor idles to the earliest wake-up, then runs that one. */
static void test_idle_until_earliest(void **state)
{
    (void)state;
    setup_domains(2);
    SCRIPT(0, SLEEP_TIMER, END);                 /* runs at 1000, due at 2300 */
    SCRIPT(1, RUN, SLEEP_TIMER, END);            /* runs at 1300 and 1600, due at 2900 */
    sched_run(10000);
    assert_int_equal(idles, 2);                  /* 1900 -> 2300 (both asleep), 2600 -> 2900 */
    assert_int_equal(play[0].ran_at[1], 2300);   /* idled exactly to its deadline */
    assert_int_equal(play[1].ran_at[2], 2900);
    assert_int_equal(hv_idle_ticks, (2300 - 1900) + (2900 - 2600));
    assert_int_equal(domains[0].state, DOMAIN_EXITED);
    assert_int_equal(domains[1].state, DOMAIN_EXITED);
}

/* A domain that sleeps with nothing that could wake it is stopped, with the reason; the others
 * finish. */
static void test_forever_sleeper_stopped(void **state)
{
    (void)state;
    setup_domains(2);
    SCRIPT(0, SLEEP_FOREVER);
    SCRIPT(1, RUN, RUN, END);
    sched_run(10000);
    assert_int_equal(domains[1].state, DOMAIN_EXITED);
    assert_int_equal(domains[0].state, DOMAIN_STOPPED);
    assert_non_null(strstr(domains[0].stop_reason, "would sleep forever"));
    assert_int_equal(idles, 0);
    assert_int_equal(play[0].pos, 1);
}

/* An interrupt already pending wakes a sleeper on the next round. */
static void test_pending_event_wakes(void **state)
{
    (void)state;
    setup_domains(1);
    SCRIPT(0, SLEEP_FOREVER);
    domains[0].vcpu.sleeping = 1;                /* asleep, and then something was delivered */
    domains[0].vcpu.events_pending = 1;          /* e.g. an I/O APIC message */
    sched_run(10000);
    assert_int_equal(play[0].ran_at[0], 1000);   /* woke at once, no idle */
    assert_int_equal(idles, 0);
    assert_int_equal(domains[0].state, DOMAIN_STOPPED);   /* then slept forever */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wake_tsc),
        cmocka_unit_test(test_sleeper_skipped_until_timer),
        cmocka_unit_test(test_idle_until_earliest),
        cmocka_unit_test(test_forever_sleeper_stopped),
        cmocka_unit_test(test_pending_event_wakes),
    };
    return cmocka_run_group_tests_name("hv/sched.c", tests, NULL, NULL);
}
