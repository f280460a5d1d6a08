/* Reading a capture (format v1: include/perfvisor/capture.h, docs/capture-format.md): the raw
 * serial stream of console text and CRC-framed binary frames, decoded into events.
 *
 * Rules (details in docs/capture-format.md, "Reading a stream"):
 * - A byte 0xFE starts a frame candidate.  It is a frame when the next byte is 0xCA, the length
 *   is at most CAP_MAX_PAYLOAD and the CRC matches; otherwise ONE byte is skipped (garbage) and
 *   the scan goes on, and the bytes up to the next '\n' or the next good frame are taken as the
 *   rejected frame's residue (garbage, not text).
 * - Other bytes are console text: complete lines go to text_line without '\n' and '\r'; NUL and
 *   bytes >= 0x80 outside frames are garbage.  A partial line is delivered when a frame starts
 *   (the hypervisor never does that; after corruption it happens) and at the end of the stream.
 * - Every input byte is counted once: bytes = text_bytes + garbage_bytes + truncated_tail_bytes
 *   + frame_bytes.
 * - Records are decoded only after their frame's CRC checks; a malformed record ends that
 *   frame's decoding (records_malformed + 1).  A bad HEADER payload also counts there.
 * - RECORDS frames that arrive before any HEADER are kept (up to PV_WAIT_FRAMES) and decoded as
 *   soon as a header arrives, with its period, before anything after it; at the end of a stream
 *   without a header they are decoded with h->valid = 0 (period 0: weights and timestamps are
 *   then the raw deltas).
 * - Sequence gaps between good frames are lost frames (frames_lost_by_seq); a jump backwards
 *   or of 32768 or more is taken as a new capture, not as loss.
 * - Control records carry no timestamp: their event's tsc is the timestamp of the sample before
 *   them in the frame (the frame's base_tsc if none). */
#ifndef PROFILER_CAPTURE_H
#define PROFILER_CAPTURE_H

#include <stddef.h>
#include <stdint.h>

#include "../include/perfvisor/capture.h"
#include "../include/perfvisor/hypercall.h"

struct pv_domain_info {
	int id;
	char name[33];
	uint32_t mem_mib;
	int image_id_kind, image_id_len;
	uint8_t image_id[20];
};

struct pv_header {
	int valid;
	int version, backend, event, flags;
	uint64_t period, jitter, tsc_khz;
	int max_depth;
	int hv_build_id_len;
	uint8_t hv_build_id[20];
	int ndomains;
	struct pv_domain_info domains[CAP_MAX_DOMAINS];
};

enum pv_event_kind { PV_EV_SAMPLE, PV_EV_LOST, PV_EV_PROCESS, PV_EV_HV_TIME, PV_EV_GUEST_TIME, PV_EV_DOMAIN_END, PV_EV_TOTALS,
		     PV_EV_ANCHOR };

struct pv_event {
	enum pv_event_kind kind;
	int domain;
	uint64_t tsc, ip, cr3, weight;
	int cpl, mode, vcpu, depth;
	uint64_t chain[CAP_MAX_CHAIN];     /* innermost first; entries past depth are 0 */
	uint64_t count;                    /* LOST: samples; HV_TIME: exits */
	char name[HC_NAME_MAX + 1];        /* PROCESS: name_len bytes as sent (may hold a NUL), then NUL */
	int name_len;
	uint32_t reason;                   /* HV_TIME */
	uint64_t ticks;                    /* HV_TIME, GUEST_TIME */
	int state, status;                 /* DOMAIN_END */
	uint64_t taken, recorded, lost;    /* TOTALS */
	/* A Linux guest's task (CAP_R_TASK): a SAMPLE's task in force (0: none) with its pid and
	 * tid; a PROCESS event from a CAP_R_TASK record has task set, cr3 = PV_TASK_KEY(task) and
	 * name = the comm */
	uint32_t task, pid, tid;
	/* ...and, when has_exe, its executable as the hypervisor read it: the entry point in
	 * memory (AT_ENTRY) and the GNU build-id (build_id_len 0: none found) */
	int has_exe;
	uint64_t exe_entry;
	uint8_t build_id[CAP_TASK_BUILD_ID_MAX];
	int build_id_len;
	uint64_t anchor;                   /* ANCHOR: the address; reason = its CAP_ANCHOR_* kind */
};
#define PV_TASK_KEY(id) (1ull << 63 | (uint64_t)(id))   /* never a CR3 value */

/* What the parser saw, for the report header and error messages. */
struct pv_diag {
	uint64_t bytes, text_bytes, frames_ok, frames_bad_crc, frames_bad_length, frames_lost_by_seq,
		frames_unknown_type, garbage_bytes, truncated_tail_bytes, records_malformed, headers;
	uint64_t frames_in_text;           /* good frames refused: they began inside a text line */
	int have_header, have_end, header_changed;
	uint64_t first_error_offset;       /* stream offset of the first problem */
	char first_error[160];             /* "" if none */
	uint64_t frame_bytes;              /* bytes inside good frames */
};

struct pv_parse_cb {
	void *ctx;
	int (*event)(void *ctx, const struct pv_header *h, const struct pv_event *ev); /* nonzero: stop */
	void (*text_line)(void *ctx, const char *line, size_t len);                    /* may be NULL */
};

/* Parses a whole raw stream (console text + frames).  Never crashes or reads out of bounds on
 * any input; events come in stream order.  h (the last header seen) and diag may be NULL.
 * Returns 0, or -1 if no valid frame was found at all. */
int pv_capture_parse(const uint8_t *data, size_t len, struct pv_header *h, const struct pv_parse_cb *cb,
		     struct pv_diag *diag);

/* The same, fed as bytes arrive (perfvisor record / capture). */
#define PV_WAIT_FRAMES 256
#define PV_LINE_MAX    1024          /* longer lines are delivered in pieces */
#define PV_PEND_MAX    4096          /* >= the largest frame */

struct pv_wait_frame;

struct pv_stream {
	struct pv_parse_cb cb;
	struct pv_header hdr;              /* the current header (valid = 0 before one) */
	struct pv_diag diag;
	int stopped;                       /* a callback asked to stop */
	/* private */
	uint8_t pend[PV_PEND_MAX];
	size_t pend_pos, pend_len;         /* undecided bytes: pend[pend_pos .. pend_len) */
	uint64_t pend_off;                 /* stream offset of pend[pend_pos] */
	char line[PV_LINE_MAX];
	size_t line_len;
	int line_open, line_damaged, resync, have_seq;
	uint16_t last_seq;
	struct pv_wait_frame *wait;
	size_t nwait;
};

void pv_stream_init(struct pv_stream *s, const struct pv_parse_cb *cb);
/* Returns 0, or 1 once a callback has asked to stop (further bytes are ignored). */
int pv_stream_feed(struct pv_stream *s, const uint8_t *data, size_t len);
/* End of stream: resolves the tail, delivers the last partial line and any frames still
 * waiting for a header, frees what the stream holds.  0, or -1 if no valid frame was found. */
int pv_stream_finish(struct pv_stream *s);

/* Offset of the first frame in data that passes the sync, length and CRC checks, or -1. */
long pv_capture_find_frame(const uint8_t *data, size_t len);

/* "sample", "lost", "process", "hv_time", "guest_time", "domain_end", "totals". */
const char *pv_event_kind_name(enum pv_event_kind k);

#endif
