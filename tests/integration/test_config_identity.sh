#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The config file drives the real agent (flags on top), FILE:LINE errors
# exit 2, SIGHUP with a broken file keeps the agent running, and every
# event carries the cluster identity (name from the file, provider from
# the fixture DMI tree under --host-root, region unknown offline).
set -u
. "$(dirname "$0")/../lib/preamble.sh"
. tests/lib/fixture.sh
. tests/lib/agent.sh
CW=$BUILD/credwatch
test_tmpdir cfgid
on_exit agent_stop

ROOT=$T/root
fixture_pod "$ROOT" ns web 0c0c0c0c-0000-4000-8000-000000000001
mkdir -p "$ROOT/srv"
fixture_marker > "$ROOT/srv/ci-kubeconfig"
cp -r tests/fixtures/dmi/gce/sys "$ROOT/"

cat > "$T/cw.yaml" <<YAML
# written by test_config_identity.sh
host-root: $ROOT
watch:
  - /srv/ci-kubeconfig
events: $T/from-file.json
cluster-name: prod-eu-1
duration: 600
YAML

# errors: one line, FILE:LINE, exit 2
printf 'host-root: /\nduration: soon\n' > "$T/bad.yaml"
"$CW" --config "$T/bad.yaml" 2>"$T/err"; rc=$?
[ "$rc" = 2 ] || fail "bad config exited $rc"
[ "$(wc -l <"$T/err")" = 1 ] || fail "not one line: $(cat "$T/err")"
grep -q "^credwatch: $T/bad.yaml:2: duration: 'soon' is not a non-negative integer$" "$T/err" \
	|| fail "bad config message: $(cat "$T/err")"
"$CW" --config "$T/missing.yaml" 2>"$T/err"; rc=$?
[ "$rc" = 2 ] || fail "missing --config exited $rc"
grep -q "$T/missing.yaml: No such file or directory" "$T/err" || fail "missing: $(cat "$T/err")"

# --print-config: file values, flags on top (a list flag replaces the file's list)
"$CW" --config "$T/cw.yaml" --events "$T/events.json" --watch /srv/other --print-config \
	>"$T/printed.yaml" || fail "--print-config exit $?"
grep -q "^events: \"$T/events.json\"$" "$T/printed.yaml" || fail "flag did not win: $(cat "$T/printed.yaml")"
grep -q '^cluster-name: "prod-eu-1"$' "$T/printed.yaml" || fail "file value lost"
grep -q 'srv/ci-kubeconfig' "$T/printed.yaml" && fail "list flag appended instead of replacing"
"$CW" --config "$T/printed.yaml" --print-config >"$T/printed2.yaml" || fail "printed config does not load"
cmp -s <(grep -v '^#' "$T/printed.yaml") <(grep -v '^#' "$T/printed2.yaml") \
	|| fail "--print-config does not round-trip"

# the agent runs from the file; events carry the identity
need_tracefs
agent_start "$T/agent" --config "$T/cw.yaml" --events "$T/events.json" || fail "agent start"
grep -q "cluster prod-eu-1, cloud provider gcp (from dmi), region <NA>" "$AGENT_ERR" \
	|| fail "identity summary: $(cat "$AGENT_ERR")"
cat "$ROOT/srv/ci-kubeconfig" >/dev/null

# SIGHUP with a broken file: logged with FILE:LINE, agent keeps running
cp "$T/cw.yaml" "$T/cw.yaml.good"
printf 'host-root: [\n' > "$T/cw.yaml"
kill -HUP "$AGENT_PID"
for _ in $(seq 1 100); do grep -q "config: reload" "$AGENT_ERR" && break; sleep 0.05; done
grep -q "config: reload: $T/cw.yaml:2: YAML syntax error: .*: keeping the running configuration" \
	"$AGENT_ERR" || fail "bad reload not reported: $(cat "$AGENT_ERR")"
kill -0 "$AGENT_PID" || fail "agent died on a bad reload"
# a good file with a change: reported by key
sed 's/^duration: 600/duration: 700/' "$T/cw.yaml.good" > "$T/cw.yaml"
kill -HUP "$AGENT_PID"
for _ in $(seq 1 100); do grep -q "config: reload: changed" "$AGENT_ERR" && break; sleep 0.05; done
grep -q "config: reload: changed duration" "$AGENT_ERR" || fail "reload change: $(cat "$AGENT_ERR")"
cat "$ROOT/srv/ci-kubeconfig" >/dev/null
sleep 0.3
agent_stop || fail "agent exit status $?"

python3 - "$T/events.json" <<'PY' || fail "events lack the identity"
import json, sys
evs = [json.loads(l) for l in open(sys.argv[1]) if '"credwatch.summary"' not in l]
mine = [e for e in evs if e["cred.path"].endswith("/srv/ci-kubeconfig") and e["proc.name"] == "cat"]
assert len(mine) >= 2, evs
for e in mine:
    assert e["k8s.cluster.name"] == "prod-eu-1", e
    assert e["cloud.provider"] == "gcp", e
    assert e["cloud.region"] is None, e
PY
[ ! -e "$T/from-file.json" ] || fail "the file's events path was used despite --events"
echo "config+identity ok"
