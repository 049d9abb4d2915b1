#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Credentials on every filesystem a node runs, with the real agent and real
# eBPF: loop-mounted btrfs (a file in a subvolume, one at the top level),
# xfs and ext4, a tmpfs, and an overlay (a file of its lower and one of its
# upper layer, watched by the merged view's path). Every read - through the
# merged view and through the layer's own path alike - is exactly one event
# naming the credential's path; a file in another btrfs subvolume with the
# same inode number as a watched one is not an event. A credential on FUSE
# is reported at start-up (one log line naming the file and the reason, the
# metric, a finding) and --list-watched shows each credential's filesystem.
# The agent runs twice: with the fast programs and with the compat ones
# (what 5.10 and 6.1 load), which read kernel pointers differently.
set -eu
. "$(dirname "$0")/../lib/preamble.sh"
. tests/lib/fixture.sh
. tests/lib/agent.sh
. tests/lib/kubelet.sh
kubelet_isolate "$@"		# a private mount namespace: every mount dies with the test
need_tracefs
for b in opener fusefile; do
	[ -x "$BUILD/itests/$b" ] || make -s "$BUILD/itests/$b" >/dev/null
done
for t in mkfs.btrfs mkfs.xfs mkfs.ext4 fusermount3; do
	command -v "$t" >/dev/null || fail "$t not installed (make deps)"
done

test_tmpdir fs
ROOT=$T/root
LOOPS=()
FUSE_PID=
cleanup() {
	agent_stop || true
	if [ -n "$FUSE_PID" ]; then
		fusermount3 -u "$ROOT/fuse" 2>/dev/null || umount -l "$ROOT/fuse" 2>/dev/null || true
		kill "$FUSE_PID" 2>/dev/null || true
		wait "$FUSE_PID" 2>/dev/null || true
	fi
	for m in ovl layers fuse tmpfs ext4 xfs btrfs; do
		mountpoint -q "$ROOT/$m" && umount "$ROOT/$m"
	done
	for l in "${LOOPS[@]}"; do losetup -d "$l" 2>/dev/null || true; done
}
on_exit cleanup

# loopfs TYPE SIZE MKFS...: a fresh filesystem of TYPE on its own loop device at $ROOT/TYPE
loopfs() {
	local type=$1 size=$2 dev; shift 2
	truncate -s "$size" "$T/$type.img"
	"$@" "$T/$type.img" >/dev/null 2>&1 || fail "$*: cannot make $type"
	dev=$(losetup --find --show "$T/$type.img") || fail "losetup $type"
	LOOPS+=("$dev")
	mkdir -p "$ROOT/$type"
	mount -t "$type" "$dev" "$ROOT/$type" || fail "mount $type"
}

mkdir -p "$ROOT"
loopfs btrfs 128M mkfs.btrfs -q -f
loopfs xfs 300M mkfs.xfs -q -f
loopfs ext4 16M mkfs.ext4 -q -F
mkdir -p "$ROOT/tmpfs" "$ROOT/layers" "$ROOT/ovl" "$ROOT/fuse"
mount -t tmpfs cw-fs-tmpfs "$ROOT/tmpfs"
mount -t tmpfs cw-fs-layers "$ROOT/layers"

# btrfs: the first file of a fresh subvolume has the same inode number in each
btrfs -q subvolume create "$ROOT/btrfs/sv" >/dev/null
btrfs -q subvolume create "$ROOT/btrfs/other" >/dev/null
fixture_marker > "$ROOT/btrfs/sv/kubeconfig"
fixture_marker > "$ROOT/btrfs/other/decoy"
fixture_marker > "$ROOT/btrfs/top.key"
[ "$(stat -c %i "$ROOT/btrfs/sv/kubeconfig")" = "$(stat -c %i "$ROOT/btrfs/other/decoy")" ] \
	|| fail "btrfs: expected one inode number in both subvolumes"
[ "$(stat -c %d "$ROOT/btrfs/sv/kubeconfig")" != "$(stat -c %d "$ROOT/btrfs/top.key")" ] \
	|| fail "btrfs: a subvolume without its own device"
fixture_marker > "$ROOT/xfs/xfs.key"
fixture_marker > "$ROOT/ext4/ext4.key"
fixture_marker > "$ROOT/tmpfs/tmpfs.key"

# overlay: one credential only in the lower layer, one only in the upper
L=$ROOT/layers
mkdir -p "$L/lower/etc" "$L/upper/etc" "$L/work"
fixture_marker > "$L/lower/etc/lower.key"
fixture_marker > "$L/upper/etc/upper.key"
mount -t overlay cw-fs-ovl -o "lowerdir=$L/lower,upperdir=$L/upper,workdir=$L/work" "$ROOT/ovl"

# FUSE: a credential the sensor cannot match
"$BUILD/itests/fusefile" "$ROOT/fuse" fuse.key "CWMARKER-fuse" &
FUSE_PID=$!
for _ in $(seq 1 200); do
	[ -e "$ROOT/fuse/fuse.key" ] && break
	kill -0 "$FUSE_PID" 2>/dev/null || fail "fusefile exited"
	sleep 0.05
done
[ -e "$ROOT/fuse/fuse.key" ] || fail "the FUSE filesystem did not come up in 10 s"

WATCH=(--watch /btrfs/sv/kubeconfig --watch /btrfs/top.key --watch /xfs/xfs.key
       --watch /ext4/ext4.key --watch /tmpfs/tmpfs.key --watch /ovl/etc/lower.key
       --watch /ovl/etc/upper.key --watch /fuse/fuse.key)

# --list-watched: the filesystem of each credential
"$CREDWATCH" --host-root "$ROOT" "${WATCH[@]}" --list-watched >"$T/list" 2>"$T/list.err" \
	|| fail "--list-watched: $(cat "$T/list.err")"
for want in "btrfs .*/btrfs/sv/kubeconfig" "btrfs .*/btrfs/top.key" "xfs .*/xfs/xfs.key" \
	    "ext4 .*/ext4/ext4.key" "tmpfs .*/tmpfs/tmpfs.key" "overlay .*/ovl/etc/lower.key" \
	    "overlay .*/ovl/etc/upper.key" "fuse.fusefile .*/fuse/fuse.key"; do
	grep -q "^custom .* $want\$" "$T/list" || fail "--list-watched: no '$want': $(cat "$T/list")"
done
grep -q "^1 on a filesystem where opens may not be matched" "$T/list" \
	|| fail "--list-watched: unmatched count: $(cat "$T/list")"

# run VARIANT: the agent with one set of kernel programs (fast: 6.2+; compat: what
# 5.10 and 6.1 run, every pointer hop a probe read), every read, every check
run() {
	local variant=$1 V PORT EV CHECKS DECOY n c pid cred path
	V=$T/$variant
	mkdir -p "$V"
	PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	EV=$V/events.ndjson
	agent_start "$V/agent" --bpf-variant "$variant" --host-root "$ROOT" "${WATCH[@]}" --events "$EV" \
		--findings "$V/findings.ndjson" --state-dir "$V/state" --listen "127.0.0.1:$PORT" \
		--repeat-window-ms 0 --output "$V/alerts.ndjson"

	# the start-up report: one line naming the file and why
	n=$(grep -c "watch: /fuse/fuse.key: on fuse.fusefile: FUSE: " "$V/agent.stderr" || true)
	[ "$n" = 1 ] || fail "FUSE report: $n lines: $(cat "$V/agent.stderr")"
	grep "watch: " "$V/agent.stderr" | grep -v "/fuse/fuse.key" | grep -q ": on " \
		&& fail "a matched credential reported: $(cat "$V/agent.stderr")"

	# read FILE CRED_PATH: one read; expect exactly one event naming CRED_PATH
	CHECKS=()
	read_one() {
		local out
		out=$("$BUILD/itests/opener" openat "$1") || fail "opener $1"
		CHECKS+=("$(echo "$out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["pid"])')|$2|$1")
	}
	read_one "$ROOT/btrfs/sv/kubeconfig" /btrfs/sv/kubeconfig
	read_one "$ROOT/btrfs/top.key" /btrfs/top.key
	read_one "$ROOT/xfs/xfs.key" /xfs/xfs.key
	read_one "$ROOT/ext4/ext4.key" /ext4/ext4.key
	read_one "$ROOT/tmpfs/tmpfs.key" /tmpfs/tmpfs.key
	read_one "$ROOT/ovl/etc/lower.key" /ovl/etc/lower.key
	read_one "$ROOT/ovl/etc/upper.key" /ovl/etc/upper.key
	read_one "$L/lower/etc/lower.key" /ovl/etc/lower.key
	read_one "$L/upper/etc/upper.key" /ovl/etc/upper.key
	DECOY=$("$BUILD/itests/opener" openat "$ROOT/btrfs/other/decoy" |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["pid"])')

	# the decoy is told apart in the kernel: wait for its counter, then stop
	for _ in $(seq 1 400); do
		curl -sf "http://127.0.0.1:$PORT/metrics" >"$V/metrics" 2>/dev/null &&
			grep -q '^credwatch_kernel_subvol_misses_total [1-9]' "$V/metrics" && break
		sleep 0.1
	done
	grep -q '^credwatch_kernel_subvol_misses_total [1-9]' "$V/metrics" \
		|| fail "no subvolume miss counted: $(grep subvol "$V/metrics")"
	grep -q '^credwatch_watched_unmatched 1$' "$V/metrics" \
		|| fail "unmatched gauge: $(grep unmatched "$V/metrics")"
	agent_stop || fail "agent exited non-zero: $(cat "$V/agent.stderr")"

	for c in "${CHECKS[@]}"; do
		IFS='|' read -r pid cred path <<<"$c"
		python3 tests/lib/events.py "$EV" --where proc.pid="$pid" --count 1 \
			--expect cred.path="$cred" --expect fd.name="$path" --expect cred.kind=custom \
			|| fail "$path: expected one event for $cred"
		echo "ok: $path -> $cred"
	done
	python3 tests/lib/events.py "$EV" --where proc.pid="$DECOY" --count 0 \
		|| fail "the same inode number in another btrfs subvolume alerted"
	echo "ok: the same inode number in another subvolume is not an event"

	python3 - "$V/findings.ndjson" <<-'PY' || fail "findings: $(cat "$V/findings.ndjson")"
	import json, sys
	lines = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
	f = [l for l in lines if l["type"] == "unmatched_filesystem" and l["status"] == "open"]
	assert len(f) == 1, lines
	f = f[0]
	assert f["resource"]["path"] == "/fuse/fuse.key", f
	assert f["evidence"]["fstype"] == "fuse.fusefile", f
	assert "FUSE" in f["evidence"]["reason"], f
	assert not [l for l in lines if l["type"] == "unmatched_filesystem"
	            and l["resource"]["path"] != "/fuse/fuse.key"], lines
	PY
	echo "ok: the FUSE credential is reported (log line, metric, finding)"
	if grep -q CWMARKER "$EV" "$V/agent.stderr" "$V/findings.ndjson"; then
		fail "credential bytes in output"
	fi
	echo "ok: $variant variant"
}
run fast
run compat
echo "all filesystems ok"
