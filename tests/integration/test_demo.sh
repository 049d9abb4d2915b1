#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `make demo` is a test too: run tests/demo/demo.sh non-interactively and
# check, from its Falco JSON alerts (joined to the --events stream for the
# fields a rule's output does not carry), that each step raised exactly the
# expected alert - rule, priority, reader pod, owner pod - and that normal
# use and the kubelet's token rotation raised none; that findings name the
# pod that never read its token; that the output has no colour off a
# terminal; and that everything the demo made is gone afterwards (its
# containerd, containers, cgroups, mounts and files), also when it is
# interrupted (Ctrl-C) or its story's shell is killed.
# The pods are real runc containers under a private containerd: the exec
# session (step 2) is a real `ctr task exec` whose shell the shim starts in
# the container's pid namespace, the app's reads descend from the
# container's init, and the rotated token (step 4) is read from inside the
# container through its bind mount. To watch it fail: make exec_session() in
# user/attrib.c return CW_FALSE for an exec (step 2 raises nothing), or
# CW_TRUE for the init's children (step 0 alerts).
set -eu
. "$(dirname "$0")/../lib/preamble.sh"

test_tmpdir demo-test
DPID=
on_exit '[ -z "$DPID" ] || kill "$DPID" 2>/dev/null'

# demo_gone OUTPUT: nothing of the run that printed OUTPUT is left behind
demo_gone() {
	local dir
	dir=$(sed -n 's/.*a throwaway node under \(\/tmp\/credwatch-demo\.[A-Za-z0-9]*\).*/\1/p' "$1")
	[ -n "$dir" ] || fail "$1: no temp dir named in the output"
	[ ! -e "$dir" ] || fail "$dir left behind"
	! grep -q "$dir" /proc/self/mountinfo || fail "a mount under $dir left behind"
	# the agent's command line names its files there
	! grep -qsF -- "$dir" /proc/[0-9]*/cmdline || fail "a process of $dir (the agent?) left behind"
	dir=$(sed -n 's/.*(state in \(\/tmp\/cw-ctrd\.[A-Za-z0-9]*\)).*/\1/p' "$1")
	[ -n "$dir" ] || fail "$1: no containerd dir named in the output"
	[ ! -e "$dir" ] || fail "$dir (containerd's) left behind"
	! grep -q "$dir" /proc/self/mountinfo || fail "a mount under $dir left behind"
	! grep -qsF -- "$dir" /proc/[0-9]*/cmdline || fail "a process of $dir left behind"
	local cg cgroot n=0
	cgroot=$(findmnt -t cgroup2 -n -o TARGET | head -n 1)
	for cg in $(sed -n 's,^ *\(/kubepods/[a-z]*/pod[0-9a-f-]*\)/[0-9a-f]*$,\1,p' "$1"); do
		n=$((n + 1))
		[ ! -e "$cgroot$cg" ] || fail "a demo cgroup left behind: $cg"
	done
	[ "$n" = 2 ] || fail "$1: $n container cgroups named in the output, want 2"
}

start=$(date +%s)
BUILD=$BUILD tests/demo/demo.sh --out "$T/out" >"$T/demo.out" 2>"$T/demo.err" ||
	fail "demo failed: $(cat "$T/demo.out" "$T/demo.err")"
echo "demo ran in $(($(date +%s) - start)) s"
demo_gone "$T/demo.out"
! grep -q $'\e' "$T/demo.out" || fail "colour escapes in output that is not a terminal"
[ ! -s "$T/demo.err" ] || fail "demo wrote to stderr: $(cat "$T/demo.err")"
grep -q "credwatch-inspect summary" "$T/demo.out" || fail "no dump summary shown"

python3 - "$T/out" <<'PY' || fail "alerts per step (demo output: $T/demo.out)"
import json, sys
d = sys.argv[1]
steps = [l.rstrip("\n").split("\t") for l in open(d + "/steps.tsv")]
alerts = [json.loads(l) for l in open(d + "/alerts.ndjson")]
events = {}
for l in open(d + "/events.ndjson"):
    e = json.loads(l)
    if "credwatch.summary" not in e:
        events[(e["evt.time"], e["proc.pid"])] = e

def pod(e, side):
    ns, name = (e["k8s.ns.name"], e["k8s.pod.name"]) if side == "reader" else \
               (e["cred.owner.ns"], e["cred.owner.pod"])
    return "%s/%s" % (ns, name) if name else None

CROSS = "Service account token read by another pod"
want = {
    "0": None,
    "1": (CROSS, "Critical", "team-a/web", "team-b/db"),
    "2": ("Credential read in an interactive exec session", "Error", "team-a/web", "team-a/web"),
    "3": ("Credential read by a network tool", "Error", "team-a/web", None),
    "4a": None,
    "4b": (CROSS, "Critical", "team-a/web", "team-b/db"),
    "5": ("Credential file opened for writing", "Error", None, "team-b/db"),
}
assert [s[0] for s in steps] == list(want), steps
seen = set()
for step, t0, t1 in steps:
    mine = [a for a in alerts if int(t0) <= a["output_fields"]["evt.time"] <= int(t1)]
    seen.update(id(a) for a in mine)
    if want[step] is None:
        assert not mine, (step, mine)
        continue
    assert len(mine) == 1, (step, len(mine), mine)
    a = mine[0]
    e = events[(a["output_fields"]["evt.time"], a["output_fields"]["proc.pid"])]
    got = (a["rule"], a["priority"], pod(e, "reader"), pod(e, "owner"))
    assert got == want[step], (step, got, want[step])
    if step == "2":
        assert e["proc.is_exec_session"] is True and e["proc.pname"] == "sh", e
        # the shell's parent is the shim, or runc when the read came before
        # `runc exec` exited and its child was handed to the shim
        up = [e["proc.aname[2]"], e["proc.aname[3]"]]
        assert up[0] == "containerd-shim" or up == ["runc", "containerd-shim"], e
    if step in ("1", "2", "3", "4b"):
        # a runc container: its own root (busybox, or the host's /usr for python3)
        assert e["user.name"] == "root" and e["container.id"] != "host", e
        assert e["proc.exepath"] in ("/bin/busybox",) or e["proc.exepath"].startswith("/usr/bin/python3"), e
    if step == "5":
        assert "O_TRUNC" in e["fd.flags"] and e["container.id"] == "host", e
    if step in ("1", "4b"):
        assert e["proc.is_exec_session"] is False and e["container.name"] == "app", e
assert len(seen) == len(alerts), "alerts outside every step: %s" % alerts
# step 0 (db reading its own token) was seen, attributed, and quiet
t0, t1 = [(int(s[1]), int(s[2])) for s in steps if s[0] == "0"][0]
own = [e for e in events.values() if t0 <= e["evt.time"] <= t1]
assert len(own) == 1 and own[0]["cred.same_pod"] is True and pod(own[0], "reader") == "team-b/db", own
# normal traffic is the app's, never an exec session
for s in ("0", "4a"):
    t0, t1 = [(int(x[1]), int(x[2])) for x in steps if x[0] == s][0]
    mine = [e for e in events.values() if t0 <= e["evt.time"] <= t1]
    assert len(mine) == 1 and mine[0]["proc.is_exec_session"] is False, (s, mine)
    assert mine[0]["cred.same_pod"] is True and pod(mine[0], "reader") == "team-b/db", (s, mine)
# 4a (db, from inside its container) and 4b read the rotated token: a
# different inode than steps 0 and 1 read
ino = {s: [e["fd.ino"] for e in events.values() if int(t0) <= e["evt.time"] <= int(t1)]
       for s, t0, t1 in steps}
assert ino["1"] and ino["4b"] and ino["1"] != ino["4b"], ino
assert ino["0"] == ino["1"] and ino["4a"] == ino["4b"], ino

f = [json.loads(l) for l in open(d + "/findings.ndjson")]
unused = [x for x in f if x["type"] == "unused_sa_token" and x["status"] == "open"]
# cache never read its token; web did (step 2). db's rotated token may or may
# not have been watched for a whole window by the time the agent stops.
pods = [x["resource"]["pod"] for x in unused]
assert "cache" in pods and "web" not in pods, unused
assert any(x["type"] == "admin_kubeconfig_on_worker" for x in f), f
print("alerts per step ok:", {s: (w[0] if w else None) for s, w in want.items()})
PY
grep -q "unused_sa_token *team-b/cache" "$T/demo.out" || fail "findings not shown"

# demo_to_step1 OUT ERR: start the demo in a process group of its own (as a
# terminal runs it) and wait until it shows step 1
demo_to_step1() {
	set -m	# the demo gets its own process group and does not ignore SIGINT
	BUILD=$BUILD tests/demo/demo.sh --no-pause >"$1" 2>"$2" &
	DPID=$!
	set +m
	for _ in $(seq 300); do
		grep -q "1/5" "$1" 2>/dev/null && break
		sleep 0.05
	done
	grep -q "1/5" "$1" || fail "the demo did not reach step 1: $(cat "$1" "$2")"
}

# Ctrl-C after the first step: SIGINT to the whole process group, as a
# terminal sends it; exits 130 and still removes everything
demo_to_step1 "$T/int.out" "$T/int.err"
kill -INT -- "-$DPID"
rc=0
wait "$DPID" || rc=$?
DPID=
[ "$rc" = 130 ] || fail "interrupted demo exited $rc, not 130: $(cat "$T/int.err")"
grep -q "interrupted" "$T/int.err" || fail "no interruption message"
demo_gone "$T/int.out"

# The story's shell killed outright (it runs no trap): the shell that waits
# removes what it left from its state file. Without that, the agent, the
# containers and the tmpfs mounts would outlive the demo.
demo_to_step1 "$T/kill.out" "$T/kill.err"
steps=$(pgrep -P "$DPID") || fail "the demo has no child shell"
[ "$(echo "$steps" | wc -l)" = 1 ] || fail "the demo has more than one child: $steps"
kill -KILL "$steps"
rc=0
wait "$DPID" || rc=$?
DPID=
[ "$rc" = 137 ] || fail "demo exited $rc after its story's shell was killed, not 137: $(cat "$T/kill.err")"
grep -q "everything it made was removed" "$T/kill.err" || fail "no removal message: $(cat "$T/kill.err")"
demo_gone "$T/kill.out"
echo "demo ok"
