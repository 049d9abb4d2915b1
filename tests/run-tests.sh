#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Runs the test suites and ends with one line "N passed, N failed".
#   tests/run-tests.sh [all|unit|integration|redteam]
# Unit tests: every build/tests/test_* binary (cmocka), one result per binary.
# Integration tests: every tests/integration/test_*.sh, run as root with the
# real eBPF programs. A test that cannot load eBPF fails; none is skipped.
# Red-team tests: every tests/redteam/test_*.sh, one attack each, run the
# same way as the integration tests (tests/redteam/README.md).
#
# Sanitizers: with CW_SANITIZER set (make sanitize: the build in $BUILD has
# ASan+UBSan), every instrumented process writes its reports to files; a
# test that leaves one fails even if it exited 0 (an agent's leak at exit,
# a helper whose status a script ignores). LeakSanitizer is on.
# With CW_SANITIZE_STAGE=1 and suite "all" (make test), the same suites are
# then built into build/sanitize with gcc -fsanitize=address,undefined and
# run again as a last stage, counted in the same final line.
set -u
cd "$(dirname "$0")/.."
suite=${1:-all}
BUILD=${BUILD:-build}
export BUILD
passed=0 failed=0 failures=()
SANLOG=

run_one() {	# name, command...
	local name=$1; shift
	local log="$logdir/${name//\//_}.log"
	local start=$SECONDS ok=1 reports=()
	[ -z "$SANLOG" ] || rm -f "$SANLOG"/*
	timeout --kill-after=10 "${TEST_TIMEOUT:-300}" "$@" >"$log" 2>&1 || ok=0
	if [ -n "$SANLOG" ]; then
		shopt -s nullglob
		reports=("$SANLOG"/*)
		shopt -u nullglob
		if [ ${#reports[@]} -gt 0 ]; then
			ok=0
			{ echo "== sanitizer reports:"; cat "${reports[@]}"; } >>"$log"
		fi
	fi
	if [ $ok = 1 ]; then
		passed=$((passed + 1))
		printf '  PASS  %-44s %3ds\n' "$name" $((SECONDS - start))
	else
		failed=$((failed + 1))
		failures+=("$name")
		printf '  FAIL  %-44s %3ds (log: %s)\n' "$name" $((SECONDS - start)) "$log"
		tail -n 30 "$log" | sed 's/^/        /'
	fi
}

# Reports go to files (one per process) that run_one looks for.
sanitizer_env() {	# dir
	SANLOG=$1
	mkdir -p "$SANLOG"
	export ASAN_OPTIONS="detect_leaks=1:log_path=$SANLOG/asan"
	export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=$SANLOG/ubsan"
}

run_suites() {	# prefix
	local prefix=$1 t
	logdir=$BUILD/test-logs
	mkdir -p "$logdir"
	if [ "$suite" = all ] || [ "$suite" = unit ]; then
		echo "${prefix}unit tests:"
		for t in "$BUILD"/tests/test_*; do
			[ -x "$t" ] || continue
			case "$t" in *.d|*.o) continue ;; esac
			run_one "${prefix}unit/$(basename "$t")" "$t"
		done
	fi
	if [ "$suite" = all ] || [ "$suite" = integration ]; then
		echo "${prefix}integration tests:"
		if [ "$(id -u)" != 0 ]; then
			echo "  integration tests load eBPF programs and must run as root" >&2
			failed=$((failed + 1)); failures+=("${prefix}integration (not root)")
		else
			for t in tests/integration/test_*.sh; do
				[ -f "$t" ] || continue
				# the fuzz harnesses are ASan+UBSan builds already: run once
				if [ -n "$prefix" ] && [ "$(basename "$t")" = test_fuzz_smoke.sh ]; then
					echo "  (integration/test_fuzz_smoke ran above: its harnesses are sanitizer builds)"
					continue
				fi
				# the image holds release binaries (no sanitizer runtime in it):
				# it is tested once, from the plain build
				case "$(basename "$t")" in test_image.sh|test_e2e_runtime.sh)
					if [ -n "$prefix" ]; then
						echo "  (integration/$(basename "$t" .sh) ran above: the image has no sanitizer build)"
						continue
					fi
				esac
				run_one "${prefix}integration/$(basename "$t" .sh)" bash "$t"
			done
		fi
	fi
	if [ "$suite" = all ] || [ "$suite" = redteam ]; then
		shopt -s nullglob
		local attacks=(tests/redteam/test_*.sh)
		shopt -u nullglob
		if [ ${#attacks[@]} -gt 0 ]; then
			echo "${prefix}red-team tests:"
			if [ "$(id -u)" != 0 ]; then
				echo "  red-team tests load eBPF programs and must run as root" >&2
				failed=$((failed + 1)); failures+=("${prefix}redteam (not root)")
			else
				for t in "${attacks[@]}"; do
					run_one "${prefix}redteam/$(basename "$t" .sh)" bash "$t"
				done
			fi
		fi
	fi
}

[ -z "${CW_SANITIZER:-}" ] || sanitizer_env "$BUILD/sanitizer-reports"
run_suites ""

if [ "$suite" = all ] && [ "${CW_SANITIZE_STAGE:-0}" = 1 ] && [ -z "${CW_SANITIZER:-}" ]; then
	BUILD=build/sanitize
	export BUILD
	echo "sanitize stage (ASan+UBSan+LSan, gcc, $BUILD):"
	start=$SECONDS
	if make --no-print-directory -s BUILD="$BUILD" SANITIZER=address,undefined CC=gcc all \
		>"$BUILD.log" 2>&1; then
		printf '  built %-44s %3ds\n' "$BUILD" $((SECONDS - start))
		sanitizer_env "$BUILD/sanitizer-reports"
		export CW_SANITIZER=address,undefined	# tests may allow for ASan's memory
		run_suites "sanitize/"
	else
		failed=$((failed + 1)); failures+=("sanitize/build")
		printf '  FAIL  %-44s (log: %s)\n' "sanitize/build" "$BUILD.log"
		tail -n 30 "$BUILD.log" | sed 's/^/        /'
	fi
fi

[ ${#failures[@]} -gt 0 ] && printf 'failed: %s\n' "${failures[*]}"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
