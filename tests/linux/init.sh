#!/bin/busybox sh
# /init of the Linux test guest (tests/linux/build-guest.sh).  What it does comes from the kernel
# command line's pvmode= (default work); its exit status goes to perfvisor through port 0xF4.
#   pvmode=work     run /bin/workload $pvrounds (default 1000), exit with its status; with
#                   pvpie=N, then /bin/workpie N (the same program, a static PIE); with
#                   pvthreads=N, then /bin/workthreads N (two threads of one process)
#   pvmode=exit:N   exit with status N at once
#   pvmode=panic    crash the kernel (sysrq c): with panic=-1 it resets at once
#   pvmode=reset    reboot -f (the ACPI reset register, port 0xCF9)
#   pvmode=poweroff poweroff -f (no ACPI power-off here: the kernel halts)
#   pvmode=spin     spin forever in user space (for budget=)
#   pvmode=kallsyms print this boot's kernel text symbols (/proc/kallsyms, types t/T/w/W, gzip,
#                   base64) as "pvks:" lines between "init: kallsyms begin/end", exit 0
#                   (tests/boot/linuxprof-tests.sh: symbols from another boot, for KASLR)
#   pvmode=perf     (the initramfs of build-guest.sh --with-perf) perf on the virtual PMU, each
#                   step's output prefixed: `perf stat` of cycles, ref-cycles, cycles:u, cycles:k
#                   and events the vPMU lacks on /bin/workload (`perfstat: ` CSV lines), six
#                   cycles events system-wide, multiplexed (`perfmux: `), then
#                   `perf record -e cycles -c $pvperiod` (default 100000) of it and `perf report`'s
#                   per-symbol samples (`perfreport: `, and the workload's as `gprof-sample SYM N`
#                   for perfvisor report --guest-wide), then the same with -F 20000
#                   (`perfreportF: `), then `perf top --stdio -K` over the workload at half the
#                   rounds (`perftop: `, its status as "init: perf top exited with status N");
#                   exits 0 if every perf command did
#   pvmode=perfbench time /bin/workload without, then under `perf record -c $pvperiod` (make bench)
/bin/workload tsc                       # when user space began (make bench)
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t sysfs sys /sys
/bin/busybox mount -t devtmpfs dev /dev
mode=work
rounds=1000
pie=
threads=
period=100000
for w in $(/bin/busybox cat /proc/cmdline); do
    case "$w" in
    pvmode=*) mode=${w#pvmode=} ;;
    pvrounds=*) rounds=${w#pvrounds=} ;;
    pvperiod=*) period=${w#pvperiod=} ;;
    pvpie=*) pie=${w#pvpie=} ;;
    pvthreads=*) threads=${w#pvthreads=} ;;
    esac
done
echo "init: user space, pvmode=$mode"
case "$mode" in
work)
    /bin/workload "$rounds"
    st=$?
    echo "init: workload exited with status $st"
    if [ -n "$pie" ]; then
        /bin/workpie "$pie"
        ps=$?
        echo "init: workpie exited with status $ps"
        [ "$ps" = 0 ] || st=$ps
    fi
    if [ -n "$threads" ]; then
        /bin/workthreads "$threads"
        ts=$?
        echo "init: workthreads exited with status $ts"
        [ "$ts" = 0 ] || st=$ts
    fi
    /bin/pvexit "$st"
    ;;
exit:*)
    /bin/pvexit "${mode#exit:}"
    ;;
panic)
    echo c > /proc/sysrq-trigger
    ;;
reset)
    /bin/busybox reboot -f
    ;;
poweroff)
    /bin/busybox poweroff -f
    ;;
spin)
    while :; do :; done
    ;;
kallsyms)
    echo "init: kallsyms begin"
    /bin/busybox grep '^[0-9a-f]* [tTwW] ' /proc/kallsyms | /bin/busybox gzip -9 |
        /bin/busybox base64 | /bin/busybox sed 's/^/pvks:/'
    echo "init: kallsyms end"
    /bin/pvexit 0
    ;;
perf)
    # perf record: -N -B no build-id cache or pass, --no-bpf-event no side-band thread (whose
    # 1 s poll timeout perf record waits out at its end: a second of idle guest per record)
    export HOME=/tmp PATH=/usr/bin:/bin
    st=0
    /bin/busybox dmesg | /bin/busybox grep -E 'Performance Events|NMI watchdog|CPUID marked|perf:' |
        /bin/busybox sed 's/^\[[ 0-9.]*\] /init: kernel: /'
    echo "init: nmi_watchdog=$(/bin/busybox cat /proc/sys/kernel/nmi_watchdog)"
    # Linux times its PMI handler on the TSC, which runs on while other domains run: a handler
    # that spans another domain's slice looks milliseconds long, and Linux would lower
    # perf_event_max_sample_rate and throttle sampling, as in any VM on a shared CPU
    echo 0 > /proc/sys/kernel/perf_cpu_time_max_percent
    /bin/workload tsc
    /usr/bin/perf stat -x, -o /tmp/stat.csv \
        -e cycles,ref-cycles,cycles:u,cycles:k,instructions,cache-misses,branch-misses,L1-dcache-load-misses \
        /bin/workload "$rounds" || st=1
    /bin/busybox sed -n 's/^[^#]/perfstat: &/p' /tmp/stat.csv
    # system-wide, and more cycle events than free counters (4 GP and fixed counter 2; the
    # watchdog holds fixed counter 1): perf multiplexes them and scales the counts
    /usr/bin/perf stat -a -x, -o /tmp/mux.csv -e cycles,cycles,cycles,cycles,cycles,cycles \
        /bin/workload "$rounds" || st=1
    /bin/busybox sed -n 's/^[^#]/perfmux: &/p' /tmp/mux.csv
    /bin/workload tsc
    /usr/bin/perf record -q -N -B --no-bpf-event -e cycles -c "$period" -o /tmp/perf.data /bin/workload "$rounds" || st=1
    /bin/workload tsc
    echo "init: perf_event_max_sample_rate=$(/bin/busybox cat /proc/sys/kernel/perf_event_max_sample_rate)"
    /bin/busybox dmesg | /bin/busybox grep -E 'perf:' | /bin/busybox sed 's/^\[[ 0-9.]*\] /init: kernel: /'
    /usr/bin/perf report -i /tmp/perf.data --stdio -F sample,overhead,comm,sym >/tmp/report.txt 2>&1
    /bin/busybox grep -E '^# (Samples|Total Lost)|%' /tmp/report.txt | /bin/busybox head -14 |
        /bin/busybox sed 's/^/perfreport: /'
    # the workload's symbols again for perfvisor report --guest-wide (docs/profiling.md)
    /bin/busybox awk '$3 == "workload" && $4 == "[.]" { print "gprof-sample " $5 " " $1 }' /tmp/report.txt
    # frequency mode: Linux adapts the period at every tick to sample 20,000 times a second
    /usr/bin/perf record -q -N -B --no-bpf-event -e cycles -F 20000 -o /tmp/perf-f.data /bin/workload "$rounds" || st=1
    /usr/bin/perf report -i /tmp/perf-f.data --stdio -F sample,overhead,comm,sym 2>&1 |
        /bin/busybox grep -E '^# (Samples|Total Lost)|%' | /bin/busybox head -6 |
        /bin/busybox sed 's/^/perfreportF: /'
    # perf top --stdio, system-wide, over the workload at half the rounds.  perf top has no
    # duration: it stops on the key q and redraws on a key or every -d seconds, reading the keys
    # from stdin.  Its stdin here is a pipe from a writer that waits for perf top's counters
    # (its perf_event descriptors), runs the workload, asks for one table (the key e, display
    # entries, answered 12) once perf top has had time to take in the samples, then sends q.
    # -d 1000: no redraw of its own, and no sample is dropped as older than the display delay.
    # -K: kernel samples counted (the header's kernel share) but not resolved: resolving one
    # makes perf top read all of /proc/kallsyms, whose text the guest kernel formats at ~800 M
    # instructions (8,000 samples of vsnprintf and kallsyms_expand_symbol at -c 100000, 27 times
    # the workload's own), which would be most of the table and of this boot's time
    {
        i=0
        until /bin/busybox ls -l /proc/[0-9]*/fd 2>/dev/null | /bin/busybox grep -q 'perf_event'; do
            i=$((i + 1)); [ $i -lt 60 ] || break; /bin/busybox sleep 1
        done
        /bin/busybox sleep 1
        /bin/workload $((rounds / 2)) >/dev/null
        /bin/busybox sleep 3; echo e12; /bin/busybox sleep 1; echo q
    } | /bin/busybox timeout -k 5 120 /usr/bin/perf top --stdio -e cycles -c "$period" -d 1000 -E 12 -n -K >/tmp/top.txt 2>&1
    top=$?
    # the screen-clearing escapes dropped, one table line per output line
    /bin/busybox sed "s/$(printf '\033')\[[0-9;]*[A-Za-z]//g; /^ *\$/d; s/^/perftop: /" /tmp/top.txt
    echo "init: perf top exited with status $top"
    [ "$top" = 0 ] || st=1
    /bin/workload tsc
    echo "init: perf done, status $st"
    /bin/pvexit "$st"
    ;;
perfbench)
    export HOME=/tmp PATH=/usr/bin:/bin
    /bin/workload "$rounds"
    /usr/bin/perf record -N --no-bpf-event -e cycles -c "$period" -o /tmp/perf.data /bin/workload "$rounds" 2>/tmp/record.err
    st=$?
    # "[ perf record: Captured and wrote X MB /tmp/perf.data (N samples) ]"
    /bin/busybox sed -nE 's/^.*\(([0-9]+) samples\).*$/perfbench: samples=\1/p' /tmp/record.err
    /bin/pvexit $st
    ;;
*)
    echo "init: unknown pvmode=$mode"
    /bin/pvexit 99
    ;;
esac
echo "init: still running after pvmode=$mode"
/bin/pvexit 98
