/* Profiling options from the hypervisor command line, and the choice of backend.
 *   prof=1            turn system-wide sampling on
 *   event=NAME        cycles (default), ref-cycles, instructions, llc-refs, llc-misses,
 *                     branches, branch-misses (all but the first two need the hardware PMU)
 *   period=N | freq=HZ  events between samples (default 1000000), or samples per second of
 *                     each vCPU's time (period = TSC kHz * 1000 / HZ)
 *   jitter=N          draw each period uniformly from [period - N, period + N]
 *   callchain=N       walk up to N frame-pointer frames (0: off, at most CAP_MAX_CHAIN)
 *   ring=N            samples each domain's ring holds (default 4096) */
#include "pmu/prof.h"
#include "arch/x86/cpu.h"
#include "hv/cmdline.h"
#include "hv/platform.h"
#include "hv/printf.h"
#include "hv/string.h"
#include "perfvisor/capture.h"

#define DEFAULT_PERIOD 1000000ull
#define DEFAULT_RING   4096u
#define MIN_PERIOD     1000ull        /* below this the sampler would be most of the machine */

/* Architectural PMU MSRs probed to see whether a PMU is really there (SDM Vol. 4 Table 2-2). */
#define MSR_IA32_PMC0           0x0C1
#define MSR_IA32_PERFEVTSEL0    0x186
#define MSR_IA32_PERF_GLOBAL_CTRL 0x38F

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
    return -1;
}

/* Is there an architectural PMU we could drive?  CPUID alone is not enough: Bochs reports
 * version 4 with 4 counters and then raises #GP on every PMU MSR. */
static int hardware_pmu_present(char *why, size_t len)
{
    struct cpuid_regs r;
    uint64_t v;

    cpuid_count(0, 0, &r);
    if (r.eax < 0xA) {
        hv_snprintf(why, len, "CPUID has no leaf 0AH");
        return 0;
    }
    cpuid_count(0xA, 0, &r);
    unsigned version = r.eax & 0xFF, ngp = (r.eax >> 8) & 0xFF;
    if (version < 2 || ngp == 0) {
        hv_snprintf(why, len, "CPUID.0AH reports architectural perfmon version %u with %u counters",
                    version, ngp);
        return 0;
    }
    if (rdmsr_safe(MSR_IA32_PERFEVTSEL0, &v) || rdmsr_safe(MSR_IA32_PMC0, &v) ||
        rdmsr_safe(MSR_IA32_PERF_GLOBAL_CTRL, &v)) {
        hv_snprintf(why, len, "CPUID.0AH advertises perfmon version %u with %u counters, but the "
                    "PMU MSRs raise #GP (an emulated CPU without a PMU)", version, ngp);
        return 0;
    }
    hv_snprintf(why, len, "architectural perfmon version %u, %u counters", version, ngp);
    return 1;
}

int prof_init(const char *cmdline)
{
    char buf[32], why[160];
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
    if (cmdline_get_u64(cmdline, "period", &prof.period) < 0 || prof.period < MIN_PERIOD)
        return bad("period= must be a number of events, at least 1000");
    if ((r = cmdline_get_u64(cmdline, "freq", &freq)) < 0 || (r && freq == 0))
        return bad("freq= must be a positive number of samples per second");
    if (cmdline_get_u64(cmdline, "jitter", &prof.jitter) < 0 || prof.jitter >= prof.period)
        return bad("jitter= must be a number of events below the period");
    if (cmdline_get_u64(cmdline, "callchain", &v) < 0 || v > CAP_MAX_CHAIN)
        return bad("callchain= must be a depth from 0 to 32");
    prof.callchain = (uint32_t)v;
    v = prof.ring;
    if (cmdline_get_u64(cmdline, "ring", &v) < 0 || v < 1 || v > 1u << 20)
        return bad("ring= must be a number of samples from 1 to 1048576");
    prof.ring = (uint32_t)v;

    prof.tsc_khz = platform_tsc_khz();
    if (freq) {
        if (!prof.tsc_khz)
            return bad("freq= needs the TSC frequency, which could not be measured: use period=");
        prof.period = prof.tsc_khz * 1000 / freq;
        if (prof.period < MIN_PERIOD)
            return bad("freq= is too high: the period would be below 1000 TSC ticks");
        if (prof.jitter >= prof.period)
            return bad("jitter= must be below the period freq= gives");
    }

    int hw = hardware_pmu_present(why, sizeof(why));
    prof.backend = CAP_BACKEND_SOFTWARE;
    if (hw)
        hv_printf("perfvisor: profiling: a hardware PMU is present (%s), but the hardware "
                  "sampling backend is not built yet\n", why);
    hv_printf("perfvisor: profiling: software backend (TSC + VMX-preemption timer)%s%s%s\n",
              hw ? "" : ": no usable hardware PMU: ", hw ? "" : why, "");
    if (prof.backend == CAP_BACKEND_SOFTWARE && !events[prof.event].software) {
        hv_printf("perfvisor: profiling: event '%s' needs the hardware PMU; the software backend "
                  "counts only cycles and ref-cycles (TSC ticks of guest time)\n",
                  events[prof.event].name);
        return -1;
    }
    hv_printf("perfvisor: profiling: event %s, period %lu", events[prof.event].name, prof.period);
    if (prof.jitter)
        hv_printf(" +/- %lu", prof.jitter);
    hv_printf(", call chains %u deep, rings of %u samples, TSC %lu kHz\n", prof.callchain,
              prof.ring, prof.tsc_khz);
    return 0;
}
