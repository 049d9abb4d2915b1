#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# test_caps.sh - the capabilities the Helm chart grants are enough, and each
# one is needed: the agent's real eBPF programs (its skeleton) load and
# attach, and discovery can stat a credential in a directory owned by
# another user, running as uid 0 with ONLY the chart's capabilities and a
# 64 KiB RLIMIT_MEMLOCK; dropping any one of them makes a step fail.
# Root only (it loads eBPF). Nothing is skipped.
set -euo pipefail
. "$(dirname "$0")/../lib/preamble.sh"
fails=0
ok()   { echo "ok   $*"; }
fail() { echo "FAIL $*"; fails=$((fails + 1)); }

[ "$(id -u)" = 0 ] || { echo "test_caps: must run as root"; exit 1; }
need_tracefs

# The capability list, exactly as the chart renders it by default.
bin=$(tests/lib/get-helm.sh)
caps=$("$bin/helm" template credwatch helm/credwatch | python3 -c '
import sys, yaml
for d in yaml.safe_load_all(sys.stdin):
    if d and d["kind"] == "DaemonSet":
        c = d["spec"]["template"]["spec"]["containers"][0]
        print(" ".join(c["securityContext"]["capabilities"]["add"]))')
echo "chart capabilities: $caps"
[ "$caps" = "BPF PERFMON DAC_READ_SEARCH" ] || fail "chart grants '$caps', this test covers BPF PERFMON DAC_READ_SEARCH"

make -s "$BUILD/credwatch.skel.h"
mkdir -p "$BUILD/itests"
cc -O2 -Wall -Wextra -Werror -I"$BUILD" -I. tests/lib/caps-probe.c \
	$(pkg-config --cflags --libs libbpf libelf zlib) -o "$BUILD/itests/caps-probe"

# A credential as kubelet lays them out for a pod with its own uid: a
# directory only that user may search.
test_tmpdir caps
tmp=$T
mkdir -p "$tmp/pod/volumes/secret"
echo "not-a-real-token" >"$tmp/pod/volumes/secret/token"
chown -R 65534:65534 "$tmp/pod"
chmod 0700 "$tmp/pod"
cred=$tmp/pod/volumes/secret/token

probe() {	# capability names (upper case), space-separated
	local set="-all" c
	for c in $*; do set="$set,+${c,,}"; done
	# uid 0 with only these capabilities, as the container runtime gives the
	# agent, and the small memlock limit of a default container.
	prlimit --memlock=65536 setpriv --bounding-set="$set" --inh-caps=-all \
		"$BUILD/itests/caps-probe" "$cred"
}

if out=$(probe $caps); then
	ok "loads, attaches and stats with only: $caps ($out)"
else
	fail "with only $caps: $out"
fi

for drop in $caps; do
	rest=$(tr ' ' '\n' <<<"$caps" | grep -vx "$drop" | tr '\n' ' ')
	if out=$(probe $rest); then
		fail "still works without $drop: the chart should not grant it"
	else
		ok "fails without $drop ($out)"
	fi
done

# SYS_RESOURCE: kernels from 5.11 charge BPF memory to the memory cgroup, so
# the 64 KiB memlock limit above did not matter; the chart grants it only
# with securityContext.memlockCapability for older kernels.
read -r major minor _ < <(uname -r | tr '.-' '  ')
if [ "$major" -gt 5 ] || { [ "$major" -eq 5 ] && [ "$minor" -ge 11 ]; }; then
	ok "kernel $(uname -r) >= 5.11: SYS_RESOURCE not needed (shown above)"
else
	fail "kernel $(uname -r) < 5.11: this test expects memcg-charged BPF memory"
fi

echo "test_caps: $fails failed"
[ "$fails" -eq 0 ]
