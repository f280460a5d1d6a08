/* A capture's domains' symbols (see image_symbols.h). */
#define _GNU_SOURCE
#include "image_symbols.h"

#include <stdio.h>

#include "util.h"

static void warn(struct image_symbols *is, const char *line)
{
	pv_warn("%s", line);
	if (is->warned)
		is->warned(is->warned_ctx, line);
}

static void load_one(struct image_symbols *is, int d, const char *name, int kind, const uint8_t *id, int len)
{
	const char *path = is->override[d];
	if (!path && d == 0 && is->meta->hypervisor[0])
		path = is->meta->hypervisor;
	if (!path && d > 0 && d < CAP_MAX_DOMAINS && is->meta->images[d][0])
		path = is->meta->images[d];
	char w[1024];
	if (path && !is->override[d] && d > 0 && file_is_bzimage(path) == 1)
		return;              /* a Linux kernel: its symbols come from --guest-* (the hints) */
	if (!path) {
		snprintf(w, sizeof(w), "domain %d (%s): no image recorded for it: addresses stay raw; use --symbols %d=PATH",
			 d, name, d);
		warn(is, w);
		return;
	}
	if (symbols_load(is->syms, d, name, path, kind, id, len, w, sizeof(w)))
		warn(is, w);
}

void image_symbols_load(struct image_symbols *is, const struct pv_header *h)
{
	is->loaded = true;
	for (int i = 0; i < h->ndomains; i++) {
		const struct pv_domain_info *di = &h->domains[i];
		if (di->id > 0 && di->id < CAP_MAX_DOMAINS)
			load_one(is, di->id, di->name, di->image_id_kind, di->image_id, di->image_id_len);
	}
	if (h->backend == CAP_BACKEND_HARDWARE)
		load_one(is, 0, "perfvisor", CAP_IMAGE_ID_BUILD_ID, h->hv_build_id, h->hv_build_id_len);
}

void image_symbols_resolve(void *ctx, const struct pv_header *h, int domain, uint64_t ip,
			   struct report_sym *out)
{
	struct image_symbols *is = ctx;
	if (!is->loaded)
		image_symbols_load(is, h);
	if (domain > 0 && ip >> 63 && guest_syms_kernel(is->gs, domain, ip, out))
		return;
	symbols_resolve(is->syms, h, domain, ip, out);
}

void image_symbols_resolve_user(void *ctx, const struct pv_header *h, int domain, const struct report_task_exe *x,
				uint64_t ip, struct report_sym *out)
{
	struct image_symbols *is = ctx;
	(void)h;
	guest_syms_user(is->gs, domain, x, ip, out);
}

int image_symbols_anchor_event(void *ctx, const struct pv_header *h, const struct pv_event *ev)
{
	(void)h;
	if (ev->kind == PV_EV_ANCHOR && ev->reason == CAP_ANCHOR_SYSCALL_ENTRY)
		guest_syms_set_anchor(ctx, ev->domain, ev->anchor);
	return 0;
}

void image_symbols_guest_hints(struct image_symbols *is, const struct report *r)
{
	for (int d = 1; d < CAP_MAX_DOMAINS; d++) {
		char w[512], nb[32];
		const char *dn = report_domain_name(r, d, nb, sizeof(nb));
		if (!r->dom[d].syscall_entry)
			continue;              /* not a Linux guest (or it never reached syscall_init) */
		int64_t slide;
		if (!guest_syms_has_kernel(is->gs, d)) {
			snprintf(w, sizeof(w), "domain %d (%s): a Linux guest: its kernel addresses stay [unknown]; use "
				 "--guest-kallsyms %d=FILE (its /proc/kallsyms, any boot) or --guest-vmlinux", d, dn, d);
			warn(is, w);
		} else if (guest_syms_slide(is->gs, d, &slide)) {
			pv_info("domain %d (%s): kernel symbols relocated by %+lld (KASLR; IA32_LSTAR 0x%llx)", d, dn,
				(long long)slide, (unsigned long long)r->dom[d].syscall_entry);
		}
		if (!guest_syms_has_root(is->gs, d)) {
			snprintf(w, sizeof(w), "domain %d (%s): a Linux guest: its user-space addresses stay [unknown]; "
				 "use --guest-root %d=DIR (its root file system)", d, dn, d);
			warn(is, w);
		}
	}
	for (const char *const *n = guest_syms_notes(is->gs); *n; n++)
		warn(is, *n);
}
