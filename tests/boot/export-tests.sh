#!/usr/bin/env bash
# Export tests: record a real run in Bochs with call chains (chain.elf: main -> work/other ->
# leaf/leaf2, beside procs.elf: user processes alpha and beta), then `perfvisor script` and
# `perfvisor convert` into every format, each read back by a reader that shares no code with
# perfvisor (tests/boot/export-check.py: python3's json and xml modules, speedscope's published
# JSON schema through python3-jsonschema when it is installed, `go tool pprof`; the SVG's viewer
# script under node against a stand-in DOM, tests/boot/svg-viewer-check.js), and compared with
# `perfvisor report`: per-function self and inclusive (--children) shares, (domain, process)
# shares, the total event count; the same on a synthesized capture with lost samples.
# Ends with "export tests: N passed, N failed".
set -u
cd "$(dirname "$0")/../.."
. tests/boot/lib.sh
suite_setup export
OUT=$LOGS
CHECK="python3 tests/boot/export-check.py"
D="$OUT/two.data"

# check NAME ARGS...: one export-check.py check, its line in the ok/not ok message
check() {
    local name=$1; shift
    local msg
    if msg=$($CHECK "$@" 2>&1); then ok "$name: $msg"; else not_ok "$name: $(echo "$msg" | tail -1)"; fi
}

cur=record
log="$OUT/record.log"
if timeout 600 "$PV" record --emulator bochs --timeout 500 -c 10007 -g -o "$D" -- \
        "$G/chain.elf:name=good" "$G/procs.elf" >"$log" 2>&1; then
    ok "recorded chain.elf and procs.elf with -g"
else
    not_ok "record failed with status $?"
fi

cur=report
log="$OUT/report-sym.txt"
"$PV" report --stdio --sort sym -i "$D" >"$log" 2>&1 || not_ok "report --sort sym failed"
"$PV" report --stdio --sort domain,process -i "$D" >"$OUT/report-dp.txt" 2>&1 || not_ok "report --sort domain,process failed"
"$PV" report --stdio --children --sort sym -i "$D" >"$OUT/report-children.txt" 2>&1 || not_ok "report --children failed"
expect '\[g\] leaf$'
expect '\[\.\] '   # procs' user processes

cur=script
log="$OUT/script.txt"
if "$PV" script -i "$D" >"$log" 2>"$OUT/script.err"; then ok "perfvisor script"; else not_ok "script failed with status $?"; fi
# every sample of the capture, and every hypervisor-time record, is one block
n=$(grep -c '^[^[:space:]].* cycles: $' "$log")
s=$(sed -nE 's/.*\(([0-9]+) samples, .*/\1/p' "$OUT/record.log" | tail -1)
if [ -n "$s" ] && [ "$n" -gt "$s" ]; then ok "$n sample blocks for $s samples and the hypervisor-time records"; else not_ok "$n sample blocks, $s samples"; fi
expect '^good:\[kernel\] +1/10001 \[000\] +[0-9]+\.[0-9]{6}: +10007 cycles: $'
expect '^procs:alpha +2/2000[0-9] '
expect $'^\t +[0-9a-f]+ leaf\\+0x[0-9a-f]+ \\(chain\\.elf\\)$'
expect $'^\t +0 exit:PREEMPTION_TIMER \\(\\[hypervisor\\]\\)$'

for f in folded pprof speedscope svg json; do
    cur=$f
    log="$OUT/convert-$f.log"
    if "$PV" convert --to "$f" -i "$D" -o "$OUT/out.$f" >"$log" 2>&1 && [ -s "$OUT/out.$f" ]; then
        ok "convert --to $f"
    else
        not_ok "convert --to $f failed"
    fi
done

# folded: sums against the report's event count and the domains' sample counts
cur=folded
log="$OUT/out.folded"
check "self shares" shares "$OUT/report-sym.txt" folded "$OUT/out.folded"
check "inclusive shares" children "$OUT/report-children.txt" folded "$OUT/out.folded"
check "total" total "$OUT/report-sym.txt" folded "$OUT/out.folded"
check "domains" domains "$OUT/report-dp.txt" folded "$OUT/out.folded"
for d in good procs; do
    want=$(awk -v d="$d" '$1 == "#" && $3 == d { print $4; exit }' "$OUT/report-sym.txt")
    got=$(awk -v d="$d" -F';' '$1 == d && $2 != "[hypervisor]" { n = split($0, a, " "); s += a[n] } END { print s / 10007 }' "$log")
    if [ -n "$want" ] && [ "$got" = "$want" ]; then ok "$d: guest weight / period = $got = its samples"; else not_ok "$d: guest weight / period $got, samples $want"; fi
done
expect '^good;\[kernel\];.*main;work;leaf [0-9]+$'
expect '^procs;alpha;'

# pprof, read by go tool pprof
cur=pprof
log="$OUT/pprof-top.txt"
if command -v go >/dev/null; then
    if go tool pprof -top -nodefraction=0 -nodecount=100000 "$OUT/out.pprof" >"$log" 2>&1; then ok "go tool pprof -top read it"; else not_ok "go tool pprof -top failed"; fi
    go tool pprof -tags "$OUT/out.pprof" >"$OUT/pprof-tags.txt" 2>&1 || not_ok "go tool pprof -tags failed"
    check "self shares" shares "$OUT/report-sym.txt" pprof "$log"
    check "inclusive shares" children "$OUT/report-children.txt" pprof "$log"
    check "total" total "$OUT/report-sym.txt" pprof "$log"
    check "domains and processes" domains "$OUT/report-dp.txt" pprof "$OUT/pprof-tags.txt"
    go tool pprof -traces "$OUT/out.pprof" >"$OUT/pprof-traces.txt" 2>&1
    log="$OUT/pprof-traces.txt"
    expect '^ +[0-9]+ +leaf$'        # a trace: leaf, its caller work on the next line
    expect '^ +work$'
    expect '^ +domain: +good$'
    expect '^ +process: +alpha$'
else
    echo "skip - pprof: go is not installed (Debian golang-go): go tool pprof checks not run"
fi

# speedscope: its own schema when installed (npm package speedscope), and the structure
cur=speedscope
log="$OUT/out.speedscope"
schema=${SPEEDSCOPE_SCHEMA:-}
if [ -z "$schema" ] && command -v npm >/dev/null; then
    schema="$(npm root -g 2>/dev/null)/speedscope/dist/release/file-format-schema.json"
fi
if [ -f "$schema" ] && python3 -c 'import jsonschema' 2>/dev/null; then
    check "schema" speedscope "$log" "$schema"
else
    echo "skip - speedscope: no schema (npm install -g speedscope, or SPEEDSCOPE_SCHEMA=FILE) or no python3-jsonschema: structural check only"
    check "structure" speedscope "$log"
fi
check "self shares" shares "$OUT/report-sym.txt" speedscope "$log"
check "inclusive shares" children "$OUT/report-children.txt" speedscope "$log"
check "total" total "$OUT/report-sym.txt" speedscope "$log"
check "domains" domains "$OUT/report-dp.txt" speedscope "$log"

# svg: parsed as XML
cur=svg
log="$OUT/out.svg"
check "xml" svg "$log"
check "self shares" shares "$OUT/report-sym.txt" svg "$log"
check "inclusive shares" children "$OUT/report-children.txt" svg "$log"
check "total" total "$OUT/report-sym.txt" svg "$log"
check "domains" domains "$OUT/report-dp.txt" svg "$log"
if command -v node >/dev/null; then
    python3 -c 'import sys, re; t = open(sys.argv[1]).read(); print(re.search(r"<!\[CDATA\[(.*?)\]\]>", t, re.S).group(1))' \
        "$log" >"$OUT/svg-script.js" && node --check "$OUT/svg-script.js" >"$OUT/svg-script.log" 2>&1 &&
        ok "the SVG's script parses (node --check)" || not_ok "the SVG's script does not parse (see $OUT/svg-script.log)"
    # its zoom and search, run against a stand-in DOM
    if msg=$(node tests/boot/svg-viewer-check.js "$log" work '^leaf' 2>&1); then ok "$msg"; else not_ok "$(echo "$msg" | tail -1)"; fi
else
    echo "skip - svg: node is not installed: the script's syntax, zoom and search not checked"
fi

# json: our own dump
cur=json
log="$OUT/out.json"
check "self shares" shares "$OUT/report-sym.txt" json "$log"
check "inclusive shares" children "$OUT/report-children.txt" json "$log"
check "total" total "$OUT/report-sym.txt" json "$log"
check "domains" domains "$OUT/report-dp.txt" json "$log"

# script: read as stackcollapse-perf.pl and the Firefox Profiler read it
cur=script
log="$OUT/script.txt"
check "stacks" script "$log" "$OUT/out.folded"
check "domains" domains "$OUT/report-dp.txt" script "$log"
sc=$(command -v stackcollapse-perf.pl || ls "${FLAMEGRAPH_DIR:-/nonexistent}/stackcollapse-perf.pl" 2>/dev/null)
if [ -n "$sc" ]; then
    perl "$sc" "$log" >"$OUT/stackcollapse.txt" 2>&1 && ok "stackcollapse-perf.pl read it" || not_ok "stackcollapse-perf.pl failed"
    check "stackcollapse-perf.pl" collapsed "$OUT/stackcollapse.txt" "$OUT/out.folded"
else
    echo "skip - script: FlameGraph's stackcollapse-perf.pl not found (PATH or FLAMEGRAPH_DIR): its rules are re-implemented in export-check.py"
fi

# a capture with lost samples (synthesized: gen-capture big-lossy, tests/golden/): report scales
# the rows of the domains that lost samples; every format must scale them the same way
cur=lossy
log="$OUT/gen-capture.log"
L="$OUT/lossy.data"
if ${CC:-cc} -std=gnu11 -O2 -I. -o "$OUT/gen-capture" tests/golden/gen-capture.c pmu/sampling/cap_encode.c >"$log" 2>&1 &&
        "$OUT/gen-capture" big-lossy 20000 >"$L" 2>>"$log"; then
    "$PV" report --stdio --sort sym -i "$L" >"$OUT/lossy-sym.txt" 2>&1
    "$PV" report --stdio --sort domain,process -i "$L" >"$OUT/lossy-dp.txt" 2>&1
    log="$OUT/lossy-sym.txt"
    expect '^# Total Lost Samples: [1-9]'
    for f in folded pprof speedscope svg json; do
        "$PV" convert --to $f -i "$L" -o "$OUT/lossy.$f" >"$OUT/lossy-$f.log" 2>&1 || not_ok "convert --to $f failed"
    done
    if command -v go >/dev/null; then
        go tool pprof -top -nodefraction=0 -nodecount=100000 "$OUT/lossy.pprof" >"$OUT/lossy-pprof.txt" 2>&1
        check "pprof: self shares" shares "$OUT/lossy-sym.txt" pprof "$OUT/lossy-pprof.txt"
        check "pprof: total" total "$OUT/lossy-sym.txt" pprof "$OUT/lossy-pprof.txt"
    fi
    for f in folded speedscope svg json; do
        check "$f: self shares" shares "$OUT/lossy-sym.txt" $f "$OUT/lossy.$f"
        check "$f: total" total "$OUT/lossy-sym.txt" $f "$OUT/lossy.$f"
        check "$f: domains" domains "$OUT/lossy-dp.txt" $f "$OUT/lossy.$f"
    done
else
    not_ok "could not build or run tests/golden/gen-capture.c"
fi

# a Linux capture (tasks, KASLR-relocated kernel symbols, user symbols of a task's executable), when
# tests/boot/linuxprof-tests.sh has left one (its recording takes minutes of Bochs: not repeated)
cur=linux
LX=${LINUXPROF_DIR:-$B/tests/linuxprof}
if [ -s "$LX/linux.data" ] && [ -s "$LX/ks.kallsyms" ] && [ -d "$LX/root" ]; then
    GO=(--guest-kallsyms "$LX/ks.kallsyms" --guest-root "$LX/root")
    "$PV" report --stdio --sort sym -i "$LX/linux.data" "${GO[@]}" >"$OUT/lx-sym.txt" 2>/dev/null
    "$PV" report --stdio --sort domain,process -i "$LX/linux.data" "${GO[@]}" >"$OUT/lx-dp.txt" 2>/dev/null
    "$PV" report --stdio --children --sort sym -i "$LX/linux.data" "${GO[@]}" >"$OUT/lx-children.txt" 2>/dev/null
    for f in folded pprof speedscope svg json; do
        "$PV" convert --to $f -i "$LX/linux.data" "${GO[@]}" -o "$OUT/lx.$f" >"$OUT/lx-$f.log" 2>&1 ||
            not_ok "convert --to $f of the Linux capture failed"
    done
    log="$OUT/lx.folded"
    expect ';workload\[[0-9]+\];.*func_a [0-9]+$'   # a task, its user-space symbols
    for f in folded speedscope svg json; do
        check "$f: self shares" shares "$OUT/lx-sym.txt" $f "$OUT/lx.$f"
        check "$f: inclusive shares" children "$OUT/lx-children.txt" $f "$OUT/lx.$f"
        check "$f: domains and tasks" domains "$OUT/lx-dp.txt" $f "$OUT/lx.$f"
    done
    if command -v go >/dev/null; then
        go tool pprof -top -nodefraction=0 -nodecount=100000 "$OUT/lx.pprof" >"$OUT/lx-pprof.txt" 2>&1
        go tool pprof -tags "$OUT/lx.pprof" >"$OUT/lx-tags.txt" 2>&1
        check "pprof: self shares" shares "$OUT/lx-sym.txt" pprof "$OUT/lx-pprof.txt"
        check "pprof: inclusive shares" children "$OUT/lx-children.txt" pprof "$OUT/lx-pprof.txt"
        check "pprof: domains and tasks" domains "$OUT/lx-dp.txt" pprof "$OUT/lx-tags.txt"
    fi
else
    echo "skip - linux: no Linux capture of tests/boot/linuxprof-tests.sh in $LX (LINUXPROF_DIR): Linux exports not checked"
fi

# errors: one line naming the fix, no emulator started
cur=errors
log="$OUT/errors.log"
"$PV" convert --to png -i "$D" -o "$OUT/x" >"$log" 2>&1; rc=$?
expect_rc 129; expect 'unknown format: the formats are folded, svg, pprof, speedscope, json'
"$PV" convert --to folded -i "$D" >"$log" 2>&1; rc=$?
expect_rc 129; expect 'no output file: give one with -o OUT'
"$PV" convert --to folded -i "$OUT/missing.data" -o "$OUT/x" >"$log" 2>&1; rc=$?
expect_rc 1; expect 'cannot open .*missing.data'
"$PV" script -i tests/boot/export-check.py >"$log" 2>&1; rc=$?
expect_rc 1; expect 'not a perfvisor.data file|no capture header'
"$PV" convert --to json -i "$D" -o "$OUT/no-such-dir/x.json" >"$log" 2>&1; rc=$?
expect_rc 1; expect 'cannot write .*no-such-dir'
cp "$D" "$OUT/self.data"
"$PV" convert --to json -i "$OUT/self.data" -o "$OUT/self.data" >"$log" 2>&1; rc=$?
expect_rc 129; expect 'is the capture itself: give another file with -o OUT'
if cmp -s "$D" "$OUT/self.data"; then ok "the capture is left as it was"; else not_ok "convert overwrote its own input"; fi
# a device or FIFO as OUT is written, not replaced by a renamed temporary file
mkfifo "$OUT/fifo" 2>/dev/null || [ -p "$OUT/fifo" ]
cat "$OUT/fifo" >"$OUT/fifo.out" &
"$PV" convert --to folded -i "$D" -o "$OUT/fifo" >"$log" 2>&1; rc=$?
wait
expect_rc 0
if [ -p "$OUT/fifo" ] && cmp -s "$OUT/fifo.out" "$OUT/out.folded"; then ok "-o FIFO: written through, still a FIFO"; else not_ok "-o FIFO: replaced or not written"; fi

summary export
