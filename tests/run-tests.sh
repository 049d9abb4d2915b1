#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Runs the test suites and ends with one line "N passed, N failed".
#   tests/run-tests.sh [all|unit|integration]
# Unit tests: every build/tests/test_* binary (cmocka), one result per binary.
# Integration tests: every tests/integration/test_*.sh, run as root with the
# real eBPF programs. A test that cannot load eBPF fails; none is skipped.
set -u
cd "$(dirname "$0")/.."
suite=${1:-all}
BUILD=${BUILD:-build}
export BUILD
passed=0 failed=0 failures=()
logdir=$BUILD/test-logs
mkdir -p "$logdir"

run_one() {	# name, command...
	local name=$1; shift
	local log="$logdir/${name//\//_}.log"
	local start=$SECONDS
	if timeout --kill-after=10 "${TEST_TIMEOUT:-300}" "$@" >"$log" 2>&1; then
		passed=$((passed + 1))
		printf '  PASS  %-44s %3ds\n' "$name" $((SECONDS - start))
	else
		failed=$((failed + 1))
		failures+=("$name")
		printf '  FAIL  %-44s %3ds (log: %s)\n' "$name" $((SECONDS - start)) "$log"
		tail -n 30 "$log" | sed 's/^/        /'
	fi
}

if [ "$suite" = all ] || [ "$suite" = unit ]; then
	echo "unit tests:"
	for t in "$BUILD"/tests/test_*; do
		[ -x "$t" ] || continue
		case "$t" in *.d|*.o) continue ;; esac
		run_one "unit/$(basename "$t")" "$t"
	done
fi

if [ "$suite" = all ] || [ "$suite" = integration ]; then
	echo "integration tests:"
	if [ "$(id -u)" != 0 ]; then
		echo "  integration tests load eBPF programs and must run as root" >&2
		failed=$((failed + 1)); failures+=("integration (not root)")
	else
		for t in tests/integration/test_*.sh; do
			[ -f "$t" ] || continue
			run_one "integration/$(basename "$t" .sh)" bash "$t"
		done
	fi
fi

[ ${#failures[@]} -gt 0 ] && printf 'failed: %s\n' "${failures[*]}"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
