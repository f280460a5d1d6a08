#!/usr/bin/env bash
# perfvisor record/run: every mistake is refused before an emulator starts, with one line that
# names the fix; and the long-run behaviour (progress line, -q, no default timeout, the warning
# when the machine goes silent).  No real emulator runs: PERFVISOR_BOCHS and PERFVISOR_QEMU
# (profiler/emulator.c) point at a fake that writes down that it was started and, for the
# run-time cases, plays a recording (a capture synthesized by tests/golden/gen-capture.c).
#   tests/cli/cli-checks.sh      last line "cli checks: N passed, N failed"
set -u
cd "$(dirname "$0")/../.."
ROOT=$PWD
BUILD=${BUILD:-build}
PV=$ROOT/$BUILD/perfvisor
G=$ROOT/$BUILD/guest-stub
T=$(mktemp -d "${TMPDIR:-/tmp}/pv-cli-checks.XXXXXX")
trap 'rm -rf "$T"' EXIT
pass=0 failed=0
ok() { echo "PASS $1"; pass=$((pass + 1)); }
not_ok() { echo "FAIL $1"; failed=$((failed + 1)); }
setup_fail() { echo "cli checks: $*"; echo "cli checks: 0 passed, 1 failed"; exit 1; }

make -s --no-print-directory cli >"$T/make.log" 2>&1 || setup_fail "make cli failed: $(tail -3 "$T/make.log")"
[ -f "$G/hello.elf" ] || setup_fail "$G/hello.elf missing: run make first"
${CC:-gcc} -std=gnu11 -O2 -I. -o "$T/gen-capture" tests/golden/gen-capture.c pmu/sampling/cap_encode.c \
    || setup_fail "cannot build tests/golden/gen-capture.c"
"$T/gen-capture" basic >"$T/basic.stream" || setup_fail "gen-capture basic failed"

# The fake emulator: runs in perfvisor's work directory, as Bochs/QEMU would.
cat >"$T/fake-emu" <<FAKE
#!/bin/sh
echo "\$0 \$*" >>"$T/called"
case "\${FAKE_MODE:-}" in
play)   cat "$T/basic.stream" >com1.txt; sleep 3 ;;  # a whole recording, then Bochs' slow exit
silent) : >com1.txt; sleep 6 ;;                      # boots, then prints nothing
stop)   printf 'perfvisor: domain 1 (hello) stopped: triple fault at rip %s\\nperfvisor: end status=1\\n' "\$FAKE_RIP" >com1.txt ;;
esac
exit 1
FAKE
chmod +x "$T/fake-emu"
export PERFVISOR_BOCHS=$T/fake-emu PERFVISOR_QEMU=$T/fake-emu

# refused NAME 'PATTERN' perfvisor-args...: exit 129 (or 2 for a missing file), one error line on
# stderr, "perfvisor: error: ..." matching PATTERN (beside at most the emulator choice), and no
# emulator started
refused() {
    local name=$1 pat=$2; shift 2
    rm -f "$T/called"
    (cd "$T" && "$PV" "$@" >"$T/out" 2>"$T/err")
    local rc=$? lines
    lines=$(grep -vc -e '^perfvisor record: using ' -e "^perfvisor: warning: QEMU without KVM" "$T/err")
    if [ -e "$T/called" ]; then
        not_ok "$name: an emulator was started ($(cat "$T/called"))"
    elif [ $rc -ne 129 ] && [ $rc -ne 2 ]; then
        not_ok "$name: exit status $rc, not 129 (usage) or 2: $(cat "$T/err")"
    elif [ "$lines" -ne 1 ] || ! grep -Eq "^perfvisor: error: .*$pat" "$T/err"; then
        not_ok "$name: wanted one line 'perfvisor: error: ...$pat', got: $(cat "$T/err")"
    else
        ok "$name: $(grep 'error:' "$T/err")"
    fi
}

H="$G/hello.elf"
refused period-low     '-c needs a number from 1000 to 281474976710656'  record -c 999 -- "$H"
refused period-high    '-c needs a number from 1000 to 281474976710656'  record -c 281474976710657 -- "$H"
refused rate-twice     'both set the sampling rate: give one'            record -c 100000 -F 100 -- "$H"
refused freq-bochs     '-F 49500 or less'                                record --emulator bochs -F 49501 -- "$H"
refused jitter-low     'below the minimum 1000: raise -c or lower'       record -c 2000 --jitter 60 -- "$H"
refused jitter-event   '--jitter needs the software backend'             record -e llc-misses --jitter 5 -- "$H"
refused event-bochs    "-e instructions needs a hardware PMU, and Bochs" record --emulator bochs -e instructions -- "$H"
if [ -w /dev/kvm ] && grep -qw vmx /proc/cpuinfo; then
    echo "SKIP event-qemu, event-default: QEMU with KVM can be used here, and may have a PMU"
else
    refused event-qemu    "-e branches needs a hardware PMU, and QEMU without KVM" record --emulator qemu -e branches -- "$H"
    refused event-default "-e branch-misses needs a hardware PMU"               record -e branch-misses -- "$H"
fi
refused unknown-event  "unknown event 'cache-misses'"                    record -e cache-misses -- "$H"
refused ring-zero      '--ring needs a number from 1 to 1048576'         record --ring 0 -- "$H"
refused selftest-loop  '--loop takes 1000 to 100000000 iterations'      selftest --loop 999
refused selftest-guest 'self-test guest /nonexistent-pv.elf: not found: build it' selftest --guest /nonexistent-pv.elf
refused selftest-args  'selftest takes no guest: it boots its own'      selftest "$H"
refused out-missing    'the directory /nonexistent-pv does not exist: create it' record -o /nonexistent-pv/x.data -- "$H"
refused out-directory  "is a directory: name a file in it"              record -o "$T" -- "$H"
mkfifo "$T/fifo"
refused out-fifo       'exists and is not a regular file'               record -o "$T/fifo" -- "$H"
refused native         '--native boots none'                            record --native -- "$H"
refused guest-missing  'missing.elf'                                     record -- "$T/missing.elf"
refused timeout-bad    "--timeout needs a number"                        run --timeout 5s "$H"
refused mem-too-big    'mem='                                            run "$H:mem=999999"

# The control: a well-formed record does start the emulator (so the checks above can fail).
rm -f "$T/called"
(cd "$T" && "$PV" record --emulator bochs -c 100000 -o "$T/ok.data" -- "$H" >"$T/out" 2>"$T/err")
[ -e "$T/called" ] && ok "control: a good command line starts the (fake) emulator" \
    || not_ok "control: the fake emulator was not started: $(cat "$T/err")"

# Long runs: the progress line (--progress, not a terminal here) with the stream's counts so far,
# the data written, -q silencing it, and no default timeout.
rm -f "$T/called"
(cd "$T" && FAKE_MODE=play PERFVISOR_PROGRESS_S=1 "$PV" record --progress --emulator bochs -o "$T/play.data" \
    -- "$H" >"$T/out" 2>"$T/err")
if grep -Eq '^\[ perfvisor record: [0-9]+ s, 52000000 guest ticks, 52 samples, 3 lost, 0\.00[0-9] MB \]$' "$T/err"; then
    ok "progress: $(grep -m1 'guest ticks' "$T/err")"
else
    not_ok "progress line missing or wrong: $(cat "$T/err")"
fi
grep -q 'Captured and wrote .* (52 samples, 3 lost)' "$T/err" && ok "record's closing line" \
    || not_ok "no closing line: $(cat "$T/err")"
"$PV" report -i "$T/play.data" --stdio --sort domain >"$T/report" 2>&1 && grep -q '^# Samples: 52 of event' "$T/report" \
    && ok "the played recording reports its 52 samples" || not_ok "report of the played recording: $(head -5 "$T/report")"
(cd "$T" && FAKE_MODE=play PERFVISOR_PROGRESS_S=1 "$PV" record -q --progress --emulator bochs -o "$T/q.data" \
    -- "$H" >"$T/out" 2>"$T/err")
[ ! -s "$T/err" ] && ok "-q: nothing on stderr" || not_ok "-q still printed: $(cat "$T/err")"
"$PV" record --help | grep -q 'There is no default' && ok "help says there is no default timeout" \
    || not_ok "record --help does not say that there is no default timeout"

# A silent machine: said once, with the ways to end it; --timeout ends it.
(cd "$T" && FAKE_MODE=silent PERFVISOR_SILENT_S=1 "$PV" record --emulator bochs --timeout 3 -o "$T/s.data" \
    -- "$H" >"$T/out" 2>"$T/err")
rc=$?
if grep -q '^perfvisor: warning: nothing on the serial line for 1 s; bochs is still running.*budget=TICKS.*--timeout SEC' "$T/err" \
    && grep -q 'timed out after 3 s (--timeout)' "$T/err" && [ $rc -eq 2 ]; then
    ok "silent machine: warned once, --timeout 3 stopped it (status 2)"
else
    not_ok "silent machine (status $rc): $(cat "$T/err")"
fi

# A stopped domain's RIP named in run's summary, from the guest's symbols.
main=$(nm "$H" | awk '$3 == "main" { print $1 }')
if [ -z "$main" ]; then
    not_ok "no symbol main in $H (nm)"
else
    rip=$(printf '0x%x' $((0x$main + 4)))
    (cd "$T" && FAKE_MODE=stop FAKE_RIP=$rip "$PV" run --emulator bochs "$H" >"$T/out" 2>"$T/err")
    grep -q "1 domain failed (1:hello stopped: triple fault at rip $rip (rip $rip is main+0x4 in hello.elf))" "$T/err" \
        && ok "a stopped domain's rip $rip shown as main+0x4" || not_ok "stop rip not symbolized: $(cat "$T/err")"
fi

echo "cli checks: $pass passed, $failed failed"
[ $failed -eq 0 ]
