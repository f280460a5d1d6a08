# profiler/: the host tool build/perfvisor (run, iso; later record, report...).
# Included by the top Makefile (BUILD and CC come from there).
#   make cli            build $(BUILD)/perfvisor
#   make cli-unit-test  build and run the cmocka tests in profiler/tests/

CLI_VERSION := $(shell git describe --always --dirty 2>/dev/null || echo unknown)
CLI_CFLAGS  := -std=gnu11 -O2 -g -Wall -Wextra -Werror -Iprofiler \
	-DPERFVISOR_VERSION='"0.1 ($(CLI_VERSION))"'
CLI_LDFLAGS :=
# Every library through pkg-config, but libiberty (cplus_demangle), which ships no .pc file.
CLI_PKGS    := libelf libdw zlib libbpf liblz4
CLI_CFLAGS  += $(shell pkg-config --cflags $(CLI_PKGS) 2>/dev/null)
CLI_LDLIBS  := $(shell pkg-config --libs $(CLI_PKGS) 2>/dev/null || echo -lelf -ldw -lz -lbpf -llz4) -liberty

CLI_SRC     := $(wildcard profiler/*.c)
CLI_OBJ     := $(patsubst profiler/%.c,$(BUILD)/profiler/%.o,$(CLI_SRC))
# Everything but main(): what the unit tests link against.
CLI_LIB_OBJ := $(filter-out $(BUILD)/profiler/main.o,$(CLI_OBJ))

CLI_TEST_SRC := $(wildcard profiler/tests/test_*.c)
CLI_TEST_BIN := $(patsubst profiler/tests/%.c,$(BUILD)/profiler/tests/%,$(CLI_TEST_SRC))
CLI_TEST_LDLIBS := $(shell pkg-config --libs cmocka 2>/dev/null || echo -lcmocka)

.PHONY: cli cli-unit-test
cli: $(BUILD)/perfvisor

$(BUILD)/perfvisor: $(CLI_OBJ)
	$(CC) $(CLI_LDFLAGS) -o $@ $^ $(CLI_LDLIBS)

# Only main.o shows the version: rebuild it when the git description changes.
$(BUILD)/profiler/main.o: $(BUILD)/profiler/version.stamp
$(BUILD)/profiler/version.stamp: FORCE_CLI_VERSION
	@mkdir -p $(dir $@)
	@echo '$(CLI_VERSION)' | cmp -s - $@ || echo '$(CLI_VERSION)' > $@
.PHONY: FORCE_CLI_VERSION

$(BUILD)/profiler/%.o: profiler/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CLI_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/profiler/tests/%: profiler/tests/%.c $(CLI_LIB_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CLI_CFLAGS) -MMD -MP -o $@ $< $(CLI_LIB_OBJ) $(CLI_LDLIBS) $(CLI_TEST_LDLIBS)

cli-unit-test: $(CLI_TEST_BIN)
	@set -e; for t in $(CLI_TEST_BIN); do echo "== $$t"; $$t; done

-include $(CLI_OBJ:.o=.d) $(CLI_TEST_BIN:=.d)

# test_symbols looks symbols up in a small -g ELF built here (skipped if it cannot be built).
CLI_SYMTEST_ELF := $(BUILD)/profiler/tests/symtest.elf
$(CLI_SYMTEST_ELF): profiler/tests/symtest.c
	@mkdir -p $(dir $@)
	-$(CC) -g -O0 -static -nostdlib -no-pie -fno-pie -fno-stack-protector -Wl,--build-id=sha1 \
		-Wl,-e,symtest_entry -o $@ $<
$(BUILD)/profiler/tests/test_symbols: $(CLI_SYMTEST_ELF)
$(BUILD)/profiler/tests/test_symbols: CLI_CFLAGS += -DSYMTEST_ELF='"$(CLI_SYMTEST_ELF)"'
# test_guest_syms: the same program as a position-independent executable too
CLI_SYMTEST_PIE := $(BUILD)/profiler/tests/symtest-pie.elf
$(CLI_SYMTEST_PIE): profiler/tests/symtest.c
	@mkdir -p $(dir $@)
	-$(CC) -g -O0 -nostdlib -pie -fpie -fno-stack-protector -Wl,--build-id=sha1 \
		-Wl,-e,symtest_entry -o $@ $<
$(BUILD)/profiler/tests/test_guest_syms: $(CLI_SYMTEST_ELF) $(CLI_SYMTEST_PIE)
$(BUILD)/profiler/tests/test_guest_syms: CLI_CFLAGS += -DSYMTEST_ELF='"$(CLI_SYMTEST_ELF)"' \
	-DSYMTEST_PIE_ELF='"$(CLI_SYMTEST_PIE)"'

# convert --to pprof: profile.proto (profiler/proto/, the subset perfvisor writes) encoded by
# protobuf-c; protoc-c generates its C here at build time.
CLI_PROTO_DIR := $(BUILD)/profiler/proto
CLI_PROTO_OBJ := $(CLI_PROTO_DIR)/profile.pb-c.o
CLI_LIB_OBJ   += $(CLI_PROTO_OBJ)
CLI_CFLAGS    += -I$(CLI_PROTO_DIR) $(shell pkg-config --cflags libprotobuf-c 2>/dev/null)
CLI_LDLIBS    += $(shell pkg-config --libs libprotobuf-c 2>/dev/null || echo -lprotobuf-c)

$(CLI_PROTO_DIR)/profile.pb-c.c: profiler/proto/profile.proto
	@mkdir -p $(dir $@)
	protoc-c --c_out=$(CLI_PROTO_DIR) -Iprofiler/proto $<
$(CLI_PROTO_DIR)/profile.pb-c.h: $(CLI_PROTO_DIR)/profile.pb-c.c
$(CLI_PROTO_OBJ): $(CLI_PROTO_DIR)/profile.pb-c.c
	$(CC) $(CLI_CFLAGS) -c $< -o $@
$(BUILD)/profiler/export_pprof.o: $(CLI_PROTO_DIR)/profile.pb-c.h
$(BUILD)/perfvisor $(CLI_TEST_BIN): $(CLI_PROTO_OBJ)
