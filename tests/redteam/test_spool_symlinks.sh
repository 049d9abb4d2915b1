#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Attack: someone who could write into the spool directory before the agent
# owned it (a hostPath another tenant or a careless script made
# world-writable) plants entries the agent opens at start-up: segments that
# are symlinks or hard links to files it wants destroyed (a segment's
# "torn tail" is truncated), a state.tmp symlink (opened with O_TRUNC at the
# first state write), a deadletter.ndjson symlink (appended to with refused
# records), a FIFO named state (the agent would hang reading it). Then a
# second attack: a spool directory owned by another user.
#
# The agent runs with the real sensor, spool and a backend that refuses
# everything (400: dead letters). It must start, refuse and remove the
# planted entries (never touching what they point to: the victims keep
# their bytes), tighten the directory to 0700, write its own dead-letter
# file, and refuse outright a directory owned by someone else.
# Defence: spool_file_open() (user/spool.c): O_NOFOLLOW, O_NONBLOCK, a
# regular file of ours with one link; state.tmp created afresh with
# O_EXCL; the directory opened O_NOFOLLOW and required to be ours. To watch
# it fail: in spool_file_open() drop O_NOFOLLOW and the S_ISREG/st_nlink
# check (or make it return the fd unconditionally).
set -eu
cd "$(dirname "$0")/../.."
. tests/lib/fixture.sh
. tests/lib/agent.sh
. tests/lib/pki.sh
tests/lib/mount-tracefs.sh

T=$(mktemp -d /tmp/cw-rt-spool.XXXXXX)
BPID=
cleanup() {
	set +e
	agent_stop
	[ -z "$BPID" ] || { kill "$BPID"; wait "$BPID"; } 2>/dev/null
	[ -n "${KEEP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT
wait_for() {	# DESCRIPTION SECONDS COMMAND...
	local desc=$1 secs=$2 i; shift 2
	for ((i = 0; i < secs * 10; i++)); do
		"$@" && return 0
		sleep 0.1
	done
	fail "timed out after ${secs}s waiting for $desc"
}

pki_make "$T" || fail "test PKI"
BPORT=$(free_port)
HPORT=$(free_port)
echo '{"then":"400"}' >"$T/control.json"
: >"$T/backend.ndjson"
python3 tests/lib/fake_backend.py --port "$BPORT" --cert "$T/srv.crt" --key "$T/srv.key" \
	--log "$T/backend.ndjson" --control "$T/control.json" --ready "$T/ready" &
BPID=$!
wait_for "the fake backend" 20 test -s "$T/ready"

ROOT=$T/root
UID1=5b000000-0000-4000-8000-000000000001
fixture_pod "$ROOT" team-a web "$UID1"
TOKEN=$(fixture_token_path "$ROOT" "$UID1")

# The victims, and the spool as the attacker left it.
for v in 1 2 3 4; do echo "VICTIM-$v precious bytes, not a spool record" >"$T/victim$v"; done
sha() { sha256sum "$T"/victim? | sha256sum | cut -c1-16; }
before=$(sha)
SPOOL=$T/spool
mkdir -m 0777 "$SPOOL"
ln -s "$T/victim1" "$SPOOL/seg-00000000000000000001.log"
ln "$T/victim2" "$SPOOL/seg-00000000000000000002.log"
ln -s "$T/victim3" "$SPOOL/state.tmp"
ln -s "$T/victim4" "$SPOOL/deadletter.ndjson"
mkfifo "$SPOOL/state"

metric() { curl -sf "http://127.0.0.1:$HPORT/metrics" | awk -v m="$1" '$1 == m { print $2 }'; }
dead_lettered() { [ "$(metric credwatch_backend_dead_lettered_total)" -ge 1 ] 2>/dev/null; }
agent_start "$T/agent" --host-root "$ROOT" --output "$T/alerts.json" --listen "127.0.0.1:$HPORT" \
	--spool "$SPOOL" --backend "https://127.0.0.1:$BPORT/ingest" --backend-ca "$T/ca.crt" \
	--backend-flush-ms 100 --backend-retry-base-ms 50
cat "$TOKEN" >/dev/null	# a host process reads a pod's token: an alert to ship
wait_for "a dead letter (the backend refuses with 400)" 30 dead_lettered
agent_stop || fail "agent exit status $?"

[ "$(sha)" = "$before" ] || fail "a victim outside the spool changed: $(head -c 300 "$T"/victim?)"
for e in seg-00000000000000000001.log seg-00000000000000000002.log state.tmp deadletter.ndjson state; do
	[ ! -L "$SPOOL/$e" ] && [ ! -p "$SPOOL/$e" ] ||
		fail "planted $e is still a symlink or FIFO in the spool"
done
[ -f "$SPOOL/deadletter.ndjson" ] && [ "$(stat -c %h "$SPOOL/deadletter.ndjson")" = 1 ] &&
	grep -q '"status":400' "$SPOOL/deadletter.ndjson" ||
	fail "the agent did not write its own dead-letter file"
[ "$(stat -c %a "$SPOOL")" = 700 ] || fail "spool directory mode $(stat -c %a "$SPOOL"), want 700"
grep -q 'a symlink: refused' "$T/agent.stderr" || fail "no refusal logged: $(cat "$T/agent.stderr")"
echo "ok   planted symlinks, hard link and FIFO refused and removed; victims intact; own dead letters"

# A spool directory that belongs to someone else: refused, nothing started.
mkdir "$T/other"
chown 65534:65534 "$T/other"
set +e
timeout 30 "$BUILD/credwatch" --host-root "$ROOT" --output /dev/null --duration 1 \
	--spool "$T/other" --backend "https://127.0.0.1:$BPORT/ingest" --backend-ca "$T/ca.crt" \
	2>"$T/other.err"
rc=$?
set -e
[ "$rc" != 0 ] && grep -q "owned by uid 65534, not by us" "$T/other.err" ||
	fail "another user's spool directory: exit $rc, $(cat "$T/other.err")"
ln -s "$SPOOL" "$T/link"
set +e
timeout 30 "$BUILD/credwatch" --host-root "$ROOT" --output /dev/null --duration 1 \
	--spool "$T/link" --backend "https://127.0.0.1:$BPORT/ingest" --backend-ca "$T/ca.crt" \
	2>"$T/link.err"
rc=$?
set -e
[ "$rc" != 0 ] && grep -q "symlink or not a directory: refused" "$T/link.err" ||
	fail "a symlinked spool directory: exit $rc, $(cat "$T/link.err")"
echo "ok   a spool directory owned by another uid, or a symlink to one, is refused"
echo "spool symlinks: contained"
