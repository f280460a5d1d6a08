/* A Linux kernel's task layout, learned from the BTF its bzImage carries (linux_btf.h). */
#define _GNU_SOURCE
#include "linux_btf.h"

#include <errno.h>
#include <gelf.h>
#include <libelf.h>
#include <lz4.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/btf.h>

#include "util.h"

#define LZ4_LEGACY_MAGIC 0x184C2102u
#define LZ4_LEGACY_BLOCK (8u << 20)     /* the legacy format's uncompressed block size */

static uint32_t le32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

/* The setup header's payload (Documentation/arch/x86/boot.rst: setup_sects at 0x1F1,
 * payload_offset/length at 0x248/0x24C, relative to the protected-mode code), decompressed when
 * it is LZ4 (the legacy frame format the kernel's compressor writes; its last 4 bytes are the
 * uncompressed size).  Returns a malloc'd buffer or NULL with why. */
static uint8_t *vmlinux_from_bzimage(const uint8_t *img, size_t len, size_t *out_len, char *why, size_t wl)
{
	if (len < 0x250 || img[0x1FE] != 0x55 || img[0x1FF] != 0xAA || memcmp(img + 0x202, "HdrS", 4)) {
		snprintf(why, wl, "not a bzImage");
		return NULL;
	}
	unsigned setup_sects = img[0x1F1] ? img[0x1F1] : 4;
	size_t pm = (size_t)(setup_sects + 1) * 512;
	size_t off = pm + le32(img + 0x248), plen = le32(img + 0x24C);
	if (off > len || plen > len - off || plen < 8) {
		snprintf(why, wl, "its payload lies outside the file");
		return NULL;
	}
	const uint8_t *p = img + off, *end = p + plen;
	if (le32(p) != LZ4_LEGACY_MAGIC) {
		snprintf(why, wl, "its payload is not LZ4 (magic %02x %02x %02x %02x): only LZ4 kernels are read",
			 p[0], p[1], p[2], p[3]);
		return NULL;
	}
	size_t total = le32(end - 4), n = 0;
	if (total < 64 || total > (1u << 30)) {
		snprintf(why, wl, "implausible uncompressed size %zu", total);
		return NULL;
	}
	uint8_t *out = xmalloc(total + LZ4_LEGACY_BLOCK);
	p += 4;
	while (end - p > 4 && n < total) {
		uint32_t bs = le32(p);
		p += 4;
		if (bs == LZ4_LEGACY_MAGIC)
			continue;                  /* concatenated streams */
		if (bs > (size_t)(end - p))
			break;
		int r = LZ4_decompress_safe((const char *)p, (char *)out + n, (int)bs, LZ4_LEGACY_BLOCK);
		if (r < 0) {
			snprintf(why, wl, "LZ4 data corrupt at payload offset %zu", (size_t)(p - (img + off)));
			free(out);
			return NULL;
		}
		n += (size_t)r;
		p += bs;
	}
	if (n < total) {
		snprintf(why, wl, "LZ4 payload ends after %zu of %zu bytes", n, total);
		free(out);
		return NULL;
	}
	*out_len = total;
	return out;
}

/* The type id names, past its modifiers (const, volatile, ...) and typedefs; NULL if none. */
static const struct btf_type *resolved_type(const struct btf *btf, uint32_t id)
{
	const struct btf_type *t = btf__type_by_id(btf, id);
	while (t && (btf_is_mod(t) || btf_is_typedef(t)))
		t = btf__type_by_id(btf, t->type);
	return t;
}

/* Byte offset of member name in struct/union t, looking into anonymous members (6.1's mm_struct
 * keeps its fields in one); -1 if none.  *type (when type is not NULL): the member's resolved
 * type. */
static long find_member(const struct btf *btf, const struct btf_type *t, const char *name,
			const struct btf_type **type)
{
	const struct btf_member *m = btf_members(t);
	for (unsigned i = 0; i < btf_vlen(t); i++, m++) {
		const char *mn = btf__name_by_offset(btf, m->name_off);
		long bits = btf_member_bit_offset(t, i);
		const struct btf_type *mt = resolved_type(btf, m->type);
		if (mn && *mn) {
			if (strcmp(mn, name))
				continue;
			if (type)
				*type = mt;
			return bits / 8;
		}
		if (mt && (btf_is_struct(mt) || btf_is_union(mt))) {
			long o = find_member(btf, mt, name, type);
			if (o >= 0)
				return bits / 8 + o;
		}
	}
	return -1;
}

static long member_offset(const struct btf *btf, const struct btf_type *t, const char *name)
{
	return find_member(btf, t, name, NULL);
}

int linux_layout_from_btf(const void *data, size_t len, struct linux_layout *lo, char *why, size_t wl)
{
	memset(lo, 0, sizeof(*lo));
	struct btf *btf = btf__new(data, (uint32_t)len);
	if (!btf) {
		snprintf(why, wl, "its .BTF does not parse (libbpf: %s)", strerror(errno));
		return -1;
	}
	int rc = -1;
	int id = btf__find_by_name_kind(btf, "task_struct", BTF_KIND_STRUCT);
	const struct btf_type *ts = id > 0 ? btf__type_by_id(btf, id) : NULL;
	if (!ts) {
		snprintf(why, wl, "its BTF has no struct task_struct");
		goto out;
	}
	long pid = member_offset(btf, ts, "pid"), tgid = member_offset(btf, ts, "tgid"),
	     comm = member_offset(btf, ts, "comm");
	if (pid < 0 || tgid < 0 || comm < 0) {
		snprintf(why, wl, "task_struct lacks pid, tgid or comm");
		goto out;
	}
	id = btf__find_by_name_kind(btf, ".data..percpu", BTF_KIND_DATASEC);
	const struct btf_type *ds = id > 0 ? btf__type_by_id(btf, id) : NULL;
	long cur = -1;
	if (ds) {
		const struct btf_var_secinfo *v = btf_var_secinfos(ds);
		for (unsigned i = 0; i < btf_vlen(ds); i++, v++) {
			const struct btf_type *vt = btf__type_by_id(btf, v->type);
			const char *vn = vt ? btf__name_by_offset(btf, vt->name_off) : NULL;
			if (vn && !strcmp(vn, "current_task")) {
				cur = v->offset;
				break;
			}
			/* from 6.2 on: struct pcpu_hot pcpu_hot, whose member current_task it is */
			if (vn && !strcmp(vn, "pcpu_hot") && btf_is_var(vt)) {
				const struct btf_type *ht = resolved_type(btf, vt->type);
				long m = ht && btf_is_struct(ht) ? member_offset(btf, ht, "current_task") : -1;
				if (m >= 0) {
					cur = v->offset + m;
					break;
				}
			}
		}
	}
	if (cur < 0) {
		snprintf(why, wl, "its BTF has no per-CPU current_task (nor pcpu_hot.current_task) in "
			 ".data..percpu");
		goto out;
	}
	long stack = member_offset(btf, ts, "stack");
	id = btf__find_by_name_kind(btf, "pt_regs", BTF_KIND_STRUCT);
	const struct btf_type *pr = id > 0 ? btf__type_by_id(btf, id) : NULL;
	if (stack >= 0 && pr) {
		long ip = member_offset(btf, pr, "ip"), bp = member_offset(btf, pr, "bp"), cs = member_offset(btf, pr, "cs");
		if (ip >= 0 && bp >= 0 && cs >= 0) {
			lo->regs_valid = 1;
			lo->stack = (uint32_t)stack;
			lo->regs_size = pr->size;
			lo->regs_ip = (uint32_t)ip;
			lo->regs_bp = (uint32_t)bp;
			lo->regs_cs = (uint32_t)cs;
		}
	}
	long mm = member_offset(btf, ts, "mm");
	id = btf__find_by_name_kind(btf, "mm_struct", BTF_KIND_STRUCT);
	const struct btf_type *ms = id > 0 ? btf__type_by_id(btf, id) : NULL;
	const struct btf_type *at = NULL;
	long auxv = ms ? find_member(btf, ms, "saved_auxv", &at) : -1;
	uint32_t words = at && btf_is_array(at) ? btf_array(at)->nelems : 0;
	if (mm >= 0 && auxv >= 0 && words >= 2 && words <= 128) {
		lo->mm_valid = 1;
		lo->mm = (uint32_t)mm;
		lo->saved_auxv = (uint32_t)auxv;
		lo->auxv_words = words;
	}
	lo->current_task = (uint64_t)cur;
	lo->pid = (uint32_t)pid;
	lo->tgid = (uint32_t)tgid;
	lo->comm = (uint32_t)comm;
	lo->valid = 1;
	rc = 0;
out:
	btf__free(btf);
	return rc;
}

int linux_layout_from_vmlinux(const void *data, size_t len, struct linux_layout *lo, char *why, size_t wl)
{
	elf_version(EV_CURRENT);
	Elf *e = elf_memory((char *)data, len);
	if (!e) {
		snprintf(why, wl, "the kernel is not an ELF file (libelf: %s)", elf_errmsg(-1));
		return -1;
	}
	size_t shstrndx;
	Elf_Scn *scn = NULL;
	int rc = -1;
	if (elf_getshdrstrndx(e, &shstrndx)) {
		snprintf(why, wl, "the kernel ELF has no section names");
		goto out;
	}
	while ((scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		const char *n;
		if (!gelf_getshdr(scn, &sh) || !(n = elf_strptr(e, shstrndx, sh.sh_name)) || strcmp(n, ".BTF"))
			continue;
		if (sh.sh_offset > len || sh.sh_size > len - sh.sh_offset) {
			snprintf(why, wl, "the kernel's .BTF lies outside the file");
			goto out;
		}
		rc = linux_layout_from_btf((const uint8_t *)data + sh.sh_offset, sh.sh_size, lo, why, wl);
		goto out;
	}
	snprintf(why, wl, "the kernel has no .BTF section (CONFIG_DEBUG_INFO_BTF off)");
out:
	elf_end(e);
	return rc;
}

/* The whole file (malloc'd), or NULL with errno. */
static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 1 << 20, n = 0, r;
	uint8_t *buf = xmalloc(cap);
	while ((r = fread(buf + n, 1, cap - n, f)) > 0) {
		n += r;
		if (n == cap)
			buf = xrealloc(buf, cap *= 2);
	}
	fclose(f);
	*len = n;
	return buf;
}

int linux_layout_from_file(const char *path, struct linux_layout *lo, char *why, size_t wl)
{
	size_t len;
	uint8_t *img = slurp(path, &len);
	if (!img) {
		snprintf(why, wl, "%s", strerror(errno));
		return -1;
	}
	int rc;
	if (len >= 4 && !memcmp(img, "\177ELF", 4)) {
		rc = linux_layout_from_vmlinux(img, len, lo, why, wl);
	} else {
		size_t vlen;
		uint8_t *vm = vmlinux_from_bzimage(img, len, &vlen, why, wl);
		rc = vm ? linux_layout_from_vmlinux(vm, vlen, lo, why, wl) : -1;
		free(vm);
	}
	free(img);
	return rc;
}

char *linux_layout_key(const struct linux_layout *lo)
{
	char regs[96] = "", mm[64] = "";
	if (lo->regs_valid)
		snprintf(regs, sizeof(regs), " " LINUX_REGS_KEY "=0x%x,0x%x,0x%x,0x%x,0x%x", lo->stack, lo->regs_size,
			 lo->regs_ip, lo->regs_bp, lo->regs_cs);
	if (lo->mm_valid)
		snprintf(mm, sizeof(mm), " " LINUX_MM_KEY "=0x%x,0x%x,%u", lo->mm, lo->saved_auxv, lo->auxv_words);
	return xasprintf(LINUX_LAYOUT_KEY "=0x%llx,0x%x,0x%x,0x%x%s%s", (unsigned long long)lo->current_task,
			 lo->pid, lo->tgid, lo->comm, regs, mm);
}
