#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# checks.sh OUT [AGENT-ARGS...] - the sensor checks of the kernel matrix.
#
# Runs where the kernel under test runs: inside each guest (bash and
# busybox, no python) and on the host. It only ACTS and RECORDS: it starts
# the real agent on a fixture node, opens the watched token every way the
# kernel offers, rotates it, and writes what it did to OUT/expect, one
# record per line (fields separated by tabs), plus the agent's events and
# stderr. tests/kernels/verify.py then judges OUT on the host, where the
# tests' python tools are; this file never decides what passes.
#
# Records (verify.py documents what each asserts):
#   open MODE TYPE COUNT KIND PATH OPENER-JSON
#                                   an open of PATH by MODE must yield COUNT
#                                   events of TYPE for that pid, fd, dev, ino
#                                   (0 where the agent says TYPE's hook is not
#                                   attached: see verify.py)
#                                   (KIND environ: PATH is /proc/<pid>/...environ
#                                   of another process, cred.owner.pid that pid)
#   none LABEL PID                  no event at all from PID
#   session PID PPID                the event of PID carries proc.sid=PID
#                                   (opener run under setsid) and lineage
#   agent-exit RC                   the agent's exit status at SIGTERM
#   uid PID UID                     the event of PID carries user.uid=UID
#   start NAME RC STDERR-FILE       an agent start expected to be refused:
#                                   exit 1 with one line on stderr
#   open32 MODE TYPE PATH OPENER-JSON
#                                   a 32-bit (int 0x80) open of PATH by
#                                   opener32 MODE: exactly one event of TYPE
#                                   for that pid, fd, dev, ino and path, and
#                                   the agent says it covers 32-bit opens
#   ia32-refused WHY                opener32 cannot run here: the agent must
#                                   say the kernel refuses 32-bit syscalls
#   log TEXT                        progress, echoed into the test's log
#
# Add a check: run the action here and append a record (or a new kind of
# record and its assertion in verify.py); a helper binary goes into the
# initramfs (tests/kernels/mkinitramfs.sh), as build/itests/opener32 does.
set -u
OUT=${1:?usage: checks.sh OUT [AGENT-ARGS...]}
shift
mkdir -p "$OUT"
: > "$OUT/expect"
BUILD=${BUILD:-build}
. tests/lib/fixture.sh
. tests/lib/agent.sh
OPENER=$BUILD/itests/opener
OPENER32=$BUILD/itests/opener32	# static, 32-bit: built on the host, run here

record() { local IFS=$'\t'; printf '%s\n' "$*" >> "$OUT/expect"; }
note() { record log "$*"; echo "checks: $*" >&2; }

T=$(mktemp -d /tmp/cw-kmatrix.XXXXXX)
chmod 0755 "$T"		# the uid check's reader must reach the token
BIND=$T/bind
BOUND=
ENVPID=
cleanup() {
	[ -z "$ENVPID" ] || kill "$ENVPID" 2>/dev/null
	agent_stop >/dev/null 2>&1 || true
	# not mountpoint(1): busybox's compares st_dev, equal for a bind mount
	[ -z "$BOUND" ] || umount "$BIND"
	rm -rf "$T"
}
trap cleanup EXIT

# expect_open MODE PATH TYPE [COUNT] [KIND]: open PATH by MODE, record it
expect_open() {
	local mode=$1 path=$2 type=$3 count=${4:-1} kind=${5:-sa_token} out
	if ! out=$("$OPENER" "$mode" "$path" 2>"$T/opener.err"); then
		note "opener $mode $path failed: $(cat "$T/opener.err")"
		record open "$mode" "$type" "$count" "$kind" "$path" "{}"
		return
	fi
	record open "$mode" "$type" "$count" "$kind" "$path" "$out"
}

# pid of an opener run: its JSON's pid
opener_pid() { sed -n 's/^{"pid":\([0-9]*\),.*/\1/p'; }

record log "kernel $(uname -r)"
ROOT=$T/root
UID1=6f1d7c2e-1111-4a4a-9b9b-000000000025
fixture_pod "$ROOT" team-a web "$UID1"
fixture_host "$ROOT"
mkdir -p "$ROOT/srv"
fixture_marker > "$ROOT/srv/custom.key"
TOKEN=$(fixture_token_path "$ROOT" "$UID1")
VOL=$(dirname "$TOKEN")
REAL="$VOL/..data/token"
ln "$(readlink -f "$REAL")" "$T/hardlink"
echo plain > "$VOL/../not-a-credential"

# a process whose environment is read: its variable's value must never show
env "CW_ENV_SECRET=$(fixture_marker)" sleep 600 &
ENVPID=$!

# a guest is emulated (TCG) beside two others on a shared host: the
# verifier's pass over the fast programs alone can take over 10 s there
AGENT_START_TIMEOUT_S=90
agent_start "$T/agent" --host-root "$ROOT" --watch /srv/custom.key \
	--events "$OUT/events.ndjson" --output /dev/null "$@" || {
	cp "$T/agent.stderr" "$OUT/agent.stderr" 2>/dev/null
	note "agent did not start"
	exit 0
}
mkdir -p "$BIND"
mount --bind "$VOL" "$BIND" && BOUND=1

expect_open openat "$REAL" openat                      # plain
expect_open open "$REAL" open
expect_open openat "$TOKEN" openat                     # symlinks: token -> ..data/token
expect_open openat "/proc/$$/root$TOKEN" openat        # /proc/<pid>/root/...
expect_open openat "$T/hardlink" openat                # hard link
expect_open openat "$BIND/token" openat                # bind mount of the volume
expect_open procfd "$TOKEN" openat 2                   # O_PATH, then /proc/self/fd/N
expect_open openat2 "$TOKEN" openat2
expect_open handle "$TOKEN" open_by_handle_at
expect_open uring "$TOKEN" io_uring_openat
expect_open uring2 "$TOKEN" io_uring_openat2
expect_open trunc "$ROOT/srv/custom.key" openat 1 custom
expect_open creat "$ROOT/srv/custom.key" creat 1 custom
record none unwatched "$("$OPENER" openat "$VOL/../not-a-credential" | opener_pid)"

# another process's environment, every way; one's own is no event
expect_open openat "/proc/$ENVPID/environ" openat 1 environ
expect_open openat2 "/proc/$ENVPID/task/$ENVPID/environ" openat2 1 environ
expect_open dirat "/proc/$ENVPID/environ" openat 1 environ
expect_open uring "/proc/$ENVPID/environ" io_uring_openat 1 environ
record none own-environ "$("$OPENER" openat /proc/self/environ | opener_pid)"

# 32-bit opens (int 0x80) skip the syscalls:sys_exit_* tracepoints: seen
# where the kernel runs 32-bit code, which these kernels do
if out=$("$OPENER32" openat "$TOKEN" 2>"$T/opener32.err"); then
	record open32 openat openat "$TOKEN" "$out"
	out=$("$OPENER32" open "$REAL") && record open32 open open "$REAL" "$out"
else
	record ia32-refused "$(head -c 200 "$T/opener32.err" | tr '\t\n' '  ')"
fi

# session and lineage: a new session led by the opener itself
out=$(setsid "$OPENER" openat "$TOKEN") && record session "$(echo "$out" | opener_pid)" $$
# another user (the token is world-readable in the fixture)
out=$(setpriv --reuid=4321 --regid=4321 --clear-groups "$OPENER" openat "$REAL") ||
	note "opener as uid 4321 failed"
record uid "$(echo "$out" | opener_pid)" 4321

# rotation: the new inode is watched, the old one forgotten
OLD_REAL=$(readlink -f "$REAL")
ln "$OLD_REAL" "$T/old-token"
fixture_rotate "$ROOT" "$UID1" kubernetes.io~projected "$(basename "$VOL")"
# until the agent watches the new inode: an open of it shows up as an event
for _ in $(seq 1 60); do
	out=$("$OPENER" openat "$TOKEN") || break
	grep -q "\"proc.pid\":$(echo "$out" | opener_pid)," "$OUT/events.ndjson" 2>/dev/null && break
	sleep 0.5
done
record open rotated openat 1 sa_token "$TOKEN" "$out"
record none rotated-away "$("$OPENER" openat "$T/old-token" | opener_pid)"

sleep 0.5
agent_stop
record agent-exit "$?"
cp "$T/agent.stderr" "$OUT/agent.stderr"

# refusals: each must be exit 1 and one line saying what is missing
if grep -q 'BPF variant compat (no ' "$OUT/agent.stderr"; then	# chosen, not forced
	"$CREDWATCH" --host-root "$ROOT" --duration 1 --output /dev/null --bpf-variant fast \
		2>"$OUT/fast-refused.stderr"
	record start fast-variant "$?" fast-refused.stderr
fi
# no BTF: hide /sys/kernel/btf in a private mount namespace
unshare -m sh -c 'mount -t tmpfs none /sys/kernel/btf && exec "$@"' sh \
	"$CREDWATCH" --host-root "$ROOT" --duration 1 --output /dev/null 2>"$OUT/nobtf.stderr"
record start no-btf "$?" nobtf.stderr
exit 0
