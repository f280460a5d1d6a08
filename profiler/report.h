/* perfvisor report: the model.  Events from the capture parser are aggregated into histogram
 * entries keyed by the sort keys (domain, process, sym, srcline, dso); guest rows are weighted by
 * the samples' event counts, hypervisor rows by the hypervisor's ticks (software backend) or its
 * own samples (hardware backend), so that all rows share one unit and their percentages add up
 * to 100.  Symbols come through a resolver (symbols.c in the tool, a fake in the tests). */
#ifndef PROFILER_REPORT_H
#define PROFILER_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "report_hash.h"
#include "pv_codec.h"

enum report_key { RK_DOMAIN, RK_PROCESS, RK_SYM, RK_SRCLINE, RK_DSO, RK_PID, RK_COMM, RK_NKEYS };

struct report_opts {
	enum report_key sort[RK_NKEYS];
	int nsort;
	bool children;        /* --children: callers accumulate their callees' totals */
	bool callgraph;       /* -g: print call graphs under the entries */
	double percent_limit; /* hide entries below this share (percent) */
	double graph_limit;   /* hide call-graph branches below this share (percent), perf's 0.5 */
	bool caller;          /* -g caller: graphs from the callers down (default callee: up) */
	bool show_nr_samples; /* -n: a Samples column */
	const char *sep;      /* -t SEP: columns separated by SEP, unpadded, no graphs (NULL: off) */
	int nfields;          /* -F: the columns, in order (0: the default ones) */
	int fields[RK_NKEYS + 4]; /* enum report_field */
};

/* -F/--fields: the numeric columns, then one per sort key (RF_KEY + enum report_key). */
enum report_field { RF_OVERHEAD, RF_CHILDREN, RF_SAMPLE, RF_PERIOD, RF_KEY };
/* Parse "overhead,sample,sym" into o->fields (and o->sort from its keys when sort_given is
 * false); returns 0, or -1 with the bad field in *bad. */
int report_parse_fields(struct report_opts *o, const char *fields, bool sort_given, const char **bad);
/* Parse -g's argument, perf's "[graph,]THRESHOLD,caller|callee" in any order; 0 or -1. */
int report_parse_callgraph(struct report_opts *o, const char *arg);

/* Parse "domain,process,sym" into o->sort; returns 0, or -1 with the bad key in *bad. */
int report_parse_sort(struct report_opts *o, const char *keys, const char **bad);
const char *report_key_name(enum report_key k);

/* What one address resolves to.  An empty name means unknown. */
struct report_sym {
	char name[256];
	char srcline[256]; /* "file.c:12", or "" */
	char dso[128];     /* "hello.elf", "perfvisor.elf", or "" */
	uint64_t symoff;   /* ip - the symbol's start, when name is set */
};

/* A Linux guest task's executable, as the capture tells it: its comm, and when has_exe the
 * entry point in memory (AT_ENTRY) and the GNU build-id the hypervisor read (build_id_len 0:
 * none found). */
struct report_task_exe {
	const char *comm;
	bool has_exe;
	uint64_t entry;
	const uint8_t *build_id;
	int build_id_len;
};

struct report_resolver {
	void *ctx;
	/* Called once per distinct (domain, ip), the first time it is seen; domain 0 is the
	 * hypervisor.  h is the capture header (domain names, image ids). */
	void (*resolve)(void *ctx, const struct pv_header *h, int domain, uint64_t ip, struct report_sym *out);
	/* Optional: a user-space address of a Linux guest's task (CAP_R_TASK), once per distinct
	 * (domain, executable, ip); not called for other samples. */
	void (*resolve_user)(void *ctx, const struct pv_header *h, int domain, const struct report_task_exe *x,
			     uint64_t ip, struct report_sym *out);
};

#define REPORT_PROC_HV UINT32_MAX /* process of hypervisor rows: "[hypervisor]" */

struct report_loc {
	uint32_t sym, srcline, dso; /* string ids */
	int domain;
	bool named;                 /* the resolver knew its symbol (not "[unknown] 0x...") */
	uint64_t weight, samples;   /* the SAMPLE events at this address (--guest-wide) */
	uint64_t ip, symoff;        /* the address resolved, and its offset into the symbol (named) */
};

struct report_proc {
	int domain;
	uint64_t cr3;  /* or PV_TASK_KEY(task) for a Linux guest's task */
	uint32_t name; /* string id, 0 until a PROCESS event names it */
	uint32_t comm; /* string id: a task's comm, or the PROCESS name; 0: none */
	uint32_t task, pid, tid; /* a Linux guest's task (CAP_R_TASK); task 0: not one */
	/* its executable (CAP_TASK_EXE; has_exe false: not sent), and the string id that keys its
	 * user-space addresses: the comm, with the entry and build-id when known */
	bool has_exe;
	uint8_t build_id_len;
	uint8_t build_id[CAP_TASK_BUILD_ID_MAX];
	uint64_t exe_entry;
	uint32_t ukey;
};

struct report_entry {
	int domain;
	char level;     /* 'g' guest kernel, '.' guest user, 'k' hypervisor */
	uint32_t proc;  /* index into procs, or REPORT_PROC_HV */
	uint32_t sym, srcline, dso;
	uint64_t self, children, samples;
	uint32_t graph; /* call-graph root node, or HMAP_NONE */
};

struct report_node {
	uint32_t sym;
	uint64_t weight;
	uint32_t child, next; /* first child, next sibling (HMAP_NONE: none) */
};

/* A direct-mapped cache in front of proc_of/loc_of/entry_of: (domain, level, cr3, ip) -> the
 * loc and the entry a sample there adds to, so that a sample costs one probe.  Slots of older
 * generations are empty: a PROCESS event (which can change what entry a process's samples go
 * to) starts a new generation. */
#define REPORT_CACHE_SLOTS 4096 /* the hash's top 12 bits pick the slot */
struct report_cache_slot {
	uint64_t ip, cr3;
	uint32_t dl;    /* domain | level << 8 */
	uint32_t gen;   /* valid when equal to report.cache_gen */
	uint32_t loc, entry;
};

struct report_domain_stats {
	uint64_t samples, weight;      /* SAMPLE events and their event counts */
	uint64_t lost_events;          /* sum of LOST records */
	uint64_t guest_ticks, hv_ticks, hv_exits;
	bool have_totals;
	uint64_t taken, recorded, lost;/* TOTALS */
	int end_state, end_status;     /* DOMAIN_END (state 0: none seen) */
	uint64_t chain_samples;        /* samples that carried a call chain... */
	int max_depth;                 /* ...and the deepest of them */
	char stop_reason[240];         /* "triple fault at rip 0x..." from the console, or "" */
	uint64_t syscall_entry;        /* a Linux guest's IA32_LSTAR (CAP_R_ANCHOR), 0: none */
};

/* --guest-wide: the last "gprof-sample SYM COUNT" a domain's console printed for each symbol. */
struct report_gw_sym {
	uint32_t sym;   /* string id in report.strs */
	uint64_t count;
};
struct report_gw {
	struct report_gw_sym *syms; /* first-printed order */
	size_t n, cap;
};

struct report {
	struct report_opts opts;
	struct report_resolver resolver;
	struct pv_header hdr;
	bool have_hdr;
	struct strtab strs;
	struct hmap loc_index;   /* (domain, ip) -> locs[] */
	struct report_loc *locs;
	size_t nlocs, caplocs;
	struct hmap proc_index;  /* (domain, cr3) -> procs[] */
	struct report_proc *procs;
	size_t nprocs, capprocs;
	struct hmap entry_index; /* sort-key tuple -> entries[] */
	struct report_entry *entries;
	size_t nentries, capentries;
	struct report_node *nodes;
	size_t nnodes, capnodes;
	struct report_domain_stats dom[CAP_MAX_DOMAINS];
	uint64_t total;          /* sum of self weights: 100% */
	uint64_t nsamples;       /* SAMPLE events aggregated */
	uint64_t hv_rows_weight; /* of which: the hypervisor's rows */
	unsigned keymask;        /* 1 << enum report_key for each sort key */
	struct report_cache_slot *cache; /* REPORT_CACHE_SLOTS, allocated on the first sample */
	uint32_t cache_gen;
	struct report_gw gw[CAP_MAX_DOMAINS];
	/* Software backend with samples lost: a domain's samples are scaled by its exact guest
	 * ticks / the weight of the samples that arrived, so that the rows keep their true share
	 * against the hypervisor's exact ticks (0: not scaled).  Set by report_finish, which
	 * applies them through the scale log (report_aggregate.c): the capture is read once. */
	double scale[CAP_MAX_DOMAINS];
	struct report_scale_log {
		uint32_t *v;
		size_t n, cap;
	} scale_log;
	uint64_t nevents;        /* report_add_event calls: each event of the capture once */
	bool gw_lines;           /* report_load: console lines go to report_text_line too */
};

void report_init(struct report *r, const struct report_opts *o, const struct report_resolver *res);
void report_free(struct report *r);
/* Aggregate one event (the pv_capture_parse callback shape; always returns 0). */
int report_add_event(void *r, const struct pv_header *h, const struct pv_event *ev);
/* Total lost samples over all domains (TOTALS where present, else LOST records). */
uint64_t report_lost(const struct report *r);
/* The per-domain scale factors of a capture with losses (see report.scale), from the
 * events aggregated so far; returns 1 if any domain needs one. */
int report_loss_scales(const struct report *r, double scale[CAP_MAX_DOMAINS]);
/* After the last event: scales the rows of the domains that lost samples (report.scale), each
 * sample's weight rounded as it is scaled, and frees the scale log. */
void report_finish(struct report *r);
/* Reads a whole capture into r in one pass of the parser (pv_capture_parse: h and diag as
 * there, never NULL), with report_text_line when text_lines, then report_finish; takes the
 * last header seen when no event carried one.  The console's "domain N (name) stopped: WHY"
 * lines fill dom[N].stop_reason.  Returns pv_capture_parse's result. */
int report_load(struct report *r, const uint8_t *data, size_t len, bool text_lines, struct pv_header *h,
		struct pv_diag *diag);
/* --guest-wide: the pv_parse_cb text_line callback.  Takes "[<id>:<name>] gprof-sample <sym>
 * <count>" console lines (the guest-wide profile a guest printed of itself; the last count per
 * (domain, symbol) wins) and ignores every other line. */
void report_text_line(void *r, const char *line, size_t len);

/* One row of the guest-wide vs system-wide table of a domain. */
struct report_gw_row {
	const char *sym;
	uint64_t guest;          /* the guest's count */
	uint64_t system;         /* perfvisor's weight of the domain's samples in that symbol */
	uint64_t system_samples; /* and their number */
	double guest_pct, system_pct;
};
struct report_gw_table {
	int domain;
	struct report_gw_row *rows; /* the symbols the guest reported, in its order; those with a
				     * count of 0 and no samples of perfvisor's left out */
	size_t nrows;
	uint64_t guest_total, system_total, system_samples; /* over the rows: the 100% */
	bool have_symbols;          /* some of perfvisor's samples of the domain symbolized */
	uint64_t domain_weight;     /* all of perfvisor's samples of the domain */
};
/* The table of domain d (false if its console printed no gprof-sample line); free t->rows. */
bool report_guest_wide(struct report *r, int d, struct report_gw_table *t);
/* All the domains' tables, after the report (report_guestwide.c). */
void report_print_guest_wide(FILE *f, struct report *r);

/* For the exporters (export.c), after report_add_event(ev): the loc the report gives frame i of
 * sample ev (-1: its ip, else chain[i]: the call, return address - 1), resolved as add_sample
 * resolves it (level, Linux task, user symbols); the process ev counts in (REPORT_PROC_HV for
 * domain 0); the loc of a software-backend hypervisor-time row (HMAP_NONE if no HV_TIME event of
 * that reason was aggregated for the domain). */
uint32_t report_sample_loc(struct report *r, const struct pv_event *ev, int i);
uint32_t report_sample_proc(struct report *r, const struct pv_event *ev);
uint32_t report_hv_loc(const struct report *r, int domain, uint32_t reason);

/* The entries in output order (sorted by children or self, then keys); caller frees. */
struct report_entry **report_sorted(struct report *r, size_t *n);

/* Names for display. */
const char *report_domain_name(const struct report *r, int domain, char *buf, size_t len);
const char *report_proc_name(const struct report *r, uint32_t proc, char *buf, size_t len);
/* --sort pid, comm: a Linux task's pid (-1: not a task), its comm (else the process name). */
int64_t report_entry_pid(const struct report *r, const struct report_entry *e);
const char *report_entry_comm(const struct report *r, const struct report_entry *e, char *buf, size_t len);
const char *report_event_name(int event);
const char *vmx_exit_reason_name(unsigned reason);

/* report_print.c: the whole --stdio output. */
struct report_print_info {
	const char *input;          /* "perfvisor.data" */
	const struct pv_diag *diag; /* may be NULL */
	const char *const *warnings;/* lines printed as "# Warning: ..." (NULL-terminated) */
};
void report_print(FILE *f, struct report *r, const struct report_print_info *info);
/* report_callgraph.c: the call graph of one entry, perf's graph format. */
void report_print_callgraph(FILE *f, const struct report *r, const struct report_entry *e, int indent);

#endif
