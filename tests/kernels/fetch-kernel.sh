#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# fetch-kernel.sh SUITE DIR - Debian's stock cloud kernel of SUITE (bullseye,
# bookworm, trixie, ...) unpacked into DIR: DIR/vmlinuz, DIR/modules/ (the
# package's lib/modules/<release>), DIR/release. Cached: a DIR whose release
# file exists is reused as is (rm -rf it to refresh).
#
# Uses apt-get with a private sources list, state and cache under DIR/apt,
# so the host's apt configuration and package lists are never touched; the
# archive is verified with Debian's keyring, which names every suite from
# bullseye on. apt-get download resolves the metapackage
# linux-image-cloud-amd64 to the versioned image package of the suite.
set -eu
suite=${1:?usage: fetch-kernel.sh SUITE DIR}
dir=${2:?usage: fetch-kernel.sh SUITE DIR}
mirror=${CW_DEBIAN_MIRROR:-http://deb.debian.org/debian}
keyring=/usr/share/keyrings/debian-archive-keyring.gpg

[ -s "$dir/release" ] && [ -f "$dir/vmlinuz" ] && exit 0
mkdir -p "$dir"
dir=$(realpath "$dir")

apt_dir=$dir/apt
rm -rf "$apt_dir" "$dir/root"
mkdir -p "$apt_dir/lists/partial" "$apt_dir/archives/partial" "$apt_dir/etc/preferences.d"
echo "deb [signed-by=$keyring] $mirror $suite main" > "$apt_dir/etc/sources.list"
: > "$apt_dir/status"
apt_opts=(-q -o "Dir::Etc::sourcelist=$apt_dir/etc/sources.list"
	-o Dir::Etc::sourceparts=- -o "Dir::Etc::preferencesparts=$apt_dir/etc/preferences.d"
	-o Dir::Etc::preferences=/dev/null
	-o "Dir::State=$apt_dir" -o "Dir::State::status=$apt_dir/status"
	-o "Dir::Cache=$apt_dir" -o Debug::NoLocking=1
	-o APT::Architecture=amd64 -o APT::Architectures::=amd64
	-o Acquire::Languages=none -o Acquire::Retries=3)

apt-get "${apt_opts[@]}" update >"$apt_dir/update.log" 2>&1 || {
	echo "fetch-kernel: apt-get update for $suite failed:" >&2
	cat "$apt_dir/update.log" >&2
	exit 1
}
# linux-image-cloud-amd64 depends on linux-image-<release>-cloud-amd64[-unsigned]
pkg=$(apt-cache "${apt_opts[@]}" depends linux-image-cloud-amd64 |
	sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*\)$/\1/p' | head -n 1)
[ -n "$pkg" ] || { echo "fetch-kernel: no linux-image-cloud-amd64 in $suite" >&2; exit 1; }
(cd "$apt_dir/archives" && apt-get "${apt_opts[@]}" download "$pkg" >"$apt_dir/download.log" 2>&1) || {
	echo "fetch-kernel: apt-get download $pkg failed:" >&2
	cat "$apt_dir/download.log" >&2
	exit 1
}
deb=$(ls "$apt_dir"/archives/"${pkg}"_*.deb | head -n 1)
mkdir -p "$dir/root"
dpkg-deb -x "$deb" "$dir/root"
vmlinuz=$(ls "$dir"/root/boot/vmlinuz-* | head -n 1)
release=${vmlinuz##*/vmlinuz-}
moddir=$dir/root/lib/modules/$release
[ -d "$moddir" ] || moddir=$dir/root/usr/lib/modules/$release
[ -d "$moddir" ] || { echo "fetch-kernel: $pkg has no modules for $release" >&2; exit 1; }
rm -rf "$dir/modules"
mv "$moddir" "$dir/modules"
mv "$vmlinuz" "$dir/vmlinuz"
mv "$dir/root/boot/config-$release" "$dir/config"
rm -rf "$dir/root" "$apt_dir/archives"/*.deb
echo "$release" > "$dir/release"
echo "fetch-kernel: $suite: $release ($pkg)"
