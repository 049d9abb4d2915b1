#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Attack: from inside a real container (private containerd + runc, the
# kubelet's cgroup layout, another pod's volumes reachable through a
# hostPath-style bind mount), read another pod's token with binaries named
# like node agents: a static reader copied into the container's own root
# filesystem at /usr/bin/kubelet (the path the real kubelet has on the
# host), at /tmp/containerd-shim and /tmp/calico-node, and the node's
# genuine, registered kubelet binary itself, bind-mounted into the
# container. The agent runs with the chart's capabilities only.
#
# Defence: proc.node_agent needs the host's mount namespace AND an
# executable (device, inode) from the inventory (user/nodeagents.c); the
# default rules allow-list by it, never by proc.name. A container has its
# own mount namespace, and its /usr/bin/kubelet is another inode.
#
# Asserted: each of the four reads raises "Service account token read by
# another pod"; the genuine kubelet on the host (host mount namespace,
# registered inode) reading the same token raises nothing.
#
# To watch it fail: REDTEAM_DEFENCE_OFF=1 adds a rules file that puts the
# old macros on proc.name back: the read by /usr/bin/kubelet (and by the
# bind-mounted genuine kubelet) in the container raises no alert.
set -eu
. "$(dirname "$0")/../lib/preamble.sh"
. tests/lib/agent.sh
. tests/lib/containerd.sh
need_tracefs

test_tmpdir rt-agent
cleanup() {
	set +e
	agent_stop
	ctrd_cleanup
}
on_exit cleanup

# a static reader: the busybox image has no libc for a copy of /bin/cat
mkdir -p "$T/tools"
cat >"$T/reader.c" <<'EOF'
#include <fcntl.h>
#include <unistd.h>
int main(int argc, char **argv)
{
	char buf[4096];
	ssize_t n;
	int fd = argc > 1 ? open(argv[1], O_RDONLY) : -1;

	if (fd < 0)
		return 1;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		if (write(1, buf, (size_t)n) != n)
			return 1;
	return 0;
}
EOF
"${CC:-cc}" -static -O2 -o "$T/tools/reader" "$T/reader.c" || fail "static reader"

ctrd_start
ctrd_busybox_image "$T/bb.tar" cw.test/busybox:1
ctrd_import "$T/bb.tar" cw.test/busybox:1

NODE=$T/node
mkdir -p "$NODE/var/log/pods" "$NODE/var/log/containers" "$NODE/usr/bin"
ln -s /proc "$NODE/proc"
cp "$T/tools/reader" "$NODE/usr/bin/kubelet"	# the node's kubelet, registered below
VICTIM=$(ctrd_pod_uid) THIEF=$(ctrd_pod_uid)
VCID=$(ctrd_cid) TCID=$(ctrd_cid)
VOL=$(ctrd_node_pod "$NODE" team-a victim "$VICTIM" app "$VCID")
ctrd_node_pod "$NODE" team-b thief "$THIEF" app "$TCID" >/dev/null
ctrd_run "$TCID" "$(ctrd_pod_cgroup besteffort "$THIEF" "$TCID")" cw.test/busybox:1 \
	--mount "type=bind,src=$NODE/var/lib/kubelet/pods,dst=/host-pods,options=rbind:ro" \
	--mount "type=bind,src=$T/tools,dst=/tools,options=rbind:ro" \
	--mount "type=bind,src=$NODE/usr/bin,dst=/nodebin,options=rbind:ro" -- sleep 600
TOKEN=/host-pods/${VOL#"$NODE/var/lib/kubelet/pods/"}/token

RULES=(--rules rules/credwatch_rules.yaml)
if [ -n "${REDTEAM_DEFENCE_OFF:-}" ]; then
	RULES+=(--rules tests/fixtures/rules/node_agents_by_name.yaml)
fi
printf '#!/bin/sh\nexec setpriv --bounding-set=-all,+bpf,+perfmon,+dac_read_search --inh-caps=-all %s "$@"\n' \
	"$(readlink -f "$BUILD/credwatch")" >"$T/chart-caps.sh"
chmod +x "$T/chart-caps.sh"
CREDWATCH=$T/chart-caps.sh agent_start "$T/agent" --host-root "$NODE" \
	--cgroup-root "$(findmnt -t cgroup2 -n -o TARGET | head -n1)" \
	--node-agent-paths /usr/bin/kubelet "${RULES[@]}" \
	--events "$T/events.ndjson" --output "$T/alerts.ndjson" --output-format json
grep -q 'node agents: 1 executables registered by inode: kubelet' "$AGENT_ERR" ||
	fail "the node's kubelet was not registered: $(grep 'node agents' "$AGENT_ERR")"

ctrd_exec "$TCID" -- sh -c "mkdir -p /usr/bin && cat /tools/reader >/usr/bin/kubelet &&
	chmod 755 /usr/bin/kubelet && cp /usr/bin/kubelet /tmp/containerd-shim &&
	cp /usr/bin/kubelet /tmp/calico-node" || fail "planting the binaries"
for exe in /usr/bin/kubelet /tmp/containerd-shim /tmp/calico-node /nodebin/kubelet; do
	ctrd_exec "$TCID" -- "$exe" "$TOKEN" >/dev/null || fail "$exe could not read the token"
done
# the genuine kubelet, on the host: quiet
"$NODE/usr/bin/kubelet" "$VOL/token" >/dev/null & GENUINE=$!
wait $GENUINE

for _ in $(seq 150); do
	[ "$(grep -c '"proc.pid"' "$T/events.ndjson" 2>/dev/null)" -ge 5 ] && break
	sleep 0.2
done
agent_stop || fail "agent exit status"

python3 - "$T/events.ndjson" "$T/alerts.ndjson" "$THIEF" "$GENUINE" <<'PY' || fail "a node agent's name hid a read from a container"
import json, sys
events = [json.loads(l) for l in open(sys.argv[1]) if '"proc.pid"' in l]
alerts = [json.loads(l) for l in open(sys.argv[2]) if l.strip()]
thief, genuine = sys.argv[3], int(sys.argv[4])
alerted = {a["output_fields"].get("proc.pid"): a["rule"] for a in alerts}
bad = 0
want = {"/usr/bin/kubelet": "kubelet", "/tmp/containerd-shim": "containerd-shim",
        "/tmp/calico-node": "calico-node", "/nodebin/kubelet": "kubelet"}
for exe, name in want.items():
    ev = [e for e in events if e.get("k8s.pod.uid") == thief and e.get("proc.exepath") == exe]
    if not ev:
        print("no event for %s in the thief pod" % exe); bad += 1; continue
    e = ev[0]
    rule = alerted.get(e["proc.pid"], "NO ALERT")
    print("container %-22s name %-16s exe_ino %s host_mntns %s node_agent %s -> %s" % (
        exe, e["proc.name"], e.get("proc.exe_ino"), e.get("proc.is_host_mntns"),
        e.get("proc.node_agent"), rule))
    if e["proc.name"] != name or rule != "Service account token read by another pod":
        bad += 1
g = [e for e in events if e.get("proc.pid") == genuine]
if not g or g[0].get("proc.node_agent") != "kubelet" or genuine in alerted:
    print("genuine kubelet: %s, alert %s" % (g[:1], alerted.get(genuine))); bad += 1
else:
    print("genuine kubelet on the host: node_agent kubelet, no alert")
sys.exit(1 if bad else 0)
PY
echo "renamed node agents in a container: every read alerted, the genuine kubelet did not"
