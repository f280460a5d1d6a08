/* Guest specifications on the command line: GUEST.elf[:ARGS]. */
#ifndef PROFILER_GUEST_H
#define PROFILER_GUEST_H

#include <stddef.h>
#include "../include/perfvisor/limits.h"

#define GUEST_DEFAULT_MEM_MIB PV_DEFAULT_MEM_MIB /* include/perfvisor/limits.h */

struct guest_spec {
	char *path;       /* the ELF file on the host */
	char *user_args;  /* everything after the first ':' ("" if none), without module= and initrd= */
	char *name;       /* domain name: from name= or derived from the file name */
	int explicit_name;/* name came from a name= token */
	char *args;       /* the module command line written to grub.cfg */
	unsigned mem_mib; /* from mem=, or GUEST_DEFAULT_MEM_MIB */
	char **modules;   /* module=PATH, in order: host files given to the guest as multiboot
			   * modules (docs/guests.md "Modules") */
	size_t nmodules;
	char *initrd;     /* initrd=PATH: the guest's initrd (docs/guests.md "Modules"), or NULL */
	unsigned ninitrd; /* initrd= tokens met: more than one is an error */
	int bzimage;      /* the file is a Linux bzImage (set by boot_spec_init's checks) */
};

/* The multiboot module marker (docs/console-protocol.md "Module command lines"): a GRUB module
 * whose command line has "perfvisor.module-of=N" is not a domain but a module of domain N. */
#define GUEST_MODULE_OF_KEY "perfvisor.module-of"
/* The same for a guest's initrd=PATH: "perfvisor.initrd-of=N" marks domain N's initrd. */
#define GUEST_INITRD_OF_KEY "perfvisor.initrd-of"
/* The keys of a guest's ARGS that are perfvisor's (the guest never sees them). */
extern const char *const guest_perfvisor_keys[];

/* Split "path[:args]" into spec->path and spec->user_args, read name=, mem=, module= and initrd=.
 * Returns 0, or -1 with *err set to a static message. */
int guest_parse(const char *arg, struct guest_spec *spec, const char **err);
/* Give every guest without name= a unique name (basename without .elf,
 * suffixed -2, -3... on collision) and build spec->args.  */
void guests_assign_names(struct guest_spec *g, size_t n);
/* Memory the guests ask for, in MiB. */
unsigned guests_total_mem(const struct guest_spec *g, size_t n);
/* The size of the files GRUB loads into the machine's RAM for them (kernels, initrd=, module=),
 * in MiB rounded up; a file that cannot be read counts 0 (boot_spec_init reports it). */
unsigned guests_files_megs(const struct guest_spec *g, size_t n);
/* Value of the first "key=" token in a whitespace-separated list, or NULL
 * (returns a new string). */
char *cmdline_get(const char *cmdline, const char *key);
/* "dir/hello.elf" -> "hello" (new string; "guest" if nothing is left). */
char *guest_default_name(const char *path);
/* spec->user_args without perfvisor's keys: what the guest is given when booted natively
 * (new string). */
char *guest_native_args(const struct guest_spec *spec);
/* "dir/data.bin" -> "data.bin": the module's string the guest sees (new string). */
char *guest_module_string(const char *path);
void guest_free(struct guest_spec *spec);

#endif
