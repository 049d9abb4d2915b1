#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The kernel matrix: the same build/credwatch (its BPF object is built in)
# on the kernels nodes run, each proven by the sensor's checks.
#
#   guests: Debian's stock cloud kernels of bullseye (5.10), bookworm (6.1)
#           and trixie (6.12), fetched with apt-get into $CW_KERNEL_CACHE
#           (default build/kernels, kept across runs and builds:
#           tests/kernels/fetch-kernel.sh), booted under qemu-system-x86_64
#           with software emulation (TCG; no KVM needed), side by side, each
#           with one CPU and 768 MiB,
#           an initramfs made from this build (tests/kernels/mkinitramfs.sh)
#           whose /init (tests/kernels/init) runs the checks;
#   host:   the same checks on the running kernel, with the variant the
#           agent picks and again with --bpf-variant compat.
#
# The checks (tests/kernels/checks.sh) open a watched token every way there
# is (plain, symlink, hard link, bind mount, /proc/<pid>/root, O_PATH then
# /proc/self/fd, openat2, open_by_handle_at, io_uring openat and openat2,
# O_TRUNC, creat, and 32-bit int 0x80 open and openat from a static 32-bit
# program built on the host), read another process's /proc/<pid>/environ (openat,
# openat2 of the task path, a directory fd, io_uring; one's own is no event),
# rotate it, check session, lineage and uid, and try the
# starts that must be refused (the fast variant on a kernel without it; no
# BTF). tests/kernels/verify.py judges each run against the row below: the
# BPF variant the agent must pick and the hooks it must attach; an open
# whose hook is not attached must yield no event (the documented gap), any
# other must yield exactly its events. A guest that fails prints its
# console log and verdicts and fails the test.
#
# Add a kernel: a row in KERNELS (suite:variant:hooks). Add a check: record
# it in tests/kernels/checks.sh (and, for a new kind of record, assert it in
# tests/kernels/verify.py); a new helper binary goes into the initramfs via
# FILES in mkinitramfs.sh.
#
# Under make test's sanitizer stage (CW_SANITIZER set) only the host runs:
# the guests cannot hand ASan reports to the runner, and the plain stage
# booted them already with the same sources.
set -eu
. "$(dirname "$0")/../lib/preamble.sh"
. tests/lib/agent.sh
need_tracefs

CACHE=${CW_KERNEL_CACHE:-build/kernels}
ALL=open,openat,openat2,creat,open_by_handle_at,io_uring
# suite:variant the agent must choose:hooks it must attach
KERNELS=${CW_KERNELS:-"bullseye:compat:open,openat,openat2,creat,open_by_handle_at
bookworm:compat:$ALL
trixie:fast:$ALL"}

test_tmpdir matrix
failed=()

# verify NAME OUT VARIANT HOOKS [LOG]: judge one run, print the log if it failed
verify() {
	local name=$1 out=$2 variant=$3 hooks=$4 log=${5:-}
	if python3 tests/kernels/verify.py "$out" --variant "$variant" --attached "$hooks" \
		> "$T/$name.verdict" 2>&1; then
		echo "ok: $name ($(grep -c '^  ok' "$T/$name.verdict") checks, variant $variant)"
		return 0
	fi
	echo "FAIL: $name"
	cat "$T/$name.verdict"
	[ -z "$log" ] || { echo "--- $name: guest console"; tail -n 150 "$log"; }
	[ -f "$out/agent.stderr" ] && { echo "--- $name: agent stderr"; cat "$out/agent.stderr"; }
	failed+=("$name")
}

# the host kernel: auto, then the compat programs forced
kmaj=$(uname -r | cut -d. -f1) kmin=$(uname -r | cut -d. -f2 | tr -cd 0-9)
host_variant=compat
[ "$kmaj" -gt 6 ] || { [ "$kmaj" = 6 ] && [ "$kmin" -ge 2 ]; } && host_variant=fast
for v in auto compat; do
	out=$T/host-$v
	BUILD=$BUILD bash tests/kernels/checks.sh "$out" --bpf-variant "$v" > "$T/host-$v.log" 2>&1 ||
		{ cat "$T/host-$v.log"; fail "host checks ($v) did not run"; }
	want=$host_variant
	[ "$v" = compat ] && want=compat
	verify "host $(uname -r) ($v)" "$out" "$want" "$ALL" "$T/host-$v.log"
done

if [ -n "${CW_SANITIZER:-}" ]; then
	echo "guests: not booted under the sanitizer stage (the plain stage booted them)"
else
	command -v qemu-system-x86_64 >/dev/null || fail "qemu-system-x86_64 missing: make deps"
	tests/kernels/mkinitramfs.sh "$T/initramfs.cpio.gz"
	# fetch every kernel, then boot them side by side (TCG runs each guest
	# mostly on one host thread; the matrix takes the time of the slowest)
	pids=()
	while IFS=: read -r suite variant hooks; do
		[ -n "$suite" ] || continue
		tests/kernels/fetch-kernel.sh "$suite" "$CACHE/$suite" || fail "fetching the $suite kernel"
		# TCG only: a fresh CI machine has no KVM. The guest powers off by
		# itself; the timeout only bounds a hung one.
		timeout --kill-after=10 "${CW_GUEST_TIMEOUT:-200}" qemu-system-x86_64 \
			-accel tcg -cpu max -m 768 -smp 1 -nodefaults -display none -no-reboot \
			-serial "file:$T/$suite.console" -serial "file:$T/$suite.data" \
			-kernel "$CACHE/$suite/vmlinuz" -initrd "$T/initramfs.cpio.gz" \
			-append "console=ttyS0 panic=-1 loglevel=4 cw.args=" </dev/null \
			>"$T/$suite.qemu" 2>&1 &
		pids+=($!)
	done <<< "$KERNELS"
	start=$SECONDS
	for pid in "${pids[@]}"; do
		wait "$pid" || echo "qemu (pid $pid) exited $? (timeout or crash)"
	done
	echo "guests ran in $((SECONDS - start)) s"
	while IFS=: read -r suite variant hooks; do
		[ -n "$suite" ] || continue
		name="$suite $(cat "$CACHE/$suite/release")"
		out=$T/$suite.out
		mkdir -p "$out"
		if ! sed -n '/^CW-DATA-BEGIN/,/^CW-DATA-END/p' "$T/$suite.data" | tr -d '\r' |
			sed '1d;$d' | base64 -d | tar -xzf - -C "$out" 2>"$T/$suite.untar"; then
			echo "FAIL: $name: no results from the guest ($(cat "$T/$suite.untar"))"
			cat "$T/$suite.qemu"
			tail -n 150 "$T/$suite.console"
			failed+=("$name")
			continue
		fi
		verify "$name" "$out" "$variant" "$hooks" "$T/$suite.console"
	done <<< "$KERNELS"
fi

[ ${#failed[@]} -eq 0 ] || fail "kernel matrix: ${failed[*]}"
echo "kernel matrix ok"
