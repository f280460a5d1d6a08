/* Small helpers for the host tool: messages, memory, files, processes. */
#ifndef PROFILER_UTIL_H
#define PROFILER_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The host tool's error convention (like perf): print "perfvisor: <msg>" on
 * stderr and return an error status up to the subcommand, which exits with it. */
void pv_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void pv_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void pv_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Allocation that cannot fail (out of memory aborts with a message). */
void *xmalloc(size_t n);
void *xrealloc(void *p, size_t n);
/* Room for one more element in a growing array: doubles cap (from 256) when n reached it. */
#define GROW(arr, n, cap)                                                  \
	do {                                                               \
		if ((n) == (cap)) {                                        \
			(cap) = (cap) ? (cap) * 2 : 256;                   \
			(arr) = xrealloc((arr), (cap) * sizeof(*(arr)));   \
		}                                                          \
	} while (0)
char *xstrdup(const char *s);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Copy / append a string into dst[cap], truncating; always terminated. */
void str_copy(char *dst, size_t cap, const char *src);
void str_append(char *dst, size_t cap, const char *src);
/* Append b[0..n) as lowercase hex (a build-id), whole bytes only, as far as dst[cap] holds them. */
void str_append_hex(char *dst, size_t cap, const uint8_t *b, size_t n);
/* "dir/name" in a new string. */
char *path_join(const char *dir, const char *name);
/* Directory of the running executable (/proc/self/exe), or NULL. */
char *exe_dir(void);
/* Make a fresh directory $TMPDIR/perfvisor-XXXXXX (or under /tmp). */
char *make_temp_dir(void);
/* rm -rf path (best effort). */
void remove_tree(const char *path);
/* Copy a regular file; 0 on success, -1 with errno and a message printed. */
int copy_file(const char *from, const char *to);
/* 1 if path is a readable ELF file, 0 if not ELF, -1 if unreadable (errno set). */
int file_is_elf(const char *path);
/* Offset of a multiboot (v1) or multiboot2 header, or -1 if none. */
long find_multiboot_header(const char *path, int version);
/* 1 if the file has a multiboot1 header with the a.out-kludge flag (bit 16: load addresses in
 * the header, so it loads without being ELF), 0 if not, -1 if it cannot be read. */
int multiboot1_aout_kludge(const char *path);
/* 1 if the file is a Linux bzImage (boot protocol setup header: boot_flag 0xAA55 at 0x1FE and
 * "HdrS" at 0x202), 0 if not (a FIFO or device: not opened for reading, never waited on), -1 if
 * it cannot be opened (errno set). */
int file_is_bzimage(const char *path);
/* Full path of an executable found in $PATH, or NULL. */
char *find_in_path(const char *prog);
/* Write a whole string to a new file; 0 on success, -1 with a message. */
int write_file(const char *path, const char *text);
/* "exited with status N" / "killed by signal N (name)" for a waitpid status. */
const char *describe_wait_status(int status, char *buf, size_t len);
/* Monotonic time in seconds. */
double now_seconds(void);
/* Sleep for ms milliseconds (returns early on a signal). */
void sleep_ms(unsigned ms);
/* Run argv[] in a child with stdin=/dev/null and stdout+stderr to log_path;
 * wait for it.  Returns the waitpid status, or -1 if it could not start. */
int run_logged(char *const argv[], const char *log_path);
/* Print the last max_lines lines of a text file to stderr, indented. */
void print_file_tail(const char *path, int max_lines);

#endif
