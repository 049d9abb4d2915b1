#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Attack: stall the agent through a rule's glob pattern. Rule conditions
# glob over strings the reader chooses (fd.nameraw, proc.cmdline). The
# operator's rule here looks for deep directory traversal,
#   fd.nameraw glob '*/../*/../*/../*/../*/../*/shadow'
# and the attacker opens a watched credential through a 4000-byte path of
# "x/../" steps that never ends in "shadow". A backtracking matcher tries
# every way to split the path among the six stars (about 800^6 / 6! ways):
# the event loop would spin for years while credential reads go unreported.
# A second, ordinary open must still raise its alert.
#
# Defence: user/glob.c matches without backtracking (bounded by pattern
# length x name length); tests/unit/test_glob.c checks the bound.
# To watch this fail: make glob_match() in user/glob.c a naive recursive
# matcher (try every split at each '*', as old fnmatch implementations did;
# glibc's own fnmatch no longer blows up on these patterns) and rebuild.
set -eu
cd "$(dirname "$0")/../.."
. tests/lib/agent.sh
tests/lib/mount-tracefs.sh

T=$(mktemp -d /tmp/cw-rt-glob.XXXXXX)
cleanup() {
	# a stalled agent does not act on SIGTERM: give it 10 s, then SIGKILL
	if [ -n "$AGENT_PID" ]; then
		kill -TERM "$AGENT_PID" 2>/dev/null || true
		for _ in $(seq 1 100); do kill -0 "$AGENT_PID" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$AGENT_PID" 2>/dev/null || true
		wait "$AGENT_PID" 2>/dev/null || true
		AGENT_PID=
	fi
	[ -n "${KEEP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT

mkdir -p "$T/d/x"
echo "secret-$$" >"$T/d/token"
cat >"$T/rules.yaml" <<'EOF'
- rule: Deep traversal to a shadow file
  desc: an operator's pattern with many stars
  condition: fd.nameraw glob '*/../*/../*/../*/../*/../*/shadow'
  output: "traversal %fd.nameraw"
  priority: CRITICAL
  tags: [redteam]

- rule: Watched file opened
  desc: every open of the watched file
  condition: evt.type exists
  output: "opened %fd.name by %proc.name"
  priority: WARNING
  tags: [redteam]
EOF
agent_start "$T/agent" --host-root / --watch "$T/d/token" --rules "$T/rules.yaml" \
	--rule-matching all --output "$T/alerts" --output-format json --alert-rate 0 \
	|| fail "agent start"

# the attack: 800 "x/../" steps (4000 bytes, under PATH_MAX) to the token
hostile=$T/d/$(printf 'x/../%.0s' $(seq 1 800))token
[ ${#hostile} -lt 4096 ] || fail "hostile path too long for open(2): ${#hostile}"
cat "$hostile" >/dev/null || fail "the hostile path does not open the token"
# then an ordinary reader
cat "$T/d/token" >/dev/null

alerts() {
	local n
	n=$(grep -c '"rule":"Watched file opened"' "$T/alerts" 2>/dev/null) || true
	echo "${n:-0}"
}
for _ in $(seq 1 300); do	# 30 s: linear matching takes microseconds
	[ "$(alerts)" -ge 2 ] && break
	sleep 0.1
done
[ "$(alerts)" -ge 2 ] || fail "the agent did not report both opens within 30 s (stuck in a glob?)"
grep -q '"rule":"Deep traversal to a shadow file"' "$T/alerts" \
	&& fail "the traversal rule matched a path that does not end in shadow"
agent_stop || fail "agent exit status $?"
echo "test_glob_pattern_blowup: the agent kept up"
