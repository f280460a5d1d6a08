/* The symbols of a capture's domains as report, script and convert resolve them: each domain's
 * image named by the capture's metadata (checked against the header's image ids), or
 * --symbols D=ELF; a Linux guest's kernel and user addresses through --guest-kallsyms,
 * --guest-vmlinux and --guest-root (guest_syms.h).  One implementation for the three commands. */
#ifndef PROFILER_IMAGE_SYMBOLS_H
#define PROFILER_IMAGE_SYMBOLS_H

#include <stdbool.h>
#include <stdint.h>

#include "datafile.h"
#include "guest_syms.h"
#include "report.h"
#include "symbols.h"

struct image_symbols {
	struct symbols *syms;
	const struct pv_meta *meta;
	const char *const *override;    /* [CAP_MAX_DOMAINS]: --symbols D=ELF, NULL where not given */
	struct guest_syms *gs;          /* never NULL */
	/* Each warning line (already printed on stderr); NULL: printing is enough. */
	void (*warned)(void *ctx, const char *line);
	void *warned_ctx;
	bool loaded;                    /* the images are read at the first address resolved */
};

/* Reads every domain's image now (else at the first address resolved), warning about each
 * that cannot be used. */
void image_symbols_load(struct image_symbols *is, const struct pv_header *h);
/* report_resolver callbacks; ctx is the struct image_symbols. */
void image_symbols_resolve(void *ctx, const struct pv_header *h, int domain, uint64_t ip,
			   struct report_sym *out);
void image_symbols_resolve_user(void *ctx, const struct pv_header *h, int domain, const struct report_task_exe *x,
				uint64_t ip, struct report_sym *out);
/* --guest-kallsyms needs each Linux domain's IA32_LSTAR before the first kernel address is
 * resolved: run a pass over the capture with this event callback (ctx: the guest_syms). */
int image_symbols_anchor_event(void *ctx, const struct pv_header *h, const struct pv_event *ev);
/* After the load: what a Linux domain's rows lack and which option gives it, the KASLR slide
 * used, and guest_syms' own notes, as warnings. */
void image_symbols_guest_hints(struct image_symbols *is, const struct report *r);

#endif
