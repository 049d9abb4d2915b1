#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The real agent (build/credwatch) delivering alerts to a loopback HTTPS
# backend (tests/lib/fake_backend.py), end to end:
#  - backend down from the start, alerts raised, kill -9, restart on the same
#    --spool, backend up: every alert uuid of both runs arrives (at-least-once,
#    deduplicated by uuid), none lost;
#  - 503s then ok (retried); a 400 (dead-lettered, with the server's reply);
#  - the --backend-token-file rotated while running: the new token is sent,
#    neither token is ever logged;
#  - /metrics (sent, acked, retried, dead-lettered, spool bytes) and the exit
#    delivery summary agree with what the backend saw.
# Everything listens on 127.0.0.1; every wait is bounded.
set -eu
. "$(dirname "$0")/../lib/preamble.sh"
. tests/lib/fixture.sh
. tests/lib/agent.sh
. tests/lib/pki.sh
need_tracefs

test_tmpdir delivery
BPID=
on_exit agent_stop
kill_at_exit BPID
step() { echo "--- $*"; }

# wait_for DESC SECONDS CMD...: poll CMD every 0.1 s, fail with DESC after SECONDS
wait_for() {
	local desc=$1 secs=$2 i; shift 2
	for ((i = 0; i < secs * 10; i++)); do
		"$@" && return 0
		sleep 0.1
	done
	fail "timed out after ${secs}s waiting for $desc"
}

ROOT=$T/root
UID1=de11e000-0000-4000-8000-000000000001
fixture_pod "$ROOT" team-a web "$UID1"
TOKEN=$(fixture_token_path "$ROOT" "$UID1")
cat >"$T/rules.yaml" <<'EOF'
- rule: Token opened
  desc: test rule
  condition: cred.kind = sa_token
  output: token opened (proc=%proc.name pid=%proc.pid path=%fd.name)
  priority: WARNING
  tags: [test]
EOF
read_tokens() {	# N: N host processes open the watched token
	local i pid
	for ((i = 0; i < $1; i++)); do
		cat "$TOKEN" >/dev/null & pid=$!
		wait $pid
	done
}
lines() { [ -f "$1" ] && wc -l <"$1" || echo 0; }
has_lines() { [ "$(lines "$1")" -ge "$2" ]; }

pki_make "$T" || fail "test PKI"
TOK1=cwtest-token-one-$(od -An -N6 -tx1 /dev/urandom | tr -d ' ')
TOK2=cwtest-token-two-$(od -An -N6 -tx1 /dev/urandom | tr -d ' ')
echo "$TOK1" >"$T/token"
BPORT=$(free_port)
HPORT=$(free_port)
BLOG=$T/backend.ndjson
CTL=$T/control.json
echo '{"then":"ok"}' >"$CTL"
: >"$BLOG"

backend_up() {
	rm -f "$T/ready"
	python3 tests/lib/fake_backend.py --port "$BPORT" --cert "$T/srv.crt" --key "$T/srv.key" \
		--log "$BLOG" --control "$CTL" --ready "$T/ready" &
	BPID=$!
	wait_for "the fake backend" 10 test -s "$T/ready"
}

run_agent() {	# NAME: the agent with the spool, backend and metrics endpoint
	agent_start "$T/$1" --host-root "$ROOT" --rules "$T/rules.yaml" \
		--output "$T/$1.alerts" --output-format json --alert-rate 0 \
		--listen "127.0.0.1:$HPORT" --spool "$T/spool" \
		--backend "https://127.0.0.1:$BPORT/ingest" --backend-ca "$T/ca.crt" \
		--backend-token-file "$T/token" --backend-flush-ms 100 \
		--backend-retry-base-ms 50 --backend-retry-max-ms 300 --backend-drain-ms 3000
}

# metric NAME: its current value on /metrics (refreshed by the agent once a second)
metric() {
	curl -sf "http://127.0.0.1:$HPORT/metrics" | awk -v n="$1" '$1 == n { print $2 }'
}
metric_is() {	# NAME OP VALUE (test(1) operator)
	local v
	v=$(metric "$1") && [ -n "$v" ] && [ "$v" "$2" "$3" ]
}

# backend_check PYTHON: asserts over the request log; has reqs, by_status(s) -> uuids
backend_check() {
	python3 - "$BLOG" "$1" <<'EOF'
import json, sys
reqs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
def recs(r):
    return [json.loads(l) for l in r["body"].splitlines() if l.strip()]
def by_status(*st):
    return [x["uuid"] for r in reqs if r["status"] in st for x in recs(r)]
def uuids_in(path):
    return [json.loads(l)["uuid"] for l in open(path) if l.strip()]
def want(cond, msg):
    if not cond:
        print("assertion failed:", msg, file=sys.stderr)
        sys.exit(1)
exec(sys.argv[2])
EOF
}
delivered() {	# ALERTS_FILE: every uuid in it reached the backend with a 200 or a 400
	backend_check "
got = set(by_status(200, 400))
want(all(u in got for u in uuids_in('$1')), 'not yet')" 2>/dev/null
}

step "backend down from the start: alerts spooled and retried, then kill -9"
N1=15
run_agent a1
read_tokens $N1
wait_for "$N1 alerts on --output" 10 has_lines "$T/a1.alerts" $N1
wait_for "retries counted on /metrics" 10 metric_is credwatch_backend_retried_total -ge 1
wait_for "spool bytes on /metrics" 10 metric_is credwatch_spool_bytes -gt 0
metric_is credwatch_backend_sent_total -ge 1 || fail "sent_total did not move while down"
metric_is credwatch_backend_acked_total -eq 0 || fail "acked while the backend was down"
[ "$(lines "$T/a1.alerts")" = $N1 ] || fail "alerts: $(lines "$T/a1.alerts"), want $N1"
kill -9 "$AGENT_PID"
wait "$AGENT_PID" 2>/dev/null || true
AGENT_PID=

step "restart on the same spool (backend still down), more alerts, backend up"
N2=5
run_agent a2
grep -q "spool: $T/spool: $N1 unacknowledged records to replay" "$T/a2.stderr" \
	|| fail "replay count at restart: $(grep spool: "$T/a2.stderr")"
read_tokens $N2
wait_for "$N2 alerts on --output" 10 has_lines "$T/a2.alerts" $N2
[ -s "$BLOG" ] && fail "a request reached a backend that was down"
backend_up
wait_for "the alerts of both runs at the backend" 20 \
	eval 'delivered "$T/a1.alerts" && delivered "$T/a2.alerts"'
wait_for "acked_total = $((N1 + N2))" 10 metric_is credwatch_backend_acked_total -eq $((N1 + N2))
wait_for "spool bytes back to 0" 10 metric_is credwatch_spool_bytes -eq 0
backend_check "
ok = by_status(200)
want(sorted(set(ok)) == sorted(set(uuids_in('$T/a1.alerts') + uuids_in('$T/a2.alerts'))),
     'exactly the alerts of both runs')
want(len(set(ok)) == $N1 + $N2, 'uuids are unique per alert')
" || fail "backend down, kill -9, restart"

step "503 twice, then ok: retried with the same idempotency key"
: >"$T/a2.before503"
cp "$T/a2.alerts" "$T/a2.before503"
retried0=$(metric credwatch_backend_retried_total)
echo '{"script":["503","503"],"then":"ok"}' >"$CTL"
read_tokens 3
wait_for "3 more alerts" 10 has_lines "$T/a2.alerts" $((N2 + 3))
wait_for "the 503'd alerts at the backend" 20 delivered "$T/a2.alerts"
backend_check "
s = [r for r in reqs if r['status'] == 503]
want(len(s) == 2, [r['status'] for r in reqs])
keys = {r['headers']['idempotency-key'] for r in s}
okkeys = {r['headers']['idempotency-key'] for r in reqs if r['status'] == 200}
want(keys <= okkeys, 'a 503 batch was retried under the same Idempotency-Key')
" || fail "503 retries"
wait_for "retried_total +2" 10 metric_is credwatch_backend_retried_total -ge $((retried0 + 2))

step "400: dead-lettered with the server's reply, counted, not retried"
echo '{"script":["400"],"then":"ok"}' >"$CTL"
read_tokens 2
wait_for "2 more alerts" 10 has_lines "$T/a2.alerts" $((N2 + 5))
wait_for "the 400'd alerts at the backend" 20 delivered "$T/a2.alerts"
wait_for "the dead-letter file" 10 test -s "$T/spool/deadletter.ndjson"
DEAD=$(backend_check "print(len(by_status(400)))")
[ "$DEAD" -ge 1 ] || fail "no records in the 400 request"
wait_for "dead_lettered_total = $DEAD" 10 metric_is credwatch_backend_dead_lettered_total -eq "$DEAD"
backend_check "
dead = [json.loads(l) for l in open('$T/spool/deadletter.ndjson')]
want(sorted(json.loads(d['record'])['uuid'] for d in dead) == sorted(by_status(400)),
     'the dead-letter file holds exactly the refused records')
want(all(d['status'] == 400 and 'test says 400' in d['reply'] for d in dead), dead)
want(not set(by_status(400)) & set(by_status(200)), 'a dead-lettered record was retried')
" || fail "dead letters"

step "token file rotated while running: the new token is sent"
echo "$TOK2" >"$T/token.new"
mv "$T/token.new" "$T/token"	# a new inode, as a Secret volume update makes
read_tokens 1
wait_for "1 more alert" 10 has_lines "$T/a2.alerts" $((N2 + 6))
wait_for "the alert after rotation at the backend" 20 delivered "$T/a2.alerts"
backend_check "
last = json.loads(open('$T/a2.alerts').read().splitlines()[-1])['uuid']
auth = [r['headers'].get('authorization') for r in reqs if any(x['uuid'] == last for x in recs(r))]
want(auth and all(a == 'Bearer $TOK2' for a in auth), 'rotated token not used')
first = [r['headers'].get('authorization') for r in reqs][0]
want(first == 'Bearer $TOK1', 'first token not used')
" || fail "token rotation"

step "metrics and the exit summary agree with the backend"
wait_for "acked_total final" 10 metric_is credwatch_backend_acked_total -eq \
	"$(backend_check "print(len(by_status(200)))")"
sent=$(metric credwatch_backend_sent_total)
logged=$(backend_check "print(sum(len(recs(r)) for r in reqs))")
[ "$sent" -ge "$logged" ] || fail "sent_total $sent < $logged records seen by the backend"
metric_is credwatch_spool_write_errors_total -eq 0 || fail "spool write errors on /metrics"
agent_stop || fail "agent exit status"
line=$(grep 'backend: delivery summary:' "$T/a2.stderr" | tail -1)
echo "$line"
stopping=$(grep 'stopping:' "$T/a2.stderr" | tail -1)
kdrops=$(sed -n 's/.*stopping: [0-9]* credential accesses seen, \([0-9]*\) lost in the kernel.*/\1/p' \
	<<<"$stopping")
[ -n "$kdrops" ] || fail "no stopping line: $stopping"
backend_check "
import re
line = '''$line'''
def n(what):
    m = re.search(r'(\d+) ' + what, line)
    want(m, 'no \"%s\" in %s' % (what, line))
    return int(m.group(1))
alerts2 = uuids_in('$T/a2.alerts')
want(n('records submitted') == len(alerts2), 'submitted != alerts raised in this run')
want(n('acknowledged') == len(by_status(200)), 'acknowledged != records the backend took')
want(n('dead-lettered') == len(by_status(400)), 'dead-lettered != records refused')
want(n('retried') >= sum(r['status'] == 503 for r in reqs), 'retried < 503 replies')
want(n('sent') >= sum(len(recs(r)) for r in reqs), 'sent < records seen')
want(n('evicted') == 0 and n('spool write errors') == 0, 'evicted or write errors')
want(n('records left in the spool') == 0 and n('bytes') == 0, 'records left behind')
want(n('events lost in the kernel') == $kdrops, 'kernel drops differ from the stopping line')
# at-least-once, nothing lost: every alert of both runs, deduplicated by uuid
every = set(uuids_in('$T/a1.alerts') + alerts2)
want(len(every) == $N1 + $N2 + 6, len(every))
want(every == set(by_status(200)) | set(by_status(400)), 'alerts lost or invented')
" || fail "exit summary"

step "neither token is ever logged"
if grep -q -e "$TOK1" -e "$TOK2" "$T/a1.stderr" "$T/a2.stderr" "$T/a1.alerts" "$T/a2.alerts"; then
	fail "a backend token appeared in the agent's output"
fi
grep -q "token reloaded" "$T/a2.stderr" || fail "rotation not logged"
echo "test_agent_delivery: all scenarios passed"
