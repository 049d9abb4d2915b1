#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The access report in a real browser: the demo (the real agent, a cross-pod
# token theft, an exec session, a host process truncating a token, findings)
# ends by writing credwatch-inspect report's page; Debian's chromium opens it
# headless (tests/lib/report-browser.mjs, over the DevTools protocol) and the
# live DOM must show the cross-pod edge, the exec session, the host read, each
# alert rule with a link to exactly its events, every open finding with its
# fix (YAML and command byte for byte as the agent wrote them) and the
# resolved ones, the node and its integrity. The page must make no request,
# log no console message, run no script, and its style must apply (the CSP
# hash is right). A screenshot goes to $BUILD/report/demo-report.png (the
# README's picture is a copy: docs/report.png).
# Then the command line: damaged input (exit 1, page says DAMAGED), an
# output that cannot be written (exit 1, nothing left behind), usage errors
# (exit 2), a terminal on stdout (exit 2), a period with no records.
set -eu
. "$(dirname "$0")/../lib/preamble.sh"
INSPECT=$BUILD/credwatch-inspect
PW=$(tests/lib/get-playwright.sh) || fail "cannot install playwright-core (tests/lib/get-playwright.sh)"
export PLAYWRIGHT_MODULES=$PW

test_tmpdir report

BUILD=$BUILD tests/demo/demo.sh --out "$T/out" >"$T/demo.out" 2>"$T/demo.err" ||
	fail "demo failed: $(tail -n 20 "$T/demo.out" "$T/demo.err")"
tail -n 1 "$T/demo.out" | grep -qx "Report: $T/out/report.html (.*)" ||
	fail "the demo does not end with the report's path: $(tail -n 2 "$T/demo.out")"
[ -s "$T/out/report.html" ] || fail "no report written"

mkdir -p "$BUILD/report"
node tests/lib/report-browser.mjs "$T/out/report.html" "$T/facts.json" \
	"$BUILD/report/demo-report.png" || fail "the browser could not open the report"
[ -s "$BUILD/report/demo-report.png" ] || fail "no screenshot"

python3 - "$T/facts.json" "$T/out" <<'PY' || fail "report DOM (facts: $T/facts.json)"
import collections, json, sys
F = json.load(open(sys.argv[1]))
out = sys.argv[2]

# loads nothing, logs nothing, runs nothing; its own style applies
assert F["requests"] == [], F["requests"]
assert F["console"] == [], F["console"]
assert F["pageErrors"] == [] and F["dialogs"] == [], (F["pageErrors"], F["dialogs"])
assert F["csp"].startswith("default-src 'none'; style-src 'sha256-"), F["csp"]
assert "script-src" not in F["csp"] and F["scripts"] == 0 and F["onAttributes"] == []
assert F["headerBackground"] == "rgb(22, 32, 46)", "the style did not apply: " + F["headerBackground"]
ids = set(F["ids"])
for h in F["hrefs"]:
    assert h.startswith("#") and h[1:] in ids, ("a link out, or to nothing", h)

def edge(cls, start, owner):
    hits = [e for e in F["edges"] if cls in e["cls"].split() and e["title"].startswith(start)
            and "(owner: %s)" % owner in e["title"]]
    assert hits, (cls, start, owner, F["edges"])
    return hits[0]
e = edge("cross", "team-a/web read ", "team-b/db")
assert "CROSS-POD" in e["title"] and ": 2 accesses, 2 alerts" in e["title"], e
e = edge("exec", "team-a/web read ", "team-a/web")
assert "EXEC SESSION" in e["title"] and "cross" not in e["cls"], e
e = edge("hostread", "sh (", "team-b/db")
assert "on the host" in e["title"], e
web = [n for n in F["nodes"] if "reader" in n["cls"].split() and n["text"][:2] == ["web", "ns team-a"]]
assert len(web) == 1 and "exec" in web[0]["text"] and "hot" in web[0]["cls"].split(), web
assert "1 in exec sessions" in web[0]["title"], web

# alerts: one row per rule with the agent's counts, each linking to its events
alerts = [json.loads(l) for l in open(out + "/alerts.ndjson")]
want = collections.Counter((a["rule"], a["priority"]) for a in alerts)
got = {(r["cells"][1], r["cells"][0]): r for r in F["rules"]}
assert set(got) == set(want), (got.keys(), want)
for k, r in got.items():
    assert int(r["cells"][2]) == want[k] and len(r["events"]) == want[k], (k, r)
cross = got[("Service account token read by another pod", "Critical")]["events"]
assert all(ev[2] == "team-a/web" and ev[6] == "team-b/db" and ev[3] == "cat" for ev in cross), cross
ex = got[("Credential read in an interactive exec session", "Error")]["events"]
assert ex[0][7] == "exec" and ex[0][6] == "team-a/web", ex
wr = got[("Credential file opened for writing", "Error")]["events"]
assert wr[0][2] == "sh (host)" and wr[0][6] == "team-b/db", wr

# findings: the latest line of each id; open ones with their fix, as written
latest = {}
for l in open(out + "/findings.ndjson"):
    f = json.loads(l)
    latest[f["id"]] = f
opened = [f for f in latest.values() if f["status"] == "open"]
assert any(f["type"] == "unused_sa_token" and f["resource"]["pod"] == "cache" for f in opened)
assert len(F["findings"]) == len(opened), (F["findings"], opened)
for f in opened:
    r = f["resource"]
    where = "%s/%s" % (r["namespace"], r["pod"]) if r["pod"] else r["path"]
    art = [a for a in F["findings"] if a["head"] == "%s %s: %s" % (f["severity"], f["type"], where)]
    assert len(art) == 1, (f, F["findings"])
    rec = f["recommendation"]
    assert art[0]["summary"] == rec["summary"], (art[0]["summary"], rec["summary"])
    assert art[0]["yaml"] == rec["yaml"] and art[0]["command"] == rec["command"], (art[0], rec)
unused = [a for a in F["findings"] if "unused_sa_token: team-b/cache" in a["head"]][0]
assert "automountServiceAccountToken: false" in unused["yaml"] and unused["command"].startswith("kubectl ")
resolved = [f for f in latest.values() if f["status"] == "resolved"]
# (a header row, when there is a table: whether a finding resolved before
# the demo stopped its agent depends on the machine's pace)
assert len(F["resolved"][1:]) == len(resolved), (F["resolved"], resolved)
for f in resolved:
    assert any(row[0] == "resolved" and row[2] == f["type"] and row[5] == f["evidence"]["resolved_because"]
               for row in F["resolved"][1:]), (f, F["resolved"])

# the node, its counts and the dump's integrity
events = sum(1 for l in open(out + "/events.ndjson") if "credwatch.summary" not in l)
node = F["nodeRows"][1]
assert node[0] == "demo-node" and int(node[4].replace(",", "")) == events, (node, events)
assert int(node[5]) == len(alerts) and node[2] == open("VERSION").read().strip(), (node, len(alerts))
assert F["integrity"].startswith("ok"), F["integrity"]
assert F["inputRows"][1][1] == "ok" and F["inputRows"][1][4] != "0", F["inputRows"]
assert "%d" % events in F["cards"][0] and "credential accesses" in F["cards"][0], F["cards"]
assert F["timelineRows"][:2] == ["all readers", "team-a/web"], F["timelineRows"]
print("report DOM ok: %d edges, %d rules, %d open findings" % (len(F["edges"]), len(got), len(opened)))
PY

# --- the command line ------------------------------------------------------------
DUMP=$T/out/dump
# a damaged dump: the page is still written, says DAMAGED, exit 1
cp -r "$DUMP" "$T/cut"
F=$(ls "$T"/cut/*.cwd | tail -n 1)
truncate -s -9 "$F"
rc=0
"$INSPECT" report "$T/cut" --output "$T/cut.html" 2>"$T/cut.err" || rc=$?
[ "$rc" = 1 ] || fail "damaged dump: exit $rc, want 1"
grep -q "offset [0-9]*: truncated block" "$T/cut.err" || fail "damaged dump: $(cat "$T/cut.err")"
grep -q 'id="integrity-status"><b>DAMAGED</b>' "$T/cut.html" || fail "the page does not say DAMAGED"
grep -q 'truncated block' "$T/cut.html" || fail "the page does not list the damage"

# an output that cannot be written: exit 1, one line, nothing left behind
rc=0
"$INSPECT" report "$DUMP" --output "$T/missing/r.html" 2>"$T/miss.err" || rc=$?
[ "$rc" = 1 ] || fail "missing output dir: exit $rc, want 1"
grep -q "report: $T/missing/r.html: cannot create: No such file" "$T/miss.err" ||
	fail "missing output dir: $(cat "$T/miss.err")"
[ ! -e "$T/missing" ] || fail "something was left behind"
# replacing a page: atomic rename, no temporary file left, the usual file mode
"$INSPECT" report "$DUMP" --output "$T/again.html" && "$INSPECT" report "$DUMP" --output "$T/again.html" ||
	fail "writing a page twice"
[ "$(ls "$T" | grep -c 'again.html')" = 1 ] || fail "temporary files left: $(ls "$T")"
[ "$(stat -c %a "$T/again.html")" = "$(printf '%o' $((0666 & ~$(umask))))" ] || fail "mode $(stat -c %a "$T/again.html")"

# usage errors: exit 2, one line naming what is wrong
err() {	# PATTERN ARGS...
	local p=$1 rc=0; shift
	"$INSPECT" report "$@" >/dev/null 2>"$T/err" || rc=$?
	[ "$rc" = 2 ] || fail "report $*: exit $rc, want 2"
	grep -q -- "$p" "$T/err" || fail "report $*: '$(cat "$T/err")' lacks '$p'"
}
err "missing DUMP"
mkdir "$T/nodumps"
err "no dump files" "$T/nodumps"
err "$T/nothing: No such file" "$DUMP" "$T/nothing"
err "--top: expected a number from 1 to 500, got '0'" "$DUMP" --top 0
err "--since: cannot parse 'soon'" "$DUMP" --since soon
err "unknown option '--json'" "$DUMP" --json
err "option '--output' needs a value" "$DUMP" --output
# stdout a terminal: refused; a pipe: the page
script -qec "$INSPECT report $DUMP" /dev/null >"$T/tty.out" 2>&1 </dev/null && fail "HTML written to a terminal"
grep -q "will not write HTML to a terminal" "$T/tty.out" || fail "terminal: $(cat "$T/tty.out")"
"$INSPECT" report "$DUMP" | head -c 15 | grep -qx '<!DOCTYPE html>' || fail "report to a pipe"
"$INSPECT" report --help | grep -q -- "--output FILE" || fail "report --help"
"$INSPECT" --help | grep -q "  report " || fail "--help lacks report"
# a period without records: a page that says so, exit 0
"$INSPECT" report "$DUMP" --until 1000000000 --output "$T/empty.html" || fail "empty period: exit $?"
grep -q "No credential accesses were recorded in this period" "$T/empty.html" || fail "empty period page"
# never a credential's bytes
if grep -q CWMARKER "$T/out/report.html"; then fail "a credential's contents in the page"; fi
echo "report ok"
