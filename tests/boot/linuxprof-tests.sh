#!/usr/bin/env bash
# Profiling Linux guests from outside (issue #10): one `perfvisor record -g` in Bochs of two
# Linux domains of Debian's cloud kernel (KASLR on, nothing added to the kernel) at once:
#   ks    /init prints this boot's /proc/kallsyms (pvmode=kallsyms): the symbol file from
#         ANOTHER boot that the work domain's report relocates by KASLR
#   work  /init runs /bin/workload (func_a/func_b/func_c: exactly 50/30/20 % of its loop), then
#         /bin/workpie, the same program as a static PIE (loaded at a random base), then
#         /bin/workthreads (main_spin in the main thread, thread_spin in a second one)
# then reports of the one capture:
#   tasks      the workload's samples in a process named workload[PID] (its comm and pid, read
#              by the hypervisor from guest memory with the kernel's BTF layout)
#   shares     func_a/b/c by --guest-root (the unstripped workload under bin/) within 3 standard
#              errors of the truth
#   pie        the same for workpie: its addresses moved back by the load bias (AT_ENTRY, read
#              by the hypervisor, less the file's e_entry), which is not 0
#   build-id   a rebuilt workload (another build-id) under the root is refused, with a note
#   threads    each thread's function in its own thread's row (comm[pid] and comm[pid/tid]): threads
#              share CR3, the user stack pointer tells them apart
#   kernel     --guest-kallsyms: ks's file is its own boot (slide 0), work's is relocated by a
#              2 MiB multiple; >= 95% of the kernel samples of user-space processes named
#   sort       --sort pid,comm,dso rows; call chains carry func_a/b/c up to main, and a
#              kernel-mode sample's chain goes on into the user stack it interrupted
#   apart      each domain's processes stay in it (ks: grep/gzip/base64/sed; work: workload)
#   accounting taken = recorded + lost per domain; the report's sample counts = recorded
#   hints      without --guest-* the report names both options and still shows the processes
#   docs       docs/profiling.md's Linux sample rows within 3 points of this run's
# LINUXPROF_REUSE=1 reads the last run's capture again instead of recording (for working on the
# reports; the recording's checks then read its saved log).
# Needs what tests/linux/build-guest.sh needs (scripts/install-deps.sh); ~4-5 minutes of Bochs.
set -u
cd "$(dirname "$0")/../.."
. tests/boot/lib.sh
suite_setup linuxprof

if ! guest=$(tests/linux/build-guest.sh 2>"$LOGS/build-guest.err"); then
    cur=setup log="$LOGS/build-guest.err"
    not_ok "no Linux test guest: $(cat "$LOGS/build-guest.err") (run scripts/install-deps.sh as root)"
    summary linuxprof
    exit 1
fi
eval "$guest"
K=$LINUX_KERNEL I=$LINUX_INITRD
ROUNDS=3000
PIE_ROUNDS=1000
THREAD_ROUNDS=700
DATA="$LOGS/linux.data"
truth=$("$LINUX_WORKLOAD" "$ROUNDS" | head -1)

cur=record log="$LOGS/record.log"
if [ "${LINUXPROF_REUSE:-}" = 1 ] && [ -s "$DATA" ] && [ -s "$log" ]; then
    echo "# LINUXPROF_REUSE=1: the reports read the last run's $DATA (no new recording)"
    rc=$(sed -nE 's/^rc=([0-9]+)$/\1/p' "$log")
else
    timeout 1500 "$PV" record --emulator bochs --timeout 1400 -c 100000 --jitter 50 -g -o "$DATA" -- \
        "$K:name=ks mem=128 initrd=$I console=ttyS0 quiet pvmode=kallsyms" \
        "$K:name=work mem=128 initrd=$I console=ttyS0 quiet pvrounds=$ROUNDS pvpie=$PIE_ROUNDS pvthreads=$THREAD_ROUNDS" >"$log" 2>&1
    rc=$?
    echo "rc=$rc" >>"$log"
fi
expect_rc 0
expect "^\[2:work\] ${truth}\$"
expect '^\[1:ks\] init: kallsyms end$'
expect '^perfvisor: domain 2 \(work\) exited with status 0$'

# the other boot's symbols: domain 1's /proc/kallsyms
KS="$LOGS/ks.kallsyms"
sed -n 's/^\[1:ks\] pvks://p' "$log" | base64 -d 2>/dev/null | gzip -dc >"$KS" 2>/dev/null
nks=$(wc -l <"$KS")
if [ "$nks" -gt 10000 ] && grep -q ' T entry_SYSCALL_64$' "$KS"; then ok "kallsyms of domain 1's boot: $nks text symbols"
else not_ok "kallsyms of domain 1's boot: $nks lines, entry_SYSCALL_64 $(grep -c ' entry_SYSCALL_64$' "$KS")"; fi

# the guest's root file system, as far as the report needs it
ROOT="$LOGS/root"
mkdir -p "$ROOT/bin"
cp "$LINUX_WORKLOAD" "$ROOT/bin/workload"
cp "$LINUX_WORKPIE" "$ROOT/bin/workpie"
cp "$LINUX_WORKTHREADS" "$ROOT/bin/workthreads"

rep() {   # NAME report-args...: report to $LOGS/NAME.txt, stderr to $LOGS/NAME.err
    local name=$1; shift
    cur=$name log="$LOGS/$name.txt"
    "$PV" report --stdio -i "$DATA" "$@" >"$log" 2>"$LOGS/$name.err"
    rc=$?
}
# -t '|' rows: samples|domain|process|[level] symbol
rep full -F sample,domain,process,sym -t '|' --guest-kallsyms "$KS" --guest-root "$ROOT"
expect_rc 0

# tasks: the workload's process, by comm and pid
wproc=$(awk -F'|' '$2 == "work" && $3 ~ /^workload\[[0-9]+\]$/ && $4 ~ /^\[\.\] func_a$/ { print $3; exit }' "$log")
wpid=$(sed -nE 's/^workload\[([0-9]+)\]$/\1/p' <<<"$wproc")
if [ -n "$wpid" ] && [ "$wpid" -gt 1 ]; then ok "the workload's samples are in process $wproc (comm workload, pid $wpid)"
else not_ok "no process workload[PID] with func_a samples in domain work"; fi

# shares: func_a/b/c among a process's samples in them (PROCESS, at least MIN samples)
shares() {
    local proc=$1 min=$2 na nb nc n
    read -r na nb nc <<<"$(awk -F'|' -v p="$proc" '$2 == "work" && $3 == p {
            if ($4 == "[.] func_a") a += $1; if ($4 == "[.] func_b") b += $1; if ($4 == "[.] func_c") c += $1 }
        END { print a + 0, b + 0, c + 0 }' "$log")"
    n=$((na + nb + nc))
    for f in "a 50 $na" "b 30 $nb" "c 20 $nc"; do
        set -- $f
        if [ "$n" -gt "$min" ] && awk -v k="$3" -v n="$n" -v t="$2" 'BEGIN { p = t / 100; se = sqrt(p * (1 - p) / n)
                exit !((k / n - p) ^ 2 <= (3 * se) ^ 2) }'; then
            ok "$proc func_$1: $3 of $n samples = $(awk -v k="$3" -v n="$n" 'BEGIN { printf "%.2f", 100 * k / n }')% (truth $2%, within 3 SE)"
        else
            not_ok "$proc func_$1: $3 of $n samples (truth $2%, more than $min samples expected)"
        fi
    done
}
shares "$wproc" 500

# pie: the static PIE's samples, by the load bias
cur=pie
pproc=$(awk -F'|' '$2 == "work" && $3 ~ /^workpie\[[0-9]+\]$/ && $4 ~ /^\[\.\] func_a$/ { print $3; exit }' "$log")
if [ -n "$pproc" ]; then ok "the PIE's samples are in process $pproc, named by --guest-root's bin/workpie"
else not_ok "no process workpie[PID] with func_a samples in domain work"; fi
shares "${pproc:-workpie}" 300

# threads: main_spin in the main thread's row workthreads[P], thread_spin in workthreads[P/T]
cur=threads
read -r mm mt tm tt <<<"$(awk -F'|' '$2 == "work" {
        main = $3 ~ /^workthreads\[[0-9]+\]$/; thr = $3 ~ /^workthreads\[[0-9]+\/[0-9]+\]$/
        if ($4 == "[.] main_spin") { if (main) a += $1; else if (thr) b += $1 }
        if ($4 == "[.] thread_spin") { if (main) c += $1; else if (thr) d += $1 } }
    END { print a + 0, b + 0, c + 0, d + 0 }' "$log")"
if [ "$mm" -gt 50 ] && [ $((mm * 100)) -ge $(((mm + mt) * 95)) ]; then
    ok "main_spin: $mm samples in the main thread's row, $mt in the other thread's (>= 95% its own)"
else not_ok "main_spin: $mm samples in the main thread, $mt in the other (expected > 50, >= 95%)"; fi
if [ "$tt" -gt 50 ] && [ $((tt * 100)) -ge $(((tm + tt) * 95)) ]; then
    ok "thread_spin: $tt samples in the second thread's row, $tm in the main thread's (>= 95% its own)"
else not_ok "thread_spin: $tt samples in the second thread, $tm in the main one (expected > 50, >= 95%)"; fi

# kernel symbols from the other boot: domain 1's own file needs no relocation, domain 2's does
err="$LOGS/full.err"
s1=$(sed -nE 's/.*domain 1 \(ks\): kernel symbols relocated by \+?(-?[0-9]+) .*/\1/p' "$err")
s2=$(sed -nE 's/.*domain 2 \(work\): kernel symbols relocated by \+?(-?[0-9]+) .*/\1/p' "$err")
cur=kernel log=$err
if [ "$s1" = 0 ]; then ok "domain 1 with its own boot's kallsyms: slide 0"; else not_ok "domain 1's slide '$s1', expected 0"; fi
if [ -n "$s2" ] && [ $((s2 % 2097152)) -eq 0 ]; then
    ok "domain 2 relocated by $s2 (a 2 MiB multiple$([ "$s2" != 0 ] && echo ', another KASLR slot'))"
else not_ok "domain 2's slide '$s2'"; fi
log="$LOGS/full.txt"
# kernel samples of the processes that ran user code (boot is over for them)
read -r kn kt <<<"$(awk -F'|' '$2 == "work" { if ($4 ~ /^\[\.\]/) user[$3] = 1; if ($4 ~ /^\[g\]/) { k[$3] += $1; if ($4 !~ /\[unknown\]/) kn[$3] += $1 } }
    END { for (p in user) { n += kn[p]; t += k[p] } print n + 0, t + 0 }' "$log")"
# (few: the workload makes few system calls; the check over all tasks below is the broad one)
if [ "$kt" -ge 5 ] && [ $((kn * 100)) -ge $((kt * 95)) ]; then ok "kernel samples of user-space processes named: $kn of $kt"
else not_ok "kernel samples of user-space processes named: $kn of $kt (goal >= 95%)"; fi
# kernel samples of every task, i.e. once the kernel's per-CPU area exists (before it, samples
# name an address space: the decompressor and the kernel's first instructions at physical addresses)
read -r kn kt <<<"$(awk -F'|' '$2 == "work" && $4 ~ /^\[g\]/ && $3 !~ /^\[cr3 / { t += $1; if ($4 !~ /\[unknown\]/) n += $1 }
    END { print n + 0, t + 0 }' "$log")"
if [ "$kt" -gt 1000 ] && [ $((kn * 100)) -ge $((kt * 95)) ]; then ok "kernel samples of tasks named: $kn of $kt"
else not_ok "kernel samples of tasks named: $kn of $kt (goal >= 95%)"; fi
allk=$(awk -F'|' '$2 == "work" && $4 ~ /^\[g\]/ { t += $1; if ($4 !~ /\[unknown\]/) n += $1 } END { printf "%d of %d", n, t }' "$log")
echo "# domain 2: all kernel-mode samples named: $allk (the rest ran before the kernel's per-CPU area)"

# apart: each domain's processes (ks's pipeline runs /bin/busybox: comm busybox)
cur=apart
kb=$(awk -F'|' '$2 == "ks" && $3 ~ /^busybox\[[0-9]+\]$/ && $4 ~ /^\[\.\]/ { n += $1 } END { print n + 0 }' "$log")
kf=$(awk -F'|' '$2 == "ks" && $4 ~ /^\[\.\] func_[abc]$/ { n += $1 } END { print n + 0 }' "$log")
if [ "$kf" -eq 0 ] && [ "$kb" -gt 100 ]; then
    ok "domains apart: ks's busybox pipeline has $kb user samples, ks none in func_a/b/c (its workload ran 'tsc' only)"
else not_ok "ks: $kf samples in func_a/b/c, $kb user samples of busybox"; fi

# sort pid,comm,dso
rep sorted -s pid,comm,dso -F sample,pid,comm,dso -t '|' --guest-kallsyms 2="$KS" --guest-root 2="$ROOT"
expect "^[0-9]+\|${wpid}:workload\|workload\|workload\$"
expect "^[0-9]+\|${wpid}:workload\|workload\|\[kernel\.kallsyms\]\$"
expect '^[0-9]+\|-:\[hypervisor\]\|\[hypervisor\]\|\[hypervisor\]$'

# call chains: the workload's functions under main (user frames by frame pointer; func_a/b/c are
# leaves without a frame of their own, so their caller run_rounds is the frame they skip)
rep callers --children -F overhead_children,overhead,process,sym -s process,sym -t '|' --guest-root "$ROOT"
rr=$(awk -F'|' -v p="$wproc" '$3 == p && $4 == "[.] main" { print $1 + 0; exit }' "$log")
fa=$(awk -F'|' -v p="$wproc" '$3 == p && $4 == "[.] func_a" { print $1 + 0; exit }' "$log")
if [ -n "$rr" ] && [ -n "$fa" ] && awk -v r="$rr" -v a="$fa" 'BEGIN { exit !(r > a * 1.8) }'; then
    ok "main's children ($rr%) hold func_a ($fa%) and its siblings"
else not_ok "main's children '$rr', func_a '$fa'"; fi

# a kernel-mode sample's chain joined with the user stack it interrupted (pt_regs at the top of
# the task's kernel stack): some sample of the workload in the kernel goes on into its own
# named functions
cur=joined log="$LOGS/script.txt"
"$PV" script -i "$DATA" --guest-kallsyms 2="$KS" --guest-root 2="$ROOT" >"$log" 2>/dev/null
nj=$(awk -v p="work:$wproc" '/^[^ \t]/ { head = ($1 == p); first = ""; n = 0; next }
    head && /^\t/ { n++; if (n == 1) first = $0; else if (first ~ /\[kernel\.kallsyms\]\)$/ && $0 ~ /[A-Za-z_]+\+0x[0-9a-f]+ \(workload\)$/) { j++; head = 0 } }
    END { print j + 0 }' "$log")
if [ "$nj" -gt 0 ]; then ok "$nj kernel-mode samples of $wproc go on into its own functions"
else not_ok "no kernel-mode sample of $wproc with a user frame of workload"; fi

# accounting
cur=accounting log="$LOGS/record.log"
for d in 1 2; do
    read -r t r l <<<"$(sed -nE "s/^perfvisor: profile: domain $d: ([0-9]+) samples taken = ([0-9]+) recorded \+ ([0-9]+) lost.*/\1 \2 \3/p" "$log")"
    got=$(awk -F'|' -v d="$([ $d = 1 ] && echo ks || echo work)" '$2 == d && $4 !~ /^\[k\]/ { n += $1 } END { print n + 0 }' "$LOGS/full.txt")
    if [ -n "$t" ] && [ "$t" -eq $((r + l)) ] && [ "$got" -eq "$r" ]; then
        ok "domain $d: $t taken = $r recorded + $l lost; the report has $got"
    else not_ok "domain $d: taken '$t' recorded '$r' lost '$l', report $got"; fi
done

# hints without the options
rep plain -F sample,domain,process,sym -t '|'
log="$LOGS/plain.err"
expect 'domain 2 \(work\): a Linux guest: its kernel addresses stay \[unknown\]; use --guest-kallsyms 2=FILE'
expect 'domain 2 \(work\): a Linux guest: its user-space addresses stay \[unknown\]; use --guest-root 2=DIR'
log="$LOGS/plain.txt"
expect "^[0-9]+\|work\|workload\[${wpid}\]\|\[\.\] \[unknown\] 0x"
# the PIE really moved: its raw addresses lie far above the file's (e_entry is under 64 KiB)
praw=$(awk -F'|' -v p="$pproc" '$3 == p && $4 ~ /^\[\.\] \[unknown\] 0x/ { sub(/.* 0x/, "", $4); print $4; exit }' "$log")
cur=pie
if [ -n "$praw" ] && [ $((16#$praw)) -ge $((16#1000000)) ]; then ok "workpie ran at 0x$praw, not at its file's addresses"
else not_ok "workpie's raw user address '${praw}' (expected a load base far above 0)"; fi

# build-id: a rebuilt workload under the root is not the file the guest ran
cur=build-id
ROOT2="$LOGS/root-rebuilt"
mkdir -p "$ROOT2/bin"
if gcc -static -O1 -g -o "$ROOT2/bin/workload" tests/linux/workload.c 2>"$LOGS/rebuild.err"; then
    rep rebuilt -F sample,domain,process,sym -t '|' --guest-root 2="$ROOT2"
    log="$LOGS/rebuilt.err"
    expect "domain 2: workload under the guest root has build-id [0-9a-f]{40}, but the guest ran [0-9a-f]{40}: not the same file"
    log="$LOGS/rebuilt.txt"
    rf=$(awk -F'|' -v p="$wproc" '$3 == p && $4 ~ /^\[\.\] func_/ { n += $1 } END { print n + 0 }' "$log")
    # (a sample taken before the program touched its headers is resolved before its build-id is
    # known: the hypervisor reads it again at the next one; so at most one such sample)
    if [ "$rf" -le 1 ]; then ok "$rf samples of $wproc named from the rebuilt file (at most 1)"
    else not_ok "$rf samples of $wproc named from a file with another build-id"; fi
else
    not_ok "cannot rebuild workload.c: $(head -1 "$LOGS/rebuild.err")"
fi
cur=vmlinux
"$PV" report --stdio -i "$DATA" --guest-vmlinux "$K" >"$LOGS/vmlinux.txt" 2>&1
rc=$?
log="$LOGS/vmlinux.txt"
expect_rc 129
expect 'guest-vmlinux .*not an ELF file'

# docs/profiling.md's sample: its rows within 3 points of this run's
cur=docs log="$LOGS/doc.txt"
"$PV" report --stdio -i "$DATA" -s domain,comm,dso --guest-kallsyms "$KS" --guest-root "$ROOT" >"$log" 2>/dev/null
# the block for the docs (copy it there when the report's layout changes)
(pv=$(cd "$(dirname "$PV")" && pwd)/perfvisor && cd "$LOGS" && "$pv" report --stdio -i linux.data -s domain,comm,dso --percent-limit 1.5 \
    --guest-kallsyms ks.kallsyms --guest-root root >doc-sample.txt 2>/dev/null)
awk '/<!-- linuxprof-sample -->/ { on = 1; next } on && /^```/ { n++; if (n == 2) exit; next } on && n == 1' \
    docs/profiling.md >"$LOGS/doc-block.txt"
rows=0 bad=""
while read -r pct dom proc sym; do
    rows=$((rows + 1))
    live=$(awk -v d="$dom" -v s="$sym" -v p="${proc%%\[*}" '$2 == d && $NF == s { q = $3; sub(/\[.*/, "", q); if (q == p) { print $1 + 0; exit } }' "$log")
    awk -v a="${pct%\%}" -v b="${live:-999}" 'BEGIN { d = a - b; exit !(d * d <= 9) }' || bad="$bad $sym($pct vs ${live:-none})"
done < <(grep -E '^ +[0-9.]+%' "$LOGS/doc-block.txt" | awk '{ print $1, $2, $3, $NF }')
if [ "$rows" -ge 3 ] && [ -z "$bad" ]; then ok "docs/profiling.md's $rows Linux sample rows within 3 points of this run"
else not_ok "docs/profiling.md's Linux sample ($rows rows):$bad (regenerate it from $log)"; fi

summary linuxprof
