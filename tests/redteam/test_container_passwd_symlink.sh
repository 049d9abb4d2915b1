#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Attack: a container replaces its own /etc/passwd with a symlink that
# points out of its root (absolute "/tmp/.../passwd", and "../../../.."
# climbing) at a file of the host, hoping the agent, which resolves
# user.name from the reader's own /etc/passwd, follows it on the host: it
# would then read a host file of the attacker's choosing (a disclosure
# oracle, a hang on a FIFO) and report a name the attacker planted.
#
# Real containerd + runc containers (tests/lib/containerd.sh); the agent
# runs with only the chart's capabilities, so it cannot use
# /proc/<pid>/root and reaches the container's root through the runtime's
# rootfs mount (user/rootfs.c). A control container with a plain
# /etc/passwd must resolve (the lookup works at all); the two attack
# containers must get no name, and never the host decoy's.
# Defence: passwd_lookup_at() opens etc/passwd with openat2(RESOLVE_IN_ROOT |
# RESOLVE_NO_MAGICLINKS) below the container's root (user/passwd.c). To
# watch it fail: in open_in_root() replace the openat2 call with
# openat(rootfd, "etc/passwd", O_RDONLY | O_NONBLOCK | O_CLOEXEC).
set -eu
cd "$(dirname "$0")/../.."
. tests/lib/agent.sh
. tests/lib/containerd.sh
tests/lib/mount-tracefs.sh

T=$(mktemp -d /tmp/cw-rt-pw.XXXXXX)
cleanup() {
	set +e	# every step runs, whatever failed
	agent_stop
	ctrd_cleanup
	[ -n "${KEEP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT

ctrd_start
ctrd_busybox_image "$T/bb.tar" cw.test/busybox:1 podrunner:4343
ctrd_import "$T/bb.tar" cw.test/busybox:1

# The decoy: a host file naming uid 4343 (the attacker's reader) "hostleak-..."
LEAK=hostleak-$(ctrd_hex 4)
mkdir -p "$T/decoy"
echo "$LEAK:x:4343:4343::/:/bin/sh" >"$T/decoy/passwd"

NODE=$T/node
mkdir -p "$NODE/var/log/pods" "$NODE/var/log/containers"
ln -s /proc "$NODE/proc"	# the host's procfs, as the chart mounts it at /host/proc
declare -A CID UIDS
for pod in control absolute climbing; do
	CID[$pod]=$(ctrd_cid)
	UIDS[$pod]=$(ctrd_pod_uid)
	vol=$(ctrd_node_pod "$NODE" team "$pod" "${UIDS[$pod]}" app "${CID[$pod]}")
	ctrd_run "${CID[$pod]}" "$(ctrd_pod_cgroup besteffort "${UIDS[$pod]}" "${CID[$pod]}")" \
		cw.test/busybox:1 \
		--mount "type=bind,src=$vol,dst=/var/run/secrets/kubernetes.io/serviceaccount,options=rbind:ro" \
		-- sleep 600
done
# The attack, from inside the containers, as their root.
ctrd_exec "${CID[absolute]}" -- ln -sf "$T/decoy/passwd" /etc/passwd
ctrd_exec "${CID[climbing]}" -- ln -sf "../../../../../../../../../../../../../..$T/decoy/passwd" \
	/etc/passwd

# The agent with the chart's capabilities: /proc/<pid>/root is refused.
printf '#!/bin/sh\nexec setpriv --bounding-set=-all,+bpf,+perfmon,+dac_read_search --inh-caps=-all %s "$@"\n' \
	"$(readlink -f "$BUILD/credwatch")" >"$T/chart-caps.sh"
chmod +x "$T/chart-caps.sh"
CREDWATCH=$T/chart-caps.sh agent_start "$T/agent" --host-root "$NODE" \
	--cgroup-root "$(findmnt -t cgroup2 -n -o TARGET | head -n1)" \
	--events "$T/events.ndjson" --output "$T/alerts.json"

for pod in control absolute climbing; do
	ctrd_exec "${CID[$pod]}" --user 4343 -- cat /var/run/secrets/kubernetes.io/serviceaccount/token \
		>/dev/null
done
# user_of POD: user.name of the first event whose pod uid is POD's
user_of() {
	python3 - "$T/events.ndjson" "${UIDS[$1]}" <<'EOF'
import json, sys
for line in open(sys.argv[1]):
    try:
        e = json.loads(line)
    except ValueError:
        continue
    if e.get("k8s.pod.uid") == sys.argv[2] and e.get("user.uid") == 4343:
        print("name=" + (e.get("user.name") or ""))
        break
EOF
}
for pod in control absolute climbing; do
	for _ in $(seq 100); do
		[ -n "$(user_of "$pod")" ] && break
		sleep 0.1
	done
done
agent_stop || fail "agent exit status $?"

if grep -q "$LEAK" "$T/events.ndjson" "$T/alerts.json" "$T/agent.stderr"; then
	fail "the host decoy's name reached the output: the agent followed the container's symlink"
fi
got=$(user_of control)
[ "$got" = name=podrunner ] || fail "control container: user.name '$got', want podrunner (lookup broken: the attack cases prove nothing)"
for pod in absolute climbing; do
	got=$(user_of "$pod")
	[ "$got" = name= ] || fail "$pod symlink: user.name '$got', want none"
done
echo "container passwd symlink: contained (control resolved podrunner; symlinks gave no name)"
