#!/bin/sh
# Builds the Linux test guest from Debian packages only, cached outside the repository:
#   the kernel: the one linux-image-cloud-amd64 installed in /boot (unmodified; KASLR on)
#   an initramfs (cpio newc, gzip): busybox from busybox-static, /init (tests/linux/init.sh),
#     /bin/workload and /bin/pvexit (tests/linux/*.c, static, frame pointers)
# Prints three lines, for `eval`:
#   LINUX_KERNEL=/boot/vmlinuz-...
#   LINUX_INITRD=<cache>/rootfs.cpio.gz
#   LINUX_WORKLOAD=<cache>/workload
# With --with-perf, a fourth: LINUX_INITRD_PERF=<cache>/rootfs-perf.cpio, the same initramfs
# plus Debian's perf (linux-perf) and the shared libraries ldd names for it (~35 MB, not
# compressed), for
# /init's perf modes (tests/linux/init.sh); the default initramfs stays small.
# The cache is $PERFVISOR_CACHE (default ${XDG_CACHE_HOME:-$HOME/.cache}/perfvisor)/linux; the
# initramfs is rebuilt when its inputs change.  Exit status 3 (and why on stderr) when a
# package is missing: scripts/install-deps.sh installs them.
set -eu
with_perf=0
for a in "$@"; do
    case "$a" in
    --with-perf) with_perf=1 ;;
    *) echo "build-guest: unknown option $a (usage: build-guest.sh [--with-perf])" >&2; exit 2 ;;
    esac
done
here=$(cd "$(dirname "$0")" && pwd)
cache=${PERFVISOR_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/perfvisor}/linux

kernel=$(ls /boot/vmlinuz-*-cloud-amd64 2>/dev/null | sort -V | tail -1 || true)
if [ -z "$kernel" ]; then
    echo "build-guest: no /boot/vmlinuz-*-cloud-amd64: install linux-image-cloud-amd64" >&2
    exit 3
fi
busybox=/bin/busybox
if ! [ -x "$busybox" ] || ! dpkg-query -W -f='${Status}' busybox-static 2>/dev/null | grep -q 'ok installed'; then
    echo "build-guest: busybox-static is not installed (a static /bin/busybox)" >&2
    exit 3
fi
if ! [ -e /usr/lib/x86_64-linux-gnu/libc.a ]; then
    echo "build-guest: no static C library: install libc6-dev" >&2
    exit 3
fi

key=$(cat "$here/init.sh" "$here/spin.h" "$here/workload.c" "$here/workthreads.c" "$here/pvexit.c" "$here/build-guest.sh" "$busybox" |
      sha256sum | cut -c1-16)-$(gcc -dumpfullversion)
out="$cache/rootfs.cpio.gz"
if ! [ -f "$out" ] || [ "$(cat "$cache/key" 2>/dev/null)" != "$key" ]; then
    mkdir -p "$cache"
    tmp=$(mktemp -d "$cache/build.XXXXXX")
    trap 'rm -rf "$tmp"' EXIT
    root="$tmp/root"
    mkdir -p "$root/bin" "$root/dev" "$root/proc" "$root/sys" "$root/tmp"
    cp "$busybox" "$root/bin/busybox"
    ln -s busybox "$root/bin/sh"
    cflags="-static -O2 -g -fno-omit-frame-pointer -mno-omit-leaf-frame-pointer -Wall -Werror"
    # shellcheck disable=SC2086
    gcc $cflags -o "$root/bin/workload" "$here/workload.c"
    # the same program as a static PIE (loaded at a random base: issue #10's load bias)
    # shellcheck disable=SC2086
    gcc -static-pie ${cflags#-static } -o "$root/bin/workpie" "$here/workload.c"
    # two threads of one process (issue #10: threads share CR3)
    # shellcheck disable=SC2086
    gcc $cflags -pthread -o "$root/bin/workthreads" "$here/workthreads.c"
    # shellcheck disable=SC2086
    gcc $cflags -o "$root/bin/pvexit" "$here/pvexit.c"
    cp "$root/bin/workload" "$cache/workload"       # unstripped, for symbols (--symbols)
    cp "$root/bin/workpie" "$cache/workpie"
    cp "$root/bin/workthreads" "$cache/workthreads"
    install -m 755 "$here/init.sh" "$root/init"
    # /dev/console for the kernel's first open (before /init mounts devtmpfs): cpio takes
    # the node from a list, so no mknod (and no root) is needed
    (cd "$root" && { find . -mindepth 1 | sort; } | cpio --quiet -o -H newc -R 0:0 > "$tmp/files.cpio")
    python3 - "$tmp/nodes.cpio" <<'PY'
import sys
# newc records for dev/ and the character device dev/console (5:1, mode 0600); the trailer is
# left to the archive that follows (the kernel unpacks concatenated archives)
def rec(name, mode, rmaj=0, rmin=0):
    name = name.encode() + b"\0"
    hdr = b"070701" + b"".join(b"%08X" % v for v in (
        0, mode, 0, 0, 1, 0, 0, 0, 0, rmaj, rmin, len(name), 0))
    pad = lambda n: b"\0" * ((4 - n % 4) % 4)
    return hdr + name + pad(len(hdr) + len(name))
open(sys.argv[1], "wb").write(rec("dev", 0o040755) + rec("dev/console", 0o020600, 5, 1))
PY
    cat "$tmp/nodes.cpio" "$tmp/files.cpio" | gzip -9n > "$tmp/rootfs.cpio.gz"
    mv "$tmp/rootfs.cpio.gz" "$out"
    echo "$key" > "$cache/key"
fi

# The perf initramfs: the default one's files, then perf and its libraries (the kernel unpacks
# concatenated archives, later files beside earlier ones)
if [ "$with_perf" = 1 ]; then
    perf=$(command -v perf || true)
    if [ -z "$perf" ] || ! dpkg-query -W -f='${Status}' linux-perf 2>/dev/null | grep -q 'ok installed'; then
        echo "build-guest: perf is not installed (Debian's linux-perf)" >&2
        exit 3
    fi
    pkey=$(cat "$cache/key" "$perf" | sha256sum | cut -c1-16)
    pout="$cache/rootfs-perf.cpio"
    if ! [ -f "$pout" ] || [ "$(cat "$cache/perf-key" 2>/dev/null)" != "$pkey" ]; then
        ptmp=$(mktemp -d "$cache/build-perf.XXXXXX")
        trap 'rm -rf "${tmp:-}" "$ptmp"' EXIT
        proot="$ptmp/root"
        mkdir -p "$proot/usr/bin"
        cp "$perf" "$proot/usr/bin/perf"
        # every library the dynamic loader maps, at the path it is found by (with the loader)
        ldd "$perf" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' |
        while read -r lib; do
            mkdir -p "$proot$(dirname "$lib")"
            cp -L "$lib" "$proot$lib"
        done
        (cd "$proot" && { find . -mindepth 1 | sort; } | cpio --quiet -o -H newc -R 0:0 > "$ptmp/perf.cpio")
        # uncompressed: inflating ~30 MB costs the guest more instructions than the boot itself
        gzip -dc "$out" | cat - "$ptmp/perf.cpio" > "$ptmp/rootfs-perf.cpio"
        mv "$ptmp/rootfs-perf.cpio" "$pout"
        echo "$pkey" > "$cache/perf-key"
    fi
fi
echo "LINUX_KERNEL=$kernel"
echo "LINUX_INITRD=$out"
echo "LINUX_WORKLOAD=$cache/workload"
echo "LINUX_WORKPIE=$cache/workpie"
echo "LINUX_WORKTHREADS=$cache/workthreads"
if [ "$with_perf" = 1 ]; then echo "LINUX_INITRD_PERF=$pout"; fi
