# Shared by the boot-time test scripts (sourced): TAP-like "ok"/"not ok" lines and checks
# against the current log file.  The caller sets $cur (the case) and $log (its output file).
pass=0 fail=0 cur="" log=""

ok()     { pass=$((pass + 1)); echo "ok - $cur: $1"; }
not_ok() { fail=$((fail + 1)); echo "not ok - $cur: $1 (see $log)"; }

# expect REGEX: some line of $log matches (grep -E)
expect() { if grep -Eq -- "$1" "$log"; then ok "has /$1/"; else not_ok "no line matching /$1/"; fi; }

# near NAME GOT WANT TOLERANCE: |got - want| <= tolerance
near() {
    if [ -z "$2" ]; then not_ok "$1: no value"; return; fi
    if awk -v g="$2" -v w="$3" -v t="$4" 'BEGIN { d = g - w; if (d < 0) d = -d; exit !(d <= t) }'; then
        ok "$1 = $2 (truth $3, within $4)"
    else
        not_ok "$1 = $2, truth $3 (more than $4 off)"
    fi
}

# suite_setup NAME: the paths a boot suite uses — the build folder $B, the CLI $PV, the guests
# $G — and its log folder $LOGS = $B/tests/NAME (created); $rc starts at 0
suite_setup() {
    B=${BUILD:-build}
    PV="$B/perfvisor"
    G="$B/guest-stub"
    LOGS="$B/tests/$1"
    mkdir -p "$LOGS"
    rc=0
}

# run_pv NAME ARGS...: `perfvisor run` in Bochs ($PV), output in $LOGS/NAME.log (then $log), status
# in $rc
run_pv() {
    cur=$1; shift
    log="$LOGS/$cur.log"
    timeout 300 "$PV" run --emulator bochs --timeout 240 "$@" >"$log" 2>&1
    rc=$?
}
# expect_rc N: the last run's status was N
expect_rc() { if [ "$rc" -eq "$1" ]; then ok "exit status $1"; else not_ok "exit status $rc, expected $1"; fi; }
# expect_no REGEX: no line of $log matches
expect_no() { if grep -Eq -- "$1" "$log"; then not_ok "unexpected line /$1/"; else ok "no /$1/"; fi; }

# summary NAME: the closing line, and the exit status
summary() {
    echo "$1 tests: $pass passed, $fail failed"
    [ "$fail" -eq 0 ]
}
