/* boot_spec_init's checks of the guests: the kind of each file (ELF, multiboot a.out kludge,
 * Linux bzImage) and its initrd=, on files synthesized here. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "bootspec.h"
#include "util.h"

static char dir[] = "/tmp/pv-bootspec-XXXXXX";

static char *file(const char *name)
{
	return path_join(dir, name);
}

static void put32(uint8_t *b, size_t off, uint32_t v)
{
	memcpy(b + off, &v, 4);
}

static void write_bytes(const char *name, const uint8_t *b, size_t n)
{
	char *p = file(name);
	FILE *f = fopen(p, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(b, 1, n, f), n);
	fclose(f);
	free(p);
}

/* An ELF with a multiboot1 header (flags as given) at offset 64, or multiboot2 (version 2). */
static void write_elf(const char *name, int version)
{
	uint8_t b[4096] = { 0x7F, 'E', 'L', 'F' };
	if (version == 2) {
		put32(b, 64, 0xE85250D6u);
		put32(b, 68, 0);
		put32(b, 72, 16);
		put32(b, 76, -(0xE85250D6u + 16));
	} else {
		put32(b, 64, 0x1BADB002u);
		put32(b, 68, 0);
		put32(b, 72, -0x1BADB002u);
	}
	write_bytes(name, b, sizeof(b));
}

static int setup(void **state)
{
	(void)state;
	assert_non_null(mkdtemp(dir));
	write_elf("k.elf", 1);
	write_elf("pv.elf", 2);
	uint8_t b[4096] = { 0 };
	/* a bzImage: boot_flag 0xAA55 at 0x1FE, "HdrS" at 0x202 */
	b[0x1FE] = 0x55;
	b[0x1FF] = 0xAA;
	memcpy(b + 0x202, "HdrS", 4);
	write_bytes("bzImage", b, sizeof(b));
	b[0x1FF] = 0;  /* boot_flag wrong: not a bzImage */
	write_bytes("not-bz", b, sizeof(b));
	memset(b, 0, sizeof(b));
	memcpy(b + 0x202, "HdrS", 4);   /* no boot_flag */
	write_bytes("hdrs-only", b, sizeof(b));
	memset(b, 0, sizeof(b));
	/* a multiboot1 a.out-kludge image: flags bit 16 */
	put32(b, 0, 0x1BADB002u);
	put32(b, 4, 1u << 16);
	put32(b, 8, -(0x1BADB002u + (1u << 16)));
	write_bytes("aout.bin", b, sizeof(b));
	write_bytes("initrd.img", (const uint8_t *)"initrd", 6);
	char *sub = file("subdir");
	assert_int_equal(mkdir(sub, 0755), 0);
	free(sub);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	remove_tree(dir);
	return 0;
}

/* boot_spec_init on one guest "dir/NAME[:ARGS]"; its kind in *bzimage. */
static int init_one(bool native, const char *guest, int *bzimage)
{
	char *arg = xasprintf("%s/%s", dir, guest);
	char *image = file("pv.elf");
	struct boot_spec bs;
	char *args[] = { arg };
	int rc = boot_spec_init(&bs, native, native ? NULL : image, NULL, args, 1);
	if (!rc) {
		if (bzimage)
			*bzimage = bs.guests[0].bzimage;
		boot_spec_free(&bs);
	}
	free(arg);
	free(image);
	return rc;
}

static void bzimage_detected_by_its_setup_header(void **state)
{
	(void)state;
	char *p = file("bzImage");
	assert_int_equal(file_is_bzimage(p), 1);
	free(p);
	const char *not[] = { "not-bz", "hdrs-only", "k.elf", "aout.bin", "initrd.img" };
	for (size_t i = 0; i < sizeof(not) / sizeof(not[0]); i++) {
		p = file(not[i]);
		assert_int_equal(file_is_bzimage(p), 0);
		free(p);
	}
	p = file("missing");
	assert_int_equal(file_is_bzimage(p), -1);
	free(p);
}

static void guest_kinds_accepted(void **state)
{
	(void)state;
	int bz = -1;
	assert_int_equal(init_one(true, "k.elf", &bz), 0);
	assert_int_equal(bz, 0);
	assert_int_equal(init_one(false, "k.elf", &bz), 0);
	assert_int_equal(bz, 0);
	assert_int_equal(init_one(false, "aout.bin", &bz), 0);
	assert_int_equal(bz, 0);
	bz = -1;
	assert_int_equal(init_one(true, "bzImage:console=ttyS0 initrd=initrd.img", &bz), -1);
	/* initrd= relative to the working directory: give it in full */
	char *arg = xasprintf("bzImage:console=ttyS0 initrd=%s/initrd.img", dir);
	assert_int_equal(init_one(true, arg, &bz), 0);
	assert_int_equal(bz, 1);
	bz = -1;
	assert_int_equal(init_one(false, arg, &bz), 0);
	assert_int_equal(bz, 1);
	free(arg);
	assert_int_equal(init_one(true, "not-bz", NULL), -1);
	assert_int_equal(init_one(false, "hdrs-only", NULL), -1);
}

static void initrd_must_be_a_regular_file(void **state)
{
	(void)state;
	char *ok = xasprintf("k.elf:initrd=%s/initrd.img", dir);
	char *missing = xasprintf("k.elf:initrd=%s/missing", dir);
	char *subdir = xasprintf("k.elf:initrd=%s/subdir", dir);
	char *two = xasprintf("k.elf:initrd=%s/initrd.img initrd=%s/initrd.img", dir, dir);
	char *bzmod = xasprintf("bzImage:module=%s/initrd.img", dir);
	assert_int_equal(init_one(false, ok, NULL), 0);
	assert_int_equal(init_one(true, ok, NULL), 0);
	assert_int_equal(init_one(false, missing, NULL), -1);
	assert_int_equal(init_one(false, subdir, NULL), -1);
	assert_int_equal(init_one(false, two, NULL), -1);
	assert_int_equal(init_one(true, bzmod, NULL), -1);
	free(ok);
	free(missing);
	free(subdir);
	free(two);
	free(bzmod);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(bzimage_detected_by_its_setup_header),
		cmocka_unit_test(guest_kinds_accepted),
		cmocka_unit_test(initrd_must_be_a_regular_file),
	};
	return cmocka_run_group_tests_name("bootspec", tests, setup, teardown);
}
