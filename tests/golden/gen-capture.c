/* Synthesized captures for the golden report tests: writes the raw serial stream (console text
 * and capture frames, as the hypervisor sends it) of one scenario to stdout, encoded with the
 * hypervisor's own encoder (pmu/sampling/cap_encode.c).  Addresses are those of tests/golden/guest.asm.
 *
 *   gen-capture basic|callchain|damaged|hardware|mismatch|gprof|rough > FILE
 *   gen-capture big N > FILE      N samples with call chains, for timing perfvisor report
 *   gen-capture big-lossy N > FILE  the same with lost samples (report scales the rows)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pmu/sampling/cap_encode.h"

/* tests/golden/guest.asm, linked at 0x100000 */
#define START      0x100000u
#define MAIN       0x100100u
#define WORK_A     0x100200u
#define WORK_B     0x100300u
#define SPIN_HEAVY 0x100400u
#define HELPER     0x100500u
#define RET_START_MAIN      0x100005u /* _start -> main */
#define RET_MAIN_WORK_A     0x100105u
#define RET_MAIN_WORK_B     0x10010au
#define RET_MAIN_SPIN       0x10010fu
#define RET_WORK_A_HELPER   0x100205u
#define RET_WORK_A_SPIN     0x10020au
#define RET_WORK_B_HELPER   0x100305u
#define CXX_FOO_BAR 0x100600u /* _ZN3foo3barEv */
#define RUST_FUNC   0x100700u /* _RNvCs1234_5crate4func */
#define RET_FOO_BAR_FUNC    0x100605u

struct gen {
	struct cap_encoder e;
	uint64_t tsc;
	int damage;       /* scenario "damaged": corrupt some frames */
	int frames;
};

static uint8_t frame[CAP_ENC_FRAME_MAX];

static void text(const char *line)
{
	fputs(line, stdout);
	fputc('\n', stdout);
}

static void put_frame(struct gen *g, size_t n)
{
	g->frames++;
	if (g->damage && g->frames == 3) {
		frame[n - 1] ^= 0x55; /* bad CRC */
	} else if (g->damage && g->frames == 5) {
		return;               /* lost: its sequence number never arrives */
	} else if (g->damage && g->frames == 4) {
		fputs("\xfe\x01garbage\x80\x81", stdout); /* line noise between frames */
	}
	fwrite(frame, 1, n, stdout);
}

static void flush(struct gen *g)
{
	if (!cap_enc_empty(&g->e))
		put_frame(g, cap_enc_finish(&g->e, frame));
	cap_enc_begin(&g->e, g->tsc);
}

/* Append a record; on a full payload, send the frame and append again to an empty one. */
#define REC(g, call)                       \
	do {                               \
		if ((call) < 0) {          \
			flush(g);          \
			if ((call) < 0)    \
				abort();   \
		}                          \
	} while (0)

static void sample(struct gen *g, uint8_t dom, uint8_t cpl, uint64_t cr3, uint64_t ip, uint64_t weight,
		   int depth, const uint64_t *chain)
{
	struct cap_sample s;
	memset(&s, 0, sizeof(s));
	g->tsc += weight;
	s.domain = dom;
	s.cpl = cpl;
	s.mode = CAP_MODE_32;
	s.tsc = g->tsc;
	s.ip = ip;
	s.cr3 = cr3;
	s.weight = weight;
	s.depth = (uint8_t)depth;
	for (int i = 0; i < depth; i++)
		s.chain[i] = chain[i];
	REC(g, cap_enc_sample(&g->e, &s));
}

static void samples(struct gen *g, int n, uint8_t dom, uint8_t cpl, uint64_t cr3, uint64_t ip, uint64_t w,
		    int depth, const uint64_t *chain)
{
	for (int i = 0; i < n; i++) {
		sample(g, dom, cpl, cr3, ip + (uint64_t)(i % 3), w, depth, chain);
		if (i % 7 == 6)
			flush(g); /* several frames, so that damage hits some */
	}
}

static void header(struct gen *g, int backend, int event, uint64_t period, uint64_t jitter, int depth,
		   int ndom, const char *const *names, int idkind, int idlen)
{
	struct cap_header_desc h;
	memset(&h, 0, sizeof(h));
	h.backend = (uint8_t)backend;
	h.event = (uint8_t)event;
	h.flags = (uint8_t)((depth ? CAP_HDR_CALLCHAIN : 0) | (jitter ? CAP_HDR_JITTER : 0));
	h.period = period;
	h.jitter = jitter;
	h.tsc_khz = 2000000;
	h.max_depth = (uint8_t)depth;
	h.ndomains = (uint8_t)ndom;
	for (int i = 0; i < ndom; i++) {
		h.domains[i].id = (uint8_t)(i + 1);
		snprintf(h.domains[i].name, sizeof(h.domains[i].name), "%s", names[i]);
		h.domains[i].mem_mib = 16;
		h.domains[i].image_id_kind = (uint8_t)idkind;
		h.domains[i].image_id_len = (uint8_t)(i == 0 ? idlen : 0);
		memset(h.domains[i].image_id, 0xab, sizeof(h.domains[i].image_id));
	}
	cap_enc_init(&g->e, period);
	size_t n = cap_enc_header_frame(&g->e, &h, frame);
	if (!n)
		abort();
	put_frame(g, n);
	cap_enc_begin(&g->e, g->tsc);
}

static void end(struct gen *g, int with_end_frame)
{
	flush(g);
	if (with_end_frame)
		put_frame(g, cap_enc_end_frame(&g->e, frame));
}

/* Two domains, kernel and user processes, the hypervisor's time per exit reason. */
static void basic(struct gen *g, int idlen)
{
	static const char *const names[] = { "hello", "hotspot" };
	text("perfvisor: 0.1 starting");
	text("perfvisor: profiling: event cycles, period 1000000, software backend");
	header(g, CAP_BACKEND_SOFTWARE, CAP_EVENT_CYCLES, 1000000, 0, 0, 2, names, CAP_IMAGE_ID_BUILD_ID, idlen);
	REC(g, cap_enc_process(&g->e, 2, 0x5000, "app", 3));
	samples(g, 30, 2, 0, 0, SPIN_HEAVY, 1000000, 0, NULL);
	samples(g, 10, 2, 3, 0x5000, WORK_A, 1000000, 0, NULL);
	samples(g, 5, 2, 3, 0x6000, HELPER, 1000000, 0, NULL);
	samples(g, 5, 1, 0, 0, MAIN, 1000000, 0, NULL);
	samples(g, 2, 1, 0, 0, 0x200000, 1000000, 0, NULL);
	REC(g, cap_enc_lost(&g->e, 2, 3));
	REC(g, cap_enc_hv_time(&g->e, 1, 52, 10, 2000000));
	REC(g, cap_enc_hv_time(&g->e, 2, 30, 50, 3000000));
	REC(g, cap_enc_hv_time(&g->e, 2, 52, 20, 1500000));
	REC(g, cap_enc_hv_time(&g->e, 2, CAP_HV_REASON_EXPORT, 4, 500000));
	REC(g, cap_enc_guest_time(&g->e, 1, 7000000));
	REC(g, cap_enc_guest_time(&g->e, 2, 45000000));
	REC(g, cap_enc_domain_end(&g->e, 1, 1, 0));
	REC(g, cap_enc_domain_end(&g->e, 2, 1, 0));
	REC(g, cap_enc_totals(&g->e, 1, 7, 7, 0));
	REC(g, cap_enc_totals(&g->e, 2, 48, 45, 3));
	text("[1:hello] Hello from a guest");
	end(g, !g->damage);
	text("perfvisor: end status=0");
}

/* One domain with call chains: main -> work_a/work_b/spin_heavy, work_a -> helper/spin_heavy. */
static void callchain(struct gen *g)
{
	static const char *const names[] = { "chain" };
	static const uint64_t via_main[] = { RET_MAIN_SPIN, RET_START_MAIN };
	static const uint64_t via_a[] = { RET_WORK_A_SPIN, RET_MAIN_WORK_A, RET_START_MAIN };
	static const uint64_t helper_a[] = { RET_WORK_A_HELPER, RET_MAIN_WORK_A, RET_START_MAIN };
	static const uint64_t helper_b[] = { RET_WORK_B_HELPER, RET_MAIN_WORK_B, RET_START_MAIN };
	header(g, CAP_BACKEND_SOFTWARE, CAP_EVENT_CYCLES, 1000000, 0, 16, 1, names, 0, 0);
	samples(g, 20, 1, 0, 0, SPIN_HEAVY, 1000000, 2, via_main);
	samples(g, 10, 1, 0, 0, SPIN_HEAVY, 1000000, 3, via_a);
	samples(g, 6, 1, 0, 0, HELPER, 1000000, 3, helper_a);
	samples(g, 4, 1, 0, 0, HELPER, 1000000, 3, helper_b);
	REC(g, cap_enc_hv_time(&g->e, 1, 52, 40, 2000000));
	REC(g, cap_enc_guest_time(&g->e, 1, 40000000));
	REC(g, cap_enc_totals(&g->e, 1, 40, 40, 0));
	end(g, 1);
}

/* Hardware backend: the hypervisor's own samples (domain 0) beside a guest's; jittered periods. */
static void hardware(struct gen *g)
{
	static const char *const names[] = { "hello" };
	header(g, CAP_BACKEND_HARDWARE, CAP_EVENT_INSTRUCTIONS, 10000, 1000, 0, 1, names, 0, 0);
	for (int i = 0; i < 40; i++)
		sample(g, 1, 0, 0, i < 30 ? SPIN_HEAVY : MAIN, 9500 + (uint64_t)(i % 3) * 500, 0, NULL);
	for (int i = 0; i < 10; i++)
		sample(g, 0, 0, 0, i < 8 ? WORK_B + 4 : HELPER, 10000, 0, NULL);
	REC(g, cap_enc_hv_time(&g->e, 1, 52, 12, 600000));
	REC(g, cap_enc_guest_time(&g->e, 1, 400000));
	REC(g, cap_enc_lost(&g->e, 1, 2));
	end(g, 1);
}

/* A guest that profiles itself (like guest-stub gprof) prints its shares as gprof-sample lines
 * between the frames: a first set, then the final one (the last count per symbol wins); a second
 * domain prints none.  For report --guest-wide. */
static void gprof(struct gen *g)
{
	static const char *const names[] = { "gprof", "plain" };
	text("perfvisor: 0.1 starting");
	header(g, CAP_BACKEND_SOFTWARE, CAP_EVENT_CYCLES, 100000, 0, 0, 2, names, 0, 0);
	samples(g, 25, 1, 0, 0, WORK_A, 100000, 0, NULL);
	samples(g, 14, 1, 0, 0, WORK_B, 100000, 0, NULL);
	flush(g);
	text("[1:gprof] gprof-sample work_a 20");
	text("[1:gprof] gprof-sample work_b 9");
	text("[2:plain] Hello from a guest");
	samples(g, 25, 1, 0, 0, WORK_A, 100000, 0, NULL);
	samples(g, 16, 1, 0, 0, WORK_B, 100000, 0, NULL);
	samples(g, 19, 1, 0, 0, SPIN_HEAVY, 100000, 0, NULL);
	samples(g, 1, 1, 0, 0, MAIN, 100000, 0, NULL);
	samples(g, 2, 1, 0, 0, 0x200000, 100000, 0, NULL);
	samples(g, 12, 2, 0, 0, SPIN_HEAVY, 100000, 0, NULL);
	REC(g, cap_enc_hv_time(&g->e, 1, 52, 30, 900000));
	REC(g, cap_enc_guest_time(&g->e, 1, 10200000));
	REC(g, cap_enc_guest_time(&g->e, 2, 1200000));
	flush(g);
	text("[1:gprof] gprof: samples=101 work_a=49.50% work_b=29.70% spin_heavy=20.79%");
	text("[1:gprof] gprof-sample work_a 50");
	text("[1:gprof] gprof-sample work_b 30");
	text("[1:gprof] gprof-sample spin_heavy 21");
	text("[1:gprof] gprof-sample helper 0");
	text("[1:gprof] gprof-sample other 1");
	end(g, 1);
	text("perfvisor: end status=0");
}

/* The rough edges report smooths: domain 1 (crash) samples in mangled C++ and Rust functions
 * and is stopped by the hypervisor at an address inside spin_heavy; domain 2 (flat) was built
 * without frame pointers: none of its chains goes past one frame. */
static void rough(struct gen *g)
{
	static const char *const names[] = { "crash", "flat" };
	static const uint64_t in_foo[] = { RET_FOO_BAR_FUNC, RET_START_MAIN };
	static const uint64_t one[] = { RET_START_MAIN };
	text("perfvisor: 0.1 starting");
	header(g, CAP_BACKEND_SOFTWARE, CAP_EVENT_CYCLES, 1000000, 0, 16, 2, names, 0, 0);
	samples(g, 12, 1, 0, 0, RUST_FUNC, 1000000, 2, in_foo);
	samples(g, 6, 1, 0, 0, CXX_FOO_BAR, 1000000, 1, one + 0);
	samples(g, 9, 2, 0, 0, SPIN_HEAVY, 1000000, 1, one);
	samples(g, 3, 2, 0, 0, HELPER, 1000000, 0, NULL);
	REC(g, cap_enc_hv_time(&g->e, 1, 52, 10, 1000000));
	REC(g, cap_enc_guest_time(&g->e, 1, 18000000));
	REC(g, cap_enc_guest_time(&g->e, 2, 12000000));
	REC(g, cap_enc_domain_end(&g->e, 1, CAP_END_STOPPED, 0));
	REC(g, cap_enc_domain_end(&g->e, 2, CAP_END_EXITED, 0));
	flush(g);
	text("perfvisor: domain 1 (crash) stopped: triple fault at rip 0x100407 (no IDT)");
	end(g, 1);
	text("perfvisor: end status=1");
}

/* N samples over every function of guest.asm, most with call chains, two domains; lossy: with
 * lost samples and the guests' exact times, so that report scales the rows (report speed when
 * samples were lost). */
static void big(struct gen *g, long n, int lossy)
{
	static const char *const names[] = { "alpha", "beta" };
	static const uint64_t ips[] = { MAIN, WORK_A, WORK_B, SPIN_HEAVY, HELPER, 0x200000 };
	static const uint64_t chains[][3] = {
		{ RET_MAIN_SPIN, RET_START_MAIN, 0 }, { RET_WORK_A_SPIN, RET_MAIN_WORK_A, RET_START_MAIN },
		{ RET_WORK_A_HELPER, RET_MAIN_WORK_A, RET_START_MAIN }, { RET_WORK_B_HELPER, RET_MAIN_WORK_B, RET_START_MAIN },
	};
	header(g, CAP_BACKEND_SOFTWARE, CAP_EVENT_CYCLES, 100000, 0, 16, 2, names, 0, 0);
	uint32_t x = 12345;
	for (long i = 0; i < n; i++) {
		x = x * 1103515245u + 12345u;
		int k = (int)((x >> 16) % 6), c = (int)((x >> 8) % 4);
		sample(g, (uint8_t)(1 + (i & 1)), 0, 0, ips[k] + ((x >> 4) & 15), 100000, k == 5 ? 0 : 3 - (c == 0),
		       chains[c]);
		if (i % 1000 == 999)
			REC(g, cap_enc_hv_time(&g->e, (uint8_t)(1 + (i & 1)), 52, 10, 50000));
	}
	if (lossy) {
		REC(g, cap_enc_lost(&g->e, 1, (uint64_t)n / 20));
		REC(g, cap_enc_guest_time(&g->e, 1, (uint64_t)n * 53000));
		REC(g, cap_enc_guest_time(&g->e, 2, (uint64_t)n * 50000));
	}
	end(g, 1);
}

int main(int argc, char **argv)
{
	struct gen g;
	memset(&g, 0, sizeof(g));
	g.tsc = 1000000000;
	const char *s = argc > 1 ? argv[1] : "";
	if (!strcmp(s, "basic"))
		basic(&g, 0);
	else if (!strcmp(s, "mismatch"))
		basic(&g, 20);
	else if (!strcmp(s, "damaged")) {
		g.damage = 1;
		basic(&g, 0);
	} else if (!strcmp(s, "callchain"))
		callchain(&g);
	else if (!strcmp(s, "hardware"))
		hardware(&g);
	else if (!strcmp(s, "gprof"))
		gprof(&g);
	else if (!strcmp(s, "rough"))
		rough(&g);
	else if (!strcmp(s, "big") && argc > 2)
		big(&g, atol(argv[2]), 0);
	else if (!strcmp(s, "big-lossy") && argc > 2)
		big(&g, atol(argv[2]), 1);
	else {
		fprintf(stderr, "usage: gen-capture basic|callchain|damaged|hardware|mismatch|gprof|rough > FILE\n");
		return 2;
	}
	return fflush(stdout) ? 1 : 0;
}
