#!/bin/sh
# The main job, from a fresh Debian 12: install what is missing (as root; otherwise it prints the
# one apt-get command to run), build perfvisor and the guest-stubs, boot them in Bochs and print
# the run: each guest's output tagged by domain, then the per-domain summary.
set -eu
cd "$(dirname "$0")/.."
scripts/install-deps.sh
exec make --no-print-directory -j"$(nproc)" demo
