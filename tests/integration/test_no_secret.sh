#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The agent never opens a credential and never emits a byte of one. It runs
# with its own sensor active and every output on (--events, --output, --dump,
# --backend with its spool, SIGHUP rescans), started with umask 000; then
# every output, log, decompressed dump, spool file and backend request is
# searched for each fixture credential's unique marker, no event may carry
# the agent's pid, and what it created must be 0700 directories and 0600
# files (outputs 0640 at most, created parents never group- or world-writable).
set -eu
cd "$(dirname "$0")/../.."
. tests/lib/fixture.sh
. tests/lib/agent.sh
. tests/lib/pki.sh
tests/lib/mount-tracefs.sh

T=$(mktemp -d /tmp/cw-nosecret.XXXXXX)
BPID=
cleanup() {
	agent_stop || true
	[ -n "$BPID" ] && kill "$BPID" 2>/dev/null
	[ -n "${KEEP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT

ROOT=$T/root
UIDS=(0a000000-0000-4000-8000-000000000001 0a000000-0000-4000-8000-000000000002)
fixture_pod "$ROOT" team-a web "${UIDS[0]}"
fixture_pod "$ROOT" team-b db "${UIDS[1]}"
fixture_secret "$ROOT" "${UIDS[1]}" db-password password username
fixture_host "$ROOT"
mkdir -p "$ROOT/root/.aws"
fixture_marker >"$ROOT/root/.aws/credentials"
mkdir -p "$ROOT/srv"
fixture_marker >"$ROOT/srv/custom.key"

pki_make "$T" || fail "test PKI"
BPORT=$(free_port)
python3 tests/lib/fake_backend.py --port "$BPORT" --cert "$T/srv.crt" --key "$T/srv.key" \
	--log "$T/backend.ndjson" --ready "$T/ready" &
BPID=$!
for _ in $(seq 100); do [ -s "$T/ready" ] && break; sleep 0.05; done
[ -s "$T/ready" ] || fail "fake backend did not start"

cat >"$T/any.yaml" <<'EOF'
- rule: Any credential open
  desc: every access raises an alert, so that alerts reach every sink
  condition: cred.kind exists
  output: opened (proc=%proc.name cmdline=%proc.cmdline path=%fd.name cred=%cred.path)
  priority: NOTICE
  tags: [test]
EOF

# umask 000: the agent's own modes must hold without help from the caller
mkdir -m 0755 "$T/out"
mkdir -m 0777 "$T/dump"	# an existing, too open dump directory is tightened
umask 000
agent_start "$T/agent" --host-root "$ROOT" --watch /srv/custom.key \
	--events "$T/out/events.ndjson" --output "$T/out/alerts.ndjson" --output-format json \
	--rules rules/credwatch_rules.yaml --rules "$T/any.yaml" --rule-matching all --alert-rate 0 \
	--dump "$T/dump" --spool "$T/state/lib/spool" --backend "https://127.0.0.1:$BPORT/ingest" \
	--backend-ca "$T/ca.crt" --backend-flush-ms 100 -v
umask 022
AGENT=$AGENT_PID

# every credential read by a host process, twice, with a rescan in between
mapfile -t CREDS < <("$CREDWATCH" --host-root "$ROOT" --watch /srv/custom.key --list-watched \
	2>/dev/null | awk 'NR > 1 && $1 != "" && $5 ~ /^\// { print $5 }')
[ "${#CREDS[@]}" -ge 10 ] || fail "expected at least 10 credentials, listed ${#CREDS[@]}"
for c in "${CREDS[@]}"; do cat "$ROOT$c" >/dev/null; done
kill -HUP "$AGENT"
sleep 0.5
for c in "${CREDS[@]}"; do cat "$ROOT$c" >/dev/null; done
for _ in $(seq 50); do
	[ "$(grep -c uuid "$T/backend.ndjson" 2>/dev/null || true)" -gt 0 ] && break
	sleep 0.1
done
sleep 0.5
agent_stop || fail "agent exit status: $(tail "$T/agent.stderr")"

"$BUILD/credwatch-inspect" events --json "$T/dump" >"$T/dumped.ndjson" || fail "inspect --json"
"$BUILD/credwatch-inspect" events "$T/dump" >"$T/dumped.txt" || fail "inspect table"

# every marker of every fixture credential
MARKERS=$T/markers
for c in "${CREDS[@]}"; do cat "$ROOT$c"; done | grep -o 'CWMARKER-[0-9a-f]*' | sort -u >"$MARKERS"
[ "$(wc -l <"$MARKERS")" -ge 10 ] || fail "markers: $(cat "$MARKERS")"
SINKS=("$T/out" "$T/dump" "$T/state" "$T/dumped.ndjson" "$T/dumped.txt" "$T/backend.ndjson"
	"$T/agent.stderr")
if grep -rlaF -f "$MARKERS" "${SINKS[@]}"; then fail "a credential's content reached an output"; fi
# the spool was really used and the backend really got alerts
grep -q uuid "$T/backend.ndjson" || fail "no alert reached the backend"
[ -n "$(find "$T/state/lib/spool" -type f)" ] || fail "spool is empty"

N=${#CREDS[@]}
python3 tests/lib/events.py "$T/out/events.ndjson" --where proc.name=cat --count $((2 * N)) \
	|| fail "every read seen"
python3 tests/lib/events.py "$T/out/events.ndjson" --where proc.pid="$AGENT" --count 0 \
	|| fail "an event with the agent's own pid"
python3 tests/lib/events.py "$T/out/events.ndjson" --where proc.name=credwatch --count 0 \
	|| fail "an event from the agent"
python3 tests/lib/events.py "$T/dumped.ndjson" --where proc.pid="$AGENT" --count 0 \
	|| fail "the dump has an event with the agent's own pid"

# modes, created under umask 000
bad=$(find "$T/dump" "$T/state/lib/spool" \( -type d ! -perm 0700 \) -o \( -type f ! -perm 0600 \))
[ -z "$bad" ] || fail "spool or dump not 0700/0600: $(stat -c '%a %n' $bad)"
bad=$(find "$T/out" -type f -perm /0137)
[ -z "$bad" ] || fail "outputs not 0640 at most: $(stat -c '%a %n' $bad)"
bad=$(find "$T/state" -perm /0022)
[ -z "$bad" ] || fail "spool parents group- or world-writable: $(stat -c '%a %n' $bad)"
echo "no secret read or emitted; modes ok"
