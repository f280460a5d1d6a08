# tests/unit/unit.mk - host unit tests (cmocka) of the hypervisor's pure logic.
# Included by tests/tests.mk; uses BUILD and CC.
#   make unit-build   builds every tests/unit/test_*.c into $(BUILD)/tests/unit/
#   make unit-test    builds and runs them all: keeps going after a failing binary and
#                     exits non-zero if any failed
# The code under test is compiled as ordinary hosted C: libc provides memcpy and friends
# (hv/string.c is never linked in), tests/unit/fake_*.c stand in for the console, the
# platform, the domain life cycle, the profiler entry points and guest memory reads.

UNIT_DIR := tests/unit
UNIT_OUT := $(BUILD)/tests/unit

# The hypervisor sources each test binary links, besides its own test_<name>.c.
UNIT_SRC_printf       := hv/printf.c
UNIT_SRC_cmdline      := hv/cmdline.c
UNIT_SRC_frames       := hv/frames.c
UNIT_SRC_page_alloc   := hv/page_alloc.c hv/frames.c hv/printf.c hv/console.c $(UNIT_DIR)/fake_console.c
UNIT_SRC_mbkernel     := hv/mbkernel.c hv/printf.c
UNIT_SRC_linux_loader := hv/linux_loader.c hv/acpi.c hv/printf.c
UNIT_SRC_guest_load   := hv/guest_load.c hv/linux_loader.c hv/acpi.c hv/mbkernel.c hv/guest_mbinfo.c \
                         hv/guest_modules.c hv/cmdline.c hv/printf.c
UNIT_SRC_guest_mbinfo := hv/guest_mbinfo.c hv/guest_modules.c hv/cmdline.c hv/printf.c
UNIT_SRC_boot_info    := boot/boot_info.c hv/printf.c hv/console.c $(UNIT_DIR)/fake_console.c
UNIT_SRC_vuart        := hv/vuart.c
UNIT_SRC_console_queue := hv/console_queue.c
UNIT_SRC_fwcfg        := hv/fwcfg.c
UNIT_SRC_acpi         := hv/acpi.c
UNIT_SRC_legacy_ports := hv/legacy_ports.c
UNIT_SRC_vdev         := hv/vdev.c hv/domain.c pmu/sampling/prof_linux.c pmu/sampling/callchain.c hv/vuart.c hv/vioapic.c hv/fwcfg.c hv/legacy_ports.c hv/cmdline.c hv/printf.c \
                         hv/console.c $(UNIT_DIR)/fake_console.c $(UNIT_DIR)/fake_prof.c
UNIT_SRC_domain       := $(UNIT_SRC_vdev)
UNIT_SRC_hypercall    := hv/hypercall.c $(UNIT_DIR)/fake_domain.c $(UNIT_DIR)/fake_prof.c
UNIT_SRC_cpuid_policy := arch/x86/cpuid_policy.c
UNIT_SRC_guest_paging := arch/x86/guest_paging.c
UNIT_SRC_insn_decode  := arch/x86/insn_decode.c
UNIT_SRC_emulator     := arch/x86/emulator.c
UNIT_SRC_tsc          := arch/x86/tsc.c arch/x86/emulator.c hv/printf.c hv/console.c $(UNIT_DIR)/fake_console.c
UNIT_SRC_console_select := arch/x86/console_select.c
UNIT_SRC_lapic        := arch/x86/lapic.c hv/printf.c hv/console.c $(UNIT_DIR)/fake_console.c
UNIT_SRC_reinject     := arch/x86/vmx/vmx_reinject.c
UNIT_SRC_vmx_caps     := arch/x86/vmx/vmx_caps.c hv/printf.c
UNIT_SRC_ioapic       := arch/x86/ioapic.c arch/x86/firmware.c arch/x86/console_select.c hv/printf.c hv/console.c $(UNIT_DIR)/fake_console.c
UNIT_SRC_vlapic       := hv/vlapic.c hv/vlapic_timer.c
UNIT_SRC_vlapic_timer := hv/vlapic.c hv/vlapic_timer.c
UNIT_SRC_sched        := hv/sched.c hv/vlapic.c hv/vlapic_timer.c
UNIT_SRC_vioapic      := hv/vioapic.c hv/vlapic.c hv/vlapic_timer.c
UNIT_SRC_domain_ioapic := hv/domain_ioapic.c hv/vioapic.c hv/vlapic.c hv/vlapic_timer.c
UNIT_SRC_callchain    := pmu/sampling/callchain.c
UNIT_SRC_ring         := pmu/sampling/ring.c
UNIT_SRC_prof_names   := pmu/sampling/prof_names.c
UNIT_SRC_prof_linux   := pmu/sampling/prof_linux.c pmu/sampling/callchain.c hv/cmdline.c
UNIT_SRC_pmu_model    := $(UNIT_DIR)/pmu_model.c pmu/vpmu/pmu_state.c
UNIT_SRC_hw_pmu       := pmu/sampling/hw_pmu.c hv/printf.c $(UNIT_DIR)/pmu_model.c pmu/vpmu/pmu_state.c
UNIT_SRC_vpmu         := pmu/vpmu/vpmu.c pmu/vpmu/vpmu_sw.c pmu/vpmu/pmu_state.c
UNIT_SRC_vpmu_hw      := pmu/vpmu/vpmu_hw.c pmu/sampling/hw_pmu.c hv/printf.c $(UNIT_DIR)/pmu_model.c \
                         pmu/vpmu/pmu_state.c
UNIT_SRC_vpmu_backend := pmu/vpmu/vpmu.c pmu/vpmu/vpmu_sw.c $(UNIT_SRC_vpmu_hw)
UNIT_SRC_vmx_entry_check := arch/x86/vmx/vmx_entry_check.c arch/x86/vmx/vmcs_image.c $(UNIT_SRC_guest_load)
UNIT_SRC_vmx_vpmu_hw := arch/x86/vmx/vmx_vpmu_hw.c arch/x86/vmx/vmx_entry_check.c arch/x86/vmx/vmcs_image.c $(UNIT_SRC_guest_load) $(UNIT_SRC_vpmu_backend)

# -fno-pie/-no-pie everywhere: boot_info reads multiboot1 structures through 32-bit
# addresses, so the test's static buffers must lie below 4 GiB.
UNIT_CFLAGS  := -std=gnu11 -Wall -Wextra -Werror -g -O1 -I. -Iinclude -fno-pie \
                $(shell pkg-config --cflags cmocka 2>/dev/null)
UNIT_LDFLAGS := -no-pie
UNIT_LIBS    := $(or $(shell pkg-config --libs cmocka 2>/dev/null),-lcmocka)

# AddressSanitizer + UBSan when the toolchain has them and their runtime works here;
# probed once, the first time a unit test is built.
UNIT_SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=undefined
UNIT_SAN = $(eval UNIT_SAN := $(shell t=$$(mktemp) && \
	echo 'int main(void){return 0;}' | $(CC) $(UNIT_SAN_FLAGS) -x c - -o $$t 2>/dev/null && \
	$$t && echo '$(UNIT_SAN_FLAGS)'; rm -f $$t))$(UNIT_SAN)

unit_obj = $(patsubst %.c,$(UNIT_OUT)/obj/%.o,$(1))

UNIT_TESTS := $(sort $(patsubst $(UNIT_DIR)/test_%.c,%,$(wildcard $(UNIT_DIR)/test_*.c)))
UNIT_BINS  := $(UNIT_TESTS:%=$(UNIT_OUT)/test_%)
UNIT_OBJS  := $(sort $(foreach t,$(UNIT_TESTS),$(call unit_obj,$(UNIT_DIR)/test_$(t).c $(UNIT_SRC_$(t)))))

.PHONY: unit-build unit-test
unit-build: $(UNIT_BINS)

unit-test: $(UNIT_BINS)
	@failed=""; \
	for t in $(UNIT_BINS); do \
		$$t || failed="$$failed $${t##*/}"; \
	done; \
	if [ -n "$$failed" ]; then echo "unit tests FAILED:$$failed"; exit 1; fi; \
	echo "unit tests: all $(words $(UNIT_BINS)) binaries passed"

define unit_link_rule
$(UNIT_OUT)/test_$(1): $(call unit_obj,$(UNIT_DIR)/test_$(1).c $(UNIT_SRC_$(1)))
	$$(CC) $$(UNIT_SAN) $$(UNIT_LDFLAGS) -o $$@ $$^ $$(UNIT_LIBS)
endef
$(foreach t,$(UNIT_TESTS),$(eval $(call unit_link_rule,$(t))))

$(UNIT_OUT)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(UNIT_CFLAGS) $(UNIT_SAN) -MMD -MP -c $< -o $@

-include $(UNIT_OBJS:.o=.d)
