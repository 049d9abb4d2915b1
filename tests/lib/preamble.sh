#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The one preamble of every integration and red-team script
# (tests/README.md). Source it first, after the script's `set -eu`:
#
#   . "$(dirname "$0")/../lib/preamble.sh"
#
# It moves to the repository root (scripts name every path from there) and
# sets BUILD. Then:
#   test_tmpdir NAME   T=$(mktemp -d /tmp/cw-NAME.XXXXXX), removed at exit
#                      (kept when KEEP is set, to look at after a failure)
#   on_exit 'CMD'      run CMD at exit. One EXIT trap runs every hook, the
#                      last added first (so the temp dir, added first, goes
#                      last); a failing hook does not skip the others, and
#                      the script's exit status stays its own.
#   kill_at_exit VAR   at exit, kill and reap the process whose pid VAR then
#                      holds (set VAR later, when the process starts)
#   need_tracefs       mount tracefs where libbpf looks, when absent
#   asan_bounds        under make test's sanitizer stage (CW_SANITIZER set):
#                      cap ASan's quarantine at 16 MB (256 MB by default,
#                      which would hide any growth) and return 0, so the
#                      caller scales its memory bounds; else return 1
#   free_port          an unused loopback TCP port
#   fail MSG           "FAIL: MSG" on stderr, exit 1
#
# Integration tests load the real eBPF programs as root and fail (never
# skip) when they cannot; nothing here skips either.
[ -n "${CW_PREAMBLE:-}" ] && return 0
CW_PREAMBLE=1

cd "$(dirname "${BASH_SOURCE[0]}")/../.."
BUILD=${BUILD:-build}
export BUILD

CW_EXIT_HOOKS=()
CW_MAIN_PID=$BASHPID

# Only the script itself runs them: a child forked for `cmd &` and killed
# before it execs would otherwise run the inherited trap (and rm "$T").
cw_run_exit_hooks() {
	local i
	[ "$BASHPID" = "$CW_MAIN_PID" ] || return 0
	for ((i = ${#CW_EXIT_HOOKS[@]} - 1; i >= 0; i--)); do
		eval "${CW_EXIT_HOOKS[i]}" || true
	done
}

on_exit() {
	[ ${#CW_EXIT_HOOKS[@]} -gt 0 ] || trap cw_run_exit_hooks EXIT
	CW_EXIT_HOOKS+=("$1")
}

test_tmpdir() {
	T=$(mktemp -d "/tmp/cw-$1.XXXXXX")
	on_exit '[ -n "${KEEP:-}" ] || rm -rf "$T"'
}

kill_at_exit() {
	# shellcheck disable=SC2016
	on_exit "[ -z \"\${$1:-}\" ] || { kill \"\$$1\" 2>/dev/null; wait \"\$$1\" 2>/dev/null; }"
}

need_tracefs() { tests/lib/mount-tracefs.sh; }

asan_bounds() {
	[ -n "${CW_SANITIZER:-}" ] || return 1
	export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=16"
}

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

fail() { echo "FAIL: $*" >&2; exit 1; }
