#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# One report from the dumps of two nodes (the cluster-wide view): dump_gen
# writes a 5,000-pod node (worker-1) and a small one with findings
# (worker-2); `credwatch-inspect report D1 D2` must show both nodes with
# their own counts, agent versions and files, the totals of both, graph
# nodes that say which node they are on (or "several nodes" for the pod
# names both dumps hold), and - 5,000 pods notwithstanding - a
# graph of at most `--top` entities per column plus namespace groups and one
# "N more" node, whose counts add up to every access. Opened in chromium:
# no request, no console message. The order of the dumps does not matter.
set -eu
cd "$(dirname "$0")/../.."
. tests/lib/agent.sh	# fail
BUILD=${BUILD:-build}
INSPECT=$BUILD/credwatch-inspect
PW=$(tests/lib/get-playwright.sh) || fail "cannot install playwright-core (tests/lib/get-playwright.sh)"
export PLAYWRIGHT_MODULES=$PW
GEN=$(BUILD=$BUILD tests/lib/build-dump-gen.sh)

T=$(mktemp -d /tmp/cw-report-nodes.XXXXXX)
trap '[ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT
mkdir -m 0700 "$T/w1" "$T/w2"
"$GEN" --node worker-1 --pods 5000 "$T/w1" 60000 >/dev/null || fail "dump_gen worker-1"
"$GEN" --node worker-2 --pods 40 "$T/w2" 3000 0 1 500 >/dev/null || fail "dump_gen worker-2"

"$INSPECT" report "$T/w1" "$T/w2" --top 15 --output "$T/both.html" 2>"$T/err" ||
	fail "report of two nodes: exit $?: $(cat "$T/err")"
"$INSPECT" report "$T/w2" "$T/w1" --top 15 --output "$T/swapped.html" || fail "swapped order"
node tests/lib/report-browser.mjs "$T/both.html" "$T/both.json" || fail "browser"
node tests/lib/report-browser.mjs "$T/swapped.html" "$T/swapped.json" || fail "browser (swapped)"

python3 - "$T/both.json" "$T/swapped.json" <<'PY' || fail "two-node report (facts: $T/both.json)"
import json, re, sys
F = json.load(open(sys.argv[1]))
S = json.load(open(sys.argv[2]))
assert F["requests"] == [] and F["console"] == [] and F["pageErrors"] == [], F["console"]
assert F["title"] == "credwatch access report: 2 nodes", F["title"]
num = lambda s: int(s.replace(",", ""))
rows = {r[0]: r for r in F["nodeRows"][1:]}
assert set(rows) == {"worker-1", "worker-2"}, rows
# node, kernel, agent, files, accesses, alerts, finding lines
assert num(rows["worker-1"][4]) == 60000 and num(rows["worker-1"][5]) == 60, rows
assert num(rows["worker-2"][4]) == 3000 and num(rows["worker-2"][6]) == 6, rows
assert rows["worker-1"][3] == "1" and rows["worker-2"][2], rows
assert "63,000" in F["cards"][0], F["cards"]
assert len(F["inputRows"]) == 3, F["inputRows"]
assert "Who read whose credential: nodes worker-1, worker-2" in F["bodyText"], F["bodyText"][:300]

# a 5,000-pod node stays readable: 15 per column, <= 6 groups, one "N more"
for col in ("reader", "credential", "owner"):
    nodes = [n for n in F["nodes"] if col in n["cls"].split()]
    single = [n for n in nodes if n["id"].startswith("n-")]
    more = [n for n in nodes if "more" in n["cls"].split()]
    assert len(single) == 15 and len(nodes) <= 15 + 6 + 1 and len(more) == 1, (col, len(nodes))
    total = sum(num(n["text"][2]) for n in nodes)
    assert total == 63000, (col, total)	# every access is in some node
    # with two nodes, every node says which one it is on; the 40 pod names
    # both dumps have (a pod recreated on another node) say "several nodes"
    for n in single:
        if col == "owner" or not n["text"][0].startswith("app-"):
            continue
        both = int(n["text"][0][4:]) < 40
        assert n["text"][1].endswith("\u00b7 several nodes" if both else "\u00b7 worker-1"), n["text"]
readers = [n for n in F["nodes"] if "reader" in n["cls"].split()]
assert any("more readers" in n["text"][0] for n in readers), [n["text"] for n in readers]
# cross-pod reads (one in 97) stay highlighted, in groups too
assert any("cross" in e["cls"].split() for e in F["edges"])
# the same page whatever the order of the dumps
strip = lambda d: {"nodeRows": d["nodeRows"], "cards": d["cards"], "rules": d["rules"],
                   "edges": sorted((e["cls"], e["title"]) for e in d["edges"]),
                   "nodes": sorted((n["id"], n["title"]) for n in d["nodes"])}
assert strip(F) == strip(S), "the order of the dumps changed the page"
print("two nodes ok:", {k: v[4] for k, v in rows.items()})
PY
echo "report nodes ok"
