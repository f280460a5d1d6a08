#!/bin/bash
# run-native.sh - boot one guest-stub (or any multiboot v1 kernel) natively,
# without perfvisor, and print what it wrote on COM1.
#
#   guest-stub/run-native.sh qemu  build/guest-stub/hello.elf status=3
#   guest-stub/run-native.sh bochs build/guest-stub/compute.elf iters=1000
#
# qemu:  -kernel boot, exit status is the guest's status (QEMU's (s<<1)|1
#        undone); 124 on timeout, 125 if QEMU exited without the guest
#        writing port 0xF4 (e.g. reset after a triple fault).
# bochs: BIOS + GRUB ISO (`multiboot` command), the settings of
#        shared/EMULATORS.md; Bochs cannot return the guest's status, so the
#        exit status is 0 if Bochs stopped by itself, 124 on timeout.  In Bochs
#        the TSC advances one per instruction, so tick counts are exact.
# TIMEOUT (seconds, default 60) bounds the run; KEEP=1 keeps the work dir.
set -u
[ $# -ge 2 ] || { echo "usage: $0 qemu|bochs KERNEL.elf [cmdline...]" >&2; exit 2; }
emu=$1 elf=$2
shift 2
args="$*"
timeout=${TIMEOUT:-60}
[ -f "$elf" ] || { echo "$0: no such kernel: $elf (run 'make guests' first)" >&2; exit 2; }

case $emu in
qemu)
    timeout "$timeout" qemu-system-x86_64 -kernel "$elf" -append "$args" -serial stdio \
        -display none -monitor none -no-reboot -device isa-debug-exit,iobase=0xf4,iosize=0x04
    rc=$?
    if [ $rc -eq 124 ] || [ $rc -eq 0 ]; then
        [ $rc -eq 0 ] && rc=125
        exit $rc
    fi
    exit $(( rc >> 1 ))
    ;;
bochs)
    work=$(mktemp -d /tmp/run-native.XXXXXX)
    mkdir -p "$work/iso/boot/grub"
    base=$(basename "$elf")
    cp "$elf" "$work/iso/boot/$base"
    printf 'set timeout=0\nset default=0\nmenuentry "%s" {\n  multiboot /boot/%s %s\n  boot\n}\n' \
        "$base" "$base" "$args" > "$work/iso/boot/grub/grub.cfg"
    if ! grub-mkrescue -o "$work/boot.iso" "$work/iso" > "$work/grub-mkrescue.log" 2>&1; then
        echo "$0: grub-mkrescue failed, see $work/grub-mkrescue.log" >&2
        exit 2
    fi
    cat > "$work/bochsrc" <<B
megs: 256
romimage: file=/usr/share/bochs/BIOS-bochs-latest
vgaromimage: file=/usr/share/vgabios/vgabios.bin
cpu: model=corei7_skylake_x, count=1, ips=50000000, reset_on_triple_fault=0, ignore_bad_msrs=0
clock: sync=none, time0=946681200
panic: action=fatal
speaker: enabled=0
display_library: term
ata0-master: type=cdrom, path=$work/boot.iso, status=inserted
boot: cdrom
com1: enabled=1, mode=file, dev=$work/com1.txt
log: $work/bochs.log
B
    printf 'c\nquit\n' > "$work/dbg.rc"
    # Bochs ignores SIGTERM: stop it with SIGKILL.
    (cd "$work" && TERM=dumb timeout -s KILL "$timeout" bochs -q -f bochsrc -rc dbg.rc \
        < /dev/null > "$work/term.txt" 2>&1)
    rc=$?
    cat "$work/com1.txt" 2>/dev/null
    if [ $rc -eq 137 ]; then
        echo "$0: bochs timed out after ${timeout}s" >&2
        rc=124
    else
        rc=0            # Bochs' own status says nothing about the guest
    fi
    if [ "${KEEP:-0}" = 1 ]; then echo "$0: kept $work" >&2; else rm -rf "$work"; fi
    exit $rc
    ;;
*)
    echo "$0: unknown emulator '$emu' (want qemu or bochs)" >&2
    exit 2
    ;;
esac
