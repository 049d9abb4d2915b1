#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Real cgroup v2 directories named as kubelet names them. Source it.
#   cg_root                        the cgroup2 mount (/sys/fs/cgroup or .../unified)
#   cg_pod_systemd UID QOS CID     kubepods.slice/.../cri-containerd-CID.scope; prints the dir
#   cg_pod_cgroupfs UID QOS CID    kubepods/QOS/podUID/CID; prints the dir
#   cg_run DIR CMD...              run CMD inside DIR's cgroup (a child moves itself in)
#   cg_cleanup                     rmdir everything cg_pod_* made
# Callers use CG=$(cg_pod_systemd ...): a subshell, whose variables are lost.
# So the directories made are recorded in a file, not in an array.
CG_MADE_FILE=$(mktemp /tmp/cw-cgmade.XXXXXX)
# sourced after tests/lib/preamble.sh: registered first, so it runs last,
# after the script's own hooks have killed what ran in these cgroups
if declare -F on_exit >/dev/null; then on_exit cg_cleanup; fi
cg_root() { findmnt -t cgroup2 -n -o TARGET | head -n 1; }

cg_mkdirs() {	# root rel: mkdir each level, remember them for cleanup
	local root=$1 rel=$2 path=$1 part
	IFS=/ read -ra parts <<<"$rel"
	for part in "${parts[@]}"; do
		path=$path/$part
		if [ ! -d "$path" ]; then
			mkdir "$path" || return 1
			echo "$path" >>"$CG_MADE_FILE"
		fi
	done
	echo "$path"
}

cg_pod_systemd() {
	local uid=$1 qos=$2 cid=$3 u=${1//-/_}
	cg_mkdirs "$(cg_root)" "kubepods.slice/kubepods-$qos.slice/kubepods-$qos-pod$u.slice/cri-containerd-$cid.scope"
}

cg_pod_cgroupfs() {
	local uid=$1 qos=$2 cid=$3
	cg_mkdirs "$(cg_root)" "kubepods/$qos/pod$uid/$cid"
}

# exec: the caller's $! (cg_run ... &) is then the pid that opens
cg_run() {
	local dir=$1; shift
	exec bash -c 'echo $$ > "$0/cgroup.procs" && exec "$@"' "$dir" "$@"
}

cg_cleanup() {	# children were made after their parents: remove in reverse
	local dir
	[ -f "$CG_MADE_FILE" ] || return 0
	# killed processes leave their cgroup a moment after the signal: retry a
	# little, and never fail the caller's EXIT trap (set -e) over a leftover
	while IFS= read -r dir; do
		for _ in $(seq 30); do
			rmdir "$dir" 2>/dev/null || [ ! -d "$dir" ] && break
			sleep 0.1
		done
	done < <(tac "$CG_MADE_FILE")
	rm -f "$CG_MADE_FILE"
	return 0
}
