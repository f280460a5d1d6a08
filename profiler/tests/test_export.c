/* perfvisor script / convert: the export model and its encoders, on synthesized events (a fake
 * resolver stands in for the ELF images): protobuf wire bytes of our profile.proto, a pprof
 * profile read back through zlib and protobuf-c, folded stacks, perf script text, speedscope
 * and JSON escaping, XML escaping, loss scaling as the report does it. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include <cmocka.h>

#include "export.h"
#include "profile.pb-c.h"

/* Fake image: 0x1000.. "main", 0x2000.. "work", 0x3000.. "spin"; anything else unknown. */
static void fake_resolve(void *ctx, const struct pv_header *h, int domain, uint64_t ip, struct report_sym *out)
{
	(void)h;
	(void)ctx;
	static const char *const names[] = { "main", "work", "spin" };
	if (ip >= 0x1000 && ip < 0x4000) {
		snprintf(out->name, sizeof(out->name), "%s", names[ip / 0x1000 - 1]);
		out->symoff = ip & 0xfff;
	}
	snprintf(out->dso, sizeof(out->dso), "guest%d.elf", domain);
	snprintf(out->srcline, sizeof(out->srcline), "f.c:%u", (unsigned)(ip & 0xfff));
}

static struct pv_header hdr;

static void header(void)
{
	memset(&hdr, 0, sizeof(hdr));
	hdr.valid = 1;
	hdr.backend = CAP_BACKEND_SOFTWARE;
	hdr.event = CAP_EVENT_CYCLES;
	hdr.period = 1000;
	hdr.tsc_khz = 1000; /* 1 MHz: tsc 1500000 is 1.5 s */
	hdr.flags = CAP_HDR_CALLCHAIN;
	hdr.ndomains = 2;
	hdr.domains[0].id = 1;
	strcpy(hdr.domains[0].name, "alpha");
	hdr.domains[1].id = 2;
	strcpy(hdr.domains[1].name, "beta");
}

static void sample(struct export *x, int dom, uint64_t cr3, uint64_t ip, uint64_t w, int depth, const uint64_t *chain)
{
	struct pv_event ev;
	memset(&ev, 0, sizeof(ev));
	ev.kind = PV_EV_SAMPLE;
	ev.domain = dom;
	ev.cr3 = cr3;
	ev.ip = ip;
	ev.weight = w;
	ev.tsc = 1500000;
	ev.depth = depth;
	for (int i = 0; i < depth; i++)
		ev.chain[i] = chain[i];
	export_add_event(x, &hdr, &ev);
}

static void event(struct export *x, enum pv_event_kind kind, int dom, uint32_t reason, uint64_t ticks, uint64_t count)
{
	struct pv_event ev;
	memset(&ev, 0, sizeof(ev));
	ev.kind = kind;
	ev.domain = dom;
	ev.reason = reason;
	ev.ticks = ticks;
	ev.count = count;
	export_add_event(x, &hdr, &ev);
}

/* alpha: 3 x spin<-work<-main (return addresses: the call is at ret - 1), 1 x main;
 * beta: 2 x an unknown address; alpha's hypervisor time: 500 ticks of CPUID (reason 10). */
static void build(struct export *x)
{
	header();
	struct report_resolver res = { .resolve = fake_resolve };
	export_init(x, &res);
	const uint64_t chain[] = { 0x2011, 0x1021 };
	for (int i = 0; i < 3; i++)
		sample(x, 1, 0, 0x3004, 1000, 2, chain);
	sample(x, 1, 0, 0x1008, 1000, 0, NULL);
	sample(x, 2, 0x5000, 0x9000, 1000, 0, NULL);
	sample(x, 2, 0x5000, 0x9000, 1000, 0, NULL);
	event(x, PV_EV_HV_TIME, 1, 10, 500, 5);
	export_finish(x);
}

/* Everything f wrote, as a string (caller frees). */
static char *capture(int (*fn)(FILE *, const struct export *), const struct export *x)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_non_null(f);
	assert_int_equal(fn(f, x), 0);
	fclose(f);
	return buf;
}

static void test_model_stacks(void **state)
{
	(void)state;
	static struct export x;
	build(&x);
	assert_int_equal(x.nsamples, 7);
	assert_int_equal(x.nstacks, 4); /* the 3 equal samples share one stack */
	assert_int_equal(x.total, 6500);
	assert_int_equal(x.total, x.r.total); /* the report's 100% */
	const struct export_stack *s = &x.stacks[x.samples[0].stack];
	assert_int_equal(s->samples, 3);
	assert_int_equal(s->weight, 3000);
	assert_int_equal(s->depth, 3);
	assert_string_equal(export_sym(&x, x.chain[s->first]), "spin");
	assert_string_equal(export_sym(&x, x.chain[s->first + 1]), "work");
	assert_string_equal(export_sym(&x, x.chain[s->first + 2]), "main");
	/* the caller frame is the call instruction, ret - 1, and keeps its symbol offset */
	assert_int_equal(x.frames[x.chain[s->first + 1]].ip, 0x2010);
	assert_int_equal(x.frames[x.chain[s->first + 1]].symoff, 0x10);
	const struct export_stack *hv = &x.stacks[x.samples[6].stack];
	assert_int_equal(hv->proc, REPORT_PROC_HV);
	assert_int_equal(hv->weight, 500);
	assert_true(x.frames[x.chain[hv->first]].hv_row);
	assert_string_equal(export_sym(&x, x.chain[hv->first]), "exit:CPUID");
	export_free(&x);
}

static void test_folded(void **state)
{
	(void)state;
	static struct export x;
	build(&x);
	char *out = capture(export_write_folded, &x);
	assert_string_equal(out, "alpha;[hypervisor];exit:CPUID 500\n"
				 "alpha;[kernel];main 1000\n"
				 "alpha;[kernel];main;work;spin 3000\n"
				 "beta;[cr3 0x5000];[unknown] 0x9000 2000\n");
	free(out);
	export_free(&x);
}

static void test_script(void **state)
{
	(void)state;
	static struct export x;
	build(&x);
	char *out = capture(export_write_script, &x);
	const char *first = "alpha:[kernel]     1/10001 [000]     1.500000:       1000 cycles: \n"
			    "\t            3004 spin+0x4 (guest1.elf)\n"
			    "\t            2010 work+0x10 (guest1.elf)\n"
			    "\t            1020 main+0x20 (guest1.elf)\n"
			    "\n";
	assert_memory_equal(out, first, strlen(first));
	assert_non_null(strstr(out, "beta:[cr3 0x5000]     2/20002 [000]     1.500000:       1000 cycles: \n"
				    "\t            9000 [unknown] (guest2.elf)\n\n"));
	assert_non_null(strstr(out, "alpha:[hypervisor]     1/10000 [000]     0.000000:        500 cycles: \n"
				    "\t               0 exit:CPUID ([hypervisor])\n\n"));
	free(out);
	export_free(&x);
}

static char *json_of(const char *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	export_json_string(f, s);
	fclose(f);
	return buf;
}

static void test_json_escaping(void **state)
{
	(void)state;
	char *j = json_of("a\"b\\c\nd\te\x01" "f\x7f" "g\xc3\xa9");
	assert_string_equal(j, "\"a\\\"b\\\\c\\nd\\te\\u0001f\\u007fg\xc3\xa9\"");
	free(j);
	j = json_of("");
	assert_string_equal(j, "\"\"");
	free(j);
}

static void test_xml_and_folded_escaping(void **state)
{
	(void)state;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	export_xml_text(f, "operator<<(a&b, \"c\") 'd'\x02");
	fputc('|', f);
	export_folded_name(f, "a;b\nc");
	fclose(f);
	assert_string_equal(buf, "operator&lt;&lt;(a&amp;b, &quot;c&quot;) &#39;d&#39;?|a:b c");
	free(buf);
}

/* The wire bytes of our .proto's field numbers and types (protobuf encoding: key = field << 3
 * | wire type; varints 7 bits a byte, low first; proto3 repeated scalars packed). */
static void test_protobuf_wire(void **state)
{
	(void)state;
	uint8_t b[64];
	Perftools__Profiles__ValueType vt = PERFTOOLS__PROFILES__VALUE_TYPE__INIT;
	vt.type = 1;
	vt.unit = 150;
	size_t n = perftools__profiles__value_type__pack(&vt, b);
	const uint8_t want_vt[] = { 0x08, 0x01, 0x10, 0x96, 0x01 };
	assert_int_equal(n, sizeof(want_vt));
	assert_memory_equal(b, want_vt, n);

	Perftools__Profiles__Sample s = PERFTOOLS__PROFILES__SAMPLE__INIT;
	uint64_t loc[] = { 1, 300 };
	int64_t val[] = { -1 };
	s.n_location_id = 2;
	s.location_id = loc;
	s.n_value = 1;
	s.value = val;
	n = perftools__profiles__sample__pack(&s, b);
	/* field 1 packed: 0a len 01 ac 02; field 2 packed: 12 len, -1 as a 10-byte varint */
	const uint8_t want_s[] = { 0x0a, 0x03, 0x01, 0xac, 0x02, 0x12, 0x0a, 0xff, 0xff, 0xff, 0xff, 0xff,
				   0xff, 0xff, 0xff, 0xff, 0x01 };
	assert_int_equal(n, sizeof(want_s));
	assert_memory_equal(b, want_s, n);

	Perftools__Profiles__Profile p = PERFTOOLS__PROFILES__PROFILE__INIT;
	char *strs[] = { "", "x" };
	p.n_string_table = 2;
	p.string_table = strs;
	p.period = 10007;
	n = perftools__profiles__profile__pack(&p, b);
	/* field 6 strings (the empty first one too), field 12 varint 10007 = 0x97 0x4e */
	const uint8_t want_p[] = { 0x32, 0x00, 0x32, 0x01, 'x', 0x60, 0x97, 0x4e };
	assert_int_equal(n, sizeof(want_p));
	assert_memory_equal(b, want_p, n);
}

static void test_pprof_roundtrip(void **state)
{
	(void)state;
	static struct export x;
	build(&x);
	char *gz = NULL;
	size_t gzlen = 0;
	FILE *f = open_memstream(&gz, &gzlen);
	assert_int_equal(export_write_pprof(f, &x), 0);
	fclose(f);
	assert_true(gzlen > 18);
	assert_int_equal((uint8_t)gz[0], 0x1f); /* gzip magic */
	assert_int_equal((uint8_t)gz[1], 0x8b);
	static uint8_t raw[1 << 16];
	z_stream z;
	memset(&z, 0, sizeof(z));
	assert_int_equal(inflateInit2(&z, 15 + 16), Z_OK);
	z.next_in = (Bytef *)gz;
	z.avail_in = (uInt)gzlen;
	z.next_out = raw;
	z.avail_out = sizeof(raw);
	assert_int_equal(inflate(&z, Z_FINISH), Z_STREAM_END);
	size_t rawlen = z.total_out;
	inflateEnd(&z);
	Perftools__Profiles__Profile *p = perftools__profiles__profile__unpack(NULL, rawlen, raw);
	assert_non_null(p);
	assert_string_equal(p->string_table[0], "");
	assert_int_equal(p->n_sample_type, 2);
	assert_string_equal(p->string_table[p->sample_type[0]->type], "samples");
	assert_string_equal(p->string_table[p->sample_type[1]->type], "cycles");
	assert_string_equal(p->string_table[p->default_sample_type], "cycles");
	assert_int_equal(p->period, 1000);
	assert_int_equal(p->n_sample, 4);
	int64_t samples = 0, weight = 0;
	bool found = false;
	for (size_t i = 0; i < p->n_sample; i++) {
		const Perftools__Profiles__Sample *s = p->sample[i];
		samples += s->value[0];
		weight += s->value[1];
		if (s->n_location_id != 3)
			continue;
		/* leaf first: spin, work, main; each location's line names its function */
		const char *want[] = { "spin", "work", "main" };
		for (int j = 0; j < 3; j++) {
			const Perftools__Profiles__Location *l = p->location[s->location_id[j] - 1];
			assert_int_equal(l->id, s->location_id[j]);
			const Perftools__Profiles__Function *fn = p->function[l->line[0]->function_id - 1];
			assert_string_equal(p->string_table[fn->name], want[j]);
		}
		assert_int_equal(p->location[s->location_id[1] - 1]->address, 0x2010);
		assert_int_equal(s->value[0], 3);
		assert_int_equal(s->value[1], 3000);
		assert_int_equal(s->n_label, 4);
		assert_string_equal(p->string_table[s->label[0]->key], "domain");
		assert_string_equal(p->string_table[s->label[0]->str], "alpha");
		assert_string_equal(p->string_table[s->label[1]->str], "[kernel]");
		assert_string_equal(p->string_table[s->label[2]->str], "kernel");
		assert_int_equal(s->label[3]->num, 1);
		found = true;
	}
	assert_true(found);
	assert_int_equal(samples, 7);
	assert_int_equal(weight, 6500);
	perftools__profiles__profile__free_unpacked(p, NULL);
	free(gz);
	export_free(&x);
}

/* A domain that lost samples: its rows scaled to its exact guest ticks, as the report does. */
static void test_loss_scaling(void **state)
{
	(void)state;
	static struct export x;
	header();
	struct report_resolver res = { .resolve = fake_resolve };
	export_init(&x, &res);
	sample(&x, 1, 0, 0x3004, 1000, 0, NULL);
	sample(&x, 1, 0, 0x1004, 1000, 0, NULL);
	event(&x, PV_EV_LOST, 1, 0, 0, 2);
	event(&x, PV_EV_GUEST_TIME, 1, 0, 4000, 0); /* 4 samples' worth ran, 2 arrived */
	event(&x, PV_EV_HV_TIME, 1, 10, 1000, 1);
	export_finish(&x);
	assert_int_equal(x.total, 5000);
	assert_int_equal(x.total, x.r.total);
	char *out = capture(export_write_folded, &x);
	assert_string_equal(out, "alpha;[hypervisor];exit:CPUID 1000\n"
				 "alpha;[kernel];main 2000\n"
				 "alpha;[kernel];spin 2000\n");
	free(out);
	/* script keeps what was recorded */
	out = capture(export_write_script, &x);
	assert_non_null(strstr(out, "      1000 cycles: \n\t            3004 spin+0x4"));
	free(out);
	export_free(&x);
}

static int speedscope_to(FILE *f, const struct export *x)
{
	return export_write_speedscope(f, x, "in \"q\".data");
}

static void test_speedscope(void **state)
{
	(void)state;
	static struct export x;
	build(&x);
	char *out = capture(speedscope_to, &x);
	assert_non_null(strstr(out, "\"$schema\":\"https://www.speedscope.app/file-format-schema.json\""));
	assert_non_null(strstr(out, "\"name\":\"in \\\"q\\\".data\""));
	/* frames in first-resolved order: spin 0, work 1, main 2; root first in a sample */
	assert_non_null(strstr(out, "\"frames\":[{\"name\":\"spin\",\"file\":\"guest1.elf\"},"
				    "{\"name\":\"work\",\"file\":\"guest1.elf\"},{\"name\":\"main\""));
	assert_non_null(strstr(out, "{\"type\":\"sampled\",\"name\":\"alpha: [kernel]\",\"unit\":\"none\","
				    "\"startValue\":0,\"samples\":[[2,1,0],[2]],\"weights\":[3000,1000],\"endValue\":4000}"));
	assert_non_null(strstr(out, "\"name\":\"beta: [cr3 0x5000]\""));
	assert_non_null(strstr(out, "\"weights\":[2000],\"endValue\":2000"));
	free(out);
	export_free(&x);
}

static int json_to(FILE *f, const struct export *x)
{
	return export_write_json(f, x, "in.data");
}

static void test_json(void **state)
{
	(void)state;
	static struct export x;
	build(&x);
	char *out = capture(json_to, &x);
	assert_non_null(strstr(out, "\"format\": \"perfvisor-export\""));
	assert_non_null(strstr(out, "\"total_weight\": 6500,\n  \"total_samples\": 7,"));
	assert_non_null(strstr(out, "{\"id\": 1, \"name\": \"alpha\", \"samples\": 4,"));
	assert_non_null(strstr(out, "{\"id\": 1, \"domain\": 2, \"cr3\": \"0x5000\", \"name\": \"[cr3 0x5000]\"}"));
	/* frame 1 is work's call at 0x2010, offset 0x10 */
	assert_non_null(strstr(out, "{\"domain\": 1, \"address\": \"0x2010\", \"symbol\": \"work\", \"offset\": 16, "
				    "\"known\": true, \"hypervisor_row\": false, \"dso\": \"guest1.elf\", \"srcline\": \"f.c:16\"}"));
	assert_non_null(strstr(out, "{\"domain\": 1, \"process\": 0, \"level\": \"kernel\", \"weight\": 3000, \"samples\": 3, "
				    "\"frames\": [0, 1, 2]}"));
	assert_non_null(strstr(out, "{\"domain\": 1, \"process\": null, \"level\": \"hypervisor\", \"weight\": 500,"));
	free(out);
	export_free(&x);
}

static int svg_to(FILE *f, const struct export *x)
{
	return export_write_svg(f, x, "a<b");
}

/* The <g> line of the box of that kind and name (a copy; the first one), or NULL. */
static char *box(const char *svg, const char *kind, const char *name)
{
	char k[64], n[96];
	snprintf(k, sizeof(k), "data-k=\"%s\"", kind);
	snprintf(n, sizeof(n), "data-n=\"%s\"", name);
	for (const char *p = svg; (p = strstr(p, "<g class=\"fg\"")); p++) {
		const char *e = strchr(p, '\n');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		char *line = strndup(p, len);
		if (strstr(line, k) && strstr(line, n))
			return line;
		free(line);
	}
	return NULL;
}

static void assert_box(const char *svg, const char *kind, const char *name, const char *geometry)
{
	char *b = box(svg, kind, name);
	assert_non_null(b);
	if (!strstr(b, geometry))
		fail_msg("box %s %s: no %s in %s", kind, name, geometry, b);
	free(b);
}

/* data-cd="hsl(H,..." of a box: its domain colour's hue */
static int hue(const char *svg, const char *kind, const char *name)
{
	char *b = box(svg, kind, name);
	assert_non_null(b);
	const char *h = strstr(b, "data-cd=\"hsl(");
	assert_non_null(h);
	int v = atoi(h + strlen("data-cd=\"hsl("));
	free(b);
	return v;
}

static void test_svg(void **state)
{
	(void)state;
	static struct export x;
	build(&x);
	char *out = capture(svg_to, &x);
	assert_non_null(strstr(out, "perfvisor: a&lt;b (cycles)</text>"));
	/* the tree: all 6500, alpha 4500 (hypervisor 500 + kernel 4000), main 4000 (self 1000),
	 * work 3000, spin 3000 (self); children sorted by name: [hypervisor] before [kernel] */
	assert_box(out, "all", "all", "data-x=\"0\" data-w=\"6500\" data-s=\"0\" data-d=\"0\"");
	assert_box(out, "domain", "alpha", "data-x=\"0\" data-w=\"4500\" data-s=\"0\" data-d=\"1\"");
	assert_box(out, "hypervisor", "exit:CPUID", "data-x=\"0\" data-w=\"500\" data-s=\"500\" data-d=\"3\"");
	assert_box(out, "kernel", "main", "data-x=\"500\" data-w=\"4000\" data-s=\"1000\" data-d=\"3\"");
	assert_box(out, "kernel", "spin", "data-x=\"500\" data-w=\"3000\" data-s=\"3000\" data-d=\"5\"");
	assert_box(out, "domain", "beta", "data-x=\"4500\" data-w=\"2000\" data-s=\"0\" data-d=\"1\"");
	/* colour by kind: hypervisor rows red; by domain: one hue per domain */
	assert_box(out, "hypervisor", "exit:CPUID", "data-ck=\"rgb(2");
	assert_int_equal(hue(out, "kernel", "spin"), hue(out, "domain", "alpha"));
	assert_int_equal(hue(out, "hypervisor", "exit:CPUID"), hue(out, "domain", "alpha"));
	assert_int_not_equal(hue(out, "domain", "alpha"), hue(out, "domain", "beta"));
	assert_null(strstr(out, "href="));
	free(out);
	export_free(&x);
}

/* A Linux-style kernel sample (upper half) whose chain goes on into user space (lower half): the
 * SVG draws the user frames as user frames, as report counts them. */
static void test_svg_user_frames_of_kernel_sample(void **state)
{
	(void)state;
	static struct export x;
	header();
	struct report_resolver res = { .resolve = fake_resolve };
	export_init(&x, &res);
	const uint64_t chain[] = { 0xffffffff81000011ull, 0x2011 };
	sample(&x, 1, 0, 0xffffffff81000004ull, 1000, 2, chain);
	export_finish(&x);
	char *out = capture(svg_to, &x);
	assert_box(out, "kernel", "[unknown] 0xffffffff81000004", "data-w=\"1000\"");
	assert_box(out, "kernel", "[unknown] 0xffffffff81000010", "data-w=\"1000\"");
	assert_box(out, "user", "work", "data-w=\"1000\" data-s=\"0\" data-d=\"3\"");
	free(out);
	export_free(&x);
}

/* Hardware backend: the hypervisor's own samples are domain 0, "perfvisor", process [hypervisor];
 * HV_TIME records add no rows (the report keeps them for the software backend only). */
static void test_hardware_backend(void **state)
{
	(void)state;
	static struct export x;
	header();
	hdr.backend = CAP_BACKEND_HARDWARE;
	struct report_resolver res = { .resolve = fake_resolve };
	export_init(&x, &res);
	sample(&x, 0, 0, 0x3004, 1000, 0, NULL);
	sample(&x, 1, 0, 0x1004, 1000, 0, NULL);
	event(&x, PV_EV_HV_TIME, 1, 10, 500, 5);
	export_finish(&x);
	assert_int_equal(x.total, 2000);
	assert_int_equal(x.total, x.r.total);
	char *out = capture(export_write_folded, &x);
	assert_string_equal(out, "alpha;[kernel];main 1000\n"
				 "perfvisor;[hypervisor];spin 1000\n");
	free(out);
	out = capture(export_write_script, &x);
	assert_non_null(strstr(out, "perfvisor:[hypervisor]     0/0     [000]     1.500000:       1000 cycles: \n"
				    "\t            3004 spin+0x4 (guest0.elf)\n"));
	free(out);
	export_free(&x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_model_stacks),
		cmocka_unit_test(test_folded),
		cmocka_unit_test(test_script),
		cmocka_unit_test(test_json_escaping),
		cmocka_unit_test(test_xml_and_folded_escaping),
		cmocka_unit_test(test_protobuf_wire),
		cmocka_unit_test(test_pprof_roundtrip),
		cmocka_unit_test(test_loss_scaling),
		cmocka_unit_test(test_speedscope),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_svg),
		cmocka_unit_test(test_svg_user_frames_of_kernel_sample),
		cmocka_unit_test(test_hardware_backend),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
