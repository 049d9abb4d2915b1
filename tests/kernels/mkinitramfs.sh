#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# mkinitramfs.sh OUT.cpio.gz [MODULES-DIR MODULE...] - the kernel matrix's
# initramfs, from the test build: busybox-static, bash, build/credwatch,
# the test helpers, the rules, the credential catalog and the checks, each
# binary with the shared libraries ldd names, all under /cw as in the source
# tree. Optional MODULE paths (relative to MODULES-DIR, e.g.
# kernel/fs/overlayfs/overlay.ko.xz) are unpacked into /cw/modules and
# loaded by /init in order.
#
# FILES (environment): more files of the tree to add, e.g. a new helper
# for a new check in tests/kernels/checks.sh.
set -eu
cd "$(dirname "$0")/../.."
out=${1:?usage: mkinitramfs.sh OUT.cpio.gz [MODULES-DIR MODULE...]}
shift
BUILD=${BUILD:-build}
root=$(mktemp -d)
chmod 0755 "$root"		# the guest's /: readable by the uid check's reader
trap 'rm -rf "$root"' EXIT

add_bin() {	# add_bin SRC DST: the binary and every library it loads
	local lib
	install -D -m 0755 "$1" "$root/$2"
	for lib in $(ldd "$1" 2>/dev/null | awk '/=> \// { print $3 } /^\t\/.*ld-linux/ { print $1 }'); do
		[ -e "$root$lib" ] || install -D -m 0755 "$lib" "$root$lib"
	done
}

mkdir -p "$root/bin" "$root/cw/build/itests" "$root/cw/modules" "$root/etc"
install -m 0755 /bin/busybox "$root/bin/busybox"
add_bin "$(command -v bash)" /bin/bash
add_bin "$(command -v setpriv)" /usr/bin/setpriv	# busybox's cannot change uids
add_bin "$BUILD/credwatch" /cw/build/credwatch
add_bin "$BUILD/itests/opener" /cw/build/itests/opener
# static 32-bit x86 (no libraries): the ia32 check runs it as built here
[ ! -e "$BUILD/itests/opener32" ] || install -D -m 0755 "$BUILD/itests/opener32" \
	"$root/cw/build/itests/opener32"
for f in tests/lib/fixture.sh tests/lib/agent.sh tests/kernels/checks.sh rules/*.yaml catalog/*.yaml \
	${FILES:-}; do
	if cmp -s -n 4 "$f" <(printf '\177ELF'); then
		add_bin "$f" "/cw/$f"
	else
		install -D -m 0644 "$f" "$root/cw/$f"
	fi
done
install -m 0755 tests/kernels/init "$root/init"
echo "root:x:0:0:root:/root:/bin/sh" > "$root/etc/passwd"
: > "$root/cw/modules.list"
if [ $# -gt 0 ]; then
	moddir=$1; shift
	for m in "$@"; do
		name=$(basename "$m")
		case $name in
		*.xz) xz -dc "$moddir/$m" > "$root/cw/modules/${name%.xz}"; name=${name%.xz} ;;
		*.zst) zstd -dcq "$moddir/$m" > "$root/cw/modules/${name%.zst}"; name=${name%.zst} ;;
		*) cp "$moddir/$m" "$root/cw/modules/$name" ;;
		esac
		echo "$name" >> "$root/cw/modules.list"
	done
fi
(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) | gzip -1 > "$out.tmp"
mv "$out.tmp" "$out"
