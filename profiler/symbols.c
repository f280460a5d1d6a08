/* Symbols and source lines through libdwfl (see symbols.h). */
#define _GNU_SOURCE
#include "symbols.h"
#include "datafile.h"

#include <elfutils/libdwelf.h>
#include <elfutils/libdwfl.h>
#include <libiberty/demangle.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "util.h"

struct image {
	Dwfl *dwfl;        /* one per domain: each has its own address space */
	Dwfl_Module *mod;
	char dso[128];     /* base name of the file */
	Dwarf_Addr low, high; /* what its segments cover: anything else is unknown */
};

struct symbols {
	struct image img[CAP_MAX_DOMAINS];
	bool raw_names; /* --no-demangle */
};

static char *debuginfo_path;

static const Dwfl_Callbacks offline_callbacks = {
	.find_elf = dwfl_build_id_find_elf,
	.find_debuginfo = dwfl_standard_find_debuginfo,
	.section_address = dwfl_offline_section_address,
	.debuginfo_path = &debuginfo_path,
};

struct symbols *symbols_new(void)
{
	struct symbols *s = xmalloc(sizeof(*s));
	memset(s, 0, sizeof(*s));
	return s;
}

void symbols_set_demangle(struct symbols *s, bool on)
{
	s->raw_names = !on;
}

int symbols_demangle(const char *name, char *out, size_t cap)
{
	/* libiberty: the Itanium C++ ABI (_Z...), Rust legacy (_ZN...17h<hash>E) and v0 (_R...) */
	if (strncmp(name, "_Z", 2) && strncmp(name, "_R", 2))
		return 0;
	char *d = cplus_demangle(name, DMGL_PARAMS | DMGL_ANSI | DMGL_AUTO);
	if (!d)
		return 0;
	str_copy(out, cap, d);
	free(d);
	return 1;
}

void symbols_free(struct symbols *s)
{
	if (!s)
		return;
	for (int d = 0; d < CAP_MAX_DOMAINS; d++)
		if (s->img[d].dwfl)
			dwfl_end(s->img[d].dwfl);
	free(s);
}

/* A guest or hypervisor image named by a capture's metadata: read only if it is a regular file
 * of sane size (the metadata may name a device or a FIFO, which must not hang the report). */
#define SYMBOLS_IMAGE_MAX (1ull << 30)
static char open_why[128];          /* why the last image could not be opened */

static int build_id_of(const char *path, uint8_t *id, size_t cap)
{
	int fd = pv_open_regular(path, SYMBOLS_IMAGE_MAX, open_why, sizeof(open_why));
	if (fd < 0)
		return -1;
	elf_version(EV_CURRENT);
	Elf *elf = elf_begin(fd, ELF_C_READ, NULL);
	int len = 0;
	const void *bid = NULL;
	/* libdw's reader of the NT_GNU_BUILD_ID note (sections or program headers) */
	ssize_t n = elf ? dwelf_elf_gnu_build_id(elf, &bid) : -1;
	if (n > 0) {
		len = (size_t)n < cap ? (int)n : (int)cap;
		memcpy(id, bid, (size_t)len);
	}
	if (elf)
		elf_end(elf);
	close(fd);
	return len;
}

static int crc_of(const char *path, uint8_t *id, size_t cap)
{
	int fd = pv_open_regular(path, SYMBOLS_IMAGE_MAX, open_why, sizeof(open_why));
	FILE *f = fd >= 0 ? fdopen(fd, "rb") : NULL;
	if (!f && fd >= 0)
		close(fd);
	if (!f || cap < 4) {
		if (f)
			fclose(f);
		return -1;
	}
	uLong crc = crc32(0, Z_NULL, 0);
	unsigned char buf[65536];
	size_t n;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		crc = crc32(crc, buf, (uInt)n);
	fclose(f);
	for (int i = 0; i < 4; i++)
		id[i] = (uint8_t)(crc >> (8 * i));
	return 4;
}

int symbols_image_id(const char *path, int kind, uint8_t *id, size_t cap)
{
	return kind == CAP_IMAGE_ID_CRC32 ? crc_of(path, id, cap) : build_id_of(path, id, cap);
}

void symbols_id_text(int kind, const uint8_t *id, int len, char *buf, size_t cap)
{
	if (kind == CAP_IMAGE_ID_CRC32 && len == 4) {
		snprintf(buf, cap, "crc32 %08x",
			 id[0] | id[1] << 8 | id[2] << 16 | (unsigned)id[3] << 24);
		return;
	}
	if (len <= 0) {
		snprintf(buf, cap, "no build-id");
		return;
	}
	snprintf(buf, cap, "build-id ");
	str_append_hex(buf, cap, id, (size_t)len);
}

int symbols_load(struct symbols *s, int domain, const char *domain_name, const char *path, int kind,
		 const uint8_t *id, int len, char *warn, size_t warnlen)
{
	struct image *im = &s->img[domain];
	const char *slash = strrchr(path, '/');
	str_copy(im->dso, sizeof(im->dso), slash ? slash + 1 : path);
	uint8_t have[64];
	open_why[0] = '\0';
	int hl = symbols_image_id(path, kind == CAP_IMAGE_ID_CRC32 ? kind : CAP_IMAGE_ID_BUILD_ID, have,
				  sizeof(have));
	if (hl < 0) {
		snprintf(warn, warnlen, "domain %d (%s): cannot read image %s: %s; use --symbols %d=PATH",
			 domain, domain_name, path, open_why[0] ? open_why : strerror(errno), domain);
		return -1;
	}
	if (len > 0 && (hl != len || memcmp(have, id, (size_t)len))) {
		char a[96], b[96];
		symbols_id_text(kind, have, hl, a, sizeof(a));
		symbols_id_text(kind, id, len, b, sizeof(b));
		const char *sp = strchr(a, ' '), *bp = strchr(b, ' ');
		snprintf(warn, warnlen, "domain %d (%s): image %s has %s, the capture says %s; use --symbols %d=PATH",
			 domain, domain_name, path, a, bp && sp && !strncmp(a, b, (size_t)(sp - a)) ? bp + 1 : b,
			 domain);
		return -1;
	}
	char why[128];
	int rfd = pv_open_regular(path, SYMBOLS_IMAGE_MAX, why, sizeof(why));
	if (rfd < 0) {
		snprintf(warn, warnlen, "domain %d (%s): cannot load symbols of %s: %s", domain, domain_name, path,
			 why);
		return -1;
	}
	close(rfd);
	Dwfl *dwfl = dwfl_begin(&offline_callbacks);
	Dwfl_Module *mod = dwfl ? dwfl_report_offline(dwfl, im->dso, path, -1) : NULL;
	if (!mod) {
		snprintf(warn, warnlen, "domain %d (%s): cannot load symbols of %s: %s", domain, domain_name, path,
			 dwfl_errmsg(-1));
		if (dwfl)
			dwfl_end(dwfl);
		return -1;
	}
	dwfl_report_end(dwfl, NULL, NULL);
	if (dwfl_module_getsymtab(mod) <= 0) {
		snprintf(warn, warnlen, "domain %d (%s): %s has no symbol table (stripped?): its addresses stay "
			 "raw; give the unstripped ELF with --symbols %d=PATH", domain, domain_name, path, domain);
		dwfl_end(dwfl);
		return -1;
	}
	im->dwfl = dwfl;
	im->mod = mod;
	dwfl_module_info(mod, NULL, &im->low, &im->high, NULL, NULL, NULL, NULL);
	return 0;
}

void symbols_resolve(void *ctx, const struct pv_header *h, int domain, uint64_t ip, struct report_sym *out)
{
	(void)h;
	struct symbols *s = ctx;
	if (domain < 0 || domain >= CAP_MAX_DOMAINS)
		return;
	struct image *im = &s->img[domain];
	str_copy(out->dso, sizeof(out->dso), im->dso);
	if (!im->mod || ip < im->low || ip >= im->high)
		return;
	GElf_Off off;
	GElf_Sym sym;
	const char *name = dwfl_module_addrinfo(im->mod, ip, &off, &sym, NULL, NULL, NULL);
	if (name) {
		if (s->raw_names || !symbols_demangle(name, out->name, sizeof(out->name)))
			str_copy(out->name, sizeof(out->name), name);
		out->symoff = off;
	}
	Dwfl_Line *line = dwfl_module_getsrc(im->mod, ip);
	int lineno = 0;
	const char *src = line ? dwfl_lineinfo(line, NULL, &lineno, NULL, NULL, NULL) : NULL;
	if (src) {
		const char *base = strrchr(src, '/');
		snprintf(out->srcline, sizeof(out->srcline), "%s:%d", base ? base + 1 : src, lineno);
	}
}
