/* Profiling options from the hypervisor command line, and the choice of backend.
 *   prof=1            turn system-wide sampling on
 *   event=NAME        cycles (default), ref-cycles, instructions, llc-refs, llc-misses,
 *                     branches, branch-misses (all but the first two need the hardware PMU)
 *   period=N | freq=HZ  events between samples (default 1000000), or samples per second of
 *                     each vCPU's time (period = TSC kHz * 1000 / HZ)
 *   jitter=N          draw each period uniformly from [period - N, period + N]
 *   callchain=N       walk up to N frame-pointer frames (0: off, at most CAP_MAX_CHAIN)
 *   ring=N            samples each domain's ring holds (default 4096)
 *   backend=auto|software|hardware  (default auto: hardware if a usable PMU is found) */
#include "pmu/sampling/prof.h"
#include "pmu/sampling/hw_backend.h"
#include "arch/x86/cpu.h"
#include "hv/cmdline.h"
#include "hv/platform.h"
#include "hv/errno.h"
#include "hv/printf.h"
#include "hv/string.h"
#include "perfvisor/capture.h"
#include "perfvisor/limits.h"

#define DEFAULT_PERIOD 1000000ull
#define DEFAULT_RING   4096u
#define MIN_PERIOD     PV_MIN_PERIOD  /* include/perfvisor/limits.h */

struct prof_config prof;

static const struct {
    const char *name;
    int software;                 /* the software backend (TSC) can count it */
} events[CAP_EVENT_COUNT] = {
    [CAP_EVENT_CYCLES] = { "cycles", 1 },
    [CAP_EVENT_INSTRUCTIONS] = { "instructions", 0 },
    [CAP_EVENT_REF_CYCLES] = { "ref-cycles", 1 },
    [CAP_EVENT_LLC_REFS] = { "llc-refs", 0 },
    [CAP_EVENT_LLC_MISSES] = { "llc-misses", 0 },
    [CAP_EVENT_BRANCHES] = { "branches", 0 },
    [CAP_EVENT_BRANCH_MISSES] = { "branch-misses", 0 },
};

static int bad(const char *what)
{
    hv_printf("perfvisor: profiling: %s\n", what);
    return -EINVAL;
}

int prof_init(const char *cmdline)
{
    char buf[32], why[160], why_hw[160], want[16] = "auto";
    uint64_t v, freq = 0;
    int r;

    memset(&prof, 0, sizeof(prof));
    if ((r = cmdline_get_u64(cmdline, "prof", &v)) < 0)
        return bad("prof= must be 0 or 1");
    if (r == 0 || v == 0)
        return 0;
    prof.enabled = 1;
    prof.event = CAP_EVENT_CYCLES;
    prof.period = DEFAULT_PERIOD;
    prof.ring = DEFAULT_RING;

    if (cmdline_get(cmdline, "event", buf, sizeof(buf))) {
        prof.event = -1;
        for (int i = 0; i < CAP_EVENT_COUNT; i++)
            if (!strcmp(buf, events[i].name))
                prof.event = i;
        if (prof.event < 0)
            return bad("unknown event= (cycles, ref-cycles, instructions, llc-refs, llc-misses, "
                       "branches, branch-misses)");
    }
    if (cmdline_get_u64(cmdline, "period", &prof.period) < 0 || prof.period < MIN_PERIOD ||
        prof.period > PV_MAX_PERIOD)
        return bad("period= must be a number of events, at least 1000 and at most 2^48");
    if ((r = cmdline_get_u64(cmdline, "freq", &freq)) < 0 || (r && freq == 0))
        return bad("freq= must be a positive number of samples per second");
    if (cmdline_get_u64(cmdline, "jitter", &prof.jitter) < 0 || prof.jitter >= prof.period ||
        prof.period - prof.jitter < MIN_PERIOD)
        return bad("jitter= must keep every period at least 1000 events (period - jitter >= 1000)");
    if (cmdline_get_u64(cmdline, "callchain", &v) < 0 || v > PV_MAX_CALLCHAIN)
        return bad("callchain= must be a depth from 0 to 32");
    prof.callchain = (uint32_t)v;
    v = prof.ring;
    if (cmdline_get_u64(cmdline, "ring", &v) < 0 || v < 1 || v > PV_MAX_RING)
        return bad("ring= must be a number of samples from 1 to 1048576");
    prof.ring = (uint32_t)v;

    prof.tsc_khz = platform_tsc_khz();
    if (freq) {
        if (!prof.tsc_khz)
            return bad("freq= needs the TSC frequency, which could not be measured: use period=");
        prof.period = prof.tsc_khz * 1000 / freq;
        if (prof.period < MIN_PERIOD)
            return bad("freq= is too high: the period would be below 1000 TSC ticks");
        if (prof.jitter >= prof.period || prof.period - prof.jitter < MIN_PERIOD)
            return bad("jitter= must keep every period freq= gives at least 1000 events");
    }

    cmdline_get(cmdline, "backend", want, sizeof(want));
    if (strcmp(want, "auto") && strcmp(want, "software") && strcmp(want, "hardware"))
        return bad("backend= must be auto, software or hardware");
    /* CPUID alone is not enough: Bochs reports perfmon version 4 and then #GPs on every PMU
     * MSR, so the probe reads and writes them (pmu/sampling/hw_pmu.c). */
    int hw = strcmp(want, "software") ? hw_backend_probe(why, sizeof(why)) : 0;
    if (!strcmp(want, "software"))
        hv_snprintf(why, sizeof(why), "backend=software");
    if (hw && hw_backend_check(prof.event, prof.period, why_hw, sizeof(why_hw)) == 0 && !prof.jitter) {
        prof.backend = CAP_BACKEND_HARDWARE;
        hv_printf("perfvisor: profiling: hardware backend (%s), counter 0, PMI as NMI\n", why);
    } else {
        if (!strcmp(want, "hardware")) {
            hv_printf("perfvisor: profiling: backend=hardware, but %s\n",
                      !hw ? why : prof.jitter ? "jitter= needs the software backend" : why_hw);
            return -ENODEV;
        }
        prof.backend = CAP_BACKEND_SOFTWARE;
        hv_printf("perfvisor: profiling: software backend (TSC + VMX-preemption timer): %s\n",
                  hw ? (prof.jitter ? "jitter= asked for" : "the PMU cannot take this event or period")
                     : why);
        if (!events[prof.event].software) {
            hv_printf("perfvisor: profiling: event '%s' needs the hardware PMU; the software "
                      "backend counts only cycles and ref-cycles (TSC ticks of guest time)\n",
                      events[prof.event].name);
            return -EINVAL;
        }
    }
    hv_printf("perfvisor: profiling: event %s, period %lu", events[prof.event].name, prof.period);
    if (prof.jitter)
        hv_printf(" +/- %lu", prof.jitter);
    hv_printf(", call chains %u deep, rings of %u samples, TSC %lu kHz\n", prof.callchain,
              prof.ring, prof.tsc_khz);
    return 0;
}
