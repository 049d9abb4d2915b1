#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# test_image.sh - `make image` (packaging/image/build.sh) builds the agent
# image with no container daemon, reproducibly, holding what the agent
# needs and nothing host-specific:
#   - packaging/image/packages = what dpkg-shlibdeps says the two binaries
#     need (minus libc6, which they all bring) + ca-certificates;
#   - two builds from the same inputs are byte-identical (same digest);
#   - the config: entrypoint /usr/bin/credwatch, user 0:0, created =
#     SOURCE_DATE_EPOCH; every layer entry has that mtime;
#   - the layer has the agent, credwatch-inspect, the default rules and
#     config, a CA bundle, a status.d entry per package; no shell, no
#     package manager, no build host's resolv.conf or hostname;
#   - in its root filesystem the agent runs, validates its default rules and
#     reads its default config.
# Prints the image's size and digest. Root (mmdebstrap --mode=root, chroot).
set -eu
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
. tests/lib/agent.sh	# fail

T=$(mktemp -d /tmp/cw-image.XXXXXX)
trap '[ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT

# 1. the package list is the binaries' real dependencies
want=$(cd "$T" && mkdir -p debian && printf 'Source: x\n\nPackage: x\nArchitecture: any\n' >debian/control &&
	dpkg-shlibdeps -O "$OLDPWD/$BUILD/credwatch" "$OLDPWD/$BUILD/credwatch-inspect" 2>/dev/null |
	sed -n 's/^shlibs:Depends=//p' | tr ',' '\n' | sed 's/^ *//; s/ .*//' | grep -vx libc6 | sort -u)
[ -n "$want" ] || fail "dpkg-shlibdeps found no dependencies"
have=$(packaging/image/rootfs.sh packages | grep -vx ca-certificates | sort -u)
[ "$want" = "$have" ] || fail "packaging/image/packages differs from the binaries' needs:
$(diff <(echo "$want") <(echo "$have"))"
echo "ok   packages = dpkg-shlibdeps of the binaries: $(echo "$want" | tr '\n' ' ')+ ca-certificates"

# 2. reproducible: the same inputs twice, same bytes
SOURCE_DATE_EPOCH=$(git log -1 --format=%ct 2>/dev/null || stat -c %Y VERSION)
export SOURCE_DATE_EPOCH
packaging/image/build.sh . "$BUILD" "$T/one.tar" cw.test/credwatch:repro 2>"$T/one.log" ||
	fail "build: $(cat "$T/one.log")"
packaging/image/build.sh . "$BUILD" "$T/two.tar" cw.test/credwatch:repro 2>"$T/two.log" ||
	fail "second build: $(cat "$T/two.log")"
cmp -s "$T/one.tar" "$T/two.tar" || fail "two builds differ: $(cat "$T/one.tar.digest" "$T/two.tar.digest")"
echo "ok   reproducible: both builds $(cat "$T/one.tar.digest")"
sed -n 's/^image: //p' "$T/one.log" | tail -n 1

# 3. and 4. what is in it
mkdir -p "$T/oci" "$T/rootfs"
tar -xf "$T/one.tar" -C "$T/oci"
python3 - "$T/oci" "$SOURCE_DATE_EPOCH" "$T/layer.tar" <<'EOF' || fail "image layout (above)"
import datetime, gzip, json, os, shutil, sys, tarfile
oci, sde, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
blob = lambda d: os.path.join(oci, "blobs", *d.split(":"))
idx = json.load(open(os.path.join(oci, "index.json")))
man = json.load(open(blob(idx["manifests"][0]["digest"])))
cfg = json.load(open(blob(man["config"]["digest"])))
bad = []
if cfg["config"].get("Entrypoint") != ["/usr/bin/credwatch"]: bad.append("entrypoint %r" % cfg["config"].get("Entrypoint"))
if cfg["config"].get("User") != "0:0": bad.append("user %r" % cfg["config"].get("User"))
want = datetime.datetime.fromtimestamp(sde, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
if cfg.get("created") != want: bad.append("created %r, want %r" % (cfg.get("created"), want))
if len(man["layers"]) != 1: bad.append("%d layers" % len(man["layers"]))
with gzip.open(blob(man["layers"][0]["digest"])) as g, open(out, "wb") as f:
    shutil.copyfileobj(g, f)
names = {}
with tarfile.open(out) as t:
    for m in t.getmembers():
        names[m.name.lstrip("./").rstrip("/")] = m
        if m.mtime != sde: bad.append("%s: mtime %d" % (m.name, m.mtime)); break
for need in ["usr/bin/credwatch", "usr/bin/credwatch-inspect", "etc/credwatch/credwatch.yaml",
             "etc/credwatch/rules/credwatch_rules.yaml", "etc/ssl/certs/ca-certificates.crt",
             "etc/credwatch/catalog.d/10-kubernetes.yaml", "etc/credwatch/catalog.d/40-users.yaml",
             "etc/passwd", "var/lib/dpkg/status.d/libbpf1", "var/lib/dpkg/status.d/libcurl4",
             "usr/share/doc/credwatch/copyright", "lib64/ld-linux-x86-64.so.2"]:
    if need not in names: bad.append("missing " + need)
for never in ["bin/sh", "usr/bin/sh", "bin/bash", "usr/bin/dash", "usr/bin/apt", "usr/bin/dpkg",
              "etc/resolv.conf", "etc/hostname", "usr/share/man"]:
    if never in names: bad.append("has " + never)
for b in bad: print("  image: " + b)
sys.exit(1 if bad else 0)
EOF
echo "ok   config (entrypoint, user 0:0, created) and layer (files, no shell, fixed mtimes)"
tar -xf "$T/layer.tar" -C "$T/rootfs"
chroot "$T/rootfs" /usr/bin/credwatch --version >"$T/v" 2>&1 || fail "credwatch --version: $(cat "$T/v")"
chroot "$T/rootfs" /usr/bin/credwatch --validate-rules \
	--rules /etc/credwatch/rules/credwatch_rules.yaml >"$T/v" 2>&1 ||
	fail "default rules do not validate in the image: $(cat "$T/v")"
chroot "$T/rootfs" /usr/bin/credwatch --config /etc/credwatch/credwatch.yaml --print-config \
	>"$T/v" 2>&1 || fail "default config: $(cat "$T/v")"
chroot "$T/rootfs" /usr/bin/credwatch-inspect --help >"$T/v" 2>&1 || fail "credwatch-inspect: $(cat "$T/v")"
chroot "$T/rootfs" /usr/bin/credwatch inventory --host-root /var/lib/credwatch >"$T/v" 2>&1 ||
	fail "inventory with the image's catalog: $(cat "$T/v")"
certs=$(grep -c 'BEGIN CERTIFICATE' "$T/rootfs/etc/ssl/certs/ca-certificates.crt")
[ "$certs" -gt 50 ] || fail "CA bundle has $certs certificates"
echo "ok   in the image: credwatch runs, rules validate, config loads, the catalog loads, $certs CA certificates"
echo "image ok"
