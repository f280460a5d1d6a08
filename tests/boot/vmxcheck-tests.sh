#!/usr/bin/env bash
# The VM-entry checker on real VMCSes: a `make VMX_CHECK=1` hypervisor (its own build folder,
# $B/vmxcheck) runs arch/x86/vmx/vmx_entry_check.c on the current VMCS before every VM entry
# (SDM Vol. 3C 26.2-26.3) under Bochs, with every kind of guest perfvisor starts and the states
# they reach: a Linux bzImage's 64-bit entry (tests/boot/bzstub.asm), multiboot 32-bit kernels,
# one that enters IA-32e mode itself (dbgiso), one with paging and processes (procs), one that
# keeps the handoff GDT (gdthandoff), one that gets a #GP injected (bad mode=badmsr); the APIC
# timer's injected interrupts and a QEMU-style kernel (apictimer, qemutest); the counter self-test
# (PMU MSRs, RDPMC, PMIs); a real Linux kernel to user space.  Every VMLAUNCH passes and no
# entry fails a check.  Then a VMCS broken on purpose (vmxcheck-break=): the checker stops the
# domain with "VM-entry check failed ... SDM Vol. 3C <section>: <rule>", and with vmxcheck=warn
# Bochs's own entry failure and the checker name the same rule.
# Ends with "vmxcheck tests: N passed, N failed".
set -u
cd "$(dirname "$0")/../.."
. tests/boot/lib.sh
suite_setup vmxcheck

HV="$B/vmxcheck/perfvisor.elf"
cur=build log="$LOGS/build.log"
if ${MAKE:-make} -s --no-print-directory BUILD="$B/vmxcheck" VMX_CHECK=1 hv >"$log" 2>&1; then
    ok "make VMX_CHECK=1 hv"
else
    not_ok "make VMX_CHECK=1 hv failed"
    summary vmxcheck
    exit 1
fi
run_pv_checked() { local n=$1; shift; run_pv "$n" --image "$HV" "$@"; }

# 1. every guest kind side by side
nasm -f bin -DMEM_MIB=32 -DWANT='"want=bz"' -DINITRD_LEN=5000 -o "$LOGS/bzstub.bin" tests/boot/bzstub.asm
{ printf INRD; head -c 4996 /dev/zero; } >"$LOGS/initrd.img"
run_pv_checked kinds "$LOGS/bzstub.bin:name=lx mem=32 want=bz initrd=$LOGS/initrd.img" \
    "$G/hello.elf:name=mb" "$G/dbgiso.elf:name=lm tag=1" "$G/procs.elf:name=pr" \
    "$G/gdthandoff.elf:name=gh" "$G/bad.elf:name=gp mode=badmsr"
expect '^perfvisor: VMX_CHECK build: the VM-entry checks \(SDM Vol\. 3C 26\.2-26\.3\) run before every VM entry, on BASIC [0-9a-f]{16} '
expect '^perfvisor: domain 1: the VMCS passes the VM-entry checks at VMLAUNCH \(IA-32e mode guest\)$'
for d in 2 3 4 5 6; do
    expect "^perfvisor: domain $d: the VMCS passes the VM-entry checks at VMLAUNCH \\(32-bit guest\\)\$"
done
expect_no 'VM-entry check failed'
expect_no 'VM entry failed'
expect_no 'bzstub: FAIL'
for d in '1 \(lx\)' '2 \(mb\)' '3 \(lm\)' '4 \(pr\)' '5 \(gh\)'; do
    expect "^perfvisor: domain $d exited with status 0\$"
done
expect '^perfvisor: domain 6 \(gp\) stopped: triple fault at rip 0x[0-9a-f]+ after #GP injected at rip 0x[0-9a-f]+: RDMSR of MSR 0x4d2e1f00$'

# 2. injected events: the APIC timer's interrupts (one-shot, periodic, TSC-deadline; xAPIC and
# x2APIC; interrupt windows), and the QEMU-style kernel's injected #GPs and APIC-base switches.
# The checks slow every entry, so apictimer's lateness bound is relaxed (late=): its timing is
# peer-tests.sh's business, the VM entries are this suite's.
run_pv_checked events "$G/apictimer.elf:name=at late=2000000" "$G/qemutest.elf:name=qt mem=32 want=yes"
expect_rc 0
expect '^perfvisor: domain 1: the VMCS passes the VM-entry checks at VMLAUNCH \(32-bit guest\)$'
expect '^perfvisor: domain 2: the VMCS passes the VM-entry checks at VMLAUNCH \(32-bit guest\)$'
expect_no 'VM-entry check failed'
expect '^\[1:at\] apictimer: 0 failure\(s\)$'
expect '^\[2:qt\] qemutest: 0 failure\(s\)$'

# 3. the counter self-test (perfvisor selftest: PMU MSRs, RDPMC, PMIs injected through the vLAPIC)
cur=selftest log="$LOGS/$cur.log"
timeout 300 "$PV" selftest --emulator bochs --timeout 240 --image "$HV" --loop 100000 >"$log" 2>&1
rc=$?
expect_rc 0
expect '^perfvisor: domain 1: the VMCS passes the VM-entry checks at VMLAUNCH \(32-bit guest\)$'
expect_no 'VM-entry check failed'
expect '^\[1:selftest\] selftest: 8 pass, 0 fail, 1 skip$'

# 4. a real Linux kernel (Debian's cloud kernel with tests/linux/build-guest.sh's initramfs, as
# linux-tests.sh boots it) from the 64-bit entry to user space and its power-off: every entry of
# its ~2,700 exits checked (about 95 s in Bochs)
if guest=$(tests/linux/build-guest.sh 2>"$LOGS/build-guest.err"); then
    eval "$guest"
    cur=linux log="$LOGS/$cur.log"
    timeout 900 "$PV" run --emulator bochs --timeout 840 --image "$HV" \
        "$LINUX_KERNEL:name=la mem=128 initrd=$LINUX_INITRD console=ttyS0 quiet pvrounds=100" >"$log" 2>&1
    rc=$?
    expect_rc 0
    expect '^perfvisor: domain 1: the VMCS passes the VM-entry checks at VMLAUNCH \(IA-32e mode guest\)$'
    expect_no 'VM-entry check failed'
    expect '^\[1:la\] init: user space, pvmode=work$'
    expect '^perfvisor: domain 1 \(la\) exited with status 0$'
else
    cur=linux log="$LOGS/build-guest.err"
    not_ok "no Linux test guest: $(cat "$LOGS/build-guest.err") (run scripts/install-deps.sh as root)"
fi

# 5. a VMCS known to be broken (vmxcheck-break=2: domain 2's guest TR made unusable, SDM 26.3.1.2):
# the checker stops that domain before the entry, hello beside it finishes; with vmxcheck=warn the
# entry goes ahead, Bochs refuses it (exit reason 33, invalid guest state) and the checker's
# explanation names the same rule: the model and the emulated CPU agree
H="$G/hello.elf"
TR_RULE='SDM Vol\. 3C 26\.3\.1\.2: TR must be usable, present, a system segment \(S = 0\) of type 11 \(busy 32/64-bit TSS\), or 3 outside IA-32e mode \(TR\)'
run_pv_checked broken --hv-cmdline "vmxcheck-break=2" "$H:name=a" "$H:name=b"
expect_rc 1
expect '^perfvisor: domain 2: vmxcheck-break: its guest TR made unusable \(a test\)$'
expect "^perfvisor: VM-entry check failed for domain 2: $TR_RULE\$"
expect '^perfvisor: domain 2 \(b\) stopped: VM-entry check failed \(see above\)$'
expect '^perfvisor: domain 1 \(a\) exited with status 0$'
expect_no 'ENTRY_FAIL_GUEST_STATE'
run_pv_checked broken-warn --hv-cmdline "vmxcheck-break=2 vmxcheck=warn" "$H:name=a" "$H:name=b"
expect_rc 1
expect "^perfvisor: VM-entry check failed for domain 2: $TR_RULE; vmxcheck=warn: entering anyway\$"
expect "^perfvisor: domain 2: the VM-entry checker says: $TR_RULE\$"
expect '^perfvisor: domain 2 \(b\) stopped: VM entry failed: ENTRY_FAIL_GUEST_STATE '
expect '^perfvisor: domain 1 \(a\) exited with status 0$'

summary vmxcheck
