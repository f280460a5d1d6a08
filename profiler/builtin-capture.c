/* perfvisor capture: read perfvisor's serial output from a real serial line (perfvisor on bare
 * metal) or from a file or FIFO, echo the console text, and write perfvisor.data. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "builtin.h"
#include "console.h"
#include "pv_codec.h"
#include "record.h"
#include "util.h"

static const char capture_usage[] =
	"usage: perfvisor capture --serial DEV|FILE [-o FILE] [OPTIONS]\n"
	"\n"
	"Read perfvisor's serial output (console text and capture frames) from a serial\n"
	"line (set to raw 115200 8N1) or from a file or FIFO, print the console text and\n"
	"write the capture for 'perfvisor report'.  Stops at the capture's END frame, at\n"
	"the end of a file, after --timeout or on Ctrl-C.\n"
	"\n"
	"  --serial DEV|FILE      /dev/ttyS0, /dev/ttyUSB0, a FIFO or a saved log\n"
	"  -o, --output FILE      write FILE (default perfvisor.data)\n"
	"  --timeout SEC          stop after SEC seconds (default 0: never)\n"
	"  --image PATH           the hypervisor ELF that ran (recorded for report)\n"
	"  --symbols D=ELF        the guest ELF of domain D (recorded for report); repeatable\n"
	"  -h, --help             this text\n"
	"\n"
	"Exit status: 0 the END frame arrived; 1 the capture stopped before it (written\n"
	"anyway); 2 the input could not be read or the output written; 129 bad usage.\n";

enum { OPT_SERIAL = 256, OPT_TIMEOUT, OPT_IMAGE, OPT_SYMBOLS };

static const struct option capture_options[] = {
	{ "serial", required_argument, NULL, OPT_SERIAL },
	{ "output", required_argument, NULL, 'o' },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "image", required_argument, NULL, OPT_IMAGE },
	{ "symbols", required_argument, NULL, OPT_SYMBOLS },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static volatile sig_atomic_t capture_signal;

static void on_signal(int sig)
{
	capture_signal = sig;
}

/* Raw 115200 8N1, no flow control: what arch/x86/serial.c programs on the other end. */
static int setup_tty(int fd, const char *path)
{
	struct termios t;
	if (tcgetattr(fd, &t) < 0) {
		pv_error("%s: cannot read the line settings: %s", path, strerror(errno));
		return -1;
	}
	cfmakeraw(&t);
	cfsetispeed(&t, B115200);
	cfsetospeed(&t, B115200);
	t.c_cflag &= ~(CSTOPB | PARENB | CRTSCTS | CSIZE);
	t.c_cflag |= CS8 | CLOCAL | CREAD;
	t.c_iflag &= ~(IXON | IXOFF | IXANY);
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	if (tcsetattr(fd, TCSANOW, &t) < 0) {
		pv_error("%s: cannot set raw 115200 8N1: %s", path, strerror(errno));
		return -1;
	}
	tcflush(fd, TCIFLUSH);
	return 0;
}

struct capture {
	struct pv_stream ps;
	struct record_counts counts;
	uint8_t *data;
	size_t len, cap;
	struct pv_meta meta;
};

static int on_event(void *ctx, const struct pv_header *h, const struct pv_event *ev)
{
	(void)h;
	record_count_event(&((struct capture *)ctx)->counts, ev);
	return 0;
}

static void on_text_line(void *ctx, const char *line, size_t len)
{
	(void)ctx;
	console_write_line(stdout, line, len);
	fflush(stdout);
}

static void append(struct capture *c, const uint8_t *p, size_t n)
{
	if (c->len + n > c->cap) {
		while (c->len + n > c->cap)
			c->cap = c->cap ? c->cap * 2 : 1 << 20;
		c->data = xrealloc(c->data, c->cap);
	}
	memcpy(c->data + c->len, p, n);
	c->len += n;
}

static void abs_path(char *dst, size_t cap, const char *path)
{
	char buf[PATH_MAX];
	str_copy(dst, cap, realpath(path, buf) ? buf : path);
}

int cmd_capture(int argc, char **argv)
{
	const char *serial = NULL, *output = "perfvisor.data";
	unsigned long timeout_s = 0;
	static struct capture cap;
	memset(&cap, 0, sizeof(cap));
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "o:h", capture_options, NULL)) != -1) {
		switch (c) {
		case OPT_SERIAL: serial = optarg; break;
		case 'o': output = optarg; break;
		case OPT_TIMEOUT: {
			char *end;
			timeout_s = strtoul(optarg, &end, 10);
			if (!*optarg || *end || *optarg == '-') {
				pv_error("--timeout needs a number of seconds (got '%s')", optarg);
				return EXIT_USAGE;
			}
			break;
		}
		case OPT_IMAGE: abs_path(cap.meta.hypervisor, sizeof(cap.meta.hypervisor), optarg); break;
		case OPT_SYMBOLS: {
			char *end;
			long d = strtol(optarg, &end, 10);
			if (end == optarg || *end != '=' || d < 1 || d > 15 || !end[1]) {
				pv_error("--symbols takes D=ELF with D from 1 to 15 (got '%s')", optarg);
				return EXIT_USAGE;
			}
			abs_path(cap.meta.images[d], sizeof(cap.meta.images[d]), end + 1);
			break;
		}
		case 'h':
			fputs(capture_usage, stdout);
			return 0;
		default:
			fputs("see 'perfvisor capture --help'\n", stderr);
			return EXIT_USAGE;
		}
	}
	if (!serial || optind < argc) {
		pv_error(serial ? "unexpected argument '%s'" : "name the serial line or file with --serial DEV|FILE%s",
			 serial ? argv[optind] : "");
		return EXIT_USAGE;
	}

	int fd = open(serial, O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		pv_error("cannot open %s: %s%s", serial, strerror(errno),
			 errno == EACCES ? " (add yourself to the dialout group for a serial port)" : "");
		return 2;
	}
	struct stat st;
	fstat(fd, &st);
	bool is_file = S_ISREG(st.st_mode);
	if (isatty(fd) && setup_tty(fd, serial)) {
		close(fd);
		return 2;
	}
	str_copy(cap.meta.emulator, sizeof(cap.meta.emulator), isatty(fd) ? "serial" : "file");
	str_copy(cap.meta.command, sizeof(cap.meta.command), "perfvisor capture --serial ");
	str_append(cap.meta.command, sizeof(cap.meta.command), serial);
	pv_meta_set_recorded_now(&cap.meta);

	struct pv_parse_cb cb = { .ctx = &cap, .event = on_event, .text_line = on_text_line };
	pv_stream_init(&cap.ps, &cb);
	struct sigaction sa, old_int, old_term;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	capture_signal = 0;
	if (!is_file)
		fprintf(stderr, "perfvisor capture: reading %s (Ctrl-C to stop)\n", serial);

	double start = now_seconds();
	const char *why = NULL;
	int status = 1;
	uint8_t buf[16384];
	for (;;) {
		if (cap.ps.diag.have_end) {
			why = "the capture's END frame arrived";
			status = 0;
			break;
		}
		if (capture_signal) {
			why = "interrupted";
			break;
		}
		if (timeout_s && now_seconds() - start >= (double)timeout_s) {
			why = "timed out (--timeout)";
			break;
		}
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int pr = poll(&p, 1, 200);
		if (pr < 0 && errno != EINTR) {
			pv_error("poll %s: %s", serial, strerror(errno));
			why = "read error";
			break;
		}
		if (pr <= 0)
			continue;
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n > 0) {
			append(&cap, buf, (size_t)n);
			pv_stream_feed(&cap.ps, buf, (size_t)n);
		} else if (n == 0) {
			if (S_ISFIFO(st.st_mode) && !is_file && !cap.len) {
				sleep_ms(100); /* no writer yet */
				continue;
			}
			why = "end of input";
			break;
		} else if (errno != EAGAIN && errno != EINTR) {
			pv_error("read %s: %s", serial, strerror(errno));
			why = "read error";
			break;
		}
	}
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	close(fd);
	bool have_header = cap.ps.diag.have_header;
	pv_stream_finish(&cap.ps);
	fflush(stdout);
	fprintf(stderr, "perfvisor capture: stopped: %s%s\n", why,
		status ? (have_header ? " before the END frame: the capture is incomplete"
				      : "; no capture header was seen (was perfvisor booted with prof=1?)")
		       : "");
	if (pv_datafile_write(output, &cap.meta, cap.data, cap.len)) {
		fprintf(stderr, "perfvisor capture: cannot write %s: %s\n", output, strerror(errno));
		free(cap.data);
		return 2;
	}
	struct stat ost;
	double mb = stat(output, &ost) == 0 ? (double)ost.st_size / (1024.0 * 1024.0) : 0;
	fprintf(stderr, "[ perfvisor capture: Captured and wrote %.3f MB %s (%llu samples, %llu lost) ]\n", mb,
		output, (unsigned long long)cap.counts.samples,
		(unsigned long long)record_counts_lost(&cap.counts));
	free(cap.data);
	return status;
}
