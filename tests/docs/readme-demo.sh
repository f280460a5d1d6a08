#!/usr/bin/env bash
# README's demo output is what `make demo` prints (Bochs is deterministic), so it cannot drift:
# this runs the demo, picks the lines the README shows (the guests' result lines, the end status,
# record's summary line, then the whole report) and compares them with the block between
# `<!-- demo-output -->` and the next closing fence in README.md.
#   tests/docs/readme-demo.sh            check (prints "docs tests: N passed, N failed")
#   tests/docs/readme-demo.sh --update   rewrite the README block from a fresh run
set -u
cd "$(dirname "$0")/../.."
B=${BUILD:-build}
OUT="$B/tests/docs"
mkdir -p "$OUT"
. tests/boot/lib.sh
cur=readme-demo log="$OUT/demo.log"

timeout 900 make -s --no-print-directory demo >"$log" 2>&1   # record has no default timeout
rc=$?
{
    grep -E '^\[1:hello\] hello from|^\[3:procs\] procs: alpha=|^\[4:chain\] chain: main|^perfvisor: end status|^\[ perfvisor record:' "$log"
    sed -n '/^# Total Lost Samples/,$p' "$log"
} >"$OUT/demo.sample"
# the README block: the fenced lines after the marker
awk '/^<!-- demo-output -->$/ { on = 1; next } on && /^```$/ { if (fence++) exit; next } on && fence' README.md \
    >"$OUT/readme.sample"

if [ "${1:-}" = --update ]; then
    [ "$rc" -eq 0 ] || { echo "make demo failed (see $log)" >&2; exit 1; }
    awk -v f="$OUT/demo.sample" '
        /^<!-- demo-output -->$/ { print; on = 1; next }
        on == 1 && /^```$/ { print; while ((getline l < f) > 0) print l; on = 2; next }
        on == 2 && /^```$/ { print; on = 0; next }
        on == 2 { next }
        { print }' README.md >"$OUT/README.new" && mv "$OUT/README.new" README.md
    echo "README.md: demo block updated from $log"
    exit 0
fi
if [ "$rc" -eq 0 ]; then ok "make demo exited 0"; else not_ok "make demo exited $rc"; fi
if [ -s "$OUT/readme.sample" ]; then ok "README has a demo block"; else not_ok "no demo block after <!-- demo-output --> in README.md"; fi
if diff -u "$OUT/readme.sample" "$OUT/demo.sample" >"$OUT/demo.diff"; then
    ok "README's demo output is what make demo prints"
else
    not_ok "README's demo output differs from make demo's (see $OUT/demo.diff; tests/docs/readme-demo.sh --update rewrites it)"
fi
summary docs
