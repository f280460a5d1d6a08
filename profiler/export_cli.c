/* perfvisor script / convert: reading the capture and its symbols into the export model, as
 * perfvisor report does (the images the capture's metadata names, checked against the image
 * ids of its header; --symbols D=ELF overrides). */
#define _GNU_SOURCE
#include "export_cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guest_syms.h"
#include "image_symbols.h"
#include "symbols.h"
#include "util.h"

int export_cli_option(struct export_input *in, int opt, const char *arg)
{
	if (opt == EXPORT_OPT_NO_DEMANGLE) {
		in->raw_names = true;
		return 0;
	}
	if (opt == EXPORT_OPT_SYMBOLS) {
		char *end;
		long d = strtol(arg, &end, 10);
		if (end == arg || *end != '=' || d < 0 || d >= CAP_MAX_DOMAINS || !end[1]) {
			pv_error("--symbols takes DOMAIN=ELF with DOMAIN from 0 (the hypervisor) to 15 (got '%s')", arg);
			return -1;
		}
		in->override[d] = end + 1;
		return 0;
	}
	char why[512];
	if (!in->gs)
		in->gs = guest_syms_new();
	int rc = opt == EXPORT_OPT_GUEST_KALLSYMS ? guest_syms_add_kallsyms(in->gs, arg, why, sizeof(why))
		 : opt == EXPORT_OPT_GUEST_VMLINUX ? guest_syms_add_vmlinux(in->gs, arg, why, sizeof(why))
						   : guest_syms_add_root(in->gs, arg, why, sizeof(why));
	if (rc) {
		pv_error("--%s %s", opt == EXPORT_OPT_GUEST_KALLSYMS ? "guest-kallsyms" :
				    opt == EXPORT_OPT_GUEST_VMLINUX ? "guest-vmlinux" : "guest-root", why);
		return -1;
	}
	return 0;
}

void export_cli_done(struct export_input *in)
{
	guest_syms_free(in->gs);
	in->gs = NULL;
}

int export_cli_load(const char *cmd, struct export_input *in, struct export *x)
{
	const char *input = in->input;
	if (access(input, R_OK) < 0) {
		fprintf(stderr, "perfvisor %s: cannot open %s: %s — run 'perfvisor record -g -- GUEST.elf' first%s\n",
			cmd, input, strerror(errno), in->input_given ? "" : " (or name a file with -i)");
		return 1;
	}
	static struct pv_meta meta;
	uint8_t *stream = NULL;
	size_t len = 0;
	char err[256] = "";
	if (pv_datafile_read(input, &meta, &stream, &len, err, sizeof(err))) {
		fprintf(stderr, "perfvisor %s: %s — is it a file written by 'perfvisor record' or 'perfvisor capture'?\n",
			cmd, err[0] ? err : strerror(errno));
		return 1;
	}
	struct image_symbols cs = { .syms = symbols_new(), .meta = &meta, .override = in->override,
				    .gs = in->gs ? in->gs : guest_syms_new() };
	symbols_set_demangle(cs.syms, !in->raw_names);
	if (in->gs) {
		struct pv_parse_cb acb = { .ctx = cs.gs, .event = image_symbols_anchor_event };
		pv_capture_parse(stream, len, NULL, &acb, NULL);
	}
	struct report_resolver res = { .ctx = &cs, .resolve = image_symbols_resolve,
				       .resolve_user = image_symbols_resolve_user };
	export_init(x, &res);
	struct pv_header h;
	struct pv_diag diag;
	export_load(x, stream, len, &h, &diag);
	image_symbols_guest_hints(&cs, &x->r);
	symbols_free(cs.syms);
	guest_syms_free(cs.gs); /* nothing resolves after the load */
	in->gs = NULL;
	free(stream);
	if (!x->r.have_hdr) {
		fprintf(stderr, "perfvisor %s: %s holds no capture header: did you run record with profiling? "
				"Try 'perfvisor record -g -- GUEST.elf'\n", cmd, input);
		if (diag.first_error[0])
			fprintf(stderr, "perfvisor %s: first error: %s\n", cmd, diag.first_error);
		export_free(x);
		return 1;
	}
	if (!x->nsamples) {
		fprintf(stderr, "perfvisor %s: no samples in %s: the guests may have ended before the first "
				"sample: lower the period (record -c N) or run them longer\n", cmd, input);
		export_free(x);
		return 1;
	}
	return 0;
}
