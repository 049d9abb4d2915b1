#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# test_thread_caps.sh - least privilege holds for EVERY thread of the agent,
# not just the main one. Capabilities are per thread (capset() changes the
# caller only, a new thread copies its creator's), so a thread started before
# the drop would keep everything; the ones that parse network input (the
# health server, the backend shipper, the Kubernetes API client) matter most.
#
# The agent runs with --listen, a backend (tests/lib/fake_backend.py) and a
# kubeconfig (tests/lib/fake_apiserver.py), first as plain root and then with
# only the chart's capabilities (BPF, PERFMON, DAC_READ_SEARCH). Once all
# three are working (health answers, the backend got a batch, the API watch
# is up) every /proc/<pid>/task/*/status must show the reduced sets:
# CapEff = CapPrm = CAP_BPF|CAP_DAC_READ_SEARCH, CapInh = 0, NoNewPrivs 1,
# and as root also CapBnd = the same two. Fails if any thread holds more.
# To watch it fail: move health_serve() (or ship_start()/attrib_start())
# in agent_run() above privs_drop_after_attach().
set -eu
. "$(dirname "$0")/../lib/preamble.sh"
. tests/lib/fixture.sh
. tests/lib/agent.sh
. tests/lib/pki.sh
need_tracefs

test_tmpdir tcaps
BPID= APID=
kill_at_exit APID
kill_at_exit BPID
on_exit agent_stop

wait_for() {	# DESCRIPTION SECONDS COMMAND...
	local desc=$1 secs=$2 i; shift 2
	for ((i = 0; i < secs * 10; i++)); do
		"$@" && return 0
		sleep 0.1
	done
	fail "timed out after ${secs}s waiting for $desc"
}

pki_make "$T" || fail "test PKI"
echo "cwtest-token-$$" >"$T/token"
BPORT=$(free_port)
APORT=$(free_port)
: >"$T/backend.ndjson"
echo '{"then":"ok"}' >"$T/control.json"
python3 tests/lib/fake_backend.py --port "$BPORT" --cert "$T/srv.crt" --key "$T/srv.key" \
	--log "$T/backend.ndjson" --control "$T/control.json" --ready "$T/ready" &
BPID=$!
mkdir -p "$T/api"
python3 tests/lib/fake_apiserver.py --dir "$T/api" --mode steady --port "$APORT" --timeout 300 &
APID=$!
wait_for "the fake backend" 20 test -s "$T/ready"
wait_for "the fake API server" 30 test -s "$T/api/port"
fake_api_kubeconfig "$T/kubeconfig" "$APORT" "$T/api/ca.crt"

ROOT=$T/root
UID1=7c000000-0000-4000-8000-000000000001
fixture_pod "$ROOT" team-a web "$UID1"
TOKEN=$(fixture_token_path "$ROOT" "$UID1")
KEEP_MASK=0000008000000004	# CAP_BPF (39) | CAP_DAC_READ_SEARCH (2)

metric() { curl -sf "http://127.0.0.1:$HPORT/metrics" | awk -v m="$1" '$1 == m { print $2 }'; }
api_watching() { [ "$(metric credwatch_k8s_api_watch_up)" = 1 ]; }
backend_got_batch() { [ -s "$T/backend.ndjson" ]; }

# check_threads LABEL BOUNDING: every task of the agent holds the reduced sets
check_threads() {
	local label=$1 bounding=$2 st name n=0 bad=0 names=""
	for st in /proc/"$AGENT_PID"/task/*/status; do
		name=$(awk '/^Name:/ { print $2 }' "$st")
		n=$((n + 1)); names="$names $name"
		for f in CapEff CapPrm; do
			v=$(awk -v f="$f:" '$1 == f { print $2 }' "$st")
			[ "$v" = "$KEEP_MASK" ] || { echo "  thread $name ($st): $f $v" >&2; bad=1; }
		done
		v=$(awk '$1 == "CapInh:" { print $2 }' "$st")
		[ "$v" = 0000000000000000 ] || { echo "  thread $name: CapInh $v" >&2; bad=1; }
		v=$(awk '$1 == "CapAmb:" { print $2 }' "$st")
		[ "$v" = 0000000000000000 ] || { echo "  thread $name: CapAmb $v" >&2; bad=1; }
		v=$(awk '$1 == "CapBnd:" { print $2 }' "$st")
		[ -z "$bounding" ] || [ "$v" = "$bounding" ] ||
			{ echo "  thread $name: CapBnd $v, want $bounding" >&2; bad=1; }
		grep -q '^NoNewPrivs:[[:space:]]*1' "$st" || { echo "  thread $name: no_new_privs unset" >&2; bad=1; }
		printf '  %-6s %-16s %s\n' "$label" "$name" \
			"$(awk '/^Cap(Eff|Prm|Bnd)/ { printf "%s %s  ", $1, $2 }' "$st")"
	done
	[ "$bad" = 0 ] || fail "$label: a thread holds more than CAP_BPF|CAP_DAC_READ_SEARCH"
	# main, the health server, the shipper and the API client (curl may add resolver threads)
	[ "$n" -ge 4 ] || fail "$label: only $n threads ($names): a worker did not start"
	for want in cw-ship cw-k8s-api; do
		grep -qw -- "$want" <<<"$names" || fail "$label: no $want thread among:$names"
	done
	echo "ok   $label: $n threads ($names ), each $KEEP_MASK"
}

run_case() {	# LABEL BOUNDING-MASK PREFIX-COMMAND...
	local label=$1 bounding=$2; shift 2
	HPORT=$(free_port)
	# a wrapper that execs: agent.sh's AGENT_PID is then the agent's pid
	printf '#!/bin/sh\nexec %s "$@"\n' "$*" >"$T/$label.sh"
	chmod +x "$T/$label.sh"
	CREDWATCH=$T/$label.sh agent_start "$T/$label" --host-root "$ROOT" --output "$T/$label.alerts" \
		--listen "127.0.0.1:$HPORT" --spool "$T/spool-$label" \
		--backend "https://127.0.0.1:$BPORT/ingest" --backend-ca "$T/ca.crt" \
		--backend-token-file "$T/token" --backend-flush-ms 100 \
		--kubeconfig "$T/kubeconfig" --node-name node-1
	: >"$T/backend.ndjson"
	wait_for "$label: /healthz" 20 curl -sf "http://127.0.0.1:$HPORT/healthz" -o /dev/null
	wait_for "$label: the API watch" 30 api_watching
	# an alert (a host process reading a pod's token) makes the shipper send
	cat "$TOKEN" >/dev/null
	wait_for "$label: a batch at the backend" 30 backend_got_batch
	check_threads "$label" "$bounding"
	agent_stop || fail "$label: agent exit status $?"
}

CW=$(readlink -f "${CREDWATCH:-$BUILD/credwatch}")
# Plain root: the bounding set can be cut too (CAP_SETPCAP is held).
run_case root "$KEEP_MASK" "$CW"
# The chart's capabilities only, as the container runtime grants them.
run_case chart "" setpriv --bounding-set=-all,+bpf,+perfmon,+dac_read_search \
	--inh-caps=-all "$CW"
echo "thread caps ok"
