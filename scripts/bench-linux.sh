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
