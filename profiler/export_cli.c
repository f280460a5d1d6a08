/* perfvisor script / convert: reading the capture and its symbols into the export model, as
 * perfvisor report does (the images the capture's metadata names, checked against the image
 * ids of its header; --symbols D=ELF overrides). */
#define _GNU_SOURCE
#include "export_cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "symbols.h"
#include "util.h"

struct cli_symbols {
	struct symbols *syms;
	bool loaded;
	const struct pv_meta *meta;
	const char *const *override;
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

static void resolve(void *ctx, const struct pv_header *h, int domain, uint64_t ip, struct report_sym *out)
{
	struct cli_symbols *cs = ctx;
	if (!cs->loaded)
		load_images(cs, h);
	symbols_resolve(cs->syms, h, domain, ip, out);
}

int export_cli_symbols_opt(struct export_input *in, const char *arg)
{
	char *end;
	long d = strtol(arg, &end, 10);
	if (end == arg || *end != '=' || d < 0 || d >= CAP_MAX_DOMAINS || !end[1]) {
		pv_error("--symbols takes DOMAIN=ELF with DOMAIN from 0 (the hypervisor) to 15 (got '%s')", arg);
		return -1;
	}
	in->override[d] = end + 1;
	return 0;
}

int export_cli_load(const char *cmd, const struct export_input *in, struct export *x)
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
	struct cli_symbols cs = { .syms = symbols_new(), .meta = &meta, .override = in->override };
	struct report_resolver res = { .ctx = &cs, .resolve = resolve };
	export_init(x, &res);
	struct pv_header h;
	struct pv_diag diag;
	export_load(x, stream, len, &h, &diag);
	symbols_free(cs.syms);
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
