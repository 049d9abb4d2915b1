#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Pods made the way kubelet makes them, for tests that create pods while the
# agent runs. kubelet creates /var/lib/kubelet/pods/<uid>/volumes/<plugin>/<vol>,
# MOUNTS A TMPFS ON IT, and only then writes the atomic-writer files inside
# the new filesystem (..<timestamp>/ with the keys, ..data -> ..<timestamp>,
# KEY -> ..data/KEY); a rotation happens inside that tmpfs; teardown unmounts
# and removes. A plain directory (tests/lib/fixture.sh) is what nodes never
# have for these volumes. Source it (with fixture.sh), then:
#   kubelet_isolate "$@"               first thing in a test: re-run the script in
#                                      a private mount namespace, so every mount it
#                                      makes dies with it (also on SIGKILL) and no
#                                      other run or agent sees them
#   kubelet_uid                        a fresh pod uid (unique per call and run)
#   kubelet_pod ROOT NS NAME UID [CONTAINER]
#                                      pod dir, /var/log/pods dir, and a projected
#                                      kube-api-access-<n> volume (token, ca.crt,
#                                      namespace) on its own tmpfs; prints the
#                                      volume dir
#   kubelet_volume ROOT UID PLUGIN VOL KEY...
#                                      one more volume (kubernetes.io~secret,
#                                      kubernetes.io~projected) on its own tmpfs;
#                                      prints the volume dir
#   kubelet_rotate VOLDIR              the atomic writer's update inside the tmpfs:
#                                      new ..<ts2>/ with every key, ..data_tmp ->
#                                      ..<ts2>, rename over ..data, old dir removed
#   kubelet_pod_delete ROOT UID        unmount every volume of the pod, remove it
#   kubelet_cleanup ROOT               unmount everything under ROOT's pods dir
#                                      (deepest first); for traps
# Every key file holds a "CWMARKER-<random>" line, as fixture.sh's do.

kubelet_isolate() {
	[ -n "${CW_KUBELET_NS:-}" ] && return 0
	# exec runs no exit hook: a file made before it would stay in /tmp
	if [ -n "${CG_MADE_FILE:-}" ]; then
		rm -f "$CG_MADE_FILE"
		echo "kubelet.sh: call kubelet_isolate before sourcing tests/lib/cgroup.sh" >&2
		return 1
	fi
	CW_KUBELET_NS=1 exec unshare --mount --propagation private -- "$BASH" "$0" "$@"
}

kubelet_uid() { cat /proc/sys/kernel/random/uuid; }

# kubelet's atomic writer names its directories ..<UTC time with ns>
kubelet_ts() { echo "..$(date -u +%Y_%m_%d_%H_%M_%S.%N)"; }

# kubelet_write_keys DIR KEY...: the first atomic write of a fresh volume
kubelet_write_keys() {
	local dir=$1 ts key; shift
	ts=$(kubelet_ts)
	mkdir "$dir/$ts"
	for key in "$@"; do
		fixture_marker > "$dir/$ts/$key"
		chmod 0644 "$dir/$ts/$key"
	done
	ln -s "$ts" "$dir/..data_tmp"
	mv -T "$dir/..data_tmp" "$dir/..data"
	for key in "$@"; do
		ln -s "..data/$key" "$dir/$key"
	done
}

kubelet_volume() {
	local root=$1 uid=$2 plugin=$3 vol=$4; shift 4
	local dir="$root/var/lib/kubelet/pods/$uid/volumes/$plugin/$vol"
	mkdir -p "$dir"
	# kubelet's emptyDir-on-memory medium: a tmpfs of its own per volume
	mount -t tmpfs -o mode=0755,size=1m "tmpfs-$uid" "$dir" || return 1
	kubelet_write_keys "$dir" "$@"
	echo "$dir"
}

kubelet_pod() {
	local root=$1 ns=$2 name=$3 uid=$4 container=${5:-app}
	mkdir -p "$root/var/lib/kubelet/pods/$uid/containers" "$root/var/lib/kubelet/pods/$uid/plugins" \
		"$root/var/log/pods/${ns}_${name}_${uid}/$container"
	: > "$root/var/log/pods/${ns}_${name}_${uid}/$container/0.log"
	kubelet_volume "$root" "$uid" kubernetes.io~projected "kube-api-access-$RANDOM" \
		token ca.crt namespace
}

kubelet_rotate() {
	local dir=$1 old new key
	old=$(readlink "$dir/..data")
	new=$(kubelet_ts)
	mkdir "$dir/$new"
	for key in "$dir/$old"/*; do
		fixture_marker > "$dir/$new/$(basename "$key")"
		chmod 0644 "$dir/$new/$(basename "$key")"
	done
	ln -s "$new" "$dir/..data_tmp"
	mv -T "$dir/..data_tmp" "$dir/..data"
	rm -rf "${dir:?}/$old"
}

# kubelet_mounts_under DIR: mount points at or below DIR, deepest first
kubelet_mounts_under() {
	local dir
	dir=$(realpath -m "$1")	# the mount table's paths are absolute and canonical
	awk -v d="$dir" '$5 == d || index($5, d "/") == 1 { print $5 }' /proc/self/mountinfo | sort -r
}

# kubelet_umount DIR: as kubelet, try again while it is busy (the agent may
# have the volume directory open for a rescan for a moment)
kubelet_umount() {
	local i
	for i in $(seq 100); do
		umount "$1" 2>/dev/null && return 0
		sleep 0.01
	done
	umount "$1"
}

kubelet_pod_delete() {
	local root=$1 uid=$2 mp
	local pod="$root/var/lib/kubelet/pods/$uid"
	for mp in $(kubelet_mounts_under "$pod"); do
		kubelet_umount "$mp" || return 1
	done
	rm -rf "$pod"
}

kubelet_cleanup() {
	local root=$1 mp
	[ -n "$root" ] || return 0
	for mp in $(kubelet_mounts_under "$root/var/lib/kubelet/pods"); do
		umount "$mp" 2>/dev/null || umount -l "$mp" 2>/dev/null || true
	done
}
