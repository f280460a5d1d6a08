#!/bin/sh
# make fuzz-capture: runs the libFuzzer target for FUZZ_SECONDS (default 60) on the generated
# seeds and the kept corpus; prints "fuzz-capture: N runs, 0 crashes" or fails on a crash.
#   run-fuzz.sh FUZZER SEEDS_DIR CORPUS_DIR ARTIFACT_DIR SECONDS
set -u
fuzzer=$1 seeds=$2 corpus=$3 artifacts=$4 seconds=$5
log=$artifacts/fuzz.log
mkdir -p "$corpus" "$artifacts"
"$fuzzer" -max_total_time="$seconds" -timeout=10 -max_len=8192 -print_final_stats=1 \
	-artifact_prefix="$artifacts/" "$corpus" "$seeds" >"$log" 2>&1
rc=$?
runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
if [ $rc -ne 0 ]; then
	tail -n 40 "$log" >&2
	crash=$(ls -t "$artifacts"/crash-* "$artifacts"/timeout-* "$artifacts"/leak-* "$artifacts"/oom-* 2>/dev/null | head -n 1)
	echo "fuzz-capture: FAILED after ${runs:-?} runs (status $rc): input ${crash:-?}; log $log" >&2
	echo "fuzz-capture: reproduce with: $fuzzer ${crash:-INPUT}" >&2
	exit 1
fi
echo "fuzz-capture: ${runs:-0} runs, 0 crashes (${seconds}s; corpus $corpus)"
