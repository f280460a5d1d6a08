#!/usr/bin/env bash
# Peer test kernels: what a kernel written for QEMU (kvm-unit-tests and the like) expects of its
# machine, checked by guest-stub/qemutest.c in Bochs under perfvisor: IA32_APIC_BASE disable and
# re-enable (xAPIC, x2APIC, the #GP cases), IA32_MCG_CAP, IA32_MISC_ENABLE, RFLAGS.RF on an
# injected #GP, QEMU's fw_cfg against the truth, a command line without perfvisor's keys,
# multiboot modules from module= compared with the host files; a kernel that halts after an
# abort, with and without --halt-fails; and the local APIC timer (guest-stub/apictimer.c: one-shot,
# periodic, masked, TSC-deadline, xAPIC and x2APIC, wall time beside a busy domain); and a kernel
# that keeps the GDT of the multiboot handoff, as under GRUB (guest-stub/gdthandoff.c); and a
# synthesized Linux bzImage entered in 64-bit mode beside a multiboot kernel (tests/boot/bzstub.asm).
# Ends with "peer tests: N passed, N failed".
set -u
cd "$(dirname "$0")/../.."
. tests/boot/lib.sh
suite_setup peer

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
# ... and the capture of such a run says so: the report names the halt, not an exit
cur=halt-record log="$LOGS/$cur.log"
timeout 300 "$PV" record --emulator bochs --timeout 240 -c 100000 -o "$LOGS/halt.data" \
    "$G/qemutest.elf:name=ab mode=abort" "$G/hello.elf:name=fine" >"$log" 2>&1
rc=$?
expect_rc 0
"$PV" report --stdio -i "$LOGS/halt.data" >"$LOGS/halt.report" 2>&1
log="$LOGS/halt.report"
expect '^# Domain 1 \(ab\) halted without an exit status \(HLT with interrupts off\)$'
expect_no '^# Domain 2 '

# ... and a failure with --halt-fails, the well-behaved domain beside it unaffected
run_pv halt-fails --halt-fails "$G/qemutest.elf:name=ab mode=abort" "$G/hello.elf:name=fine"
expect_rc 1
expect 'perfvisor run: 1 domain failed \(1:ab halted without an exit status \(--halt-fails\)\)'
expect '^perfvisor: domain 2 \(fine\) exited with status 0$'

# 3. the local APIC timer (SDM 11.5.4), beside a busy compute domain.  Each timed check runs on a
# fresh slice, so the interrupt's lateness is the hypervisor's alone: measured 824-1005 ticks
# under Bochs (the preemption-timer exit, the entry that injects it, the handler's prologue up to
# its RDTSC); late=5000 allows five times that.  Wall time: a one-shot due while compute runs fires
# at the first instruction back, a periodic timer 100 periods behind fires once, not 100 times.
run_pv apictimer "$G/apictimer.elf:name=at wall=1 late=5000" "$G/compute.elf:iters=20000000"
expect_rc 0
for m in xapic x2apic; do
    for rule in current-count-decreases oneshot-fires-at-count oneshot-fires-once \
        oneshot-count-stays-zero periodic-fires-every-period periodic-zero-count-stops \
        masked-counts-without-interrupt tsc-deadline-ignores-initial-count \
        tsc-deadline-fires-at-deadline tsc-deadline-clears-msr tsc-deadline-past-fires-at-once \
        tsc-deadline-zero-disarms mode-switch-disarms tsc-deadline-msr-zero-outside-mode; do
        expect "^\[1:at\] apictimer: PASS $m-$rule\$"
    done
    expect "^\[1:at\] apictimer: $m oneshot due=320000 late=[0-9]+\$"
    expect "^\[1:at\] apictimer: $m periodic period=80000 times=6 worst-late=[0-9]+\$"
done
for rule in wall-another-domain-ran wall-oneshot-fires-on-return wall-periodic-fires-once-on-return; do
    expect "^\[1:at\] apictimer: PASS $rule\$"
done
expect '^\[1:at\] apictimer: wall periodic period=100000 away-periods=[0-9]+ interrupts=1$'
expect '^\[1:at\] apictimer: 0 failure\(s\)$'
expect_no 'apictimer: FAIL'
# compute is undisturbed: xorshift32 over 20,000,000 iterations, computed on the host
expect '^\[2:compute\] compute: iters=20000000 checksum=cc2881d6 '

# 4. the handoff's GDT, as GRUB and QEMU -kernel leave one: a kernel that loads no GDT of its own
# builds interrupt gates with the CS it was entered with, and takes and returns from INT 0x80, #DE
# and #UD (with GDTR limit 0, the first of them triple-faulted)
run_pv gdthandoff "$G/gdthandoff.elf:name=gdt"
expect_rc 0
expect '^\[1:gdt\] gdthandoff: gdtr base=0x5000 limit=0x17 cs=0x8 ds=0x10$'
for rule in gdtr-covers-handoff-selectors gdt-cs-flat-32bit-code gdt-ds-flat-32bit-data \
    gdt-reserved-in-memory-map reload-data-segments int80-through-handoff-cs-returns \
    divide-error-returns invalid-opcode-returns; do
    expect "^\[1:gdt\] gdthandoff: PASS $rule\$"
done
expect '^\[1:gdt\] gdthandoff: 0 failure\(s\)$'

# the legacy ports a kernel probes (hv/legacy_ports.h): PIC initialised and masked as Linux does,
# the RTC and CMOS, the PIT's channel 2 through port 61H; a reset request through the keyboard
# controller or CF9H ends that domain only, the well-behaved one beside them finishes
run_pv legacy "$G/legacy.elf" "$G/legacy.elf:name=kbc reset=kbc" "$G/legacy.elf:name=cf9 reset=cf9" \
    "$G/hello.elf:name=fine"
expect_rc 1
for rule in pic-imr-reads-back pic-no-request-in-service rtc-status rtc-date cmos-ram pit-out2-expires; do
    expect "^\[1:legacy\] legacy: PASS $rule\$"
done
expect '^perfvisor: domain 1 \(legacy\) exited with status 0$'
expect '^perfvisor: domain 2 \(kbc\) stopped: the guest asked for a reset$'
expect '^perfvisor: domain 3 \(cf9\) stopped: the guest asked for a reset$'
expect_no 'still running after the reset request'
expect '^perfvisor: domain 4 \(fine\) exited with status 0$'
expect_no 'unemulated I/O ports'

# 6. a Linux-style bzImage (tests/boot/bzstub.asm: a boot-protocol 2.12 setup header, XLF_KERNEL_64,
# relocatable) beside a multiboot kernel: perfvisor's Linux loader and the 64-bit entry state
# (boot.rst "64-bit Boot Protocol"; VM entry in IA-32e mode, SDM Vol. 3C 26.3.1.1)
nasm -f bin -DMEM_MIB=32 -DWANT='"want=bz"' -DINITRD_LEN=5000 -o "$LOGS/bzstub.bin" tests/boot/bzstub.asm
{ printf INRD; head -c 4996 /dev/zero; } >"$LOGS/initrd.img"
run_pv bzimage "$LOGS/bzstub.bin:name=lx mem=32 want=bz initrd=$LOGS/initrd.img" "$G/hello.elf:name=fine"
expect_rc 0
expect '^perfvisor: domain 1 \(lx\): 32 MiB at 0x[0-9a-f]+, bzImage \(boot protocol 2\.12\) kernel \[0x200000, 0x210000\), 64-bit entry 0x200200$'
for rule in 64-bit-code efer-lme-lma cr0-pg cr4-pae cs-boot-cs ds-boot-ds rsi-boot-params \
    setup-header-copied type-of-loader e820-entries e820-high-ram-start e820-high-ram-size \
    e820-high-ram-type e820-low-reserved cmdline initrd-size initrd-page-aligned initrd-bytes \
    loaded-at-pref-address; do
    expect "^\[1:lx\] bzstub: PASS $rule\$"
done
expect_no 'bzstub: FAIL'
expect '^perfvisor: domain 1 \(lx\) exited with status 0$'
expect '^perfvisor: domain 2 \(fine\) exited with status 0$'

summary peer
