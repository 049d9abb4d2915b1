#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Attack: read a watched credential through another name of its bytes than
# the one credwatch watches, hoping the open is of an inode it does not
# know:
#  - a container's credential, watched by the container's rootfs (an
#    overlay's merged view, as containerd mounts it), read by a process on
#    the node through the snapshot's layer directory - its lower layer, and
#    a bind mount of its upper layer elsewhere (what a pod with a hostPath
#    of /var/lib/containerd does);
#  - a kubeconfig in a btrfs subvolume (/root on Fedora, openSUSE, SLE
#    Micro), read through a second mount of that subvolume (mount -o
#    subvol=...) instead of the watched path.
# Every read must be one alert naming the credential; a file with the same
# inode number in another subvolume must not be one (no noise to hide in).
# Real eBPF, real overlay and btrfs (loop device) mounts.
# Defence: user/fsident.c resolves each credential against its mount;
# sink_add() in user/agent.c puts the overlay's layer file in the kernel's
# map as a second key, and btrfs credentials as (superblock, inode) markers
# checked per subvolume on a hit (btrfs_subvol_dev, bpf/credwatch.bpf.c).
# To watch it fail: in sink_add() return right after the first watch_key()
# (the layer reads go unseen), or make key_of() in user/fsident.c leave
# every key FS_MATCH_DIRECT (the btrfs reads go unseen).
set -eu
. "$(dirname "$0")/../lib/preamble.sh"
. tests/lib/fixture.sh
. tests/lib/agent.sh
. tests/lib/kubelet.sh
kubelet_isolate "$@"		# a private mount namespace: every mount dies with the test
need_tracefs
[ -x "$BUILD/itests/opener" ] || make -s "$BUILD/itests/opener" >/dev/null
command -v mkfs.btrfs >/dev/null || fail "mkfs.btrfs not installed (make deps)"

test_tmpdir rt-layer
ROOT=$T/root
LOOP=
cleanup() {
	set +e
	agent_stop
	for m in "$ROOT/mnt/upper-bind" "$ROOT/mnt/sv" "$ROOT/btrfs" "$ROOT/run/rootfs" \
		 "$ROOT/var/lib/snap"; do
		mountpoint -q "$m" && umount "$m"
	done
	[ -n "$LOOP" ] && losetup -d "$LOOP"
}
on_exit cleanup

# containerd-like: snapshots as layer dirs, the rootfs an overlay of them
S=$ROOT/var/lib/snap
mkdir -p "$S" "$ROOT/run/rootfs" "$ROOT/mnt/upper-bind" "$ROOT/mnt/sv" "$ROOT/btrfs"
mount -t tmpfs cw-rt-snap "$S"
mkdir -p "$S/1/fs/etc/app" "$S/2/fs/etc/app" "$S/2/work"
fixture_marker > "$S/1/fs/etc/app/image.token"		# baked into an image layer
fixture_marker > "$S/2/fs/etc/app/runtime.token"	# written by the container
mount -t overlay cw-rt-rootfs \
	-o "lowerdir=$S/1/fs,upperdir=$S/2/fs,workdir=$S/2/work" "$ROOT/run/rootfs"
mount --bind "$S/2/fs" "$ROOT/mnt/upper-bind"

# btrfs: the kubeconfig in subvolume "home", a same-numbered file in "other"
truncate -s 128M "$T/btrfs.img"
mkfs.btrfs -q -f "$T/btrfs.img" >/dev/null
LOOP=$(losetup --find --show "$T/btrfs.img")
mount "$LOOP" "$ROOT/btrfs"
btrfs -q subvolume create "$ROOT/btrfs/home" >/dev/null
btrfs -q subvolume create "$ROOT/btrfs/other" >/dev/null
fixture_marker > "$ROOT/btrfs/home/kubeconfig"
fixture_marker > "$ROOT/btrfs/other/notes"
[ "$(stat -c %i "$ROOT/btrfs/home/kubeconfig")" = "$(stat -c %i "$ROOT/btrfs/other/notes")" ] \
	|| fail "expected one inode number in both subvolumes"
mount -o subvol=home "$LOOP" "$ROOT/mnt/sv"

EV=$T/events.ndjson
agent_start "$T/agent" --host-root "$ROOT" --watch /run/rootfs/etc/app/image.token \
	--watch /run/rootfs/etc/app/runtime.token --watch /btrfs/home/kubeconfig \
	--events "$EV" --output "$T/alerts.ndjson" --repeat-window-ms 0

declare -a CHECKS=()
attack() {
	local out
	out=$("$BUILD/itests/opener" openat "$1") || fail "opener $1"
	CHECKS+=("$(echo "$out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["pid"])')|$2|$1")
}
attack "$S/1/fs/etc/app/image.token" /run/rootfs/etc/app/image.token
attack "$ROOT/mnt/upper-bind/etc/app/runtime.token" /run/rootfs/etc/app/runtime.token
attack "$ROOT/mnt/sv/kubeconfig" /btrfs/home/kubeconfig
NOISE=$("$BUILD/itests/opener" openat "$ROOT/btrfs/other/notes" |
	python3 -c 'import json,sys; print(json.load(sys.stdin)["pid"])')
# a last read through the watched path: once it is in, every earlier one is
attack "$ROOT/run/rootfs/etc/app/image.token" /run/rootfs/etc/app/image.token
last=${CHECKS[-1]%%|*}
for _ in $(seq 1 400); do
	grep -q "\"proc.pid\":$last," "$EV" 2>/dev/null && break
	sleep 0.1
done
agent_stop || fail "agent exited non-zero: $(cat "$T/agent.stderr")"

for c in "${CHECKS[@]}"; do
	IFS='|' read -r pid cred path <<<"$c"
	python3 tests/lib/events.py "$EV" --where proc.pid="$pid" --count 1 \
		--expect cred.path="$cred" --expect fd.name="$path" \
		|| fail "the read of $cred through $path went unseen"
	echo "ok: $path is $cred"
done
python3 tests/lib/events.py "$EV" --where proc.pid="$NOISE" --count 0 \
	|| fail "a file with the same inode number in another subvolume alerted"
echo "ok: no alert for the same inode number in another subvolume"
echo "every read through another mount was seen"
