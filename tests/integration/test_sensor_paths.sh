#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The real agent against a fixture node: every way to open a watched token
# yields exactly the expected event with the right pid, dev, ino and type;
# an unwatched file yields none; a rotated token is watched by its new
# inode and the old inode is forgotten. The pod starts after the agent, the
# way kubelet starts it (tests/lib/kubelet.sh: its token volume is a tmpfs
# mounted before the files are written, and rotates inside that tmpfs).
# The openers are host processes: the kernel side (hooks, path forms, inode
# matching) is the same for any process, and /proc/<pid>/root here is the
# test's own. Reads from real containers, through their bind mounts, after a
# rotation: test_kubelet_mounts, test_demo.
set -eu
. "$(dirname "$0")/../lib/preamble.sh"
. tests/lib/fixture.sh
. tests/lib/agent.sh
. tests/lib/kubelet.sh
kubelet_isolate "$@"
need_tracefs
[ -x "$BUILD/itests/watched" ] || make -s "$BUILD/itests/watched" >/dev/null

test_tmpdir sensor
BIND=$T/bind
on_exit 'kubelet_cleanup "$T/root"'
on_exit '! mountpoint -q "$BIND" || umount "$BIND"'
on_exit agent_stop

ROOT=$T/root
UID1=$(kubelet_uid)
fixture_host "$ROOT"
mkdir -p "$ROOT/srv" "$ROOT/var/lib/kubelet/pods"
fixture_marker > "$ROOT/srv/custom.key"
CREATFILE="$ROOT/srv/custom.key"
OPENER=$BUILD/itests/opener
EV=$T/events.ndjson

agent_start "$T/agent" --host-root "$ROOT" --watch /srv/custom.key --events "$EV"

VOL=$(kubelet_pod "$ROOT" team-a web "$UID1")
TOKEN=$VOL/token
REAL="$VOL/..data/token"
"$BUILD/itests/watched" "$AGENT_PID" has "$TOKEN" || fail "the new pod's token is not watched"
# hard link to the token's real file, on the same filesystem (the volume's
# tmpfs; dot names are not credentials)
ln "$(readlink -f "$REAL")" "$VOL/.hardlink"
# an unwatched file next to the credentials
echo plain > "$VOL/../not-a-credential"

mkdir -p "$BIND"
mount --bind "$VOL" "$BIND"

# check MODE PATH TYPE [COUNT]: open PATH by MODE, expect COUNT events from that pid
declare -a CHECKS=()
run_open() {
	local mode=$1 path=$2 type=$3 count=${4:-1} kind=${5:-sa_token} out
	out=$("$OPENER" "$mode" "$path") || fail "opener $mode $path"
	CHECKS+=("$out|$type|$count|$kind|$mode")
}

run_open openat "$REAL" openat
run_open open "$REAL" open
run_open openat "$TOKEN" openat                       # token -> ..data/token
run_open openat "/proc/$$/root$TOKEN" openat           # /proc/<pid>/root/...
run_open openat "$VOL/.hardlink" openat                # hard link
run_open openat "$BIND/token" openat                   # bind mount of the volume
run_open procfd "$TOKEN" openat 2                      # O_PATH, then /proc/self/fd/N
run_open openat2 "$TOKEN" openat2
run_open handle "$TOKEN" open_by_handle_at
run_open uring "$TOKEN" io_uring_openat
run_open uring2 "$TOKEN" io_uring_openat2
run_open trunc "$CREATFILE" openat 1 custom
run_open creat "$CREATFILE" creat 1 custom
NOPID=$("$OPENER" openat "$VOL/../not-a-credential" | python3 -c 'import json,sys; print(json.load(sys.stdin)["pid"])')

# rotation: keep a link to the old real file, rotate, open both
OLD_REAL=$(readlink -f "$REAL")
OLD_KEY=$(stat -c %d:%i "$OLD_REAL")
ln "$OLD_REAL" "$VOL/.old-token"
kubelet_rotate "$VOL"
"$BUILD/itests/watched" "$AGENT_PID" has "$TOKEN" || fail "rotated token not watched"
"$BUILD/itests/watched" "$AGENT_PID" lacks "$OLD_KEY" || fail "old token inode still watched"
run_open openat "$TOKEN" openat
ROT_NEW=${CHECKS[-1]}
OLDPID=$("$OPENER" openat "$VOL/.old-token" | python3 -c 'import json,sys; print(json.load(sys.stdin)["pid"])')

sleep 0.5
agent_stop || fail "agent exited non-zero: $(cat "$T/agent.stderr")"

for c in "${CHECKS[@]}"; do
	IFS='|' read -r out type count kind mode <<<"$c"
	pid=$(echo "$out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["pid"])')
	ino=$(echo "$out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["ino"])')
	dev=$(echo "$out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["dev"])')
	fd=$(echo "$out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["fd"])')
	python3 tests/lib/events.py "$EV" --where proc.pid="$pid" --count "$count" \
		--expect fd.ino="$ino" --expect fd.dev="$dev" --expect cred.kind="$kind" \
		--expect proc.name=opener --expect proc.tid="$pid" \
		|| fail "$mode: events for pid $pid"
	python3 tests/lib/events.py "$EV" --where proc.pid="$pid" --where evt.res="$fd" \
		--count 1 --expect evt.type="$type" || fail "$mode: event type"
	echo "ok: $mode -> $type"
done

# path argument exactly as passed, flags as passed
python3 tests/lib/events.py "$EV" --where evt.type=openat2 --expect fd.name="$TOKEN" \
	--expect fd.flags=O_RDONLY || fail "openat2 fd.name"
python3 tests/lib/events.py "$EV" --where evt.type=creat \
	--expect fd.flags="O_WRONLY|O_CREAT|O_TRUNC" --expect cred.path=/srv/custom.key \
	|| fail "creat flags"
python3 tests/lib/events.py "$EV" --where fd.name="/proc/$$/root$TOKEN" --count 1 \
	--contains cred.path=/var/lib/kubelet/pods/$UID1/volumes/ || fail "/proc/pid/root"
python3 tests/lib/events.py "$EV" --where fd.name="$BIND/token" --count 1 || fail "bind mount"
# lineage captured in the kernel: the parent is this shell
python3 tests/lib/events.py "$EV" --where evt.type=openat2 --expect proc.ppid=$$ \
	--expect proc.apid[1]=$$ --contains proc.exepath=opener --contains proc.cmdline="opener openat2" \
	|| fail "lineage"

# nothing for the unwatched file or for the rotated-away inode
python3 tests/lib/events.py "$EV" --where proc.pid="$NOPID" --count 0 || fail "unwatched file"
python3 tests/lib/events.py "$EV" --where proc.pid="$OLDPID" --count 0 || fail "old token inode still watched"
new_ino=$(echo "${ROT_NEW%%|*}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["ino"])')
[ "$new_ino" != "${OLD_KEY#*:}" ] || fail "rotation did not change the inode"

# the agent itself never opened a credential
python3 tests/lib/events.py "$EV" --where proc.name=credwatch --count 0 || fail "agent read a credential"
# no credential content anywhere in the output
if grep -q CWMARKER "$EV" "$T/agent.stderr"; then fail "credential bytes in output"; fi
# exit summary with drop counters
grep -q '"credwatch.summary"' "$EV" || fail "no summary line"
grep -q '"kernel_drops":0' "$EV" || fail "kernel drops reported"
echo "all sensor paths ok"
