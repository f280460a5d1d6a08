#!/usr/bin/env bash
# make bench, Linux guests (issue #9): Debian's cloud kernel with the test initramfs
# (tests/linux/build-guest.sh), measured in Bochs, where the TSC advances one per instruction:
#   boot      the TSC when user space starts (/init runs `workload tsc`), from power-on: booted
#             natively (GRUB linux/initrd) and as a perfvisor domain, and under perfvisor the
#             kernel's part alone (its first instruction -> user space)
#   workload  the CPU-bound workload's own ticks (10,000 rounds) inside Linux under perfvisor,
#             against the instructions it executes: 60,023 a round (objdump of the workload as
#             build-guest.sh builds it: 10 calls of 6,000 instructions -- mov, 1,999 x add/dec/
#             jnz, lea, ret -- and 23 in run_rounds' loop), plus the few around the loop.  Under
#             Bochs a tick is an instruction, so the rest is everything else the window held:
#             Linux's timer ticks and perfvisor's exits for them.  The native run's figure is
#             printed beside it; it is not a baseline (see docs/BENCHMARKS.md)
#   timer     the Linux tick under perfvisor: the preemption-timer exit that delivers the APIC
#             timer interrupt (exit -> re-entry; a slice of 2 G ticks, so nearly every such exit
#             is the timer's), and the exits each tick adds: the EOI (an xAPIC MMIO write, an EPT
#             violation) and the TSC-deadline WRMSR
set -eu
cd "$(dirname "$0")/.."
B=${BUILD:-build}
PV="$B/perfvisor"
OUT="$B/bench"
mkdir -p "$OUT"
if ! guest=$(tests/linux/build-guest.sh); then
    echo "bench-linux: no Linux test guest (scripts/install-deps.sh installs what it needs)" >&2
    exit 1
fi
eval "$guest"
ROUNDS=10000
INSNS_PER_ROUND=60023
args="console=ttyS0 quiet pvrounds=$ROUNDS"

"$PV" run --emulator bochs --timeout 900 --native \
    "$LINUX_KERNEL:mem=256 initrd=$LINUX_INITRD $args" >"$OUT/linux-native.log" 2>&1 || true
"$PV" run --emulator bochs --timeout 900 --hv-cmdline slice=2000000000 \
    "$LINUX_KERNEL:name=linux mem=256 initrd=$LINUX_INITRD $args" >"$OUT/linux-virt.log" 2>&1 || {
    echo "bench-linux: the perfvisor run failed; see $OUT/linux-virt.log" >&2; exit 1; }

field() { sed -nE "s/$2/\1/p" "$OUT/$1.log" | head -1; }
nu=$(field linux-native '^workload: tsc=([0-9]+)$')
nt=$(field linux-native '^workload: ticks=([0-9]+)$')
vu=$(field linux-virt '^\[1:linux\] workload: tsc=([0-9]+)$')
vt=$(field linux-virt '^\[1:linux\] workload: ticks=([0-9]+)$')
ve=$(field linux-virt '^perfvisor:   domain 1 \(linux\): I\/O APIC: .*first instruction at TSC ([0-9]+)$')
hb=$(field linux-virt '^perfvisor: boot: ([0-9]+) ticks from loader handoff.*$')
exits=$(grep -E '^perfvisor:   exits of domain 1 \(linux\):' "$OUT/linux-virt.log" | head -1)
avg() { sed -nE "s/.* $1 [0-9]+ \(avg ([0-9]+) ticks\).*/\1/p" <<<"$exits"; }
cnt() { sed -nE "s/.* $1 ([0-9]+) \(avg [0-9]+ ticks\).*/\1/p" <<<"$exits"; }
pt=$(avg PREEMPTION_TIMER) ptn=$(cnt PREEMPTION_TIMER)
ept=$(avg EPT_VIOLATION) wr=$(avg WRMSR)
expiries=$(field linux-virt '^perfvisor:   domain 1 \(linux\): I\/O APIC: .*APIC timer: ([0-9]+) expiries.*$')
if [ -z "$nu" ] || [ -z "$nt" ]; then
    echo "bench-linux: the native run printed no workload figures; see $OUT/linux-native.log" >&2
    nu=${nu:-0} nt=${nt:-0}
fi

echo "Linux guest: $(basename "$LINUX_KERNEL"), busybox initramfs, workload $ROUNDS rounds (Bochs ticks)"
printf '  %-60s %14s\n' "user space reached, from power-on, native (BIOS, GRUB, kernel)" "$nu ticks"
printf '  %-60s %14s\n' "user space reached, from power-on, under perfvisor" "$vu ticks"
printf '  %-60s %14s\n' "  of which perfvisor's boot (GRUB handoff -> first guest insn)" "$hb ticks"
printf '  %-60s %14s\n' "  of which the kernel (its first instruction -> user space)" "$((vu - ve)) ticks"
awk -v n="$nu" -v v="$vu" 'BEGIN { if (n) printf "  %-60s %13.2f%%\n", "boot to user space, perfvisor vs native", (v - n) * 100.0 / n }'
printf '  %-60s %14s\n' "workload inside Linux, native" "$nt ticks"
printf '  %-60s %14s\n' "workload inside Linux, under perfvisor" "$vt ticks"
truth=$((ROUNDS * INSNS_PER_ROUND))
printf '  %-60s %14s\n' "workload's own instructions (exact, from its code)" "$truth"
awk -v t="$truth" -v v="$vt" 'BEGIN { printf "  %-60s %13.3f%%\n", "slowdown under perfvisor, ticks over instructions (goal <= 2%)", (v - t) * 100.0 / t }'
printf '  %-60s %14s\n' "timer interrupt: preemption-timer exit -> re-entry (goal <= 800)" "$pt ticks"
printf '  %-60s %14s\n' "  preemption-timer exits / APIC timer expiries" "$ptn / $expiries"
printf '  %-60s %14s\n' "  EOI (xAPIC write: EPT violation), exit -> re-entry, average" "$ept ticks"
printf '  %-60s %14s\n' "  WRMSR (IA32_TSC_DEADLINE re-armed), exit -> re-entry, average" "$wr ticks"
printf '  %-60s %14s\n' "  one tick, all three" "$((pt + ept + wr)) ticks"

# ---------------------------------------------------------------------------------------------
# Profiling the Linux guest from outside (issue #10): `perfvisor record` of the same guest (3,000
# rounds), software backend, every 100,000 ticks, without and with call chains (-g), the
# current task read from guest memory at each sample (pmu/sampling/prof_linux.c):
#   per sample  hypervisor ticks a sample costs, exit -> re-entry: the run's preemption-timer
#               ticks minus its APIC-timer expiries at the unprofiled run's average (linux-virt
#               above, same slice, where nearly every such exit is the timer's), per sample taken
#               (rings of 32,768 samples: with that slice they drain only at the end); and the
#               same without the task layout (PERFVISOR_NO_LINUX_TASKS=1: samples name address
#               spaces only): the difference is what naming the task costs
#   wire size   capture bytes per sample: frames, headers, TASK/ANCHOR records and accounting
#   tasks       the share of the samples that name a task (the rest: the boot before the kernel's
#               per-CPU area exists, and the hypervisor's rows)
PROF_ROUNDS=3000
for mode in plain chain notask; do
    PERFVISOR_NO_LINUX_TASKS=$([ $mode = notask ] && echo 1 || echo 0) "$PV" record --emulator bochs --timeout 900 --hv-cmdline slice=2000000000 --ring 32768 -c 100000 \
        $([ $mode = chain ] && echo -g) -o "$OUT/linux-prof-$mode.data" -- \
        "$LINUX_KERNEL:name=linux mem=256 initrd=$LINUX_INITRD console=ttyS0 quiet pvrounds=$PROF_ROUNDS" \
        >"$OUT/linux-prof-$mode.log" 2>&1 || {
        echo "bench-linux: the profiled run ($mode) failed; see $OUT/linux-prof-$mode.log" >&2; exit 1; }
done
prof_figures() {   # mode -> "ticks-per-sample bytes-per-sample task-share samples"
    local log="$OUT/linux-prof-$1.log" ex n t e b tasks
    ex=$(grep -E '^perfvisor:   exits of domain 1 \(linux\):' "$log" | head -1)
    n=$(sed -nE 's/.* PREEMPTION_TIMER ([0-9]+) \(avg [0-9]+ ticks\).*/\1/p' <<<"$ex")
    t=$(sed -nE 's/.* PREEMPTION_TIMER [0-9]+ \(avg ([0-9]+) ticks\).*/\1/p' <<<"$ex")
    e=$(sed -nE 's/^perfvisor:   domain 1 \(linux\): I\/O APIC: .*APIC timer: ([0-9]+) expiries.*$/\1/p' "$log")
    s=$(sed -nE 's/^perfvisor: profile: domain 1: ([0-9]+) samples taken.*/\1/p' "$log")
    b=$(sed -nE 's/^perfvisor: profile: .* \(([0-9.]+) bytes a sample.*$/\1/p' "$log")
    tasks=$("$PV" report --stdio -i "$OUT/linux-prof-$1.data" -s pid -F sample,pid -t '|' 2>/dev/null |
        awk -F'|' '/^[0-9]/ { all += $1; if ($2 !~ /^-:/) named += $1 } END { if (all) printf "%.2f", 100 * named / all }')
    awk -v n="$n" -v t="$t" -v e="$e" -v s="$s" -v pt="$pt" -v b="$b" -v k="$tasks" \
        'BEGIN { printf "%d %s %s %d\n", (n * t - e * pt) / s, b, k, s }'
}
read -r psp bsp ksp nsp <<<"$(prof_figures plain)"
read -r psc bsc ksc nsc <<<"$(prof_figures chain)"
read -r psn bsn ksn nsn <<<"$(prof_figures notask)"
echo
echo "Profiling the Linux guest from outside ($PROF_ROUNDS rounds, every 100,000 ticks; $nsp and $nsc samples)"
printf '  %-60s %14s\n' "hypervisor ticks per sample, no call chains (goal <= 600)" "$psp ticks"
printf '  %-60s %14s\n' "  of which naming the task (vs. the run without its layout)" "$((psp - psn)) ticks"
printf '  %-60s %14s\n' "hypervisor ticks per sample, -g (goal <= 1500)" "$psc ticks"
printf '  %-60s %14s\n' "capture bytes per sample, no call chains (goal <= 8)" "$bsp"
printf '  %-60s %14s\n' "  the same without the task layout" "$bsn"
printf '  %-60s %14s\n' "capture bytes per sample, -g" "$bsc"
printf '  %-60s %13s%%\n' "samples that name a task, no call chains" "$ksp"
