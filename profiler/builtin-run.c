/* perfvisor run: boot perfvisor (or one guest natively) in Bochs or QEMU
 * and stream the console.  Exit status: 0 all domains exited with 0,
 * 1 some domain failed, 2 the run never finished (timeout, emulator died). */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bootspec.h"
#include "builtin.h"
#include "builtin-run.h"
#include "console.h"
#include "emulator.h"
#include "iso.h"
#include "symbols.h"
#include "util.h"

#define END_GRACE_S 5

/* "perfvisor run", or "perfvisor record" when record boots through run_boot. */
static const char *prog = "perfvisor run";

static const char run_usage[] =
	"usage: perfvisor run [OPTIONS] GUEST.elf[:ARGS] ...\n"
	"\n"
	"Boot perfvisor with one domain per GUEST in an emulator and print its console\n"
	"(lines tagged [<domain>:<name>]).  ARGS is the module command line (name=,\n"
	"mem=, budget=, guest options); name= defaults to the file name without .elf.\n"
	"\n"
	"  --emulator bochs|qemu  default: qemu with KVM if /dev/kvm and the CPU's vmx\n"
	"                         flag are there, else bochs (VT-x emulated)\n"
	"  --timeout SEC          stop after SEC seconds of wall time (default 0: never; a\n"
	"                         guest's budget=TICKS bounds its CPU time instead)\n"
	"  --keep                 keep the temporary directory (ISO, logs) and print it\n"
	"  --log FILE             also write the console to FILE\n"
	"  --hv-cmdline STR       hypervisor command line (e.g. slice=1000000)\n"
	"  --megs N               emulated RAM in MiB (default 256, raised to the\n"
	"                         guests' mem= sum + 64 if needed)\n"
	"  --native               boot the one GUEST alone, without perfvisor\n"
	"  --halt-fails           a domain that halts (HLT with interrupts off) without\n"
	"                         an exit status fails the run (default: it counts as\n"
	"                         status 0, as a Linux power-off ends in a halt)\n"
	"  --image PATH           hypervisor image (default: $PERFVISOR_IMAGE, else\n"
	"                         perfvisor.elf next to this program, else\n"
	"                         ../lib/perfvisor/perfvisor.elf from it: make install)\n"
	"  -q, --quiet            no informational lines on stderr (errors and warnings stay)\n"
	"  -h, --help             this text\n"
	"\n"
	"Exit status: 0 every domain exited with status 0 (--native: the guest wrote 0\n"
	"to port 0xf4 under QEMU, or stopped Bochs); 1 a domain failed; 2 the run did\n"
	"not finish (timeout, emulator exited early, setup error); 129 bad usage.\n";

enum { OPT_EMULATOR = 256, OPT_TIMEOUT, OPT_KEEP, OPT_LOG, OPT_HV_CMDLINE, OPT_MEGS, OPT_NATIVE, OPT_IMAGE,
       OPT_HALT_FAILS };

const struct option run_long_options[] = {
	{ "emulator", required_argument, NULL, OPT_EMULATOR },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "keep", no_argument, NULL, OPT_KEEP },
	{ "log", required_argument, NULL, OPT_LOG },
	{ "hv-cmdline", required_argument, NULL, OPT_HV_CMDLINE },
	{ "megs", required_argument, NULL, OPT_MEGS },
	{ "native", no_argument, NULL, OPT_NATIVE },
	{ "image", required_argument, NULL, OPT_IMAGE },
	{ "halt-fails", no_argument, NULL, OPT_HALT_FAILS },
	{ "quiet", no_argument, NULL, 'q' },
	{ NULL, 0, NULL, 0 },
};

static const struct option run_help_option[] = {
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};


/* State of the console while it streams. */
struct run_console {
	const struct boot_spec *bs; /* the guests, to name a stopped domain's RIP */
	FILE *log;
	bool native, halt_fails;
	unsigned domains_exited, domains_failed;
	bool no_vtx;
	char failed[256]; /* "name (status 3), other (stopped: ...)" */
	bool write_failed;
};

static int parse_unsigned(const char *opt, const char *s, unsigned max, unsigned *out)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (!*s || *end || errno || v > max || *s == '-') {
		pv_error("%s needs a number from 0 to %u (got '%s')", opt, max, s);
		return -1;
	}
	*out = (unsigned)v;
	return 0;
}

/* " (rip 0x100407 is spin_heavy+0x7 in crash.elf)" for a stop reason with "rip 0x...", from the
 * symbols of domain d's ELF (domains are numbered in the order of the guests), else "". */
static void stop_rip_symbol(const struct boot_spec *bs, int d, const char *reason, char *out, size_t len)
{
	const char *p = strstr(reason, "rip 0x");
	out[0] = '\0';
	if (!p || !bs || bs->native || d < 1 || (size_t)d > bs->nguests || bs->guests[d - 1].bzimage)
		return;
	char *end;
	unsigned long long ip = strtoull(p + 6, &end, 16);
	if (end == p + 6)
		return;
	const char *path = bs->guests[d - 1].path;
	struct symbols *s = symbols_new();
	char warn[512];
	struct report_sym sym;
	memset(&sym, 0, sizeof(sym));
	if (symbols_load(s, d, bs->guests[d - 1].name, path, CAP_IMAGE_ID_BUILD_ID, NULL, 0, warn, sizeof(warn)) == 0)
		symbols_resolve(s, NULL, d, ip, &sym);
	symbols_free(s);
	if (sym.name[0])
		snprintf(out, len, " (rip 0x%llx is %.100s+0x%llx in %.40s)", ip, sym.name, (unsigned long long)sym.symoff,
			 sym.dso);
}

static void note_failure(struct run_console *rc, const char *what)
{
	if (rc->failed[0])
		str_append(rc->failed, sizeof(rc->failed), ", ");
	str_append(rc->failed, sizeof(rc->failed), what);
}

static int on_console_line(void *ctx, const char *line, size_t len)
{
	struct run_console *rc = ctx;
	if (console_write_line(stdout, line, len) || fflush(stdout) == EOF)
		rc->write_failed = true;
	if (rc->log)
		console_write_line(rc->log, line, len);
	if (rc->native)
		return 0;
	struct console_line_info info;
	char what[256];
	switch (console_classify(line, len, &info)) {
	case CONSOLE_DOMAIN_EXIT:
		rc->domains_exited++;
		if (info.status != 0) {
			rc->domains_failed++;
			snprintf(what, sizeof(what), "%d:%s exited with status %d", info.domain, info.name,
				 info.status);
			note_failure(rc, what);
		}
		break;
	case CONSOLE_DOMAIN_HALT:
		rc->domains_exited++;
		if (rc->halt_fails) {
			rc->domains_failed++;
			snprintf(what, sizeof(what), "%d:%s halted without an exit status (--halt-fails)",
				 info.domain, info.name);
			note_failure(rc, what);
		}
		break;
	case CONSOLE_DOMAIN_STOP: {
		char where[200] = "";
		stop_rip_symbol(rc->bs, info.domain, info.reason, where, sizeof(where));
		rc->domains_exited++;
		rc->domains_failed++;
		snprintf(what, sizeof(what), "%d:%s stopped: %s%s", info.domain, info.name, info.reason, where);
		note_failure(rc, what);
		break;
	}
	case CONSOLE_NO_VTX:
		rc->no_vtx = true;
		break;
	default:
		break;
	}
	return 0;
}

static void print_where(const char *dir, const struct emu_result *res)
{
	fprintf(stderr, "%s: console: %s\n", prog, res->console_path);
	fprintf(stderr, "%s: emulator output: %s\n", prog, res->emu_log_path);
	if (res->bochs_log_path)
		fprintf(stderr, "%s: bochs log: %s\n", prog, res->bochs_log_path);
	fprintf(stderr, "%s: kept %s\n", prog, dir);
}

/* First line of the Bochs log with a PANIC (panic: action=fatal stops it),
 * other than the one the Shutdown port (0x8900) raises by design. */
static bool bochs_panic(const char *log, char *out, size_t len)
{
	FILE *f = log ? fopen(log, "re") : NULL;
	if (!f)
		return false;
	char line[1024];
	bool found = false;
	while (!found && fgets(line, sizeof(line), f)) {
		if (strstr(line, ">>PANIC<<") && !strstr(line, "Shutdown port")) {
			line[strcspn(line, "\r\n")] = '\0';
			str_copy(out, len, line);
			found = true;
		}
	}
	fclose(f);
	return found;
}

/* Whether QEMU complained about something other than a warning (an exit
 * status of 1 is then its own failure, not a guest's debug-exit of 0). */
static bool qemu_error_logged(const char *log)
{
	FILE *f = fopen(log, "re");
	if (!f)
		return false;
	char line[1024];
	bool err = false;
	while (!err && fgets(line, sizeof(line), f))
		if (line[0] != '\n' && !strstr(line, "warning"))
			err = true;
	fclose(f);
	return err;
}

/* --native: decide from how the emulator stopped. */
static int native_status(const struct emu_config *ec, const struct emu_result *res, bool *keep_dir)
{
	char why[128];
	describe_wait_status(res->wait_status, why, sizeof(why));
	if (res->outcome == EMU_TIMEOUT) {
		fprintf(stderr, "%s: timed out after %u s (--timeout): the guest never stopped; %s was killed\n", prog,
			ec->timeout_s, emu_name(ec->kind));
		*keep_dir = true;
		return 2;
	}
	if (ec->kind == EMU_BOCHS) {
		char panic[512];
		if (!res->console_created) {
			fprintf(stderr, "%s: bochs %s without starting the machine\n", prog, why);
			print_file_tail(res->emu_log_path, 8);
			*keep_dir = true;
			return 2;
		}
		if (bochs_panic(res->bochs_log_path, panic, sizeof(panic))) {
			fprintf(stderr, "%s: bochs stopped on a panic: %s\n", prog, panic);
			*keep_dir = true;
			return 2;
		}
		/* Bochs cannot return the guest's status; any exit is the guest's. */
		return 0;
	}
	/* QEMU: isa-debug-exit makes it exit with (value << 1) | 1. */
	if (WIFEXITED(res->wait_status) && (WEXITSTATUS(res->wait_status) & 1) &&
	    !(WEXITSTATUS(res->wait_status) == 1 && qemu_error_logged(res->emu_log_path))) {
		int v = WEXITSTATUS(res->wait_status) >> 1;
		if (v == 0)
			return 0;
		fprintf(stderr, "%s: the guest exited with status %d\n", prog, v);
		return 1;
	}
	fprintf(stderr, "%s: qemu %s without a status from the guest on port 0xf4 "
			"(reset, power-off or a QEMU error)\n", prog, why);
	print_file_tail(res->emu_log_path, 8);
	*keep_dir = true;
	return 2;
}

static int run_status(const struct emu_config *ec, const struct emu_result *res, const struct run_console *rc,
		      bool *keep_dir)
{
	char why[128], panic[512];
	describe_wait_status(res->wait_status, why, sizeof(why));
	switch (res->outcome) {
	case EMU_END:
		if (res->end_status == 0 && !(rc->halt_fails && rc->domains_failed))
			return 0;
		if (rc->no_vtx)
			fprintf(stderr, "%s: VT-x not available on this (emulated) CPU; see above%s\n", prog,
				ec->kind == EMU_QEMU && !ec->kvm ? " (QEMU without KVM has no VT-x: use "
								   "--emulator bochs)" : "");
		else if (rc->domains_failed)
			fprintf(stderr, "%s: %u domain%s failed (%s); see above\n", prog, rc->domains_failed,
				rc->domains_failed == 1 ? "" : "s", rc->failed);
		else
			fprintf(stderr, "%s: perfvisor ended with status %d; see above\n", prog,
				res->end_status);
		return 1;
	case EMU_TIMEOUT:
		fprintf(stderr,
			"%s: timed out after %u s (--timeout) before 'perfvisor: end status=': "
			"%s was killed\n", prog, ec->timeout_s, emu_name(ec->kind));
		break;
	case EMU_EXITED:
		fprintf(stderr, "%s: %s %s before 'perfvisor: end status=' was printed\n", prog,
			emu_name(ec->kind), why);
		if (ec->kind == EMU_BOCHS && bochs_panic(res->bochs_log_path, panic, sizeof(panic)))
			fprintf(stderr, "%s: bochs stopped on a panic: %s\n", prog, panic);
		if (!res->console_created || (WIFEXITED(res->wait_status) && WEXITSTATUS(res->wait_status) == 127))
			print_file_tail(res->emu_log_path, 8);
		break;
	default:
		fprintf(stderr, "%s: stopped before 'perfvisor: end status='\n", prog);
		break;
	}
	*keep_dir = true;
	return 2;
}

static const char *signal_name(int sig)
{
	switch (sig) {
	case SIGINT: return "SIGINT";
	case SIGTERM: return "SIGTERM";
	case SIGHUP: return "SIGHUP";
	case SIGPIPE: return "SIGPIPE";
	default: return strsignal(sig);
	}
}

void run_opts_init(struct run_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->emulator = -1;
	o->timeout_s = DEFAULT_TIMEOUT_S;
}

int run_handle_option(int c, const char *arg, struct run_opts *o)
{
	switch (c) {
	case OPT_EMULATOR:
		if (!strcmp(arg, "bochs"))
			o->emulator = EMU_BOCHS;
		else if (!strcmp(arg, "qemu"))
			o->emulator = EMU_QEMU;
		else {
			pv_error("--emulator takes bochs or qemu (got '%s')", arg);
			return EXIT_USAGE;
		}
		return -1;
	case OPT_TIMEOUT:
		return parse_unsigned("--timeout", arg, 1000000, &o->timeout_s) ? EXIT_USAGE : -1;
	case OPT_MEGS:
		if (parse_unsigned("--megs", arg, 65536, &o->megs))
			return EXIT_USAGE;
		if (o->megs < 4) {
			pv_error("--megs needs at least 4 MiB");
			return EXIT_USAGE;
		}
		return -1;
	case OPT_KEEP: o->keep = true; return -1;
	case OPT_NATIVE: o->native = true; return -1;
	case OPT_HALT_FAILS: o->halt_fails = true; return -1;
	case 'q': o->quiet = true; return -1;
	case OPT_LOG: o->log = arg; return -1;
	case OPT_HV_CMDLINE: o->hv_cmdline = arg; return -1;
	case OPT_IMAGE: o->image = arg; return -1;
	default: return 0;
	}
}

int run_parse_options(int argc, char **argv, struct run_opts *o)
{
	run_opts_init(o);
	struct option opts[sizeof(run_long_options) / sizeof(run_long_options[0]) + 1];
	size_t n = 0;
	for (; run_long_options[n].name; n++)
		opts[n] = run_long_options[n];
	opts[n++] = run_help_option[0];
	opts[n] = run_help_option[1];
	optind = 1;
	int c;
	while ((c = getopt_long(argc, argv, "hq", opts, NULL)) != -1) {
		if (c == 'h') {
			fputs(run_usage, stdout);
			return 0;
		}
		int r = run_handle_option(c, optarg, o);
		if (r == -1)
			continue;
		if (r == 0)
			fputs("see 'perfvisor run --help'\n", stderr);
		return EXIT_USAGE;
	}
	return -1;
}

unsigned run_choose_megs(const struct run_opts *o, const struct boot_spec *bs)
{
	unsigned megs = o->megs ? o->megs : DEFAULT_MEGS;
	if (bs->native)
		return megs;
	/* GRUB loads the guests' files (kernels, initrds, modules) into RAM beside perfvisor */
	unsigned files = guests_files_megs(bs->guests, bs->nguests);
	unsigned need = guests_total_mem(bs->guests, bs->nguests) + files + HV_RESERVED_MEGS;
	if (megs < need) {
		if (o->megs)
			pv_info("raising --megs %u to %u MiB: the guests ask for %u MiB (mem=), their "
				"files take %u and perfvisor %u", o->megs, need,
				need - files - HV_RESERVED_MEGS, files, HV_RESERVED_MEGS);
		megs = need;
	}
	return megs;
}

int cmd_run(int argc, char **argv)
{
	struct run_opts o;
	int r = run_parse_options(argc, argv, &o);
	if (r >= 0)
		return r;
	if (optind >= argc) {
		pv_error("no guest given");
		fputs(run_usage, stderr);
		return EXIT_USAGE;
	}
	return run_boot(&o, argv + optind, argc - optind, NULL);
}

/* An interval the tests shorten through the environment (tests/cli/cli-checks.sh), else def. */
static unsigned env_seconds(const char *name, unsigned def)
{
	const char *v = getenv(name);
	char *end;
	unsigned long n = v && *v ? strtoul(v, &end, 10) : 0;
	return v && *v && !*end && n > 0 && n < 100000 ? (unsigned)n : def;
}

/* The hypervisor command line: --hv-cmdline, then what the caller adds (new string or NULL). */
static char *hv_cmdline_with(const char *user, const char *extra)
{
	if (!extra || !*extra)
		return user ? xstrdup(user) : NULL;
	if (!user || !*user)
		return xstrdup(extra);
	return xasprintf("%s %s", user, extra);
}

int run_boot(const struct run_opts *opts, char *const guests[], int nguests, const struct run_hooks *hooks)
{
	static const struct run_hooks no_hooks;
	if (!hooks)
		hooks = &no_hooks;
	prog = hooks->prog ? hooks->prog : "perfvisor run";
	struct run_opts o = *opts;
	char *hv_cmdline = hv_cmdline_with(o.hv_cmdline, hooks->hv_args);
	struct boot_spec bs;
	int bad = boot_spec_init(&bs, o.native, o.image, hv_cmdline, guests, nguests);
	free(hv_cmdline);
	if (bad)
		return 2;

	struct emu_config ec = {
		.native = o.native,
		.lenient_msrs = o.native && bs.nguests == 1 && bs.guests[0].bzimage,
		.timeout_s = o.timeout_s,
		.silent_s = env_seconds("PERFVISOR_SILENT_S", SILENT_WARN_S),
		.grace_s = END_GRACE_S,
		.megs = run_choose_megs(&o, &bs),
	};
	char why[160];
	bool kvm = emu_kvm_usable(why, sizeof(why));
	if (o.emulator < 0) {
		ec.kind = kvm ? EMU_QEMU : EMU_BOCHS;
		if (!o.quiet)
			fprintf(stderr, "%s: using %s: %s\n", prog, kvm ? "qemu with KVM" : "bochs", why);
	} else {
		ec.kind = o.emulator;
	}
	if (ec.kind == EMU_QEMU) {
		ec.kvm = kvm;
		if (!kvm && !o.native)
			pv_warn("QEMU without KVM emulates no VT-x, so perfvisor will stop with a 'VT-x not "
				"available' error; use --emulator bochs [%s]", why);
	}

	int refused = emu_check(&ec) ? 2 : hooks->start ? hooks->start(hooks->ctx, &bs, &ec) : 0;
	if (refused) {
		boot_spec_free(&bs);
		return refused > 0 ? refused : 2;
	}
	int status = 2;
	bool keep_dir = o.keep;
	FILE *log = NULL;
	struct run_console rc = { .bs = &bs, .native = o.native, .halt_fails = o.halt_fails };
	struct emu_result res = { 0 };
	char *dir = make_temp_dir();
	if (!dir)
		goto out_spec;
	char *iso = path_join(dir, "perfvisor.iso");
	struct iso_desc desc = boot_spec_iso_desc(&bs);
	if (iso_build(&desc, dir, iso))
		goto out;
	if (o.log) {
		log = fopen(o.log, "we");
		if (!log) {
			pv_error("cannot create the log %s: %s", o.log, strerror(errno));
			goto out;
		}
		rc.log = log;
	}

	ec.workdir = dir;
	ec.iso = iso;
	ec.on_line = on_console_line;
	ec.ctx = &rc;
	ec.watch_stdout = true;
	ec.filter = hooks->filter;
	ec.filter_ctx = hooks->ctx;
	ec.tick = hooks->tick;
	if (emu_run(&ec, &res))
		goto out;
	if (res.outcome == EMU_INTERRUPTED) {
		if (res.signal != SIGPIPE)
			fprintf(stderr, "%s: interrupted (%s): %s stopped\n", prog, signal_name(res.signal),
				emu_name(ec.kind));
		status = 128 + res.signal;
	} else if (o.native) {
		status = native_status(&ec, &res, &keep_dir);
	} else {
		status = run_status(&ec, &res, &rc, &keep_dir);
	}
	if (status == 2)
		print_where(dir, &res);
	else if (keep_dir)
		fprintf(stderr, "%s: kept %s\n", prog, dir);
out:
	if (log && fclose(log) != 0) {
		pv_error("cannot write the log %s: %s", o.log, strerror(errno));
		if (status == 0)
			status = 2;
	}
	if (!keep_dir)
		remove_tree(dir);
	emu_result_free(&res);
	free(iso);
	free(dir);
out_spec:
	boot_spec_free(&bs);
	return status;
}
