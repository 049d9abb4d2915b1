#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# A private, real containerd + runc for tests, and "pods" laid out as the
# kubelet lays them out. Nothing is shared with another test run: root,
# state, sockets, the containerd namespace, container ids, pod uids and
# cgroup paths are all unique, under one mktemp directory.
#
# Source it, register ctrd_cleanup at exit (on_exit ctrd_cleanup, from
# tests/lib/preamble.sh, or an EXIT trap; directly or in a function), then:
#   ctrd_start                      start containerd; sets CTRD_DIR, CTRD_ADDR,
#                                   CTRD_NS, CTRD_STATE (its state dir, shared
#                                   mount: rootfs mounts propagate from it)
#   ctrd ARGS...                    ctr against it, in its namespace
#   ctrd_pod_uid                    a fresh pod uid (UUID)
#   ctrd_cid                        a fresh 64-hex container id
#   ctrd_busybox_image TAR REF [NAME:UID]...
#                                   an OCI archive of a busybox root filesystem
#                                   whose own /etc/passwd has root and NAME:UID...;
#                                   its processes run as $CTRD_IMAGE_USER (0)
#   ctrd_import TAR REF             import an OCI archive as REF
#   ctrd_run CID CGROUP IMAGE [ctr run option]... -- CMD...
#                                   run a detached container in cgroup CGROUP
#                                   (kubelet's cgroupfs layout, e.g.
#                                   /kubepods/besteffort/pod<uid>/<cid>); its
#                                   output goes to $CTRD_DIR/logs/CID.log
#   ctrd_note_cgroup CGROUP         a cgroup ctrd_cleanup removes (for containers
#                                   run with plain `ctrd run`)
#   ctrd_pod_cgroup QOS UID CID     that path: QOS is besteffort, burstable or
#                                   guaranteed (kubelet puts those in /kubepods)
#   ctrd_task_pid CID               the host pid of the container's init
#   ctrd_rootfs CID                 the container's root filesystem as the host
#                                   sees it (the shim's mount under CTRD_STATE)
#   ctrd_app CID CGROUP IMAGE [ctr run option]...
#                                   ctrd_run a container whose init is its "app":
#                                   a shell that runs each command line handed to
#                                   it by ctrd_app_run, one at a time, as its own
#                                   children (the app's work, not an exec session)
#   ctrd_app_run CID CMD            CMD (one line of shell) run by that app, its
#                                   output discarded; waits; returns its status
#   ctrd_rm CID                     kill the container's task, delete it and the
#                                   container (its cgroup goes at ctrd_cleanup)
#   ctrd_exec CID [ctr task exec option]... -- CMD...
#                                   a `kubectl exec`: a new process in the
#                                   running container (unique exec id); waits
#   ctrd_node_pod NODE NS NAME UID CONTAINER CID
#                                   the kubelet's side of a pod on the node tree
#                                   NODE: a projected token volume on its own
#                                   tmpfs in the atomic-writer layout
#                                   (tests/lib/fixture.sh) under
#                                   var/lib/kubelet/pods/UID/volumes/, and
#                                   var/log/pods/NS_NAME_UID/CONTAINER/0.log with
#                                   its var/log/containers link; prints the volume
#                                   directory, to bind-mount read-only at
#                                   /var/run/secrets/kubernetes.io/serviceaccount
#   ctrd_cleanup                    kill tasks, delete containers, stop
#                                   containerd, unmount, remove the pod cgroups
#                                   and the directory; unmounts the pods' tmpfs
#                                   volumes. Idempotent.
# A reaper started by ctrd_start does the same if the test dies without
# running its trap (SIGKILL from a timeout), so containerd never outlives it.
# Executed (not sourced): containerd.sh reap DIR PID (the reaper itself).
CTRD_SELF=$(readlink -f "${BASH_SOURCE[0]}")
CTRD_REPO=$(cd "$(dirname "$CTRD_SELF")/../.." && pwd)
CTRD_DIR= CTRD_ADDR= CTRD_NS= CTRD_STATE= CTRD_PID= CTRD_REAPER=
# shellcheck source=tests/lib/fixture.sh
. "$CTRD_REPO/tests/lib/fixture.sh"

ctrd() { ctr --address "$CTRD_ADDR" --namespace "$CTRD_NS" "$@"; }

ctrd_hex() { od -An -N"$1" -tx1 /dev/urandom | tr -d ' \n'; }
ctrd_cid() { ctrd_hex 32; echo; }
ctrd_pod_uid() {
	local h
	h=$(ctrd_hex 16)
	echo "${h:0:8}-${h:8:4}-4${h:13:3}-8${h:17:3}-${h:20:12}"
}

ctrd_pod_cgroup() {	# QOS UID CID
	case $1 in
	guaranteed) echo "/kubepods/pod$2/$3" ;;
	*) echo "/kubepods/$1/pod$2/$3" ;;
	esac
}

ctrd_start() {
	local i h found=0 t
	t=$(trap -p EXIT)
	t=${t#trap -- \'}; t=${t%%\'*}
	# an exit hook (tests/lib/preamble.sh), the EXIT trap (demo.sh), or the
	# function one of them calls must run ctrd_cleanup
	for h in "${CW_EXIT_HOOKS[@]:-}" "$t"; do
		if grep -qw ctrd_cleanup <<<"$h" ||
		   declare -f "${h%% *}" 2>/dev/null | grep -qw ctrd_cleanup; then
			found=1
		fi
	done
	if [ $found = 0 ]; then
		echo "containerd.sh: run ctrd_cleanup at exit (on_exit ctrd_cleanup) before ctrd_start" >&2
		return 1
	fi
	command -v containerd >/dev/null && command -v runc >/dev/null ||
		{ echo "containerd.sh: containerd or runc missing: run make deps" >&2; return 1; }
	CTRD_DIR=$(mktemp -d /tmp/cw-ctrd.XXXXXX)
	CTRD_NS=cw-$$-$(ctrd_hex 3)
	CTRD_ADDR=$CTRD_DIR/containerd.sock
	CTRD_STATE=$CTRD_DIR/state
	mkdir -p "$CTRD_DIR/root" "$CTRD_STATE" "$CTRD_DIR/opt"
	# The shim mounts each container's rootfs under the state dir in this
	# mount namespace; a shared mount lets them propagate into a container
	# that bind-mounts the state dir with HostToContainer (rslave)
	# propagation, as on a systemd host where / is shared.
	mount --bind "$CTRD_STATE" "$CTRD_STATE"
	mount --make-shared "$CTRD_STATE"
	cat >"$CTRD_DIR/config.toml" <<EOF
version = 2
root = "$CTRD_DIR/root"
state = "$CTRD_STATE"
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.aufs",
  "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.snapshotter.v1.zfs", "io.containerd.tracing.processor.v1.otlp",
  "io.containerd.internal.v1.tracing"]
[grpc]
  address = "$CTRD_ADDR"
[ttrpc]
  address = "$CTRD_ADDR.ttrpc"
[debug]
  address = "$CTRD_DIR/debug.sock"
[metrics]
  address = ""
[plugins."io.containerd.internal.v1.opt"]
  path = "$CTRD_DIR/opt"
[plugins."io.containerd.runtime.v1.linux"]
  runtime_root = "$CTRD_DIR/runc-v1"
[plugins."io.containerd.service.v1.tasks-service"]
  rdt_config_file = ""
EOF
	setsid containerd --config "$CTRD_DIR/config.toml" --log-level warn \
		</dev/null >"$CTRD_DIR/containerd.log" 2>&1 &
	CTRD_PID=$!
	echo "$CTRD_PID" >"$CTRD_DIR/containerd.pid"
	# the reaper: cleans up after a test that dies without its trap
	setsid bash "$CTRD_SELF" reap "$CTRD_DIR" "$$" </dev/null >/dev/null 2>&1 &
	CTRD_REAPER=$!
	for ((i = 0; i < 300; i++)); do
		ctr --address "$CTRD_ADDR" version >/dev/null 2>&1 && return 0
		kill -0 "$CTRD_PID" 2>/dev/null || break
		sleep 0.1
	done
	echo "containerd.sh: containerd did not start:" >&2
	tail -n 20 "$CTRD_DIR/containerd.log" >&2
	return 1
}

# ctrd_busybox_image TAR REF [NAME:UID]...
ctrd_busybox_image() {
	local tar=$1 ref=$2 r u; shift 2
	r=$(mktemp -d /tmp/cw-bbroot.XXXXXX)
	mkdir -p "$r/bin" "$r/etc" "$r/tmp" "$r/proc" "$r/sys" "$r/dev" "$r/root" \
		"$r/var/run/secrets/kubernetes.io/serviceaccount"
	chmod 1777 "$r/tmp"
	cp /bin/busybox "$r/bin/busybox" 2>/dev/null || cp "$(command -v busybox)" "$r/bin/busybox" ||
		{ echo "containerd.sh: no static busybox: run make deps (busybox-static)" >&2; rm -rf "$r"; return 1; }
	for u in sh cat sleep id ls head dd true false echo test readlink stat ln rm mkdir mkfifo; do
		ln -s busybox "$r/bin/$u"
	done
	# merged-/usr links, as on Debian: a container that bind-mounts the
	# host's /usr can run the host's dynamically linked programs (python3)
	ln -s usr/lib "$r/lib"
	ln -s usr/lib64 "$r/lib64"
	echo 'root:x:0:0:root:/root:/bin/sh' >"$r/etc/passwd"
	echo 'root:x:0:' >"$r/etc/group"
	for u in "$@"; do
		echo "${u%%:*}:x:${u#*:}:${u#*:}:${u%%:*}:/tmp:/bin/sh" >>"$r/etc/passwd"
		echo "${u%%:*}:x:${u#*:}:" >>"$r/etc/group"
	done
	SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-0} "$CTRD_REPO/packaging/image/oci-pack.sh" \
		"$r" "$tar" "$ref" --config.cmd /bin/sh --config.user "${CTRD_IMAGE_USER:-0}" >/dev/null
	local rc=$?
	rm -rf "$r"
	return $rc
}

# ctrd_import TAR REF: the archive's ref name is the tag; REF names the image
ctrd_import() {
	ctrd image import --base-name "${2%:*}" "$1" >/dev/null &&
		ctrd image ls -q | grep -qx "$2" ||
		{ echo "containerd.sh: import of $1 did not give $2: $(ctrd image ls -q)" >&2; return 1; }
}

ctrd_note_cgroup() { echo "$1" >>"$CTRD_DIR/cgroups"; }

# ctrd_run CID CGROUP IMAGE [option]... -- CMD...
ctrd_run() {
	local cid=$1 cg=$2 image=$3 opts=(); shift 3
	while [ $# -gt 0 ] && [ "$1" != -- ]; do opts+=("$1"); shift; done
	[ "${1:-}" = -- ] && shift
	ctrd_note_cgroup "$cg"
	mkdir -p "$CTRD_DIR/logs"
	ctrd run -d --cgroup "$cg" --log-uri "file://$CTRD_DIR/logs/$cid.log" "${opts[@]}" \
		"$image" "$cid" "$@" >/dev/null
}

ctrd_task_pid() {
	ctrd task ls | awk -v c="$1" '$1 == c { print $2 }'
}

ctrd_rm() {
	local i
	ctrd task kill -s KILL "$1" >/dev/null 2>&1
	for ((i = 0; i < 100; i++)); do	# until the kill has landed
		ctrd task delete "$1" >/dev/null 2>&1 && break
		sleep 0.1
	done
	ctrd container delete "$1" >/dev/null
}

ctrd_rootfs() { echo "$CTRD_STATE/io.containerd.runtime.v2.task/$CTRD_NS/$1/rootfs"; }

# The app's loop: a FIFO for the command, one for its status. The host's
# open of either blocks until the app opens the other end: no polling.
CTRD_APP_LOOP='mkfifo /tmp/.cw-cmd /tmp/.cw-rc && while IFS= read -r c </tmp/.cw-cmd; do
	( eval "$c" ) </dev/null >/dev/null 2>&1; echo $? >/tmp/.cw-rc; done'

# ctrd_app CID CGROUP IMAGE [option]...
ctrd_app() {
	ctrd_run "$@" -- sh -c "$CTRD_APP_LOOP"
}

# ctrd_app_run CID CMD
ctrd_app_run() {
	local d rc i
	d=$(ctrd_rootfs "$1")/tmp
	for ((i = 0; i < 300; i++)); do	# the app made its FIFOs
		[ -p "$d/.cw-rc" ] && break
		sleep 0.1
	done
	# a cap, not a wait: both opens return as soon as the app is there
	rc=$(timeout 60 sh -c 'printf "%s\n" "$3" >"$1" && cat "$2"' _ "$d/.cw-cmd" "$d/.cw-rc" "$2") &&
		[ -n "$rc" ] || {
		echo "containerd.sh: $1: its app did not run the command: $(ctrd task ls 2>&1 | grep "$1")" >&2
		return 1
	}
	return "$rc"
}

# ctrd_exec CID [option]... -- CMD...
ctrd_exec() {
	local cid=$1 opts=(); shift
	while [ $# -gt 0 ] && [ "$1" != -- ]; do opts+=("$1"); shift; done
	[ "${1:-}" = -- ] && shift
	ctrd task exec --exec-id "x$(ctrd_hex 6)" "${opts[@]}" "$cid" "$@"
}

# ctrd_node_pod NODE NS NAME UID CONTAINER CID
ctrd_node_pod() {
	local node=$1 ns=$2 name=$3 uid=$4 ctr=$5 cid=$6 vol
	vol=$node/var/lib/kubelet/pods/$uid/volumes/kubernetes.io~projected/kube-api-access-$(ctrd_hex 3)
	mkdir -p "$vol"
	mount -t tmpfs -o size=1m,mode=0755 tmpfs "$vol" || return 1
	echo "$vol" >>"$CTRD_DIR/mounts"
	fixture_atomic_dir "$vol" token ca.crt namespace
	fixture_container "$node" "$ns" "$name" "$uid" "$ctr" "$cid"
	echo "$vol"
}

# ctrd_reap DIR: the cleanup proper, given only the directory (the reaper
# has nothing else); never touches what another run made.
ctrd_reap() {
	local dir=$1 addr ns pid c m cg sub i
	[ -n "$dir" ] && [ -d "$dir" ] || return 0
	addr=$dir/containerd.sock
	pid=$(cat "$dir/containerd.pid" 2>/dev/null || true)
	if [ -S "$addr" ] && [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		for ns in $(ctr --address "$addr" namespaces ls -q 2>/dev/null); do
			for c in $(ctr --address "$addr" -n "$ns" task ls -q 2>/dev/null); do
				ctr --address "$addr" -n "$ns" task kill -s KILL "$c" >/dev/null 2>&1
			done
			for c in $(ctr --address "$addr" -n "$ns" task ls -q 2>/dev/null); do
				for ((i = 0; i < 50; i++)); do
					ctr --address "$addr" -n "$ns" task delete -f "$c" >/dev/null 2>&1 && break
					sleep 0.1
				done
			done
			for c in $(ctr --address "$addr" -n "$ns" container ls -q 2>/dev/null); do
				ctr --address "$addr" -n "$ns" container delete "$c" >/dev/null 2>&1
			done
			rm -rf "/run/containerd/runc/$ns"
		done
	fi
	[ -z "$pid" ] || kill -TERM "$pid" 2>/dev/null
	for ((i = 0; i < 100; i++)); do
		[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	[ -z "$pid" ] || kill -KILL "$pid" 2>/dev/null
	# shims of this containerd: an argument of theirs is its address (one
	# grep over every command line; a pipe per process took seconds)
	for c in $(grep -lzxsF -- "$addr" /proc/[0-9]*/cmdline); do
		c=${c#/proc/}; kill -KILL "${c%/cmdline}" 2>/dev/null
	done
	# the pods' volumes (on the caller's node tree), newest first
	if [ -f "$dir/mounts" ]; then
		tac "$dir/mounts" | while read -r m; do umount -l "$m" 2>/dev/null; done
	fi
	# every mount under the directory, deepest first
	for ((i = 0; i < 3; i++)); do
		m=$(awk -v d="$dir" 'index($5, d "/") == 1 || $5 == d { print $5 }' /proc/self/mountinfo | sort -r)
		[ -n "$m" ] || break
		while read -r sub; do umount -l "$sub" 2>/dev/null; done <<<"$m"
	done
	# the pod-level cgroup dirs runc's mkdir -p made (the containers' are gone)
	if [ -f "$dir/cgroups" ]; then
		while read -r cg; do
			for sub in /sys/fs/cgroup/*/ /sys/fs/cgroup/; do
				rmdir "$sub${cg#/}" 2>/dev/null
				rmdir "$(dirname "$sub${cg#/}")" 2>/dev/null
			done
		done <"$dir/cgroups"
	fi
	rm -rf "$dir"
}

# Callers run under set -e: nothing here may stop it half-way.
ctrd_cleanup() {
	[ -n "$CTRD_DIR" ] || return 0
	( set +e; ctrd_reap "$CTRD_DIR" )
	if [ -n "$CTRD_REAPER" ]; then
		kill "$CTRD_REAPER" 2>/dev/null || true
		wait "$CTRD_REAPER" 2>/dev/null || true
	fi
	CTRD_DIR= CTRD_REAPER=
	return 0
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	case ${1:-} in
	reap)
		trap '' HUP INT
		while kill -0 "$3" 2>/dev/null; do sleep 1; done
		ctrd_reap "$2"
		;;
	*) echo "usage: containerd.sh reap DIR PID (source it for the functions)" >&2; exit 2 ;;
	esac
fi
