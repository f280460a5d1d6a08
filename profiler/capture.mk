# profiler/capture.mk: build rules of the capture codec (pmu/sampling/cap_encode.c, profiler/capture.c,
# profiler/datafile.c).  Included by the top Makefile after profiler/profiler.mk.
#   - links the hypervisor's encoder (pmu/sampling/cap_encode.c, freestanding C that also builds hosted)
#     into the host tool's library objects, so tests can write captures
#   - make fuzz-capture [FUZZ_SECONDS=60]: libFuzzer + ASan + UBSan on the capture reader and the
#     perfvisor.data parser, seeded with captures the encoder writes (profiler/fuzz/)

CAP_ENC_HOST_OBJ := $(BUILD)/profiler/pmu/cap_encode.o
CLI_LIB_OBJ += $(CAP_ENC_HOST_OBJ)
# test_capture.c includes pmu/sampling/cap_encode.c itself unless the object is linked in
CLI_CFLAGS  += -DPV_CAP_ENCODE_LINKED

$(CAP_ENC_HOST_OBJ): pmu/sampling/cap_encode.c
	@mkdir -p $(dir $@)
	$(CC) $(CLI_CFLAGS) -MMD -MP -c $< -o $@

$(CLI_TEST_BIN): $(CAP_ENC_HOST_OBJ)

-include $(CAP_ENC_HOST_OBJ:.o=.d)

# ---- fuzzing
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_DIR     := $(BUILD)/fuzz
FUZZ_CFLAGS  := -std=gnu11 -g -O1 -Wall -Wextra -Werror -Iprofiler \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
FUZZ_LIB_SRC := profiler/capture.c profiler/datafile.c pmu/sampling/cap_encode.c
FUZZ_LDLIBS  := $(shell pkg-config --libs zlib 2>/dev/null || echo -lz)   # capture.c's frame CRC
FUZZ_HDRS    := profiler/capture.h profiler/datafile.h pmu/sampling/cap_encode.h include/perfvisor/capture.h

$(FUZZ_DIR)/fuzz_capture: profiler/fuzz/fuzz_capture.c $(FUZZ_LIB_SRC) $(FUZZ_HDRS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ profiler/fuzz/fuzz_capture.c $(FUZZ_LIB_SRC) $(FUZZ_LDLIBS)

$(FUZZ_DIR)/gen_corpus: profiler/fuzz/gen_corpus.c $(FUZZ_LIB_SRC) $(FUZZ_HDRS)
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -O1 -g -Wall -Wextra -Werror -Iprofiler -o $@ profiler/fuzz/gen_corpus.c $(FUZZ_LIB_SRC) $(FUZZ_LDLIBS)

.PHONY: fuzz-capture
fuzz-capture: $(FUZZ_DIR)/fuzz_capture $(FUZZ_DIR)/gen_corpus
	@rm -rf $(FUZZ_DIR)/seeds && mkdir -p $(FUZZ_DIR)/seeds
	@$(FUZZ_DIR)/gen_corpus $(FUZZ_DIR)/seeds
	@profiler/fuzz/run-fuzz.sh $(FUZZ_DIR)/fuzz_capture $(FUZZ_DIR)/seeds $(FUZZ_DIR)/corpus \
		$(FUZZ_DIR)/artifacts $(FUZZ_SECONDS)
