#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Start and stop the real agent for integration tests. Source it.
#   agent_start LOGPREFIX ARGS...   starts build/credwatch, waits until it watches
#                                   (at most AGENT_START_TIMEOUT_S, default 10 s)
#   agent_stop                      SIGTERM, wait, return its exit status
BUILD=${BUILD:-build}
CREDWATCH=${CREDWATCH:-$BUILD/credwatch}
AGENT_PID=

agent_start() {
	local prefix=$1; shift
	AGENT_ERR=$prefix.stderr
	"$CREDWATCH" "$@" 2>"$AGENT_ERR" &
	AGENT_PID=$!
	for _ in $(seq 1 $((${AGENT_START_TIMEOUT_S:-10} * 20))); do
		if grep -q 'watching [0-9]* credentials' "$AGENT_ERR" 2>/dev/null; then
			return 0
		fi
		if ! kill -0 "$AGENT_PID" 2>/dev/null; then
			echo "agent exited during start-up:" >&2
			cat "$AGENT_ERR" >&2
			return 1
		fi
		sleep 0.05
	done
	echo "agent did not become ready in ${AGENT_START_TIMEOUT_S:-10} s:" >&2
	cat "$AGENT_ERR" >&2
	return 1
}

agent_stop() {
	local rc=0
	[ -n "$AGENT_PID" ] || return 0
	kill -TERM "$AGENT_PID" 2>/dev/null
	wait "$AGENT_PID" || rc=$?
	AGENT_PID=
	return $rc
}
