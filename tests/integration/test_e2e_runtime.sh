#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# test_e2e_runtime.sh - the real image under a real container runtime, run
# exactly as the chart's DaemonSet runs it, next to real pods.
#
# A private containerd + runc (tests/lib/containerd.sh) imports the image
# `make image` built. The chart is rendered with the real helm and its
# DaemonSet translated field by field into `ctr run` options
# (tests/lib/chart-ctr.py): every capability dropped but BPF, PERFMON and
# DAC_READ_SEARCH, read-only root filesystem, no_new_privs, containerd's
# default seccomp profile (RuntimeDefault), the chart's resource limits and
# Guaranteed-QoS cgroup, its own network namespace (no hostPID/hostNetwork),
# the rendered config file, backend token Secret and CA ConfigMap, its own
# service-account token, and every hostPath as a bind mount with the chart's
# read-only flag and propagation. Kubelet directories come from a node tree
# under a temp dir (a shared mount, as / is on a systemd node); /proc, /sys
# and the runtime's rootfs dir are the real ones. A fake API server and a
# fake HTTPS backend listen in the pod's network namespace.
#
# Then "pods": runc containers in kubelet's cgroupfs layout
# (/kubepods/besteffort/pod<uid>/<cid>), started AFTER the agent (so their
# root filesystems reach it only by mount propagation), each with
# its projected token on a tmpfs under <node>/var/lib/kubelet/pods/<uid>/
# (atomic-writer layout) bind-mounted at
# /var/run/secrets/kubernetes.io/serviceaccount, and /var/log/pods entries:
#   web    (team-a) runs as uid 4242, "podrunner" in its own /etc/passwd only
#   thief  (team-b) root, with a hostPath of <node>/var/lib/kubelet/pods
# Proves:
#   - web's app reads its own token: attributed (pod, container, user
#     podrunner from the container's passwd, a user the host does not have),
#     no alert;
#   - thief reads web's token through its hostPath: a Critical alert naming
#     both pods;
#   - `ctr task exec` into web reading the token: proc.is_exec_session;
#   - /healthz, /readyz, /metrics answer inside the agent's network namespace;
#   - the agent ran with exactly the chart's capabilities (CapBnd), every
#     thread ends with CAP_BPF|CAP_DAC_READ_SEARCH only, seccomp filtering on,
#     and alerts reached the backend through the chart's CA and token;
#   - every container read has user.name, proc.exepath, container and pod
#     (the share with user.name is printed: all of them).
# Root; loads eBPF (inside the container); about a minute.
set -eu
. "$(dirname "$0")/../lib/preamble.sh"
. tests/lib/containerd.sh
. tests/lib/pki.sh
need_tracefs

IMG=$BUILD/credwatch-image.tar
[ -s "$IMG" ] || fail "$IMG missing: run make image"
test_tmpdir e2e
NETNS=cw-e2e-$$-$(ctrd_hex 3)
PIDS=()
on_exit 'umount -l "$T/node" 2>/dev/null'
on_exit 'ip netns del "$NETNS" 2>/dev/null'
on_exit ctrd_cleanup
on_exit 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done'
in_pod_net() { ip netns exec "$NETNS" "$@"; }
wait_for() {	# DESCRIPTION SECONDS COMMAND...
	local desc=$1 secs=$2 i; shift 2
	for ((i = 0; i < secs * 5; i++)); do
		"$@" && return 0
		sleep 0.2
	done
	echo "--- agent log:" >&2; tail -n 40 "$T/agent.log" >&2 || true
	fail "timed out after ${secs}s waiting for $desc"
}

start=$SECONDS
ctrd_start
REF=ghcr.io/credwatch/credwatch:$(cat VERSION)
ctrd_import "$IMG" "$REF"
ctrd_busybox_image "$T/tool.tar" cw.test/tool:1 podrunner:4242
CTRD_IMAGE_USER=4242 ctrd_busybox_image "$T/app.tar" cw.test/app:1 podrunner:4242
ctrd_import "$T/tool.tar" cw.test/tool:1
ctrd_import "$T/app.tar" cw.test/app:1
! getent passwd 4242 >/dev/null && ! getent passwd podrunner >/dev/null ||
	fail "this host has uid 4242 or a user podrunner: the user.name check would prove nothing"

# --- the pod's network namespace, with a fake API server and backend in it ------------
ip netns add "$NETNS"
ip -n "$NETNS" link set lo up
mkdir -p "$T/pki" "$T/api"
pki_make "$T/pki" || fail "test PKI"
: >"$T/backend.ndjson"
echo '{"then":"ok"}' >"$T/control.json"
in_pod_net python3 tests/lib/fake_apiserver.py --dir "$T/api" --mode steady --port 6443 \
	--timeout 600 >"$T/api.log" 2>&1 &
PIDS+=($!)
in_pod_net python3 tests/lib/fake_backend.py --port 8443 --cert "$T/pki/srv.crt" \
	--key "$T/pki/srv.key" --log "$T/backend.ndjson" --control "$T/control.json" \
	--ready "$T/backend.ready" >"$T/backend.log" 2>&1 &
PIDS+=($!)
wait_for "the fake API server" 30 test -s "$T/api/port"
wait_for "the fake backend" 30 test -s "$T/backend.ready"

# --- the node: kubelet's directories on a shared mount ------------------------------
NODE=$T/node
mkdir -p "$NODE"
mount --bind "$NODE" "$NODE"
mount --make-rshared "$NODE"
mkdir -p "$NODE/var/lib/kubelet/pods" "$NODE/var/log/pods" "$NODE/var/log/containers" \
	"$NODE/etc/kubernetes" "$NODE/var/lib/credwatch"

# The pods' kubelet side (token tmpfs volumes, /var/log/pods) exists before the
# agent starts, as on a node where the DaemonSet's pod is (re)started among
# running pods; their containers start after it. (Token volumes mounted after
# start-up are discovery's business, not this test's.)
WEB_UID=$(ctrd_pod_uid) WEB_CID=$(ctrd_cid)
THIEF_UID=$(ctrd_pod_uid) THIEF_CID=$(ctrd_cid)
WEB_VOL=$(ctrd_node_pod "$NODE" team-a web "$WEB_UID" app "$WEB_CID")
THIEF_VOL=$(ctrd_node_pod "$NODE" team-b thief "$THIEF_UID" app "$THIEF_CID")

# --- the agent, as the DaemonSet runs it ----------------------------------------------
HELM=$(tests/lib/get-helm.sh)/helm
"$HELM" template credwatch helm/credwatch --namespace credwatch \
	--set backend.url=https://127.0.0.1:8443/ingest \
	--set backend.token.value=e2e-backend-token \
	--set-file backend.ca.pem="$T/pki/ca.crt" \
	--set config.extra.events=/var/lib/credwatch/events.ndjson \
	>"$T/rendered.yaml" || fail "helm template"
python3 tests/lib/chart-ctr.py "$T/rendered.yaml" --write-volumes "$T/volumes"
AGENT_UID=$(ctrd_pod_uid)
AGENT_CID=$(ctrd_cid)
SA=$(ctrd_node_pod "$NODE" credwatch credwatch-e2e "$AGENT_UID" credwatch "$AGENT_CID")
printf test-token >"$SA/..data/token"	# what the fake API server accepts
cp "$T/api/ca.crt" "$SA/..data/ca.crt"
printf credwatch >"$SA/..data/namespace"
# the chart's catalog.hostPaths, each from the fixture node (absent ones are
# skipped as hostPath type "" allows)
mapfile -t CATALOG_HOSTS < <(python3 -c '
import sys, yaml
for p in yaml.safe_load(open("helm/credwatch/values.yaml"))["catalog"]["hostPaths"]:
    print("--host"); print(p + "=" + sys.argv[1] + p)' "$NODE")
mapfile -t RUN < <(python3 tests/lib/chart-ctr.py "$T/rendered.yaml" --image "$REF" \
	--id "$AGENT_CID" --pod-uid "$AGENT_UID" --netns "/var/run/netns/$NETNS" \
	--volumes "$T/volumes" --sa-dir "$SA" --log-uri "file://$T/agent.log" --node-name node-1 \
	--host /var/lib/kubelet="$NODE/var/lib/kubelet" --host /var/log/pods="$NODE/var/log/pods" \
	--host /var/log/containers="$NODE/var/log/containers" \
	--host /etc/kubernetes="$NODE/etc/kubernetes" \
	--host /var/lib/credwatch="$NODE/var/lib/credwatch" \
	--host /proc=/proc --host /sys/fs/cgroup=/sys/fs/cgroup --host /sys/kernel/btf=/sys/kernel/btf \
	--host /sys/kernel/tracing=/sys/kernel/tracing \
	--host /sys/devices/virtual/dmi/id=/sys/devices/virtual/dmi/id \
	--host /run/containerd/io.containerd.runtime.v2.task="$CTRD_STATE/io.containerd.runtime.v2.task" \
	--env KUBERNETES_SERVICE_HOST=127.0.0.1 --env KUBERNETES_SERVICE_PORT=6443 \
	"${CATALOG_HOSTS[@]}" 2>"$T/chart-ctr.err") || fail "chart-ctr: $(cat "$T/chart-ctr.err")"
[ "${#RUN[@]}" -gt 10 ] || fail "chart-ctr: $(cat "$T/chart-ctr.err")"
for ((i = 0; i < ${#RUN[@]}; i++)); do
	[ "${RUN[$i]}" != --cgroup ] || ctrd_note_cgroup "${RUN[$((i + 1))]}"
done
printf '%s\n' "${RUN[@]}" >"$T/ctr-run.args"
ctrd run -d "${RUN[@]}" >/dev/null || fail "ctr run of the agent (args in $T/ctr-run.args)"
AGENT_PID=$(ctrd_task_pid "$AGENT_CID")
http() { in_pod_net curl -s -o "$T/http.out" -w '%{http_code}' --max-time 5 "http://127.0.0.1:8080$1"; }
ready() { [ "$(http /readyz)" = 200 ]; }
wait_for "the agent's /readyz (start-up under the chart's 100m CPU limit)" 150 ready
echo "ok   agent ready $((SECONDS - start))s after the test began (pid $AGENT_PID)"

metric() { http /metrics >/dev/null; awk -v m="$1" '$1 == m { print $2 }' "$T/http.out"; }
api_watching() { [ "$(metric credwatch_k8s_api_watch_up)" = 1 ]; }
wait_for "the API client's watch" 60 api_watching

# --- the pods' containers, started after the agent: their root filesystems reach
# it only by HostToContainer propagation of the runtime's rootfs dir -------------------
SAMOUNT=dst=/var/run/secrets/kubernetes.io/serviceaccount,options=rbind:rprivate:ro
# each app reads when the test writes to its FIFO: its own process, not an exec
ctrd_run "$WEB_CID" "$(ctrd_pod_cgroup besteffort "$WEB_UID" "$WEB_CID")" cw.test/app:1 \
	--mount "type=bind,src=$WEB_VOL,$SAMOUNT" -- \
	sh -c 'mkfifo /tmp/go && while :; do read x </tmp/go &&
		cat /var/run/secrets/kubernetes.io/serviceaccount/token >/dev/null; done'
ctrd_run "$THIEF_CID" "$(ctrd_pod_cgroup besteffort "$THIEF_UID" "$THIEF_CID")" cw.test/tool:1 \
	--mount "type=bind,src=$THIEF_VOL,$SAMOUNT" \
	--mount "type=bind,src=$NODE/var/lib/kubelet/pods,dst=/host-pods,options=rbind:rprivate:ro" -- \
	sh -c 'mkfifo /tmp/go && while :; do read p </tmp/go && cat "/host-pods/$p" >/dev/null; done'
poke() {	# CID LINE: write LINE into the container's FIFO (its app then reads)
	local f
	f=$(ctrd_rootfs "$1")/tmp/go
	wait_for "the FIFO of $1" 20 test -p "$f"
	timeout 20 sh -c 'echo "$2" >"$1"' _ "$f" "$2" || fail "nobody reads the FIFO of $1"
}
watched_tokens() { [ "$(awk '$1 ~ /^credwatch_watched_credentials\{kind="sa_token"\}/ { print $2 }' \
	<(http /metrics >/dev/null; cat "$T/http.out"))" = 3 ]; }
wait_for "the agent to watch the new pods' tokens (3 sa_token)" 60 watched_tokens

EVENTS=$NODE/var/lib/credwatch/events.ndjson
WEB_TOKEN_REL=${WEB_VOL#"$NODE/var/lib/kubelet/pods/"}/token
poke "$WEB_CID" go					# 1. web reads its own token
poke "$THIEF_CID" "$WEB_TOKEN_REL"			# 2. thief reads web's
ctrd_exec "$WEB_CID" --user 0 -- cat /var/run/secrets/kubernetes.io/serviceaccount/token >/dev/null	# 3. exec (root)
ctrd_exec "$WEB_CID" --user 4242 -- cat /var/run/secrets/kubernetes.io/serviceaccount/token >/dev/null
count_reads() { python3 - "$EVENTS" <<'EOF'
import json, sys
n = 0
for l in open(sys.argv[1]):
    try:
        e = json.loads(l)
    except ValueError:
        continue
    n += e.get("k8s.pod.name") in ("web", "thief")
print(n)
EOF
}
reads_seen() { [ -s "$EVENTS" ] && [ "$(count_reads)" -ge 4 ]; }
wait_for "the four reads in the events" 30 reads_seen
alerts_seen() { grep -q 'Service account token read by another pod' "$T/agent.log" &&
	grep -q 'Credential read in an exec session' "$T/agent.log"; }
wait_for "the alerts in the container log" 30 alerts_seen

# --- health, inside the pod's network namespace --------------------------------------
for path in /healthz /readyz /metrics; do
	code=$(http "$path")
	[ "$code" = 200 ] || fail "GET $path in the agent's network namespace: $code $(head -c 200 "$T/http.out")"
done
grep -q '^credwatch_bpf_programs_attached 6$' "$T/http.out" || fail "/metrics: programs attached: $(grep attached "$T/http.out")"
echo "ok   /healthz, /readyz and /metrics answer 200 inside the agent's network namespace"

# --- privileges: exactly the chart's, and less after attach, in every thread -----------
CHART_MASK=000000c000000004	# BPF | PERFMON | DAC_READ_SEARCH
KEEP_MASK=0000008000000004	# BPF | DAC_READ_SEARCH
names=""
for st in /proc/"$AGENT_PID"/task/*/status; do
	name=$(awk '/^Name:/ { print $2 }' "$st")
	names="$names $name"
	bnd=$(awk '$1 == "CapBnd:" { print $2 }' "$st")
	eff=$(awk '$1 == "CapEff:" { print $2 }' "$st")
	prm=$(awk '$1 == "CapPrm:" { print $2 }' "$st")
	[ "$bnd" = "$CHART_MASK" ] || fail "thread $name: bounding set $bnd, the chart grants $CHART_MASK"
	[ "$eff" = "$KEEP_MASK" ] && [ "$prm" = "$KEEP_MASK" ] ||
		fail "thread $name: CapEff $eff CapPrm $prm, want $KEEP_MASK"
	grep -q '^NoNewPrivs:[[:space:]]*1' "$st" || fail "thread $name: no_new_privs unset"
	grep -q '^Seccomp:[[:space:]]*2' "$st" || fail "thread $name: no seccomp filter (RuntimeDefault)"
	printf '     %-12s CapBnd %s CapPrm %s CapEff %s\n' "$name" "$bnd" "$prm" "$eff"
done
for want in cw-ship cw-k8s-api MHD-single; do
	grep -qw -- "$want" <<<"$names" || fail "no $want thread among:$names"
done
echo "ok   bounding set = the chart's capabilities; every thread ($names ) holds only $KEEP_MASK"

# --- what was seen ----------------------------------------------------------------
python3 - "$EVENTS" "$T/agent.log" "$WEB_UID" "$THIEF_UID" "$WEB_CID" "$THIEF_CID" <<'EOF' ||
import json, sys
events_path, log_path, web_uid, thief_uid, web_cid, thief_cid = sys.argv[1:]
events = []
for l in open(events_path):
    try:
        e = json.loads(l)
    except ValueError:
        continue
    if "evt.type" in e:
        events.append(e)
alerts = []
for l in open(log_path):
    l = l.strip()
    if l.startswith("{"):
        try:
            alerts.append(json.loads(l))
        except ValueError:
            pass
bad = []
def check(cond, what):
    if not cond:
        bad.append(what)
    return cond

ctr_reads = [e for e in events if e.get("container.id") not in (None, "host")]
with_user = [e for e in ctr_reads if e.get("user.name")]
print("     user.name set on %d of %d container reads (%.0f%%)"
      % (len(with_user), len(ctr_reads), 100.0 * len(with_user) / max(1, len(ctr_reads))))
for e in ctr_reads:
    missing = [f for f in ("user.name", "proc.exepath", "container.id", "k8s.pod.name")
               if not e.get(f)]
    check(not missing, "container read without %s: %s pid %s in %s" %
          (", ".join(missing), e.get("proc.name"), e.get("proc.pid"), e.get("container.id")))

web = [e for e in events if e.get("k8s.pod.uid") == web_uid]
own = [e for e in web if e.get("proc.is_exec_session") is False]
if check(own, "no event for web's own read"):
    e = own[0]
    for k, v in {"k8s.ns.name": "team-a", "k8s.pod.name": "web", "container.id": web_cid[:12],
                 "container.name": "app", "cred.kind": "sa_token", "cred.same_pod": True,
                 "user.uid": 4242, "user.name": "podrunner", "proc.exepath": "/bin/busybox",
                 "cred.owner.pod": "web"}.items():
        check(e.get(k) == v, "own read: %s = %r, want %r" % (k, e.get(k), v))
    pids = {x.get("proc.pid") for x in own}
    hits = [a for a in alerts if a.get("output_fields", {}).get("proc.pid") in pids]
    check(not hits, "web's own read alerted: %s" % [a["rule"] for a in hits])
    print("     own read: pod team-a/web container app user podrunner (container's passwd), no alert")

execs = [e for e in web if e.get("proc.is_exec_session") is True]
check(len(execs) >= 2, "exec reads marked proc.is_exec_session: %d, want 2" % len(execs))
check({e.get("user.name") for e in execs} == {"root", "podrunner"},
      "exec users %s, want root and podrunner" % {e.get("user.name") for e in execs})
if execs:
    print("     ctr task exec reads: proc.is_exec_session=true, users %s" % sorted({e.get("user.name") for e in execs}))

theft = [e for e in events if e.get("k8s.pod.uid") == thief_uid]
check(theft and theft[0].get("cred.owner.pod") == "web" and theft[0].get("cred.same_pod") is False,
      "thief's read: %s" % (theft[:1],))
crit = [a for a in alerts if a.get("rule") == "Service account token read by another pod"]
if check(crit, "no cross-pod alert"):
    a = crit[0]
    f = a["output_fields"]
    check(a["priority"] == "Critical", "cross-pod alert priority %s" % a["priority"])
    check(f.get("k8s.pod.name") == "thief" and f.get("k8s.ns.name") == "team-b" and
          f.get("cred.owner.pod") == "web" and f.get("cred.owner.ns") == "team-a",
          "cross-pod alert does not name both pods: %s" % f)
    check("team-b/thief" in a["output"] and "team-a/web" in a["output"],
          "cross-pod output: %s" % a["output"])
    print("     cross-pod read: Critical, reader team-b/thief, token owner team-a/web")
for b in bad:
    print("FAIL " + b)
sys.exit(1 if bad else 0)
EOF
	fail "events and alerts (above; events in $EVENTS)"

# alerts left the node through the chart's CA ConfigMap and token Secret
delivered() { grep -q 'e2e-backend-token' "$T/backend.ndjson" 2>/dev/null &&
	grep -q 'Service account token read by another pod' "$T/backend.ndjson"; }
wait_for "the cross-pod alert at the backend" 30 delivered
echo "ok   alerts delivered to the backend (HTTPS, the chart's CA and token)"

# --- nothing needed more than the chart grants ----------------------------------------
if grep -E 'credwatch: (error|warning):' "$T/agent.log" | grep -v 'k8s: .*HTTP 503' >"$T/complaints"; then
	cat "$T/complaints" >&2
	fail "the agent complained (above): something needs more than the chart grants"
fi
ctrd task kill -s SIGTERM "$AGENT_CID" >/dev/null
stopped() { [ "$(ctrd task ls | awk -v c="$AGENT_CID" '$1 == c { print $3 }')" = STOPPED ]; }
wait_for "the agent to stop on SIGTERM" 30 stopped
grep -q 'backend: delivery summary' "$T/agent.log" || fail "no delivery summary after SIGTERM"
echo "ok   SIGTERM: flushed and stopped; no warning or error in the agent's log"
echo "e2e runtime ok ($((SECONDS - start))s)"
