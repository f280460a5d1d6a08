/* The two example frames of docs/capture-format.md ("A worked example"), encoded by the
 * hypervisor's own encoder (pmu/sampling/cap_encode.c) and printed as the doc shows them: the
 * bytes of each field, then what they mean.  tests/docs/samples.sh compares its output with the
 * doc's blocks, so the example cannot drift from the format.
 *   capture-example header|records */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pmu/sampling/cap_encode.h"

struct field {
	int n;            /* bytes */
	const char *what; /* the doc's annotation; "  " in front: a field inside a record */
};

static void dump(const uint8_t *b, size_t len, const struct field *f)
{
	size_t off = 0;
	for (; f->n; f++) {
		char hex[128] = "";
		int inner = f->what[0] == ' ';  /* a field inside a record: indented by 3 and 2 */
		size_t o = (size_t)snprintf(hex, sizeof(hex), "%*s", inner ? 3 : 0, "");
		for (int i = 0; i < f->n && off < len; i++, off++)
			o += (size_t)snprintf(hex + o, sizeof(hex) - o, "%s%02x", i ? " " : "", b[off]);
		int width = inner ? 39 : 37;
		if ((int)o >= width)
			printf("%s    %s\n", hex, f->what + (inner ? 2 : 0));
		else
			printf("%-*s %s\n", width, hex, f->what + (inner ? 2 : 0));
	}
	if (off != len) {
		fprintf(stderr, "capture-example: %zu bytes encoded, %zu annotated\n", len, off);
		exit(1);
	}
}

int main(int argc, char **argv)
{
	static uint8_t frame[CAP_ENC_FRAME_MAX];
	struct cap_encoder e;
	const char *which = argc > 1 ? argv[1] : "";
	struct cap_header_desc h;
	memset(&h, 0, sizeof(h));
	h.backend = CAP_BACKEND_SOFTWARE;
	h.event = CAP_EVENT_CYCLES;
	h.flags = CAP_HDR_CALLCHAIN;
	h.period = 10000;
	h.max_depth = 4;
	h.hv_build_id_len = 4;
	memcpy(h.hv_build_id, "\x12\x34\x56\x78", 4);
	h.ndomains = 1;
	h.domains[0].id = 1;
	strcpy(h.domains[0].name, "hello");
	h.domains[0].mem_mib = 16;
	h.domains[0].image_id_kind = CAP_IMAGE_ID_CRC32;
	h.domains[0].image_id_len = 4;
	memcpy(h.domains[0].image_id, "\xaa\xbb\xcc\xdd", 4);
	cap_enc_init(&e, h.period);
	size_t n = cap_enc_header_frame(&e, &h, frame);
	if (!strcmp(which, "header")) {
		char crc_text[64];
		snprintf(crc_text, sizeof(crc_text), "CRC-32 0x%02x%02x%02x%02x of bytes 2..%zu", frame[n - 1],
			 frame[n - 2], frame[n - 3], frame[n - 4], n - 5);
		const struct field f[] = {
			{ 7, "sync, type 1, seq 0, length 0x22 = 34" },
			{ 6, "\"PVCAP\", version 1" },
			{ 3, "backend software, event cycles, flags CALLCHAIN" },
			{ 5, "period 10000, jitter 0, tsc_khz 0, max_depth 4" },
			{ 5, "build-id: 4 bytes" },
			{ 1, "1 domain:" },
			{ 14, "id 1, \"hello\", 16 MiB, kind 2 (CRC-32), 4 bytes" },
			{ 4, crc_text },
			{ 0, NULL },
		};
		dump(frame, n, f);
		return 0;
	}
	cap_enc_begin(&e, 1000000);
	struct cap_sample s;
	memset(&s, 0, sizeof(s));
	s.domain = 1, s.cpl = 3, s.mode = CAP_MODE_32, s.tsc = 1010040, s.cr3 = 0x5000, s.ip = 0x101234;
	s.weight = 10000, s.depth = 2, s.chain[0] = 0x101300, s.chain[1] = 0x100080;
	if (cap_enc_sample(&e, &s))
		return 1;
	s.tsc = 1020100, s.weight = 10050, s.ip = 0x101240;
	if (cap_enc_sample(&e, &s))
		return 1;
	memset(&s, 0, sizeof(s));
	s.domain = 0, s.tsc = 1030100, s.weight = 10000, s.ip = 0x10a000;
	if (cap_enc_sample(&e, &s) || cap_enc_lost(&e, 1, 3))
		return 1;
	n = cap_enc_finish(&e, frame);
	if (!strcmp(which, "records")) {
		static const struct field f[] = {
			{ 7, "sync, type 2, seq 1, length 37" },
			{ 3, "base_tsc 1000000" },
			{ 1, "SAMPLE domain 1, CTX + CHAIN" },
			{ 1, "  tsc 1010040: 1010040 - 1000000 - 10000 = 40 -> zigzag 80" },
			{ 4, "  cr3 0x5000; ctx 0x07 = cpl 3, mode 1 (32-bit), vcpu 0" },
			{ 4, "  ip 0x101234 - 0 -> zigzag 0x202468" },
			{ 9, "  chain of 2: 0x101300, 0x100080 (previous chain empty)" },
			{ 1, "SAMPLE domain 1, WEIGHT + CHAIN (same context)" },
			{ 1, "  tsc 1020100: 10060 - 10050 = 10 -> 20" },
			{ 1, "  weight 10050: +50 -> 100" },
			{ 1, "  ip 0x101240: +12 -> 24" },
			{ 3, "  chain of 2, both frames as before" },
			{ 1, "SAMPLE domain 0 (the hypervisor), weight = period" },
			{ 1, "  tsc 1030100: 10000 - 10000 = 0" },
			{ 4, "  ip 0x10a000 (domain 0's previous ip is 0)" },
			{ 2, "LOST domain 1: 3 samples" },
			{ 4, "CRC-32" },
			{ 0, NULL },
		};
		dump(frame, n, f);
		return 0;
	}
	fprintf(stderr, "usage: capture-example header|records\n");
	return 2;
}
