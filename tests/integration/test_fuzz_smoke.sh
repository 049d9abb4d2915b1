#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Every fuzz target (FUZZ_TARGETS in tests/fuzz/fuzz.mk) on its committed corpus
# plus a few seconds of new inputs (FUZZ_SECONDS, default 3). A crash, a
# leak or a UBSan report fails the run. `make fuzz` runs them longer.
set -euo pipefail
. "$(dirname "$0")/../lib/preamble.sh"
targets=$(make --no-print-directory -s fuzz-list)
[ -n "$targets" ] || fail "no fuzz targets in tests/fuzz/fuzz.mk (make fuzz-list)"
# The harnesses are clang builds with their own sanitizers: not the caller's.
unset ASAN_OPTIONS UBSAN_OPTIONS
make --no-print-directory -s -j2 fuzz-build BUILD="${BUILD:-build}"
for t in $targets; do
	echo "== $t"
	log=$(mktemp)
	if ! make --no-print-directory "$t" FUZZ_SECONDS="${FUZZ_SECONDS:-3}" \
		BUILD="${BUILD:-build}" >"$log" 2>&1; then
		tail -n 60 "$log"
		rm -f "$log"
		echo "FAIL: $t"
		exit 1
	fi
	grep -E '^#[0-9]+.*DONE|stat::number_of_executed_units' "$log" | tail -2
	rm -f "$log"
done
