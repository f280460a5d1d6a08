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
#include "symbols.h"
#include "util.h"

struct cli_symbols {
	struct symbols *syms;
	bool loaded;
	const struct pv_meta *meta;
	const char *const *override;
	struct guest_syms *gs;
};

static void load_one(struct cli_symbols *cs, int d, const char *name, int kind, const uint8_t *id, int len)
{
	const char *path = cs->override[d];
	if (!path && d == 0 && cs->meta->hypervisor[0])
		path = cs->meta->hypervisor;
	if (!path && d > 0 && cs->meta->images[d][0])
		path = cs->meta->images[d];
	char w[1024];
	if (!path) {
		pv_warn("domain %d (%s): no image recorded for it: addresses stay raw; use --symbols %d=PATH", d,
			name, d);
		return;
	}
	if (symbols_load(cs->syms, d, name, path, kind, id, len, w, sizeof(w)))
		pv_warn("%s", w);
}

static void load_images(struct cli_symbols *cs, const struct pv_header *h)
{
	cs->loaded = true;
	for (int i = 0; i < h->ndomains; i++) {
		const struct pv_domain_info *di = &h->domains[i];
		if (di->id > 0 && di->id < CAP_MAX_DOMAINS)
			load_one(cs, di->id, di->name, di->image_id_kind, di->image_id, di->image_id_len);
	}
	if (h->backend == CAP_BACKEND_HARDWARE)
		load_one(cs, 0, "perfvisor", CAP_IMAGE_ID_BUILD_ID, h->hv_build_id, h->hv_build_id_len);
}

/* As report resolves: a Linux guest's kernel addresses through --guest-kallsyms/-vmlinux, the
 * rest through the images. */
static void resolve(void *ctx, const struct pv_header *h, int domain, uint64_t ip, struct report_sym *out)
{
	struct cli_symbols *cs = ctx;
	if (!cs->loaded)
		load_images(cs, h);
	if (domain > 0 && ip >> 63 && guest_syms_kernel(cs->gs, domain, ip, out))
		return;
	symbols_resolve(cs->syms, h, domain, ip, out);
}

static void resolve_user(void *ctx, const struct pv_header *h, int domain, const char *comm, uint64_t ip,
			 struct report_sym *out)
{
	struct cli_symbols *cs = ctx;
	(void)h;
	guest_syms_user(cs->gs, domain, comm, ip, out);
}

/* --guest-kallsyms needs each Linux domain's IA32_LSTAR before the first kernel address is
 * resolved: one pass over the capture for its anchor records, as report makes. */
static int anchor_event(void *ctx, const struct pv_header *h, const struct pv_event *ev)
{
	(void)h;
	if (ev->kind == PV_EV_ANCHOR && ev->reason == CAP_ANCHOR_SYSCALL_ENTRY)
		guest_syms_set_anchor(ctx, ev->domain, ev->anchor);
	return 0;
}

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

/* What a Linux domain's frames lack, and which option gives it (report says the same). */
static void guest_hints(struct guest_syms *gs, const struct report *r)
{
	for (int d = 1; d < CAP_MAX_DOMAINS; d++) {
		char nb[32];
		const char *dn = report_domain_name(r, d, nb, sizeof(nb));
		if (!r->dom[d].syscall_entry)
			continue; /* not a Linux guest */
		if (!guest_syms_has_kernel(gs, d))
			pv_warn("domain %d (%s): a Linux guest: its kernel addresses stay [unknown]; use "
				"--guest-kallsyms %d=FILE (its /proc/kallsyms, any boot) or --guest-vmlinux", d, dn, d);
		if (!guest_syms_has_root(gs, d))
			pv_warn("domain %d (%s): a Linux guest: its user-space addresses stay [unknown]; use "
				"--guest-root %d=DIR (its root file system)", d, dn, d);
	}
	for (const char *const *n = guest_syms_notes(gs); *n; n++)
		pv_warn("%s", *n);
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
	struct cli_symbols cs = { .syms = symbols_new(), .meta = &meta, .override = in->override,
				  .gs = in->gs ? in->gs : guest_syms_new() };
	symbols_set_demangle(cs.syms, !in->raw_names);
	if (in->gs) {
		struct pv_parse_cb acb = { .ctx = cs.gs, .event = anchor_event };
		pv_capture_parse(stream, len, NULL, &acb, NULL);
	}
	struct report_resolver res = { .ctx = &cs, .resolve = resolve, .resolve_user = resolve_user };
	export_init(x, &res);
	struct pv_header h;
	struct pv_diag diag;
	export_load(x, stream, len, &h, &diag);
	guest_hints(cs.gs, &x->r);
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
