/* Small helpers for the host tool: messages, memory, files, processes. */
#define _GNU_SOURCE
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void vmsg(const char *prefix, const char *fmt, va_list ap)
{
	fflush(stdout);
	fprintf(stderr, "perfvisor: %s", prefix);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void pv_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmsg("error: ", fmt, ap);
	va_end(ap);
}

void pv_warn(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmsg("warning: ", fmt, ap);
	va_end(ap);
}

void pv_info(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmsg("", fmt, ap);
	va_end(ap);
}

static void oom(void)
{
	fputs("perfvisor: out of memory\n", stderr);
	abort();
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		oom();
	return p;
}

void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		oom();
	return p;
}

char *xstrdup(const char *s)
{
	char *p = strdup(s);
	if (!p)
		oom();
	return p;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		oom();
	va_end(ap);
	return s;
}

void str_copy(char *dst, size_t cap, const char *src)
{
	if (!cap)
		return;
	size_t n = strlen(src);
	if (n >= cap)
		n = cap - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

void str_append(char *dst, size_t cap, const char *src)
{
	size_t n = strnlen(dst, cap);
	if (n < cap)
		str_copy(dst + n, cap - n, src);
}

void str_append_hex(char *dst, size_t cap, const uint8_t *b, size_t n)
{
	size_t o = strnlen(dst, cap);
	for (size_t i = 0; i < n && o + 3 <= cap; i++)
		o += (size_t)snprintf(dst + o, cap - o, "%02x", b[i]);
}

char *path_join(const char *dir, const char *name)
{
	size_t n = strlen(dir);
	if (n && dir[n - 1] == '/')
		return xasprintf("%s%s", dir, name);
	return xasprintf("%s/%s", dir, name);
}

char *exe_dir(void)
{
	char buf[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
	if (n <= 0)
		return NULL;
	buf[n] = '\0';
	char *slash = strrchr(buf, '/');
	if (!slash)
		return NULL;
	*slash = '\0';
	return xstrdup(buf[0] ? buf : "/");
}

char *make_temp_dir(void)
{
	const char *base = getenv("TMPDIR");
	if (!base || !*base)
		base = "/tmp";
	char *tmpl = path_join(base, "perfvisor-XXXXXX");
	if (!mkdtemp(tmpl)) {
		pv_error("cannot create a temporary directory in %s: %s", base, strerror(errno));
		free(tmpl);
		return NULL;
	}
	return tmpl;
}

void remove_tree(const char *path)
{
	struct stat st;
	if (lstat(path, &st) < 0)
		return;
	if (S_ISDIR(st.st_mode)) {
		DIR *d = opendir(path);
		if (d) {
			struct dirent *e;
			while ((e = readdir(d))) {
				if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
					continue;
				char *sub = path_join(path, e->d_name);
				remove_tree(sub);
				free(sub);
			}
			closedir(d);
		}
		rmdir(path);
	} else {
		unlink(path);
	}
}

int copy_file(const char *from, const char *to)
{
	int in = open(from, O_RDONLY | O_CLOEXEC);
	if (in < 0) {
		pv_error("cannot open %s: %s", from, strerror(errno));
		return -1;
	}
	int out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (out < 0) {
		pv_error("cannot create %s: %s", to, strerror(errno));
		close(in);
		return -1;
	}
	char buf[65536];
	ssize_t n;
	int rc = 0;
	while ((n = read(in, buf, sizeof(buf))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			pv_error("cannot read %s: %s", from, strerror(errno));
			rc = -1;
			break;
		}
		for (ssize_t off = 0; off < n;) {
			ssize_t w = write(out, buf + off, n - off);
			if (w < 0) {
				if (errno == EINTR)
					continue;
				pv_error("cannot write %s: %s", to, strerror(errno));
				rc = -1;
				goto done;
			}
			off += w;
		}
	}
done:
	close(in);
	if (close(out) < 0 && rc == 0) {
		pv_error("cannot write %s: %s", to, strerror(errno));
		rc = -1;
	}
	return rc;
}

int file_is_elf(const char *path)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return -1;
	if (!S_ISREG(st.st_mode)) {
		errno = EINVAL;
		return 0;
	}
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	unsigned char magic[4];
	ssize_t n = read(fd, magic, sizeof(magic));
	close(fd);
	return n == 4 && !memcmp(magic, "\177ELF", 4);
}

long find_multiboot_header(const char *path, int version)
{
	/* Multiboot v1: 32-bit aligned magic 0x1BADB002 in the first 8 KiB, with
	 * magic + flags + checksum == 0.  Multiboot2: 64-bit aligned magic
	 * 0xE85250D6 in the first 32 KiB, with magic + arch + length + checksum == 0. */
	const uint32_t magic = version == 2 ? 0xE85250D6u : 0x1BADB002u;
	const size_t limit = version == 2 ? 32768 : 8192;
	const size_t align = version == 2 ? 8 : 4;
	unsigned char buf[32768];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, limit);
	close(fd);
	for (size_t off = 0; n > 0 && off + 16 <= (size_t)n; off += align) {
		uint32_t w[4];
		memcpy(w, buf + off, sizeof(w));
		if (w[0] != magic)
			continue;
		uint32_t sum = version == 2 ? w[0] + w[1] + w[2] + w[3] : w[0] + w[1] + w[2];
		if (sum == 0)
			return (long)off;
	}
	return -1;
}

int multiboot1_aout_kludge(const char *path)
{
	long off = find_multiboot_header(path, 1);
	if (off < 0)
		return 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	uint32_t flags = 0;
	ssize_t n = pread(fd, &flags, sizeof(flags), off + 4);
	close(fd);
	return n == (ssize_t)sizeof(flags) && (flags & (1u << 16));
}

int file_is_bzimage(const char *path)
{
	/* O_NONBLOCK: a FIFO named by a capture's metadata must not hang report; only a regular
	 * file can be a kernel image */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -1;
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return 0;
	}
	unsigned char hdr[8];   /* 0x1FE..0x205: boot_flag, jump, header magic */
	ssize_t n = pread(fd, hdr, sizeof(hdr), 0x1FE);
	close(fd);
	return n == (ssize_t)sizeof(hdr) && hdr[0] == 0x55 && hdr[1] == 0xAA &&
	       !memcmp(hdr + 4, "HdrS", 4);
}

char *find_in_path(const char *prog)
{
	if (strchr(prog, '/'))
		return access(prog, X_OK) == 0 ? xstrdup(prog) : NULL;
	const char *path = getenv("PATH");
	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin";
	char *copy = xstrdup(path), *save = NULL, *found = NULL;
	for (char *dir = strtok_r(copy, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
		char *cand = path_join(*dir ? dir : ".", prog);
		if (access(cand, X_OK) == 0) {
			found = cand;
			break;
		}
		free(cand);
	}
	free(copy);
	return found;
}

int write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "we");
	if (!f) {
		pv_error("cannot create %s: %s", path, strerror(errno));
		return -1;
	}
	fputs(text, f);
	if (fclose(f) != 0) {
		pv_error("cannot write %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

const char *describe_wait_status(int status, char *buf, size_t len)
{
	if (WIFEXITED(status))
		snprintf(buf, len, "exited with status %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, len, "killed by signal %d (%s)", WTERMSIG(status), strsignal(WTERMSIG(status)));
	else
		snprintf(buf, len, "wait status 0x%x", status);
	return buf;
}

double now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

void sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

int run_logged(char *const argv[], const char *log_path)
{
	pid_t pid = fork();
	if (pid < 0) {
		pv_error("fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		int in = open("/dev/null", O_RDONLY);
		int out = open(log_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (in < 0 || out < 0)
			_exit(127);
		dup2(in, 0);
		dup2(out, 1);
		dup2(out, 2);
		execvp(argv[0], argv);
		dprintf(2, "cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	int status;
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			pv_error("waitpid: %s", strerror(errno));
			return -1;
		}
	}
	return status;
}

void print_file_tail(const char *path, int max_lines)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return;
	/* Keep a ring of the last max_lines lines (truncated to 200 characters). */
	char ring[16][201];
	int count = 0;
	if (max_lines > 16)
		max_lines = 16;
	char line[4096];
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\r\n")] = '\0';
		if (!line[0])
			continue;
		str_copy(ring[count % max_lines], sizeof(ring[0]), line);
		count++;
	}
	fclose(f);
	int first = count > max_lines ? count - max_lines : 0;
	for (int i = first; i < count; i++)
		fprintf(stderr, "    %s\n", ring[i % max_lines]);
}
