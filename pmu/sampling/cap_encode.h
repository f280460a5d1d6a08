/* Capture format v1 encoder (include/perfvisor/capture.h, docs/capture-format.md).  Builds
 * RECORDS payloads record by record and wraps them, the HEADER and the END frame into serial
 * frames.  Freestanding (no allocation, no output): the hypervisor's exporter uses it, and the
 * host tool's tests and fuzz seeds use the same file.
 *
 * Use: cap_enc_init once; cap_enc_header_frame first (and again every CAP_HEADER_EVERY frames,
 * between frames); per RECORDS frame: cap_enc_begin, append records until one returns -1 (it
 * did not fit: nothing of it was written), cap_enc_finish, then begin the next frame and append
 * the refused record again.  Every frame takes the next sequence number. */
#ifndef PMU_CAP_ENCODE_H
#define PMU_CAP_ENCODE_H

#include <stddef.h>
#include <stdint.h>

#include "../../include/perfvisor/capture.h"

struct cap_sample {
    uint8_t domain, vcpu, cpl, mode;     /* domain 0 = hypervisor; mode: enum cap_mode */
    uint8_t depth;                       /* call-chain frames in chain[] (0: none) */
    uint64_t tsc, ip, cr3, weight;       /* weight: events since the previous sample */
    uint64_t chain[CAP_MAX_CHAIN];       /* return addresses, innermost first */
    uint32_t task;                       /* a Linux guest's task (CAP_R_TASK id), 0: none, */
    uint32_t task_pid, task_tid;         /* ...its pid and tid */
    char task_comm[16] __attribute__((aligned(8)));  /* ...and comm (NUL-padded), copied at the sample so that
                                          * the drain never depends on the task table */
};

struct cap_domain_desc {
    uint8_t id;
    char name[32];                       /* NUL-terminated, or all 32 bytes used */
    uint32_t mem_mib;
    uint8_t image_id_kind, image_id_len; /* CAP_IMAGE_ID_*; length at most 20 */
    uint8_t image_id[20];
};

struct cap_header_desc {
    uint8_t backend, event, flags;       /* enum cap_backend, enum cap_event, CAP_HDR_* */
    uint64_t period, jitter, tsc_khz;
    uint8_t max_depth;                   /* call-chain frames at most (0: no chains) */
    uint8_t hv_build_id_len;             /* at most 20 */
    uint8_t hv_build_id[20];
    uint8_t ndomains;
    struct cap_domain_desc domains[CAP_MAX_DOMAINS];
};

/* Delta state of one domain inside the current RECORDS payload. */
struct cap_enc_domain {
    uint64_t ip, cr3;
    uint8_t ctx, depth;                  /* depth: frames of the previous chain */
    uint32_t task;                       /* the CAP_R_TASK in force (0: none yet) */
    uint64_t chain[CAP_MAX_CHAIN];
};

struct cap_encoder {
    uint8_t buf[CAP_MAX_PAYLOAD];        /* the RECORDS payload being built */
    size_t len;
    uint64_t base_tsc, prev_tsc;
    uint64_t period;                     /* the header's nominal period */
    uint16_t seq;                        /* next frame's sequence number */
    uint16_t have_ctx;                   /* bit d: domain d sent its context in this payload */
    uint8_t max_depth;                   /* chains are cut to this many frames */
    uint8_t base_len;                    /* bytes of the base_tsc varint */
    struct cap_enc_domain dom[CAP_MAX_DOMAINS];
};

/* Largest possible records (bytes), for callers that size buffers. */
#define CAP_ENC_SAMPLE_MAX (1 + 10 + 10 + 1 + 10 + 10 + 1 + CAP_MAX_CHAIN * 10)
#define CAP_ENC_FRAME_MAX  (CAP_FRAME_HEAD + CAP_MAX_PAYLOAD + CAP_FRAME_CRC)

void cap_enc_init(struct cap_encoder *e, uint64_t period);
/* Begin a RECORDS payload at base_tsc (resets every delta state). */
void cap_enc_begin(struct cap_encoder *e, uint64_t base_tsc);
int cap_enc_empty(const struct cap_encoder *e);          /* no record since begin */

/* Append one record; 0 on success, -1 if it does not fit in this payload (then the caller
 * finishes the frame, begins a new one and appends again; a record always fits an empty one).
 * The domain is taken modulo 16.  A hypervisor sample (domain 0) carries tsc, weight and ip
 * only (capture.h): its cr3, cpl, mode, vcpu and chain are not sent.  Chains are cut to the
 * header's max_depth (CAP_MAX_CHAIN before any header); process names to HC_NAME_MAX bytes. */
int cap_enc_sample(struct cap_encoder *e, const struct cap_sample *s);
int cap_enc_lost(struct cap_encoder *e, uint8_t domain, uint64_t n);
/* CAP_R_TASK: the domain's samples that follow in this payload run task id (pid, tid, comm of
 * at most 16 bytes, and its executable when exe is not NULL: entry point, build-id of at most
 * CAP_TASK_BUILD_ID_MAX bytes); sets the domain's task in force.  CAP_R_ANCHOR: a guest address
 * the report relocates kernel symbols with (CAP_ANCHOR_*). */
struct cap_task_exe {
    uint64_t entry;
    const uint8_t *build_id;
    size_t build_id_len;
};
int cap_enc_task(struct cap_encoder *e, uint8_t domain, uint32_t id, uint32_t pid, uint32_t tid,
                 const char *comm, size_t len, const struct cap_task_exe *exe);
int cap_enc_anchor(struct cap_encoder *e, uint8_t domain, uint8_t kind, uint64_t value);
int cap_enc_process(struct cap_encoder *e, uint8_t domain, uint64_t cr3, const char *name, size_t len);
int cap_enc_hv_time(struct cap_encoder *e, uint8_t domain, uint32_t reason, uint64_t count, uint64_t ticks);
int cap_enc_guest_time(struct cap_encoder *e, uint8_t domain, uint64_t ticks);
int cap_enc_domain_end(struct cap_encoder *e, uint8_t domain, uint8_t state, uint8_t status);
int cap_enc_totals(struct cap_encoder *e, uint8_t domain, uint64_t taken, uint64_t recorded, uint64_t lost);

/* Wrap e's payload into a RECORDS frame in out (size >= CAP_ENC_FRAME_MAX); returns its
 * length; takes the next sequence number.  The payload stays: call cap_enc_begin next. */
size_t cap_enc_finish(struct cap_encoder *e, uint8_t *out);
/* HEADER / END frames; return the frame length (0 if the header does not fit or a length in
 * it is out of range: then no sequence number is taken).  The header also sets the period
 * and chain depth the encoder uses: send it between frames, not while a payload is open. */
size_t cap_enc_header_frame(struct cap_encoder *e, const struct cap_header_desc *h, uint8_t *out);
size_t cap_enc_end_frame(struct cap_encoder *e, uint8_t *out);

#endif
