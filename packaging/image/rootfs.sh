#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# packaging/image/rootfs.sh - the steps the agent image's root filesystem
# shares between `make image` (packaging/image/build.sh, no daemon) and the
# Dockerfile, so both images hold the same files:
#
#   rootfs.sh packages                 the Debian packages, one per line
#   rootfs.sh install SRC BUILD ROOT   the agent, credwatch-inspect, default
#                                      rules and config from the source tree
#                                      SRC and its build dir BUILD into ROOT
#   rootfs.sh finish ROOT              what dpkg's maintainer scripts would
#                                      have made (CA bundle, users), then
#                                      drop what the agent never uses
#
# POSIX sh: the Dockerfile runs it in debian:12-slim.
set -eu
here=$(dirname "$0")

case ${1:-} in
packages)
	grep -v '^[[:space:]]*\(#\|$\)' "$here/packages"
	;;
install)
	src=$2 build=$3 root=$4
	for f in "$build/credwatch" "$build/credwatch-inspect"; do
		[ -x "$f" ] || { echo "rootfs.sh: $f: not built (run make)" >&2; exit 1; }
	done
	ls "$src"/rules/*.yaml >/dev/null 2>&1 ||
		{ echo "rootfs.sh: $src/rules/*.yaml: the default rules are missing" >&2; exit 1; }
	ls "$src"/catalog/*.yaml >/dev/null 2>&1 ||
		{ echo "rootfs.sh: $src/catalog/*.yaml: the credential catalog is missing" >&2; exit 1; }
	install -d -m 0755 "$root/usr/bin" "$root/etc/credwatch/rules" "$root/etc/credwatch/catalog.d" \
		"$root/var/lib/credwatch"
	install -m 0755 "$build/credwatch" "$build/credwatch-inspect" "$root/usr/bin/"
	# as `make deb` ships them: no debug info, no build-host notes
	strip --strip-unneeded --remove-section=.comment --remove-section=.note \
		"$root/usr/bin/credwatch" "$root/usr/bin/credwatch-inspect"
	install -m 0644 "$src"/rules/*.yaml "$root/etc/credwatch/rules/"
	install -m 0644 "$src"/catalog/*.yaml "$root/etc/credwatch/catalog.d/"
	install -m 0644 "$src/packaging/credwatch.yaml" "$root/etc/credwatch/credwatch.yaml"
	install -d -m 0755 "$root/usr/share/doc/credwatch"
	install -m 0644 "$src/packaging/copyright" "$root/usr/share/doc/credwatch/copyright"
	;;
finish)
	root=$2
	# ca-certificates' postinst (update-ca-certificates) writes the bundle
	# libcurl reads; without maintainer scripts, concatenate the same
	# certificates in a fixed order.
	if [ -d "$root/usr/share/ca-certificates/mozilla" ] &&
	   [ ! -s "$root/etc/ssl/certs/ca-certificates.crt" ]; then
		install -d -m 0755 "$root/etc/ssl/certs"
		find "$root/usr/share/ca-certificates/mozilla" -name '*.crt' | LC_ALL=C sort |
			while read -r c; do cat "$c"; done >"$root/etc/ssl/certs/ca-certificates.crt"
	fi
	[ -s "$root/etc/ssl/certs/ca-certificates.crt" ] ||
		{ echo "rootfs.sh: no CA bundle in $root" >&2; exit 1; }
	# root, and nobody for tools; base-passwd's postinst would write these
	[ -s "$root/etc/passwd" ] || printf '%s\n' 'root:x:0:0:root:/root:/usr/sbin/nologin' \
		'nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin' >"$root/etc/passwd"
	[ -s "$root/etc/group" ] || printf '%s\n' 'root:x:0:' 'nogroup:x:65534:' >"$root/etc/group"
	install -d -m 0700 "$root/root"
	install -d -m 1777 "$root/tmp"
	# Host-specific files (mmdebstrap copies the build host's) and what no
	# agent reads: manuals, translations, iconv modules, the tools that
	# came with ca-certificates' dependencies. Licences stay.
	rm -f "$root/etc/resolv.conf" "$root/etc/hostname" "$root/etc/machine-id"
	rm -rf "$root/usr/share/man" "$root/usr/share/info" "$root/usr/share/locale" \
		"$root/usr/share/lintian" "$root/usr/share/bug" "$root/usr/share/perl5" \
		"$root/usr/lib/x86_64-linux-gnu/gconv" "$root/usr/lib/aarch64-linux-gnu/gconv" \
		"$root/var/cache/debconf" "$root/var/log"/* "$root/usr/sbin"/* \
		"$root/usr/bin/openssl" "$root/usr/bin/c_rehash" "$root/usr/bin"/debconf*
	find "$root/usr/share/doc" -mindepth 2 ! -name copyright ! -type d -exec rm -f {} +
	find "$root/usr/share/doc" -depth -mindepth 1 -type d -empty -exec rmdir {} +
	;;
*)
	echo "usage: rootfs.sh packages | install SRC BUILD ROOT | finish ROOT" >&2
	exit 2
	;;
esac
