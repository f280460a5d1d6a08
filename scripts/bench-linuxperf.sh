#!/usr/bin/env bash
# make bench, perf inside a Linux guest (issue #11): Debian's cloud kernel with the perf
# initramfs (tests/linux/build-guest.sh --with-perf), one perfvisor domain in Bochs, where the
# TSC advances one per instruction.  /init's pvmode=perfbench runs /bin/workload ROUNDS times
# plain, then under `perf record -e cycles -c 100000` (PMIs as NMIs through the virtual LAPIC's
# LVTPC, Linux's own driver):
#   overhead  the workload's own ticks profiled vs not (goal <= 3 %): the PMI exits, the
#             exits of Linux's NMI handler (IA32_PERF_GLOBAL_CTRL/STATUS/OVF_CTRL, the counter
#             reload, RDPMC, the LVTPC unmask: an xAPIC write) and the handler's own instructions
#   PMI       the preemption-timer exit at a counter's overflow -> the entry that injects the
#             NMI (goal <= 600 ticks).  The run's PREEMPTION_TIMER average mixes the PMIs with
#             the Linux tick's exits (one per APIC timer expiry); the PMIs' own average is
#             derived by taking the expiries out at the tick's cost measured by
#             scripts/bench-linux.sh's run (build/bench/linux-virt.log) when it is there
# A slice of 2 G ticks, as bench-linux.sh, so that nearly no exit is a slice end.
set -eu
cd "$(dirname "$0")/.."
B=${BUILD:-build}
PV="$B/perfvisor"
OUT="$B/bench"
mkdir -p "$OUT"
if ! guest=$(tests/linux/build-guest.sh --with-perf); then
    echo "bench-linuxperf: no Linux test guest with perf (scripts/install-deps.sh installs what it needs)" >&2
    exit 1
fi
eval "$guest"
ROUNDS=2000
PERIOD=100000

"$PV" run --emulator bochs --timeout 1200 --hv-cmdline slice=2000000000 \
    "$LINUX_KERNEL:name=linux mem=256 initrd=$LINUX_INITRD_PERF console=ttyS0 quiet pvmode=perfbench pvrounds=$ROUNDS pvperiod=$PERIOD" \
    >"$OUT/linuxperf.log" 2>&1 || {
    echo "bench-linuxperf: the perfvisor run failed; see $OUT/linuxperf.log" >&2; exit 1; }

log="$OUT/linuxperf.log"
t0=$(sed -nE 's/^\[1:linux\] workload: ticks=([0-9]+)$/\1/p' "$log" | sed -n 1p)
t1=$(sed -nE 's/^\[1:linux\] workload: ticks=([0-9]+)$/\1/p' "$log" | sed -n 2p)
samples=$(sed -nE "s/^\[1:linux\] perfbench: samples=([0-9]+)$/\1/p" "$log")
exits=$(grep -E '^perfvisor:   exits of domain 1 \(linux\):' "$log" | head -1)
avg() { sed -nE "s/.* $1 [0-9]+ \(avg ([0-9]+) ticks\).*/\1/p" <<<"$exits"; }
cnt() { sed -nE "s/.* $1 ([0-9]+) \(avg [0-9]+ ticks\).*/\1/p" <<<"$exits"; }
pt=$(avg PREEMPTION_TIMER) ptn=$(cnt PREEMPTION_TIMER)
expiries=$(sed -nE 's/^perfvisor:   domain 1 \(linux\): I\/O APIC: .*APIC timer: ([0-9]+) expiries.*$/\1/p' "$log")
tick=
if [ -f "$OUT/linux-virt.log" ]; then
    tick=$(grep -E '^perfvisor:   exits of domain 1 \(linux\):' "$OUT/linux-virt.log" | head -1 |
           sed -nE 's/.* PREEMPTION_TIMER [0-9]+ \(avg ([0-9]+) ticks\).*/\1/p')
fi
if [ -z "$t0" ] || [ -z "$t1" ] || [ -z "$pt" ]; then
    echo "bench-linuxperf: the run printed no workload figures; see $log" >&2
    exit 1
fi

echo
echo "perf inside a Linux guest (issue #11): $(basename "$LINUX_KERNEL"), workload $ROUNDS rounds, one domain, vpmu=cpu-switch (Bochs ticks)"
printf '  %-64s %14s\n' "workload, not profiled" "$t0 ticks"
printf '  %-64s %14s\n' "workload under perf record -e cycles -c $PERIOD" "$t1 ticks"
awk -v a="$t0" -v b="$t1" 'BEGIN { printf "  %-64s %13.2f%%\n", "overhead of perf record inside (goal <= 3%)", (b - a) * 100.0 / a }'
printf '  %-64s %14s\n' "  perf's samples (PMIs)" "${samples:-?}"
if [ -n "$samples" ] && [ "$samples" -gt 0 ]; then
    printf '  %-64s %14s\n' "  per PMI: guest-seen ticks (exits + Linux's NMI handler)" "$(( (t1 - t0) / samples )) ticks"
fi
printf '  %-64s %14s\n' "PREEMPTION_TIMER exits (PMIs, tick expiries, slice ends), average" "$pt ticks"
printf '  %-64s %14s\n' "  exits / APIC timer expiries" "$ptn / $expiries"
if [ -n "$tick" ] && [ -n "$expiries" ] && [ "$ptn" -gt "$expiries" ]; then
    awk -v pt="$pt" -v n="$ptn" -v e="$expiries" -v t="$tick" 'BEGIN {
        printf "  %-64s %8d ticks\n", "NMI PMI delivery, overflow exit -> entry (derived; goal <= 600)", (pt * n - t * e) / (n - e) }'
    printf '  %-64s %14s\n' "  (the tick's own exit, from bench-linux.sh's run)" "$tick ticks"
else
    echo "  NMI PMI delivery: not derived (no bench-linux.sh run in $OUT to take the tick's exits out)"
fi
exits_all=$(sed -E 's/^perfvisor:   exits of domain 1 \(linux\): //' <<<"$exits")
echo "  exits of the run: $exits_all"
