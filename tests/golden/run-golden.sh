#!/usr/bin/env bash
# Golden-file tests of `perfvisor report`: synthesized captures (gen-capture.c, encoded with the
# hypervisor's pmu/sampling/cap_encode.c) reported with fixed options, compared byte for byte with
# tests/golden/NAME.txt (stdout, then "--- stderr" and stderr).  The cases are in cases.txt.
#   tests/golden/run-golden.sh           run them; last line "golden tests: N passed, N failed"
#   tests/golden/run-golden.sh --update  rewrite the expected files from the current output
set -u
cd "$(dirname "$0")/../.."
ROOT=$PWD
BUILD=${BUILD:-build}
OUT=$BUILD/golden
GOLD=tests/golden
update=0
[ "${1:-}" = --update ] && update=1
mkdir -p "$OUT"

fail_setup() {
    echo "golden: $*"
    echo "golden tests: 0 passed, 1 failed"
    exit 1
}

make -s --no-print-directory cli >"$OUT/make.log" 2>&1 || fail_setup "make cli failed (see $OUT/make.log)"
${CC:-gcc} -std=gnu11 -O2 -Wall -Wextra -Werror -I. -o "$OUT/gen-capture" $GOLD/gen-capture.c pmu/sampling/cap_encode.c \
    || fail_setup "cannot build gen-capture"
command -v nasm >/dev/null || fail_setup "nasm not found (install the package nasm)"
nasm -f elf32 -g -F dwarf -o "$OUT/guest.o" $GOLD/guest.asm || fail_setup "nasm failed"
ld -m elf_i386 -Ttext=0x100000 --build-id=none -o "$OUT/guest.elf" "$OUT/guest.o" || fail_setup "ld failed"
strip -o "$OUT/guest-stripped.elf" "$OUT/guest.elf" || fail_setup "strip failed"
for s in basic callchain damaged hardware mismatch gprof rough; do
    "$OUT/gen-capture" $s >"$OUT/$s.data" || fail_setup "gen-capture $s failed"
done

pass=0 failed=0
while read -r name scenario args; do
    case "$name" in ''|'#'*) continue ;; esac
    actual="$OUT/$name.out"
    # Run where the data and guest.elf are, so that the paths in the output are relative.
    (cd "$OUT" && "$ROOT/$BUILD/perfvisor" report -i "$scenario.data" $args >"$name.stdout" 2>"$name.stderr"; \
        echo "--- exit status $?" >>"$name.stdout")
    { cat "$OUT/$name.stdout"; echo "--- stderr"; cat "$OUT/$name.stderr"; } >"$actual"
    if [ $update = 1 ]; then
        cp "$actual" "$GOLD/$name.txt"
        echo "updated $GOLD/$name.txt"
        pass=$((pass + 1))
    elif cmp -s "$actual" "$GOLD/$name.txt"; then
        echo "PASS $name"
        pass=$((pass + 1))
    else
        echo "FAIL $name: report -i $scenario.data $args differs from $GOLD/$name.txt:"
        diff -u "$GOLD/$name.txt" "$actual" | head -40
        failed=$((failed + 1))
    fi
done <$GOLD/cases.txt

echo "golden tests: $pass passed, $failed failed"
[ $failed -eq 0 ]
