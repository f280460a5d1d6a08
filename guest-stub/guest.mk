# guest-stub/guest.mk - our guest kernels, included by the top Makefile.
# Every guest is a 32-bit multiboot v1 ELF linked at 1 MiB:
#   $(BUILD)/guest-stub/NAME.elf  from guest-stub/NAME.c + guest-stub/lib/*
# `make guests` builds them all; `make external-kernel` builds
# tests/external/build/kernel.elf with its own Makefile.

GUEST_NAMES   := hello compute exitbench bad hotspot pmu procs chain pmucheck gprof msrfuzz cpuidloop forge dbgiso apicwalk qemutest apictimer gdthandoff legacy selftest
GUEST_DIR     := $(BUILD)/guest-stub
GUEST_OBJDIR  := $(GUEST_DIR)/obj

GUEST_CFLAGS  := -m32 -std=gnu11 -O2 -g -ffile-prefix-map=$(CURDIR)=. -Wall -Wextra -Werror -ffreestanding -fno-builtin \
	-fno-pic -fno-pie -fno-stack-protector -fno-omit-frame-pointer \
	-fno-asynchronous-unwind-tables -mno-sse -mno-mmx -mno-80387 \
	-nostdinc -isystem $(shell $(CC) -print-file-name=include) -Iguest-stub/lib
# make CC=clang: GCC's noipa and noclone have no clang spelling, and noinline is what the guests
# ask of them (each function keeps its own frame, so it appears in the call chains); the
# interrupt handlers call plain functions, which clang warns about for the FP/SSE state they
# might clobber, and -mno-sse -mno-mmx -mno-80387 leaves no such state.
ifneq ($(findstring clang,$(shell $(CC) --version 2>/dev/null | head -1)),)
GUEST_CFLAGS  += -Dnoipa=noinline -Dnoclone=noinline -Wno-interrupt-service-routine
endif
GUEST_LDFLAGS := -m32 -nostdlib -static -no-pie -Wl,-z,max-page-size=0x1000 \
	-Wl,--build-id=none -Wl,-T,guest-stub/linker.ld

GUEST_LIB_C   := $(wildcard guest-stub/lib/*.c)
GUEST_LIB_ASM := $(wildcard guest-stub/lib/*.asm)
GUEST_LIB_OBJ := $(patsubst guest-stub/lib/%.c,$(GUEST_OBJDIR)/lib/%.o,$(GUEST_LIB_C)) \
	$(patsubst guest-stub/lib/%.asm,$(GUEST_OBJDIR)/lib/%.o,$(GUEST_LIB_ASM))
GUEST_OBJ     := $(patsubst %,$(GUEST_OBJDIR)/%.o,$(GUEST_NAMES))
GUEST_ELFS    := $(patsubst %,$(GUEST_DIR)/%.elf,$(GUEST_NAMES))

.PHONY: external-kernel
.SECONDARY: $(GUEST_OBJ) $(GUEST_LIB_OBJ)    # keep objects: they are intermediates of a pattern chain
guests: $(GUEST_ELFS)

$(GUEST_OBJDIR)/%.o: guest-stub/%.c
	@mkdir -p $(dir $@)
	$(CC) $(GUEST_CFLAGS) -MMD -MP -c $< -o $@

$(GUEST_OBJDIR)/lib/%.o: guest-stub/lib/%.asm
	@mkdir -p $(dir $@)
	$(NASM) -f elf32 -o $@ $<   # no -g: nasm 2.16 writes the absolute build directory into DWARF

$(GUEST_DIR)/%.elf: $(GUEST_OBJDIR)/%.o $(GUEST_LIB_OBJ) guest-stub/linker.ld
	$(CC) $(GUEST_LDFLAGS) -o $@ $(GUEST_LIB_OBJ) $<

# gdthandoff keeps the GDT its loader left: its own entry (in the .c) instead of lib/entry.asm.
GUEST_HANDOFF_OBJ := $(filter-out %/lib/entry.o,$(GUEST_LIB_OBJ))
$(GUEST_DIR)/gdthandoff.elf: $(GUEST_OBJDIR)/gdthandoff.o $(GUEST_HANDOFF_OBJ) guest-stub/linker.ld
	$(CC) $(GUEST_LDFLAGS) -o $@ $(GUEST_HANDOFF_OBJ) $<

external-kernel:
	$(MAKE) -C tests/external

-include $(GUEST_LIB_OBJ:.o=.d) $(GUEST_OBJ:.o=.d)
