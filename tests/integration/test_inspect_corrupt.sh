#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# credwatch-inspect on generated dumps: clean input, then each kind of damage
# (truncated tail, flipped byte, zero-length file, wrong magic, newer format)
# must give the documented exit code and message, and still print every
# readable event. See docs/dumps.md "Damaged input".
set -u
. "$(dirname "$0")/../lib/preamble.sh"
gen=$(tests/lib/build-dump-gen.sh) || { echo "FAIL: cannot build dump_gen"; exit 1; }
inspect=$BUILD/credwatch-inspect
test_tmpdir inspect-corrupt
tmp=$T
fails=0

fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

# run NAME WANT_RC WANT_STDERR_REGEX WANT_EVENTS cmd...: events counted as stdout lines
run() {
	local name=$1 want_rc=$2 want_err=$3 want_lines=$4; shift 4
	"$@" >"$tmp/out" 2>"$tmp/err"
	local rc=$? lines
	lines=$(wc -l <"$tmp/out")
	[ "$rc" = "$want_rc" ] || fail "$name: exit $rc, want $want_rc ($(head -c 300 "$tmp/err"))"
	if [ -n "$want_err" ]; then
		grep -Eq -- "$want_err" "$tmp/err" || fail "$name: stderr lacks /$want_err/: $(head -c 300 "$tmp/err")"
	else
		[ ! -s "$tmp/err" ] || fail "$name: unexpected stderr: $(head -c 300 "$tmp/err")"
	fi
	[ "$want_lines" = - ] || [ "$lines" = "$want_lines" ] ||
		fail "$name: $lines output lines, want $want_lines"
	echo "ok: $name"
}

mkdir -m 700 "$tmp/clean"
"$gen" "$tmp/clean" 5000 8192 >/dev/null || { echo "FAIL: dump_gen"; exit 1; }
file=$(ls "$tmp"/clean/*.cwd)

run "clean events --json" 0 "" 5000 "$inspect" events --json "$file"
python3 - "$tmp/out" <<'PY' || fail "events --json is not one JSON object per line with the field names"
import json, sys
n = 0
for line in open(sys.argv[1]):
    o = json.loads(line)
    assert o["proc.name"] in ("cat", "curl", "python3", "kubectl", "vault-agent"), o
    assert o["evt.time"] == 1700000000000000000 + n * 1000, (n, o["evt.time"])
    assert o["k8s.pod.name"] and o["cred.kind"] and o["proc.aname[1]"] == "bash", o
    n += 1
assert n == 5000
PY
run "clean events table" 0 "" 5001 "$inspect" events "$tmp/clean"
run "clean alerts" 0 "" 5 "$inspect" alerts "$tmp/clean"
run "clean summary" 0 "" - "$inspect" summary "$tmp/clean"
grep -q '^events: *5000$' "$tmp/out" || fail "summary: event count"
grep -q '^alerts: *5$' "$tmp/out" || fail "summary: alert count"
grep -q '^integrity: *ok' "$tmp/out" || fail "summary: integrity"
run "summary --json" 0 "" 1 "$inspect" summary --json "$file"
python3 -c 'import json,sys; o=json.load(open(sys.argv[1])); assert o["events"]==5000 and o["integrity"]["ok"], o' \
	"$tmp/out" || fail "summary --json content"
run "since/until" 0 "" 10 "$inspect" events --json --since 1700000000.000001 \
	--until 2023-11-14T22:13:20.00001Z "$file"

size=$(stat -c %s "$file")
mkdir "$tmp/trunc"
head -c $((size - 100)) "$file" >"$tmp/trunc/a.cwd"
run "truncated tail" 1 "a.cwd: offset [0-9]+: truncated block" - "$inspect" events --json "$tmp/trunc"
lines=$(wc -l <"$tmp/out")
{ [ "$lines" -gt 4000 ] && [ "$lines" -lt 5000 ]; } || fail "truncated tail: $lines events read"

mkdir "$tmp/flip"
cp "$file" "$tmp/flip/a.cwd"
printf '\xff\xff\xff\xff' | dd of="$tmp/flip/a.cwd" bs=1 seek=$((size / 2)) conv=notrunc status=none
run "flipped bytes" 1 "offset [0-9]+: (block CRC mismatch|bad block header|bad compressed)" - \
	"$inspect" events --json "$tmp/flip/a.cwd"
lines=$(wc -l <"$tmp/out")
{ [ "$lines" -gt 4000 ] && [ "$lines" -lt 5000 ]; } || fail "flipped bytes: $lines events read"
run "summary reports damage" 1 "offset" - "$inspect" summary "$tmp/flip"
grep -q '^integrity: *DAMAGED' "$tmp/out" || fail "summary: damage not shown"

mkdir "$tmp/mixed"
cp "$file" "$tmp/mixed/a.cwd"
: >"$tmp/mixed/b.cwd"
echo "not a dump" >"$tmp/mixed/c.cwd"
{ printf 'CWDUMP\0\x07'; tail -c +9 "$file"; } >"$tmp/mixed/d.cwd"
cp "$file" "$tmp/mixed/e.cwd"
run "mixed dir" 1 "b.cwd: offset 0: empty file" 10000 "$inspect" events --json "$tmp/mixed"
grep -q "c.cwd: offset 0: not a credwatch dump (bad magic)" "$tmp/err" || fail "wrong magic message"
grep -q "d.cwd: offset 0: dump format version 7 is newer than this reader supports (1)" "$tmp/err" ||
	fail "newer version message"
run "zero-length file alone" 1 "empty file" 1 "$inspect" events "$tmp/mixed/b.cwd"

mkdir "$tmp/empty"
run "dir without dumps" 2 "no dump files" 0 "$inspect" summary "$tmp/empty"
run "missing path" 2 "No such file" 0 "$inspect" summary "$tmp/nope"
run "bad command" 2 "unknown command" 0 "$inspect" frobnicate "$file"
run "bad time" 2 "--since: cannot parse" 0 "$inspect" events --since yesterday "$file"
run "replay needs rules" 2 "needs --rules" 0 "$inspect" replay "$file"
"$inspect" events --filter 'proc.name = curl' "$file" >"$tmp/out" 2>"$tmp/err"
rc=$?
if grep -q "not built with the rules engine" "$tmp/err"; then
	[ $rc = 2 ] || fail "--filter without rules engine: exit $rc, want 2"
else
	[ $rc = 0 ] || fail "--filter: exit $rc"
	want=$("$inspect" events --json "$file" | grep -c '"proc.name":"curl"')
	[ "$want" -gt 0 ] || fail "--filter: fixture has no curl events"
	[ "$(wc -l <"$tmp/out")" = $((want + 1)) ] ||
		fail "--filter: $(wc -l <"$tmp/out") lines, want $want + header"
	awk 'NR > 1 && $3 != "curl" { bad = 1 } END { exit bad }' "$tmp/out" ||
		fail "--filter: a line that is not curl"
fi

[ "$fails" = 0 ] || { echo "$fails failures"; exit 1; }
echo "all inspect checks passed"
