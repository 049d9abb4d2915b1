#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Findings in trace dumps: the real agent with --dump and --findings on a
# fixture node (window 2 s, interval 1 s) records every finding line it
# writes; `credwatch-inspect findings --json` gives back exactly the
# --findings file, `summary` shows the latest status of each finding (one
# resolved while the agent ran), a truncated dump still yields the findings
# before the damage with exit 1, and --dump alone records no findings.
set -eu
. "$(dirname "$0")/../lib/preamble.sh"
. tests/lib/fixture.sh
. tests/lib/agent.sh
need_tracefs
INSPECT=$BUILD/credwatch-inspect

test_tmpdir dump-findings
on_exit agent_stop

ROOT=$T/root
UID_IDLE=7d000000-0000-4000-8000-00000000000d
fixture_pod "$ROOT" team-a idle "$UID_IDLE"		# token never read: unused_sa_token
fixture_host "$ROOT"					# admin.conf on a worker: critical
chmod 0644 "$ROOT/root/.kube/config"			# world-readable: resolved below
chmod 0600 "$ROOT/var/lib/kubelet/pki/kubelet-client-current.pem"
ARGS=(--host-root "$ROOT" --state-dir "$T/state" --node-name worker-1)

# run 1: both flags; the kubeconfig is fixed after the second evaluation
agent_start "$T/a1" "${ARGS[@]}" --dump "$T/dump" --findings "$T/findings.ndjson" \
	--findings-window 2 --findings-interval 1 --duration 5
sleep 2.5
chmod 0600 "$ROOT/root/.kube/config"
rc=0
wait "$AGENT_PID" || rc=$?
AGENT_PID=
[ "$rc" = 0 ] || fail "agent exited $rc: $(cat "$T/a1.stderr")"

# the --findings file holds what this test needs, or the rest proves nothing
python3 - "$T/findings.ndjson" <<'EOF' || fail "findings file: $(cat "$T/findings.ndjson")"
import json, sys
L = [json.loads(l) for l in open(sys.argv[1])]
st = {(l["type"], l["status"]) for l in L}
for want in [("admin_kubeconfig_on_worker", "open"), ("unused_sa_token", "open"),
             ("exposed_host_credential", "open"), ("exposed_host_credential", "resolved")]:
    assert want in st, (want, st)
EOF

# findings --json: byte for byte the --findings file
"$INSPECT" findings --json "$T/dump" >"$T/inspected.ndjson" 2>"$T/inspect.err" \
	|| fail "inspect findings --json exited $?: $(cat "$T/inspect.err")"
cmp "$T/findings.ndjson" "$T/inspected.ndjson" \
	|| fail "findings --json differs from --findings: $(diff "$T/findings.ndjson" "$T/inspected.ndjson" | head -20)"
[ ! -s "$T/inspect.err" ] || fail "inspect findings stderr: $(cat "$T/inspect.err")"

# findings (table): a header and one row per line, ids and statuses in order
"$INSPECT" findings "$T/dump" >"$T/table" || fail "inspect findings exited $?"
python3 - "$T/findings.ndjson" "$T/table" <<'EOF' || fail "findings table: $(cat "$T/table")"
import json, sys
L = [json.loads(l) for l in open(sys.argv[1])]
rows = open(sys.argv[2]).read().splitlines()
assert rows[0].split()[:6] == ["TIME", "STATUS", "SEVERITY", "TYPE", "ID", "RESOURCE"], rows[0]
assert len(rows) == len(L) + 1, (len(rows), len(L))
for l, row in zip(L, rows[1:]):
    c = row.split()
    assert c[1:5] == [l["status"], l["severity"], l["type"], l["id"]], (c, l)
    r = l["resource"]
    where = "%s/%s" % (r["namespace"], r["pod"]) if r["pod"] else r["path"]
    assert c[5] == where, (c, where)
EOF

# summary: counts and the latest status of each finding id, text and --json
"$INSPECT" summary "$T/dump" >"$T/summary" || fail "inspect summary exited $?"
"$INSPECT" summary --json "$T/dump" >"$T/summary.json" || fail "inspect summary --json exited $?"
python3 - "$T/findings.ndjson" "$T/summary" "$T/summary.json" <<'EOF' || fail "summary: $(cat "$T/summary")"
import json, re, sys
L = [json.loads(l) for l in open(sys.argv[1])]
text = open(sys.argv[2]).read()
S = json.load(open(sys.argv[3]))
latest = {}
for l in L:
    latest[l["id"]] = l
opened = [l for l in latest.values() if l["status"] == "open"]
sev = {s: sum(1 for l in opened if l["severity"] == s) for s in ("critical", "high", "medium", "low")}
resolved = sum(1 for l in latest.values() if l["status"] == "resolved")
want = "findings:    %d (%d open: %d critical, %d high, %d medium, %d low; %d resolved) from %d lines" % (
    len(latest), len(opened), sev["critical"], sev["high"], sev["medium"], sev["low"], resolved, len(L))
assert want in text.splitlines(), want
assert "integrity:   ok" in text
table = text.split("findings (latest status of each):\n")[1].splitlines()
assert table[0].split() == ["STATUS", "SEVERITY", "TYPE", "FIRST_SEEN", "LAST_SEEN", "ID", "RESOURCE"], table[0]
rows = [r.split() for r in table[1:] if r.strip()]
assert len(rows) == len(latest), (rows, latest.keys())
for c in rows:
    l = latest[c[5]]
    assert c[:5] == [l["status"], l["severity"], l["type"], l["first_seen"], l["last_seen"]], (c, l)
# open first, critical first among them; the fixed kubeconfig is resolved
assert [c[0] for c in rows] == sorted((c[0] for c in rows), key=lambda s: s != "open"), rows
assert rows[0][:3] == ["open", "critical", "admin_kubeconfig_on_worker"], rows[0]
kc = [c for c in rows if c[2] == "exposed_host_credential" and c[6] == "/root/.kube/config"]
assert len(kc) == 1 and kc[0][0] == "resolved", kc
assert any(c[2] == "unused_sa_token" and c[6] == "team-a/idle" and c[0] == "open" for c in rows), rows
fc = S["finding_counts"]
assert (fc["findings"], fc["open"], fc["resolved"], fc["lines"]) == (len(latest), len(opened), resolved, len(L)), fc
assert fc["open_by_severity"]["critical"] == sev["critical"], fc
assert {f["id"]: f["status"] for f in S["findings"]} == {i: l["status"] for i, l in latest.items()}
assert S["events"] >= 0 and S["integrity"]["ok"] is True
EOF

# a dump cut inside its last block: the earlier findings, a damage line, exit 1
cp -r "$T/dump" "$T/cut"
F=$(ls "$T"/cut/*.cwd | tail -1)
truncate -s -7 "$F"
rc=0
"$INSPECT" findings --json "$T/cut" >"$T/cut.ndjson" 2>"$T/cut.err" || rc=$?
[ "$rc" = 1 ] || fail "truncated dump: exit $rc, want 1"
grep -q "offset [0-9]*: truncated block" "$T/cut.err" || fail "truncated dump: $(cat "$T/cut.err")"
[ -s "$T/cut.ndjson" ] || fail "truncated dump: no findings before the damage"
head -c "$(stat -c %s "$T/cut.ndjson")" "$T/findings.ndjson" | cmp - "$T/cut.ndjson" \
	|| fail "truncated dump: findings are not a prefix of the --findings file"
[ "$(wc -l <"$T/cut.ndjson")" -lt "$(wc -l <"$T/findings.ndjson")" ] \
	|| fail "truncated dump: the cut block held no finding; the test proves nothing"

# run 2: --dump without --findings records no findings
agent_start "$T/a2" "${ARGS[@]}" --dump "$T/dump2" --duration 1
wait "$AGENT_PID" || fail "agent (dump only) exited $?: $(cat "$T/a2.stderr")"
AGENT_PID=
"$INSPECT" findings --json "$T/dump2" >"$T/none" || fail "inspect findings (dump only) exited $?"
[ ! -s "$T/none" ] || fail "findings recorded without --findings: $(cat "$T/none")"
"$INSPECT" summary "$T/dump2" | grep -q '^findings:    0 (0 open' || fail "summary (dump only)"

# usage: --filter is not for findings
rc=0
"$INSPECT" findings "$T/dump" --filter 'proc.name = cat' 2>"$T/usage.err" >/dev/null || rc=$?
[ "$rc" = 2 ] && grep -q -- "--filter: not for findings" "$T/usage.err" || fail "findings --filter: exit $rc $(cat "$T/usage.err")"
"$INSPECT" --help | grep -q "  findings  " || fail "--help lacks findings"

# never a credential's bytes in the dump's findings
if grep -q CWMARKER "$T/inspected.ndjson" "$T/summary"; then fail "a credential's contents leaked"; fi
echo "dump findings ok"
