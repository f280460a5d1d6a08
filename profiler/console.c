/* The console stream (docs/console-protocol.md): splitting into lines and
 * recognising the hypervisor's status lines. */
#define _GNU_SOURCE
#include "console.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "../include/perfvisor/visible.h"

int console_write_line(FILE *f, const char *line, size_t len)
{
	char buf[4096 + VIS_MAX];
	size_t n = 0;
	int rc = 0;
	for (size_t i = 0; i < len; i++) {
		uint8_t c = (uint8_t)line[i];
		if (vis_is_plain(c))
			buf[n++] = (char)c;
		else
			n += (size_t)vis_byte(c, buf + n);
		if (n >= 4096) {
			if (fwrite(buf, 1, n, f) != n)
				rc = -1;
			n = 0;
		}
	}
	buf[n++] = '\n';
	if (fwrite(buf, 1, n, f) != n)
		rc = -1;
	return rc;
}

void console_visible(char *dst, size_t cap, const char *s, size_t len)
{
	size_t n = 0;
	for (size_t i = 0; i < len; i++) {
		char v[VIS_MAX];
		int k = vis_byte((uint8_t)s[i], v);
		if (n + (size_t)k >= cap)
			break;
		memcpy(dst + n, v, (size_t)k);
		n += (size_t)k;
	}
	dst[n] = '\0';
}

void line_splitter_feed(struct line_splitter *ls, const char *data, size_t n, console_emit_fn emit,
			void *ctx)
{
	for (size_t i = 0; i < n; i++) {
		char c = data[i];
		if (c == '\r')
			continue;
		if (c == '\n' || ls->len == CONSOLE_MAX_LINE) {
			if (!ls->buf)
				ls->buf = xmalloc(ls->cap = 256);
			ls->buf[ls->len] = '\0';
			emit(ctx, ls->buf, ls->len);
			ls->len = 0;
			if (c == '\n')
				continue;
		}
		if (ls->len + 2 > ls->cap) {
			ls->cap = ls->cap ? ls->cap * 2 : 256;
			ls->buf = xrealloc(ls->buf, ls->cap);
		}
		ls->buf[ls->len++] = c;
	}
}

void line_splitter_flush(struct line_splitter *ls, console_emit_fn emit, void *ctx)
{
	if (ls->len) {
		ls->buf[ls->len] = '\0';
		emit(ctx, ls->buf, ls->len);
		ls->len = 0;
	}
}

void line_splitter_free(struct line_splitter *ls)
{
	free(ls->buf);
	memset(ls, 0, sizeof(*ls));
}

/* Parse a non-negative decimal integer at *p (advancing it); -1 if none. */
static int parse_uint(const char **p, const char *end, int *out)
{
	const char *s = *p;
	long v = 0;
	if (s >= end || *s < '0' || *s > '9')
		return -1;
	while (s < end && *s >= '0' && *s <= '9') {
		v = v * 10 + (*s++ - '0');
		if (v > 0x7fffffff)
			return -1;
	}
	*out = (int)v;
	*p = s;
	return 0;
}

static int eat(const char **p, const char *end, const char *lit)
{
	size_t n = strlen(lit);
	if ((size_t)(end - *p) < n || memcmp(*p, lit, n))
		return -1;
	*p += n;
	return 0;
}

static const char *trim_end(const char *s, const char *end)
{
	while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	return end;
}

static void copy_text(char *dst, size_t cap, const char *s, const char *end)
{
	size_t n = (size_t)(end - s) < cap - 1 ? (size_t)(end - s) : cap - 1;
	memcpy(dst, s, n);
	dst[n] = '\0';
}

enum console_line_kind console_classify(const char *line, size_t len, struct console_line_info *info)
{
	const char *p = line, *end = trim_end(line, line + len);
	memset(info, 0, sizeof(*info));
	info->kind = CONSOLE_OTHER;
	if (eat(&p, end, "perfvisor: "))
		return CONSOLE_OTHER;

	const char *q = p;
	if (!eat(&q, end, "end status=")) {
		int s;
		if (!parse_uint(&q, end, &s) && q == end) {
			info->status = s;
			info->kind = CONSOLE_END;
		}
		return info->kind;
	}

	q = p;
	if (!eat(&q, end, "VT-x not available")) {
		if (q < end && *q == ':')
			q++;
		while (q < end && *q == ' ')
			q++;
		copy_text(info->reason, sizeof(info->reason), q, end);
		return info->kind = CONSOLE_NO_VTX;
	}

	/* domain <id> (<name>) exited with status <n> | stopped: <reason>.
	 * The name may itself contain ") ", so look for the last ") exited"
	 * or the first ") stopped:". */
	q = p;
	int id;
	if (eat(&q, end, "domain ") || parse_uint(&q, end, &id) || eat(&q, end, " ("))
		return CONSOLE_OTHER;
	const char *name = q;
	static const char exited[] = ") exited with status ";
	static const char stopped[] = ") stopped:";
	static const char halted[] = ") halted without an exit status";
	const char *m = memmem(name, end - name, stopped, sizeof(stopped) - 1);
	if (m) {
		copy_text(info->name, sizeof(info->name), name, m);
		const char *r = m + sizeof(stopped) - 1;
		while (r < end && *r == ' ')
			r++;
		copy_text(info->reason, sizeof(info->reason), r, end);
		info->domain = id;
		return info->kind = CONSOLE_DOMAIN_STOP;
	}
	m = memmem(name, end - name, halted, sizeof(halted) - 1);
	if (m) {
		copy_text(info->name, sizeof(info->name), name, m);
		info->domain = id;
		info->status = 0;
		return info->kind = CONSOLE_DOMAIN_HALT;
	}
	m = memmem(name, end - name, exited, sizeof(exited) - 1);
	if (m) {
		const char *r = m + sizeof(exited) - 1;
		int s;
		if (parse_uint(&r, end, &s) || r != end)
			return CONSOLE_OTHER;
		copy_text(info->name, sizeof(info->name), name, m);
		info->domain = id;
		info->status = s;
		return info->kind = CONSOLE_DOMAIN_EXIT;
	}
	return CONSOLE_OTHER;
}
