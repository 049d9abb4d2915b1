#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# packaging/image/oci-pack.sh - pack a root filesystem directory as a
# single-layer OCI image archive (an OCI layout in a tar, what
# `ctr image import`, `skopeo copy oci-archive:` and `podman load` take),
# byte for byte reproducibly:
#
#   oci-pack.sh ROOTFS OUT.tar REF [umoci config option]...
#
# REF is "name:tag" (the tag becomes the layout's ref name). Every mtime is
# SOURCE_DATE_EPOCH (required), owners are numeric 0/0 unless the file says
# otherwise, entries are sorted, no atime/ctime/xattrs; umoci gzips the
# layer (Go's gzip: no timestamp) and writes the config with "created" =
# SOURCE_DATE_EPOCH. Prints the manifest digest on stdout.
# Used by packaging/image/build.sh and tests/lib/containerd.sh.
set -eu
[ $# -ge 3 ] || { echo "usage: oci-pack.sh ROOTFS OUT.tar REF [umoci config option]..." >&2; exit 2; }
rootfs=$1 out=$2 ref=$3
shift 3
: "${SOURCE_DATE_EPOCH:?oci-pack.sh: set SOURCE_DATE_EPOCH}"
tag=${ref##*:}
[ "$tag" != "$ref" ] || tag=latest
created=$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%dT%H:%M:%SZ)
work=$(mktemp -d "${TMPDIR:-/tmp}/oci-pack.XXXXXX")
trap 'rm -rf "$work"' EXIT

# GNU tar: sorted, fixed times and owners; uids/gids kept as numbers.
reprotar() {	# DIR OUT
	tar --sort=name --mtime="@$SOURCE_DATE_EPOCH" --numeric-owner \
		--format=posix --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime \
		--no-acls --no-xattrs --no-selinux -C "$1" -cf "$2" .
}
reprotar "$rootfs" "$work/layer.tar"
umoci init --layout "$work/oci"
umoci new --image "$work/oci:$tag"
umoci raw add-layer --image "$work/oci:$tag" --history.created "$created" \
	--history.created_by "packaging/image/oci-pack.sh" "$work/layer.tar"
umoci config --image "$work/oci:$tag" --created "$created" --no-history \
	--architecture "$(dpkg --print-architecture 2>/dev/null || echo amd64)" --os linux "$@"
umoci gc --layout "$work/oci"
# the layout's own files: fixed modes too (umoci writes blobs 0600)
find "$work/oci" -type d -exec chmod 0755 {} + -o -type f -exec chmod 0644 {} +
tar --sort=name --mtime="@$SOURCE_DATE_EPOCH" --owner=0 --group=0 --numeric-owner \
	--format=posix --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime \
	-C "$work/oci" -cf "$out.tmp" .
mv "$out.tmp" "$out"
python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["manifests"][0]["digest"])' \
	"$work/oci/index.json"
