/* Hash tables for the report: a map from a key of three 64-bit words to a 32-bit index (open
 * addressing, linear probing, never shrinks), and a string table that interns strings to small
 * ids.  The aggregation does one lookup per sample and per call-chain frame, and never allocates
 * per sample: tables double when they are half full. */
#ifndef PROFILER_REPORT_HASH_H
#define PROFILER_REPORT_HASH_H

#include <stddef.h>
#include <stdint.h>

#define HMAP_NONE UINT32_MAX

struct hkey {
	uint64_t a, b, c;
};

struct hmap {
	struct hkey *keys;
	uint32_t *vals; /* HMAP_NONE: empty slot */
	size_t cap, n;  /* cap is a power of two */
};

/* The value stored for k, or HMAP_NONE. */
uint32_t hmap_get(const struct hmap *m, struct hkey k);
/* Store k -> v (v != HMAP_NONE); replaces an existing value. */
void hmap_put(struct hmap *m, struct hkey k, uint32_t v);
void hmap_free(struct hmap *m);

/* Interned strings: id 0 is always "" (so a zeroed key field means "no string"). */
struct strtab {
	char **strs;
	size_t n, cap;
	struct hmap index; /* key: hash, length, first 8 bytes; values checked with strcmp */
};

void strtab_init(struct strtab *t);
uint32_t strtab_intern(struct strtab *t, const char *s);
static inline const char *strtab_str(const struct strtab *t, uint32_t id) { return t->strs[id]; }
void strtab_free(struct strtab *t);

#endif
