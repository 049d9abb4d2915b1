#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Attack: a pod mounts a ConfigMap-like volume with 20,000 keys and a
# projected volume with 70,000 keys (a projected volume may carry ConfigMap
# and downwardAPI keys; on the node they look like Secret keys), hoping
# discovery fills the kernel's watched map with them, so that other pods'
# service-account tokens - those of pods started after the flood above all -
# are not watched: their theft would be silent.
# Real agent, real eBPF, pods made as kubelet makes them (tests/lib/kubelet.sh:
# a tmpfs mounted on each volume, the atomic writer inside); the map is made
# small enough (--max-watched 16384) that the flood could fill it.
# Must hold: the watched set stays small, every other pod's token (three
# before the flood, three after) is in the map and a read of it is an event,
# and the refusal is reported (log line naming the pod, metric).
# Defences: kubernetes.io~configmap volumes are never candidates; a pod's
# files are bounded (--max-watched-per-pod, service-account tokens first,
# user/watch.c collect_volume); the last --token-reserve places of the map
# are for service-account tokens (user/watch.c add_entry). To watch it fail:
# REDTEAM_DEFENCE_OFF=1 runs the agent with --max-watched-per-pod 0
# --token-reserve 0: the map fills and the tokens of the pods started after
# the flood are not watched.
set -eu
. "$(dirname "$0")/../lib/preamble.sh"	# repository root, BUILD, free_port, fail, ...
. tests/lib/fixture.sh
. tests/lib/agent.sh
. tests/lib/kubelet.sh
kubelet_isolate "$@"
need_tracefs
[ -x "$BUILD/itests/watched" ] || make -s "$BUILD/itests/watched" >/dev/null
WATCHED=$BUILD/itests/watched

test_tmpdir rt-cmflood
ROOT=$T/node
cleanup() {
	set +e
	agent_stop
	kubelet_cleanup "$ROOT"
}
on_exit cleanup
mkdir -p "$ROOT/var/lib/kubelet/pods" "$ROOT/var/log/pods"

DEFENCE=()
[ -z "${REDTEAM_DEFENCE_OFF:-}" ] || DEFENCE=(--max-watched-per-pod 0 --token-reserve 0)
HPORT=$(free_port)
agent_start "$T/agent" --host-root "$ROOT" --max-watched 16384 --events "$T/events.ndjson" \
	--output "$T/alerts.json" --listen "127.0.0.1:$HPORT" "${DEFENCE[@]}"

TOKENS=()
new_pod() {	# new_pod NAME: a pod with a projected token, kubelet-style
	local uid vol
	uid=$(kubelet_uid)
	vol=$(kubelet_pod "$ROOT" team "$1" "$uid") || fail "kubelet_pod $1"
	TOKENS+=("$vol/token")
}
for p in before-1 before-2 before-3; do new_pod "$p"; done
"$WATCHED" "$AGENT_PID" has "${TOKENS[@]}" || fail "the first pods' tokens are not watched"

# The flood pod, kubelet-style: each volume directory first, its tmpfs, then the keys
FLOOD=$(kubelet_uid)
FV=$ROOT/var/lib/kubelet/pods/$FLOOD/volumes
mkdir -p "$FV/kubernetes.io~configmap/settings" "$FV/kubernetes.io~projected/bundle" \
	"$ROOT/var/log/pods/team_flood_$FLOOD/app"
mount -t tmpfs -o mode=0755,size=64m,nr_inodes=200000 "tmpfs-$FLOOD" "$FV/kubernetes.io~projected/bundle"
python3 - "$FV/kubernetes.io~configmap/settings" 20000 "$FV/kubernetes.io~projected/bundle" 70000 <<'EOF'
import os, sys
ts = "..2026_01_01_00_00_00.000000001"
for d, n in ((sys.argv[1], int(sys.argv[2])), (sys.argv[3], int(sys.argv[4]))):
    os.makedirs(os.path.join(d, ts))
    for i in range(n):
        open(os.path.join(d, ts, "key-%05d" % i), "w").close()
    os.symlink(ts, os.path.join(d, "..data"))
    for i in range(n):
        os.symlink("..data/key-%05d" % i, os.path.join(d, "key-%05d" % i))
EOF
for p in after-1 after-2 after-3; do new_pod "$p"; done

# Every token is watched, the flood is not
"$WATCHED" "$AGENT_PID" has -t 30 "${TOKENS[@]}" ||
	fail "a pod's service-account token is not watched after the flood"
"$WATCHED" "$AGENT_PID" lacks -t 0 "$FV/kubernetes.io~configmap/settings/key-00000" ||
	fail "a ConfigMap key is watched"
n=$("$WATCHED" "$AGENT_PID" count)
[ "$n" -le 600 ] || fail "$n credentials watched: the flood filled the map"

# A read of each token is an event
for tok in "${TOKENS[@]}"; do cat "$tok" >/dev/null; done
for tok in "${TOKENS[@]}"; do
	rel=${tok#"$ROOT"}
	for _ in $(seq 300); do
		grep -qF "\"cred.path\":\"$rel\"" "$T/events.ndjson" 2>/dev/null && break
		sleep 0.1
	done
	grep -qF "\"cred.path\":\"$rel\"" "$T/events.ndjson" || fail "no event for a read of $rel"
done

# The refusal is reported: a log line naming the pod, the metric
grep -q "watch: pod $FLOOD: [0-9]* credential files beyond --max-watched-per-pod (512; its service-account tokens are always watched): not watched" \
	"$AGENT_ERR" || fail "the pod's bound was not reported: $(grep -i refus "$AGENT_ERR" | head -3)"
v=$(agent_metric_reaches "$HPORT" 'credwatch_discovery_refused_total{reason="pod_bound"}' 1) ||
	fail "credwatch_discovery_refused_total{reason=\"pod_bound\"} is $v"
agent_stop || fail "the agent did not exit cleanly: $(tail -3 "$AGENT_ERR")"
echo "test_configmap_flood: ok ($n watched; 6 tokens watched and read as events)"
