#!/usr/bin/env bash
# make bench: perfvisor's costs, measured in Bochs, where the TSC advances exactly one per
# instruction, so every figure is an exact, repeatable instruction count (not wall time).
#   boot     GRUB handoff -> first guest instruction (the hypervisor's own TSC stamps)
#   exits    CPUID and COM1 I/O exit round trips, measured in the guest (exitbench: loop of N
#            CPUID / IN from the COM1 line-status register, minus the same loop natively), and the
#            hypervisor's part alone (exit -> re-entry, from perfvisor's per-exit accounting)
#   slowdown the CPU-bound guest (compute) under perfvisor vs. booted natively
set -eu
cd "$(dirname "$0")/.."
B=${BUILD:-build}
PV="$B/perfvisor"
G="$B/guest-stub"
OUT="$B/bench"
mkdir -p "$OUT"

run() {   # name args... : console to $OUT/name.log
    local name=$1; shift
    if ! "$PV" run --emulator bochs --timeout 600 "$@" >"$OUT/$name.log" 2>&1; then
        echo "bench: run '$name' failed; see $OUT/$name.log" >&2
        exit 1
    fi
}
field() { sed -nE "s/$2/\1/p" "$OUT/$1.log" | head -1; }

run native-compute --native "$G/compute.elf"
run virt-compute "$G/compute.elf"
run native-exitbench --native "$G/exitbench.elf"
run virt-exitbench "$G/exitbench.elf"
run boot-1 "$G/hello.elf"
run boot-4 "$G/hello.elf" "$G/hello.elf" "$G/hello.elf" "$G/hello.elf"

tn=$(field native-compute '^compute: iters=[0-9]+ checksum=[0-9a-f]+ ticks=([0-9]+)$')
tv=$(field virt-compute '^\[1:compute\] compute: iters=[0-9]+ checksum=[0-9a-f]+ ticks=([0-9]+)$')
cn=$(field native-exitbench '^exitbench: n=[0-9]+ cpuid=([0-9]+) .*$')
in=$(field native-exitbench '^exitbench: n=[0-9]+ cpuid=[0-9]+ io=([0-9]+) .*$')
cv=$(field virt-exitbench '^\[1:exitbench\] exitbench: n=[0-9]+ cpuid=([0-9]+) .*$')
iv=$(field virt-exitbench '^\[1:exitbench\] exitbench: n=[0-9]+ cpuid=[0-9]+ io=([0-9]+) .*$')
hc=$(field virt-exitbench '^perfvisor:   exits of domain 1.* CPUID [0-9]+ \(avg ([0-9]+) ticks\).*$')
b1=$(field boot-1 '^perfvisor: boot: ([0-9]+) ticks.*$')
b4=$(field boot-4 '^perfvisor: boot: ([0-9]+) ticks.*$')
slice=$(field virt-compute '^perfvisor: running .* time slice ([0-9]+) ticks$')
pt=$(field virt-compute '^perfvisor:   exits of domain 1.* PREEMPTION_TIMER [0-9]+ \(avg ([0-9]+) ticks\).*$')

for v in tn tv cn in cv iv hc b1 b4; do
    [ -n "${!v}" ] || { echo "bench: could not read $v from the logs in $OUT" >&2; exit 1; }
done

echo "perfvisor benchmarks (Bochs 2.7, corei7_skylake_x; 1 tick = 1 instruction)"
printf '  %-52s %12s\n' "boot: GRUB handoff -> first guest instruction, 1 guest" "$b1 ticks"
printf '  %-52s %12s\n' "boot: GRUB handoff -> first guest instruction, 4 guests" "$b4 ticks"
printf '  %-52s %12s\n' "CPUID exit round trip, seen by the guest" "$((cv - cn)) ticks"
printf '  %-52s %12s\n' "  of which hypervisor, exit -> re-entry" "$hc ticks"
printf '  %-52s %12s\n' "COM1 I/O exit round trip (IN from LSR), seen by guest" "$((iv - in)) ticks"
printf '  %-52s %12s\n' "preemption-timer exit, exit -> re-entry (slice $slice)" "${pt:-?} ticks"
printf '  %-52s %12s\n' "CPU-bound guest (compute), native" "$tn ticks"
printf '  %-52s %12s\n' "CPU-bound guest (compute), under perfvisor" "$tv ticks"
awk -v n="$tn" -v v="$tv" 'BEGIN { printf "  %-52s %11.4f%%\n", "slowdown under perfvisor (goal: < 1%)", (v - n) * 100.0 / n }'
