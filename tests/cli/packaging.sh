#!/usr/bin/env bash
# Packaging: make install into a temporary DESTDIR, the installed CLI's help, its hypervisor image
# found relative to where it is installed, the man pages (one per command, generated from the
# help text: every option of 'CMD --help' is in perfvisor-CMD.1), bash completion, and
# make CC=clang building everything (hypervisor, guests, CLI).
#   tests/cli/packaging.sh [--no-clang]   last line "packaging: N passed, N failed"
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
T=$(mktemp -d "${TMPDIR:-/tmp}/pv-packaging.XXXXXX")
trap 'rm -rf "$T"' EXIT
pass=0 failed=0
ok() { echo "PASS $1"; pass=$((pass + 1)); }
not_ok() { echo "FAIL $1"; failed=$((failed + 1)); }
unset PERFVISOR_IMAGE

D=$T/dest
if make -s --no-print-directory install DESTDIR="$D" PREFIX=/opt/pv >"$T/install.log" 2>&1; then
    ok "make install DESTDIR=... PREFIX=/opt/pv"
else
    not_ok "make install failed: $(tail -5 "$T/install.log")"
    echo "packaging: $pass passed, $failed failed"; exit 1
fi
PV=$D/opt/pv/bin/perfvisor
for f in bin/perfvisor lib/perfvisor/perfvisor.elf share/bash-completion/completions/perfvisor share/man/man1/perfvisor.1; do
    [ -f "$D/opt/pv/$f" ] && ok "installed $f" || not_ok "$f not installed"
done
"$PV" --help >"$T/help" 2>&1 && grep -q '^usage: perfvisor' "$T/help" && ok "installed perfvisor --help" \
    || not_ok "installed perfvisor --help: $(head -3 "$T/help")"

# The installed CLI boots its own image: a fake emulator stands in for Bochs and notes its start.
printf '#!/bin/sh\necho started >"%s/called"\nexit 1\n' "$T" >"$T/fake-emu"
chmod +x "$T/fake-emu"
PERFVISOR_BOCHS=$T/fake-emu "$PV" run --emulator bochs --timeout 20 "$BUILD/guest-stub/hello.elf" >"$T/run" 2>&1
[ -e "$T/called" ] && ok "the installed CLI found PREFIX/lib/perfvisor/perfvisor.elf and started the emulator" \
    || not_ok "the installed CLI did not start: $(cat "$T/run")"
mv "$D/opt/pv/lib/perfvisor" "$T/moved"
rm -f "$T/called"
PERFVISOR_BOCHS=$T/fake-emu "$PV" run --emulator bochs "$BUILD/guest-stub/hello.elf" >"$T/run" 2>&1
[ ! -e "$T/called" ] && grep -q "hypervisor image $D/opt/pv/bin/perfvisor.elf (next to the perfvisor program): No such file" "$T/run" \
    && ok "without its image it says where it looked" || not_ok "a missing image: $(cat "$T/run")"
mv "$T/moved" "$D/opt/pv/lib/perfvisor"

# Man pages: one per command, rendered without roff warnings, each holding its command's options.
MAN=$D/opt/pv/share/man/man1
cmds=$("$PV" help | awk 'f && /^  [a-z]/ { print $1 } /Commands:/ { f = 1 }' | grep -v '^help$')
for c in $cmds; do
    page=$MAN/perfvisor-$c.1
    if [ ! -f "$page" ]; then not_ok "no man page for $c"; continue; fi
    text=$(MANWIDTH=200 groff -man -Tutf8 -ww -z "$page" 2>&1)
    [ -z "$text" ] || { not_ok "perfvisor-$c.1: roff warnings: $text"; continue; }
    rendered=$(MANWIDTH=200 man -l "$page" 2>/dev/null | sed 's/‐/-/g')
    missing=""
    for o in $("$PV" "$c" --help | awk '/^ {2,8}-/ || /^  +-/ { for (i = 1; i <= NF; i++) { w = $i; sub(/,$/, "", w); sub(/\[=.*/, "", w); if (w ~ /^--?[a-zA-Z]/) print w; else break } }'); do
        grep -q -- "$o" <<<"$rendered" || missing="$missing $o"
    done
    [ -z "$missing" ] && ok "perfvisor-$c.1 has every option of '$c --help'" || not_ok "perfvisor-$c.1 lacks$missing"
done

# Bash completion: commands and options from the installed program's help.
comp() { bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _perfvisor; echo "${COMPREPLY[*]}"' _ \
    "$D/opt/pv/share/bash-completion/completions/perfvisor" "$PV" "$@"; }
[ "$(comp rec)" = record ] && ok "completion: rec -> record" || not_ok "completion of 'rec': '$(comp rec)'"
[ "$(comp record --pro)" = --progress ] && ok "completion: record --pro -> --progress" || not_ok "completion of 'record --pro': '$(comp record --pro)'"
[ "$(comp report -F x -g --no)" = "--no-children --no-demangle" ] && ok "completion: report --no -> --no-children --no-demangle" \
    || not_ok "completion of 'report --no': '$(comp report -F x -g --no)'"
[ "$(comp record --emulator b)" = bochs ] && ok "completion: --emulator b -> bochs" || not_ok "completion of '--emulator b': '$(comp record --emulator b)'"

# make CC=clang: everything builds with clang too (its own build directory).
if [ "${1:-}" = --no-clang ]; then
    echo "SKIP clang build (--no-clang)"
elif ! command -v clang >/dev/null; then
    not_ok "clang not installed (scripts/install-deps.sh installs it)"
else
    start=$(date +%s)
    if nice make -s --no-print-directory CC=clang BUILD="$T/clang" build >"$T/clang.log" 2>&1 \
        && [ -f "$T/clang/perfvisor.elf" ] && [ -f "$T/clang/perfvisor" ] && [ -f "$T/clang/guest-stub/chain.elf" ]; then
        ok "make CC=clang builds the hypervisor, $(ls "$T/clang/guest-stub/"*.elf | wc -l) guests and the CLI ($(( $(date +%s) - start )) s)"
    else
        not_ok "make CC=clang failed: $(grep -m5 -E 'error|\*\*\*' "$T/clang.log")"
    fi
fi

echo "packaging: $pass passed, $failed failed"
[ $failed -eq 0 ]
