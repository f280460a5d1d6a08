#!/bin/sh
# Every test, from a fresh Debian 12: install what is missing (as root), build, then unit tests
# and boot tests.  The last line is "N passed, N failed"; the exit status is 0 only if none failed.
set -eu
cd "$(dirname "$0")/.."
scripts/install-deps.sh
make --no-print-directory -j"$(nproc)" all external-kernel external-profile external-vpmu
exec make --no-print-directory test
