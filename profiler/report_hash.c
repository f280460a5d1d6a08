/* Hash tables for the report (see report_hash.h). */
#include "report_hash.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

static uint64_t mix(uint64_t x)
{
	/* splitmix64's finaliser: good enough spread for addresses that differ in low bits. */
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static uint64_t hkey_hash(struct hkey k)
{
	return mix(k.a ^ mix(k.b ^ mix(k.c)));
}

static int hkey_eq(struct hkey x, struct hkey y)
{
	return x.a == y.a && x.b == y.b && x.c == y.c;
}

uint32_t hmap_get(const struct hmap *m, struct hkey k)
{
	if (!m->cap)
		return HMAP_NONE;
	size_t mask = m->cap - 1;
	for (size_t i = hkey_hash(k) & mask;; i = (i + 1) & mask) {
		if (m->vals[i] == HMAP_NONE)
			return HMAP_NONE;
		if (hkey_eq(m->keys[i], k))
			return m->vals[i];
	}
}

static void insert(struct hmap *m, struct hkey k, uint32_t v)
{
	size_t mask = m->cap - 1;
	size_t i = hkey_hash(k) & mask;
	while (m->vals[i] != HMAP_NONE && !hkey_eq(m->keys[i], k))
		i = (i + 1) & mask;
	if (m->vals[i] == HMAP_NONE)
		m->n++;
	m->keys[i] = k;
	m->vals[i] = v;
}

static void grow(struct hmap *m)
{
	struct hmap old = *m;
	m->cap = old.cap ? old.cap * 2 : 64;
	m->n = 0;
	m->keys = xmalloc(m->cap * sizeof(*m->keys));
	m->vals = xmalloc(m->cap * sizeof(*m->vals));
	memset(m->vals, 0xff, m->cap * sizeof(*m->vals));
	for (size_t i = 0; i < old.cap; i++)
		if (old.vals[i] != HMAP_NONE)
			insert(m, old.keys[i], old.vals[i]);
	free(old.keys);
	free(old.vals);
}

void hmap_put(struct hmap *m, struct hkey k, uint32_t v)
{
	if ((m->n + 1) * 2 > m->cap)
		grow(m);
	insert(m, k, v);
}

void hmap_free(struct hmap *m)
{
	free(m->keys);
	free(m->vals);
	memset(m, 0, sizeof(*m));
}

/* ------------------------------------------------------------ strings */

static struct hkey str_key(const char *s, uint32_t probe)
{
	/* FNV-1a over the string; the probe number separates strings whose hashes collide. */
	uint64_t h = 0xcbf29ce484222325ull;
	size_t n = 0;
	for (; s[n]; n++)
		h = (h ^ (unsigned char)s[n]) * 0x100000001b3ull;
	struct hkey k = { h, n, probe };
	return k;
}

void strtab_init(struct strtab *t)
{
	memset(t, 0, sizeof(*t));
	strtab_intern(t, "");
}

uint32_t strtab_intern(struct strtab *t, const char *s)
{
	for (uint32_t probe = 0;; probe++) {
		struct hkey k = str_key(s, probe);
		uint32_t id = hmap_get(&t->index, k);
		if (id == HMAP_NONE) {
			if (t->n == t->cap) {
				t->cap = t->cap ? t->cap * 2 : 64;
				t->strs = xrealloc(t->strs, t->cap * sizeof(*t->strs));
			}
			id = (uint32_t)t->n;
			t->strs[t->n++] = xstrdup(s);
			hmap_put(&t->index, k, id);
			return id;
		}
		if (!strcmp(t->strs[id], s))
			return id;
	}
}

void strtab_free(struct strtab *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->strs[i]);
	free(t->strs);
	hmap_free(&t->index);
	memset(t, 0, sizeof(*t));
}
