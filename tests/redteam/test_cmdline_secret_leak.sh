#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Attack: make the monitor copy secrets. Readers of a watched credential
# carry secrets in their command lines (kubectl --token=, mysql -p, curl -H
# "Authorization: Bearer", URLs with user:password@, AWS keys, GitHub,
# GitLab and Slack tokens, JWTs, a PEM private key) and one reader's parent
# carries one too. Recorded as they are, they would land in the --events
# stream, JSON and text alerts, trace dumps, the spool, the audit backend,
# the logs and /metrics, readable by whoever reads those.
# Defence: user/redact.c, applied where a record is built from the kernel's
# argv (user/event.c) and from /proc/<ppid>/cmdline (user/attrib.c).
#
# Two real agents watch the credential: one with every JSON sink on
# (--events, --output json, --dump, --spool + backend, --listen, -v), one
# writing text alerts (-v). Every secret carries a unique marker; no marker
# may appear in any output, while each alert still names the process and
# the redacted flag (--token=<redacted>, -p<redacted>, Bearer <redacted>...)
# and credwatch_redactions_total counts every kind.
#
# To watch it fail: REDTEAM_DEFENCE_OFF=1 starts both agents with
# --no-redact (or delete the redact_argv() calls in user/event.c and
# user/attrib.c): the markers then reach every sink and the test fails.
set -eu
. "$(dirname "$0")/../lib/preamble.sh"
. tests/lib/fixture.sh
. tests/lib/agent.sh
. tests/lib/pki.sh
need_tracefs

test_tmpdir rt-cmdline
BPID= TPID= PARENT=
kill_at_exit BPID
kill_at_exit TPID
on_exit agent_stop
on_exit '[ -z "$PARENT" ] || { touch "$T/release"; kill "$PARENT" 2>/dev/null; }'

OFF=()
[ -z "${REDTEAM_DEFENCE_OFF:-}" ] || OFF=(--no-redact)

ROOT=$T/root
mkdir -p "$ROOT/srv"
ln -s /proc "$ROOT/proc"	# attribution reads the parent's cmdline from <host-root>/proc
fixture_marker >"$ROOT/srv/db.key"
CRED=$ROOT/srv/db.key

# ---- secrets, each with a unique marker -----------------------------------
hex() { od -An -N"$1" -tx1 /dev/urandom | tr -d ' \n'; }
UPHEX() { hex "$1" | tr a-f A-F; }
M_TOKEN_EQ=mkTokenEq$(hex 6)
M_TOKEN_SP=mkTokenSp$(hex 6)
M_MYSQL=mkMysql$(hex 6)
M_ENV=mkEnvPw$(hex 6)
M_BEARER=mkBearer$(hex 6)
M_BASIC=$(printf 'svc:mkBasic%s' "$(hex 6)" | base64 -w0)
M_CURLU=mkCurlU$(hex 6)
M_URL=mkUrlPw$(hex 6)
M_AKID=$(UPHEX 8)
M_AWSSK=$(head -c 30 /dev/urandom | base64 -w0)
M_AWSSK2=$(head -c 30 /dev/urandom | base64 -w0)
M_GHP=mkGhp$(hex 16)
M_GHPAT=mkGhPat$(hex 16)
M_GLPAT=mkGlpat$(hex 8)
M_SLACK=mkSlack$(hex 8)
M_JWT=mkJwtSig$(hex 8)
M_PEM=mkPemBody$(hex 12)
M_HELM=mkHelmPw$(hex 6)
M_HELMSET=mkHelmSet$(hex 6)
M_SSHPASS=mkSshpass$(hex 6)
M_JSON=mkJsonPw$(hex 6)
M_PARENT=mkParentKey$(hex 6)
MARKERS=$T/markers
printf '%s\n' "$M_TOKEN_EQ" "$M_TOKEN_SP" "$M_MYSQL" "$M_ENV" "$M_BEARER" "$M_BASIC" \
	"$M_CURLU" "$M_URL" "$M_AKID" "$M_AWSSK" "$M_AWSSK2" "$M_GHP" "$M_GHPAT" "$M_GLPAT" \
	"$M_SLACK" "$M_JWT" "$M_PEM" "$M_HELM" "$M_HELMSET" "$M_SSHPASS" "$M_JSON" \
	"$M_PARENT" >"$MARKERS"
JWT=eyJhbGciOiJSUzI1NiIsImtpZCI6IngifQ.eyJzdWIiOiJzeXN0ZW06c2EifQ.$M_JWT
PEM=$(printf -- '-----BEGIN RSA PRIVATE KEY-----\n%s\n-----END RSA PRIVATE KEY-----' "$M_PEM")

# ---- the sinks --------------------------------------------------------------
pki_make "$T" || fail "test PKI"
BPORT=$(free_port)
HPORT=$(free_port)
echo '{"then": "503"}' >"$T/control"	# hold alerts in the spool until they are checked
python3 tests/lib/fake_backend.py --port "$BPORT" --cert "$T/srv.crt" --key "$T/srv.key" \
	--log "$T/backend.ndjson" --control "$T/control" --ready "$T/ready" &
BPID=$!
for _ in $(seq 200); do [ -s "$T/ready" ] && break; sleep 0.05; done
[ -s "$T/ready" ] || fail "fake backend did not start"

cat >"$T/any.yaml" <<'EOF'
- rule: Any credential read, with command lines
  desc: every access raises an alert that copies every field carrying argv
  condition: cred.kind exists
  output: read by %proc.name (pid=%proc.pid cmdline=%proc.cmdline pcmdline=%proc.pcmdline parent=%proc.pname) of %fd.name
  priority: WARNING
  tags: [test]
EOF

agent_start "$T/text" --host-root "$ROOT" --watch /srv/db.key --rules rules/credwatch_rules.yaml \
	--rules "$T/any.yaml" --rule-matching all --alert-rate 0 --output "$T/alerts.txt" \
	--output-format text -v "${OFF[@]}" >/dev/null
TPID=$AGENT_PID
TEXT_ERR=$AGENT_ERR
AGENT_PID=
agent_start "$T/json" --host-root "$ROOT" --watch /srv/db.key --rules rules/credwatch_rules.yaml \
	--rules "$T/any.yaml" --rule-matching all --alert-rate 0 --events "$T/events.ndjson" \
	--output "$T/alerts.ndjson" --output-format json --dump "$T/dump" --spool "$T/spool" \
	--backend "https://127.0.0.1:$BPORT/ingest" --backend-ca "$T/ca.crt" --backend-flush-ms 100 \
	--backend-retry-base-ms 100 --backend-retry-max-ms 300 --listen "127.0.0.1:$HPORT" -v \
	"${OFF[@]}"

# ---- the readers ------------------------------------------------------------
# Each is the real python3 under a program's name (a symlink: comm and
# argv[0] are that name), opening the credential and ignoring its arguments.
PY=$(readlink -f "$(python3 -c 'import sys; print(sys.executable)')")
mkdir -p "$T/bin"
for p in kubectl mysql docker curl git aws gh glab slackcat jwtctl app helm sshpass; do
	ln -s "$PY" "$T/bin/$p"
done
READ='import sys; open(sys.argv[1]).read()'
PIDS=() WANT=()
reader() {	# reader PROGRAM EXPECTED-SUBSTRING ARGS...
	local prog=$1 want=$2; shift 2
	"$T/bin/$prog" -c "$READ" "$CRED" "$@" &
	PIDS+=($!)
	WANT+=("$want")
}
reader kubectl '--token=<redacted>' --token="$M_TOKEN_EQ" get pods
reader kubectl '--token <redacted>' --token "$M_TOKEN_SP" get secrets
reader mysql '-p<redacted> shop' -u root -p"$M_MYSQL" shop
reader docker 'DB_PASSWORD=<redacted>' run -e DB_PASSWORD="$M_ENV" img
reader curl 'Authorization: Bearer <redacted>' -H "Authorization: Bearer $M_BEARER" https://api.local
reader curl 'X-Upstream: Basic <redacted>' -H "X-Upstream: Basic $M_BASIC" https://api.local
reader curl '-u alice:<redacted>' -u "alice:$M_CURLU" https://api.local
reader git 'https://bob:<redacted>@git.local/r.git' clone "https://bob:$M_URL@git.local/r.git"
reader aws '--access-key-id AKIA<redacted>' --access-key-id "AKIA$M_AKID"
reader aws 'aws_secret_access_key <redacted>' configure set aws_secret_access_key "$M_AWSSK"
reader app 'aws_secret_access_key=<redacted>' "aws_secret_access_key=$M_AWSSK2"
reader gh 'ghp_<redacted>' auth status "ghp_$M_GHP"
reader git 'github_pat_<redacted>' push "github_pat_11A$M_GHPAT"
reader glab 'glpat-<redacted>' "glpat-$M_GLPAT"
reader slackcat 'xoxb-<redacted>' "xoxb-1234567890-$M_SLACK"
reader jwtctl 'verify <redacted>' verify "$JWT"
reader app '-----BEGIN RSA PRIVATE KEY-----<redacted>-----END RSA PRIVATE KEY-----' --key-data "$PEM"
reader helm '--password <redacted>' repo add r https://charts.local --username u --password "$M_HELM"
reader helm 'auth.rootPassword=<redacted>' install db --set "auth.rootPassword=$M_HELMSET"
reader sshpass '-p <redacted> ssh' -p "$M_SSHPASS" ssh host
reader curl '"password":"<redacted>"' -d "{\"user\":\"u\",\"password\":\"$M_JSON\"}" https://api.local
# an ancestor: the reader's parent shell holds a secret, and lives until
# its command line has been read
export READER="$T/bin/app" READ CRED RELEASE="$T/release"
sh -c '"$READER" -c "$READ" "$CRED" child; while [ ! -e "$RELEASE" ]; do sleep 0.05; done' \
	sh --api-key="$M_PARENT" &
PARENT=$!

for p in "${PIDS[@]}"; do wait "$p" || fail "reader $p failed"; done
N=$(( ${#PIDS[@]} + 1 ))
# both agents attribute the child while its parent lives: each reads the
# parent's command line from /proc on its own, the text one may lag
for _ in $(seq 400); do
	[ "$(grep -c '"evt.type"' "$T/events.ndjson" 2>/dev/null || true)" -ge "$N" ] &&
		grep -q 'pcmdline":"sh -c' "$T/events.ndjson" &&
		grep -q -- '--api-key=<redacted>' "$T/alerts.txt" && break
	sleep 0.05
done
touch "$T/release"
wait "$PARENT" || true
PARENT=

# ---- while the backend refuses: the spool holds the alerts ------------------
for _ in $(seq 200); do
	grep -rqa 'Any credential read' "$T/spool" 2>/dev/null && break
	sleep 0.05
done
grep -rqa 'Any credential read' "$T/spool" || fail "no alert reached the spool"
if grep -rlaF -f "$MARKERS" "$T/spool"; then fail "a secret reached the spool"; fi
grep -rqa '<redacted>' "$T/spool" || fail "the spooled alerts carry no redacted flag"
echo '{"then": "ok"}' >"$T/control"
for _ in $(seq 400); do
	grep -q 'Any credential read' "$T/backend.ndjson" 2>/dev/null &&
		[ "$(curl -sf "http://127.0.0.1:$HPORT/metrics" |
		     sed -n 's/^credwatch_backend_acked_total \([0-9]*\)/\1/p')" -ge "$N" ] && break
	sleep 0.05
done
grep -q '"status": 200' "$T/backend.ndjson" || fail "the backend accepted nothing"
curl -sf "http://127.0.0.1:$HPORT/metrics" >"$T/metrics" || fail "/metrics"
agent_stop || fail "json agent exit status: $(tail -3 "$T/json.stderr")"
kill -TERM "$TPID"
wait "$TPID" || fail "text agent exit status: $(tail -3 "$TEXT_ERR")"
TPID=

INSPECT=$BUILD/credwatch-inspect
"$INSPECT" events --json "$T/dump" >"$T/dumped.ndjson" || fail "inspect events --json"
"$INSPECT" events "$T/dump" >"$T/dumped.txt" || fail "inspect events"
"$INSPECT" summary "$T/dump" >"$T/summary.txt" || fail "inspect summary"
"$INSPECT" replay "$T/dump" --rules "$T/any.yaml" >"$T/replay.txt" || fail "inspect replay"

# ---- no marker anywhere -----------------------------------------------------
SINKS=("$T/events.ndjson" "$T/alerts.ndjson" "$T/alerts.txt" "$T/dumped.ndjson" "$T/dumped.txt"
	"$T/summary.txt" "$T/replay.txt" "$T/spool" "$T/backend.ndjson" "$T/metrics"
	"$T/json.stderr" "$TEXT_ERR")
if grep -rlaF -f "$MARKERS" "${SINKS[@]}"; then
	fail "a secret from a command line reached an output: $(grep -rhoaF -f "$MARKERS" \
		"${SINKS[@]}" | sort -u | head -5 | tr '\n' ' ')"
fi

# ---- and each alert still says who and which flag ---------------------------
python3 - "$T" "$N" "${PIDS[@]}" -- "${WANT[@]}" <<'PY' || fail "alerts lost what they must name"
import json, sys
t, n = sys.argv[1], int(sys.argv[2])
rest = sys.argv[3:]
sep = rest.index("--")
pids, want = [int(p) for p in rest[:sep]], rest[sep + 1:]
events = [json.loads(l) for l in open(t + "/events.ndjson") if '"evt.type"' in l]
alerts = [json.loads(l) for l in open(t + "/alerts.ndjson")]
dumped = [json.loads(l) for l in open(t + "/dumped.ndjson")]
text = open(t + "/alerts.txt").read()
backend = open(t + "/backend.ndjson").read()
assert len(events) >= n, (len(events), n)
for pid, w in zip(pids, want):
    ev = [e for e in events if e["proc.pid"] == pid]
    assert len(ev) == 1, (pid, w, len(ev))
    assert w in ev[0]["proc.cmdline"], (w, ev[0]["proc.cmdline"])
    mine = [a for a in alerts if a["rule"].startswith("Any credential read")
            and a["output_fields"].get("proc.pid") == pid]
    assert len(mine) == 1, (pid, w, len(mine))
    a = mine[0]
    name = ev[0]["proc.name"]
    assert a["output"].startswith("read by %s (pid=%d " % (name, pid)), a["output"]
    assert w in a["output"] and w in a["output_fields"]["proc.cmdline"], (w, a["output"])
    assert any(d["proc.pid"] == pid and w in d["proc.cmdline"] for d in dumped), (pid, w)
    assert "pid=%d cmdline=" % pid in text, pid
    if "\n" not in w and '"' not in w:
        assert w in text, (w, "text alerts")
        assert w in backend, (w, "backend")
# the ancestor: a parent's command line is redacted too
child = [e for e in events if e["proc.pcmdline"] and e["proc.pcmdline"].startswith("sh -c")]
assert len(child) == 1, child
assert "sh --api-key=<redacted>" in child[0]["proc.pcmdline"], child[0]["proc.pcmdline"]
pa = [a for a in alerts if a["output_fields"].get("proc.pid") == child[0]["proc.pid"]
      and a["rule"].startswith("Any credential read")]
assert len(pa) == 1 and "--api-key=<redacted>" in pa[0]["output"], pa
assert "--api-key=<redacted>" in text
PY

# ---- the metric counts every kind -------------------------------------------
for kind in name program_flag url_password auth_scheme jwt token_prefix private_key; do
	grep -q "^credwatch_redactions_total{kind=\"$kind\"} [1-9]" "$T/metrics" ||
		fail "credwatch_redactions_total{kind=\"$kind\"}: $(grep redactions_total "$T/metrics")"
done
grep -q 'redact: on:' "$T/json.stderr" || fail "no start-up line about redaction"
echo "no command-line secret reached any output; $N readers, every alert names its redacted flag"
