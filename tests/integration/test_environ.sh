#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# /proc/<pid>/environ reads are credential accesses (real eBPF, as root).
# Pod web (a kubelet-named cgroup, its pod in the fixture tree) reads the
# environment of a process in pod db - through /proc/<pid>/environ,
# /proc/<pid>/task/<tid>/environ, a directory fd, openat2 and io_uring -
# and of a host process and of a process of its own pod. Asserted:
#  - each cross read is one event: cred.kind environ, fd.name the path as
#    the reader's mount namespace names it, evt.type the way it was opened,
#    cred.owner.pid the process read, the reader's pod and the owner's pod
#    (namespace, name, uid), cred.same_pod false; each is alerted by the
#    default rule "Environment of another pod or the host read from a container";
#  - reading a process of its own pod is an event (same_pod true), no alert;
#  - a process reading its own environment (/proc/self/environ, its
#    /proc/<pid>/task/<tid>/environ) is no event at all;
#  - the variables' values appear nowhere: events, alerts, the dump (as
#    credwatch-inspect decodes it), the agent's stderr;
#  - with the API server (tests/lib/fake_apiserver.py --mode owners), the
#    owner's service account is cred.owner.sa, the reader's k8s.pod.sa.
set -eu
. "$(dirname "$0")/../lib/preamble.sh"
. tests/lib/fixture.sh
. tests/lib/agent.sh
. tests/lib/cgroup.sh
need_tracefs
[ -x "$BUILD/itests/opener" ] || make -s "$BUILD/itests/opener" >/dev/null

test_tmpdir environ
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	agent_stop >/dev/null 2>&1 || true
	cg_cleanup
}
on_exit cleanup

R=$(printf '%04x' $((RANDOM)))
UID_WEB=$(printf 'eeeeeeee-%s-4000-8000-%012x' "$R" $$)
UID_DB=$(printf 'dddddddd-%s-4000-8000-%012x' "$R" $$)
CID_WEB=$(printf 'e%s%059x' "$R" $$)
CID_DB=$(printf 'd%s%059x' "$R" $$)
ROOT=$T/root
fixture_pod "$ROOT" shop "web-$R" "$UID_WEB"
fixture_pod "$ROOT" data "db-$R" "$UID_DB"
fixture_container "$ROOT" shop "web-$R" "$UID_WEB" app "$CID_WEB"
fixture_container "$ROOT" data "db-$R" "$UID_DB" app "$CID_DB"
CG_WEB=$(cg_pod_systemd "$UID_WEB" besteffort "$CID_WEB") || fail "cannot create pod web's cgroup"
CG_DB=$(cg_pod_systemd "$UID_DB" besteffort "$CID_DB") || fail "cannot create pod db's cgroup"

# the values that must never leave the kernel
DB_SECRET="dbpw-$(fixture_marker)"
HOST_SECRET="hostkey-$(fixture_marker)"
WEB_SECRET="webtok-$(fixture_marker)"

started() {	# PID COMM: PID has exec'ed COMM
	for _ in $(seq 200); do
		[ "$(cat "/proc/$1/comm" 2>/dev/null)" = "$2" ] && return 0
		sleep 0.05
	done
	fail "process $1 did not become $2"
}
(cg_run "$CG_DB" env -i "DB_PASSWORD=$DB_SECRET" sleep 300) &
DB=$!; PIDS+=("$DB")
env -i "HOST_KEY=$HOST_SECRET" sleep 300 &
HOST=$!; PIDS+=("$HOST")
(cg_run "$CG_WEB" env -i "WEB_TOKEN=$WEB_SECRET" sleep 300) &
PEER=$!; PIDS+=("$PEER")
started "$DB" sleep; started "$HOST" sleep; started "$PEER" sleep

agent_start "$T/agent" --host-root "$ROOT" --cgroup-root "$(cg_root)" \
	--events "$T/events.ndjson" --output "$T/alerts.ndjson" --output-format json \
	--dump "$T/dump" || fail "agent start"

# web_read MODE PATH LABEL: one open from pod web's cgroup; its JSON, labelled
: >"$T/reads"
web_read() {
	local out
	out=$(cg_run "$CG_WEB" env -i "WEB_TOKEN=$WEB_SECRET" "$BUILD/itests/opener" "$1" "$2") ||
		fail "web's $1 of $2"
	echo "{\"label\":\"$3\",\"mode\":\"$1\",\"path\":\"$2\",\"r\":$out}" >>"$T/reads"
}
web_read openat "/proc/$DB/environ" db
web_read openat "/proc/$DB/task/$DB/environ" db
web_read dirat "/proc/$DB/environ" db
web_read openat2 "/proc/$DB/task/$DB/environ" db
web_read uring "/proc/$DB/environ" db
web_read uring2 "/proc/$DB/environ" db
web_read openat "/proc/$HOST/environ" host
web_read openat "/proc/$PEER/environ" peer
web_read openat /proc/self/environ self
web_read openat /proc/thread-self/environ self
web_read dirat /proc/self/environ self
# a marker read after all of them: once its event is out, every earlier one is
web_read openat "$(fixture_token_path "$ROOT" "$UID_WEB")" marker
python3 - "$T" <<'EOF' || fail "waiting for the marker event"
import json, sys, time
T = sys.argv[1]
marker = [json.loads(l) for l in open(T + "/reads") if '"marker"' in l][0]["r"]["pid"]
for _ in range(300):
    try:
        if any(json.loads(l).get("proc.pid") == marker for l in open(T + "/events.ndjson")):
            sys.exit(0)
    except (FileNotFoundError, ValueError):
        pass
    time.sleep(0.1)
sys.exit(1)
EOF
sleep 0.5			# the alerts of the same events
agent_stop || fail "agent exit status $?"
"$BUILD/credwatch-inspect" events "$T/dump" --json >"$T/dump.ndjson" || fail "credwatch-inspect"

python3 - "$T" "$DB" "$HOST" "$PEER" "$UID_WEB" "$UID_DB" "web-$R" "db-$R" <<'EOF' || fail "environ events (above)"
import json, sys
T, db, host, peer, uid_web, uid_db, web_pod, db_pod = sys.argv[1:9]
db, host, peer = int(db), int(host), int(peer)
RULE = "Environment of another pod or the host read from a container"
reads = [json.loads(l) for l in open(T + "/reads")]
events = [e for e in map(json.loads, open(T + "/events.ndjson")) if "proc.pid" in e]
alerts = [json.loads(l) for l in open(T + "/alerts.ndjson")]
dumped = [e for e in map(json.loads, open(T + "/dump.ndjson")) if "proc.pid" in e]
bad = []
def check(r, k, v, e):
    if e.get(k) != v:
        bad.append("%s %s %s: %s is %r, expected %r" % (r["label"], r["mode"], r["path"], k, e.get(k), v))
etype = {"openat": "openat", "dirat": "openat", "openat2": "openat2",
         "uring": "io_uring_openat", "uring2": "io_uring_openat2"}
for r in reads:
    pid = r["r"]["pid"]
    mine = [e for e in events if e["proc.pid"] == pid]
    fired = [a for a in alerts if a["rule"] == RULE and a["output_fields"].get("proc.pid") == pid]
    if r["label"] == "marker":
        continue
    if r["label"] == "self":
        if mine:
            bad.append("own environment %s %s: %d events" % (r["mode"], r["path"], len(mine)))
        continue
    if len(mine) != 1:
        bad.append("%s %s %s: %d events" % (r["label"], r["mode"], r["path"], len(mine)))
        continue
    e = mine[0]
    owner = {"db": db, "host": host, "peer": peer}[r["label"]]
    for k, v in (("cred.kind", "environ"), ("fd.name", r["path"]), ("fd.ino", r["r"]["ino"]),
                 ("evt.res", r["r"]["fd"]), ("evt.type", etype[r["mode"]]),
                 ("cred.owner.pid", owner), ("k8s.pod.uid", uid_web), ("k8s.pod.name", web_pod),
                 ("k8s.ns.name", "shop"), ("cred.path", None), ("evt.count", 1)):
        check(r, k, v, e)
    if r["label"] == "db":
        for k, v in (("cred.owner.ns", "data"), ("cred.owner.pod", db_pod),
                     ("cred.same_pod", False)):
            check(r, k, v, e)
    elif r["label"] == "host":
        for k, v in (("cred.owner.pod", None), ("cred.same_pod", False)):
            check(r, k, v, e)
    else:
        for k, v in (("cred.owner.pod", web_pod), ("cred.same_pod", True)):
            check(r, k, v, e)
    if (r["label"] != "peer") != (len(fired) == 1):
        bad.append("%s %s %s: %d alerts of the environ rule" % (r["label"], r["mode"], r["path"], len(fired)))
    if r["label"] == "peer" and [a for a in alerts if a["output_fields"].get("proc.pid") == pid]:
        bad.append("own pod's environment read: alerted")
    if len([d for d in dumped if d["proc.pid"] == pid and d.get("cred.kind") == "environ"]) != 1:
        bad.append("%s %s %s: not in the dump" % (r["label"], r["mode"], r["path"]))
print("environ: %d reads, %d events, %d alerts" % (len(reads), len(events), len(alerts)))
for b in bad:
    print("FAIL: " + b)
sys.exit(1 if bad else 0)
EOF

# no value anywhere: events, alerts, the decoded dump, the agent's log
for s in "$DB_SECRET" "$HOST_SECRET" "$WEB_SECRET"; do
	if grep -rlF "$s" "$T/events.ndjson" "$T/alerts.ndjson" "$T/dump.ndjson" "$T/agent.stderr" \
		"$T/dump"; then
		fail "a variable's value left the kernel"
	fi
done
# Whose environment it was, from the API server: the owner's service account
# (cred.owner.sa) next to the reader's (k8s.pod.sa). Pods A and C of
# tests/lib/fake_apiserver.py --mode owners, no fixture pods: namespace and
# name come from the API too. Distinct accounts, so taking the reader's for
# the owner's fails.
APORT=$(free_port)
HPORT=$(free_port)
mkdir -p "$T/api" "$T/empty-root"
python3 tests/lib/fake_apiserver.py --dir "$T/api" --mode owners --port "$APORT" --timeout 120 &
PIDS+=("$!")
for _ in $(seq 300); do [ -s "$T/api/port" ] && break; sleep 0.1; done
[ -s "$T/api/port" ] || fail "the fake API server did not start"
fake_api_kubeconfig "$T/kubeconfig" "$APORT" "$T/api/ca.crt"
UID_A=11111111-2222-3333-4444-555555555555	# fake_apiserver.py's pods A and C
UID_C=33333333-2222-3333-4444-555555555555
CG_A=$(cg_pod_systemd "$UID_A" besteffort "$(printf 'a%.0s' $(seq 64))") || fail "pod A's cgroup"
CG_C=$(cg_pod_systemd "$UID_C" besteffort "$(printf 'c%.0s' $(seq 64))") || fail "pod C's cgroup"
(cg_run "$CG_C" env -i "C_PASSWORD=$DB_SECRET" sleep 300) &
OWNER=$!; PIDS+=("$OWNER")
started "$OWNER" sleep
agent_start "$T/agent2" --host-root "$T/empty-root" --cgroup-root "$(cg_root)" \
	--events "$T/events2.ndjson" --output "$T/alerts2.ndjson" --listen "127.0.0.1:$HPORT" \
	--kubeconfig "$T/kubeconfig" --node-name node-1 || fail "agent start (API server)"
for _ in $(seq 300); do
	[ "$(curl -sf "http://127.0.0.1:$HPORT/metrics" |
		awk '$1 == "credwatch_k8s_api_watch_up" { print $2 }')" = 1 ] && break
	sleep 0.1
done
out=$(cg_run "$CG_A" "$BUILD/itests/opener" openat "/proc/$OWNER/environ") ||
	fail "pod A's read of /proc/$OWNER/environ"
reader=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["pid"])' "$out")
for _ in $(seq 300); do
	grep -q "\"proc.pid\":$reader[,}]" "$T/events2.ndjson" 2>/dev/null && break
	sleep 0.1
done
agent_stop || fail "agent (API server) exit status $?"
python3 - "$T/events2.ndjson" "$reader" "$OWNER" <<'EOF' || fail "the owner's service account (above)"
import json, sys
path, reader, owner = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
mine = [e for e in map(json.loads, open(path)) if e.get("proc.pid") == reader]
if len(mine) != 1:
    sys.exit("FAIL: %d events of pod A's read of the owner's environment" % len(mine))
e = mine[0]
want = {"cred.kind": "environ", "cred.owner.pid": owner, "cred.owner.sa": "sa-owner",
        "cred.owner.ns": "team-c", "cred.owner.pod": "pod-c", "k8s.pod.sa": "sa-reader",
        "k8s.ns.name": "team-a", "k8s.pod.name": "pod-a", "cred.same_pod": False}
bad = ["%s is %r, expected %r" % (k, e.get(k), v) for k, v in want.items() if e.get(k) != v]
for b in bad:
    print("FAIL: " + b)
print("environ owner from the API server: sa %s, read by sa %s" % (e.get("cred.owner.sa"), e.get("k8s.pod.sa")))
sys.exit(1 if bad else 0)
EOF
! grep -qF "$DB_SECRET" "$T/events2.ndjson" "$T/agent2.stderr" || fail "a variable's value left the kernel"
echo "test_environ: all scenarios passed"
