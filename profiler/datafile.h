/* perfvisor.data: what `perfvisor record` / `capture` write and `perfvisor report` reads.
 *
 *   0  8  magic "PVDATA\0\1" (the last byte is the file layout version)
 *   8  4  M, little-endian: metadata length
 *  12  M  metadata text, lines "key value\n": hypervisor <path>, image <domain-id> <path>,
 *         emulator <name>, command <the record command line>, recorded <ISO 8601 date>;
 *         unknown keys are ignored (later versions may add some)
 *  12+M   the raw serial stream (console text + capture frames) exactly as received, to the end
 *
 * A file without the magic that holds at least one good capture frame is read as a raw serial
 * capture made with any tool (empty metadata), so `perfvisor report -i serial.log` works. */
#ifndef PROFILER_DATAFILE_H
#define PROFILER_DATAFILE_H

#include <stddef.h>
#include <stdint.h>

#include "../include/perfvisor/capture.h"

#define PV_DATA_MAGIC     "PVDATA\0\1"
#define PV_DATA_MAGIC_LEN 8
#define PV_DATA_META_MAX  (1u << 20)   /* a larger metadata length is taken as corruption */

/* Empty strings are absent keys. */
struct pv_meta {
	char hypervisor[4096];
	char images[CAP_MAX_DOMAINS][4096];  /* by domain id */
	char emulator[32];
	char command[4096];
	char recorded[64];
};

/* Sets meta->recorded to the current local time, ISO 8601 ("2024-05-01T12:34:56+0200"). */
void pv_meta_set_recorded_now(struct pv_meta *meta);

/* Writes a whole file: path.tmp, then rename.  0, or -1 with errno set. */
int pv_datafile_write(const char *path, const struct pv_meta *meta, const uint8_t *stream, size_t len);

/* Streaming writer: the header and metadata go to path.tmp at open, bytes are appended (and
 * flushed) as they arrive, close renames path.tmp to path.  NULL / -1 with errno set. */
struct pv_datafile_writer;
struct pv_datafile_writer *pv_datafile_open(const char *path, const struct pv_meta *meta);
int pv_datafile_append(struct pv_datafile_writer *w, const uint8_t *data, size_t len);
int pv_datafile_close(struct pv_datafile_writer *w);          /* frees w, also on error */
void pv_datafile_abort(struct pv_datafile_writer *w);         /* removes path.tmp, frees w */

/* Opens path for reading only if it is a regular file of at most max_size bytes (a device, a
 * FIFO, a directory or an oversized file is refused without blocking).  Returns the descriptor,
 * or -1 with the reason in why. */
int pv_open_regular(const char *path, uint64_t max_size, char *why, size_t whylen);
/* The largest perfvisor.data or serial capture read (a recording of hours of samples is far
 * smaller). */
#define PV_DATAFILE_MAX (1ull << 32)
/* Reads a file: meta (zeroed, then filled) and the stream in a malloc'ed buffer (*stream may be
 * NULL when *len is 0).  0, or -1 with a message in err: "cannot read PATH: not a regular
 * file ...", "not a perfvisor.data file (magic ...)", "truncated metadata", ... */
int pv_datafile_read(const char *path, struct pv_meta *meta, uint8_t **stream, size_t *len, char *err,
		     size_t errlen);
/* The same on a file already in memory: *stream_off is where the stream starts in data. */
int pv_datafile_parse(const uint8_t *data, size_t len, struct pv_meta *meta, size_t *stream_off, char *err,
		      size_t errlen);

#endif
