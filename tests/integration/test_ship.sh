#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# test_ship.sh - the shipper against a loopback HTTPS backend (tests/lib/fake_backend.py):
# delivery, outages, retries, dead letters, TLS failures, kill -9, eviction, disk full,
# the falcosidekick format. Everything listens on 127.0.0.1; every wait is bounded.
set -euo pipefail
. "$(dirname "$0")/../lib/preamble.sh"
# `make all` builds the driver; build it here only when run on its own
[ -x "$BUILD/itests/ship_drive" ] || make -s "$BUILD/itests/ship_drive" >/dev/null
DRIVE=$PWD/$BUILD/itests/ship_drive
BACKEND=$PWD/tests/lib/fake_backend.py

test_tmpdir ship-test
BPID=""
on_exit '! mountpoint -q "$T/full" 2>/dev/null || umount "$T/full"'
kill_at_exit BPID
step() { echo "--- $*"; }

# --- a test PKI: the CA the agent trusts, another CA it does not, a client CA for mTLS
pki() {	# name cn [ext]
	openssl req -newkey rsa:2048 -nodes -keyout "$T/$1.key" -out "$T/$1.csr" \
		-subj "/CN=$2" 2>/dev/null
}
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/ca.key" -out "$T/ca.crt" -days 2 \
	-subj /CN=credwatch-test-ca 2>/dev/null
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/wrongca.key" -out "$T/wrongca.crt" \
	-days 2 -subj /CN=some-other-ca 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >"$T/srv.ext"
pki srv localhost
openssl x509 -req -in "$T/srv.csr" -CA "$T/ca.crt" -CAkey "$T/ca.key" -CAcreateserial \
	-out "$T/srv.crt" -days 2 -extfile "$T/srv.ext" 2>/dev/null
pki cli credwatch-agent
openssl x509 -req -in "$T/cli.csr" -CA "$T/ca.crt" -CAkey "$T/ca.key" -CAcreateserial \
	-out "$T/cli.crt" -days 2 2>/dev/null
echo "secret-token-1" >"$T/token"

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
URL="https://127.0.0.1:$PORT/v1/ingest"
LOG=$T/requests.ndjson
CTL=$T/control.json

backend_up() {	# [extra fake_backend args]
	rm -f "$T/ready"
	python3 "$BACKEND" --port "$PORT" --cert "$T/srv.crt" --key "$T/srv.key" \
		--log "$LOG" --control "$CTL" --ready "$T/ready" "$@" &
	BPID=$!
	for _ in $(seq 100); do [ -s "$T/ready" ] && return 0; sleep 0.05; done
	fail "fake backend did not start"
}
backend_down() {
	[ -n "$BPID" ] && kill "$BPID" && wait "$BPID" 2>/dev/null || true
	BPID=""
}
control() { printf '%s\n' "$1" >"$CTL"; }
reset_log() { : >"$LOG"; }
drive() {	# spool-name args... ; stats JSON on stdout, stderr in $T/drive.err
	local spool=$1; shift
	"$DRIVE" --spool "$T/$spool" --backend "$URL" --ca "$T/ca.crt" \
		--token-file "$T/token" "$@" 2>"$T/drive.err"
}
stat_of() { python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"; }

# check.py-style assertions over the request log, in python for JSON and gzip
check() {	# python snippet; has `reqs` (list of logged requests) and `lines` (all records)
	python3 - "$LOG" "$1" <<'EOF'
import json, sys
reqs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
ok = [r for r in reqs if r["status"] == 200]
lines = [json.loads(l) for r in ok for l in r["body"].splitlines() if l.strip()]
uuids = [l["uuid"] for l in lines]
def want(cond, msg):
    if not cond:
        print("assertion failed:", msg, file=sys.stderr)
        sys.exit(1)
exec(sys.argv[2])
EOF
}
uuid_of() { printf '00000000-0000-4000-8000-%012d' "$1"; }

backend_up

step "normal delivery: gzip NDJSON, bearer token, idempotency key, kind"
control '{"then":"ok"}'; reset_log
out=$(drive s1 --count 40) || fail "normal delivery: $out $(cat "$T/drive.err")"
out=$(drive s1 --count 5 --start 40 --kind finding) || fail "findings: $out"
check '
want(len(reqs) >= 2, "at least one request per run")
for r in reqs:
    h = r["headers"]
    want(r["path"] == "/v1/ingest", "path kept")
    want(r["gzip_ok"] is True, "body is gzip")
    want(h.get("content-encoding") == "gzip", "Content-Encoding: gzip")
    want(h.get("content-type") == "application/x-ndjson", "NDJSON content type")
    want(h.get("authorization") == "Bearer secret-token-1", "bearer token")
    want(h.get("idempotency-key", "").startswith("cw-"), "idempotency key")
want(len({r["headers"]["idempotency-key"] for r in reqs}) == len(reqs), "one key per batch")
want(sorted(uuids) == ["00000000-0000-4000-8000-%012d" % i for i in range(45)], "all 45 uuids once")
want(all(l["kind"] == "alert" for l in lines[:40]), "alerts have kind alert")
want(sum(l["kind"] == "finding" for l in lines) == 5, "findings have kind finding")
'
[ "$(stat_of "$out" acked)" = 5 ] || fail "acked counter: $out"
grep -q secret-token "$T/drive.err" && fail "the token appeared in a log line"

step "token file rotation is picked up without a restart"
control '{"then":"ok"}'; reset_log
out=$(drive s1 --count 10 --start 100 --rotate-token secret-token-2) || fail "rotation: $out"
check '
auth = [r["headers"]["authorization"] for r in reqs]
want(auth[0] == "Bearer secret-token-1" and auth[-1] == "Bearer secret-token-2", auth)
want(len(set(uuids)) == 10, "10 delivered")
'
grep -q 'secret-token' "$T/drive.err" && fail "the token appeared in a log line"
echo "secret-token-1" >"$T/token"

step "backend down, then up: every alert arrives"
backend_down; reset_log; control '{"then":"ok"}'
drive s2 --count 30 --drain-ms 20000 >"$T/out2" &
DPID=$!
sleep 1.5
backend_up
wait "$DPID" || fail "down-then-up: $(cat "$T/out2") $(cat "$T/drive.err")"
check '
want(sorted(set(uuids)) == ["00000000-0000-4000-8000-%012d" % i for i in range(30)], "all 30 uuids")
'
[ "$(stat_of "$(cat "$T/out2")" retried)" -ge 1 ] || fail "no retry counted while down"

step "429 with Retry-After (seconds and HTTP-date) is honoured"
reset_log; control '{"script":["429:2","429:date2"],"then":"ok"}'
out=$(drive s3 --count 3 --retry-base-ms 50 --retry-max-ms 100) || fail "429: $out"
check '
want([r["status"] for r in reqs] == [429, 429, 200], [r["status"] for r in reqs])
want(reqs[1]["t"] - reqs[0]["t"] >= 1.9, "waited the 2 s Retry-After")
want(reqs[2]["t"] - reqs[1]["t"] >= 0.9, "waited for the HTTP-date")
want(len({r["headers"]["idempotency-key"] for r in reqs}) == 1, "same key on retries")
want(len(uuids) == 3, "3 delivered")
'

step "503 bursts are retried with the same idempotency key"
reset_log; control '{"script":["503","503","503","502"],"then":"ok"}'
out=$(drive s3 --count 7 --start 10) || fail "503: $out"
check '
want([r["status"] for r in reqs] == [503, 503, 503, 502, 200], [r["status"] for r in reqs])
want(len({r["headers"]["idempotency-key"] for r in reqs}) == 1, "same key on retries")
want(sorted(uuids) == ["00000000-0000-4000-8000-%012d" % i for i in range(10, 17)], "7 delivered")
'
[ "$(stat_of "$out" retried)" = 4 ] || fail "retried counter: $out"

step "400 dead-letters the batch with the server's reply, not retried"
reset_log; control '{"script":["400"],"then":"ok"}'
out=$(drive s4 --count 4) || fail "400: $out"
[ "$(stat_of "$out" dead_lettered)" = 4 ] || fail "dead_lettered counter: $out"
[ "$(stat_of "$out" acked)" = 0 ] || fail "acked counter after 400: $out"
[ "$(stat_of "$out" requests)" = 1 ] || fail "a 400 was retried: $out"
python3 - "$T/s4/deadletter.ndjson" <<'EOF' || fail "dead letter file"
import json, os, stat, sys
st = os.stat(sys.argv[1])
assert stat.S_IMODE(st.st_mode) == 0o600, oct(st.st_mode)
recs = [json.loads(l) for l in open(sys.argv[1])]
assert len(recs) == 4, len(recs)
for r in recs:
    assert r["status"] == 400 and "test says 400" in r["reply"], r
    assert json.loads(r["record"])["uuid"].startswith("00000000-0000-4000-8000-"), r
EOF
grep -q 'HTTP 400 refused 4 records' "$T/drive.err" || fail "no log line for the 400"

step "a backend that accepts and never answers: timeout, then retry"
reset_log; control '{"script":["hang"],"then":"ok"}'
out=$(drive s5 --count 2 --timeout-ms 700) || fail "hang: $out $(cat "$T/drive.err")"
check '
want([r["action"] for r in reqs] == ["hang", "ok"], [r["action"] for r in reqs])
want(reqs[0]["headers"]["idempotency-key"] == reqs[1]["headers"]["idempotency-key"], "same key")
want(len(uuids) == 2, "2 delivered")
'
grep -qi 'timeout\|timed out' "$T/drive.err" || fail "no timeout logged: $(cat "$T/drive.err")"

step "wrong CA: refused with a clear error, records kept, delivered with the right CA"
reset_log; control '{"then":"ok"}'
set +e
out=$("$DRIVE" --spool "$T/s6" --backend "$URL" --ca "$T/wrongca.crt" --count 3 \
	--drain-ms 1500 2>"$T/drive.err")
rc=$?
set -e
[ "$rc" = 3 ] || fail "wrong CA: exit $rc, $out"
grep -q -- '--backend-ca' "$T/drive.err" || fail "no hint at --backend-ca: $(cat "$T/drive.err")"
grep -qi 'certificate' "$T/drive.err" || fail "no certificate error: $(cat "$T/drive.err")"
[ -s "$LOG" ] && fail "a request got through with the wrong CA"
out=$(drive s6 --count 0) || fail "replay with the right CA: $out"
check 'want(len(set(uuids)) == 3, "3 replayed")'

step "http:// is refused without --backend-insecure"
set +e
"$DRIVE" --spool "$T/s7" --backend "http://127.0.0.1:$PORT/" --count 0 2>"$T/drive.err"
rc=$?
set -e
[ "$rc" = 2 ] || fail "http accepted: exit $rc"
grep -q -- '--backend-insecure' "$T/drive.err" || fail "no hint: $(cat "$T/drive.err")"

step "mTLS: client certificate presented when the backend requires one"
backend_down; backend_up --client-ca "$T/ca.crt"
reset_log; control '{"then":"ok"}'
out=$(drive s8 --count 2 --cert "$T/cli.crt" --key "$T/cli.key") || fail "mTLS: $out $(cat "$T/drive.err")"
check 'want(len(uuids) == 2, "2 delivered over mTLS")'
set +e
out=$(drive s9 --count 1 --drain-ms 1000); rc=$?
set -e
[ "$rc" = 3 ] || fail "delivered without a client certificate"
backend_down; backend_up

step "kill -9 while the backend is down, restart, backend up: nothing lost"
backend_down; reset_log; control '{"then":"ok"}'
coproc HOLD { exec "$DRIVE" --spool "$T/s10" --backend "$URL" --ca "$T/ca.crt" --count 50 \
	--hold 2>/dev/null; }
read -r -t 20 line <&"${HOLD[0]}" || fail "driver never spooled"
[ "$line" = held ] || fail "driver said $line"
kill -9 "$HOLD_PID"; wait "$HOLD_PID" 2>/dev/null || true
backend_up
out=$(drive s10 --count 0 --drain-ms 15000) || fail "replay after kill -9: $out $(cat "$T/drive.err")"
check '
want(sorted(set(uuids)) == ["00000000-0000-4000-8000-%012d" % i for i in range(50)], "all 50 after kill -9")
'

step "spool full: eviction counted exactly and reported once the backend is back"
backend_down; reset_log
set +e
out=$(drive s11 --count 300 --pad 100 --spool-max-bytes 16384 --segment-bytes 4096 \
	--drain-ms 300)
set -e
evicted=$(stat_of "$out" evicted)
pending=$(stat_of "$out" pending)
[ "$evicted" -gt 0 ] || fail "nothing evicted: $out"
[ $((evicted + pending)) = 300 ] || fail "evicted $evicted + pending $pending != 300"
backend_up; control '{"then":"ok"}'
out=$(drive s11 --count 0 --spool-max-bytes 16384 --segment-bytes 4096) || fail "replay: $out"
[ "$(stat_of "$out" summaries)" = 1 ] || fail "no summary alert: $out"
check "
alerts = [l for l in lines if l.get('rule') != 'credwatch spool eviction']
summ = [l for l in lines if l.get('rule') == 'credwatch spool eviction']
want(len(alerts) == $pending, 'the kept alerts arrive')
want(len(summ) == 1, 'one summary alert')
want(summ[0]['output_fields']['credwatch.spool.evicted'] == $evicted, summ[0])
want('spool evicted $evicted alerts' in summ[0]['output'], summ[0]['output'])
want(summ[0]['kind'] == 'alert' and summ[0]['priority'] == 'Critical', summ[0])
"

step "disk full (tmpfs): submit fails with a count, nothing already spooled is lost"
mkdir -p "$T/full"
mount -t tmpfs -o size=64k tmpfs "$T/full" || fail "cannot mount a tmpfs (run as root)"
reset_log; control '{"then":"ok"}'
backend_down
set +e
out=$("$DRIVE" --spool "$T/full/spool" --backend "$URL" --ca "$T/ca.crt" --count 200 \
	--pad 1000 --drain-ms 200 2>"$T/drive.err")
set -e
[ "$(stat_of "$out" disk_full)" -gt 0 ] || fail "no disk-full count: $out"
[ "$(stat_of "$out" submit_errors)" = "$(stat_of "$out" disk_full)" ] || fail "$out"
kept=$(stat_of "$out" submitted)
backend_up
out=$("$DRIVE" --spool "$T/full/spool" --backend "$URL" --ca "$T/ca.crt" --count 0 \
	2>"$T/drive.err") || fail "replay from a full disk: $out $(cat "$T/drive.err")"
check "want(len(set(uuids)) == $kept, 'every accepted record delivered')"
umount "$T/full"

step "falcosidekick format: one Falco alert per POST with the required fields"
reset_log; control '{"then":"ok"}'
out=$(drive s12 --count 3 --format falcosidekick) || fail "falcosidekick: $out"
out=$(drive s12 --count 2 --start 3 --kind bare --format falcosidekick) || fail "bare: $out"
out=$(drive s12 --count 1 --start 5 --kind finding --format falcosidekick) || fail "finding: $out"
check '
import re
prios = {"Emergency","Alert","Critical","Error","Warning","Notice","Informational","Debug"}
want(len(ok) == 6, "one POST per record")
seen = []
for r in ok:
    want(r["headers"].get("content-type") == "application/json", "application/json")
    want(r["gzip_ok"] is None, "not compressed")
    a = json.loads(r["body"])
    for f in ("output", "priority", "rule", "time", "source", "hostname", "uuid"):
        want(isinstance(a.get(f), str) and a[f], "%s non-empty in %s" % (f, a))
    want(a["priority"] in prios, a["priority"])
    want(re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$", a["time"]), a["time"])
    want(isinstance(a["output_fields"], dict), "output_fields object")
    want(isinstance(a["tags"], list) and a["tags"] and all(isinstance(t, str) for t in a["tags"]), "tags")
    want("kind" not in a, "no kind in falcosidekick bodies")
    seen.append(a["uuid"])
want(seen == ["00000000-0000-4000-8000-%012d" % i for i in range(6)], seen)
f = json.loads(ok[5]["body"])
want(f["rule"] == "world-readable service account token" and f["priority"] == "Error", f)
want(f["output_fields"]["cred.path"] == "/var/lib/kubelet/pods/x/token" and "finding" in f["tags"], f)
'

echo "test_ship: all scenarios passed"
