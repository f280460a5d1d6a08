/* perfvisor record: its options, shared with the unit tests. */
#ifndef PROFILER_RECORD_H
#define PROFILER_RECORD_H

#include <stdbool.h>
#include <stdint.h>

#include "builtin-run.h"
#include "pv_codec.h"

#define RECORD_DEFAULT_PERIOD 1000000ull /* like perf record -c */
#define RECORD_CALLCHAIN_DEPTH 16        /* -g */

struct record_opts {
	struct run_opts run;
	const char *event;        /* "cycles" ... */
	unsigned long long period, freq; /* freq != 0: -F */
	unsigned jitter_pct;
	unsigned callchain;       /* depth, 0 = off */
	unsigned ring;            /* 0: the hypervisor's default */
	const char *output;
};

/* -1: go on (the guests start at optind); else the exit status (help: 0, bad usage: 129). */
int record_parse_options(int argc, char **argv, struct record_opts *o);
/* "prof=1 event=cycles period=1000000 callchain=0" (new string). */
char *record_hv_args(const struct record_opts *o);

/* Samples and lost samples seen in a stream, for the closing line of record and capture. */
struct record_counts {
	uint64_t samples, lost_records[CAP_MAX_DOMAINS], lost_totals[CAP_MAX_DOMAINS];
	bool have_totals[CAP_MAX_DOMAINS];
};
void record_count_event(struct record_counts *c, const struct pv_event *ev);
/* TOTALS' lost where a domain has them, else the sum of its LOST records. */
uint64_t record_counts_lost(const struct record_counts *c);

#endif
