/* grub.cfg generation: the menu entry perfvisor run and iso boot. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "guest.h"
#include "iso.h"
#include "util.h"

static void make_guests(struct guest_spec *g, const char **args, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const char *err;
		assert_int_equal(guest_parse(args[i], &g[i], &err), 0);
	}
	guests_assign_names(g, n);
}

static void hypervisor_entry_has_one_module_per_guest(void **state)
{
	(void)state;
	const char *args[] = { "build/guest-stub/hello.elf", "x/hello.elf:mem=32 budget=100" };
	struct guest_spec g[2];
	make_guests(g, args, 2);
	struct iso_desc d = { .hv_image = "build/perfvisor.elf", .hv_cmdline = "slice=5000",
			      .guests = g, .nguests = 2 };
	char *cfg = grub_cfg_generate(&d);
	assert_string_equal(cfg, "set timeout=0\n"
				 "set default=0\n"
				 "menuentry \"perfvisor\" {\n"
				 "  multiboot2 /boot/perfvisor.elf slice=5000\n"
				 "  module2 /boot/g1.elf name=hello\n"
				 "  module2 /boot/g2.elf name=hello-2 mem=32 budget=100\n"
				 "  boot\n"
				 "}\n");
	free(cfg);
	guest_free(&g[0]);
	guest_free(&g[1]);
}

static void no_hypervisor_cmdline_leaves_no_trailing_blank(void **state)
{
	(void)state;
	const char *args[] = { "k.elf:name=a" };
	struct guest_spec g[1];
	make_guests(g, args, 1);
	struct iso_desc d = { .hv_image = "p.elf", .guests = g, .nguests = 1 };
	char *cfg = grub_cfg_generate(&d);
	assert_non_null(strstr(cfg, "  multiboot2 /boot/perfvisor.elf\n  module2 /boot/g1.elf name=a\n"));
	free(cfg);
	guest_free(&g[0]);
}

static void native_entry_boots_the_guest_with_multiboot1(void **state)
{
	(void)state;
	const char *args[] = { "guests/compute.elf:iters=10" };
	struct guest_spec g[1];
	make_guests(g, args, 1);
	struct iso_desc d = { .native = true, .guests = g, .nguests = 1 };
	char *cfg = grub_cfg_generate(&d);
	assert_string_equal(cfg, "set timeout=0\n"
				 "set default=0\n"
				 "menuentry \"perfvisor\" {\n"
				 "  multiboot /boot/g1.elf iters=10\n"
				 "  boot\n"
				 "}\n");
	free(cfg);
	guest_free(&g[0]);
}

/* A guest's module=PATH files follow it as modules marked perfvisor.module-of=<its domain>,
 * the string the guest sees being the file's name; natively, plain multiboot modules. */
static void modules_follow_their_guest_marked_with_its_domain(void **state)
{
	(void)state;
	const char *args[] = { "a.elf", "b.elf:module=d/one.bin x=1 module=two" };
	struct guest_spec g[2];
	make_guests(g, args, 2);
	struct iso_desc d = { .hv_image = "pv.elf", .guests = g, .nguests = 2 };
	char *cfg = grub_cfg_generate(&d);
	assert_string_equal(cfg, "set timeout=0\n"
				 "set default=0\n"
				 "menuentry \"perfvisor\" {\n"
				 "  multiboot2 /boot/perfvisor.elf\n"
				 "  module2 /boot/g1.elf name=a\n"
				 "  module2 /boot/g2.elf name=b x=1\n"
				 "  module2 /boot/g2-m1.bin perfvisor.module-of=2 one.bin\n"
				 "  module2 /boot/g2-m2.bin perfvisor.module-of=2 two\n"
				 "  boot\n"
				 "}\n");
	free(cfg);
	struct iso_desc n = { .native = true, .guests = &g[1], .nguests = 1 };
	cfg = grub_cfg_generate(&n);
	assert_string_equal(cfg, "set timeout=0\n"
				 "set default=0\n"
				 "menuentry \"perfvisor\" {\n"
				 "  multiboot /boot/g1.elf x=1\n"
				 "  module /boot/g1-m1.bin one.bin\n"
				 "  module /boot/g1-m2.bin two\n"
				 "  boot\n"
				 "}\n");
	free(cfg);
	guest_free(&g[0]);
	guest_free(&g[1]);
}

/* The menu entry generated for d is the usual one around body (its lines before "boot"). */
static void assert_entry(const struct iso_desc *d, const char *body)
{
	char *cfg = grub_cfg_generate(d);
	char *want = xasprintf("set timeout=0\nset default=0\nmenuentry \"perfvisor\" {\n%s"
			       "  boot\n}\n", body);
	assert_string_equal(cfg, want);
	free(want);
	free(cfg);
}

/* initrd=PATH: a module marked perfvisor.initrd-of=<its domain> right after the kernel, before
 * its module= files; natively, a multiboot kernel's first module. */
static void initrd_follows_its_guest_marked_with_its_domain(void **state)
{
	(void)state;
	struct guest_spec g[2];
	const char *args[] = { "a.elf", "b.elf:module=one.bin initrd=d/rd.img x=1" };
	make_guests(g, args, 2);
	struct iso_desc d = { .hv_image = "pv.elf", .guests = g, .nguests = 2 };
	assert_entry(&d, "  multiboot2 /boot/perfvisor.elf\n"
			 "  module2 /boot/g1.elf name=a\n"
			 "  module2 /boot/g2.elf name=b x=1\n"
			 "  module2 /boot/g2-initrd.bin perfvisor.initrd-of=2 rd.img\n"
			 "  module2 /boot/g2-m1.bin perfvisor.module-of=2 one.bin\n");
	struct iso_desc n = { .native = true, .guests = &g[1], .nguests = 1 };
	assert_entry(&n, "  multiboot /boot/g1.elf x=1\n"
			 "  module /boot/g1-initrd.bin rd.img\n"
			 "  module /boot/g1-m1.bin one.bin\n");
	guest_free(&g[0]);
	guest_free(&g[1]);
}

/* --native with a bzImage: GRUB's linux and initrd commands instead of multiboot. */
static void native_bzimage_boots_with_linux_and_initrd(void **state)
{
	(void)state;
	const char *args[] = { "arch/x86/boot/bzImage:console=ttyS0 initrd=rd.img name=l mem=64",
			       "bzImage:quiet" };
	struct guest_spec g[2];
	make_guests(g, args, 2);
	g[0].bzimage = g[1].bzimage = 1;   /* as boot_spec_init finds from the file */
	struct iso_desc d = { .native = true, .guests = &g[0], .nguests = 1 };
	assert_entry(&d, "  linux /boot/g1.elf console=ttyS0\n"
			 "  initrd /boot/g1-initrd.bin\n");
	d.guests = &g[1];
	assert_entry(&d, "  linux /boot/g1.elf quiet\n");
	guest_free(&g[0]);
	guest_free(&g[1]);
}

static void words_grub_would_interpret_are_single_quoted(void **state)
{
	(void)state;
	const char *cases[][2] = {
		{ "a=1  b=x/y:z,w+q@r%s", "a=1 b=x/y:z,w+q@r%s" },
		{ "x=$HOME", "'x=$HOME'" },
		{ "it's", "'it'\\''s'" },
		{ "a;b {c} #d", "'a;b' '{c}' '#d'" },
		{ "", "" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *q = grub_quote_cmdline(cases[i][0]);
		assert_string_equal(q, cases[i][1]);
		free(q);
	}
	char *q = grub_quote_cmdline(NULL);
	assert_string_equal(q, "");
	free(q);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(hypervisor_entry_has_one_module_per_guest),
		cmocka_unit_test(no_hypervisor_cmdline_leaves_no_trailing_blank),
		cmocka_unit_test(native_entry_boots_the_guest_with_multiboot1),
		cmocka_unit_test(words_grub_would_interpret_are_single_quoted),
		cmocka_unit_test(modules_follow_their_guest_marked_with_its_domain),
		cmocka_unit_test(initrd_follows_its_guest_marked_with_its_domain),
		cmocka_unit_test(native_bzimage_boots_with_linux_and_initrd),
	};
	return cmocka_run_group_tests_name("grub.cfg", tests, NULL, NULL);
}
