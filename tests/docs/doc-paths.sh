#!/usr/bin/env bash
# Every repository path README.md and docs/*.md cite exists: a word starting with one of the
# top-level folders (arch/ boot/ docs/ guest-stub/ hv/ include/ pmu/ profiler/ scripts/ tests/),
# not inside a longer path (build/guest-stub/x, Linux's Documentation/arch/x86/...), globs and
# [ch] alternatives allowed.  Build outputs are checked by their source: guest-stub/NAME.elf
# needs guest-stub/NAME.c or .asm.  In a table row "| dir/ | a, b/c |" a path may be relative to
# dir/.  A path followed by "<" is a template (tests/unit/test_<name>.c) and is skipped, as are
# the other projects' files named in EXTERNAL and Linux's arch/x86/{events,kvm,include}/ (which
# perfvisor's arch/x86/ does not have).  Ends with "doc-paths: N passed, N failed".
set -u
cd "$(dirname "$0")/../.."
EXTERNAL=" docs/specs/fw_cfg.rst "     # QEMU's fw_cfg specification (docs/guests.md)
TOP='arch|boot|docs|guest-stub|hv|include|pmu|profiler|scripts|tests'
pass=0 fail=0

exists() { compgen -G "$1" >/dev/null; }

while IFS=: read -r file line text; do
    row_dir=$(printf '%s\n' "$text" | sed -nE 's/^\| *([a-z-]+\/) *\|.*/\1/p')
    while read -r p; do
        [ -n "$p" ] || continue
        case "$EXTERNAL" in *" $p "*) continue ;; esac
        case "$p" in arch/x86/events/*|arch/x86/kvm/*|arch/x86/include/*) continue ;; esac  # Linux's tree
        case "$p" in *NAME*) continue ;; esac      # tests/golden/NAME.txt: a placeholder
        if printf '%s\n' "$text" | grep -qF -- "$p<"; then continue; fi
        want=$p
        case "$p" in
            guest-stub/*.elf) want="guest-stub/$(basename "$p" .elf).[ca]*" ;;
        esac
        if exists "$want" || { [ -n "$row_dir" ] && exists "$row_dir$want"; }; then
            pass=$((pass + 1))
        else
            fail=$((fail + 1))
            echo "not ok - $file:$line cites $p, which is not in the repository"
        fi
    done < <(printf '%s\n' "$text" | grep -oE "(^|[^][A-Za-z0-9_./-])($TOP)/[][A-Za-z0-9_./*{},-]*[A-Za-z0-9_*}]" |
             sed -E 's/^[^a-z]//' | sort -u)
done < <(grep -nE "($TOP)/" README.md docs/*.md)

echo "doc-paths: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
