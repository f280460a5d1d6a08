/* Booting an ISO in Bochs or QEMU and streaming its COM1 console.
 * Used by `perfvisor run` and meant for the other subcommands that boot
 * perfvisor (record): describe the run in a struct emu_config, get each
 * console line (and, if wanted, the raw bytes) through callbacks. */
#ifndef PROFILER_EMULATOR_H
#define PROFILER_EMULATOR_H

#include <stdbool.h>
#include <stddef.h>

enum emu_kind { EMU_BOCHS, EMU_QEMU };

/* Bochs' cpu: ips= in the bochsrc we write.  Its TSC advances one tick per instruction, and
 * emulated time is instructions / ips, so the guests see a TSC of this many Hz
 * (shared/EMULATORS.md): what record -F is checked against. */
#define EMU_BOCHS_IPS 50000000u

struct emu_config {
	enum emu_kind kind;
	bool kvm;            /* QEMU: -enable-kvm -cpu host,+vmx,pmu=on (else -cpu max) */
	bool native;         /* no hypervisor: no "end status=" line; run until the emulator exits */
	bool lenient_msrs;   /* Bochs: ignore_bad_msrs=1, an MSR its CPU model lacks reads 0 instead
	                      * of #GP: a Linux kernel booted natively reads IA32_MISC_ENABLE (1A0H)
	                      * in its first instructions, which Bochs' model does not have */
	const char *workdir; /* the emulator runs here; bochsrc, com1.txt and logs are written here */
	const char *iso;     /* the ISO to boot from CD */
	unsigned megs;       /* guest RAM of the emulated machine */
	unsigned timeout_s;  /* 0: none */
	unsigned silent_s;   /* warn once (on stderr) when no serial byte came for this long; 0: never */
	unsigned grace_s;    /* how long the emulator may take to exit after "end status=" */
	bool watch_stdout;   /* stop (as on SIGPIPE) when stdout is a pipe whose reader has gone */
	/* Each complete console line, '\r' removed, without '\n'.  Return
	 * nonzero to stop the run (the emulator is killed). */
	int (*on_line)(void *ctx, const char *line, size_t len);
	/* Optional: every chunk of raw serial bytes as it arrives (binary
	 * records share COM1 with the console). */
	void (*on_data)(void *ctx, const char *data, size_t len);
	void *ctx;
	/* Optional: separates the console text from other data sharing the serial line (record:
	 * the binary capture frames).  Gets every raw chunk and calls text() with the console
	 * bytes in it, which are then split into lines for on_line; without a filter all bytes
	 * are console text. */
	void (*filter)(void *fctx, const char *data, size_t len,
		       void (*text)(void *tctx, const char *t, size_t n), void *tctx);
	void *filter_ctx;
	/* Optional: called on every poll (about every POLL_MS) with the seconds since the start
	 * (record's progress line). */
	void (*tick)(void *fctx, double elapsed_s);
};

enum emu_outcome {
	EMU_END,         /* "perfvisor: end status=<s>" was seen */
	EMU_EXITED,      /* the emulator exited before that (or, native: exited) */
	EMU_TIMEOUT,     /* timeout_s passed: the emulator was killed */
	EMU_INTERRUPTED, /* SIGINT/SIGTERM/SIGHUP/SIGPIPE: the emulator was killed */
	EMU_STOPPED,     /* on_line asked to stop */
	EMU_FAILED,      /* could not be started (message printed) */
};

struct emu_result {
	enum emu_outcome outcome;
	int end_status;       /* EMU_END: s */
	bool exited;          /* the emulator exited on its own... */
	int wait_status;      /* ...with this waitpid status */
	bool killed;          /* we had to kill it */
	int signal;           /* EMU_INTERRUPTED: which signal */
	bool console_created; /* the emulator got as far as opening the COM1 file */
	double seconds;       /* wall time of the emulator */
	char *console_path;   /* workdir/com1.txt */
	char *emu_log_path;   /* workdir/emulator.log: the emulator's stdout+stderr */
	char *bochs_log_path; /* workdir/bochs.log (Bochs only) */
};

const char *emu_name(enum emu_kind kind);
/* Whether QEMU can use KVM with nested VT-x here; why (or why not) in why. */
bool emu_kvm_usable(char *why, size_t len);
/* Whether the emulator cfg->kind and its ROMs are installed (message printed
 * if not); emu_run checks too, this lets a caller fail before building. */
int emu_check(const struct emu_config *cfg);
/* Boot, stream, stop.  Returns 0 when the emulator ran (see res->outcome),
 * -1 if it could not be started (message printed). */
int emu_run(const struct emu_config *cfg, struct emu_result *res);
void emu_result_free(struct emu_result *res);

#endif
