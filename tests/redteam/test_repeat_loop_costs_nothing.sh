#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Attack: fill the ring buffer from one process. A single process opens a
# watched token a million times in a loop - what a flooding attacker's
# cheapest loop is, and what a legitimate client re-reading its token a
# thousand times a second looks like. Each open used to be a 1.7 KB event.
#
# Defence: repeat aggregation in the kernel (--repeat-window-ms). The first
# open is a full event; the repeats of the same process, credential, mode
# and syscall only bump a counter in the kernel's repeat map, and the agent
# delivers the count as evt.count of aggregated records with the first
# event's attribution.
#
# Asserted, from the kernel's own counters and the agent's records:
# evt.count over the process's records sums to exactly the number of opens
# it made; the kernel wrote a handful of events to the ring buffer, not a
# million (ring-buffer bytes under 1% of one event per open); every repeat
# the kernel counted was delivered, none lost; nothing was dropped or
# refused.
#
# To watch it fail: REDTEAM_DEFENCE_OFF=1 starts the agent with
# --repeat-window-ms 0 (every open an event again): a million events,
# ring-buffer drops.
set -eu
. "$(dirname "$0")/../lib/preamble.sh"	# repository root, BUILD, free_port, fail, ...
. tests/lib/fixture.sh
. tests/lib/agent.sh
need_tracefs
[ -x "$BUILD/itests/flooder" ] || make -s "$BUILD/itests/flooder" >/dev/null

OFF=()
[ -z "${REDTEAM_DEFENCE_OFF:-}" ] || OFF=(--repeat-window-ms 0)
test_tmpdir repeat
cleanup() {
	agent_stop >/dev/null 2>&1 || true
}
on_exit cleanup

ROOT=$T/root
UID1=$(printf 'dddddddd-%04x-4000-8000-%012x' $((RANDOM)) $$)
fixture_pod "$ROOT" team-a web "$UID1"
TOKEN=$(fixture_token_path "$ROOT" "$UID1")
N=${CW_REPEAT_OPENS:-1000000}

agent_start "$T/agent" --host-root "$ROOT" --events "$T/events.ndjson" --output /dev/null \
	"${OFF[@]}"
out=$("$BUILD/itests/flooder" repeat "$N" "$TOKEN") || fail "the loop"
sleep 1.5			# the last aggregated record
agent_stop || fail "agent exit status"

python3 - "$T/events.ndjson" "$out" "$N" <<'PY' || fail "the repeat loop was not folded exactly"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
loop, n = json.loads(sys.argv[2]), int(sys.argv[3])
s = [r["credwatch.summary"] for r in rows if "credwatch.summary" in r][0]
mine = [r for r in rows if r.get("proc.pid") == loop["pid"]]
total = sum(r["evt.count"] for r in mine)
one_event = s["kernel.ringbuf_bytes"] / max(s["kernel.ringbuf_events"], 1)
print("loop: %d opens -> %d records (1 full, %d aggregated), evt.count sum %d; kernel: %d "
      "events, %d bytes in the ring buffer (%.4f%% of %d opens x %.0f bytes), %d repeats counted, "
      "%d delivered, %d lost, %d dropped" % (
      loop["opens"], len(mine), len(mine) - 1, total,
      s["kernel.ringbuf_events"], s["kernel.ringbuf_bytes"],
      100.0 * s["kernel.ringbuf_bytes"] / (n * one_event), n, one_event, s["repeats"],
      s["repeats.delivered"], s["repeats.lost"], s["kernel_drops"]))
assert loop["opens"] == n, loop
assert total == n, ("evt.count sums to", total, "not", n)
# the full event comes first (its record is written before any aggregated one)
assert mine and mine[0]["evt.count"] == 1, "the first record is the full event"
assert len(mine) <= 20, ("records", len(mine))
assert s["repeats"] == n - 1 == s["repeats.delivered"] and s["repeats.lost"] == 0, s
assert s["kernel_drops"] == 0, s
assert s["kernel.ringbuf_events"] == 1, s
assert s["kernel.ringbuf_bytes"] < 0.01 * n * one_event, s
assert s["opens"] == n and s["aggregated_records"] == len(mine) - 1, s
PY
echo "a repeat loop costs the ring buffer one event: ok"
