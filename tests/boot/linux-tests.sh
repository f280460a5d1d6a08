#!/usr/bin/env bash
# Linux guests: Debian's cloud kernel (unmodified, KASLR on) with the initramfs of
# tests/linux/build-guest.sh, booted by perfvisor in Bochs.
#   side-by-side: two Linux domains and a multiboot guest, each with its own output; the
#     workload's result equals the same program's on the host; the run's status is the guests'
#   failing: Linux domains that panic (panic=-1), reset, exit with status 5, spin past budget=,
#     power off, beside hello: each stopped or ended with its reason, hello finishes
# Needs linux-image-cloud-amd64, busybox-static and libc6-dev (scripts/install-deps.sh): without
# them the suite fails and says which is missing.
set -u
cd "$(dirname "$0")/../.."
. tests/boot/lib.sh
suite_setup linux

if ! guest=$(tests/linux/build-guest.sh 2>"$LOGS/build-guest.err"); then
    cur=setup log="$LOGS/build-guest.err"
    not_ok "no Linux test guest: $(cat "$LOGS/build-guest.err") (run scripts/install-deps.sh as root)"
    summary linux
    exit 1
fi
eval "$guest"
K=$LINUX_KERNEL I=$LINUX_INITRD

# run_linux NAME ARGS...: like run_pv, with room for several Linux boots (~1.5 G ticks each)
run_linux() {
    cur=$1; shift
    log="$LOGS/$cur.log"
    timeout 900 "$PV" run --emulator bochs --timeout 840 "$@" >"$log" 2>&1
    rc=$?
}

truth_a=$("$LINUX_WORKLOAD" 1000 | head -1)   # its deterministic line
truth_b=$("$LINUX_WORKLOAD" 1500 | head -1)

run_linux side-by-side "$K:name=la mem=128 initrd=$I console=ttyS0 quiet pvrounds=1000" \
    "$K:name=lb mem=128 initrd=$I console=ttyS0 quiet pvrounds=1500" "$G/hello.elf:name=hello"
expect_rc 0
expect '^perfvisor: domain 1 \(la\): [0-9]+ MiB at 0x[0-9a-f]+, bzImage \(boot protocol 2\.[0-9]+\)'
expect '^perfvisor: domain 2 \(lb\): [0-9]+ MiB at 0x[0-9a-f]+, bzImage'
expect '^\[1:la\] init: user space, pvmode=work$'
expect "^\[1:la\] ${truth_a}\$"
expect "^\[2:lb\] ${truth_b}\$"
expect '^\[3:hello\] hello from guest-stub'
expect '^perfvisor: domain 1 \(la\) exited with status 0$'
expect '^perfvisor: domain 2 \(lb\) exited with status 0$'
expect '^perfvisor: domain 3 \(hello\) exited with status 0$'
expect_no '^\[1:la\] .*workload: rounds=1500'            # no output crosses domains
expect_no '^\[2:lb\] .*workload: rounds=1000'
expect_no '^\[[12]:l[ab]\] .*(ACPI: RSDP|Kernel panic)'   # quiet: the kernel's boot log is not shown
# the kernel found its platform: interrupts came through the I/O APIC and the APIC timer ticked
ioapic=$(sed -nE 's/^perfvisor:   domain 1 \(la\): I\/O APIC: ([0-9]+) interrupts delivered.*$/\1/p' "$log")
timer=$(sed -nE 's/^perfvisor:   domain 1 \(la\): I\/O APIC: .*APIC timer: ([0-9]+) expiries;.*$/\1/p' "$log")
if [ "${ioapic:-0}" -gt 0 ] && [ "${timer:-0}" -gt 10 ]; then ok "COM1 interrupts ($ioapic) and APIC timer expiries ($timer)"
else not_ok "COM1 interrupts ${ioapic:-none}, APIC timer expiries ${timer:-none}"; fi

run_linux failing "$K:name=panic mem=128 initrd=$I console=ttyS0 quiet panic=-1 pvmode=panic" \
    "$K:name=reset mem=128 initrd=$I console=ttyS0 quiet pvmode=reset" \
    "$K:name=five mem=128 initrd=$I console=ttyS0 quiet pvmode=exit:5" \
    "$K:name=spin mem=128 initrd=$I console=ttyS0 quiet pvmode=spin budget=2500000000" \
    "$G/hello.elf:name=hello" "$K:name=off mem=128 initrd=$I console=ttyS0 quiet pvmode=poweroff"
expect_rc 1
expect '^\[1:panic\] init: user space, pvmode=panic$'
expect '^\[1:panic\] .*Kernel panic - not syncing: sysrq triggered crash'
expect '^perfvisor: domain 1 \(panic\) stopped: the guest asked for a reset'
expect '^perfvisor: domain 2 \(reset\) stopped: the guest asked for a reset'
expect '^\[2:reset\] init: user space, pvmode=reset$'
expect '^perfvisor: domain 3 \(five\) exited with status 5$'
expect '^\[4:spin\] init: user space, pvmode=spin$'
expect '^perfvisor: domain 4 \(spin\) stopped: used up its CPU budget of 2500000000 ticks'
expect '^perfvisor: domain 5 \(hello\) exited with status 0$'
expect '^perfvisor: domain 6 \(off\) halted without an exit status'    # poweroff -f: no ACPI S5
expect '^perfvisor:   6    off +halted +0 '
expect '^perfvisor:   3    five +exited +5 '
expect_no 'still running after'

summary linux
