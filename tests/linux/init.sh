#!/bin/busybox sh
# /init of the Linux test guest (tests/linux/build-guest.sh).  What it does comes from the kernel
# command line's pvmode= (default work); its exit status goes to perfvisor through port 0xF4.
#   pvmode=work     run /bin/workload $pvrounds (default 1000), exit with its status
#   pvmode=exit:N   exit with status N at once
#   pvmode=panic    crash the kernel (sysrq c): with panic=-1 it resets at once
#   pvmode=reset    reboot -f (the ACPI reset register, port 0xCF9)
#   pvmode=poweroff poweroff -f (no ACPI power-off here: the kernel halts)
#   pvmode=spin     spin forever in user space (for budget=)
#   pvmode=kallsyms print this boot's kernel text symbols (/proc/kallsyms, types t/T/w/W, gzip,
#                   base64) as "pvks:" lines between "init: kallsyms begin/end", exit 0
#                   (tests/boot/linuxprof-tests.sh: symbols from another boot, for KASLR)
/bin/workload tsc                       # when user space began (make bench)
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t sysfs sys /sys
/bin/busybox mount -t devtmpfs dev /dev
mode=work
rounds=1000
for w in $(/bin/busybox cat /proc/cmdline); do
    case "$w" in
    pvmode=*) mode=${w#pvmode=} ;;
    pvrounds=*) rounds=${w#pvrounds=} ;;
    esac
done
echo "init: user space, pvmode=$mode"
case "$mode" in
work)
    /bin/workload "$rounds"
    st=$?
    echo "init: workload exited with status $st"
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
*)
    echo "init: unknown pvmode=$mode"
    /bin/pvexit 99
    ;;
esac
echo "init: still running after pvmode=$mode"
/bin/pvexit 98
