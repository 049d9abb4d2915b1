#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Pods created the way kubelet creates them, AFTER the agent started: pod
# dir, volume dir, a tmpfs mounted on it, the atomic writer inside the new
# tmpfs (tests/lib/kubelet.sh). Run twice: the agent in the same mount
# namespace as the "kubelet", and the agent as the chart runs it - in its
# own mount namespace, seeing the host's /var/lib/kubelet through a bind
# mount with slave (HostToContainer) propagation at another path, given as
# --host-root. Each time, with real eBPF and real mounts:
#  - projected, Secret and legacy-token Secret volumes of new pods reach the
#    kernel map (checked in the map itself), and every read by a process in
#    a pod's cgroup is exactly one event attributed to reader and owner;
#  - a hostPID pod's container reading web's token through
#    /proc/<web's pid>/root (web's mount namespace, a path that names no
#    kubelet directory) is that pod reading web's token;
#  - a rotation inside a tmpfs volume moves the map to the new inode, and the
#    pod's container reads the new token through its bind mount;
#  - a torn-down pod leaves nothing: not in the map, the credential table,
#    the inotify watches or the agent's fds - even while the pod's container,
#    still running, keeps the unmounted tmpfs alive in its mount namespace;
#  - a pod created after another was torn down is watched too;
#  - the periodic re-check ran and found nothing late
#    (credwatch_discovery_late_finds_total stays 0); then a key hidden from
#    every live path is found by it, counted and logged with pod and path.
# Pods web and db run real runc containers under a private containerd
# (tests/lib/containerd.sh, kubelet's cgroupfs layout), their volumes
# bind-mounted as kubelet asks the runtime to; web also has a hostPath of
# the node's pods directory. The readers of pods legacy and api are host
# processes moved into cgroups named by kubelet's systemd driver: a layout
# runc cannot make on a machine without systemd, kept to parse it end to end.
set -eu
. "$(dirname "$0")/../lib/preamble.sh"
. tests/lib/agent.sh
. tests/lib/containerd.sh	# and fixture.sh
. tests/lib/kubelet.sh
kubelet_isolate "$@"
. tests/lib/cgroup.sh	# after the re-exec: its record file would be left behind
need_tracefs
[ -x "$BUILD/itests/watched" ] || make -s "$BUILD/itests/watched" >/dev/null

test_tmpdir kmounts
HOST=
on_exit 'for mp in $(kubelet_mounts_under "$T"); do umount "$mp" 2>/dev/null || umount -l "$mp"; done'
on_exit 'kubelet_cleanup "$HOST"'
on_exit cg_cleanup
on_exit ctrd_cleanup
on_exit agent_stop
WATCHED=$BUILD/itests/watched
REAL_CREDWATCH=$(realpath "$CREDWATCH")

metric() {	# metric NAME: its value (sum over labels)
	curl -sf "http://127.0.0.1:$HPORT/metrics" |
		awk -v n="$1" 'index($1, n) == 1 && substr($1, length(n) + 1, 1) ~ /^[{]?$/ { s += $2 }
			END { printf "%d\n", s }'
}
inotify_watches() {	# the kernel's count of the agent's inotify watches
	local fd
	for fd in /proc/"$AGENT_PID"/fd/*; do
		[ "$(readlink "$fd")" = "anon_inode:inotify" ] || continue
		grep -c '^inotify wd:' "/proc/$AGENT_PID/fdinfo/${fd##*/}" || true
		return
	done
	echo none
}
open_fds() {	# the agent's descriptors, least of three looks (a tick may hold a dir open)
	local a b c
	a=$(ls "/proc/$AGENT_PID/fd" | wc -l); sleep 0.05
	b=$(ls "/proc/$AGENT_PID/fd" | wc -l); sleep 0.05
	c=$(ls "/proc/$AGENT_PID/fd" | wc -l)
	printf '%s\n%s\n%s\n' "$a" "$b" "$c" | sort -n | head -1
}
wait_for() {	# wait_for WHAT CMD...: poll CMD for up to 30 s
	local what=$1; shift
	for _ in $(seq 300); do "$@" && return 0; sleep 0.1; done
	fail "$MODE: $what"
}
metric_is() { [ "$(metric "$1")" = "$2" ]; }
metric_above() { [ "$(metric "$1")" -gt "$2" ]; }
map_count_is() { [ "$("$WATCHED" "$AGENT_PID" count)" = "$1" ]; }
inotify_watches_are() { [ "$(inotify_watches)" = "$1" ]; }
cid() { od -An -N32 -tx1 /dev/urandom | tr -d ' \n'; }
# read_in CG FILE: one open of FILE by a process in cgroup CG; prints its pid
read_in() {
	cg_run "$1" cat "$2" >/dev/null &
	local pid=$!
	wait "$pid"
	echo "$pid"
}
SA=/var/run/secrets/kubernetes.io/serviceaccount
ctrd_start
ctrd_busybox_image "$T/app.tar" cw.test/app:1
ctrd_import "$T/app.tar" cw.test/app:1

scenario() {
	MODE=$1
	local s=$T/$MODE ev agent_root args=() ua ub uc ud ue va vb vbs vc vd ve
	local base_inotify base_fds base_map base_watched
	HOST=$s/node
	ev=$s/events.ndjson
	fixture_host "$HOST"
	mkdir -p "$HOST/var/lib/kubelet/pods" "$HOST/var/log/pods"
	HPORT=$(free_port)
	args=(--cgroup-root "$(cg_root)" --events "$ev" --output /dev/null --listen "127.0.0.1:$HPORT"
	      --discovery-recheck-ms 100)
	if [ "$MODE" = same ]; then
		agent_root=$HOST
		CREDWATCH=$REAL_CREDWATCH
	else
		# kubelet makes /var/lib/kubelet a shared mount at start; the chart's
		# hostPath mount with HostToContainer is a slave of it in the agent's
		# mount namespace, at <host-root>/var/lib/kubelet
		mount --bind "$HOST/var/lib/kubelet" "$HOST/var/lib/kubelet"
		mount --make-shared "$HOST/var/lib/kubelet"
		agent_root=$s/view
		mkdir -p "$agent_root"
		cat >"$s/in-container" <<-EOF
		#!/usr/bin/env bash
		exec unshare --mount --propagation slave -- /bin/sh -c 'mount --rbind "\$1" "\$2" && mount --make-rslave "\$2" && shift 2 && exec "\$@"' sh "$HOST" "$agent_root" "$REAL_CREDWATCH" "\$@"
		EOF
		chmod +x "$s/in-container"
		CREDWATCH=$s/in-container
	fi
	agent_start "$s/agent" --host-root "$agent_root" "${args[@]}"
	if [ "$MODE" = propagated ]; then
		[ "$(readlink "/proc/$AGENT_PID/ns/mnt")" != "$(readlink /proc/self/ns/mnt)" ] ||
			fail "$MODE: the agent shares the test's mount namespace"
	fi
	base_inotify=$(inotify_watches)
	base_fds=$(open_fds)
	base_map=$("$WATCHED" "$AGENT_PID" count)
	base_watched=$(metric credwatch_watched_credentials)
	[ "$base_watched" -ge 5 ] && [ "$base_map" = "$base_watched" ] ||
		fail "$MODE: baseline map $base_map, table $base_watched"

	echo "--- $MODE: pods created the kubelet way after the agent started"
	ua=$(kubelet_uid); ub=$(kubelet_uid); uc=$(kubelet_uid); ud=$(kubelet_uid)
	# d's log directory is there from the start: offline, attribution re-reads
	# /var/log/pods on a miss at most every 2 s (user/pods.c), not the subject here
	mkdir -p "$HOST/var/log/pods/team-d_api_$ud/app"
	local ux cidx	# so is the hostPID pod's (it has no volume)
	ux=$(kubelet_uid); cidx=$(ctrd_cid)
	fixture_container "$HOST" team-x debug "$ux" debug "$cidx"
	va=$(kubelet_pod "$HOST" team-a web "$ua")
	vb=$(kubelet_pod "$HOST" team-b db "$ub")
	vbs=$(kubelet_volume "$HOST" "$ub" kubernetes.io~secret db-creds password username)
	mkdir -p "$HOST/var/log/pods/team-c_legacy_$uc/app"
	vc=$(kubelet_volume "$HOST" "$uc" kubernetes.io~secret default-token-x7k2p token ca.crt namespace)
	if [ "$MODE" = propagated ]; then
		grep -q " ${agent_root}/var/lib/kubelet/pods/$ua/volumes/kubernetes.io~projected/" \
			"/proc/$AGENT_PID/mountinfo" || fail "$MODE: the mount did not propagate to the agent"
	fi
	"$WATCHED" "$AGENT_PID" has "$va/token" "$vb/token" "$vbs/password" "$vbs/username" \
		"$vc/token" "$vc/ca.crt" || fail "$MODE: new pods' credentials not in the kernel map"
	"$WATCHED" "$AGENT_PID" lacks -t 0 "$va/ca.crt" "$va/namespace" ||
		fail "$MODE: public keys of a projected volume watched"

	# web's and db's containers: their volumes bind-mounted (rprivate, as
	# kubelet asks by default); web can see the node's pods directory
	local cida cidb cgc pc
	cida=$(ctrd_cid); cidb=$(ctrd_cid)
	fixture_container "$HOST" team-a web "$ua" app "$cida"
	fixture_container "$HOST" team-b db "$ub" app "$cidb"
	ctrd_app "$cida" "$(ctrd_pod_cgroup besteffort "$ua" "$cida")" cw.test/app:1 \
		--mount "type=bind,src=$va,dst=$SA,options=rbind:rprivate:ro" \
		--mount "type=bind,src=$HOST/var/lib/kubelet/pods,dst=/host-pods,options=rbind:rprivate:ro"
	ctrd_app "$cidb" "$(ctrd_pod_cgroup burstable "$ub" "$cidb")" cw.test/app:1 \
		--mount "type=bind,src=$vb,dst=$SA,options=rbind:rprivate:ro" \
		--mount "type=bind,src=$vbs,dst=/etc/db-creds,options=rbind:rprivate:ro"
	cgc=$(cg_pod_systemd "$uc" besteffort "$(cid)")
	ctrd_app_run "$cida" "cat $SA/token" || fail "$MODE: web's read"
	ctrd_app_run "$cidb" "cat /etc/db-creds/password" || fail "$MODE: db's read"
	pc=$(read_in "$cgc" "$vc/token")
	ctrd_app_run "$cida" "cat /host-pods/${vb#"$HOST/var/lib/kubelet/pods/"}/token" ||	# db's token
		fail "$MODE: web's read of db's token"
	# a hostPID pod (no volume of its own) reads web's token in web's mount
	# namespace; root with the runtime's default capabilities, like web's
	# init, so the kernel's ptrace check lets it in
	local procroot
	ctrd_app "$cidx" "$(ctrd_pod_cgroup besteffort "$ux" "$cidx")" cw.test/app:1 \
		--with-ns "pid:/proc/$$/ns/pid"
	procroot=/proc/$(ctrd_task_pid "$cida")/root
	ctrd_app_run "$cidx" "cat $procroot$SA/token" || fail "$MODE: read through $procroot"

	echo "--- $MODE: rotation inside the tmpfs volume"
	local old new pr
	old=$(stat -L -c %d:%i "$va/token")
	kubelet_rotate "$va"
	new=$(stat -L -c %d:%i "$va/token")
	[ "$old" != "$new" ] || fail "$MODE: rotation kept the inode"
	"$WATCHED" "$AGENT_PID" has "$va/token" || fail "$MODE: rotated token not watched"
	"$WATCHED" "$AGENT_PID" lacks "$old" || fail "$MODE: the rotated-away inode is still watched"
	ctrd_app_run "$cida" "cat $SA/token" || fail "$MODE: web's read of its rotated token"

	echo "--- $MODE: teardown, while db's container keeps its volumes alive"
	local gone
	gone=$(stat -L -c %d:%i "$vb/token" "$vbs/password" "$vbs/username")
	# the runtime's bind mounts of the volumes, in the container's mount
	# namespace, keep the tmpfs alive after kubelet's unmount (a lingering
	# container): the agent must forget the pod all the same
	grep -q " /etc/db-creds " "/proc/$(ctrd_task_pid "$cidb")/mountinfo" ||
		fail "$MODE: db's container does not hold its Secret volume"
	kubelet_pod_delete "$HOST" "$ub" || fail "$MODE: teardown of db"
	ctrd_app_run "$cidb" "test -s /etc/db-creds/password" ||
		fail "$MODE: the volume died with kubelet's unmount: nothing kept it alive"
	# shellcheck disable=SC2086
	"$WATCHED" "$AGENT_PID" lacks $gone || fail "$MODE: a torn-down pod's inodes are still watched"

	echo "--- $MODE: a pod created after another was torn down"
	vd=$(kubelet_pod "$HOST" team-d api "$ud")
	"$WATCHED" "$AGENT_PID" has "$vd/token" || fail "$MODE: pod after a teardown not watched"
	local cgd pd
	cgd=$(cg_pod_systemd "$ud" besteffort "$(cid)")
	pd=$(read_in "$cgd" "$vd/token")

	# the re-check went over the pods (several cycles at 100 ms) and found nothing late
	local rechecked
	rechecked=$(metric credwatch_discovery_rechecked_pods_total)
	wait_for "re-check progress" metric_above credwatch_discovery_rechecked_pods_total \
		$((rechecked + 3))
	metric_is credwatch_discovery_late_finds_total 0 || fail "$MODE: late finds: $(grep late "$AGENT_ERR")"
	metric_is credwatch_discovery_late_removals_total 0 || fail "$MODE: late removals: $(grep late "$AGENT_ERR")"

	echo "--- $MODE: every pod gone: nothing left"
	kubelet_pod_delete "$HOST" "$ua"
	kubelet_pod_delete "$HOST" "$uc"
	kubelet_pod_delete "$HOST" "$ud"
	wait_for "table back to baseline" metric_is credwatch_watched_credentials "$base_watched"
	wait_for "map back to baseline" map_count_is "$base_map"
	wait_for "inotify watches back to $base_inotify" inotify_watches_are "$base_inotify"
	wait_for "volume mounts followed back to 0" metric_is credwatch_discovery_volume_mounts 0
	[ "$(open_fds)" = "$base_fds" ] || fail "$MODE: agent fds $(open_fds), were $base_fds"
	ctrd_rm "$cida"
	ctrd_rm "$cidb"
	ctrd_rm "$cidx"

	echo "--- $MODE: a key no live path can see is found late, counted and logged"
	ue=$(kubelet_uid)
	ve=$(kubelet_pod "$HOST" team-e late "$ue")
	"$WATCHED" "$AGENT_PID" has "$ve/token" || fail "$MODE: pod e not watched"
	ln -s ..data/extra-token "$ve/extra-token"	# dangles: found nothing
	sleep 0.3
	fixture_marker > "$ve/..data/extra-token"	# inside ..<ts>/: no event reaches a watch
	"$WATCHED" "$AGENT_PID" has "$ve/extra-token" || fail "$MODE: the re-check did not find it"
	wait_for "late find counted" metric_is credwatch_discovery_late_finds_total 1
	grep -q "late find: pod $ue: /var/lib/kubelet/pods/$ue/volumes/kubernetes.io~projected/.*/extra-token" \
		"$AGENT_ERR" || fail "$MODE: no late-find log line: $(grep late "$AGENT_ERR")"
	kubelet_pod_delete "$HOST" "$ue"
	agent_stop || fail "$MODE: agent exit status: $(tail -3 "$AGENT_ERR")"

	# exactly one event per read, attributed to the reader's pod and the owner's
	local a=${cida:0:12} b=${cidb:0:12}
	python3 tests/lib/events.py "$ev" --where container.id="$a" --count 3 --expect k8s.pod.name=web \
		--expect k8s.ns.name=team-a --expect container.name=app --expect cred.kind=sa_token \
		--expect proc.is_exec_session=false || fail "$MODE: web's reads"
	python3 tests/lib/events.py "$ev" --where container.id="$a" --where fd.ino="${old#*:}" \
		--where cred.owner.pod=web --count 1 --expect cred.same_pod=true || fail "$MODE: web's own token"
	python3 tests/lib/events.py "$ev" --where container.id="$b" --count 1 --expect k8s.pod.name=db \
		--expect cred.owner.pod=db --expect cred.owner.ns=team-b --expect cred.kind=secret \
		--expect cred.path="/var/lib/kubelet/pods/$ub/volumes/kubernetes.io~secret/db-creds/password" \
		--expect fd.name=/etc/db-creds/password || fail "$MODE: db's Secret"
	python3 tests/lib/events.py "$ev" --where proc.pid="$pc" --count 1 --expect k8s.pod.name=legacy \
		--expect cred.owner.pod=legacy --expect cred.kind=sa_token || fail "$MODE: legacy token"
	python3 tests/lib/events.py "$ev" --where container.id="$a" --where cred.owner.pod=db --count 1 \
		--expect cred.same_pod=false || fail "$MODE: cross-pod read"
	python3 tests/lib/events.py "$ev" --where container.id="${cidx:0:12}" --count 1 \
		--expect k8s.pod.name=debug --expect k8s.ns.name=team-x --expect cred.owner.pod=web \
		--expect cred.same_pod=false --expect fd.name="$procroot$SA/token" \
		--expect cred.path="${va#"$HOST"}/token" || fail "$MODE: read through /proc/<pid>/root"
	python3 tests/lib/events.py "$ev" --where container.id="$a" --where fd.ino="${new#*:}" \
		--where cred.owner.pod=web --count 1 --expect fd.name="$SA/token" \
		|| fail "$MODE: read after the rotation, from inside the container"
	python3 tests/lib/events.py "$ev" --where proc.pid="$pd" --count 1 --expect k8s.pod.name=api \
		--expect cred.owner.pod=api || fail "$MODE: pod created after a teardown"
	python3 tests/lib/events.py "$ev" --where proc.name=credwatch --count 0 ||
		fail "$MODE: the agent opened a credential"
	if grep -q CWMARKER "$ev" "$AGENT_ERR"; then fail "$MODE: credential bytes in output"; fi
	[ "$MODE" = same ] || umount -l "$HOST/var/lib/kubelet"
	echo "$MODE ok"
}

scenario same
scenario propagated
echo "kubelet mounts ok"
