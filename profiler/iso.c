/* Building a GRUB rescue ISO that boots the hypervisor and its guests
 * (one multiboot2 module per domain), or one guest natively. */
#define _GNU_SOURCE
#include "iso.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util.h"

/* grub-mkrescue needs GRUB's BIOS modules to make a CD that a PC BIOS (and
 * Bochs/QEMU's SeaBIOS) can boot; without them it still "succeeds". */
#define GRUB_I386_PC_DIR "/usr/lib/grub/i386-pc"
#define ISO_PACKAGES "grub-pc-bin grub-common xorriso mtools"
/* ... and its x86_64 EFI modules (grub-efi-amd64-bin) to add the EFI boot image (efi.img, El
 * Torito platform "UEFI") beside it: one ISO then boots on both kinds of firmware. */
#define GRUB_X86_64_EFI_DIR "/usr/lib/grub/x86_64-efi"

static int grub_safe_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       strchr("-_=.,/:+@%", c) != NULL;
}

/* One word, single-quoted if it has anything GRUB's script lexer treats
 * specially ($ ; " ' \ { } # and so on); ' inside becomes '\''. */
static void append_quoted(char **out, size_t *len, const char *w, size_t n)
{
	size_t need = 2 * n + 4 * n + 3;
	*out = xrealloc(*out, *len + need + 1);
	char *p = *out + *len;
	int safe = n > 0;
	for (size_t i = 0; i < n; i++)
		safe &= grub_safe_char(w[i]);
	if (safe) {
		memcpy(p, w, n);
		p += n;
	} else {
		*p++ = '\'';
		for (size_t i = 0; i < n; i++) {
			if (w[i] == '\'') {
				memcpy(p, "'\\''", 4);
				p += 4;
			} else {
				*p++ = w[i];
			}
		}
		*p++ = '\'';
	}
	*len = p - *out;
	(*out)[*len] = '\0';
}

char *grub_quote_cmdline(const char *cmdline)
{
	char *out = xstrdup("");
	size_t len = 0;
	const char *p = cmdline ? cmdline : "";
	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\n')
			p++;
		if (!*p)
			break;
		const char *w = p;
		while (*p && *p != ' ' && *p != '\t' && *p != '\n')
			p++;
		if (len) {
			out = xrealloc(out, len + 2);
			out[len++] = ' ';
			out[len] = '\0';
		}
		append_quoted(&out, &len, w, p - w);
	}
	return out;
}

/* Append "cmd path args\n" with args quoted (no trailing blank if no args). */
static void append_line(char **cfg, const char *cmd, const char *path, const char *args)
{
	char *q = grub_quote_cmdline(args);
	char *old = *cfg;
	*cfg = xasprintf("%s  %s %s%s%s\n", old, cmd, path, *q ? " " : "", q);
	free(old);
	free(q);
}

char *grub_cfg_generate(const struct iso_desc *desc)
{
	char *cfg = xstrdup("set timeout=0\n"
			    "set default=0\n"
			    "menuentry \"perfvisor\" {\n");
	if (desc->native) {
		/* GRUB alone: the guest gets its own keys only, its modules as multiboot modules */
		const struct guest_spec *g = desc->nguests ? &desc->guests[0] : NULL;
		char *args = g ? guest_native_args(g) : xstrdup("");
		if (g && g->bzimage) {
			/* a Linux bzImage: GRUB's Linux boot protocol loader, its initrd= as initrd */
			append_line(&cfg, "linux", "/boot/g1.elf", args);
			if (g->initrd)
				append_line(&cfg, "initrd", "/boot/g1-initrd.bin", NULL);
		} else {
			append_line(&cfg, "multiboot", "/boot/g1.elf", args);
			if (g && g->initrd) {   /* a multiboot kernel's initrd: its first module */
				char *str = guest_module_string(g->initrd);
				append_line(&cfg, "module", "/boot/g1-initrd.bin", str);
				free(str);
			}
		}
		free(args);
		for (size_t j = 0; desc->nguests && j < desc->guests[0].nmodules; j++) {
			char path[64];
			char *str = guest_module_string(desc->guests[0].modules[j]);
			snprintf(path, sizeof(path), "/boot/g1-m%zu.bin", j + 1);
			append_line(&cfg, "module", path, str);
			free(str);
		}
	} else {
		append_line(&cfg, "multiboot2", "/boot/perfvisor.elf", desc->hv_cmdline);
		for (size_t i = 0; i < desc->nguests; i++) {
			char path[64];
			snprintf(path, sizeof(path), "/boot/g%zu.elf", i + 1);
			append_line(&cfg, "module2", path, desc->guests[i].args);
			/* its initrd first, then its modules, marked for the hypervisor: domain i + 1 */
			if (desc->guests[i].initrd) {
				char *str = guest_module_string(desc->guests[i].initrd);
				char *args = xasprintf(GUEST_INITRD_OF_KEY "=%zu %s", i + 1, str);
				snprintf(path, sizeof(path), "/boot/g%zu-initrd.bin", i + 1);
				append_line(&cfg, "module2", path, args);
				free(args);
				free(str);
			}
			for (size_t j = 0; j < desc->guests[i].nmodules; j++) {
				char *str = guest_module_string(desc->guests[i].modules[j]);
				char *args = xasprintf(GUEST_MODULE_OF_KEY "=%zu %s", i + 1, str);
				snprintf(path, sizeof(path), "/boot/g%zu-m%zu.bin", i + 1, j + 1);
				append_line(&cfg, "module2", path, args);
				free(args);
				free(str);
			}
		}
	}
	char *old = cfg;
	cfg = xasprintf("%s  boot\n}\n", old);
	free(old);
	return cfg;
}

static int make_dir(const char *path)
{
	if (mkdir(path, 0755) < 0 && errno != EEXIST) {
		pv_error("cannot create %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

int iso_build(const struct iso_desc *desc, const char *workdir, const char *out_iso)
{
	char *grub_mkrescue = find_in_path("grub-mkrescue");
	if (!grub_mkrescue) {
		pv_error("grub-mkrescue not found: install the packages %s (or run make deps)", ISO_PACKAGES);
		return -1;
	}
	free(grub_mkrescue);
	struct stat st;
	if (stat(GRUB_I386_PC_DIR, &st) < 0) {
		pv_error("%s is missing, so the ISO could not boot on a PC BIOS: install grub-pc-bin",
			 GRUB_I386_PC_DIR);
		return -1;
	}
	if (stat(GRUB_X86_64_EFI_DIR, &st) < 0)
		pv_info("%s is missing: the ISO boots on a PC BIOS only, not on UEFI firmware "
			"(install grub-efi-amd64-bin)", GRUB_X86_64_EFI_DIR);

	int rc = -1;
	char *root = path_join(workdir, "iso");
	char *boot = path_join(root, "boot");
	char *grub = path_join(boot, "grub");
	char *cfg_path = path_join(grub, "grub.cfg");
	char *log = path_join(workdir, "grub-mkrescue.log");
	char *cfg = NULL;
	if (make_dir(root) || make_dir(boot) || make_dir(grub))
		goto out;

	if (!desc->native) {
		char *dst = path_join(boot, "perfvisor.elf");
		int r = copy_file(desc->hv_image, dst);
		free(dst);
		if (r)
			goto out;
	}
	for (size_t i = 0; i < desc->nguests; i++) {
		char name[64];
		snprintf(name, sizeof(name), "g%zu.elf", i + 1);
		char *dst = path_join(boot, name);
		int r = copy_file(desc->guests[i].path, dst);
		free(dst);
		if (r)
			goto out;
		if (desc->guests[i].initrd) {
			snprintf(name, sizeof(name), "g%zu-initrd.bin", i + 1);
			dst = path_join(boot, name);
			r = copy_file(desc->guests[i].initrd, dst);
			free(dst);
			if (r)
				goto out;
		}
		for (size_t j = 0; j < desc->guests[i].nmodules; j++) {
			snprintf(name, sizeof(name), "g%zu-m%zu.bin", i + 1, j + 1);
			dst = path_join(boot, name);
			r = copy_file(desc->guests[i].modules[j], dst);
			free(dst);
			if (r)
				goto out;
		}
	}
	cfg = grub_cfg_generate(desc);
	if (write_file(cfg_path, cfg))
		goto out;

	char *argv[] = { "grub-mkrescue", "-o", (char *)out_iso, root, NULL };
	int status = run_logged(argv, log);
	if (status < 0)
		goto out;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		char why[128];
		pv_error("grub-mkrescue failed (%s); its output:", describe_wait_status(status, why, sizeof(why)));
		print_file_tail(log, 12);
		pv_info("hint: if a tool is missing, grub-mkrescue needs the packages %s (make deps)", ISO_PACKAGES);
		goto out;
	}
	rc = 0;
out:
	free(cfg);
	free(root);
	free(boot);
	free(grub);
	free(cfg_path);
	free(log);
	return rc;
}
