#!/usr/bin/env bash
# Peer test kernels: what a kernel written for QEMU (kvm-unit-tests and the like) expects of its
# machine, checked by guest-stub/qemutest.c in Bochs under perfvisor: IA32_APIC_BASE disable and
# re-enable (xAPIC, x2APIC, the #GP cases), IA32_MCG_CAP, IA32_MISC_ENABLE, RFLAGS.RF on an
# injected #GP, QEMU's fw_cfg against the truth, a command line without perfvisor's keys,
# multiboot modules from module= compared with the host files; and a kernel that halts after an
# abort, with and without --halt-fails.  Ends with "peer tests: N passed, N failed".
set -u
cd "$(dirname "$0")/../.."
B=${BUILD:-build}
PV="$B/perfvisor"
G="$B/guest-stub"
LOGS="$B/tests/peer"
mkdir -p "$LOGS"
. tests/boot/lib.sh
rc=0

byte_sum() { od -An -v -tu1 "$1" | awk '{ for (i = 1; i <= NF; i++) s += $i } END { print s + 0 }'; }

# 1. every check of the QEMU-style kernel, with two modules and perfvisor's keys in its line
printf 'peer module one\nsecond line\n' >"$LOGS/one.txt"
head -c 12345 "$G/hello.elf" >"$LOGS/two.bin"
run_pv qemutest "$G/qemutest.elf:name=qt mem=32 vpmu=cpu-switch budget=2000000000 want=yes module=$LOGS/one.txt module=$LOGS/two.bin"
expect_rc 0
for rule in apic-base-at-entry apic-base-invalid-state-gp apic-base-reserved-bit-gp apic-base-disable \
    apic-disabled-cpuid-apic-clear apic-disabled-x2apic-msr-gp apic-base-disabled-to-x2apic-gp \
    apic-base-reenable-xapic apic-reenabled-reset-state apic-base-xapic-to-x2apic x2apic-id \
    apic-base-x2apic-to-xapic-gp apic-base-x2apic-disable apic-base-reenable-x2apic \
    x2apic-reenabled-reset-state mcg-cap-no-banks mcg-cap-read-only misc-enable-fast-strings-at-entry \
    misc-enable-fast-strings-writable misc-enable-limit-cpuid-maxval misc-enable-limit-cpuid-cleared \
    misc-enable-reserved-bit-gp injected-fault-pushes-rf fwcfg-signature fwcfg-id-traditional \
    fwcfg-ram-size fwcfg-nb-cpus fwcfg-max-cpus fwcfg-unknown-key-zero cmdline-without-name \
    cmdline-without-mem cmdline-without-budget cmdline-without-vpmu cmdline-without-module \
    cmdline-has-guest-key; do
    expect "^\[1:qt\] qemutest: PASS $rule\$"
done
expect '^\[1:qt\] hello from guest-stub qemutest \(cmdline: want=yes\)$'
expect '^\[1:qt\] qemutest: fwcfg ram=32768 KiB cpus=1$'
expect '^\[1:qt\] qemutest: modules: 2$'
expect "^\[1:qt\] qemutest: module 0 string=\"one.txt\" size=$(stat -c %s "$LOGS/one.txt") sum=$(byte_sum "$LOGS/one.txt") first=\"peer module one\"\$"
expect "^\[1:qt\] qemutest: module 1 string=\"two.bin\" size=12345 sum=$(byte_sum "$LOGS/two.bin") "
expect '^\[1:qt\] qemutest: PASS module-placement$'
expect '^perfvisor: domain 1 \(qt\): module 1 "one.txt" at \[0x[0-9a-f]+000, '
expect '^\[1:qt\] qemutest: 0 failure\(s\)$'

# 2. a kernel that aborts into cli; hlt: "halted" in the summary, status 0 by default ...
run_pv halt "$G/qemutest.elf:name=ab mode=abort" "$G/hello.elf:name=fine"
expect_rc 0
expect '^\[1:ab\] qemutest: abort: giving up'
expect '^perfvisor: domain 1 \(ab\) halted without an exit status \(HLT with interrupts disabled; counted as status 0\)$'
expect '^perfvisor:   1    ab +halted +0 '
expect '^perfvisor: end status=0$'
# ... and a failure with --halt-fails, the well-behaved domain beside it unaffected
run_pv halt-fails --halt-fails "$G/qemutest.elf:name=ab mode=abort" "$G/hello.elf:name=fine"
expect_rc 1
expect 'perfvisor run: 1 domain failed \(1:ab halted without an exit status \(--halt-fails\)\)'
expect '^perfvisor: domain 2 \(fine\) exited with status 0$'

summary peer
