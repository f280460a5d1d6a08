/* Symbols and source lines of the booted images, through elfutils' libdwfl.  Guest kernels and
 * the hypervisor are static ELF executables loaded at their link addresses, so a sampled ip is
 * looked up directly.  Each image is checked against the id the capture recorded (GNU build-id,
 * or CRC-32 of the file): a mismatch leaves that domain's addresses raw, with a warning. */
#ifndef PROFILER_SYMBOLS_H
#define PROFILER_SYMBOLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "report.h"

struct symbols;

struct symbols *symbols_new(void);
/* Demangle C++ and Rust names (default on; report --no-demangle turns it off). */
void symbols_set_demangle(struct symbols *s, bool on);
/* name demangled into out (C++ Itanium ABI, Rust legacy and v0, through libiberty): 1, or 0
 * when it is not a mangled name (out untouched). */
int symbols_demangle(const char *name, char *out, size_t cap);
void symbols_free(struct symbols *s);
/* Use the ELF at path for domain (0 = the hypervisor), if its image id matches kind/id/len
 * (len 0: nothing to check).  Returns 0, or -1 with a one-line warning in warn (then the
 * domain's addresses stay raw). */
int symbols_load(struct symbols *s, int domain, const char *domain_name, const char *path, int kind,
		 const uint8_t *id, int len, char *warn, size_t warnlen);
/* The report_resolver callback (ctx = struct symbols *). */
void symbols_resolve(void *ctx, const struct pv_header *h, int domain, uint64_t ip, struct report_sym *out);

/* The image id of a file: kind CAP_IMAGE_ID_BUILD_ID (its NT_GNU_BUILD_ID note) or
 * CAP_IMAGE_ID_CRC32 (the whole file, 4 bytes little-endian).  Returns the length, 0 if the
 * file has no build-id note, -1 if it cannot be read (errno set). */
int symbols_image_id(const char *path, int kind, uint8_t *id, size_t cap);
/* "build-id 0a1b..." / "crc32 1234abcd" */
void symbols_id_text(int kind, const uint8_t *id, int len, char *buf, size_t cap);

#endif
