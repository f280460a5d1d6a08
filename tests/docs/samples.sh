#!/usr/bin/env bash
# Every sample output in docs/*.md is generated, so that none can drift from what the tools print:
# a fenced block right after a line "<!-- sample: NAME -->" must be exactly what gen_NAME below
# prints.  The Bochs runs are deterministic (clock sync=none), and the report samples that come
# from synthesized captures are cut from tests/golden/*.txt, which run-golden.sh checks.
#   tests/docs/samples.sh              check every marked block ("docs samples: N passed, N failed")
#   tests/docs/samples.sh --update     rewrite the marked blocks from fresh runs
#   tests/docs/samples.sh --list       the docs' markers, and whether a generator exists for each
# A marker without a generator, or a generator no doc uses, fails the check.
set -u
cd "$(dirname "$0")/../.."
ROOT=$PWD
B=${BUILD:-build}
OUT=$ROOT/$B/tests/docs-samples
W=$OUT/work          # the commands run here: build/ is a link, perfvisor.data lands here
rm -rf "$OUT" && mkdir -p "$W"
ln -s "$ROOT/$B" "$W/build"
ln -s "$ROOT/tests" "$W/tests"
PV=$ROOT/$B/perfvisor
perfvisor() { timeout 300 "$PV" "$@"; }   # record and run have no default timeout
pass=0 fail=0
ok()     { pass=$((pass + 1)); echo "ok - docs samples: $1"; }
not_ok() { fail=$((fail + 1)); echo "not ok - docs samples: $1"; }
mode=check
case "${1:-}" in --update) mode=update ;; --list) mode=list ;; esac

# ------------------------------------------------------------------ generators (docs/profiling.md)

gen_record_hotspot() {
    echo '$ perfvisor record -- build/guest-stub/hotspot.elf'
    perfvisor record -- build/guest-stub/hotspot.elf >rec.log 2>&1
    grep -E '^perfvisor: profiling: (software backend|event)' rec.log
    echo ...
    grep -E '^perfvisor: profile: ' rec.log
    echo ...
    grep '^\[ perfvisor record:' rec.log
}

gen_record_instructions() {
    echo '$ perfvisor record -e instructions -- build/guest-stub/hello.elf'
    perfvisor record -e instructions -- build/guest-stub/hello.elf 2>&1 | grep -v '^perfvisor record: using '
}

gen_report_procs() {
    perfvisor record -q -c 100000 -- build/guest-stub/procs.elf >/dev/null 2>&1
    perfvisor report 2>&1
}

gen_report_warnings() { grep '^# Warning' tests/golden/mismatch.txt; }

gen_report_damaged() { sed -n '1,/^# First error/p' tests/golden/damaged.txt; }

gen_report_children() {
    perfvisor record -q -g -c 100000 -- build/guest-stub/chain.elf >/dev/null 2>&1
    perfvisor report --children | sed -n '/^# Children/,$p' | sed '${/^$/d}'
}

gen_report_callgraph() {
    perfvisor record -q -g -- build/guest-stub/chain.elf >/dev/null 2>&1
    perfvisor report -g | awk '/\[g\] leaf$/ { on = 1 } on && /^$/ { exit } on'
}

gen_report_caller() {
    perfvisor record -q -g -- build/guest-stub/chain.elf >/dev/null 2>&1
    perfvisor report --children -g caller --sort sym | awk '/\[g\] work$/ { on = 1 } on && /^$/ { exit } on'
}

gen_ring_loss() {
    echo '$ perfvisor record --ring 64 -c 10000 -- build/guest-stub/hotspot.elf'
    perfvisor record --ring 64 -c 10000 -- build/guest-stub/hotspot.elf >rec.log 2>&1
    grep '^perfvisor: profile: domain 1:' rec.log
    echo '$ perfvisor report'
    perfvisor report >rep.log 2>&1
    grep -E '^# (Total Lost Samples|Samples lost:)' rep.log
    echo ...
    sed -n '/^# Domain  /,/^#$/p' rep.log
    grep -E '^ +[0-9.]+%' rep.log | head -3
    echo ...
}

# record -c PERIOD [--jitter 10] the external profile guest: the command, then its func_ rows
profile_rows() {
    local args="$1" cmd
    cmd="perfvisor record $args -- tests/external-profile/build/profile.elf"
    perfvisor record -q $args -- tests/external-profile/build/profile.elf >/dev/null 2>&1
    perfvisor report >rep.log 2>&1
    printf '$ %-79s # %s samples\n' "$cmd" "$(sed -n 's/^# Samples: \([0-9K]*\) of event.*/\1/p' rep.log)"
    grep -E '\[g\] func_' rep.log
}
gen_jitter_coprime() { profile_rows "-c 100000"; profile_rows "-c 100000 --jitter 10"; }
gen_jitter_aliased() { profile_rows "-c 120130"; profile_rows "-c 120130 --jitter 10"; }

gen_gprof_run() {
    echo '$ perfvisor run --emulator bochs "build/guest-stub/gprof.elf:period=100000"'
    perfvisor run --emulator bochs "build/guest-stub/gprof.elf:period=100000" 2>&1 | grep '^\[1:gprof\] gprof: '
}

gen_guest_wide() {
    echo '$ perfvisor record --emulator bochs -c 20011 -o g.data -- "build/guest-stub/gprof.elf:period=20011"'
    perfvisor record -q --emulator bochs -c 20011 -o g.data -- "build/guest-stub/gprof.elf:period=20011" >/dev/null 2>&1
    echo '$ perfvisor report --stdio -i g.data --guest-wide'
    echo ...
    perfvisor report --stdio -i g.data --guest-wide 2>&1 | sed -n '/^# Guest-wide vs system-wide/,$p'
}

# ------------------------------------------------------------------ generators (docs/capture-format.md)

# the worked example's two frames, encoded by the hypervisor's encoder (tests/docs/capture-example.c)
capture_example() {
    [ -x "$OUT/capture-example" ] || ${CC:-gcc} -std=gnu11 -O2 -Wall -Wextra -Werror -I"$ROOT" -o "$OUT/capture-example" \
        "$ROOT/tests/docs/capture-example.c" "$ROOT/pmu/sampling/cap_encode.c" || return 1
    "$OUT/capture-example" "$1"
}
gen_capture_header_frame() { capture_example header; }
gen_capture_records_frame() { capture_example records; }

# ------------------------------------------------------------------ generators (docs/guests.md)

gen_external_kernel() {
    perfvisor run --emulator bochs tests/external/build/kernel.elf:exit=3 2>/dev/null |
        sed -n '/^perfvisor: domain 1 (kernel):/,$p'
}

gen_hello() {
    perfvisor run --emulator bochs build/guest-stub/hello.elf 2>/dev/null >run.log
    sed -n '/^perfvisor: domain 1 (hello):/,/^perfvisor: domain 1 (hello) exited/p' run.log
    echo ...
    grep '^perfvisor: end status' run.log
}

# ------------------------------------------------------------------ generators (docs/export.md)

gen_script_chain() {
    echo '$ perfvisor record -q -g -c 100000 -- build/guest-stub/chain.elf'
    perfvisor record -q -g -c 100000 -- build/guest-stub/chain.elf >/dev/null 2>&1
    echo '$ perfvisor script | head -14'
    perfvisor script 2>&1 | head -14
}

gen_convert_folded() {
    perfvisor record -q -g -c 100000 -- build/guest-stub/chain.elf >/dev/null 2>&1
    echo '$ perfvisor convert --to folded -o -'
    perfvisor convert --to folded -o - 2>&1
}

# ------------------------------------------------------------------ the markers

markers() { grep -Ho '^<!-- sample: [a-z0-9_-]* -->$' docs/*.md | sed 's/<!-- sample: \(.*\) -->/\1/'; }

# the block after the marker in file f: its lines (without the fences)
block() { awk -v m="<!-- sample: $2 -->" '$0 == m { on = 1; next } on == 1 && /^```/ { on = 2; next }
    on == 2 && /^```$/ { exit } on == 2' "$1"; }

replace_block() { # file name newtext-file
    awk -v m="<!-- sample: $2 -->" -v f="$3" '
        $0 == m { print; on = 1; next }
        on == 1 && /^```/ { print; while ((getline l < f) > 0) print l; on = 2; next }
        on == 2 && /^```$/ { print; on = 0; next }
        on == 2 { next }
        { print }' "$1" >"$1.new" && mv "$1.new" "$1"
}

if [ $mode = list ]; then
    markers | while IFS=: read -r f n; do
        g=gen_${n//-/_}
        printf '%-22s %-40s %s\n' "$f" "$n" "$(declare -F "$g" >/dev/null && echo generated || echo 'NO GENERATOR')"
    done
    exit 0
fi

make -s --no-print-directory all external-kernel external-profile >"$OUT/make.log" 2>&1 \
    || { not_ok "make failed (see $OUT/make.log)"; echo "docs samples: $pass passed, $((fail)) failed"; exit 1; }
used=" "
while IFS=: read -r f n; do
    g=gen_${n//-/_}
    used="$used$g "
    if ! declare -F "$g" >/dev/null; then
        not_ok "$f: marker '$n' has no generator $g in $0"
        continue
    fi
    (cd "$W" && rm -f perfvisor.data perfvisor.data.old && "$g") >"$OUT/$n.new" 2>"$OUT/$n.err"
    if [ $mode = update ]; then
        replace_block "$f" "$n" "$OUT/$n.new"
        echo "updated $f: $n"
        continue
    fi
    block "$f" "$n" >"$OUT/$n.doc"
    if [ ! -s "$OUT/$n.new" ]; then
        not_ok "$f: $n: the generator printed nothing ($(head -3 "$OUT/$n.err"))"
    elif diff -u "$OUT/$n.doc" "$OUT/$n.new" >"$OUT/$n.diff"; then
        ok "$f: $n is what the tools print"
    else
        not_ok "$f: $n differs from what the tools print (diff in $OUT/$n.diff; tests/docs/samples.sh --update rewrites it)"
        head -20 "$OUT/$n.diff"
    fi
done < <(markers)
for g in $(declare -F | awk '$3 ~ /^gen_/ { print $3 }'); do
    case "$used" in *" $g "*) ;; *) not_ok "generator $g has no marker in docs/*.md" ;; esac
done
[ $mode = update ] && exit 0
echo "docs samples: $pass passed, $fail failed"
[ $fail -eq 0 ]
