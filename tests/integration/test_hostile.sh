#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Hostile names and processes against the real agent: a watched credential
# opened through paths holding newlines, quotes, backslashes, ANSI escapes,
# invalid UTF-8 and more than 4,000 bytes, by a process with a 100 KiB argv
# and a comm of 15 non-printable bytes. --events and JSON alerts stay valid
# JSON carrying the exact names; text alerts, credwatch-inspect tables and
# --list-watched carry no raw control bytes; every cut is marked "...".
set -eu
cd "$(dirname "$0")/../.."
. tests/lib/fixture.sh
. tests/lib/agent.sh
tests/lib/mount-tracefs.sh
[ -x "$BUILD/itests/hostile" ] || make -s "$BUILD/itests/hostile" >/dev/null

T=$(mktemp -d /tmp/cw-hostile.XXXXXX)
cleanup() {
	agent_stop || true
	[ -n "${KEEP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT

ROOT=$T/root
UID1=0badf00d-1111-4a4a-9b9b-000000000001
fixture_pod "$ROOT" team-a web "$UID1"
TOKEN=$(fixture_token_path "$ROOT" "$UID1")

# A watched custom credential whose own name is hostile (for --list-watched).
EVIL=$'evil\n"quote\x27\\back\e[31mred\e[0m\xff\xfe\x01'
mkdir -p "$ROOT/srv/$EVIL"
fixture_marker >"$ROOT/srv/$EVIL/key"

# Paths to the token, one hostile feature each, then all at once.
H=$T/h
mkdir -p "$H"
declare -a NAMES=(
	$'new\nline'
	'dq"sq'"'"'quotes'
	'back\slash\\'
	$'ansi\e[2J\e[31mred\e]0;title\a'
	$'bad\xff\xfe\xc3utf8'
	$'tab\tcr\r\x7fdel\x01ctl'
	$'all\n"\\\e[1m\xff'
)
declare -a PATHS=()
for n in "${NAMES[@]}"; do
	ln -s "$TOKEN" "$H/$n"
	PATHS+=("$H/$n")
done
# 4,000+ bytes: nested directories of 250-byte names, a symlink at the bottom
LONG=$T/l
seg=$(printf 'x%.0s' $(seq 250))
for _ in $(seq 16); do LONG=$LONG/$seg; done
mkdir -p "$LONG"
ln -s "$TOKEN" "$LONG/tok"
LONG=$LONG/tok
[ ${#LONG} -gt 4000 ] && [ ${#LONG} -lt 4095 ] || fail "long path is ${#LONG} bytes"
PATHS+=("$LONG")

cat >"$T/rules.yaml" <<'EOF'
- rule: Any credential open
  desc: every open, so that alerts carry the hostile strings
  condition: cred.kind in (sa_token, custom)
  output: >
    credential opened (proc=%proc.name cmdline=%proc.cmdline path=%fd.name
    parent=%proc.pname cred=%cred.path)
  priority: WARNING
  tags: [test]
EOF

# --list-watched: hostile names escaped, one line per credential
"$CREDWATCH" --host-root "$ROOT" --watch "/srv/$EVIL/key" --list-watched >"$T/list" \
	2>"$T/list.err" || fail "--list-watched: $(cat "$T/list.err")"
python3 - "$T/list" <<'PY' || fail "--list-watched output"
import sys
raw = open(sys.argv[1], "rb").read()
lines = raw.split(b"\n")
assert lines[-1] == b"", "no final newline"
for l in lines[:-1]:
    bad = [c for c in l if c < 0x20 or c == 0x7f]
    assert not bad, ("raw control bytes", l)
evil = [l for l in lines if b"/srv/evil" in l]
assert len(evil) == 1, lines
assert b"evil\\n\"quote'\\\\back\\x1b[31mred\\x1b[0m\\xff\\xfe\\x01/key" in evil[0], evil[0]
assert b" credentials: sa_token " in lines[-3], lines[-3]
assert lines[-2].startswith(b"refused: symlink "), lines[-2]
PY

# --repeat-window-ms 0: one process opens the token by every hostile path,
# and each path must come out as its own event (a repeat keeps the first
# open's fd.name)
agent_start "$T/agent" --host-root "$ROOT" --watch "/srv/$EVIL/key" --events "$T/events.ndjson" \
	--rules "$T/rules.yaml" --output "$T/alerts.json" --output-format json --dump "$T/dump" \
	--alert-rate 0 --repeat-window-ms 0
# second agent: the same accesses as text alerts
TEXTPID=
"$CREDWATCH" --host-root "$ROOT" --watch "/srv/$EVIL/key" --rules "$T/rules.yaml" \
	--output "$T/alerts.txt" --output-format text --alert-rate 0 --repeat-window-ms 0 \
	2>"$T/agent2.stderr" &
TEXTPID=$!
for _ in $(seq 200); do grep -q 'watching [0-9]* credentials' "$T/agent2.stderr" && break; sleep 0.05; done
grep -q 'watching [0-9]* credentials' "$T/agent2.stderr" || fail "text agent: $(cat "$T/agent2.stderr")"

out=$("$BUILD/itests/hostile" --comm --argv-kib 100 "${PATHS[@]}" "$ROOT/srv/$EVIL/key") \
	|| fail "hostile opener"
HPID=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["pid"])' "$out")
sleep 1
kill -TERM "$TEXTPID"; wait "$TEXTPID" || fail "text agent exit status"
agent_stop || fail "agent exit status: $(cat "$T/agent.stderr")"

"$BUILD/credwatch-inspect" events --json "$T/dump" >"$T/dumped.ndjson" || fail "inspect --json"
"$BUILD/credwatch-inspect" events "$T/dump" >"$T/dumped.txt" || fail "inspect table"
"$BUILD/credwatch-inspect" summary "$T/dump" >"$T/summary.txt" || fail "inspect summary"

printf '%s\0' "${PATHS[@]}" "$ROOT/srv/$EVIL/key" >"$T/paths"
python3 - "$T" "$HPID" <<'PY' || fail "hostile strings"
import json, sys
T, pid = sys.argv[1], int(sys.argv[2])
paths = open(T + "/paths", "rb").read().split(b"\0")[:-1]

def ndjson(name):
    rows = []
    for n, raw in enumerate(open(T + "/" + name, "rb"), 1):
        assert raw.endswith(b"\n"), (name, n, "unterminated line")
        rows.append(json.loads(raw.decode("utf-8")))   # strict UTF-8 and JSON
    return rows

def expect_name(p):
    try:
        return p.decode("utf-8")
    except UnicodeDecodeError:
        return p.decode("utf-8", "backslashreplace")   # invalid bytes as \xNN

allev = ndjson("events.ndjson")
ev = [r for r in allev if r.get("proc.pid") == pid]
assert ev, (pid, sorted({r.get("proc.pid") for r in allev}, key=str))
assert len(ev) == len(paths), (len(ev), len(paths))
for r, p in zip(ev, paths):
    assert r["fd.name"] == expect_name(p), (r["fd.name"][:200], p[:200])
    # the 100 KiB argv is cut by the kernel and says so
    cmd = r["proc.cmdline"]
    assert cmd.endswith("..."), cmd[-40:]
    assert 1000 <= len(cmd) <= 4200, len(cmd)
    # the comm: 15 bytes, none printable; JSON escapes keep them all
    assert r["proc.name"] and len(r["proc.name"].encode("utf-8", "surrogateescape")) >= 15, r["proc.name"]
    assert "\x1b" in r["proc.name"] or "\\x1b" in r["proc.name"], repr(r["proc.name"])
dump = [r for r in ndjson("dumped.ndjson") if r.get("proc.pid") == pid]
assert [d["fd.name"] for d in dump] == [e["fd.name"] for e in ev], "dump differs"
alerts = ndjson("alerts.json")   # only the hostile process opened anything
assert len(alerts) == len(paths), len(alerts)
for a, p in zip(alerts, paths):
    assert a["output_fields"]["fd.name"] == expect_name(p), a["output_fields"]["fd.name"][:200]

# terminal outputs: no raw control byte anywhere but the newline ending a line
for name in ("alerts.txt", "dumped.txt", "summary.txt"):
    raw = open(T + "/" + name, "rb").read()
    assert raw, name + " is empty"
    for n, line in enumerate(raw.split(b"\n"), 1):
        bad = sorted({c for c in line if c < 0x20 or c == 0x7f})
        assert not bad, (name, n, bad, line[:300])
        # C1 controls encoded in UTF-8 (U+0080..U+009F) act as terminal controls too
        assert b"\xc2\x80" not in line and b"\xc2\x9b" not in line, (name, n)
text = open(T + "/alerts.txt", "rb").read().decode("utf-8", "replace")
assert text.count("credential opened") >= len(paths), text[:500]
assert "..." in text
assert "new\\nline" in text and "\\x1b[2J" in text, text[:2000]
PY
grep -q CWMARKER "$T/events.ndjson" "$T/alerts.json" "$T/alerts.txt" "$T/dumped.ndjson" \
	"$T/agent.stderr" "$T/agent2.stderr" && fail "credential content in an output"
echo "hostile names ok"
