/* Booting an ISO in Bochs or QEMU and streaming its COM1 console.
 * The emulator writes COM1 to a file (both support it without a tty); we
 * poll that file and hand each new complete line to the caller. */
#define _GNU_SOURCE
#include "emulator.h"
#include "../include/perfvisor/limits.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "console.h"
#include "util.h"

#define POLL_MS 20
#define BOCHS_BIOS "/usr/share/bochs/BIOS-bochs-latest" /* package bochsbios */
#define VGA_BIOS "/usr/share/vgabios/vgabios.bin"       /* package vgabios */

const char *emu_name(enum emu_kind kind)
{
	return kind == EMU_QEMU ? "qemu" : "bochs";
}

bool emu_kvm_usable(char *why, size_t len)
{
	if (access("/dev/kvm", F_OK) < 0) {
		snprintf(why, len, "no /dev/kvm");
		return false;
	}
	if (access("/dev/kvm", R_OK | W_OK) < 0) {
		snprintf(why, len, "no permission to use /dev/kvm (%s)", strerror(errno));
		return false;
	}
	FILE *f = fopen("/proc/cpuinfo", "re");
	bool vmx = false;
	if (f) {
		char line[8192];
		while (!vmx && fgets(line, sizeof(line), f)) {
			if (strncmp(line, "flags", 5))
				continue;
			/* Whole-word match: " vmx" followed by a blank or the end. */
			for (char *p = line; (p = strstr(p, " vmx")); p += 4)
				if (p[4] == ' ' || p[4] == '\n' || p[4] == '\0')
					vmx = true;
		}
		fclose(f);
	}
	if (!vmx) {
		snprintf(why, len, "/dev/kvm exists but the CPU has no vmx flag (nested VT-x unavailable)");
		return false;
	}
	snprintf(why, len, "/dev/kvm is usable and the CPU has vmx");
	return true;
}

/* ------------------------------------------------------------ signals */

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	if (!stop_signal)
		stop_signal = sig;
}

static const int handled_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGPIPE };
#define NSIG_HANDLED (sizeof(handled_signals) / sizeof(handled_signals[0]))

static void install_handlers(struct sigaction *old)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	stop_signal = 0;
	for (size_t i = 0; i < NSIG_HANDLED; i++)
		sigaction(handled_signals[i], &sa, &old[i]);
}

static void restore_handlers(const struct sigaction *old)
{
	for (size_t i = 0; i < NSIG_HANDLED; i++)
		sigaction(handled_signals[i], &old[i], NULL);
}

/* A pipe's write end polls POLLERR once its reader is gone: lets `run | head`
 * stop even while the guest prints nothing (no write, so no SIGPIPE). */
static bool stdout_reader_gone(void)
{
	struct stat st;
	if (fstat(1, &st) < 0 || !(S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode)))
		return false;
	struct pollfd p = { .fd = 1, .events = 0 };
	return poll(&p, 1, 0) == 1 && (p.revents & (POLLERR | POLLHUP));
}

/* ------------------------------------------------------------ config */

static char *bochsrc_text(const struct emu_config *cfg, const char *iso)
{
	/* The settings of shared/EMULATORS.md: a Skylake-X model (full enough
	 * VMX), deterministic clock, no PMU MSRs faked (ignore_bad_msrs=0), and
	 * no tty needed (term display with TERM=dumb, debugger driven by -rc). */
	return xasprintf("# written by perfvisor run\n"
			 "cpu: model=corei7_skylake_x, count=1, ips=%u, reset_on_triple_fault=0, "
			 "ignore_bad_msrs=%d\n"
			 "clock: sync=none, time0=946681200\n"
			 "megs: %u\n"
			 "romimage: file=%s\n"
			 "vgaromimage: file=%s\n"
			 "ata0-master: type=cdrom, path=\"%s\", status=inserted\n"
			 "boot: cdrom\n"
			 "com1: enabled=1, mode=file, dev=com1.txt\n"
			 /* port 0xE9 reads back 0xE9: how the hypervisor knows it
			  * runs in Bochs and may use the shutdown port (arch/x86/emulator.c) */
			 "port_e9_hack: enabled=1\n"
			 "display_library: term\n"
			 "panic: action=fatal\n"
			 "speaker: enabled=0\n"
			 "log: bochs.log\n",
			 EMU_BOCHS_IPS, cfg->lenient_msrs, cfg->megs, BOCHS_BIOS, VGA_BIOS, iso);
}

static const char *emu_binary(const struct emu_config *cfg);

/* argv for the emulator (strings owned by *store). */
static char **build_argv(const struct emu_config *cfg, const char *iso, char **store, size_t nstore)
{
	char **argv = xmalloc(24 * sizeof(char *));
	size_t n = 0;
	(void)nstore;
	if (cfg->kind == EMU_BOCHS) {
		argv[n++] = (char *)emu_binary(cfg);
		argv[n++] = "-q";
		argv[n++] = "-f";
		argv[n++] = "bochsrc";
		argv[n++] = "-rc";
		argv[n++] = "bochs.rc";
	} else {
		argv[n++] = (char *)emu_binary(cfg);
		argv[n++] = "-cdrom";
		argv[n++] = store[0] = xstrdup(iso);
		argv[n++] = "-boot";
		argv[n++] = "d";
		argv[n++] = "-serial";
		argv[n++] = "file:com1.txt";
		argv[n++] = "-display";
		argv[n++] = "none";
		argv[n++] = "-monitor";
		argv[n++] = "none";
		argv[n++] = "-no-reboot";
		argv[n++] = "-m";
		argv[n++] = store[1] = xasprintf("%u", cfg->megs);
		/* Port 0xF4: the guest or the hypervisor writes its status, QEMU
		 * exits with (status << 1) | 1. */
		argv[n++] = "-device";
		argv[n++] = "isa-debug-exit,iobase=0xf4,iosize=0x04";
		if (cfg->kvm) {
			argv[n++] = "-enable-kvm";
			argv[n++] = "-cpu";
			argv[n++] = "host,+vmx,pmu=on";
		} else {
			argv[n++] = "-cpu";
			argv[n++] = "max";
		}
	}
	argv[n] = NULL;
	return argv;
}

static const char *emu_binary(const struct emu_config *cfg)
{
	const char *bin = getenv(cfg->kind == EMU_BOCHS ? "PERFVISOR_BOCHS" : "PERFVISOR_QEMU");
	if (bin && *bin)
		return bin;
	return cfg->kind == EMU_BOCHS ? "bochs" : "qemu-system-x86_64";
}

int emu_check(const struct emu_config *cfg)
{
	const char *bin = emu_binary(cfg);
	char *found = find_in_path(bin);
	if (!found) {
		if (cfg->kind == EMU_BOCHS)
			pv_error("%s not found: install the packages bochs bochsbios bochs-term vgabios "
				 "(or run make deps)", bin);
		else
			pv_error("%s not found: install the package qemu-system-x86 (or run make deps)", bin);
		return -1;
	}
	free(found);
	if (cfg->kind == EMU_BOCHS) {
		if (cfg->megs > PV_BOCHS_MAX_MEGS) {
			pv_error("Bochs emulates at most %u MiB of RAM, and this run needs %u MiB (the "
				 "guests' mem=, the files GRUB loads for them and perfvisor's own): lower mem=, or use --emulator qemu",
				 PV_BOCHS_MAX_MEGS, cfg->megs);
			return -1;
		}
		if (access(BOCHS_BIOS, R_OK) < 0) {
			pv_error("%s missing: install the package bochsbios", BOCHS_BIOS);
			return -1;
		}
		if (access(VGA_BIOS, R_OK) < 0) {
			pv_error("%s missing: install the package vgabios", VGA_BIOS);
			return -1;
		}
	}
	return 0;
}

/* ------------------------------------------------------------ process */

static pid_t spawn(const struct emu_config *cfg, char **argv, const char *log_path)
{
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid < 0) {
		pv_error("fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		/* Own process group, so that a timeout or ^C kills the emulator
		 * and anything it started; and die with us if we are killed. */
		setpgid(0, 0);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(127);
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGPIPE, SIG_DFL);
		int in = open("/dev/null", O_RDONLY);
		int out = open(log_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (in < 0 || out < 0 || chdir(cfg->workdir) < 0)
			_exit(127);
		dup2(in, 0);
		dup2(out, 1);
		dup2(out, 2);
		if (cfg->kind == EMU_BOCHS)
			setenv("TERM", "dumb", 1); /* display_library: term needs a TERM */
		execvp(argv[0], argv);
		dprintf(2, "perfvisor: cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	setpgid(pid, pid);
	return pid;
}

/* SIGTERM the emulator's process group, SIGKILL it after a second. */
static int kill_group(pid_t pid)
{
	int status = 0;
	kill(-pid, SIGTERM);
	for (int i = 0; i < 50; i++) {
		pid_t r = waitpid(pid, &status, WNOHANG);
		if (r == pid)
			goto reaped;
		if (r < 0 && errno != EINTR)
			return 0;
		sleep_ms(POLL_MS);
	}
	kill(-pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
reaped:
	kill(-pid, SIGKILL); /* anything left in the group */
	return status;
}

/* ------------------------------------------------------------ streaming */

struct stream {
	const struct emu_config *cfg;
	struct line_splitter ls;
	int fd;
	bool end_seen;
	int end_status;
	bool stop_requested;
	double last_data;   /* now_seconds() of the last serial bytes (or of the start) */
};

static void emit_line(void *ctx, const char *line, size_t len)
{
	struct stream *s = ctx;
	if (!s->cfg->native && !s->end_seen) {
		struct console_line_info info;
		if (console_classify(line, len, &info) == CONSOLE_END) {
			s->end_seen = true;
			s->end_status = info.status;
		}
	}
	if (s->cfg->on_line && s->cfg->on_line(s->cfg->ctx, line, len))
		s->stop_requested = true;
}

static void feed_text(void *ctx, const char *t, size_t n)
{
	struct stream *s = ctx;
	line_splitter_feed(&s->ls, t, n, emit_line, s);
}

/* Read whatever the emulator has appended to the COM1 file. */
static void pump(struct stream *s, const char *path)
{
	if (s->fd < 0) {
		s->fd = open(path, O_RDONLY | O_CLOEXEC);
		if (s->fd < 0)
			return;
	}
	char buf[16384];
	ssize_t n;
	while ((n = read(s->fd, buf, sizeof(buf))) > 0) {
		s->last_data = now_seconds();
		if (s->cfg->on_data)
			s->cfg->on_data(s->cfg->ctx, buf, n);
		if (s->cfg->filter)
			s->cfg->filter(s->cfg->filter_ctx, buf, n, feed_text, s);
		else
			line_splitter_feed(&s->ls, buf, n, emit_line, s);
	}
}

int emu_run(const struct emu_config *cfg, struct emu_result *res)
{
	memset(res, 0, sizeof(*res));
	res->outcome = EMU_FAILED;
	res->console_path = path_join(cfg->workdir, "com1.txt");
	res->emu_log_path = path_join(cfg->workdir, "emulator.log");
	if (cfg->kind == EMU_BOCHS)
		res->bochs_log_path = path_join(cfg->workdir, "bochs.log");

	char iso[PATH_MAX];
	if (!realpath(cfg->iso, iso)) {
		pv_error("cannot find the ISO %s: %s", cfg->iso, strerror(errno));
		return -1;
	}
	if (cfg->kind == EMU_BOCHS && strpbrk(iso, "\",")) {
		pv_error("Bochs cannot take the ISO path %s (it has a quote or comma): set TMPDIR", iso);
		return -1;
	}

	char *store[2] = { NULL, NULL };
	char **argv = build_argv(cfg, iso, store, 2);
	int rc = -1;
	if (emu_check(cfg))
		goto out;
	if (cfg->kind == EMU_BOCHS) {
		char *rcfile = path_join(cfg->workdir, "bochs.rc");
		char *rcpath = path_join(cfg->workdir, "bochsrc");
		char *text = bochsrc_text(cfg, iso);
		/* The Debian build always stops in its debugger: continue, then quit
		 * when the guest asks Bochs to stop. */
		int bad = write_file(rcfile, "c\nquit\n") || write_file(rcpath, text);
		free(text);
		free(rcfile);
		free(rcpath);
		if (bad)
			goto out;
	}

	struct sigaction old[NSIG_HANDLED];
	install_handlers(old);
	struct stream s = { .cfg = cfg, .fd = -1 };
	double start = now_seconds(), grace_until = 0;
	bool told_silent = false;
	s.last_data = start;
	pid_t pid = spawn(cfg, argv, res->emu_log_path);
	if (pid < 0) {
		restore_handlers(old);
		goto out;
	}
	rc = 0;
	for (;;) {
		pump(&s, res->console_path);
		int status;
		pid_t r = waitpid(pid, &status, WNOHANG);
		if (r == pid) {
			res->exited = true;
			res->wait_status = status;
			pump(&s, res->console_path); /* drain what it wrote last */
			line_splitter_flush(&s.ls, emit_line, &s);
			res->outcome = s.end_seen ? EMU_END : EMU_EXITED;
			break;
		}
		double now = now_seconds();
		if (cfg->tick)
			cfg->tick(cfg->filter_ctx, now - start);
		if (cfg->silent_s && !told_silent && !s.end_seen && now - s.last_data >= cfg->silent_s) {
			/* No default timeout cuts a long recording short; a hang is ended by the user. */
			pv_warn("nothing on the serial line for %u s; %s is still running. If a guest hangs: ^C "
				"stops it (the data so far is kept), and budget=TICKS (per guest) or --timeout SEC "
				"bound a run", cfg->silent_s, emu_name(cfg->kind));
			told_silent = true;
		}
		if (!stop_signal && cfg->watch_stdout && stdout_reader_gone())
			stop_signal = SIGPIPE;
		if (stop_signal) {
			res->outcome = EMU_INTERRUPTED;
			res->signal = stop_signal;
		} else if (s.stop_requested) {
			res->outcome = EMU_STOPPED;
		} else if (s.end_seen) {
			if (grace_until == 0)
				grace_until = now + cfg->grace_s;
			if (now < grace_until) {
				sleep_ms(POLL_MS);
				continue;
			}
			res->outcome = EMU_END;
		} else if (cfg->timeout_s && now - start >= cfg->timeout_s) {
			res->outcome = EMU_TIMEOUT;
		} else {
			sleep_ms(POLL_MS);
			continue;
		}
		res->wait_status = kill_group(pid);
		res->killed = true;
		if (res->outcome != EMU_INTERRUPTED) {
			pump(&s, res->console_path);
			line_splitter_flush(&s.ls, emit_line, &s);
		}
		break;
	}
	res->seconds = now_seconds() - start;
	res->end_status = s.end_status;
	if (res->outcome == EMU_EXITED && s.end_seen)
		res->outcome = EMU_END;
	res->console_created = s.fd >= 0 || access(res->console_path, F_OK) == 0;
	if (s.fd >= 0)
		close(s.fd);
	line_splitter_free(&s.ls);
	restore_handlers(old);
out:
	free(store[0]);
	free(store[1]);
	free(argv);
	return rc;
}

void emu_result_free(struct emu_result *res)
{
	free(res->console_path);
	free(res->emu_log_path);
	free(res->bochs_log_path);
	memset(res, 0, sizeof(*res));
}
