#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Start and stop the real agent for integration tests. Source it.
#   agent_start LOGPREFIX ARGS...   starts build/credwatch, waits until it watches
#                                   (at most AGENT_START_TIMEOUT_S, default 10 s)
#   agent_stop                      SIGTERM, wait, return its exit status
#   fake_api_kubeconfig FILE PORT CA
#                                   a kubeconfig for tests/lib/fake_apiserver.py on
#                                   127.0.0.1:PORT (its CA file, its bearer token)
#   agent_metric_reaches PORT SERIES MIN
#                                   wait (at most 5 s) until /metrics on PORT shows
#                                   SERIES (name{labels}) >= MIN; prints the last value
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

# The agent's loop refreshes its counters once a second, after the log line
# of what it counts: a test that saw the line waits for the counter.
agent_metric_reaches() {
	local port=$1 series=$2 min=$3 v=
	for _ in $(seq 50); do
		v=$(curl -sf "http://127.0.0.1:$port/metrics" | awk -v n="$series" '$1 == n { print $2 }')
		[ -n "$v" ] && [ "$v" -ge "$min" ] && break
		sleep 0.1
	done
	echo "${v:-absent}"
	[ -n "$v" ] && [ "$v" -ge "$min" ]
}

fake_api_kubeconfig() {
	cat >"$1" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: test
  cluster: {server: "https://127.0.0.1:$2", certificate-authority: "$3"}
users:
- name: agent
  user: {token: test-token}
contexts:
- name: test
  context: {cluster: test, user: agent}
current-context: test
EOF
}
