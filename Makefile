# perfvisor top-level build.  `make` builds everything into build/:
#   build/perfvisor.elf    the hypervisor (ELF64, multiboot2 + multiboot1 headers)
#   build/perfvisor.elf32  the same image as elf32-i386 (QEMU -kernel only takes 32-bit ELF)
#   build/guest-stub/*.elf our guest kernels (32-bit multiboot v1, boot natively too)
#   build/perfvisor        the host CLI (run / record / report)
# `make test` runs unit and boot tests; `make bench` prints the benchmark figures;
# `make demo` boots perfvisor in the emulator with the demo guests.
# `make install [PREFIX=/usr/local] [DESTDIR=]` installs the CLI, the hypervisor image
# (PREFIX/lib/perfvisor/, where the installed CLI looks for it), man pages and bash completion.

# make VMX_CHECK=1 builds the debug hypervisor (below) into its own folder unless BUILD= says
ifeq ($(VMX_CHECK),1)
BUILD   ?= build/vmxcheck
endif
BUILD   ?= build
CC      ?= gcc
NASM    ?= nasm

.PHONY: all build deps hv guests cli demo test bench clean
# deps first, on its own: with -j the packages must be there before anything compiles
all: deps
	@$(MAKE) --no-print-directory build

build: hv guests cli

deps:
	@scripts/install-deps.sh

# ---------------------------------------------------------------- hypervisor
HV_CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror -ffreestanding -fno-builtin \
	-fno-stack-protector -fno-pic -fno-pie -mno-red-zone -mgeneral-regs-only \
	-mcmodel=small -fno-asynchronous-unwind-tables -fno-omit-frame-pointer \
	-nostdinc -isystem $(shell $(CC) -print-file-name=include) -Iinclude -I. -DPERFVISOR_HV \
	-ffile-prefix-map=$(CURDIR)=.
# make VMX_CHECK=1 (into build/vmxcheck unless BUILD= is given): a debug build that runs the
# VM-entry checker (arch/x86/vmx/vmx_entry_check.c) on the current VMCS before every VM entry
ifeq ($(VMX_CHECK),1)
HV_CFLAGS += -DVMX_ENTRY_CHECK
endif
HV_LDFLAGS := -nostdlib -static -z max-page-size=0x1000 -z noexecstack -no-pie -Wl,--build-id=sha1 -T linker.ld

HV_C   := $(wildcard boot/*.c arch/x86/*.c arch/x86/vmx/*.c hv/*.c pmu/*/*.c)
HV_ASM := $(wildcard boot/*.asm arch/x86/*.asm arch/x86/vmx/*.asm)
HV_OBJ := $(patsubst %.c,$(BUILD)/hv/%.o,$(HV_C)) $(patsubst %.asm,$(BUILD)/hv/%.o,$(HV_ASM))

hv: $(BUILD)/perfvisor.elf $(BUILD)/perfvisor.elf32

# the objects depend on the Makefile too: a changed flag (e.g. -ffile-prefix-map) must rebuild them,
# or the image keeps the old flag's bytes and its size (which the Bochs boot counts) depends on history
$(BUILD)/hv/%.o: %.c Makefile
	@mkdir -p $(dir $@)
	$(CC) $(HV_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/hv/%.o: %.asm Makefile
	@mkdir -p $(dir $@)
	$(NASM) -f elf64 -Iinclude/ -o $@ $<   # no -g: nasm 2.16 writes the absolute build directory into DWARF

$(BUILD)/perfvisor.elf: $(HV_OBJ) linker.ld
	$(CC) $(HV_LDFLAGS) -o $@ $(HV_OBJ)

$(BUILD)/perfvisor.elf32: $(BUILD)/perfvisor.elf
	objcopy -O elf32-i386 $< $@

-include $(HV_OBJ:.o=.d)

# ---------------------------------------------------------------- sub-makefiles
include guest-stub/guest.mk
include profiler/profiler.mk
include profiler/capture.mk
include tests/tests.mk

# the demo: perfvisor in the emulator with guest-stubs side by side, profiled system-wide
# (call chains, 1 sample every 100,000 cycles), then the profile as perf report would show it
DEMO_DATA := $(BUILD)/demo.data
demo: all
	$(BUILD)/perfvisor record --emulator bochs -c 100000 -g -o $(DEMO_DATA) -- \
		$(BUILD)/guest-stub/hello.elf "$(BUILD)/guest-stub/compute.elf:iters=1000000" \
		$(BUILD)/guest-stub/procs.elf $(BUILD)/guest-stub/chain.elf
	$(BUILD)/perfvisor report --stdio -i $(DEMO_DATA) --sort domain,process,sym --percent-limit 0.5

bench: all
	@scripts/bench.sh
	@scripts/bench-linux.sh
	@scripts/bench-linuxperf.sh

# ---------------------------------------------------------------- install
# Man pages generated from the CLI's help text (scripts/gen-man.sh), so they cannot drift from it.
PREFIX ?= /usr/local
MAN_DIR := $(BUILD)/man
.PHONY: man install
man: $(BUILD)/perfvisor scripts/gen-man.sh
	@rm -rf $(MAN_DIR)
	scripts/gen-man.sh $(BUILD)/perfvisor $(MAN_DIR)

install: hv cli man
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/perfvisor \
		$(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/bash-completion/completions
	install -m 755 $(BUILD)/perfvisor $(DESTDIR)$(PREFIX)/bin/perfvisor
	install -m 644 $(BUILD)/perfvisor.elf $(BUILD)/perfvisor.elf32 $(DESTDIR)$(PREFIX)/lib/perfvisor/
	install -m 644 $(MAN_DIR)/*.1 $(DESTDIR)$(PREFIX)/share/man/man1/
	install -m 644 scripts/perfvisor-completion.bash \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions/perfvisor

clean:
	rm -rf $(BUILD)
