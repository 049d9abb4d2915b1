#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# A fake container runtime with the process tree of a real one, so that
# attribution sees what it sees on a node: a shim (a copy of bash named
# containerd-shim-runc-v2) whose child, the container's init, runs in the
# container's cgroup; the app's processes descend from init; `kubectl exec`
# sessions are started by the shim, not by init (docs/attribution.md).
# Source it, then:
#   rt_setup DIR                    work dir for FIFOs, logs and the shim binary
#   rt_start NAME CGDIR             start container NAME in cgroup CGDIR
#   rt_run NAME CMD                 CMD (shell text) run by the container's init,
#                                   as the app would; waits; returns its status
#   rt_exec NAME CMD                CMD run in a shell the shim starts in the
#                                   cgroup, as `kubectl exec` does; waits
#   rt_stop_all                     kill every process of every container and shim
# Executed (not sourced) it is the shim or the init: runtime.sh shim|init ...
RT_SELF=$(readlink -f "${BASH_SOURCE[0]}")
RT_DIR=
RT_CGS=()
declare -A RT_FD=()

rt_setup() {
	RT_DIR=$1
	mkdir -p "$RT_DIR/bin"
	# comm is cut to 15 bytes: "containerd-shim", as on a node
	cp "$(command -v bash)" "$RT_DIR/bin/containerd-shim-runc-v2"
}

rt_start() {
	local name=$1 cg=$2 d=$RT_DIR/$1 fd f
	mkdir -p "$d"
	for f in shim.in shim.ack init.in init.ack; do
		mkfifo "$d/$f"
		exec {fd}<>"$d/$f"	# read-write: never blocks, never sees EOF
		RT_FD[$name.$f]=$fd
	done
	RT_CGS+=("$cg")
	# its own session: no controlling terminal, like a real shim
	setsid "$RT_DIR/bin/containerd-shim-runc-v2" "$RT_SELF" shim "$d" "$cg" \
		</dev/null >/dev/null 2>>"$d/shim.log" &
	disown	# rt_stop_all kills it: no "Killed" job report
	for _ in $(seq 100); do
		[ -s "$d/init.pid" ] && return 0
		sleep 0.05
	done
	echo "runtime: $name: the container's init did not start: $(cat "$d"/*.log 2>/dev/null)" >&2
	return 1
}

# rt_call NAME PART CMD: send CMD to the shim or init loop, wait for its status
rt_call() {
	local name=$1 part=$2 rc; shift 2
	printf '%s\n' "$*" >&"${RT_FD[$name.$part.in]}"
	if ! IFS= read -r -t 20 rc <&"${RT_FD[$name.$part.ack]}"; then
		echo "runtime: $name: $part did not answer in 20 s" >&2
		return 1
	fi
	return "$rc"
}
rt_run() { rt_call "$1" init "${@:2}"; }
rt_exec() { rt_call "$1" shim "${@:2}"; }

rt_stop_all() {
	local cg d pid
	for cg in "${RT_CGS[@]}"; do
		[ -d "$cg" ] || continue
		echo 1 >"$cg/cgroup.kill" 2>/dev/null ||
			while read -r pid; do kill -KILL "$pid" 2>/dev/null; done <"$cg/cgroup.procs"
	done
	for d in "$RT_DIR"/*/; do
		[ -s "$d/shim.pid" ] && kill -KILL "$(cat "$d/shim.pid")" 2>/dev/null
	done
	for cg in "${RT_CGS[@]}"; do	# the cgroup can be removed once its processes are gone
		for _ in $(seq 100); do
			[ -d "$cg" ] && [ -s "$cg/cgroup.procs" ] || break
			sleep 0.02
		done
	done
	RT_CGS=()
}

# --- executed: the shim and the init loops ---------------------------------

rt_shim_loop() {
	local d=$1 cg=$2 cmd
	echo "$$" >"$d/shim.pid"
	# the container's init: first process in the cgroup, child of the shim
	( echo "$BASHPID" >"$cg/cgroup.procs" && exec bash "$RT_SELF" init "$d" ) &
	exec 3<>"$d/shim.in" 4<>"$d/shim.ack"
	while IFS= read -r -u 3 cmd; do
		# an exec session: the shim's child enters the cgroup and runs a shell
		( echo "$BASHPID" >"$cg/cgroup.procs" && exec 3<&- 4<&- &&
			exec sh -c "$cmd; exit \$?" ) </dev/null >/dev/null
		echo "$?" >&4
	done
}

rt_init_loop() {
	local d=$1 cmd
	exec 3<>"$d/init.in" 4<>"$d/init.ack"
	echo "$$" >"$d/init.pid"
	while IFS= read -r -u 3 cmd; do
		eval "$cmd" </dev/null >/dev/null 3<&- 4<&-
		echo "$?" >&4
	done
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	case ${1:-} in
	shim) rt_shim_loop "$2" "$3" ;;
	init) rt_init_loop "$2" ;;
	*) echo "usage: runtime.sh shim DIR CGDIR | init DIR" >&2; exit 2 ;;
	esac
fi
