#!/usr/bin/env bash
# docs/ARCHITECTURE.md's table of VM exits perfvisor handles is arch/x86/vmx/vmexit.c's exit_table:
# every reason with a handler, the handler and the file that defines it.  The table sits between
# "<!-- exit-table begin -->" and "<!-- exit-table end -->"; `--update` rewrites it from the code.
# Ends with "exit-table: N passed, N failed".
set -u
cd "$(dirname "$0")/../.."
DOC=docs/ARCHITECTURE.md

table() {
    echo "| exit reason (SDM Vol. 3C App. C) | handler | file |"
    echo "|---|---|---|"
    sed -nE 's/^ *\[EXIT_[A-Z0-9_]+\] *= *\{ *"([A-Z0-9_]+)", *([a-z_0-9]+) *\},.*/\1 \2/p' arch/x86/vmx/vmexit.c |
    while read -r name handler; do
        [ "$handler" = NULL ] && continue
        file=$(grep -lE "^[a-z].*[ *]$handler\(struct vcpu" arch/x86/vmx/*.c | head -1)
        echo "| $name | \`$handler\` | ${file:-?} |"
    done
}

current() { sed -n '/<!-- exit-table begin -->/,/<!-- exit-table end -->/p' "$DOC" | sed '1d;$d'; }

if [ "${1:-}" = --update ]; then
    new=$(table)
    awk -v t="$new" '/<!-- exit-table begin -->/ { print; print t; skip = 1; next }
                     /<!-- exit-table end -->/ { skip = 0 } !skip' "$DOC" >"$DOC.tmp" && mv "$DOC.tmp" "$DOC"
fi
pass=0 fail=0
if ! grep -q '<!-- exit-table begin -->' "$DOC"; then
    echo "not ok - $DOC has no exit-table markers"; fail=1
elif diff -u <(current) <(table); then
    pass=1
    echo "ok - $DOC lists the $(table | tail -n +3 | wc -l) exit handlers of arch/x86/vmx/vmexit.c"
else
    fail=1
    echo "not ok - $DOC's exit table differs from arch/x86/vmx/vmexit.c (tests/docs/exit-table.sh --update)"
fi
if table | grep -q '| ? |'; then
    fail=$((fail + 1)); echo "not ok - a handler's defining file was not found"
fi
echo "exit-table: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
