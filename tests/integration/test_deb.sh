#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The Debian package: `make deb` builds it, `dpkg -i` installs it on this
# machine, the installed agent runs (--version, --print-config, the shipped
# config), the installed unit passes `systemd-analyze verify`, and
# `dpkg -r` then `dpkg -P` leave nothing behind. Needs dpkg-dev (make deb)
# and systemd (systemd-analyze) installed; root.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
T=$(mktemp -d /tmp/cw-deb.XXXXXX)
INSTALLED=0
fail() { echo "FAIL: $*" >&2; exit 1; }
cleanup() {
	if [ "$INSTALLED" = 1 ]; then
		dpkg -P credwatch >/dev/null 2>&1 || echo "cleanup: dpkg -P credwatch failed" >&2
	fi
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

status() { dpkg-query -W -f='${Status}' credwatch 2>/dev/null; }

command -v dpkg-deb >/dev/null || fail "dpkg-deb missing (apt-get install dpkg-dev)"
command -v systemd-analyze >/dev/null || fail "systemd-analyze missing (apt-get install systemd)"
# never clobber a credwatch an operator installed
case "$(status)" in
"" | "unknown ok not-installed" | "deinstall ok not-installed" | "purge ok not-installed") ;;
*) fail "a credwatch package is already on this machine ($(status)); remove it with dpkg -P credwatch first" ;;
esac

make -s deb BUILD="$BUILD" >"$T/make.log" 2>&1 || { cat "$T/make.log" >&2; fail "make deb"; }
VERSION=$(cat VERSION)
DEB=$(ls "$BUILD"/credwatch_"$VERSION"_*.deb) || fail "no .deb in $BUILD"
echo "built $DEB ($(stat -c %s "$DEB") bytes)"

# control: real dependencies, conffiles, scripts
dpkg-deb -f "$DEB" Depends > "$T/depends"
for lib in libbpf1 libc6 libyaml-0-2; do
	grep -q "$lib" "$T/depends" || fail "Depends lacks $lib: $(cat "$T/depends")"
done
dpkg-deb -e "$DEB" "$T/control"
grep -qx /etc/credwatch/credwatch.yaml "$T/control/conffiles" || fail "config is not a conffile"
for r in rules/*.yaml; do
	[ -e "$r" ] || continue
	grep -qx "/etc/credwatch/rules/$(basename "$r")" "$T/control/conffiles" \
		|| fail "$r is not a conffile"
done
for r in catalog/*.yaml; do
	grep -qx "/etc/credwatch/catalog.d/$(basename "$r")" "$T/control/conffiles" \
		|| fail "$r is not a conffile"
done
for s in postinst prerm postrm; do
	[ -x "$T/control/$s" ] || fail "$s missing"
	sh -n "$T/control/$s" || fail "$s: syntax"
done

dpkg -i "$DEB" >"$T/dpkg.log" 2>&1 || { cat "$T/dpkg.log" >&2; INSTALLED=1; fail "dpkg -i"; }
INSTALLED=1
[ "$(status)" = "install ok installed" ] || fail "status after install: $(status)"
dpkg -L credwatch > "$T/files"
for f in /usr/bin/credwatch /usr/bin/credwatch-inspect /lib/systemd/system/credwatch.service \
	 /etc/credwatch/credwatch.yaml /usr/share/doc/credwatch/copyright \
	 /usr/share/man/man8/credwatch.8.gz /usr/share/man/man1/credwatch-inspect.1.gz; do
	grep -qx "$f" "$T/files" || fail "$f not in the package"
	[ -e "$f" ] || fail "$f not installed"
done
# enabled only where systemd runs; never started by the package
if [ ! -d /run/systemd/system ]; then
	[ ! -e /etc/systemd/system/multi-user.target.wants/credwatch.service ] \
		|| fail "enabled although systemd is not running"
fi

# the installed agent
out=$(/usr/bin/credwatch --version) || fail "--version exit $?"
[ "$out" = "credwatch $VERSION" ] || fail "--version printed '$out'"
/usr/bin/credwatch --print-config > "$T/effective.yaml" || fail "--print-config with the shipped config"
/usr/bin/credwatch --config "$T/effective.yaml" --print-config >/dev/null \
	|| fail "--print-config output does not load back"
# every example in the shipped config is valid once uncommented
sed 's/^#\([a-z-]*:\)/\1/; s/^#  -/  -/' /etc/credwatch/credwatch.yaml > "$T/uncommented.yaml"
/usr/bin/credwatch --config "$T/uncommented.yaml" --print-config >/dev/null \
	|| fail "the shipped config's examples do not load"
if /usr/bin/credwatch --help | grep -q -- '--validate-rules'; then
	/usr/bin/credwatch --validate-rules || fail "--validate-rules with the installed rules"
else
	echo "note: this build has no --validate-rules yet; not run"
fi
# the installed catalog is the default one: an inventory of an empty host root
mkdir -p "$T/emptyroot"
/usr/bin/credwatch inventory --host-root "$T/emptyroot" --json >"$T/inv.json" \
	|| fail "inventory with the installed catalog"
grep -q '"kind":"inventory"' "$T/inv.json" || fail "inventory printed $(head -c 200 "$T/inv.json")"
man -w credwatch >/dev/null 2>&1 || fail "man credwatch not found"
man -w credwatch-inspect >/dev/null 2>&1 || fail "man credwatch-inspect not found"

# the installed unit (Documentation=man:credwatch(8) needs the man page too)
systemd-analyze verify /lib/systemd/system/credwatch.service >"$T/verify" 2>&1 \
	|| { cat "$T/verify" >&2; fail "systemd-analyze verify"; }
[ ! -s "$T/verify" ] || { cat "$T/verify" >&2; fail "systemd-analyze verify warned"; }

# operator changes that purge must clean up, and state the agent would create
echo "cluster-name: edited" >> /etc/credwatch/credwatch.yaml
mkdir -p /etc/credwatch/rules /var/lib/credwatch/spool /var/log/credwatch
echo "- list: local" > /etc/credwatch/rules/local_rules.yaml
echo spooled > /var/lib/credwatch/spool/0001

# remove: program files gone, conffiles kept
dpkg -r credwatch >"$T/dpkg.log" 2>&1 || { cat "$T/dpkg.log" >&2; fail "dpkg -r"; }
[ "$(status)" = "deinstall ok config-files" ] || fail "status after remove: $(status)"
[ ! -e /usr/bin/credwatch ] || fail "dpkg -r left /usr/bin/credwatch"
[ ! -e /lib/systemd/system/credwatch.service ] || fail "dpkg -r left the unit"
grep -q "cluster-name: edited" /etc/credwatch/credwatch.yaml || fail "dpkg -r lost the edited config"

# purge: nothing left
dpkg -P credwatch >"$T/dpkg.log" 2>&1 || { cat "$T/dpkg.log" >&2; fail "dpkg -P"; }
INSTALLED=0
case "$(status)" in "" | *not-installed) ;; *) fail "status after purge: $(status)" ;; esac
left=""
while read -r f; do
	[ -d "$f" ] && continue	# shared directories (/usr/bin, /lib -> usr/lib...)
	[ -e "$f" ] || [ -L "$f" ] && left="$left $f"
done < "$T/files"
for d in /etc/credwatch /var/lib/credwatch /var/log/credwatch /usr/share/doc/credwatch; do
	[ -e "$d" ] && left="$left $d"
done
[ -z "$left" ] || fail "dpkg -P left:$left"
echo "deb ok"
