/* perfvisor capture format, version 1: what the hypervisor sends over the serial line (or leaves
 * in shared memory) and what `perfvisor report` reads.  Defined once, here; shared by the
 * freestanding hypervisor (pmu/) and the host tool (profiler/).  Documented in
 * docs/capture-format.md.
 *
 * THE STREAM
 * Console text (7-bit ASCII lines) and binary frames share one serial line.  The hypervisor
 * never writes a frame in the middle of a text line.  A reader scans bytes: a frame starts with
 * the two sync bytes (0xFE never occurs in console text); everything else is console text.
 *
 * FRAME (little-endian)
 *   0   2  sync           CAP_SYNC0 CAP_SYNC1
 *   2   1  type           enum cap_frame_type
 *   3   2  sequence       frame number, +1 per frame, wraps at 65536; a gap is lost frames
 *   5   2  length L       payload bytes, at most CAP_MAX_PAYLOAD
 *   7   L  payload
 *   7+L 4  CRC-32         IEEE 802.3 (zlib's crc32) of bytes 2 .. 7+L-1
 * A reader that finds a bad CRC or an impossible length skips ONE byte and scans on for the
 * next sync, so it resynchronises after garbage; the sequence numbers say how many frames were
 * lost in between.
 *
 * HEADER frame payload (sent first; repeated every CAP_HEADER_EVERY frames so that a reader
 * that starts late or loses the first one can still decode):
 *   "PVCAP" magic, u8 version (CAP_VERSION)
 *   u8 backend (enum cap_backend), u8 event (enum cap_event), u8 flags (CAP_HDR_*)
 *   varint period (event counts between samples, nominal), varint jitter (max +/- deviation)
 *   varint tsc_khz (0: unknown), varint callchain_max_depth
 *   build-id of the hypervisor: u8 length + bytes
 *   u8 number of domains, then per domain:
 *     u8 id, u8 name length + name, varint mem_bytes>>20 (MiB),
 *     u8 image-id length + bytes (the ELF's GNU build-id note if it has one, else
 *        the 4-byte CRC-32 of the whole image file, little-endian, with CAP_IMAGE_ID_CRC32 set
 *        in the u8 that precedes the length)  -> encoded as: u8 kind, u8 length, bytes
 *
 * RECORDS frame payload: varint base_tsc (absolute TSC), then records until the payload ends.
 * Every delta below restarts at the start of each RECORDS frame (all "previous" values are 0,
 * previous timestamp = base_tsc), so a lost frame never corrupts the frames after it.
 *
 * RECORD: one tag byte, low nibble = domain id (0 = the hypervisor, 1..15 = domains).
 *   tag bit 7 = 0: SAMPLE.  Bits 6..4 are flags:
 *     CAP_S_CTX (bit 6)    context follows (first sample of the domain in the frame, or the
 *                          context changed): varint cr3, u8 ctx = cpl | mode << 2 | vcpu << 4
 *     CAP_S_CHAIN (bit 5)  call chain follows
 *     CAP_S_WEIGHT (bit 4) explicit weight follows (else weight = header period)
 *     then: zigzag varint (timestamp - previous timestamp - weight)
 *           [ctx]  [zigzag varint (weight - period)]
 *           zigzag varint (ip - previous ip of this domain)
 *           [chain: varint n (<= callchain_max_depth), n x zigzag varint
 *                   (frame[i] - previous chain's frame[i] of this domain, 0 if none)]
 *           The previous chain is the chain of this domain's last sample with CAP_S_CHAIN in
 *           the frame; a sample without CAP_S_CHAIN has no chain and leaves it as it was.
 *           Control records carry no timestamp and leave the previous timestamp as it was.
 *     A hypervisor sample (domain 0) carries the hypervisor RIP as ip (hardware backend) and
 *     is followed by nothing else (never CAP_S_CTX or CAP_S_CHAIN).
 *   tag bit 7 = 1: CONTROL record, type in bits 6..4:
 *     CAP_R_LOST        varint n: n samples of this domain were dropped (ring full)
 *     CAP_R_PROCESS     varint cr3, u8 length + name: the guest named an address space
 *     CAP_R_HV_TIME     varint exit_reason, varint count, varint ticks: exits of this domain
 *                       handled since the previous CAP_R_HV_TIME for the same pair, and the
 *                       hypervisor ticks (exit to re-entry) they took.  exit_reason is a VMX
 *                       basic exit reason (SDM Appendix C), or CAP_HV_REASON_EXPORT for the
 *                       time spent draining sample rings after this domain's time slices
 *     CAP_R_GUEST_TIME  varint ticks: guest ticks run by this domain since the previous one
 *     CAP_R_DOMAIN_END  u8 state (enum cap_end_state), u8 exit status
 *     CAP_R_TOTALS      varint taken, varint recorded, varint lost  (per domain, final)
 *     CAP_R_TASK        varint id, varint pid, varint tid, u8 length (<= 16) + comm: the
 *                       domain's samples after it in this frame ran that task of a Linux
 *                       guest (read by the hypervisor, pmu/sampling/prof_linux.h); each frame
 *                       starts with none.  An id names one (task, address space, pid, tid,
 *                       comm): an exec or a reused pid gets a new one.  When the length byte
 *                       has CAP_TASK_EXE set (the length is its low 5 bits), the task's
 *                       executable follows the comm: varint entry (its AT_ENTRY, where the
 *                       entry point lies in memory), u8 length (<= CAP_TASK_BUILD_ID_MAX, 0:
 *                       none found) + its GNU build-id
 *     CAP_R_ANCHOR      u8 kind (CAP_ANCHOR_*), varint value: a guest kernel address for
 *                       relocating its symbols (KASLR); sent once, and again after each header
 *
 * END frame payload: empty.  It follows the last RECORDS frame; a capture without it was cut.
 */
#ifndef PERFVISOR_CAPTURE_H
#define PERFVISOR_CAPTURE_H

#include <stddef.h>
#include <stdint.h>

#define CAP_SYNC0        0xFE
#define CAP_SYNC1        0xCA
#define CAP_VERSION      1
#define CAP_MAGIC        "PVCAP"
#define CAP_FRAME_HEAD   7          /* sync, type, sequence, length */
#define CAP_FRAME_CRC    4
#define CAP_MAX_PAYLOAD  1024
#define CAP_HEADER_EVERY 64
#define CAP_MAX_DOMAINS  16         /* 0 = hypervisor, 1..15 */
#define CAP_MAX_CHAIN    32
#define CAP_HV_REASON_EXPORT  1000 /* CAP_R_HV_TIME reason: draining the rings into frames */
#define CAP_IMAGE_ID_BUILD_ID 1
#define CAP_IMAGE_ID_CRC32    2

enum cap_frame_type {
    CAP_FRAME_HEADER  = 1,
    CAP_FRAME_RECORDS = 2,
    CAP_FRAME_END     = 3,
};

/* CAP_R_DOMAIN_END state. */
enum cap_end_state {
    CAP_END_EXITED  = 1,            /* an exit status of its own: port 0xF4 or HC_EXIT */
    CAP_END_STOPPED = 2,            /* stopped by the hypervisor */
    CAP_END_HALTED  = 3,            /* HLT with interrupts off: no exit status (status 0) */
};

enum cap_backend {
    CAP_BACKEND_SOFTWARE = 0,       /* TSC + VMX-preemption timer */
    CAP_BACKEND_HARDWARE = 1,       /* Intel architectural perfmon counter */
};

enum cap_event {                     /* architectural events (SDM Vol. 3B Table 21-1) */
    CAP_EVENT_CYCLES       = 0,      /* UnHalted Core Cycles */
    CAP_EVENT_INSTRUCTIONS = 1,      /* Instructions Retired (hardware only) */
    CAP_EVENT_REF_CYCLES   = 2,      /* UnHalted Reference Cycles */
    CAP_EVENT_LLC_REFS     = 3,      /* LLC Reference (hardware only) */
    CAP_EVENT_LLC_MISSES   = 4,      /* LLC Misses (hardware only) */
    CAP_EVENT_BRANCHES     = 5,      /* Branch Instruction Retired (hardware only) */
    CAP_EVENT_BRANCH_MISSES = 6,     /* Branch Misses Retired (hardware only) */
    CAP_EVENT_COUNT
};

#define CAP_HDR_CALLCHAIN (1u << 0)  /* samples carry call chains (-g) */
#define CAP_HDR_JITTER    (1u << 1)  /* periods are randomised around the mean */

/* SAMPLE tag flags */
#define CAP_TAG_CONTROL  0x80u
#define CAP_S_CTX        0x40u
#define CAP_S_CHAIN      0x20u
#define CAP_S_WEIGHT     0x10u
#define CAP_TAG_DOMAIN(t) ((t) & 0x0Fu)
#define CAP_TAG_TYPE(t)   (((t) >> 4) & 0x07u)

/* CONTROL record types (tag = 0x80 | type << 4 | domain) */
enum cap_record_type {
    CAP_R_LOST       = 0,
    CAP_R_PROCESS    = 1,
    CAP_R_HV_TIME    = 2,
    CAP_R_GUEST_TIME = 3,
    CAP_R_DOMAIN_END = 4,
    CAP_R_TOTALS     = 5,
    CAP_R_TASK       = 6,
    CAP_R_ANCHOR     = 7,
};
#define CAP_ANCHOR_SYSCALL_ENTRY 1   /* IA32_LSTAR: Linux's entry_SYSCALL_64 */
#define CAP_TASK_EXE          0x80u  /* CAP_R_TASK's length byte: the executable follows */
#define CAP_TASK_COMM_LEN(b)  ((b) & 0x1Fu)
#define CAP_TASK_BUILD_ID_MAX 32

/* ctx byte */
#define CAP_CTX_CPL(c)   ((c) & 3u)
#define CAP_CTX_MODE(c)  (((c) >> 2) & 3u)   /* enum cap_mode */
#define CAP_CTX_VCPU(c)  ((c) >> 4)
enum cap_mode { CAP_MODE_REAL = 0, CAP_MODE_32 = 1, CAP_MODE_64 = 2, CAP_MODE_PAE = 3 };

/* ---- encoding helpers, shared by both sides ---- */

static inline uint64_t cap_zigzag(int64_t v) { return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63); }
static inline int64_t cap_unzigzag(uint64_t v) { return (int64_t)(v >> 1) ^ -(int64_t)(v & 1); }

/* Writes v as LEB128 (7 bits a byte, low first); returns the bytes written (at most 10). */
static inline size_t cap_put_varint(uint8_t *p, uint64_t v)
{
    size_t n = 0;
    while (v >= 0x80) {
        p[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    p[n++] = (uint8_t)v;
    return n;
}

/* Reads a varint from [*p, end); returns 0 and advances *p, or -1 if truncated or too long. */
static inline int cap_get_varint(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
    uint64_t r = 0;
    for (unsigned shift = 0; shift < 64; shift += 7) {
        if (*p >= end)
            return -1;
        uint8_t b = *(*p)++;
        r |= (uint64_t)(b & 0x7F) << shift;
        if (!(b & 0x80)) {
            *v = r;
            return 0;
        }
    }
    return -1;
}

/* CRC-32 (IEEE 802.3, reflected, poly 0xEDB88320), four bits a step with a 16-entry table:
 * small enough for the hypervisor, four times faster than bit by bit.
 * cap_crc32(0, p, n) equals zlib's crc32(0, p, n). */
static inline uint32_t cap_crc32(uint32_t crc, const uint8_t *p, size_t n)
{
    static const uint32_t nibble[16] = {
        0x00000000, 0x1db71064, 0x3b6e20c8, 0x26d930ac, 0x76dc4190, 0x6b6b51f4, 0x4db26158, 0x5005713c,
        0xedb88320, 0xf00f9344, 0xd6d6a3e8, 0xcb61b38c, 0x9b64c2b0, 0x86d3d2d4, 0xa00ae278, 0xbdbdf21c,
    };
    crc = ~crc;
    while (n--) {
        crc ^= *p++;
        crc = (crc >> 4) ^ nibble[crc & 15];
        crc = (crc >> 4) ^ nibble[crc & 15];
    }
    return ~crc;
}

#endif
