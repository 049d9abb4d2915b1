#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Falco rule files, unchanged, in the real agent (build/credwatch, real eBPF):
#  - --validate-rules accepts tests/fixtures/rules/falco_compat{,_local}.yaml
#    (every item key, exception form and field of the upstream
#    falcosecurity/rules files) and a directory of them, exits 0, prints the
#    applicable/inapplicable count, and -v lists the inapplicable rules;
#  - the agent logs the same count at start-up, evaluates the applicable
#    rules on real opens of watched files (open_read/open_write macros,
#    fd.directory, fd.filename, evt.arg.flags, exceptions, overrides), fills
#    Falco's on-demand fields (thread.cap_effective, proc.duration, proc.vpid,
#    proc.aname past the kernel's five) and normalizes fd.name as Falco does;
#  - the upstream form of "Read environment variable from /proc files"
#    (the fixture's "Read environment of another process") and credwatch's
#    default environ rule (rules/credwatch_rules.yaml, loaded too) fire on a
#    real read of a host process's /proc/<pid>/environ from a kubelet-named
#    container cgroup, through /proc/<pid>/environ and the task path;
#  - every alert those rules raise reaches a falcosidekick-format backend
#    (tests/lib/fake_backend.py) in the shape tests/integration/test_ship.sh
#    requires of falcosidekick bodies.
# Nothing is fetched: the rule files are the repository's own fixtures.
set -eu
. "$(dirname "$0")/../lib/preamble.sh"
. tests/lib/agent.sh
. tests/lib/pki.sh
. tests/lib/cgroup.sh
need_tracefs

test_tmpdir falco-rules
BPID=
DEEP=
ENVPID=
kill_at_exit BPID
on_exit agent_stop
# the reader tree is its own process group: all of it, even blocked on the fifo
on_exit '[ -z "$DEEP" ] || kill -- -"$DEEP" 2>/dev/null'
on_exit cg_cleanup
on_exit '[ -z "$ENVPID" ] || kill "$ENVPID" 2>/dev/null'
step() { echo "--- $*"; }
wait_for() {	# DESC SECONDS CMD...: poll CMD every 0.1 s
	local desc=$1 secs=$2 i; shift 2
	for ((i = 0; i < secs * 10; i++)); do
		"$@" && return 0
		sleep 0.1
	done
	fail "timed out after ${secs}s waiting for $desc"
}

BASE=tests/fixtures/rules/falco_compat.yaml
LOCAL=tests/fixtures/rules/falco_compat_local.yaml
SUMMARY="rules: 12 of 29 enabled rules apply to credential opens; 15 inapplicable (need event types or fields credwatch does not see), 1 need fields credwatch does not collect, 1 skipped (skip-if-unknown-filter); --validate-rules -v lists them"

step "--validate-rules: both files load unchanged, exit 0, the count"
out=$("$CREDWATCH" --validate-rules --rules "$BASE" --rules "$LOCAL" 2>"$T/v.err") \
	|| fail "--validate-rules exited $?: $(cat "$T/v.err")"
[ "$out" = "12 rules loaded from 2 files
$SUMMARY" ] || fail "--validate-rules said: $out"
grep -q "unknown key 'rule_version', ignored" "$T/v.err" || fail "no warning for the unknown key"

step "--validate-rules -v: each inapplicable rule with its reason"
"$CREDWATCH" --validate-rules -v --rules "$BASE" --rules "$LOCAL" >"$T/v.out" 2>/dev/null
[ "$(grep -c '^inapplicable: ' "$T/v.out")" = 15 ] || fail "inapplicable lines: $(cat "$T/v.out")"
grep -qx "inapplicable: $BASE:338: Shell spawned in a privileged container: needs evt.type in (execve, execveat)" "$T/v.out" \
	|| fail "execve reason: $(cat "$T/v.out")"
grep -qx "not evaluated: $BASE:474: Open from a temporary working directory: depends on proc.cwd, which credwatch does not collect" "$T/v.out" \
	|| fail "proc.cwd reason: $(cat "$T/v.out")"

step "--rules DIR: a rules.d directory, files in name order"
mkdir "$T/rules.d"
cp "$BASE" "$T/rules.d/00-falco_compat.yaml"
cp "$LOCAL" "$T/rules.d/50-local.yml"
echo "not rules" >"$T/rules.d/README"
out=$("$CREDWATCH" --validate-rules --rules "$T/rules.d" 2>/dev/null) || fail "directory: exit $?"
[ "$(head -1 <<<"$out")" = "12 rules loaded from 2 files" ] || fail "directory: $out"

# --- the live agent -------------------------------------------------------
mkdir -p "$T/etc" "$T/log"
echo "root:!:19000:0:99999:7:::" >"$T/etc/shadow"
echo "Jan  1 00:00:00 host app: started" >"$T/log/syslog"
# A third file, as an operator's rules.d/90-site.yaml: this node's paths,
# and a rule that prints the fields read from /proc on demand.
cat >"$T/site.yaml" <<EOF
- macro: secret_files
  condition: or fd.name startswith $T/etc/
  override:
    condition: append

- list: cwt_log_dirs
  items: [$T/log]
  override:
    items: append

- rule: Site probe
  desc: prints Falco's on-demand fields for the test's files
  condition: open_read and fd.name startswith $T/ and proc.name = sh
  output: >
    probe %fd.name raw=%fd.nameraw dir=%fd.directory caps=%thread.cap_effective
    dur=%proc.duration vpid=%proc.vpid exe=%proc.exe args=%proc.args pexe=%proc.pexe
    a7=%proc.aname[7] anc=%proc.aname num=%evt.num typechar=%fd.typechar sip=%fd.sip
  priority: INFO
  tags: [site]
EOF

pki_make "$T" || fail "test PKI"
BPORT=$(free_port)
BLOG=$T/backend.ndjson
echo '{"then":"ok"}' >"$T/control.json"
: >"$BLOG"
python3 tests/lib/fake_backend.py --port "$BPORT" --cert "$T/srv.crt" --key "$T/srv.key" \
	--log "$BLOG" --control "$T/control.json" --ready "$T/ready" &
BPID=$!
wait_for "the fake backend" 10 test -s "$T/ready"

step "the agent: start-up count, alerts on real opens"
agent_start "$T/agent" --host-root / --watch "$T/etc/shadow" --watch "$T/log/syslog" \
	--rules "$BASE" --rules "$LOCAL" --rules "$T/site.yaml" --rules rules/credwatch_rules.yaml \
	--rule-matching all \
	--output "$T/alerts.ndjson" --output-format json --alert-rate 0 --spool "$T/spool" \
	--backend "https://127.0.0.1:$BPORT/" --backend-format falcosidekick \
	--backend-ca "$T/ca.crt" --backend-flush-ms 100 --backend-drain-ms 3000 \
	|| fail "agent start"
grep -qF "${SUMMARY/12 of 29/24 of 41}" "$T/agent.stderr" \
	|| fail "no start-up count (the site file and the defaults add rules): $(cat "$T/agent.stderr")"

# A reader deeper than the kernel's five ancestors opens the secret through
# a path with ./, .. and //, and stays alive until told (fields read from
# /proc need a living process: tests/unit/test_attrib.c covers the exited
# one). The ':' after each command keeps sh from exec'ing it in place.
mkfifo "$T/release"
cat >"$T/deep.sh" <<'EOF'
if [ "$1" -gt 0 ]; then sh "$0" $(($1 - 1)) "$2" "$3"; :; else exec 3<"$2"; read -r _ <"$3"; :; fi
EOF
setsid sh "$T/deep.sh" 7 "$T/etc/./..//etc/shadow" "$T/release" &
DEEP=$!
cat "$T/etc/shadow" >/dev/null		# a short-lived untrusted reader
: >"$T/log/syslog"
alerts_have() {	# RULE...: each rule has an alert on --output
	local r
	for r in "$@"; do
		grep -qF "\"rule\":\"$r\"" "$T/alerts.ndjson" 2>/dev/null || return 1
	done
}
wait_for "the alerts" 20 alerts_have "Read secret file untrusted" "Noisy open" \
	"Secret opened with exceptions" "Site probe" "Clear log files"

step "a container reads a host process's environment: the upstream rule and the default one"
R=$(printf '%04x' $((RANDOM)))
CG=$(cg_pod_systemd "$(printf 'fa1c0000-%s-4000-8000-%012x' "$R" $$)" besteffort \
	"$(printf 'f%s%059x' "$R" $$)") || fail "cannot create a container cgroup"
sleep 300 &
ENVPID=$!
# two processes: one process's reads of one pod's (here the host's)
# environments within the repeat window are one event and a count
for f in "/proc/$ENVPID/environ" "/proc/$ENVPID/task/$ENVPID/environ"; do
	(cg_run "$CG" cat "$f" >/dev/null) || fail "the container's read of $f"
done
environ_alerts() {	# both rules, both paths
	python3 - "$T/alerts.ndjson" "$ENVPID" <<'EOF'
import json, sys
pid = sys.argv[2]
want = {(r, "/proc/%s/%s" % (pid, p)) for r in
        ("Read environment of another process",
         "Environment of another pod or the host read from a container")
        for p in ("environ", "task/%s/environ" % pid)}
got = {(a["rule"], a["output_fields"].get("fd.name")) for a in map(json.loads, open(sys.argv[1]))}
sys.exit(0 if want <= got else 1)
EOF
}
wait_for "the environ alerts" 20 environ_alerts
kill "$ENVPID"; ENVPID=

step "Falco's fields in the alerts"
python3 - "$T/alerts.ndjson" "$T" <<'EOF' || fail "alert fields"
import json, sys
alerts = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
T = sys.argv[2]
def want(c, m):
    if not c:
        print("assertion failed:", m, file=sys.stderr); sys.exit(1)
probe = [a for a in alerts if a["rule"] == "Site probe"]
want(len(probe) == 1, [a["rule"] for a in alerts])
f = probe[0]["output_fields"]
want(f["fd.name"] == T + "/etc/shadow", f)                 # normalized, as Falco's
want(f["fd.nameraw"] == T + "/etc/./..//etc/shadow", f)     # as passed
want(f["fd.directory"] == T + "/etc", f)
want(f["fd.typechar"] == "f" and f["fd.sip"] is None, f)
want("CAP_SYS_ADMIN" in (f["thread.cap_effective"] or ""), f)   # root, from /proc
want(isinstance(f["proc.duration"], int) and f["proc.duration"] >= 0, f)
want(isinstance(f["proc.vpid"], int) and f["proc.vpid"] > 0, f)
want(f["proc.exe"] == "sh" and f["proc.args"].startswith(T + "/deep.sh 0 "), f)
want(f["proc.pexe"] == "sh", f)
want(isinstance(f["evt.num"], int) and f["evt.num"] >= 1, f)
anc = (f["proc.aname"] or "").split()
want(len(anc) > 8 and anc[:7] == ["sh"] * 7, f)   # past the kernel's five
want(f["proc.aname[7]"] == anc[6] == "sh", f)
trunc = [a for a in alerts if a["rule"] == "Clear log files"]
want("O_TRUNC" in trunc[0]["output_fields"]["evt.arg.flags"], trunc)
EOF

echo >"$T/release"
wait "$DEEP" || fail "the deep reader exited $?"
DEEP=

step "every alert reached the falcosidekick backend in the accepted shape"
delivered() {
	python3 - "$BLOG" "$T/alerts.ndjson" <<'EOF'
import json, sys
bodies = [json.loads(json.loads(l)["body"]) for l in open(sys.argv[1]) if l.strip()]
alerts = [json.loads(l) for l in open(sys.argv[2]) if l.strip()]
sys.exit(0 if {a["uuid"] for a in alerts} <= {b.get("uuid") for b in bodies} else 1)
EOF
}
wait_for "every alert at the backend" 20 delivered
python3 - "$BLOG" "$T/alerts.ndjson" <<'EOF' || fail "falcosidekick acceptance"
import json, re, sys
def want(c, m):
    if not c:
        print("assertion failed:", m, file=sys.stderr); sys.exit(1)
prios = {"Emergency", "Alert", "Critical", "Error", "Warning", "Notice", "Informational", "Debug"}
reqs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
alerts = {json.loads(l)["uuid"] for l in open(sys.argv[2]) if l.strip()}
want(len(reqs) >= len(alerts) >= 5, (len(reqs), len(alerts)))
for r in reqs:
    want(r["status"] == 200, r["status"])
    want(r["headers"].get("content-type") == "application/json", "application/json")
    a = json.loads(r["body"])
    for f in ("output", "priority", "rule", "time", "source", "hostname", "uuid"):
        want(isinstance(a.get(f), str) and a[f], "%s non-empty in %s" % (f, a))
    want(a["priority"] in prios, a["priority"])
    want(re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$", a["time"]), a["time"])
    want(isinstance(a["output_fields"], dict), "output_fields object")
    want(isinstance(a["tags"], list) and a["tags"] and all(isinstance(t, str) for t in a["tags"]), "tags")
    want("kind" not in a, "no kind in falcosidekick bodies")
EOF

agent_stop || fail "agent exit status $?"
echo "test_falco_rules: all scenarios passed"
