#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The whole agent on a fixture node: the app of pod web (team-a), a real
# runc container under a private containerd (tests/lib/containerd.sh) in
# kubelet's cgroupfs layout, reads pod db's (team-b) token through a
# hostPath mount of the node's pods directory. db starts after the agent,
# the way kubelet starts it (its token on a tmpfs mounted before it is
# written, tests/lib/kubelet.sh). The read must be attributed on both sides
# - pod and container from the cgroup, the user from the container's own
# /etc/passwd (a user the host does not have), the program by its path in
# the container, not an exec session - raise exactly one Critical alert,
# reach the HTTPS backend, be in the dump (identical through
# credwatch-inspect), and move /metrics. A kubelet-like host process
# reading the same token raises nothing.
set -eu
. "$(dirname "$0")/../lib/preamble.sh"
. tests/lib/agent.sh
. tests/lib/containerd.sh	# and fixture.sh
. tests/lib/pki.sh
. tests/lib/kubelet.sh
kubelet_isolate "$@"
need_tracefs
[ -x "$BUILD/itests/watched" ] || make -s "$BUILD/itests/watched" >/dev/null

test_tmpdir pipe
BPID=
on_exit 'kubelet_cleanup "$T/root"'
on_exit ctrd_cleanup
kill_at_exit BPID
on_exit agent_stop

ROOT=$T/root
WEB=$(kubelet_uid)
DB=$(kubelet_uid)
CID=$(ctrd_cid)
fixture_pod "$ROOT" team-a web "$WEB"
fixture_container "$ROOT" team-a web "$WEB" app "$CID"
fixture_host "$ROOT"
# db's log directory exists from the start: offline, attribution re-reads
# /var/log/pods on a miss at most every 2 s (user/pods.c)
mkdir -p "$ROOT/var/log/pods/team-b_db_$DB/app"
ln -s /proc "$ROOT/proc"	# attribution reads /proc under --host-root

ctrd_start
# web's app runs as a user only its image knows
! getent passwd 4244 >/dev/null && ! getent passwd webapp >/dev/null ||
	fail "this host has uid 4244 or a user webapp: the user.name check would prove nothing"
CTRD_IMAGE_USER=4244 ctrd_busybox_image "$T/web.tar" cw.test/web:1 webapp:4244
ctrd_import "$T/web.tar" cw.test/web:1

pki_make "$T" || fail "test PKI"
BPORT=$(free_port)
HPORT=$(free_port)
python3 tests/lib/fake_backend.py --port "$BPORT" --cert "$T/srv.crt" --key "$T/srv.key" \
	--log "$T/backend.ndjson" --ready "$T/ready" &
BPID=$!
for _ in $(seq 100); do [ -s "$T/ready" ] && break; sleep 0.05; done

# the node's kubelet binary, registered by (device, inode) at start
mkdir -p "$ROOT/usr/bin"
cp /bin/cat "$ROOT/usr/bin/kubelet"
agent_start "$T/agent" --host-root "$ROOT" --cgroup-root "$(findmnt -t cgroup2 -n -o TARGET | head -n 1)" \
	--node-agent-paths /usr/bin/kubelet \
	--events "$T/events.ndjson" --output "$T/alerts.ndjson" --output-format json \
	--dump "$T/dump" --listen "127.0.0.1:$HPORT" --node-name node-1 --cluster-name test \
	--backend "https://127.0.0.1:$BPORT/ingest" --backend-ca "$T/ca.crt" \
	--spool "$T/spool" --backend-flush-ms 100

# db starts: kubelet mounts its volume's tmpfs, then writes the token inside
DB_TOKEN=$(kubelet_pod "$ROOT" team-b db "$DB")/token
"$BUILD/itests/watched" "$AGENT_PID" has "$DB_TOKEN" || fail "db's token never watched"

# the attack: web's app reads db's token through its hostPath mount of the
# node's pods directory (web starts after db: its rbind copies db's tmpfs)
ctrd_app "$CID" "$(ctrd_pod_cgroup besteffort "$WEB" "$CID")" cw.test/web:1 \
	--mount "type=bind,src=$ROOT/var/lib/kubelet/pods,dst=/host-pods,options=rbind:rprivate:ro"
ctrd_app_run "$CID" "cat /host-pods/${DB_TOKEN#"$ROOT/var/lib/kubelet/pods/"}" ||
	fail "web's app could not read db's token"
# the kubelet (the registered binary, in the host's mount namespace: that of
# the runner, outside kubelet_isolate's) reads it too, through this
# namespace's root: allowed
nsenter --mount="/proc/$PPID/ns/mnt" -- "$ROOT/usr/bin/kubelet" "/proc/$$/root$DB_TOKEN" \
	>/dev/null & KUBELET=$!
wait $KUBELET

sleep 1
curl -sf "http://127.0.0.1:$HPORT/healthz" >/dev/null || fail "/healthz"
curl -sf "http://127.0.0.1:$HPORT/readyz" >/dev/null || fail "/readyz"
curl -sf "http://127.0.0.1:$HPORT/metrics" >"$T/metrics" || fail "/metrics"
grep -q '^credwatch_events_total{syscall="openat"} [1-9]' "$T/metrics" || fail "events counter did not move"
grep -q '^credwatch_alerts_total{rule="Service account token read by another pod",priority="critical"} 1' \
	"$T/metrics" || fail "alerts counter: $(grep alerts_total "$T/metrics")"
grep -q '^credwatch_watched_credentials{kind="sa_token"} 2' "$T/metrics" || fail "watched gauge"
for _ in $(seq 50); do grep -q uuid "$T/backend.ndjson" 2>/dev/null && break; sleep 0.1; done
agent_stop || fail "agent exit status"

# reader and owner attribution on the event
python3 tests/lib/events.py "$T/events.ndjson" --where container.id="${CID:0:12}" --count 1 \
	--expect k8s.pod.name=web --expect k8s.ns.name=team-a --expect k8s.pod.uid=$WEB \
	--expect container.name=app --expect cred.owner.pod=db --expect cred.owner.ns=team-b \
	--expect cred.same_pod=false --expect cred.kind=sa_token --expect k8s.cluster.name=test \
	--expect user.uid=4244 --expect user.name=webapp --expect proc.exepath=/bin/busybox \
	--expect proc.name=cat --expect proc.is_exec_session=false \
	|| fail "thief attribution"
THIEF=$(python3 -c 'import json, sys
print([e for e in map(json.loads, open(sys.argv[1])) if e.get("container.id") == sys.argv[2]][0]["proc.pid"])' \
	"$T/events.ndjson" "${CID:0:12}")
python3 tests/lib/events.py "$T/events.ndjson" --where proc.pid=$KUBELET --count 1 \
	--expect container.id=host --expect proc.name=kubelet --expect proc.node_agent=kubelet \
	--expect proc.is_host_mntns=true || fail "kubelet event"

# exactly one alert, Critical, for the thief; none for the kubelet
python3 tests/lib/events.py "$T/alerts.ndjson" --where rule="Service account token read by another pod" \
	--count 1 --expect priority=Critical --expect source=credwatch --expect hostname=node-1 \
	|| fail "cross-pod alert"
python3 - "$T/alerts.ndjson" "$THIEF" "$KUBELET" <<'PY' || fail "alert fields"
import json, re, sys
alerts = [json.loads(l) for l in open(sys.argv[1])]
thief, kubelet = int(sys.argv[2]), int(sys.argv[3])
mine = [a for a in alerts if a["output_fields"].get("proc.pid") == thief]
assert len(mine) == 1, alerts
a = mine[0]
assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$", a["time"]), a["time"]
assert re.match(r"^[0-9a-f-]{36}$", a["uuid"]), a["uuid"]
assert "T1528" in a["tags"], a["tags"]
assert "reader=team-a/web" in a["output"] and "token_owner=team-b/db" in a["output"], a["output"]
assert not [x for x in alerts if x["output_fields"].get("proc.pid") == kubelet], alerts
PY

# the alert reached the backend, same uuid
uuid=$(python3 -c 'import json,sys; print([json.loads(l) for l in open(sys.argv[1])][0]["uuid"])' "$T/alerts.ndjson")
grep -q "$uuid" "$T/backend.ndjson" || fail "alert $uuid not delivered to the backend"

# the dump holds every event, identical through credwatch-inspect
INSPECT=$BUILD/credwatch-inspect
"$INSPECT" events --json "$T/dump" >"$T/dumped.ndjson" || fail "inspect events"
python3 - "$T/events.ndjson" "$T/dumped.ndjson" <<'PY' || fail "dump round trip"
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1]) if "credwatch.summary" not in l]
du = [json.loads(l) for l in open(sys.argv[2])]
assert len(ev) == len(du) and ev, (len(ev), len(du))
for a, b in zip(ev, du):
    assert a == b, {k: (a.get(k), b.get(k)) for k in set(a) | set(b) if a.get(k) != b.get(k)}
PY
"$INSPECT" summary "$T/dump" >"$T/summary" || fail "inspect summary"
grep -q "team-a/web" "$T/summary" || fail "summary per-pod table: $(cat "$T/summary")"
"$INSPECT" replay "$T/dump" --rules rules/credwatch_rules.yaml >"$T/replay" || fail "replay"
grep -q "Service account token read by another pod" "$T/replay" || fail "replay alert"
"$INSPECT" events "$T/dump" --filter "k8s.pod.name = web and cred.owner.pod = db" >"$T/filtered" \
	|| fail "inspect --filter"
[ "$(wc -l <"$T/filtered")" = 2 ] || fail "filter: $(cat "$T/filtered")"

# nothing anywhere carries a credential's bytes
if grep -rq CWMARKER "$T/events.ndjson" "$T/alerts.ndjson" "$T/backend.ndjson" "$T/agent.stderr" \
	"$T/spool" "$T/dumped.ndjson"; then
	fail "credential content leaked into an output"
fi
echo "pipeline ok"
