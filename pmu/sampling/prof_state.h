/* State shared by the sampler (pmu/sampling/sampler.c) and the exporter (pmu/sampling/export.c). */
#ifndef PMU_PROF_STATE_H
#define PMU_PROF_STATE_H

#include "hv/domain.h"
#include "perfvisor/capture.h"
#include "perfvisor/hypercall.h"
#include "pmu/sampling/prof_names.h"
#include "pmu/sampling/ring.h"

struct prof_state {
    struct sample_ring rings[CAP_MAX_DOMAINS];        /* [0] = the hypervisor */
    struct prof_names names;                           /* HC_NAME_CR3, per domain */
    uint8_t end_pending[CAP_MAX_DOMAINS];
    /* accounting already exported, to send deltas */
    uint64_t sent_exits[CAP_MAX_DOMAINS][HV_MAX_EXIT_REASONS];
    uint64_t sent_exit_ticks[CAP_MAX_DOMAINS][HV_MAX_EXIT_REASONS];
    uint64_t sent_guest_ticks[CAP_MAX_DOMAINS];
    uint64_t sent_export_count[CAP_MAX_DOMAINS], sent_export_ticks[CAP_MAX_DOMAINS];
    uint64_t rng;                                      /* xorshift64 state for jitter */
};
extern struct prof_state prof_state;

#endif
