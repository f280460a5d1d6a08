#!/usr/bin/env bash
# The capture-parser fuzz target (libFuzzer + ASan + UBSan) for a bounded time, as one test:
# "fuzz: 1 passed, 0 failed" when no crash was found.  FUZZ_SECONDS (default 60) bounds it.
cd "$(dirname "$0")/.."
if make -s --no-print-directory fuzz-capture FUZZ_SECONDS="${FUZZ_SECONDS:-60}"; then
    echo "fuzz: 1 passed, 0 failed"
else
    echo "fuzz: 0 passed, 1 failed"
    exit 1
fi
