/* Loading a multiboot kernel image into a guest's memory, as a multiboot loader would:
 * ELF32/ELF64 program headers, or the multiboot1 header's a.out-kludge addresses. */
#ifndef HV_MBKERNEL_H
#define HV_MBKERNEL_H

#include <stddef.h>
#include <stdint.h>

struct mbkernel_load {
    uint64_t entry;              /* guest-physical entry point */
    uint64_t lo, hi;             /* guest-physical range written [lo, hi) */
    int has_mb1_header;
    const char *format;          /* "elf32", "elf64", "multiboot a.out kludge" */
};

/* Copies the image into gmem (guest-physical 0 .. gsize-1, assumed zeroed).  Returns 0, or -1
 * with a reason in err: not a kernel, a segment outside guest memory, a truncated file... */
int mbkernel_load(const uint8_t *img, size_t len, uint8_t *gmem, uint64_t gsize,
                  struct mbkernel_load *out, char *err, size_t errlen);

/* Copies the image's GNU build-id (an ELF PT_NOTE of type NT_GNU_BUILD_ID) into id; returns
 * its length (at most max), or 0 if the image has none. */
size_t mbkernel_build_id(const uint8_t *img, size_t len, uint8_t *id, size_t max);

#endif
