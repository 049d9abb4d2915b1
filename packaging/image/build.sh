#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# packaging/image/build.sh - the agent image without a container daemon or
# a registry: `make image` runs it.
#
#   build.sh SRC BUILD OUT.tar [REF]
#
# 1. A root filesystem of Debian packages only (packaging/image/packages and
#    their dependencies), unpacked by mmdebstrap's "extract" variant: no
#    shell, no dpkg, no apt, no maintainer scripts. Cached in
#    BUILD/image/base-<key>, key = the package list, suite and mirrors; the
#    .debs in BUILD/image/debs, so a rebuild downloads nothing new.
#    /var/lib/dpkg/status.d/<package> records each package's control
#    fields, where image scanners look in images without a dpkg database.
# 2. rootfs.sh install + finish: the agent, credwatch-inspect, default rules
#    and config; the CA bundle and users the skipped maintainer scripts
#    would have written; no manuals or locales.
# 3. oci-pack.sh: one reproducible layer, OCI archive, entrypoint credwatch,
#    user 0:0 (the chart grants its capabilities to uid 0).
#
# Reproducible: every timestamp is SOURCE_DATE_EPOCH (default: the last
# commit's time), so the same inputs (binaries, files, package versions)
# give the same digest. Prints the digest and sizes; writes OUT.digest.
# Environment: DEBIAN_SUITE (bookworm), DEBIAN_MIRROR, DEBIAN_SECURITY_MIRROR.
set -eu
here=$(cd "$(dirname "$0")" && pwd)

if [ "${1:-}" = hook-extract ]; then
	# mmdebstrap --extract-hook: $2 = the root, $3 = the .deb cache to fill
	root=$2 debs=$3
	cp -p "$root"/var/cache/apt/archives/*.deb "$debs/" 2>/dev/null || true
	mkdir -p "$root/var/lib/dpkg/status.d"
	# shellcheck disable=SC2046 # one package name per word
	APT_CONFIG=$MMDEBSTRAP_APT_CONFIG apt-get install -qq -s \
		$("$here/rootfs.sh" packages) | sed -n 's/^Inst \([^ ]*\) (\([^ ]*\) .*/\1 \2/p' |
	while read -r pkg ver; do
		for deb in "$root"/var/cache/apt/archives/"${pkg}"_*.deb; do
			[ "$(dpkg-deb -f "$deb" Version)" = "$ver" ] || continue
			{ echo "Status: install ok installed"
			  dpkg-deb -f "$deb" Package Source Version Architecture Maintainer \
				Installed-Size Depends Pre-Depends Homepage Description
			} >"$root/var/lib/dpkg/status.d/$pkg"
		done
		[ -s "$root/var/lib/dpkg/status.d/$pkg" ] ||
			{ echo "build.sh: $pkg $ver: no .deb in the cache" >&2; exit 1; }
	done
	exit 0
fi

[ $# -ge 3 ] || { echo "usage: build.sh SRC BUILD OUT.tar [REF]" >&2; exit 2; }
src=$(cd "$1" && pwd) build=$2 out=$3
ref=${4:-ghcr.io/credwatch/credwatch:$(cat "$src/VERSION" 2>/dev/null || echo dev)}
suite=${DEBIAN_SUITE:-bookworm}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
security=${DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
arch=$(dpkg --print-architecture)
for tool in mmdebstrap umoci; do
	command -v $tool >/dev/null ||
		{ echo "build.sh: $tool not found: run make deps (Debian package $tool)" >&2; exit 1; }
done
[ "$(id -u)" = 0 ] || { echo "build.sh: run as root (mmdebstrap --mode=root keeps file owners)" >&2; exit 1; }
if [ -z "${SOURCE_DATE_EPOCH:-}" ]; then
	SOURCE_DATE_EPOCH=$(git -C "$src" log -1 --format=%ct 2>/dev/null || stat -c %Y "$src/VERSION")
fi
export SOURCE_DATE_EPOCH

img=$build/image
mkdir -p "$img/debs"
key=$({ "$here/rootfs.sh" packages; echo "$suite $mirror $security $arch"
	sed -n '/^if \[ "${1:-}" = hook-extract/,/^fi/p' "$0"; } | sha256sum | cut -c1-16)
base=$img/base-$key
if [ ! -f "$base.done" ]; then
	echo "image: packages from $suite (cached in $base)" >&2
	rm -rf "$base"
	# the base's own timestamps do not matter: oci-pack.sh resets them all
	mmdebstrap --variant=extract --mode=root --quiet --architectures="$arch" \
		--include="$("$here/rootfs.sh" packages | paste -sd, -)" \
		--skip=download/empty \
		--setup-hook='mkdir -p "$1/var/cache/apt/archives"' \
		--setup-hook="sync-in '$(cd "$img/debs" && pwd)' /var/cache/apt/archives/" \
		--extract-hook="'$here/build.sh' hook-extract \"\$1\" '$(cd "$img/debs" && pwd)'" \
		"$suite" "$base" \
		"deb $mirror $suite main" "deb $mirror $suite-updates main" \
		"deb $security $suite-security main"
	touch "$base.done"
fi

rootfs=$img/rootfs
rm -rf "$rootfs"
cp -a "$base" "$rootfs"
"$here/rootfs.sh" install "$src" "$build" "$rootfs"
"$here/rootfs.sh" finish "$rootfs"
# the agent must start in it: every library it links is there
chroot "$rootfs" /usr/bin/credwatch --version >/dev/null ||
	{ echo "build.sh: credwatch does not run in the image's root filesystem" >&2; exit 1; }

digest=$("$here/oci-pack.sh" "$rootfs" "$out" "$ref" \
	--config.entrypoint /usr/bin/credwatch --config.user 0:0 \
	--config.workingdir / \
	--config.label org.opencontainers.image.title=credwatch \
	--config.label "org.opencontainers.image.description=eBPF monitor of Kubernetes credential file access" \
	--config.label org.opencontainers.image.licenses=Apache-2.0 \
	--config.label org.opencontainers.image.source=https://github.com/credwatch/credwatch \
	--config.label "org.opencontainers.image.version=${ref##*:}")
echo "$digest" >"$out.digest"
echo "image: $ref $digest" >&2
echo "image: $out: $(du -k "$out" | cut -f1) KiB archive (gzip layer), $(du -sk "$rootfs" | cut -f1) KiB unpacked, $(ls "$rootfs/var/lib/dpkg/status.d" | wc -l) Debian packages" >&2
