#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The real agent's --findings on a fixture node, over four runs sharing one
# --state-dir: host posture and legacy-token findings at once; unused-token
# findings only once the window has passed counting the previous run (state
# survives restarts); no finding re-sent after a restart; an unexpected
# token reader after learning; resolutions when a file is fixed and a pod is
# deleted; a corrupt state file moved aside. Window 6 s, interval 1 s; each
# run lasts until what it checks has happened, never a fixed time.
# The busy pod's readers are its app in a real runc container (a private
# containerd, tests/lib/containerd.sh): what the agent learns and recommends
# names the programs as the container has them (/bin/busybox), not as a
# host process moved into a cgroup would.
set -eu
. "$(dirname "$0")/../lib/preamble.sh"
. tests/lib/agent.sh
. tests/lib/containerd.sh	# and fixture.sh
need_tracefs

test_tmpdir findings
on_exit ctrd_cleanup
on_exit agent_stop

ROOT=$T/root
STATE=$T/state
# unique per run: another run of this test may share the cgroup tree
U=$(printf '%08x' $$)
UID_IDLE=$U-0000-4000-8000-00000000000a
UID_BUSY=$U-0000-4000-8000-00000000000b
UID_LEGACY=$U-0000-4000-8000-00000000000c
fixture_pod "$ROOT" team-a idle "$UID_IDLE"
fixture_pod "$ROOT" team-b busy "$UID_BUSY"
fixture_secret "$ROOT" "$UID_LEGACY" default-token-x7k2p token ca.crt namespace
mkdir -p "$ROOT/var/log/pods/team-c_legacy_$UID_LEGACY/app"
fixture_host "$ROOT"
chmod 0644 "$ROOT/root/.kube/config"			# world-readable kubeconfig
chmod 0600 "$ROOT/var/lib/kubelet/pki/kubelet-client-current.pem"
BUSY_TOKEN=$(fixture_token_path "$ROOT" "$UID_BUSY")
# busy's own container: its reads are the pod using its token; python3 is
# the host's (/usr bind-mounted), busybox comes first in PATH
SA=/var/run/secrets/kubernetes.io/serviceaccount
ctrd_start
ctrd_busybox_image "$T/app.tar" cw.test/app:1
ctrd_import "$T/app.tar" cw.test/app:1
CID_BUSY=$(ctrd_cid)
ctrd_app "$CID_BUSY" "$(ctrd_pod_cgroup burstable "$UID_BUSY" "$CID_BUSY")" cw.test/app:1 \
	--mount "type=bind,src=$(dirname "$BUSY_TOKEN"),dst=$SA,options=rbind:rprivate:ro" \
	--mount "type=bind,src=/usr,dst=/usr,options=rbind:ro" --env PATH=/bin:/usr/bin
ARGS=(--host-root "$ROOT" --cgroup-root "$(findmnt -t cgroup2 -n -o TARGET | head -n 1)"
      --state-dir "$STATE" --findings-window 6 --findings-interval 1)

"$CREDWATCH" --help | grep -q -- "--findings-window SECONDS" || fail "--help lacks --findings-window"
"$CREDWATCH" --help | grep -q -- "--state-dir DIR" || fail "--help lacks --state-dir"

# run_until OUT ACTION EXPR...: run the agent writing findings to OUT and
# events to OUT.events, run ACTION once it is ready, then stop it (SIGTERM:
# it evaluates and saves once more) as soon as every python EXPR over the
# findings so far (L, with of()/paths() as in check) holds; 60 s at most.
# No fixed durations: on a loaded machine (the sanitizer stage) a run takes
# as long as the agent needs, never less.
run_until() {
	local out=$1 action=$2 rc=0; shift 2
	: >"$out.events"
	agent_start "$out" "${ARGS[@]}" --findings "$out" --events "$out.events"
	eval "$action"
	for _ in $(seq 600); do
		holds "$out" "$@" && break
		kill -0 "$AGENT_PID" 2>/dev/null || break
		sleep 0.1
	done
	agent_stop || rc=$?
	[ "$rc" = 0 ] || fail "agent exited $rc: $(cat "$out.stderr")"
}

# holds OUT EXPR...: whether every EXPR holds over OUT's findings (silent)
holds() {
	local out=$1; shift
	python3 - "$out" "$@" <<'EOF' 2>/dev/null
import json, sys
L = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
def of(t, status="open"):
    return [l for l in L if l["type"] == t and l["status"] == status]
def paths(t, status="open"):
    return sorted(l["resource"]["path"] for l in of(t, status))
sys.exit(0 if all(eval(e) for e in sys.argv[2:]) else 1)
EOF
}

# wait_event OUT PROG: until OUT.events has an access by a program named PROG
wait_event() {
	for _ in $(seq 600); do
		grep -q "\"proc.name\":\"$2\"" "$1.events" && return 0
		sleep 0.1
	done
	fail "$1.events: no access by $2"
}

# check OUT EXPR...: python asserts over the parsed lines L (a list of dicts)
check() {
	local out=$1; shift
	python3 - "$out" "$@" <<'EOF' || fail "$out: $(cat "$out")"
import json, sys
L = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
def of(t, status="open"):
    return [l for l in L if l["type"] == t and l["status"] == status]
def paths(t, status="open"):
    return sorted(l["resource"]["path"] for l in of(t, status))
for l in L:
    assert l["kind"] == "finding" and l["id"].startswith("cwf-") and l["node"], l
    for k in ("severity", "resource", "evidence", "recommendation", "first_seen", "last_seen"):
        assert k in l, (k, l)
ids = [(l["id"], l["status"]) for l in L]
assert len(ids) == len(set(ids)), "a finding was sent twice: %s" % ids
for expr in sys.argv[2:]:
    assert eval(expr), expr
EOF
}

# run 1: 2 s < window. A process reads the busy pod's token while learning.
run_until "$T/f1" 'ctrd_app_run "$CID_BUSY" "cat $SA/token"; wait_event "$T/f1" cat' \
	'len(L) == 3'
check "$T/f1" \
	'paths("admin_kubeconfig_on_worker") == ["/etc/kubernetes/admin.conf"]' \
	'of("admin_kubeconfig_on_worker")[0]["severity"] == "critical"' \
	'paths("exposed_host_credential") == ["/root/.kube/config"]' \
	'of("exposed_host_credential")[0]["evidence"]["mode"] == "0644"' \
	'of("exposed_host_credential")[0]["recommendation"]["command"] == "chmod 600 '"'"'/root/.kube/config'"'"'"' \
	'[l["resource"]["pod"] for l in of("legacy_sa_token")] == ["legacy"]' \
	'of("legacy_sa_token")[0]["resource"]["namespace"] == "team-c"' \
	'of("unused_sa_token") == []' \
	'len(L) == 3'
[ "$(stat -c %a "$STATE/findings.state")" = 600 ] || fail "state file mode"
[ "$(stat -c %a "$STATE")" = 700 ] || fail "state dir mode"

# run 2: once the window has passed counting run 1 (the unused findings are
# only due through the first_seen kept from run 1), a new program reads the
# busy token: after learning, so it is unexpected.
run_until "$T/f2" 'for _ in $(seq 600); do holds "$T/f2" "len(of(\"unused_sa_token\")) == 2" && break; sleep 0.1; done
	ctrd_app_run "$CID_BUSY" "python3 -c \"open(\\\"$SA/token\\\").close()\""' \
	'len(of("unexpected_token_reader")) == 1'
check "$T/f2" \
	'sorted(l["resource"]["pod"] for l in of("unused_sa_token")) == ["idle", "legacy"]' \
	'of("unused_sa_token")[0]["recommendation"]["yaml"].count("automountServiceAccountToken: false") >= 1 or of("unused_sa_token")[1]["recommendation"]["yaml"].count("automountServiceAccountToken: false") >= 1' \
	'[l["resource"]["pod"] for l in of("unexpected_token_reader")] == ["busy"]' \
	'"python" in of("unexpected_token_reader")[0]["evidence"]["unexpected_readers"][0]["proc.exepath"]' \
	'[r["proc.exepath"] for r in of("unexpected_token_reader")[0]["evidence"]["learned_readers"]] == ["/bin/busybox"]' \
	'"proc.exepath = \"/bin/busybox\"" in of("unexpected_token_reader")[0]["recommendation"]["yaml"]' \
	'of("exposed_host_credential") == [] and of("legacy_sa_token") == [] and of("admin_kubeconfig_on_worker") == []' \
	'len(L) == 3'

# run 3: the kubeconfig is fixed and the idle pod deleted while the agent was down.
# (The unexpected reader of run 2 may age out here too, a window after its read:
# whether that falls inside this run depends on timing, so it is not counted.)
chmod 0600 "$ROOT/root/.kube/config"
rm -rf "${ROOT:?}/var/lib/kubelet/pods/$UID_IDLE" "$ROOT/var/log/pods/team-a_idle_$UID_IDLE"
run_until "$T/f3" true 'len([l for l in L if l["type"] != "unexpected_token_reader"]) >= 2'
IDLE_ID=$(python3 -c 'import json,sys; print([l["id"] for l in map(json.loads, open(sys.argv[1])) if l["resource"]["pod"] == "idle"][0])' "$T/f2")
check "$T/f3" \
	'paths("exposed_host_credential", "resolved") == ["/root/.kube/config"]' \
	'[l["id"] for l in of("unused_sa_token", "resolved")] == ["'"$IDLE_ID"'"]' \
	'of("unused_sa_token", "resolved")[0]["resource"]["namespace"] == "team-a"' \
	'"no longer on the node" in of("unused_sa_token", "resolved")[0]["evidence"]["resolved_because"]' \
	'len([l for l in L if l["type"] != "unexpected_token_reader"]) == 2' \
	'all(l["status"] == "resolved" for l in L)'

# run 4: a corrupt state file is moved aside in one line, and the agent carries on
echo '{"credwatch_findings_state":1}{garbage' > "$STATE/findings.state"
run_until "$T/f4" true 'len(of("admin_kubeconfig_on_worker")) == 1'
[ -f "$STATE/findings.state.corrupt" ] || fail "corrupt state not moved aside"
grep -q "findings.state: unusable at line 1 .*moved to .*findings.state.corrupt" "$T/f4.stderr" \
	|| fail "corrupt state message: $(cat "$T/f4.stderr")"
[ "$(grep -c 'findings.state' "$T/f4.stderr")" = 1 ] || fail "corrupt state: not one line"
check "$T/f4" 'len(of("admin_kubeconfig_on_worker")) == 1'
head -1 "$STATE/findings.state" | grep -q '"credwatch_findings_state":1' || fail "state not rewritten"

# never a credential's bytes in findings or state
if grep -rq CWMARKER "$T"/f[1-4] "$STATE"; then fail "a credential's contents leaked"; fi
echo "findings ok"
