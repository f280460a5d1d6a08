/* perfvisor script / convert: the export model.  A capture is read once through the report's
 * aggregation (struct report: its parser callback, symbol resolver, process names, hypervisor
 * rows and loss scaling) and, beside it, every sample is kept as (stack, time, period) with its
 * stack interned: (domain, level, process, frames leaf first).  The writers (export_*.c) read
 * only this model, so every format shows the same weights, domains, processes and chains.
 *
 * Hypervisor time of the software backend (HV_TIME events: ticks per exit reason) becomes a
 * sample too, one per event, of the reason's row ("exit:PREEMPTION_TIMER", dso "[hypervisor]",
 * process "[hypervisor]"), weighted by its ticks: so shares add up to the report's 100%. */
#ifndef PROFILER_EXPORT_H
#define PROFILER_EXPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "report.h"

/* One frame: a report loc (the report resolves each (domain, address[, task's executable]) once
 * into a loc); frame ids are loc ids, the table is filled by export_finish. */
struct export_frame {
	uint64_t ip;     /* the address symbolized (a caller frame: its return address - 1) */
	uint64_t symoff; /* ip - the symbol's start (named frames) */
	uint32_t loc;    /* report loc: sym, srcline, dso */
	int domain;
	bool named;      /* the symbol is known (else sym is "[unknown] 0x...") */
	bool hv_row;     /* a hypervisor-time row: no address */
};

struct export_stack {
	int domain;
	char level;      /* 'g' guest kernel, '.' guest user, 'k' hypervisor */
	uint32_t proc;   /* report proc, or REPORT_PROC_HV */
	uint32_t first;  /* export.chain[first .. first + depth): frame (loc) ids, leaf first */
	uint32_t depth;
	uint64_t weight; /* sum of the samples' periods (scaled like the report's rows) */
	uint64_t samples;
};

struct export_sample {
	uint64_t tsc;
	uint64_t period; /* as recorded (raw, never scaled) */
	uint32_t stack;
};

struct export {
	struct report r;
	struct export_frame *frames; /* by loc id, from export_finish */
	size_t nframes;
	uint8_t *hv_loc;          /* by loc id: a hypervisor-time row */
	size_t caphv;
	uint32_t *chain;          /* the stacks' frame ids */
	size_t nchain, capchain;
	struct hmap stack_index;  /* (hash, head, probe) -> stacks[] */
	struct export_stack *stacks;
	size_t nstacks, capstacks;
	struct export_sample *samples; /* in capture order */
	size_t nsamples, capsamples;
	uint64_t total;           /* sum of stack weights: the report's 100% */
	uint64_t tsc0;            /* the first sample's time */
};

/* Sets up an empty model; res resolves symbols like the report's (NULL: none). */
void export_init(struct export *x, const struct report_resolver *res);
void export_free(struct export *x);
/* The pv_parse_cb event callback: aggregates ev into x->r and keeps its sample. */
int export_add_event(void *x, const struct pv_header *h, const struct pv_event *ev);
/* After the last event: the report's loss scaling, applied to the stacks' weights. */
void export_finish(struct export *x);
/* Reads a whole stream (report_load's contract). */
int export_load(struct export *x, const uint8_t *data, size_t len, struct pv_header *h, struct pv_diag *diag);

/* A sample's weight in the report's unit: its period, scaled as the report scales its domain. */
uint64_t export_sample_weight(const struct export *x, const struct export_sample *sm);

/* Names, for the writers. */
const char *export_sym(const struct export *x, uint32_t frame);
const char *export_dso(const struct export *x, uint32_t frame);
const char *export_srcline(const struct export *x, uint32_t frame);
const char *export_domain(const struct export *x, int domain, char *buf, size_t len);
const char *export_process(const struct export *x, uint32_t proc, char *buf, size_t len);
const char *export_event(const struct export *x);
/* perf script's pid and tid of a stack: pid = the domain id, tid = a number unique to the
 * (domain, process) pair: domain * 10000, + 1 + the process's index for guest processes. */
unsigned export_tid(const struct export *x, const struct export_stack *s);
/* Seconds for a tsc (tsc_khz of the header, else 1 GHz). */
double export_seconds(const struct export *x, uint64_t tsc);

/* The writers.  Each returns 0, or -1 when f reports a write error. */
int export_write_script(FILE *f, const struct export *x);
int export_write_folded(FILE *f, const struct export *x);
int export_write_json(FILE *f, const struct export *x, const char *input);
int export_write_speedscope(FILE *f, const struct export *x, const char *input);
int export_write_svg(FILE *f, const struct export *x, const char *title);
int export_write_pprof(FILE *f, const struct export *x);

/* Helpers shared by the writers and tested alone. */
/* Writes v in decimal (faster than fprintf's %llu for the big arrays). */
void export_u64(FILE *f, uint64_t v);
/* Writes s as a JSON string, quotes included (UTF-8 passed through, controls escaped). */
void export_json_string(FILE *f, const char *s);
/* Writes s as XML character data (& < > " ' escaped, other controls as '?'). */
void export_xml_text(FILE *f, const char *s);
/* A folded-stack frame name: ';' and newlines would split the line: they become ':' and ' '. */
void export_folded_name(FILE *f, const char *s);
/* Gzips buf[0..len) to f (export_pprof.c).  0, or -1. */
int export_gzip(FILE *f, const uint8_t *buf, size_t len);

#endif
