#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# 32-bit (ia32) opens: int 0x80 open and openat of a watched token from a
# 32-bit program bypass the syscalls:sys_exit_* tracepoints; the agent
# covers them where the kernel runs 32-bit code, and says how at start-up.
#
# On a kernel that runs 32-bit code (build/itests/opener32 executes):
#  - default: the start-up line names the program used (fexit where tracing
#    programs load, else raw_syscalls); one event per open with the right
#    evt.type, evt.res, fd.name, fd.ino, fd.dev; a 32-bit repeat loop is
#    folded like any other (evt.count sums to the opens);
#  - --ia32-syscalls off: no program, no event, and the line says so;
#  - the agent under a seccomp filter that kills its own 32-bit syscalls
#    (systemd's SystemCallArchitectures=native, tests/integration/noia32.c):
#    its int 0x80 probe dies of SIGSYS, which says nothing about the
#    kernel: the line says the kernel may run 32-bit code, and the program
#    is attached all the same (the opens are caught).
# On a kernel that refuses 32-bit code (opener32 cannot run): the start-up
# line says so and that no program is attached.
# The kernel matrix runs the same opens in its guests (5.10, 6.1, 6.12: fexit).
set -eu
. "$(dirname "$0")/../lib/preamble.sh"	# repository root, BUILD, free_port, fail, ...
. tests/lib/fixture.sh
. tests/lib/agent.sh
need_tracefs
[ "$(uname -m)" = x86_64 ] || { echo "ia32: not an x86-64 machine: nothing to cover"; exit 0; }
for b in opener32 noia32; do
	[ -x "$BUILD/itests/$b" ] || make -s "$BUILD/itests/$b" >/dev/null
done

test_tmpdir ia32
cleanup() {
	agent_stop >/dev/null 2>&1 || true
}
on_exit cleanup

ROOT=$T/root
UID1=$(printf 'eeeeeeee-%04x-4000-8000-%012x' $((RANDOM)) $$)
fixture_pod "$ROOT" team-a web "$UID1"
TOKEN=$(fixture_token_path "$ROOT" "$UID1")

if ! "$BUILD/itests/opener32" open "$TOKEN" >"$T/probe" 2>&1; then
	echo "this kernel does not run 32-bit code ($(cat "$T/probe"))"
	agent_start "$T/refused" --host-root "$ROOT" --output /dev/null
	agent_stop || fail "agent exit status"
	grep -q 'ia32: 32-bit syscalls are refused by this kernel (.*): no program attached' \
		"$T/refused.stderr" || fail "start-up line: $(grep ia32 "$T/refused.stderr")"
	echo "ia32: refused kernel detected: ok"
	exit 0
fi

# run_opens NAME: open and openat once each, then open x5 in one process
run_opens() {
	local name=$1
	: >"$T/$name.opens"
	"$BUILD/itests/opener32" openat "$TOKEN" | sed 's/^/openat /' >>"$T/$name.opens"
	"$BUILD/itests/opener32" open "$TOKEN" | sed 's/^/open /' >>"$T/$name.opens"
	"$BUILD/itests/opener32" open "$TOKEN" 5 | sed 's/^/open5 /' >>"$T/$name.opens"
	sleep 1.5		# the aggregated record of open5
}

# verify NAME WANT: WANT events (yes: exactly as opened; no: none)
verify() {
	python3 - "$T/$1.ndjson" "$T/$1.opens" "$2" "$TOKEN" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
want, token = sys.argv[3], sys.argv[4]
bad = []
for line in open(sys.argv[2]):
    mode, js = line.split(" ", 1)
    o = json.loads(js)
    mine = [r for r in rows if r.get("proc.pid") == o["pid"]]
    if want == "no":
        if mine:
            bad.append("%s: %d events, expected none" % (mode, len(mine)))
        continue
    n = 5 if mode == "open5" else 1
    # the full event first, then aggregated records of its repeats
    if sum(r["evt.count"] for r in mine) != n or mine[0]["evt.count"] != 1:
        bad.append("%s: evt.count %s, expected one event for %d opens" %
                   (mode, [r["evt.count"] for r in mine], n))
        continue
    e = mine[0]
    exp = {"evt.type": "openat" if mode == "openat" else "open", "evt.res": o["fd"],
           "fd.name": token, "fd.ino": o["ino"], "fd.dev": o["dev"], "fd.flags": "O_RDONLY",
           "proc.name": "opener32", "cred.kind": "sa_token"}
    for k, v in exp.items():
        if e.get(k) != v:
            bad.append("%s: %s is %r, expected %r" % (mode, k, e.get(k), v))
for b in bad:
    print("FAIL: " + b)
sys.exit(1 if bad else 0)
PY
}

echo "--- default"
agent_start "$T/default" --host-root "$ROOT" --events "$T/default.ndjson" --output /dev/null
run_opens default
agent_stop || fail "agent exit status"
line=$(grep 'ia32: ' "$T/default.stderr") || fail "no ia32 start-up line"
echo "$line"
echo "$line" | grep -Eq 'this kernel runs 32-bit syscalls \(an int 0x80 getpid answered\): (fexit on the ia32 entry points|a raw_syscalls:sys_exit program)' ||
	fail "start-up line"
verify default yes || fail "32-bit opens with the default settings"

echo "--- --ia32-syscalls off"
agent_start "$T/off" --host-root "$ROOT" --events "$T/off.ndjson" --output /dev/null \
	--ia32-syscalls off
run_opens off
agent_stop || fail "agent exit status"
grep -q 'ia32: not watched (--ia32-syscalls off): 32-bit opens are not seen' "$T/off.stderr" ||
	fail "start-up line with off: $(grep ia32 "$T/off.stderr")"
verify off no || fail "--ia32-syscalls off still saw 32-bit opens"

echo "--- the agent under SystemCallArchitectures=native (its own 32-bit syscalls killed)"
# the wrapper execs in place: the agent keeps the pid agent_start waits for
printf '#!/bin/sh\nexec "%s" "%s" "$@"\n' "$(realpath "$BUILD/itests/noia32")" "$(realpath "$CREDWATCH")" \
	>"$T/sandboxed-credwatch"
chmod +x "$T/sandboxed-credwatch"
CREDWATCH_REAL=$CREDWATCH
CREDWATCH=$T/sandboxed-credwatch
agent_start "$T/sandboxed" --host-root "$ROOT" --events "$T/sandboxed.ndjson" --output /dev/null
CREDWATCH=$CREDWATCH_REAL
run_opens sandboxed
agent_stop || fail "agent exit status"
grep -q 'ia32: the kernel may run 32-bit syscalls (int 0x80 probe killed by Bad system call' \
	"$T/sandboxed.stderr" || fail "start-up line under seccomp: $(grep ia32 "$T/sandboxed.stderr")"
verify sandboxed yes || fail "32-bit opens missed when the agent's own probe was killed"
echo "ia32 opens ok"
