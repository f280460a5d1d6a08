#!/usr/bin/env bash
# make bench: perfvisor's costs, measured in Bochs, where the TSC advances exactly one per
# instruction, so every figure is an exact, repeatable instruction count (not wall time).
#   boot     GRUB handoff -> first guest instruction (the hypervisor's own TSC stamps)
#   exits    CPUID and COM1 I/O exit round trips, measured in the guest (exitbench: loop of N
#            CPUID / IN from the COM1 line-status register, minus the same loop natively), and the
#            hypervisor's part alone (exit -> re-entry, from perfvisor's per-exit accounting)
#   slowdown the CPU-bound guest (compute) under perfvisor vs. booted natively
# and, for system-wide profiling (software backend):
#   sampling slowdown  compute with sampling every 1,000,000 and 100,000 cycles vs. sampling off
#   per sample         hypervisor ticks from the sampling exit to re-entry; export (drain + serial)
#   wire size          capture bytes per sample, without and with call chains
#   report speed       perfvisor report vs. perf report --stdio on the same number of samples
# and, for guest-wide profiling (the virtual PMU, software backend):
#   PMU MSR exits      hypervisor ticks of a RDMSR / WRMSR of a PMU MSR, exit to re-entry
#   PMI delivery       ticks from the exit at the counter's overflow to the entry that injects it
#   self-profiling     gprof profiling itself every 1,000,000 and 100,000 cycles vs. not at all
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
rec() {   # name record-args... : console to $OUT/name.log, capture to $OUT/name.data
    local name=$1; shift
    if ! "$PV" record --emulator bochs --timeout 600 -o "$OUT/$name.data" "$@" >"$OUT/$name.log" 2>&1; then
        echo "bench: record '$name' failed; see $OUT/$name.log" >&2
        exit 1
    fi
}
rec prof-1m -c 1000000 -- "$G/compute.elf"
rec prof-100k -c 100000 -- "$G/compute.elf"
rec prof-chain -c 100000 -g -- "$G/chain.elf:depth=2"
run gprof-off "$G/gprof.elf:profile=off"
run gprof-1m "$G/gprof.elf:period=1000000"
run gprof-100k "$G/gprof.elf:period=100000"
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

t1m=$(field prof-1m '^\[1:compute\] compute: iters=[0-9]+ checksum=[0-9a-f]+ ticks=([0-9]+)$')
t100k=$(field prof-100k '^\[1:compute\] compute: iters=[0-9]+ checksum=[0-9a-f]+ ticks=([0-9]+)$')
ps=$(field prof-100k '^perfvisor:   exits of domain 1.* PREEMPTION_TIMER [0-9]+ \(avg ([0-9]+) ticks\).*$')
bps=$(field prof-100k '^perfvisor: profile: .* \(([0-9.]+) bytes a sample.*$')
bpc=$(field prof-chain '^perfvisor: profile: .* \(([0-9.]+) bytes a sample.*$')
samples100k=$(field prof-100k '^perfvisor: profile: domain 1: ([0-9]+) samples taken.*$')
"$PV" report --stdio -i "$OUT/prof-100k.data" >"$OUT/prof-100k.report" 2>&1
exp100k=$(sed -nE 's/^ *([0-9.]+)%.*export:drain_rings$/\1/p' "$OUT/prof-100k.report" | head -1)

g0=$(field gprof-off '^\[1:gprof\] gprof: rounds=[0-9]+ chunk=[0-9]+ acc=[0-9a-f]+ ticks=([0-9]+).*$')
g1m=$(field gprof-1m '^\[1:gprof\] gprof: rounds=[0-9]+ chunk=[0-9]+ acc=[0-9a-f]+ ticks=([0-9]+).*$')
g100k=$(field gprof-100k '^\[1:gprof\] gprof: rounds=[0-9]+ chunk=[0-9]+ acc=[0-9a-f]+ ticks=([0-9]+).*$')
vrd=$(field gprof-100k '^perfvisor:   exits of domain 1.* RDMSR [0-9]+ \(avg ([0-9]+) ticks\).*$')
vwr=$(field gprof-100k '^perfvisor:   exits of domain 1.* WRMSR [0-9]+ \(avg ([0-9]+) ticks\).*$')
vpmi=$(field gprof-100k '^perfvisor:   exits of domain 1.* PREEMPTION_TIMER [0-9]+ \(avg ([0-9]+) ticks\).*$')

for v in tn tv cn in cv iv hc b1 b4 t1m t100k ps bps bpc g0 g1m g100k vrd vwr vpmi; do
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
echo
echo "system-wide profiling, software backend (same machine, same guest)"
awk -v o="$tv" -v s="$t1m" 'BEGIN { printf "  %-52s %11.3f%%\n", "slowdown, sampling every 1,000,000 (goal < 0.5%)", (s - o) * 100.0 / o }'
awk -v o="$tv" -v s="$t100k" 'BEGIN { printf "  %-52s %11.3f%%\n", "slowdown, sampling every 100,000 (goal < 3%)", (s - o) * 100.0 / o }'
printf '  %-52s %12s\n' "hypervisor per sample, exit -> re-entry (goal < 400)" "$ps ticks"
awk -v p="${exp100k:-0}" -v t="$t100k" -v n="$samples100k" 'BEGIN { printf "  %-52s %12d ticks\n", "  export per sample (drain, encode, serial), average", p / 100 * t / n }'
printf '  %-52s %12s\n' "capture bytes per sample, no call chain (goal < 6)" "$bps"
printf '  %-52s %12s\n' "capture bytes per sample, 5-frame chains (goal < 16)" "$bpc"

echo
echo "guest-wide profiling: the virtual PMU, software backend (gprof: x2APIC, counter 0 + LVTPC)"
printf '  %-52s %12s\n' "PMU MSR access exit, RDMSR, exit -> re-entry" "$vrd ticks"
printf '  %-52s %12s\n' "PMU MSR access exit, WRMSR (counter re-armed)" "$vwr ticks"
printf '  %-52s %12s\n' "PMI delivery: overflow exit -> entry injecting it" "$vpmi ticks"
awk -v o="$g0" -v s="$g1m" 'BEGIN { printf "  %-52s %11.3f%%\n", "slowdown, guest profiling itself every 1,000,000", (s - o) * 100.0 / o }'
awk -v o="$g0" -v s="$g100k" 'BEGIN { printf "  %-52s %11.3f%%\n", "slowdown, guest profiling itself every 100,000", (s - o) * 100.0 / o }'

# report speed: the same number of samples through perfvisor report and perf report
N=200000
${CC:-gcc} -std=gnu11 -O2 -I. -o "$OUT/gen-capture" tests/golden/gen-capture.c pmu/sampling/cap_encode.c
"$OUT/gen-capture" big $N >"$OUT/big.data"
best() {  # command... : the best of 3 wall times, in seconds
    local b="" t0 t1 i
    for i in 1 2 3; do
        t0=$(date +%s%N); "$@" >/dev/null 2>&1; t1=$(date +%s%N)
        b=$(awk -v a="${b:-1e18}" -v t="$(( t1 - t0 ))" 'BEGIN { print (t < a) ? t : a }')
    done
    awk -v t="$b" 'BEGIN { printf "%.3f", t / 1e9 }'
}
tp=$(best "$PV" report --stdio -i "$OUT/big.data")
echo "  perfvisor report --stdio, $N samples: ${tp} s = $(awk -v n=$N -v t="$tp" 'BEGIN { printf "%d", n / t }') samples/s"
if command -v perf >/dev/null && perf record -e cpu-clock -c 20000 -o "$OUT/perf.data" -- \
        sh -c 'i=0; while [ $i -lt 4000000 ]; do i=$((i+1)); done' >/dev/null 2>&1; then
    np=$(perf report --stdio -i "$OUT/perf.data" 2>/dev/null | sed -nE 's/^# Samples: ([0-9]+)([KM]?) of.*/\1\2/p' | head -1)
    np=$(echo "$np" | sed -e 's/K$/000/' -e 's/M$/000000/')
    "$OUT/gen-capture" big "$np" >"$OUT/same.data"
    tq=$(best perf report --stdio -i "$OUT/perf.data")
    tr=$(best "$PV" report --stdio -i "$OUT/same.data")
    echo "  on $np samples each: perf report --stdio ${tq} s, perfvisor report --stdio ${tr} s: $(awk -v a="$tq" -v b="$tr" 'BEGIN { printf "%.1f", a / b }')x faster (goal >= 10x)"
else
    echo "  perf report comparison skipped: perf record -e cpu-clock does not work here"
fi

# export speed: perfvisor script / convert vs perf script, on the same number of samples with call
# chains (perf.data from perf record -g; the capture from gen-capture with tests/golden/guest.asm's
# symbols, so that both sides symbolize every frame); wall time and CPU time (user + system), each
# the best of 3: on a loaded machine the CPU time is the steadier of the two
echo
echo "export: perfvisor script / convert vs perf script (best of 3: wall time, CPU time)"
nasm -f elf32 -g -F dwarf -o "$OUT/guest.o" tests/golden/guest.asm
ld -m elf_i386 -Ttext=0x100000 --build-id=none -o "$OUT/guest.elf" "$OUT/guest.o"
SYMS=(--symbols "1=$OUT/guest.elf" --symbols "2=$OUT/guest.elf")
cpu() {   # command... : the best of 3 CPU times (user + system), in seconds
    local b="" t i
    for i in 1 2 3; do
        t=$( { TIMEFORMAT='%3U %3S'; time "$@" >/dev/null 2>&1; } 2>&1 | awk '{ print $1 + $2 }')
        b=$(awk -v a="${b:-1e18}" -v t="$t" 'BEGIN { print (t < a) ? t : a }')
    done
    awk -v t="$b" 'BEGIN { printf "%.3f", t }'
}
if command -v perf >/dev/null && perf record -g -e cpu-clock -c 50000 -o "$OUT/perf-g.data" -- \
        sh -c 'i=0; while [ $i -lt 4000000 ]; do i=$((i+1)); done' >/dev/null 2>&1; then
    ng=$(perf script -i "$OUT/perf-g.data" -F period 2>/dev/null | wc -l)
    "$OUT/gen-capture" big "$ng" >"$OUT/same-g.data"
    perf script -i "$OUT/perf-g.data" >"$OUT/perf-g.script" 2>/dev/null
    "$PV" script -i "$OUT/same-g.data" "${SYMS[@]}" >"$OUT/same-g.script" 2>/dev/null
    lq=$(awk -v n="$ng" 'END { printf "%.1f", NR / n }' "$OUT/perf-g.script")
    lr=$(awk -v n="$ng" 'END { printf "%.1f", NR / n }' "$OUT/same-g.script")
    ts=$(best perf script -i "$OUT/perf-g.data") cs=$(cpu perf script -i "$OUT/perf-g.data")
    echo "  $ng samples: perf script ${ts} s wall, ${cs} s CPU ($lq lines a sample)"
    for c in script folded pprof svg speedscope json; do
        if [ $c = script ]; then
            cmd=("$PV" script -i "$OUT/same-g.data" "${SYMS[@]}")
            what="perfvisor script ($lr lines a sample)"
        else
            cmd=("$PV" convert --to $c -i "$OUT/same-g.data" "${SYMS[@]}" -o "$OUT/same-g.$c")
            what="perfvisor convert --to $c"
        fi
        t=$(best "${cmd[@]}") u=$(cpu "${cmd[@]}")
        awk -v w="$what" -v t="$t" -v q="$ts" -v u="$u" -v c="$cs" 'BEGIN {
            printf "  %-40s %6.3f s %5.1fx, CPU %6.3f s %5.1fx (goal >= 5x)\n", w, t, q / t, u, (u > 0 ? c / u : 0) }'
    done
else
    echo "  perf script comparison skipped: perf record -g -e cpu-clock does not work here"
fi
