#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Attack: hide one environment theft in a scan of every process's. A
# process in attacker pod web, renamed "scsi_id" (a name upstream Falco's
# environ rule allows), reads /proc/<pid>/environ of 150 processes of a
# decoy pod over and over, and, in the middle of the third round, of the
# database process of pod db. Were each environ file its own key, the
# decoys would be 150 distinct "first reads" (each admitted over the
# per-cgroup budget) and 150 alerts from one reader for one rule: past the
# alert limiter's burst (--alert-burst 50) the db read's alert is
# suppressed into a count, and the theft hides among the decoys.
#
# Defence: the kernel keys environ reads by whose environment it is (the
# owner's cgroup: agg in handle_open, bpf/credwatch.bpf.c; repeats_key in
# user/repeats.c agrees), so the scan is one event per pod read plus a
# count; the default rule's exceptions never look at the reader's name.
#
# Asserted: the db read is an event naming pods web and db and an alert
# by "Environment of another pod or the host read from a container"; the
# scanner's full events are at most one per pod read (decoy, db) and their
# evt.count adds up to every open it made; proc.name is the chosen name,
# proc.exepath the real program.
#
# To watch it fail: key environ reads by inode - in handle_open replace
# "agg.ino = owner.cgroup_id; agg.dev = CW_ENVIRON_DEV;" with "agg = key;"
# (and drop the CW_EVF_ENVIRON branch of repeats_key) and rebuild: the
# scanner sends 150+ full events and the db read's alert is suppressed.
set -eu
. "$(dirname "$0")/../lib/preamble.sh"
. tests/lib/fixture.sh
. tests/lib/agent.sh
. tests/lib/cgroup.sh
need_tracefs

test_tmpdir envscan
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill -- -"$p" 2>/dev/null || kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	agent_stop >/dev/null 2>&1 || true
	cg_cleanup
}
on_exit cleanup

R=$(printf '%04x' $((RANDOM)))
UID_WEB=$(printf 'eeeeeeee-%s-4000-8000-%012x' "$R" $$)
UID_DB=$(printf 'dddddddd-%s-4000-8000-%012x' "$R" $$)
UID_NOISE=$(printf '99999999-%s-4000-8000-%012x' "$R" $$)
CID_WEB=$(printf 'e%s%059x' "$R" $$)
CID_DB=$(printf 'd%s%059x' "$R" $$)
CID_NOISE=$(printf '9%s%059x' "$R" $$)
ROOT=$T/root
fixture_pod "$ROOT" shop "web-$R" "$UID_WEB"
fixture_pod "$ROOT" data "db-$R" "$UID_DB"
fixture_pod "$ROOT" noise "decoy-$R" "$UID_NOISE"
CG_WEB=$(cg_pod_systemd "$UID_WEB" besteffort "$CID_WEB") || fail "cannot create pod web's cgroup"
CG_DB=$(cg_pod_systemd "$UID_DB" besteffort "$CID_DB") || fail "cannot create pod db's cgroup"
CG_NOISE=$(cg_pod_systemd "$UID_NOISE" besteffort "$CID_NOISE") ||
	fail "cannot create the decoy pod's cgroup"

(cg_run "$CG_DB" env -i DB_PASSWORD=x sleep 300) &
DB=$!; PIDS+=("$DB")
# 150 decoys: one shell in the decoy pod's cgroup, its own process group
setsid bash -c 'echo $$ >"$0/cgroup.procs"; for _ in $(seq 150); do sleep 300 & done; wait' \
	"$CG_NOISE" &
PIDS+=($!)
for _ in $(seq 200); do
	[ "$(grep -c . "$CG_NOISE/cgroup.procs")" -ge 151 ] &&
		[ "$(cat "/proc/$DB/comm" 2>/dev/null)" = sleep ] && break
	sleep 0.05
done
grep -v "^$(cat "$CG_NOISE/cgroup.procs" | head -1)\$" "$CG_NOISE/cgroup.procs" | head -150 \
	>"$T/decoys"
[ "$(grep -c . "$T/decoys")" = 150 ] || fail "decoys: $(grep -c . "$T/decoys") of 150"

agent_start "$T/agent" --host-root "$ROOT" --cgroup-root "$(cg_root)" \
	--events "$T/events.ndjson" --output "$T/alerts.ndjson" --output-format json ||
	fail "agent start"

cat >"$T/scan.py" <<'EOF'
import ctypes, json, os, sys
decoys = [int(l) for l in open(sys.argv[1])]
db = int(sys.argv[2])
ctypes.CDLL(None).prctl(15, b"scsi_id", 0, 0, 0)	# PR_SET_NAME
opens = 0
def read(pid):
    global opens
    with open("/proc/%d/environ" % pid, "rb") as f:
        f.read()
    opens += 1
for rnd in range(5):
    for i, pid in enumerate(decoys):
        if rnd == 2 and i == 100:
            read(db)
        read(pid)
print(json.dumps({"pid": os.getpid(), "opens": opens}))
EOF
(cg_run "$CG_WEB" python3 "$T/scan.py" "$T/decoys" "$DB" >"$T/scan.json") || fail "the scan"
sleep 2				# past the repeat window: the counts are delivered
agent_stop || fail "agent exit status $?"

python3 - "$T" "$DB" "web-$R" "db-$R" "decoy-$R" <<'EOF' || fail "the scan hid the theft (above)"
import json, sys
T, db, web_pod, db_pod, decoy_pod = sys.argv[1:6]
db = int(db)
RULE = "Environment of another pod or the host read from a container"
scan = json.load(open(T + "/scan.json"))
rows = [json.loads(l) for l in open(T + "/events.ndjson")]
mine = [r for r in rows if r.get("proc.pid") == scan["pid"]]
alerts = [json.loads(l) for l in open(T + "/alerts.ndjson")]
bad = []
full = [r for r in mine if r.get("evt.count") == 1]
theft = [r for r in mine if r.get("cred.owner.pid") == db]
if len(theft) != 1:
    bad.append("the db read: %d events" % len(theft))
else:
    e = theft[0]
    for k, v in (("cred.kind", "environ"), ("fd.name", "/proc/%d/environ" % db),
                 ("k8s.pod.name", web_pod), ("cred.owner.pod", db_pod), ("cred.owner.ns", "data"),
                 ("cred.same_pod", False), ("proc.name", "scsi_id")):
        if e.get(k) != v:
            bad.append("the db read: %s is %r, expected %r" % (k, e.get(k), v))
    if not (e.get("proc.exepath") or "").split("/")[-1].startswith("python3"):
        bad.append("the db read: proc.exepath %r" % e.get("proc.exepath"))
if not [a for a in alerts if a["rule"] == RULE and a["output_fields"].get("proc.pid") == scan["pid"]
        and a["output_fields"].get("cred.owner.pod") == db_pod]:
    bad.append("no alert for the db read")
owners = {r.get("cred.owner.pod") for r in full}
if len(full) > 2 or owners != {db_pod, decoy_pod}:
    bad.append("%d full events from the scanner, owners %s: expected one per pod read" %
               (len(full), sorted(o or "-" for o in owners)))
counted = sum(r.get("evt.count", 1) for r in mine)
if counted != scan["opens"]:
    bad.append("evt.count adds up to %d of the scanner's %d opens" % (counted, scan["opens"]))
print("scan: %d opens, %d full events, %d records, evt.count total %d, %d alerts" %
      (scan["opens"], len(full), len(mine), counted, len(alerts)))
for b in bad:
    print("FAIL: " + b)
sys.exit(1 if bad else 0)
EOF
echo "an environ scan hides no theft: ok"
