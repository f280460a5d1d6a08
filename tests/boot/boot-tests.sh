#!/usr/bin/env bash
# Boot-and-check tests: boot the real hypervisor in Bochs (VT-x, deterministic) with guests and
# check what the guests and the hypervisor print.  Also: the image under QEMU TCG (no VT-x).
# Prints one "ok"/"not ok" line per check and ends with "boot tests: N passed, N failed".
set -u
cd "$(dirname "$0")/../.."
B=${BUILD:-build}
PV="$B/perfvisor"
G="$B/guest-stub"
EXT=tests/external/build/kernel.elf
LOGS="$B/tests/boot"
mkdir -p "$LOGS"
. tests/boot/lib.sh
out="" rc=0

# run NAME EMULATOR-ARGS... -- the command's output goes to $LOGS/NAME.log, status to $rc
run() {
    cur=$1; shift
    out="$LOGS/$cur.log"
    log=$out
    "$@" >"$out" 2>&1
    rc=$?
}
run_pv() { local n=$1; shift; run "$n" timeout 300 "$PV" run --emulator bochs --timeout 240 "$@"; }

# expect REGEX (tests/boot/lib.sh): some line of the output matches; and here:
# expect_count REGEX N: exactly N lines match
expect_count() {
    local n; n=$(grep -Ec -- "$1" "$out")
    if [ "$n" -eq "$2" ]; then ok "$2 lines /$1/"; else not_ok "$n lines /$1/, expected $2"; fi
}

# 1. the hello guest: output tagged with its domain, multiboot info as a loader gives it
run_pv hello "$G/hello.elf"
expect_rc 0
expect '^\[1:hello\] hello from guest-stub hello \(cmdline: \)$'        # name= is perfvisor's, not the guest's
expect '^\[1:hello\] hello: mem_lower=639 KiB mem_upper=15360 KiB$'
expect '^perfvisor: domain 1 \(hello\) exited with status 0$'
expect '^perfvisor: end status=0$'
expect '^perfvisor: boot: [0-9]+ ticks from loader handoff'
expect '^perfvisor: platform: Bochs \(port E9 hack\)$'   # its shutdown port ends the run (#13)
expect '^perfvisor: local APIC \(xAPIC\): masked timer, thermal, PMC, LINT0, error; LINT1 kept$'
expect '^perfvisor: I/O APIC at 0xfec00000: 24 entries masked '   # found through the BIOS's MADT

# 2. a guest's exit status is its own, and fails the run
run_pv exit-status "$G/hello.elf:name=h3 status=3 mem=4"
expect_rc 1
expect '^\[1:h3\] hello: mem_lower=639 KiB mem_upper=3072 KiB$'
expect '^perfvisor: domain 1 \(h3\) exited with status 3$'
expect '^perfvisor: end status=1$'

# 3. four guests at once, round-robin: all finish, each line tagged with its own domain
run_pv four-guests "$G/hello.elf:name=a" "$G/compute.elf:name=b iters=400000" \
    "$G/hello.elf:name=c status=0" "$G/exitbench.elf:name=d n=200"
expect_rc 0
for d in 1:a 2:b 3:c 4:d; do
    expect "^\[$d\] hello from guest-stub "
    expect "^perfvisor: domain ${d%%:*} \(${d#*:}\) exited with status 0$"
done
expect '^\[2:b\] compute: iters=400000 checksum=[0-9a-f]+ ticks=[0-9]+$'
expect '^\[4:d\] exitbench: n=200 cpuid=[0-9]+ io=[0-9]+ baseline=[0-9]+$'
expect_count '^perfvisor:   [1-4] +[a-d] +exited +0 ' 4

# 4. misbehaving guests are contained; the well-behaved one beside them finishes normally
run_pv misbehaving "$G/hello.elf:name=good" "$G/bad.elf:name=tf mode=triplefault" \
    "$G/bad.elf:name=ww mode=wildwrite" "$G/bad.elf:name=msr mode=badmsr" \
    "$G/bad.elf:name=spin mode=spin budget=20000000" "$G/hello.elf:name=good2 status=0"
expect_rc 1
expect '^\[1:good\] hello: exiting with status 0$'
expect '^perfvisor: domain 1 \(good\) exited with status 0$'
expect '^perfvisor: domain 2 \(tf\) stopped: triple fault at rip 0x[0-9a-f]+$'
expect '^perfvisor: domain 3 \(ww\) stopped: EPT violation: write of guest-physical 0x3f000000 at rip 0x[0-9a-f]+, outside its 16 MiB of memory$'
expect '^perfvisor: domain 4 \(msr\) stopped: triple fault at rip 0x[0-9a-f]+ after #GP injected at rip 0x[0-9a-f]+: RDMSR of MSR 0x4d2e1f00$'
expect '^perfvisor: domain 5 \(spin\) stopped: used up its CPU budget of 20000000 ticks'
expect '^\[6:good2\] hello: exiting with status 0$'
expect '^perfvisor: domain 6 \(good2\) exited with status 0$'
expect '^perfvisor:   5 +spin +stopped +- +199[0-9]{5} +[0-9]+ +[0-9]+ +2000[0-9]{4} '   # charged: guest + hypervisor ticks, at most one exit over
expect '^perfvisor: end status=1$'
expect_no 'PANIC|hypervisor exception'

# 5. a bad domain command line stops that domain only (the CLI would refuse mem=1 before booting:
#    turn its limit checks off to reach the hypervisor's own)
PERFVISOR_SKIP_CLI_LIMITS=1 run_pv bad-cmdline "$G/hello.elf:name=tiny mem=1" "$G/hello.elf:name=fine"
expect_rc 1
expect '^perfvisor: domain 1 \(tiny\) stopped: bad command line: mem= must be a size in MiB between 2 and 3072$'
expect '^perfvisor: domain 2 \(fine\) exited with status 0$'

# 6. a multiboot kernel built outside the project, alone and two copies side by side
if [ -f "$EXT" ]; then
    run_pv external "$EXT"
    expect_rc 0
    expect '^\[1:kernel\] external kernel: hello from a kernel built outside perfvisor'
    expect '^perfvisor: domain 1 \(kernel\) exited with status 0$'
    run_pv external-twice "$EXT:exit=5" "$EXT"
    expect_rc 1
    expect '^\[1:kernel\] external kernel: hello from a kernel built outside perfvisor'
    expect '^\[2:kernel-2\] external kernel: hello from a kernel built outside perfvisor'
    expect '^perfvisor: domain 1 \(kernel\) exited with status 5$'
    expect '^perfvisor: domain 2 \(kernel-2\) exited with status 0$'
else
    cur=external; log=""; not_ok "$EXT was not built (make external-kernel)"
fi

# 7. Bochs is deterministic: the same run twice gives the same per-domain figures
run_pv determinism "$G/hello.elf:name=a" "$G/compute.elf:name=b iters=200000"
cp "$out" "$LOGS/determinism.1"
run_pv determinism "$G/hello.elf:name=a" "$G/compute.elf:name=b iters=200000"
if diff <(grep -E '^(perfvisor:   |\[)' "$LOGS/determinism.1") <(grep -E '^(perfvisor:   |\[)' "$out") >/dev/null; then
    ok "two runs print identical guest output and accounting"
else
    not_ok "two runs differ: diff $LOGS/determinism.1 $out"
fi

# 8. QEMU TCG has no VT-x: the image stops with the clear message, never a triple fault
run qemu-tcg timeout 60 qemu-system-x86_64 -kernel "$B/perfvisor.elf32" -serial stdio -display none \
    -no-reboot -m 128 -device isa-debug-exit,iobase=0xf4,iosize=0x04
expect_rc 3          # isa-debug-exit: (1 << 1) | 1
expect '^perfvisor: VT-x not available: the CPU \(AuthenticAMD\) does not have VMX: CPUID.1:ECX.VMX\[bit 5\] = 0'
expect '^perfvisor: end status=1'
expect '^perfvisor: platform: QEMU TCG'
expect '^perfvisor: I/O APIC at 0xfec00000: 24 entries masked .*MADT through the BIOS area'  # SeaBIOS, multiboot1

# 8a. emulator exit ports only under their emulator (#13): QEMU TCG without the CPUID hypervisor
# bit looks like bare metal, so perfvisor halts (QEMU keeps running until the timeout) instead of
# writing port 0xF4
run bare-halts timeout 10 qemu-system-x86_64 -cpu max,-hypervisor -kernel "$B/perfvisor.elf32" \
    -serial stdio -display none -no-reboot -m 128 -device isa-debug-exit,iobase=0xf4,iosize=0x04
expect_rc 124
expect '^perfvisor: platform: no emulator detected \(bare metal\)'
expect '^perfvisor: end status=1'
expect '^perfvisor: no emulator detected \(bare metal\): halting'

# 8c. the console is not always COM1 (#13): console=com2 with QEMU's COM1 absent (-serial null
# first) sends everything to COM2; console= naming a port without a UART falls back to COM1 with
# a note; with no UART at all the VGA text screen has the output (read from QEMU's memory through
# its monitor while perfvisor halts: -hypervisor hides QEMU, so there is no exit port) and the run
# still gets to its end
Q="qemu-system-x86_64 -kernel $B/perfvisor.elf32 -display none -no-reboot -m 128"
run console-com2 timeout 60 $Q -append console=com2 -serial null -serial file:"$LOGS/com2.txt" \
    -device isa-debug-exit,iobase=0xf4,iosize=0x04
expect_rc 3
log="$LOGS/com2.txt"
expect '^perfvisor: console: COM2 \(port 0x2f8, console=com2\)'
expect '^perfvisor: platform: QEMU TCG'           # printed before the choice, kept until it
expect '^perfvisor: VT-x not available: '
expect '^perfvisor: end status=1'
run console-absent timeout 60 $Q -append console=com3 -serial stdio -device isa-debug-exit,iobase=0xf4,iosize=0x04
expect_rc 3
expect '^perfvisor: console: COM1 \(port 0x3f8, default\)'
expect '^perfvisor: console: console=com3: no UART answers at port 0x3e8'
expect '^perfvisor: end status=1'
rm -f "$LOGS/vga.bin"
run console-vga timeout 60 bash -c "(sleep 8; echo 'pmemsave 0xb8000 4000 \"$LOGS/vga.bin\"'; sleep 2; echo quit) |
    $Q -cpu max,-hypervisor -serial none -monitor stdio >/dev/null 2>&1; tr -d '\\007' <'$LOGS/vga.bin' | fold -w 80"
expect '^perfvisor: console: no UART \(COM1 does not answer, no console= or SPCR UART\): ou'
expect '^perfvisor: VT-x not available: '
expect '^perfvisor: end status=1'
expect '^perfvisor: no emulator detected \(bare metal\): halting'

# 8b. the same ISO boots on UEFI firmware (QEMU q35 + OVMF, GRUB's x86_64-efi platform from
# grub-efi-amd64-bin, issue #13): GRUB EFI loads the multiboot2 image, which reaches the same message
OVMF=${OVMF:-/usr/share/ovmf/OVMF.fd}
run uefi-iso "$PV" iso -o "$LOGS/uefi.iso" "$G/hello.elf"
if [ -r "$OVMF" ] && xorriso -indev "$LOGS/uefi.iso" -report_el_torito plain 2>/dev/null | grep -q 'UEFI'; then
    ok "the ISO has a UEFI El Torito boot image"
    run qemu-ovmf timeout 120 qemu-system-x86_64 -machine q35 -bios "$OVMF" -cdrom "$LOGS/uefi.iso" \
        -serial stdio -display none -monitor none -no-reboot -m 256 \
        -device isa-debug-exit,iobase=0xf4,iosize=0x04
    expect_rc 3
    expect 'perfvisor: booted by multiboot2'
    expect 'perfvisor: VT-x not available: the CPU \(AuthenticAMD\) does not have VMX'
    expect 'perfvisor: end status=1'
    # OVMF's ACPI tables reach perfvisor only through GRUB's multiboot2 ACPI tag
    expect "perfvisor: I/O APIC at 0xfec00000: 24 entries masked .*MADT through the loader's RSDP"
else
    not_ok "no UEFI boot image in the ISO or no $OVMF: install grub-efi-amd64-bin and ovmf (scripts/install-deps.sh)"
fi

# 9. the guest-stubs also boot natively (the baseline for native vs virtualized)
run native-qemu timeout 60 "$PV" run --native --emulator qemu "$G/hello.elf:status=0"
expect_rc 0
expect '^hello from guest-stub hello'

summary boot
