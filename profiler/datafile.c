/* perfvisor.data reading and writing (layout in datafile.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "capture.h"
#include "datafile.h"

struct pv_datafile_writer {
	FILE *f;
	char *path, *tmp;
};

void pv_meta_set_recorded_now(struct pv_meta *meta)
{
	time_t t = time(NULL);
	struct tm tm;
	if (!localtime_r(&t, &tm) || !strftime(meta->recorded, sizeof(meta->recorded), "%Y-%m-%dT%H:%M:%S%z", &tm))
		meta->recorded[0] = '\0';
}

/* "key value\n", the value with line breaks turned into spaces; nothing for an empty value. */
static void meta_line(FILE *f, const char *key, const char *value, size_t cap)
{
	size_t n = strnlen(value, cap);
	if (!n)
		return;
	fprintf(f, "%s ", key);
	for (size_t i = 0; i < n; i++)
		fputc(value[i] == '\n' || value[i] == '\r' ? ' ' : value[i], f);
	fputc('\n', f);
}

/* The metadata text in a malloc'ed buffer. */
static char *meta_text(const struct pv_meta *m, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);
	if (!f)
		return NULL;
	meta_line(f, "hypervisor", m->hypervisor, sizeof(m->hypervisor));
	for (int d = 0; d < CAP_MAX_DOMAINS; d++) {
		char key[24];
		snprintf(key, sizeof(key), "image %d", d);
		meta_line(f, key, m->images[d], sizeof(m->images[d]));
	}
	meta_line(f, "emulator", m->emulator, sizeof(m->emulator));
	meta_line(f, "command", m->command, sizeof(m->command));
	meta_line(f, "recorded", m->recorded, sizeof(m->recorded));
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

struct pv_datafile_writer *pv_datafile_open(const char *path, const struct pv_meta *meta)
{
	struct pv_datafile_writer *w = calloc(1, sizeof(*w));
	size_t mlen = 0;
	char *mtext = NULL;
	int saved;

	if (!w)
		return NULL;
	w->path = strdup(path);
	w->tmp = malloc(strlen(path) + 5);
	if (!w->path || !w->tmp)
		goto fail;
	sprintf(w->tmp, "%s.tmp", path);
	mtext = meta_text(meta, &mlen);
	if (!mtext)
		goto fail;
	w->f = fopen(w->tmp, "wb");
	if (!w->f)
		goto fail;
	uint8_t head[PV_DATA_MAGIC_LEN + 4];
	memcpy(head, PV_DATA_MAGIC, PV_DATA_MAGIC_LEN);
	for (int i = 0; i < 4; i++)
		head[PV_DATA_MAGIC_LEN + i] = (uint8_t)(mlen >> (8 * i));
	if (fwrite(head, 1, sizeof(head), w->f) != sizeof(head) || fwrite(mtext, 1, mlen, w->f) != mlen ||
	    fflush(w->f) != 0)
		goto fail;
	free(mtext);
	return w;
fail:
	saved = errno;
	free(mtext);
	if (w->f) {
		fclose(w->f);
		unlink(w->tmp);
	}
	free(w->path);
	free(w->tmp);
	free(w);
	errno = saved;
	return NULL;
}

int pv_datafile_append(struct pv_datafile_writer *w, const uint8_t *data, size_t len)
{
	if (len && fwrite(data, 1, len, w->f) != len)
		return -1;
	return fflush(w->f) != 0 ? -1 : 0;
}

static void writer_free(struct pv_datafile_writer *w)
{
	free(w->path);
	free(w->tmp);
	free(w);
}

int pv_datafile_close(struct pv_datafile_writer *w)
{
	int rc = 0, saved = 0;
	if (fflush(w->f) != 0 || fsync(fileno(w->f)) != 0)
		rc = -1, saved = errno;
	if (fclose(w->f) != 0 && !rc)
		rc = -1, saved = errno;
	if (!rc && rename(w->tmp, w->path) != 0)
		rc = -1, saved = errno;
	if (rc)
		unlink(w->tmp);
	writer_free(w);
	errno = saved;
	return rc;
}

void pv_datafile_abort(struct pv_datafile_writer *w)
{
	fclose(w->f);
	unlink(w->tmp);
	writer_free(w);
}

int pv_datafile_write(const char *path, const struct pv_meta *meta, const uint8_t *stream, size_t len)
{
	struct pv_datafile_writer *w = pv_datafile_open(path, meta);
	if (!w)
		return -1;
	if (pv_datafile_append(w, stream, len)) {
		int saved = errno;
		pv_datafile_abort(w);
		errno = saved;
		return -1;
	}
	return pv_datafile_close(w);
}

__attribute__((format(printf, 3, 4)))
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	if (err && errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static void set_value(char *dst, size_t cap, const char *v, size_t n)
{
	if (n > cap - 1)
		n = cap - 1;
	memcpy(dst, v, n);
	dst[n] = '\0';
}

/* One metadata line (no '\n'); unknown keys and malformed image lines are ignored. */
static void meta_parse_line(struct pv_meta *m, const char *line, size_t n)
{
	const char *sp = memchr(line, ' ', n);
	if (!sp)
		return;
	size_t klen = (size_t)(sp - line);
	const char *v = sp + 1;
	size_t vlen = n - klen - 1;
#define KEY(k) (klen == sizeof(k) - 1 && memcmp(line, k, klen) == 0)
	if (KEY("hypervisor")) {
		set_value(m->hypervisor, sizeof(m->hypervisor), v, vlen);
	} else if (KEY("emulator")) {
		set_value(m->emulator, sizeof(m->emulator), v, vlen);
	} else if (KEY("command")) {
		set_value(m->command, sizeof(m->command), v, vlen);
	} else if (KEY("recorded")) {
		set_value(m->recorded, sizeof(m->recorded), v, vlen);
	} else if (KEY("image")) {
		unsigned id = 0;
		size_t i = 0;
		while (i < vlen && i < 3 && v[i] >= '0' && v[i] <= '9')
			id = id * 10 + (unsigned)(v[i++] - '0');
		if (i == 0 || i >= vlen || v[i] != ' ' || id >= CAP_MAX_DOMAINS)
			return;
		set_value(m->images[id], sizeof(m->images[id]), v + i + 1, vlen - i - 1);
	}
#undef KEY
}

int pv_datafile_parse(const uint8_t *data, size_t len, struct pv_meta *meta, size_t *stream_off, char *err,
		      size_t errlen)
{
	memset(meta, 0, sizeof(*meta));
	*stream_off = 0;
	if (len >= 6 && memcmp(data, "PVDATA", 6) == 0) {
		if (len < PV_DATA_MAGIC_LEN || memcmp(data, PV_DATA_MAGIC, PV_DATA_MAGIC_LEN) != 0) {
			if (len >= PV_DATA_MAGIC_LEN && data[6] == 0)
				return fail(err, errlen, "perfvisor.data layout version %u is not supported (this perfvisor reads 1)",
					    data[7]);
			return fail(err, errlen, "not a perfvisor.data file (damaged magic)");
		}
		if (len < PV_DATA_MAGIC_LEN + 4)
			return fail(err, errlen, "truncated metadata (the file ends in its length field)");
		const uint8_t *l = data + PV_DATA_MAGIC_LEN;
		uint32_t m = (uint32_t)l[0] | (uint32_t)l[1] << 8 | (uint32_t)l[2] << 16 | (uint32_t)l[3] << 24;
		size_t start = PV_DATA_MAGIC_LEN + 4;
		if (m > PV_DATA_META_MAX)
			return fail(err, errlen, "bad metadata length %u (damaged file?)", m);
		if (m > len - start)
			return fail(err, errlen, "truncated metadata (%u bytes announced, %zu in the file)", m,
				    len - start);
		const char *t = (const char *)data + start;
		for (size_t i = 0; i < m;) {
			const char *nl = memchr(t + i, '\n', m - i);
			size_t n = nl ? (size_t)(nl - (t + i)) : m - i;
			meta_parse_line(meta, t + i, n);
			i += n + 1;
		}
		*stream_off = start + m;
		return 0;
	}
	if (len == 0)
		return fail(err, errlen, "empty file: no capture in it");
	if (pv_capture_find_frame(data, len) >= 0)
		return 0;                      /* a raw serial capture */
	char magic[8 * 3 + 1] = "";
	for (size_t i = 0; i < len && i < 8; i++)
		snprintf(magic + strlen(magic), sizeof(magic) - strlen(magic), "%s%02x", i ? " " : "", data[i]);
	return fail(err, errlen, "not a perfvisor.data file (magic %s) and no capture frame in it", magic);
}

int pv_open_regular(const char *path, uint64_t max_size, char *why, size_t whylen)
{
	/* O_NONBLOCK: opening a FIFO for reading must not wait for a writer */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	struct stat st;
	if (fd < 0) {
		snprintf(why, whylen, "%s", strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0) {
		snprintf(why, whylen, "%s", strerror(errno));
	} else if (!S_ISREG(st.st_mode)) {
		snprintf(why, whylen, "not a regular file (%s)", S_ISCHR(st.st_mode) ? "a character device" :
			 S_ISBLK(st.st_mode) ? "a block device" : S_ISFIFO(st.st_mode) ? "a FIFO" :
			 S_ISDIR(st.st_mode) ? "a directory" : S_ISSOCK(st.st_mode) ? "a socket" : "not a file");
	} else if ((uint64_t)st.st_size > max_size) {
		snprintf(why, whylen, "%llu bytes, more than the %llu perfvisor reads",
			 (unsigned long long)st.st_size, (unsigned long long)max_size);
	} else if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) == 0) {
		return fd;
	} else {
		snprintf(why, whylen, "%s", strerror(errno));
	}
	close(fd);
	return -1;
}

int pv_datafile_read(const char *path, struct pv_meta *meta, uint8_t **stream, size_t *len, char *err,
		     size_t errlen)
{
	char why[160];
	uint8_t *buf = NULL;
	size_t n = 0, cap = 0;

	memset(meta, 0, sizeof(*meta));
	*stream = NULL;
	*len = 0;
	int fd = pv_open_regular(path, PV_DATAFILE_MAX, why, sizeof(why));
	if (fd < 0)
		return fail(err, errlen, "cannot open: %s: %s", path, why);
	FILE *f = fdopen(fd, "rb");
	if (!f) {
		close(fd);
		return fail(err, errlen, "cannot open: %s: %s", path, strerror(errno));
	}
	for (;;) {
		if (n > PV_DATAFILE_MAX) {     /* it grew while being read */
			free(buf);
			fclose(f);
			return fail(err, errlen, "cannot read %s: it grew past the %llu bytes perfvisor reads",
				    path, (unsigned long long)PV_DATAFILE_MAX);
		}
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 1 << 16;
			uint8_t *nb = realloc(buf, ncap);
			if (!nb) {
				free(buf);
				fclose(f);
				return fail(err, errlen, "%s: out of memory", path);
			}
			buf = nb;
			cap = ncap;
		}
		size_t got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		int e = errno;
		free(buf);
		fclose(f);
		return fail(err, errlen, "cannot read: %s: %s", path, strerror(e));
	}
	fclose(f);
	size_t off;
	char pwhy[200];
	if (pv_datafile_parse(buf, n, meta, &off, pwhy, sizeof(pwhy))) {
		free(buf);
		return fail(err, errlen, "%s: %s", path, pwhy);
	}
	memmove(buf, buf + off, n - off);
	*len = n - off;
	if (*len == 0) {
		free(buf);
		buf = NULL;
	}
	*stream = buf;
	return 0;
}
