/* perfvisor record: its options, shared with the unit tests. */
#ifndef PROFILER_RECORD_H
#define PROFILER_RECORD_H

#include <stdbool.h>
#include <stdint.h>

#include "builtin-run.h"
#include "pv_codec.h"

#define RECORD_DEFAULT_PERIOD 1000000ull /* like perf record -c */
#define RECORD_CALLCHAIN_DEPTH 16        /* -g */
#define RECORD_MAX_FREQ 1000000ull       /* -F: a period of 1000 at a 1 GHz TSC */
/* -F under Bochs: the hypervisor measures the TSC against the PIT (49996 kHz seen for its
 * EMU_BOCHS_IPS of 50 MHz) and refuses a period below PV_MIN_PERIOD: 1% margin. */
#define RECORD_BOCHS_MAX_FREQ ((EMU_BOCHS_IPS - EMU_BOCHS_IPS / 100) / PV_MIN_PERIOD)

struct record_opts {
	struct run_opts run;
	const char *event;        /* "cycles" ... */
	unsigned long long period, freq; /* freq != 0: -F */
	unsigned jitter_pct;
	unsigned callchain;       /* depth, 0 = off */
	unsigned ring;            /* 0: the hypervisor's default */
	const char *output;
	bool progress;            /* --progress: the progress line even when stderr is no terminal */
};

/* -1: go on (the guests start at optind); else the exit status (help: 0, bad usage: 129). */
int record_parse_options(int argc, char **argv, struct record_opts *o);
/* Whether the software backend (TSC) counts event: cycles and ref-cycles. */
bool record_event_software(const char *event);
/* Checks made before the emulator starts, each a one-line error naming the fix in why:
 * that -o can be written (its directory exists and is writable, it is not a directory)... */
int record_check_output(const char *path, char *why, size_t len);
/* ...and that the backend the emulator allows counts the event at that rate: Bochs and QEMU
 * without KVM have no PMU (software backend: cycles and ref-cycles), and under Bochs the TSC
 * runs at EMU_BOCHS_IPS Hz, which bounds -F.  0 or -1. */
int record_check_backend(const struct record_opts *o, int emu_kind, bool kvm, char *why, size_t len);
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
