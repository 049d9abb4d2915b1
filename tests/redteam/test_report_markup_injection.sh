#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Attack: markup and script injection into the access report. Everything a
# report shows comes from events, and an attacker on the node chooses most
# of it: the name of the binary it runs (proc.name, proc.exepath), its argv
# (proc.cmdline), the paths it opens (fd.name), the names of the credential
# files it plants in a watched directory, a pod's namespace and name. Here
# real processes named `<svg onload=alert(4)>` and `<img src=x onerror=...>`
# with argv `"><script>alert(5)</script>` open, under the real agent, a pod
# token through symlinks named like tags, and watched files whose paths spell
# `"><script>alert(3)</script>` and `<style>*{display:none}</style>`; the
# node is named `<b>node</b>` and the rule `... <b>bold</b>`. The agent
# records it all (events, alerts whose output repeats the strings, findings)
# to a dump, `credwatch-inspect report` writes the page, and chromium opens
# it. (Pod and namespace names cannot be hostile here: the agent's node-local
# attribution refuses names that are not DNS-like, user/pods.c plain(); the
# page escapes them all the same, tests/unit/test_report.c
# test_page_of_hostile_names_is_only_our_markup.)
# Defence: tools/inspect/html.c escapes every dump string for its context
# (HTML text and double-quoted attributes: & < > " '), ids are hashes; the
# page's CSP (default-src 'none', style by hash) would stop a script that got
# through anyway. Pass: no element or attribute the report did not write
# itself exists in the DOM, no dialog opened, no script ran, nothing was
# requested, and each hostile string is on the page as text.
# To watch it fail, make put_char() in tools/inspect/html.c write '<' as is
# (`case '<': fputc('<', f); return 1;`): the DOM then holds <img>, <script>
# and <svg onload> elements.
set -eu
cd "$(dirname "$0")/../.."
. tests/lib/fixture.sh
. tests/lib/agent.sh
tests/lib/mount-tracefs.sh
BUILD=${BUILD:-build}
PW=$(tests/lib/get-playwright.sh) || fail "cannot install playwright-core (tests/lib/get-playwright.sh)"
export PLAYWRIGHT_MODULES=$PW
[ -x "$BUILD/itests/hostile" ] || make -s "$BUILD/itests/hostile" >/dev/null

T=$(mktemp -d /tmp/cw-rt-report.XXXXXX)
cleanup() {
	agent_stop >/dev/null 2>&1 || true
	[ -n "${KEEP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT

ROOT=$T/root
NS=team-rt
POD=victim
UIDP=0badf00d-2222-4a4a-9b9b-0000000000$((RANDOM % 90 + 10))
fixture_pod "$ROOT" "$NS" "$POD" "$UIDP"
TOKEN=$(fixture_token_path "$ROOT" "$UIDP")
# watched files the attacker named (a directory it can write, under --watch)
W1='/srv/"><script>alert(3)</script>'
W2='/srv/<style>*{display:none}</style>'
for w in "$W1" "$W2"; do
	mkdir -p "$(dirname "$ROOT$w")"
	fixture_marker >"$ROOT$w"
done
# symlinks to the token named like markup: the path each open passes (fd.name)
H=$T/h
LINKS=("$H/<img src=x onerror=window.__cwpwned=1>" "$H/</title></text></svg><script>window.__cwpwned=1</script>"
	"$H/<!--" "$H/javascript:alert(9)" "$H/a"$'\xe2\x80\xae'"txt.exe")
for l in "${LINKS[@]}"; do
	mkdir -p "$(dirname "$l")"
	ln -s "$TOKEN" "$l"
done
# the attacker's binaries, named like tags (comm is the first 15 bytes)
mkdir -p "$T/bin"
EXE1="$T/bin/<svg onload=alert(4)>"
EXE2="$T/bin/<img src=x onerror=alert(7)>"
cp "$BUILD/itests/hostile" "$EXE1"
cp "$BUILD/itests/hostile" "$EXE2"

cat >"$T/rules.yaml" <<'EOF'
- rule: Any credential open <b>bold</b>
  desc: every open, so that alert outputs repeat the hostile strings
  condition: cred.kind in (sa_token, custom)
  output: >
    opened (proc=%proc.name exe=%proc.exepath cmdline=%proc.cmdline path=%fd.name
    owner=%cred.owner.ns/%cred.owner.pod)
  priority: WARNING
  tags: [test]
EOF

agent_start "$T/agent" --host-root "$ROOT" --watch "$W1" --watch "$W2" --node-name '<b>node</b>' \
	--rules "$T/rules.yaml" --output "$T/alerts.json" --dump "$T/dump" --alert-rate 0 \
	--findings "$T/findings.ndjson" --findings-window 2 --findings-interval 1 --state-dir "$T/state"
(exec -a '"><script>alert(5)</script>' "$EXE1" "${LINKS[@]}" "$ROOT$W1") >/dev/null ||
	fail "the first hostile process could not open its files"
(exec -a "'><iframe srcdoc=x>" "$EXE2" "$TOKEN" "$ROOT$W2") >/dev/null ||
	fail "the second hostile process could not open its files"
# the pod never read its own token: a finding names it (after the 2 s window)
for _ in $(seq 200); do
	grep -q '"unused_sa_token"' "$T/findings.ndjson" 2>/dev/null && break
	sleep 0.1
done
grep -q '"unused_sa_token"' "$T/findings.ndjson" || fail "no finding for the hostile pod"
agent_stop || fail "agent exit status: $(cat "$T/agent.stderr")"
[ -s "$T/alerts.json" ] || fail "no alerts: the page would hold no rule output"

"$BUILD/credwatch-inspect" report "$T/dump" --output "$T/report.html" 2>"$T/report.err" ||
	fail "report: exit $?: $(cat "$T/report.err")"
node tests/lib/report-browser.mjs "$T/report.html" "$T/facts.json" || fail "browser"

python3 - "$T/facts.json" "$T/report.html" <<'PY' || fail "markup injection (facts: $T/facts.json)"
import json, re, sys
F = json.load(open(sys.argv[1]))
raw = open(sys.argv[2], encoding="utf-8").read()

# nothing ran, nothing loaded, nothing was added to the page
assert F["dialogs"] == [], F["dialogs"]
assert F["pwned"] == "undefined", "an injected script ran"
assert F["requests"] == [], F["requests"]
assert F["console"] == [] and F["pageErrors"] == [], (F["console"], F["pageErrors"])
assert F["scripts"] == 0 and F["onAttributes"] == [], (F["scripts"], F["onAttributes"])
own = {"html", "head", "meta", "title", "style", "body", "header", "h1", "h2", "h3", "h4", "p",
       "b", "nav", "a", "main", "section", "div", "span", "svg", "path", "text", "tspan", "g",
       "rect", "circle", "table", "tbody", "tr", "th", "td", "code", "pre", "article", "footer"}
assert set(F["tags"]) <= own, set(F["tags"]) - own
assert F["headerBackground"] == "rgb(22, 32, 46)", "the page's own style did not apply"
for bad in ("<script", "<img", "<iframe", "<svg onload", "<!--", "<style>*"):
    assert bad not in raw.lower(), bad
assert raw.count("<style>") == 1
for h in F["hrefs"]:
    assert re.fullmatch(r"#[a-z-]+[0-9a-f]{16}|#[a-z]+", h), h

# every hostile string is there, as text
readers = {n["text"][0]: n for n in F["nodes"] if "reader" in n["cls"].split()}
assert "<svg onload=ale" in readers and "<img src=x oner" in readers, list(readers)
assert "<svg onload=alert(4)>" in readers["<svg onload=ale"]["title"], readers["<svg onload=ale"]
creds = " ".join(n["title"] for n in F["nodes"] if "credential" in n["cls"].split())
for s in ('/srv/"><script>alert(3)</script>', "/srv/<style>*{display:none}</style>"):
    assert s in creds, (s, creds)
edges = " ".join(e["title"] for e in F["edges"])
assert "<svg onload=ale (" in edges and "<svg onload=alert(4)>" in edges, edges[:500]
rows = [ev for r in F["rules"] for ev in r["events"]]
assert F["rules"][0]["cells"][1] == "Any credential open <b>bold</b>", F["rules"]
cmd = [ev[4] for ev in rows if ev[3] == "<svg onload=ale"]
assert cmd and all(c.startswith('"><script>alert(5)</script> ') for c in cmd), cmd
# whole command lines are in the cells' title attributes
full = [t for t in F["titleAttrs"] if t.startswith('"><script>alert(5)</script> ')]
assert full and all("/h/<img src=x onerror=window.__cwpwned=1> " in t and
                    "/h/</title></text></svg><script>window.__cwpwned=1</script> " in t and
                    "/h/<!-- " in t and "/h/a\\u202etxt.exe " in t for t in full), full[:1]
assert any(ev[4].startswith("'><iframe srcdoc=x> ") for ev in rows), rows
assert all(ev[1] == "<b>node</b>" for ev in rows)
outputs = [t for t in F["titleAttrs"] if t.startswith("opened (proc=")]
assert any("exe=" in t and "/bin/<svg onload=alert(4)> " in t and "owner=team-rt/victim" in t
           for t in outputs), outputs[:1]
heads = [f["head"] for f in F["findings"]]
assert any(h.endswith("unused_sa_token: team-rt/victim") for h in heads), heads
assert [r[0] for r in F["nodeRows"][1:]] == ["<b>node</b>"]
print("markup injection defended: %d hostile readers, %d alert rows" % (len(readers), len(rows)))
PY
echo "report markup injection ok"
