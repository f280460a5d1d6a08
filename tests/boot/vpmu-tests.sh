#!/usr/bin/env bash
# Guest-wide profiling tests: guests that drive their virtual PMU (as the SDM says) under
# perfvisor in Bochs (software backend, deterministic).  One "ok"/"not ok" line per check,
# ending with "vpmu tests: N passed, N failed".
set -u
cd "$(dirname "$0")/../.."
B=${BUILD:-build}
PV="$B/perfvisor"
G="$B/guest-stub"
EXTV=tests/external-vpmu/build/vpmu.elf
OUT="$B/tests/vpmu"
mkdir -p "$OUT"
. tests/boot/lib.sh
run() {  # name guests...
    cur=$1; shift
    log="$OUT/$cur.log"
    timeout 600 "$PV" run --emulator bochs --timeout 500 "$@" >"$log" 2>&1
    local rc=$?
    [ $rc -eq 0 ] && ok "run exited 0" || not_ok "run exited $rc"
}
# share DOMAIN-TAG FUNC: the guest's own percentage for FUNC on its samples= line
share() { sed -nE "s/^\\[$1\\] .*samples=[0-9]+ .*$2=([0-9.]+)%.*/\\1/p" "$log" | head -1; }

# 1. every SDM rule of the conformance guest passes on the software backend
run conformance "$G/pmucheck.elf" "$G/pmucheck.elf:name=pmucheck-xapic apic=xapic"
expect '^\[1:pmucheck\] pmucheck: 26 pass, 0 fail, 0 skip$'
expect '^\[2:pmucheck-xapic\] pmucheck: 26 pass, 0 fail, 0 skip$'
expect '^\[1:pmucheck\] pmucheck: cpuid.0a version=5 gp=4 gp_width=48 ebx_len=7 ebx=0x7a ecx=0x6 fixed=0'
if grep -Eq '^\[[0-9]:pmucheck.*\] (FAIL|SKIP) ' "$log"; then not_ok "a rule failed or was skipped"; else ok "no FAIL or SKIP line"; fi

# 2. the guest-side profiler (OProfile-like, PMIs through the LVTPC) gets the known shares,
#    through x2APIC MSRs and through the xAPIC page
run gprof "$G/gprof.elf:period=13331" "$G/gprof.elf:name=gprof-x apic=xapic period=13331"
for tag in 1:gprof 2:gprof-x; do
    for f in func_a:50 func_b:30 func_c:20; do
        near "$tag ${f%%:*} guest-wide share" "$(share "$tag" "${f%%:*}")" "${f#*:}" 1
    done
done
expect '^\[2:gprof-x\] gprof: pmu version=5 gp=4 gp_width=48 apic=xapic period=13331$'

# 2b. the same guest profiled by itself and by perfvisor in one run: the report shows both side
#     by side, and they agree within a point
cur=side-by-side
log="$OUT/side-by-side.log"
if timeout 600 "$PV" record --emulator bochs --timeout 500 -c 10007 -o "$OUT/side.data" -- \
        "$G/gprof.elf:period=13331" >"$log" 2>&1; then ok "recorded"; else not_ok "record failed"; fi
log="$OUT/side-by-side.report"
"$PV" report --stdio -i "$OUT/side.data" --guest-wide >"$log" 2>&1 || not_ok "report --guest-wide failed"
expect '^# Guest-wide vs system-wide, domain 1 \(gprof\)'
for f in func_a func_b func_c; do
    read -r gw sw < <(awk -v f="$f" '$1 == "#" && $2 == f { gsub("%", "", $3); gsub("%", "", $4); print $3, $4; exit }' "$log")
    near "$f guest-wide vs system-wide" "${gw:-}" "${sw:-x}" 1
done

# 3. a kernel built outside the project, programming IA32_PERFEVTSEL0, IA32_PMC0 and the
#    xAPIC LVTPC itself, counts its own PMIs by function
run external "$EXTV:period=13331"
for f in func_a:50 func_b:30 func_c:20; do
    near "external ${f%%:*} share" "$(share 1:vpmu "${f%%:*}")" "${f#*:}" 1
done

# 4. counting modes: a guest making many exits (CPUID) counts the hypervisor's exit handling
#    in domain-switch mode and not in cpu-switch mode; the difference per CPUID is the
#    hypervisor's measured CPUID exit cost; two domains counting at once never see each
#    other's cycles (cpu-switch counts exactly the guest's own 4 instructions an iteration)
run modes "$G/cpuidloop.elf:name=cs" "$G/cpuidloop.elf:name=ds vpmu=domain-switch"
cs=$(sed -nE 's/^\[1:cs\] cpuidloop: n=[0-9]+ cycles=[0-9]+ per-cpuid=([0-9.]+)$/\1/p' "$log")
ds=$(sed -nE 's/^\[2:ds\] cpuidloop: n=[0-9]+ cycles=[0-9]+ per-cpuid=([0-9.]+)$/\1/p' "$log")
cost=$(sed -nE 's/^perfvisor:   exits of domain 2 \(ds\):.* CPUID [0-9]+ \(avg ([0-9]+) ticks\).*/\1/p' "$log")
near "cpu-switch cycles per CPUID iteration (its own 4 instructions)" "$cs" 4 0.01
near "domain-switch minus cpu-switch per CPUID vs the measured exit cost ($cost)" \
    "$(awk -v a="$ds" -v b="$cs" 'BEGIN { printf "%.2f", a - b }')" "${cost:-x}" "$(awk -v c="${cost:-0}" 'BEGIN { printf "%.2f", c * 0.01 }')"

# 5. vpmu=off: CPUID says there is no PMU and the MSRs #GP, as on a CPU without one
run vpmu-off "$G/pmucheck.elf:vpmu=off"
expect 'SKIP .*(no architectural PMU|version 0)'
expect '^\[1:pmucheck\] pmucheck: 0 pass, 0 fail, 26 skip$'

summary vpmu
