#!/bin/sh
# Check that every Debian package perfvisor needs is installed; install the
# missing ones when running as root, otherwise print the command to run.
# Silent and quick (one dpkg-query call) when nothing is missing.
set -eu

PACKAGES="
gcc make nasm binutils
grub-pc-bin grub-efi-amd64-bin grub-common xorriso mtools ovmf
bochs bochsbios bochs-term vgabios qemu-system-x86
libelf-dev libdw-dev zlib1g-dev libbpf-dev liblz4-dev libcmocka-dev pkg-config libiberty-dev
clang libclang-rt-14-dev
protobuf-c-compiler libprotobuf-c-dev golang-go python3 python3-jsonschema nodejs linux-perf
linux-image-cloud-amd64 busybox-static libc6-dev cpio
"

if ! command -v dpkg-query >/dev/null 2>&1; then
	echo "install-deps: dpkg-query not found: this script supports Debian/Ubuntu only." >&2
	# shellcheck disable=SC2086
	echo "install-deps: install the equivalents of:" $PACKAGES >&2
	exit 1
fi

# One query for all packages.  Unknown packages make dpkg-query complain on
# stderr and print nothing for them, so anything not reported as
# "install ok installed" counts as missing.
# shellcheck disable=SC2086
installed=$(dpkg-query -W -f='${Package} ${Status}\n' $PACKAGES 2>/dev/null |
	awk '$2 == "install" && $3 == "ok" && $4 == "installed" { sub(/:.*/, "", $1); printf " %s ", $1 }') || true

missing=""
for p in $PACKAGES; do
	case "$installed" in
	*" $p "*) ;;
	*) missing="$missing $p" ;;
	esac
done
missing=${missing# }

[ -z "$missing" ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
	echo "install-deps: installing: $missing" >&2
	apt-get update
	# shellcheck disable=SC2086
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $missing
else
	echo "install-deps: missing packages: $missing" >&2
	echo "install-deps: run:" >&2
	echo "  sudo apt-get install -y --no-install-recommends $missing"
	exit 1
fi
