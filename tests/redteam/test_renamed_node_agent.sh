#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Attack: hide a token theft behind a node agent's name. Copies of cat named
# kubelet, containerd-shim and calico-node read another pod's token from
# the host (comm, argv[0] and the path string all say "node agent"); a copy
# named kubelet does the same from a pod's cgroup in its own mount
# namespace; and the node's genuine kubelet binary itself (the registered
# inode) is run from a pod in its own mount namespace.
#
# Defence: the default rules' allow-lists trust proc.node_agent, not
# proc.name: the reader must run in the host's mount namespace (found by
# the kernel, bpf/credwatch.bpf.c find_host_mnt_ns) AND its executable's
# (device, inode), captured by the kernel from mm->exe_file, must be in the
# agent's inventory (user/nodeagents.c, --node-agent-paths). A copy has
# another inode; a pod has another mount namespace.
#
# Asserted: every attacker read raises an alert naming the reader's pid;
# the genuine kubelet (the registered binary, host mount namespace) reading
# the same token raises none, so the allow-list still works.
#
# To watch it fail: REDTEAM_DEFENCE_OFF=1 adds a rules file that puts the
# old name-based macros back (credwatch_kubelet and credwatch_node_agent on
# proc.name): the renamed readers raise no alert.
set -eu
. "$(dirname "$0")/../lib/preamble.sh"
. tests/lib/fixture.sh
. tests/lib/agent.sh
. tests/lib/cgroup.sh
need_tracefs

test_tmpdir renamed
cleanup() {
	agent_stop >/dev/null 2>&1 || true
	cg_cleanup
}
on_exit cleanup

ROOT=$T/root
VICTIM=$(printf 'eeeeeeee-%04x-4000-8000-%012x' $((RANDOM)) $$)
THIEF=$(printf 'ffffffff-%04x-4000-8000-%012x' $((RANDOM)) $$)
CID=$(printf 'bad0%060d' $$)
fixture_pod "$ROOT" team-a victim "$VICTIM"
fixture_pod "$ROOT" team-b thief "$THIEF"
TOKEN=$(fixture_token_path "$ROOT" "$VICTIM")
CG=$(cg_pod_systemd "$THIEF" besteffort "$CID") || fail "cannot create cgroup"

# the node's kubelet: registered by (device, inode) at start
mkdir -p "$ROOT/usr/bin" "$T/evil"
cp /bin/cat "$ROOT/usr/bin/kubelet"
for name in kubelet containerd-shim calico-node; do cp /bin/cat "$T/evil/$name"; done

RULES=(--rules rules/credwatch_rules.yaml)
if [ -n "${REDTEAM_DEFENCE_OFF:-}" ]; then
	RULES+=(--rules tests/fixtures/rules/node_agents_by_name.yaml)
fi
agent_start "$T/agent" --host-root "$ROOT" --cgroup-root "$(cg_root)" \
	--node-agent-paths /usr/bin/kubelet "${RULES[@]}" \
	--events "$T/events.ndjson" --output "$T/alerts.ndjson" --output-format json
grep -q 'node agents: 1 executables registered by inode: kubelet' "$AGENT_ERR" ||
	fail "the kubelet binary was not registered: $(grep 'node agents' "$AGENT_ERR")"

PIDS=()
for name in kubelet containerd-shim calico-node; do	# from the host
	"$T/evil/$name" "$TOKEN" >/dev/null & PIDS+=($!); wait $!
done
# from a pod: its own mount namespace, the thief pod's cgroup
(cg_run "$CG" unshare --mount -- "$T/evil/kubelet" "$TOKEN" >/dev/null) & PIDS+=($!); wait $!
(cg_run "$CG" unshare --mount -- "$ROOT/usr/bin/kubelet" "$TOKEN" >/dev/null) & PIDS+=($!)
wait $!
# the genuine kubelet, in the host's mount namespace: must stay quiet
"$ROOT/usr/bin/kubelet" "$TOKEN" >/dev/null & GENUINE=$!; wait $GENUINE

for _ in $(seq 100); do
	[ "$(grep -c '"proc.pid"' "$T/events.ndjson" 2>/dev/null)" -ge 6 ] && break
	sleep 0.2
done
agent_stop || fail "agent exit status"

python3 - "$T/events.ndjson" "$T/alerts.ndjson" "$GENUINE" "${PIDS[@]}" <<'PY' || fail "a renamed node agent read a token unnoticed"
import json, sys
events = [json.loads(l) for l in open(sys.argv[1]) if '"proc.pid"' in l]
alerts = [json.loads(l) for l in open(sys.argv[2]) if l.strip()]
genuine, attackers = int(sys.argv[3]), [int(p) for p in sys.argv[4:]]
by_pid = {}
for a in alerts:
    by_pid.setdefault(a["output_fields"].get("proc.pid"), []).append(a["rule"])
bad = 0
for pid in attackers:
    ev = [e for e in events if e.get("proc.pid") == pid]
    if not ev:
        print("no event for attacker pid %d" % pid); bad += 1; continue
    e = ev[0]
    print("attacker %-16s exe_ino %s host_mntns %s node_agent %s -> %s" % (
        e["proc.name"], e.get("proc.exe_ino"), e.get("proc.is_host_mntns"),
        e.get("proc.node_agent"), by_pid.get(pid, "NO ALERT")))
    if pid not in by_pid or e.get("proc.node_agent"):
        bad += 1
g = [e for e in events if e.get("proc.pid") == genuine]
if not g or g[0].get("proc.node_agent") != "kubelet" or genuine in by_pid:
    print("genuine kubelet: %s, alerts %s" % (g[:1], by_pid.get(genuine)))
    bad += 1
else:
    print("genuine kubelet: node_agent %s, no alert" % g[0]["proc.node_agent"])
sys.exit(1 if bad else 0)
PY
echo "renamed node agents ok"
