#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Resource bounds of the real agent under load (docs/limits.md):
#  - event storm: one process opens a watched token as fast as it can with a
#    4 KiB ring buffer, repeat aggregation and the per-cgroup budget off (so
#    every open is a full event that must fit the ring); every open is
#    accounted for exactly (events written + kernel drops reported = opens
#    performed) and the agent's peak RSS stays bounded (the same storm with
#    both on: tests/redteam/test_repeat_loop_costs_nothing.sh);
#  - pod churn: thousands of pod directories created and deleted while the
#    agent runs; the credential table (watched gauge) returns to its baseline
#    and peak RSS stays bounded.
# Bounds are generous (measured values are far below); nothing is timed.
set -eu
cd "$(dirname "$0")/../.."
. tests/lib/fixture.sh
. tests/lib/agent.sh
. tests/lib/pki.sh
tests/lib/mount-tracefs.sh
[ -x "$BUILD/itests/hostile" ] || make -s "$BUILD/itests/hostile" >/dev/null

T=$(mktemp -d /tmp/cw-bounds.XXXXXX)
cleanup() {
	agent_stop || true
	[ -n "${KEEP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT
RSS_MAX_KB=$((200 * 1024))
# Under ASan (make sanitize, make test's last stage) shadow memory and
# redzones add to the footprint, and freed memory waits in a quarantine of
# 256 MB by default: keep 16 MB of it here and double the bound, which
# still catches growth.
if [ -n "${CW_SANITIZER:-}" ]; then
	RSS_MAX_KB=$((RSS_MAX_KB * 2))
	export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=16"
fi

hwm_kb() { awk '/^VmHWM:/ { print $2 }' "/proc/$1/status"; }
watched() {	# sum of the watched-credentials gauge
	curl -sf "http://127.0.0.1:$HPORT/metrics" |
		awk '/^credwatch_watched_credentials\{/ { n += $2 } END { print n + 0 }'
}

ROOT=$T/root
UID1=5707e000-0000-4000-8000-000000000001
fixture_pod "$ROOT" team-a web "$UID1"
fixture_host "$ROOT"
TOKEN=$(fixture_token_path "$ROOT" "$UID1")

echo "--- event storm with a 4 KiB ring buffer"
agent_start "$T/storm" --host-root "$ROOT" --events "$T/storm.ndjson" --output /dev/null \
	--ringbuf-bytes 4096 --alert-rate 0 --repeat-window-ms 0 --cgroup-budget off
out=$("$BUILD/itests/hostile" --storm 3 "$TOKEN") || fail "storm opener"
OPENS=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["opens"])' "$out")
SPID=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["pid"])' "$out")
sleep 0.5
HWM=$(hwm_kb "$AGENT_PID")
agent_stop || fail "agent exit status"
python3 - "$T/storm.ndjson" "$OPENS" "$SPID" <<'PY' || fail "storm accounting"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
opens, pid = int(sys.argv[2]), int(sys.argv[3])
summ = [r["credwatch.summary"] for r in rows if "credwatch.summary" in r]
assert len(summ) == 1, summ
s = summ[0]
seen = sum(1 for r in rows if r.get("proc.pid") == pid)
assert seen == len(rows) - 1, "only the storm opened the token"
assert s["events"] == seen, (s, seen)
assert s["kernel_drops"] == s["kernel_drops.ringbuf"] + s["kernel_drops.scratch"] + s["kernel_drops.fd_lookup"] + s["kernel_drops.throttled"] + s["kernel_drops.reserve"], s
assert s["kernel_drops.throttled"] == s["kernel_drops.reserve"] == s["repeats"] == 0, s
assert s["kernel_drops.ringbuf"] > 0, ("a 4 KiB ring buffer must overflow", s, opens)
assert seen + s["kernel_drops"] == opens, ("unaccounted opens", opens, seen, s)
print("storm: %d opens = %d events + %d kernel drops" % (opens, seen, s["kernel_drops"]))
PY
grep -q 'events lost in the kernel so far (ring buffer full [1-9]' "$T/storm.stderr" \
	|| fail "ring buffer drops not logged: $(tail -3 "$T/storm.stderr")"
echo "storm: agent VmHWM ${HWM} kB"
[ "$HWM" -lt "$RSS_MAX_KB" ] || fail "storm: VmHWM $HWM kB over $RSS_MAX_KB kB"

echo "--- pod churn"
HPORT=$(free_port)
agent_start "$T/churn" --host-root "$ROOT" --output /dev/null --listen "127.0.0.1:$HPORT"
BASE=$(watched)
[ "$BASE" -ge 6 ] || fail "baseline watched $BASE"
# 1500 pods appear: the table grows (the gauge refreshes once a second, so
# wait for it), then they all go at once
python3 tests/lib/podchurn.py "$ROOT" 0 1500 >"$T/uids" || fail "podchurn create"
PEAK=$BASE
for _ in $(seq 150); do
	n=$(watched); [ "$n" -gt "$PEAK" ] && PEAK=$n
	[ "$PEAK" -ge $((BASE + 1500)) ] && break
	sleep 0.2
done
(cd "$ROOT/var/lib/kubelet/pods" && xargs rm -rf <"$T/uids") || fail "podchurn delete"
python3 tests/lib/podchurn.py "$ROOT" 3 1000 >/dev/null || fail "podchurn rounds"
for _ in $(seq 150); do [ "$(watched)" = "$BASE" ] && break; sleep 0.2; done
AFTER=$(watched)
HWM=$(hwm_kb "$AGENT_PID")
kill -0 "$AGENT_PID" || fail "agent died during churn"
# still working: a read of the remaining token is seen
cat "$TOKEN" >/dev/null
sleep 0.3
agent_stop || fail "agent exit status"
echo "churn: watched baseline $BASE, peak $PEAK, after $AFTER; agent VmHWM ${HWM} kB"
[ "$PEAK" -gt "$BASE" ] || fail "churn: pods never discovered (peak $PEAK)"
[ "$AFTER" = "$BASE" ] || fail "churn: watched $AFTER, baseline $BASE"
[ "$HWM" -lt "$RSS_MAX_KB" ] || fail "churn: VmHWM $HWM kB over $RSS_MAX_KB kB"
grep -q 'error' "$T/churn.stderr" && fail "errors during churn: $(grep error "$T/churn.stderr" | head -3)"
echo "bounds ok"
