#!/usr/bin/env bash
# perfvisor selftest (profiler/builtin-selftest.c, guest-stub/selftest.c) under Bochs, which has
# no PMU: the hypervisor runs with vpmu=hw, says there is no architectural PMU and keeps the
# software vPMU, whose counters the guest then checks (GP 0-3 and fixed 1-2 count TSC ticks,
# one per instruction here, so the 3N-instruction loop reads about 3N; fixed 0 is not offered;
# one PMI from GP 0 and from fixed 1); and with --native, on the bare emulated CPU, whose PMU
# MSRs #GP: the report says so and skips; and vpmu=bogus refused at boot.  Ends with "selftest tests: N passed, N failed".
set -u
cd "$(dirname "$0")/../.."
. tests/boot/lib.sh
suite_setup selftest

run_selftest() {
    cur=$1; shift
    log="$LOGS/$cur.log"
    timeout 300 "$PV" selftest --emulator bochs --timeout 240 "$@" >"$log" 2>&1
    rc=$?
}

# 1. under perfvisor: vpmu=hw falls back, the software vPMU passes every check
run_selftest perfvisor --loop 200000
expect_rc 0
expect '^perfvisor: booted by multiboot2, command line "vpmu=hw", '
expect '^perfvisor: vpmu=hw: no architectural PMU to run guests.* counters on \(.*\): the guests. vPMUs use the software backend$'
expect '^\[1:selftest\] selftest: ---- perfvisor selftest: paste from here'
expect '^\[1:selftest\] selftest: hypervisor perfvisor \(CPUID 40000000H\)$'
expect '^\[1:selftest\] selftest: pmu version 5, 4 general counters of 48 bits, fixed counters 1 2 of 48 bits, PDCM 1$'
expect '^\[1:selftest\] selftest: loop 200000 iterations of add/dec/jnz = 600000 instructions$'
for c in gp0 gp1 gp2 gp3; do
    expect "^\\[1:selftest\\] selftest: $c core-cycles +PASS: 6000[0-9]{2} over 600000 instructions \\(1\\.000 per instruction\\), RDPMC agrees\$"
done
expect '^\[1:selftest\] selftest: fixed0 +SKIP: not offered'
expect '^\[1:selftest\] selftest: fixed1 core-cycles +PASS: 6000[0-9]{2} over 600000 '
expect '^\[1:selftest\] selftest: fixed2 ref-cycles +PASS: 6000[0-9]{2} over 600000 '
expect '^\[1:selftest\] selftest: pmi gp0 +PASS: 1 PMI\(s\) on vector 0xe0 over the loop \(1 expected\), IA32_PERF_GLOBAL_STATUS in the handler 0x1$'
expect '^\[1:selftest\] selftest: pmi fixed1 +PASS: 1 PMI\(s\) on vector 0xe0 .* handler 0x200000000$'
expect '^\[1:selftest\] selftest: 8 pass, 0 fail, 1 skip$'
expect '^\[1:selftest\] selftest: end$'
expect_no 'FAIL'

# 2. --sw: no vpmu=hw on the hypervisor's command line, the same report
run_selftest sw --sw --loop 100000
expect_rc 0
expect '^perfvisor: booted by multiboot2, command line "", '
expect_no 'vpmu=hw'
expect '^\[1:selftest\] selftest: 8 pass, 0 fail, 1 skip$'

# 3. --native: Bochs's own CPU advertises a version 4 PMU whose MSRs #GP; reported, skipped
run_selftest native --native --loop 100000
expect '^selftest: hypervisor none seen'
expect '^selftest: pmu version 4, 4 general counters of 48 bits, fixed counters 0 1 2 of 48 bits'
expect '^selftest: counting +SKIP: CPUID.0AH advertises a PMU but IA32_PMC0/IA32_PERFEVTSEL0 #GP$'
expect '^selftest: 0 pass, 0 fail, 2 skip$'

# 4. the hypervisor refuses a vpmu= it does not know, before any domain runs
cur=vpmu-bogus log="$LOGS/$cur.log"
timeout 300 "$PV" run --emulator bochs --timeout 240 --hv-cmdline vpmu=bogus "$G/hello.elf" >"$log" 2>&1
rc=$?
expect_rc 1
expect '^perfvisor: vpmu= must be sw \(the default\) or hw \(experimental: guests. counters on the real PMU\)$'
expect_no 'hello from guest-stub hello'

summary selftest
