# tests/tests.mk - the test suites, included by the top Makefile.
#   make test       builds everything and runs all suites (tests/run-all.sh): unit, cli, boot
#   make unit-test  host unit tests of the hypervisor logic (tests/unit/unit.mk)
#   make boot-test  boot-and-check tests in Bochs (tests/boot/boot-tests.sh)

-include tests/unit/unit.mk

.PHONY: test boot-test profile-test vpmu-test external-profile external-vpmu
test: all external-kernel external-profile external-vpmu
	@tests/run-all.sh

boot-test: all external-kernel
	@tests/boot/boot-tests.sh

profile-test: all external-profile
	@tests/boot/profile-tests.sh

vpmu-test: all external-vpmu
	@tests/boot/vpmu-tests.sh

# test kernels built with their own Makefiles, like kernels from elsewhere
external-profile:
	$(MAKE) -C tests/external-profile

external-vpmu:
	$(MAKE) -C tests/external-vpmu
