#!/usr/bin/env bash
# Runs every test suite and ends with one line "N passed, N failed" over all of them.
#   unit  : host unit tests of the hypervisor's logic (cmocka), tests/unit/
#   cli   : host unit tests of the perfvisor CLI (cmocka), profiler/tests/
#   golden: perfvisor report on synthesized captures vs. stored outputs, tests/golden/
#   clichecks: record/run mistakes refused before any emulator starts, progress, -q, a silent
#           machine (a fake emulator), tests/cli/cli-checks.sh
#   packaging: make install into a DESTDIR, man pages, bash completion, make CC=clang, tests/cli/packaging.sh
#   docsamples: every marked sample output in docs/*.md against a fresh run, tests/docs/samples.sh
#   boot  : boot-and-check tests in Bochs and QEMU, tests/boot/boot-tests.sh
#   peer  : what kernels written for QEMU expect (APIC base, fw_cfg, modules, ...), tests/boot/peer-tests.sh
#   selftest: perfvisor selftest (the counter self-test guest) in Bochs, tests/boot/selftest-tests.sh
#   vmxcheck: a make VMX_CHECK=1 hypervisor checks every VMCS (SDM 26.2-26.3) before each entry, tests/boot/vmxcheck-tests.sh
#   isolation: hostile guests (debug registers, CR8, xAPIC emulation) in Bochs, tests/boot/isolation-tests.sh
#   profile: record-and-report tests in Bochs, tests/boot/profile-tests.sh
#   export: script and convert of a Bochs recording, read back by other tools, tests/boot/export-tests.sh
#   hostile: hostile guests beside well-behaved ones (forged frames, escapes, fairness, quotas)
#   vpmu  : guest-wide profiling tests in Bochs (conformance, guest profilers, modes), tests/boot/vpmu-tests.sh
#   msrfuzz: a guest writing random values to every PMU MSR vs. a host oracle of the SDM rules
#   linux : Debian's cloud kernel with a busybox initramfs as perfvisor domains in Bochs, tests/boot/linux-tests.sh
#   linuxperf: perf stat and perf record inside two Linux domains on the virtual PMU, both counting modes, tests/boot/linuxperf-tests.sh
#   linuxprof: two Linux domains profiled from outside (tasks, kernel symbols from another boot
#           with KASLR, user symbols, pid/comm/dso, accounting), tests/boot/linuxprof-tests.sh
#   docs  : README's demo output against a fresh `make demo`, tests/docs/readme-demo.sh
#   doc-paths: every repository path README.md and docs/*.md cite exists, tests/docs/doc-paths.sh
#   exit-table: docs/ARCHITECTURE.md's exit-handler table is vmexit.c's, tests/docs/exit-table.sh
#   fuzz  : the capture parser under libFuzzer for FUZZ_SECONDS (60), tests/fuzz-suite.sh
# cmocka prints "[  PASSED  ] N test(s)." and "[  FAILED  ] N test(s)"; the boot tests print
# "boot tests: N passed, N failed".  A suite that crashes without a summary counts as 1 failure.
set -u
cd "$(dirname "$0")/.."
MAKE=${MAKE:-make}
total_pass=0 total_fail=0
LOG=${BUILD:-build}/tests
mkdir -p "$LOG"

count_cmocka() {   # file -> "pass fail"
    local p f
    p=$(grep -E '^\[  PASSED  \] [0-9]+ test' "$1" | awk '{s += $4} END {print s + 0}')
    f=$(grep -E '^\[  FAILED  \] [0-9]+ test' "$1" | awk '{s += $4} END {print s + 0}')
    echo "$p $f"
}

suite() {          # name kind command...
    local name=$1 kind=$2; shift 2
    local log="$LOG/$name.log" p f rc
    echo "=== $name: $*"
    "$@" 2>&1 | tee "$log"
    rc=${PIPESTATUS[0]}
    if [ "$kind" = cmocka ]; then
        read -r p f < <(count_cmocka "$log")
    else
        p=$(sed -nE 's/^.*: ([0-9]+) passed, ([0-9]+) failed.*$/\1/p' "$log" | tail -1)
        f=$(sed -nE 's/^.*: ([0-9]+) passed, ([0-9]+) failed.*$/\2/p' "$log" | tail -1)
        p=${p:-0} f=${f:-0}
    fi
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        echo "=== $name: exited with status $rc without reporting a failed test: counted as 1 failure"
        f=1
    fi
    if [ "$p" -eq 0 ] && [ "$f" -eq 0 ]; then
        echo "=== $name: ran no test: counted as 1 failure"
        f=1
    fi
    echo "=== $name: $p passed, $f failed"
    total_pass=$((total_pass + p))
    total_fail=$((total_fail + f))
}

suite unit cmocka $MAKE -s --no-print-directory unit-test
suite cli cmocka $MAKE -s --no-print-directory cli-unit-test
suite golden plain tests/golden/run-golden.sh
suite clichecks plain tests/cli/cli-checks.sh
suite packaging plain tests/cli/packaging.sh
suite boot plain tests/boot/boot-tests.sh
suite peer plain tests/boot/peer-tests.sh
suite vmxcheck plain tests/boot/vmxcheck-tests.sh
suite selftest plain tests/boot/selftest-tests.sh
suite isolation plain tests/boot/isolation-tests.sh
suite profile plain tests/boot/profile-tests.sh
suite export plain tests/boot/export-tests.sh
suite hostile plain tests/boot/hostile-tests.sh
suite vpmu plain tests/boot/vpmu-tests.sh
suite msrfuzz plain tests/boot/msrfuzz-test.sh
suite linux plain tests/boot/linux-tests.sh
suite linuxperf plain tests/boot/linuxperf-tests.sh
suite linuxprof plain tests/boot/linuxprof-tests.sh
suite docs plain tests/docs/readme-demo.sh
suite docsamples plain tests/docs/samples.sh
suite doc-paths plain tests/docs/doc-paths.sh
suite exit-table plain tests/docs/exit-table.sh
suite fuzz plain tests/fuzz-suite.sh

echo
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
