/* Guest specifications on the command line: GUEST.elf[:ARGS]. */
#define _GNU_SOURCE
#include "guest.h"
#include "../include/perfvisor/limits.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util.h"

const char *const guest_perfvisor_keys[] = { "name", "mem", "budget", "vpmu", "module", "initrd",
						 NULL };

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n';
}

/* The tokens of args, except those "key=..." of keys (and "perfvisor.*" when drop_ns), joined by
 * one space (new string).  Each module=VALUE and initrd=VALUE met is handed to on_module, if not
 * NULL. */
static char *args_without(const char *args, const char *const *keys, int drop_ns,
			  struct guest_spec *on_module)
{
	char *out = xstrdup("");
	size_t len = 0;
	const char *p = args;
	while (*p) {
		while (is_space(*p))
			p++;
		const char *tok = p;
		while (*p && !is_space(*p))
			p++;
		size_t tlen = p - tok;
		if (!tlen)
			continue;
		int drop = drop_ns && !strncmp(tok, "perfvisor.", 10);
		for (const char *const *k = keys; *k && !drop; k++) {
			size_t klen = strlen(*k);
			drop = tlen > klen && !strncmp(tok, *k, klen) && tok[klen] == '=';
		}
		if (on_module && tlen >= 7 && !strncmp(tok, "module=", 7)) {
			on_module->modules = xrealloc(on_module->modules,
						      (on_module->nmodules + 1) * sizeof(char *));
			on_module->modules[on_module->nmodules++] = strndup(tok + 7, tlen - 7);
		}
		if (on_module && tlen >= 7 && !strncmp(tok, "initrd=", 7)) {
			free(on_module->initrd);
			on_module->initrd = strndup(tok + 7, tlen - 7);
			on_module->ninitrd++;
		}
		if (drop)
			continue;
		out = xrealloc(out, len + tlen + 2);
		if (len)
			out[len++] = ' ';
		memcpy(out + len, tok, tlen);
		len += tlen;
		out[len] = '\0';
	}
	return out;
}

char *guest_native_args(const struct guest_spec *spec)
{
	return args_without(spec->user_args, guest_perfvisor_keys, 1, NULL);
}

char *guest_module_string(const char *path)
{
	const char *base = strrchr(path, '/');
	return xstrdup(base ? base + 1 : path);
}

char *cmdline_get(const char *cmdline, const char *key)
{
	size_t klen = strlen(key);
	const char *p = cmdline;
	while (p && *p) {
		while (is_space(*p))
			p++;
		const char *tok = p;
		while (*p && !is_space(*p))
			p++;
		if ((size_t)(p - tok) > klen && !strncmp(tok, key, klen) && tok[klen] == '=')
			return strndup(tok + klen + 1, p - tok - klen - 1);
	}
	return NULL;
}

char *guest_default_name(const char *path)
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	size_t n = strlen(base);
	if (n >= 4 && !strcmp(base + n - 4, ".elf"))
		n -= 4;
	if (n == 0)
		return xstrdup("guest");
	return strndup(base, n);
}

int guest_parse(const char *arg, struct guest_spec *spec, const char **err)
{
	memset(spec, 0, sizeof(*spec));
	const char *colon = strchr(arg, ':');
	if (colon == arg || !*arg) {
		*err = "empty guest file name";
		return -1;
	}
	spec->path = colon ? strndup(arg, colon - arg) : xstrdup(arg);
	/* Trim surrounding blanks of ARGS so grub.cfg stays tidy. */
	const char *a = colon ? colon + 1 : "";
	while (is_space(*a))
		a++;
	size_t alen = strlen(a);
	while (alen && is_space(a[alen - 1]))
		alen--;
	char *all = strndup(a, alen);
	static const char *const module_key[] = { "module", "initrd", NULL };
	spec->user_args = args_without(all, module_key, 0, spec);
	free(all);
	int empty_module = 0;
	for (size_t i = 0; i < spec->nmodules; i++)
		empty_module |= !*spec->modules[i];
	if (empty_module) {
		*err = "module= needs a file name";
		guest_free(spec);
		return -1;
	}
	if (spec->ninitrd > 1 || (spec->initrd && !*spec->initrd)) {
		*err = spec->ninitrd > 1 ? "at most one initrd= per guest" : "initrd= needs a file name";
		guest_free(spec);
		return -1;
	}

	spec->mem_mib = GUEST_DEFAULT_MEM_MIB;
	char *mem = cmdline_get(spec->user_args, "mem");
	if (mem) {
		char *end;
		unsigned long v = strtoul(mem, &end, 10);
		int bad = !*mem || *end || *mem == '-' || v == 0 || v > 1048576;
		free(mem);
		if (bad) {
			*err = "mem= needs a size in MiB";
			guest_free(spec);
			return -1;
		}
		spec->mem_mib = (unsigned)v;
	}
	spec->name = cmdline_get(spec->user_args, "name");
	if (spec->name && !*spec->name) {
		*err = "name= needs a value";
		guest_free(spec);
		return -1;
	}
	spec->explicit_name = spec->name != NULL;
	return 0;
}

static int name_taken(const struct guest_spec *g, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (g[i].name && !strcmp(g[i].name, name))
			return 1;
	return 0;
}

void guests_assign_names(struct guest_spec *g, size_t n)
{
	/* Explicit names are kept as given; derived names avoid every name
	 * already taken, so "k.elf k.elf" gives k and k-2. */
	for (size_t i = 0; i < n; i++) {
		if (g[i].explicit_name)
			continue;
		char *base = guest_default_name(g[i].path);
		char *name = xstrdup(base);
		for (unsigned k = 2; name_taken(g, n, name); k++) {
			free(name);
			name = xasprintf("%s-%u", base, k);
		}
		free(base);
		free(g[i].name);
		g[i].name = name;
	}
	for (size_t i = 0; i < n; i++) {
		free(g[i].args);
		if (g[i].explicit_name)
			g[i].args = xstrdup(g[i].user_args);
		else if (*g[i].user_args)
			g[i].args = xasprintf("name=%s %s", g[i].name, g[i].user_args);
		else
			g[i].args = xasprintf("name=%s", g[i].name);
	}
}

unsigned guests_total_mem(const struct guest_spec *g, size_t n)
{
	unsigned sum = 0;
	for (size_t i = 0; i < n; i++)
		sum += g[i].mem_mib;
	return sum;
}

static unsigned long long file_size(const char *path)
{
	struct stat st;
	return path && stat(path, &st) == 0 ? (unsigned long long)st.st_size : 0;
}

unsigned guests_files_megs(const struct guest_spec *g, size_t n)
{
	unsigned long long bytes = 0;
	for (size_t i = 0; i < n; i++) {
		bytes += file_size(g[i].path) + file_size(g[i].initrd);
		for (size_t m = 0; m < g[i].nmodules; m++)
			bytes += file_size(g[i].modules[m]);
	}
	return (unsigned)((bytes + (1ull << 20) - 1) >> 20);
}

void guest_free(struct guest_spec *spec)
{
	free(spec->path);
	free(spec->user_args);
	free(spec->name);
	free(spec->args);
	for (size_t i = 0; i < spec->nmodules; i++)
		free(spec->modules[i]);
	free(spec->modules);
	free(spec->initrd);
	memset(spec, 0, sizeof(*spec));
}
