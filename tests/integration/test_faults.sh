#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The real agent survives faults and reports them:
#  - tracefs not mounted at start (private mount namespace): it mounts it;
#  - the kernel's watched map smaller than the credentials: counted, logged,
#    the rest still watched;
#  - SIGHUP with a broken rules file: reported, the old rules keep alerting;
#  - the backend answering 200 with garbage or a truncated body, then going
#    away: the agent runs on and delivers once the backend is sane;
#  - the spool on a full disk: alerts still reach --output, the loss is counted;
#  - clocks: evt.time and alert times are CLOCK_REALTIME (boot offset applied).
set -eu
cd "$(dirname "$0")/../.."
. tests/lib/fixture.sh
. tests/lib/agent.sh
. tests/lib/pki.sh
tests/lib/mount-tracefs.sh

T=$(mktemp -d /tmp/cw-faults.XXXXXX)
BPID=
cleanup() {
	agent_stop || true
	[ -n "$BPID" ] && kill "$BPID" 2>/dev/null
	mountpoint -q "$T/full" 2>/dev/null && umount "$T/full"
	[ -n "${KEEP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT
step() { echo "--- $*"; }

ROOT=$T/root
UID1=fa170000-0000-4000-8000-000000000001
fixture_pod "$ROOT" team-a web "$UID1"
fixture_secret "$ROOT" "$UID1" db-password password username
fixture_host "$ROOT"
TOKEN=$(fixture_token_path "$ROOT" "$UID1")
cat >"$T/rules.yaml" <<'EOF'
- rule: Token opened
  desc: test rule
  condition: cred.kind = sa_token
  output: token opened (proc=%proc.name pid=%proc.pid path=%fd.name)
  priority: WARNING
  tags: [test]
EOF
read_token() {	# prints the reader's pid
	local pid
	cat "$TOKEN" >/dev/null & pid=$!
	wait $pid
	echo $pid
}

step "tracefs missing at start"
unshare -m --propagation private bash -c '
	for m in /sys/kernel/tracing /sys/kernel/debug/tracing; do
		while mountpoint -q "$m"; do umount "$m" || exit 3; done
	done
	[ ! -d /sys/kernel/tracing/events ] || exit 4
	"$0" --host-root "$1" --duration 1 --output /dev/null 2>"$2"
	rc=$?
	[ -d /sys/kernel/tracing/events ] || exit 5
	exit $rc' "$CREDWATCH" "$ROOT" "$T/notracefs.stderr" \
	|| fail "without tracefs (rc $?): $(cat "$T/notracefs.stderr")"
grep -q 'hooks: open, openat, openat2, creat, open_by_handle_at, io_uring$' "$T/notracefs.stderr" \
	|| fail "not every hook attached: $(grep hooks "$T/notracefs.stderr")"

step "watched map smaller than the credential set"
agent_start "$T/mapfull" --host-root "$ROOT" --max-watched 3 --events "$T/mapfull.ndjson" \
	--output /dev/null
grep -q 'cannot watch: .*raise --max-watched' "$T/mapfull.stderr" \
	|| fail "map full not logged: $(cat "$T/mapfull.stderr")"
grep -q 'watching 3 credentials' "$T/mapfull.stderr" || fail "watched count: $(grep watching "$T/mapfull.stderr")"
for c in $("$CREDWATCH" --host-root "$ROOT" --list-watched 2>/dev/null | awk '$5 ~ /^\// { print $5 }'); do
	cat "$ROOT$c" >/dev/null
done
sleep 0.3
agent_stop || fail "agent exit status with a full map"
python3 tests/lib/events.py "$T/mapfull.ndjson" --where proc.name=cat --count 3 \
	|| fail "the watched three are still reported"

step "SIGHUP with a broken rules file"
cp "$T/rules.yaml" "$T/live.yaml"
agent_start "$T/hup" --host-root "$ROOT" --rules "$T/live.yaml" --output "$T/hup.alerts" \
	--output-format json --alert-rate 0
P1=$(read_token)
printf -- '- rule: broken\n  condition: (cred.kind = \n  output: [\n' >"$T/live.yaml"
kill -HUP "$AGENT_PID"
for _ in $(seq 50); do grep -q 'rules not reloaded' "$T/hup.stderr" && break; sleep 0.1; done
grep -q 'SIGHUP: rules not reloaded, keeping the 1 running rules' "$T/hup.stderr" \
	|| fail "broken reload not reported: $(tail -5 "$T/hup.stderr")"
grep -q 'live.yaml:[0-9]*' "$T/hup.stderr" || fail "reload error names no file:line"
P2=$(read_token)
sleep 0.3
kill -0 "$AGENT_PID" || fail "agent died on a broken reload"
agent_stop || fail "agent exit status after a broken reload"
python3 - "$T/hup.alerts" "$P1" "$P2" <<'PY' || fail "alerts around the broken reload"
import json, sys
pids = [json.loads(l)["output_fields"]["proc.pid"] for l in open(sys.argv[1])]
assert pids == [int(sys.argv[2]), int(sys.argv[3])], pids
PY

step "backend garbage, truncation, outage; spool on a full disk"
pki_make "$T" || fail "test PKI"
BPORT=$(free_port)
echo '{"script": ["garbage", "truncate", "truncate", "close"], "then": "ok"}' >"$T/control"
python3 tests/lib/fake_backend.py --port "$BPORT" --cert "$T/srv.crt" --key "$T/srv.key" \
	--log "$T/backend.ndjson" --control "$T/control" --ready "$T/ready" &
BPID=$!
for _ in $(seq 100); do [ -s "$T/ready" ] && break; sleep 0.05; done
agent_start "$T/ship" --host-root "$ROOT" --rules "$T/rules.yaml" --output "$T/ship.alerts" \
	--output-format json --alert-rate 0 --spool "$T/spool" \
	--backend "https://127.0.0.1:$BPORT/ingest" --backend-ca "$T/ca.crt" \
	--backend-flush-ms 50 --backend-retry-base-ms 50 --backend-retry-max-ms 200
for i in $(seq 5); do read_token >/dev/null; sleep 0.2; done
for _ in $(seq 100); do
	[ "$(grep -c '"action": "ok"' "$T/backend.ndjson" 2>/dev/null || true)" -gt 0 ] && break
	sleep 0.1
done
kill -0 "$AGENT_PID" || fail "agent died on backend garbage"
agent_stop || fail "agent exit status"
python3 - "$T/backend.ndjson" "$T/ship.alerts" <<'PY' || fail "delivery after garbage"
import json, sys
reqs = [json.loads(l) for l in open(sys.argv[1])]
acts = [r["action"] for r in reqs]
assert acts[:4] == ["garbage", "truncate", "truncate", "close"], acts
alerts = [json.loads(l)["uuid"] for l in open(sys.argv[2])]
assert len(alerts) == 5, alerts
# a 2xx status is the backend's acceptance, whatever its body says (falcosidekick
# answers plain text); a truncated reply or a dropped connection is a retry
acked = "".join(r["body"] for r in reqs if r["action"] in ("ok", "garbage"))
missing = [u for u in alerts if u not in acked]
assert not missing, ("not delivered after the garbage replies", missing, acts)
for r in reqs:
    if r["action"] in ("truncate", "close"):
        for l in r["body"].splitlines():
            u = json.loads(l)["uuid"]
            assert any(u in x["body"] for x in reqs if x["action"] == "ok"), ("not retried", u)
PY
echo "backend replies: $(python3 -c 'import json,sys; print([json.loads(l)["action"] for l in open(sys.argv[1])])' "$T/backend.ndjson")"

mkdir -p "$T/full"
mount -t tmpfs -o size=16k,nr_inodes=8 tmpfs "$T/full"
dd if=/dev/zero of="$T/full/fill" bs=4k count=3 2>/dev/null || true
HPORT=$(free_port)
# backend down (a closed port): everything has to stay in the spool, which cannot grow
agent_start "$T/full" --host-root "$ROOT" --rules "$T/rules.yaml" --output "$T/full.alerts" \
	--output-format json --alert-rate 0 --spool "$T/full/spool" \
	--backend "https://127.0.0.1:$(free_port)/ingest" --backend-ca "$T/ca.crt" \
	--backend-drain-ms 200 --listen "127.0.0.1:$HPORT"
for i in $(seq 40); do read_token >/dev/null; done
sleep 0.5
kill -0 "$AGENT_PID" || fail "agent died with a full spool disk"
# the loss is on /metrics too, not only in the exit line (refreshed once a second)
werr=0
for _ in $(seq 50); do
	werr=$(curl -sf "http://127.0.0.1:$HPORT/metrics" |
		awk '$1 == "credwatch_spool_write_errors_total" { print $2 }')
	[ "${werr:-0}" -gt 0 ] && break
	sleep 0.1
done
[ "${werr:-0}" -gt 0 ] || fail "spool write errors not on /metrics: '$werr'"
agent_stop || fail "agent exit status with a full spool disk"
[ "$(wc -l <"$T/full.alerts")" = 40 ] || fail "alerts lost from --output: $(wc -l <"$T/full.alerts")"
# every alert is either spooled or counted as a spool write error
line=$(grep 'backend: delivery summary: [0-9]* records submitted' "$T/full.stderr" | tail -1)
echo "$line"
sub=$(sed -n 's/.*delivery summary: \([0-9]*\) records submitted.*/\1/p' <<<"$line")
errs=$(sed -n 's/.* \([0-9]*\) spool write errors.*/\1/p' <<<"$line")
[ -n "$sub" ] && [ -n "$errs" ] && [ "$errs" -gt 0 ] && [ $((sub + errs)) = 40 ] \
	|| fail "spool loss not counted exactly: $line"
[ "$werr" -le "$errs" ] || fail "/metrics said $werr spool write errors, the exit line $errs"
umount "$T/full"

step "clocks: event and alert times are wall-clock time"
agent_start "$T/clock" --host-root "$ROOT" --rules "$T/rules.yaml" --events "$T/clock.ndjson" \
	--output "$T/clock.alerts" --output-format json --alert-rate 0
BEFORE=$(date +%s%N)
P=$(read_token)
AFTER=$(date +%s%N)
sleep 0.3
agent_stop || fail "agent exit status"
python3 - "$T/clock.ndjson" "$T/clock.alerts" "$P" "$BEFORE" "$AFTER" <<'PY' || fail "clock"
import json, sys, datetime
ev = [json.loads(l) for l in open(sys.argv[1]) if '"proc.pid":%s,' % sys.argv[3] in l]
al = [json.loads(l) for l in open(sys.argv[2])]
lo, hi = int(sys.argv[4]), int(sys.argv[5])
assert len(ev) == 1 and len(al) == 1, (ev, al)
t = ev[0]["evt.time"]
# CLOCK_REALTIME from the kernel's boot-time stamp; 5 ms of slack for the offset's rounding
assert lo - 5_000_000 <= t <= hi + 5_000_000, (lo, t, hi)
a = al[0]["time"]
dt = datetime.datetime.strptime(a[:26], "%Y-%m-%dT%H:%M:%S.%f").replace(tzinfo=datetime.timezone.utc)
assert int(a[20:29]) == t % 1_000_000_000 and int(dt.timestamp()) == t // 1_000_000_000, (a, t)
PY
grep -q CWMARKER "$T"/*.stderr "$T"/*.alerts "$T"/*.ndjson && fail "credential content in an output"
echo "faults ok"
