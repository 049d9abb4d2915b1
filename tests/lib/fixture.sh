#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Fixture node trees for tests: kubelet pod volumes in the atomic-writer
# layout, /var/log/pods, host kubeconfigs. Source it, then:
#   fixture_pod ROOT NS NAME UID        a pod with a projected SA token
#   fixture_secret ROOT UID VOL KEY...  a Secret volume
#   fixture_rotate ROOT UID PLUGIN VOL  what kubelet does on token rotation
#   fixture_host ROOT                   /etc/kubernetes/admin.conf, kubelet kubeconfig
#   fixture_container ROOT NS POD UID CONTAINER CID
#                                       /var/log/containers link naming a container
# Every credential file contains "CWMARKER-<random>" so tests can prove no
# output ever carries a credential's bytes.
# These are plain directories, for trees built before the agent starts. A
# pod started while the agent runs must be made as kubelet makes it, its
# volumes on their own tmpfs: tests/lib/kubelet.sh.

fixture_marker() { echo "CWMARKER-$(od -An -N8 -tx8 /dev/urandom | tr -d ' ')"; }

# fixture_atomic_dir DIR KEY... : DIR/..<ts>/KEY files, ..data, KEY -> ..data/KEY
fixture_atomic_dir() {
	local dir=$1; shift
	local ts="..$(date -u +%Y_%m_%d_%H_%M_%S).$RANDOM$RANDOM"
	mkdir -p "$dir/$ts"
	for key in "$@"; do
		fixture_marker > "$dir/$ts/$key"
		chmod 0644 "$dir/$ts/$key"
	done
	ln -sfn "$ts" "$dir/..data"
	for key in "$@"; do
		ln -sfn "..data/$key" "$dir/$key"
	done
}

fixture_pod() {
	local root=$1 ns=$2 name=$3 uid=$4 container=${5:-app}
	local vol="$root/var/lib/kubelet/pods/$uid/volumes/kubernetes.io~projected/kube-api-access-$RANDOM"
	fixture_atomic_dir "$vol" token ca.crt namespace
	mkdir -p "$root/var/log/pods/${ns}_${name}_${uid}/$container"
	: > "$root/var/log/pods/${ns}_${name}_${uid}/$container/0.log"
}

# kubelet's /var/log/containers/<pod>_<ns>_<container>-<id>.log -> /var/log/pods/...
fixture_container() {
	local root=$1 ns=$2 pod=$3 uid=$4 container=$5 cid=$6
	mkdir -p "$root/var/log/pods/${ns}_${pod}_${uid}/$container" "$root/var/log/containers"
	: >>"$root/var/log/pods/${ns}_${pod}_${uid}/$container/0.log"
	ln -sfn "/var/log/pods/${ns}_${pod}_${uid}/$container/0.log" \
		"$root/var/log/containers/${pod}_${ns}_${container}-${cid}.log"
}

fixture_secret() {
	local root=$1 uid=$2 vol=$3; shift 3
	fixture_atomic_dir "$root/var/lib/kubelet/pods/$uid/volumes/kubernetes.io~secret/$vol" "$@"
}

# The kubelet atomic writer: new timestamped dir, ..data_tmp, rename over ..data, drop old.
fixture_rotate() {
	local root=$1 uid=$2 plugin=$3 vol=$4
	local dir="$root/var/lib/kubelet/pods/$uid/volumes/$plugin/$vol"
	local old new key
	old=$(readlink "$dir/..data")
	new="..$(date -u +%Y_%m_%d_%H_%M_%S).$RANDOM$RANDOM"
	mkdir "$dir/$new"
	for key in "$dir/$old"/*; do
		fixture_marker > "$dir/$new/$(basename "$key")"
	done
	ln -s "$new" "$dir/..data_tmp"
	mv -T "$dir/..data_tmp" "$dir/..data"
	rm -rf "${dir:?}/$old"
}

# token path of the first projected volume of a pod
fixture_token_path() {
	local root=$1 uid=$2
	echo "$root"/var/lib/kubelet/pods/"$uid"/volumes/kubernetes.io~projected/kube-api-access-*/token
}

fixture_host() {
	local root=$1
	mkdir -p "$root/etc/kubernetes/pki" "$root/var/lib/kubelet/pki" "$root/root/.kube"
	fixture_marker > "$root/etc/kubernetes/admin.conf"
	fixture_marker > "$root/etc/kubernetes/kubelet.conf"
	fixture_marker > "$root/etc/kubernetes/pki/apiserver.key"
	fixture_marker > "$root/var/lib/kubelet/pki/kubelet-client-current.pem"
	fixture_marker > "$root/root/.kube/config"
	chmod 0600 "$root"/etc/kubernetes/*.conf "$root/etc/kubernetes/pki/apiserver.key"
}
