/* Writes the seed corpus of fuzz_capture into the directory given: a few small captures made
 * by the encoder (plain, with call chains, with console text around the frames, cut short,
 * records before the header) and one perfvisor.data file.  Usage: gen_corpus DIR */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture.h"
#include "datafile.h"
#include "../../pmu/sampling/cap_encode.h"

static uint8_t out[1 << 16];
static size_t olen;

static void add(const void *p, size_t n)
{
	if (olen + n > sizeof(out))
		exit(2);
	memcpy(out + olen, p, n);
	olen += n;
}

static void save(const char *dir, const char *name, const uint8_t *p, size_t n)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(p, 1, n, f) != n || fclose(f) != 0) {
		perror(path);
		exit(1);
	}
}

/* A capture: header, nframes RECORDS frames of nsamples each, END; text between if asked. */
static void capture(int depth, int nframes, int nsamples, int text, int header_late)
{
	static struct cap_encoder e;
	static struct cap_header_desc h;
	uint8_t f[CAP_ENC_FRAME_MAX];
	uint64_t tsc = 1000000, seed = 1;

	olen = 0;
	memset(&h, 0, sizeof(h));
	h.backend = CAP_BACKEND_SOFTWARE;
	h.flags = depth ? CAP_HDR_CALLCHAIN : 0;
	h.period = 10000;
	h.jitter = 1000;
	h.tsc_khz = 1000000;
	h.max_depth = (uint8_t)depth;
	h.hv_build_id_len = 20;
	h.ndomains = 2;
	for (int i = 0; i < 2; i++) {
		h.domains[i].id = (uint8_t)(i + 1);
		snprintf(h.domains[i].name, sizeof(h.domains[i].name), "guest%d", i + 1);
		h.domains[i].mem_mib = 16;
		h.domains[i].image_id_kind = CAP_IMAGE_ID_CRC32;
		h.domains[i].image_id_len = 4;
	}
	cap_enc_init(&e, h.period);
	if (text)
		add("perfvisor: booting\r\n", 20);
	if (!header_late)
		add(f, cap_enc_header_frame(&e, &h, f));
	for (int fr = 0; fr < nframes; fr++) {
		cap_enc_begin(&e, tsc);
		if (fr == 0)
			cap_enc_process(&e, 1, 0x3000, "init", 4);
		for (int i = 0; i < nsamples; i++) {
			struct cap_sample s;
			memset(&s, 0, sizeof(s));
			seed = seed * 6364136223846793005ull + 1442695040888963407ull;
			s.domain = (uint8_t)(i % 3);
			s.cpl = 3;
			s.mode = CAP_MODE_32;
			s.cr3 = 0x3000;
			s.weight = 10000 + (seed >> 60);
			tsc += s.weight + (seed >> 54);
			s.tsc = tsc;
			s.ip = 0x100000 + (seed >> 52);
			s.depth = (uint8_t)depth;
			for (int k = 0; k < depth; k++)
				s.chain[k] = 0x100400 + 0x40 * (uint64_t)k;
			if (cap_enc_sample(&e, &s))
				break;
		}
		cap_enc_lost(&e, 2, 3);
		cap_enc_hv_time(&e, 1, 10, 5, 12345);
		cap_enc_guest_time(&e, 1, 999999);
		add(f, cap_enc_finish(&e, f));
		if (text)
			add("[1:guest1] hello\n", 17);
		if (header_late && fr == 0)
			add(f, cap_enc_header_frame(&e, &h, f));
	}
	cap_enc_begin(&e, tsc);
	cap_enc_domain_end(&e, 1, 1, 0);
	cap_enc_totals(&e, 1, 100, 98, 2);
	add(f, cap_enc_finish(&e, f));
	add(f, cap_enc_end_frame(&e, f));
	if (text)
		add("perfvisor: end status=0\n", 24);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: gen_corpus DIR\n");
		return 2;
	}
	const char *dir = argv[1];
	capture(0, 2, 20, 0, 0);
	save(dir, "plain", out, olen);
	capture(5, 2, 10, 0, 0);
	save(dir, "chains", out, olen);
	capture(3, 3, 8, 1, 0);
	save(dir, "text", out, olen);
	save(dir, "cut", out, olen - 9);
	capture(0, 2, 6, 0, 1);
	save(dir, "header-late", out, olen);

	static struct pv_meta m;
	strcpy(m.hypervisor, "/build/perfvisor.elf");
	strcpy(m.images[1], "/build/guest-stub/hello.elf");
	strcpy(m.emulator, "bochs");
	strcpy(m.command, "perfvisor record hello.elf");
	strcpy(m.recorded, "2024-01-01T00:00:00+0000");
	capture(2, 1, 10, 1, 0);
	char path[4096];
	snprintf(path, sizeof(path), "%s/perfvisor.data", dir);
	if (pv_datafile_write(path, &m, out, olen) != 0) {
		perror(path);
		return 1;
	}
	return 0;
}
