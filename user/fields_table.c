// SPDX-License-Identifier: Apache-2.0
/*
 * fields_table.c - the field table: every field's name, type, description
 * and where it lives in a record (or how it is computed); the Falco fields
 * credwatch knows but has no value for, with the reason; lookup by name.
 * Mostly data: one line a field.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "fields_int.h"

#define SLOT(n, t, m, d, k, w) { { n, t, false, d, k, w }, offsetof(struct cw_record, m), \
				 sizeof(((struct cw_record *)0)->m), false, false }
#define STR(n, m, d)  SLOT(n, CW_FT_STR, m, d, CW_FK_STORED, 0)
#define U64(n, m, d)  SLOT(n, CW_FT_U64, m, d, CW_FK_STORED, 0)
#define S64(n, m, d)  SLOT(n, CW_FT_S64, m, d, CW_FK_STORED, 0)
#define BOOL(n, m, d) SLOT(n, CW_FT_BOOL, m, d, CW_FK_STORED, 0)
/* a number whose 0 means "not known" */
#define U64Z(n, m, d, k, w) { { n, CW_FT_U64, false, d, k, w }, offsetof(struct cw_record, m), \
			      8, false, true }
/* computed in field_get(), or a record member attribution fills on demand */
#define CALC(n, t, d, w)	{ { n, t, false, d, CW_FK_DERIVED, w }, 0, 0, false, false }
#define CALCM(n, t, m, d, w)	SLOT(n, t, m, d, CW_FK_DERIVED, w)
#define CALCI(n, t, d, w)	{ { n, t, true, d, CW_FK_DERIVED, w }, 0, 0, false, false }

const struct field_slot fields_slots[CW_F__ALL] = {
	[CW_F_EVT_TIME] = U64("evt.time", time_ns, "time of the open, ns since the epoch"),
	[CW_F_EVT_TYPE] = { { "evt.type", CW_FT_STR, false, "syscall path: open, openat, openat2, creat, open_by_handle_at, io_uring_openat, io_uring_openat2", CW_FK_STORED, 0 }, 0, 0, false, false },
	[CW_F_EVT_RES] = S64("evt.res", res, "syscall result (the fd); compared with a word (SUCCESS, E...) it is Falco's text form"),
	[CW_F_EVT_COUNT] = U64("evt.count", count, "opens this record stands for: 1, or the repeats an aggregated record reports"),
	[CW_F_PROC_PID] = U64("proc.pid", pid, "process id of the reader"),
	[CW_F_PROC_TID] = U64("proc.tid", tid, "thread id of the reader"),
	[CW_F_PROC_NAME] = STR("proc.name", proc_name, "command name (comm)"),
	[CW_F_PROC_EXEPATH] = STR("proc.exepath", proc_exepath, "executable path"),
	[CW_F_PROC_CMDLINE] = STR("proc.cmdline", proc_cmdline, "command line"),
	[CW_F_PROC_PPID] = U64("proc.ppid", ppid, "parent process id"),
	[CW_F_PROC_PNAME] = STR("proc.pname", proc_pname, "parent command name"),
	[CW_F_PROC_PCMDLINE] = STR("proc.pcmdline", proc_pcmdline, "parent command line"),
	[CW_F_PROC_ANAME] = { { "proc.aname", CW_FT_STR, true, "name of the N-th ancestor (0 = self, 1 = parent); without [N]: any ancestor", CW_FK_STORED, 0 }, 0, 0, false, false },
	[CW_F_PROC_APID] = { { "proc.apid", CW_FT_U64, true, "pid of the N-th ancestor (0 = self, 1 = parent); without [N]: any ancestor", CW_FK_STORED, 0 }, 0, 0, false, false },
	[CW_F_PROC_TTY] = U64("proc.tty", tty, "controlling terminal device, 0 for none"),
	[CW_F_PROC_SID] = U64("proc.sid", sid, "session id"),
	[CW_F_PROC_IS_EXEC_SESSION] = BOOL("proc.is_exec_session", is_exec_session, "true for an interactive kubectl exec style session"),
	[CW_F_USER_UID] = U64("user.uid", uid, "real user id"),
	[CW_F_USER_NAME] = STR("user.name", user_name, "user name, from the reader's own /etc/passwd"),
	[CW_F_USER_LOGINUID] = U64("user.loginuid", loginuid, "audit login uid (4294967295 when unset)"),
	[CW_F_FD_NAME] = STR("fd.name", fd_name, "path the process passed (an absolute one without . .. //)"),
	[CW_F_FD_INO] = U64("fd.ino", fd_ino, "inode number opened"),
	[CW_F_FD_DEV] = U64("fd.dev", fd_dev, "device of the inode (st_dev encoding)"),
	[CW_F_FD_FLAGS] = STR("fd.flags", fd_flags, "open flags, O_RDONLY|O_CLOEXEC style"),
	[CW_F_CONTAINER_ID] = STR("container.id", container_id, "container id, \"host\" outside containers"),
	[CW_F_CONTAINER_NAME] = STR("container.name", container_name, "container name"),
	[CW_F_CONTAINER_IMAGE_REPOSITORY] = STR("container.image.repository", container_image, "container image repository"),
	[CW_F_K8S_NS_NAME] = STR("k8s.ns.name", ns_name, "reader pod namespace"),
	[CW_F_K8S_POD_NAME] = STR("k8s.pod.name", pod_name, "reader pod name"),
	[CW_F_K8S_POD_UID] = STR("k8s.pod.uid", pod_uid, "reader pod uid"),
	[CW_F_K8S_POD_SA] = STR("k8s.pod.sa", pod_sa, "reader pod service account"),
	[CW_F_CRED_KIND] = STR("cred.kind", cred_kind, "sa_token, secret, kubeconfig, pki, cloud, custom, registry, ssh, etcd, ci, token, or environ (another process's /proc/PID/environ)"),
	[CW_F_CRED_PATH] = STR("cred.path", cred_path, "canonical host path of the credential"),
	[CW_F_CRED_OWNER_NS] = STR("cred.owner.ns", owner_ns, "namespace of the pod owning the credential"),
	[CW_F_CRED_OWNER_POD] = STR("cred.owner.pod", owner_pod, "pod owning the credential"),
	[CW_F_CRED_OWNER_SA] = STR("cred.owner.sa", owner_sa, "service account of the owning pod"),
	[CW_F_CRED_SECRET_NAME] = STR("cred.secret.name", secret_name, "Secret name (or volume name) of the credential"),
	[CW_F_CRED_SAME_POD] = BOOL("cred.same_pod", same_pod, "true when the reader pod owns the credential (environ: same pod, container outside pods, or host)"),
	[CW_F_K8S_CLUSTER_NAME] = STR("k8s.cluster.name", cluster_name, "cluster name"),
	[CW_F_CLOUD_PROVIDER] = STR("cloud.provider", cloud_provider, "cloud provider"),
	[CW_F_CLOUD_REGION] = STR("cloud.region", cloud_region, "cloud region"),
	[CW_F_FD_NAMERAW] = STR("fd.nameraw", fd_nameraw, "path exactly as the process passed it"),
	[CW_F_PROC_EXE] = STR("proc.exe", proc_exe, "argv[0] of the reader"),
	[CW_F_PROC_PEXE] = STR("proc.pexe", proc_pexe, "argv[0] of the parent (from /proc while it lives)"),
	[CW_F_GROUP_GID] = U64("group.gid", gid, "real group id"),
	[CW_F_EVT_NUM] = U64Z("evt.num", evt_num, "the agent's event sequence number, from 1", CW_FK_STORED, 0),
	[CW_F_CRED_OWNER_PID] = U64Z("cred.owner.pid", owner_pid, "cred.kind environ: the process whose environment was read", CW_FK_STORED, 0),
	[CW_F_PROC_EXE_INO] = U64Z("proc.exe_ino", aexe_ino[0], "inode of the reader's executable, as the kernel captured it at the open (mm->exe_file)", CW_FK_STORED, 0),
	[CW_F_PROC_EXE_DEV] = U64Z("proc.exe_dev", aexe_dev[0], "device of the reader's executable (st_dev encoding): with proc.exe_ino, the file the process runs, which a renamed copy does not share", CW_FK_STORED, 0),
	[CW_F_PROC_IS_HOST_MNTNS] = BOOL("proc.is_host_mntns", is_host_mntns, "the reader runs in the host's mount namespace (that of the host's pid 1)"),
	[CW_F_PROC_NODE_AGENT] = STR("proc.node_agent", node_agent, "name of the node agent the reader is (kubelet, containerd...): host mount namespace and an executable whose (device, inode) is in the node-agent inventory (--node-agents, --node-agent-paths); <NA> for anything else"),
	[CW_F_PROC_SYSTEMD_UNIT] = STR("proc.systemd_unit", systemd_unit, "the system service (systemd unit under system.slice, e.g. kubelet.service) whose cgroup the host reader is in; <NA> in a container, a user's own unit or no unit"),

	[CW_F_EVT_DIR] = CALC("evt.dir", CW_FT_STR, "'<': every credwatch event is a syscall exit", 0),
	[CW_F_EVT_RAWRES] = CALC("evt.rawres", CW_FT_S64, "syscall result as a number", 0),
	[CW_F_EVT_RES_STR] = { { "evt.res", CW_FT_STR, false, "SUCCESS, or the error name", CW_FK_DERIVED, 0 }, 0, 0, true, false },
	[CW_F_EVT_IS_OPEN_READ] = CALC("evt.is_open_read", CW_FT_BOOL, "opened for reading (O_RDONLY or O_RDWR; not creat)", 0),
	[CW_F_EVT_IS_OPEN_WRITE] = CALC("evt.is_open_write", CW_FT_BOOL, "opened for writing (O_WRONLY or O_RDWR; not creat)", 0),
	[CW_F_EVT_IS_OPEN_EXEC] = CALC("evt.is_open_exec", CW_FT_BOOL, "created with execute permission: false without O_CREAT/O_TMPFILE, else unknown (the mode is not captured)", 0),
	[CW_F_EVT_IS_OPEN_CREATE] = CALC("evt.is_open_create", CW_FT_BOOL, "false: a watched file existed before the open", 0),
	[CW_F_EVT_ARG_NAME] = CALC("evt.arg.name", CW_FT_STR, "the path argument (fd.nameraw)", 0),
	[CW_F_EVT_ARG_FLAGS] = CALC("evt.arg.flags", CW_FT_STR, "the flags argument (fd.flags)", 0),
	[CW_F_EVT_ARG_FD] = CALC("evt.arg.fd", CW_FT_S64, "the returned fd", 0),
	[CW_F_FD_NUM] = CALC("fd.num", CW_FT_S64, "the fd number", 0),
	[CW_F_FD_TYPE] = CALC("fd.type", CW_FT_STR, "file, or directory when opened with O_DIRECTORY", 0),
	[CW_F_FD_TYPECHAR] = CALC("fd.typechar", CW_FT_STR, "f, or d when opened with O_DIRECTORY", 0),
	[CW_F_FD_DIRECTORY] = CALC("fd.directory", CW_FT_STR, "directory of an absolute fd.name", 0),
	[CW_F_FD_FILENAME] = CALC("fd.filename", CW_FT_STR, "last component of fd.name", 0),
	[CW_F_FD_NAME_CHANGED] = CALC("fd.name_changed", CW_FT_BOOL, "false: an open does not rename its fd", 0),
	[CW_F_PROC_ARGS] = CALC("proc.args", CW_FT_STR, "arguments after argv[0]", 0),
	[CW_F_PROC_PEXEPATH] = CALCM("proc.pexepath", CW_FT_STR, proc_pexepath, "executable path of the parent (/proc, on demand)", CW_WANT_PEXEPATH),
	[CW_F_PROC_AEXE] = CALCI("proc.aexe", CW_FT_STR, "argv[0] of the N-th ancestor: [0] and [1] only", 0),
	[CW_F_PROC_AEXEPATH] = CALCI("proc.aexepath", CW_FT_STR, "executable path of the N-th ancestor, 0 .. 5 (/proc while it runs the file the kernel captured, else the inventory's path for a node agent's inode; on demand)", CW_WANT_PEXEPATH),
	[CW_F_PROC_PID_TS] = U64Z("proc.pid.ts", proc_start_ns, "process start, ns since the epoch (/proc, on demand)", CW_FK_DERIVED, CW_WANT_PROC_START),
	[CW_F_PROC_DURATION] = CALC("proc.duration", CW_FT_U64, "ns from the process start to the open (/proc, on demand)", CW_WANT_PROC_START),
	[CW_F_PROC_VPID] = U64Z("proc.vpid", vpid, "pid in the process's own pid namespace (/proc, on demand)", CW_FK_DERIVED, CW_WANT_STATUS),
	[CW_F_PROC_SNAME] = CALCM("proc.sname", CW_FT_STR, proc_sname, "name of the session leader (/proc, on demand)", CW_WANT_SESSION),
	[CW_F_PROC_IS_EXE_FROM_MEMFD] = CALC("proc.is_exe_from_memfd", CW_FT_BOOL, "the executable is a memfd", 0),
	[CW_F_THREAD_TID] = CALC("thread.tid", CW_FT_U64, "thread id (proc.tid)", 0),
	[CW_F_THREAD_CAP_EFFECTIVE] = CALCM("thread.cap_effective", CW_FT_STR, cap_effective, "effective capabilities, CAP_X CAP_Y (/proc, on demand)", CW_WANT_STATUS),
	[CW_F_THREAD_CAP_PERMITTED] = CALCM("thread.cap_permitted", CW_FT_STR, cap_permitted, "permitted capabilities (/proc, on demand)", CW_WANT_STATUS),
	[CW_F_THREAD_CAP_INHERITABLE] = CALCM("thread.cap_inheritable", CW_FT_STR, cap_inheritable, "inheritable capabilities (/proc, on demand)", CW_WANT_STATUS),
	[CW_F_USER_LOGINNAME] = CALCM("user.loginname", CW_FT_STR, user_loginname, "name of the login uid (on demand)", CW_WANT_LOGINNAME),
	[CW_F_CONTAINER_PRIVILEGED] = CALCM("container.privileged", CW_FT_BOOL, container_privileged, "the container runs privileged (needs the API)", 0),
	[CW_F_K8S_POD_ID] = CALC("k8s.pod.id", CW_FT_STR, "reader pod uid (Falco's older name)", 0),
	[CW_F_PROC_IS_NODE_AGENT] = CALC("proc.is_node_agent", CW_FT_BOOL, "true when proc.node_agent is set: a genuine node agent, not one by name", 0),
	[CW_F_PROC_AEXE_INO] = CALCI("proc.aexe_ino", CW_FT_U64, "inode of the N-th ancestor's executable (0 = self, 1 = parent, up to 5), captured by the kernel at the open", 0),
};

/* ---- Falco fields without a value in credwatch ------------------------ */

static const char R_SOCKET[] = "a socket field: credwatch events are opens of files";
static const char R_OTHER[] = "a field of other event types";
static const char R_ARG[] = "an argument of other syscalls";
static const char R_OPENARG[] = "an open argument credwatch does not capture";
static const char R_PROC[] = "process state credwatch does not collect";
static const char R_ENV[] = "the environment holds secrets: credwatch never reads it";
static const char R_FD[] = "fd state credwatch does not collect";
static const char R_USER[] = "user data credwatch does not collect";
static const char R_CTR[] = "container metadata credwatch does not collect";
static const char R_K8S[] = "Kubernetes metadata credwatch does not collect";
static const char R_EVT[] = "event data credwatch does not collect";

#define ABSENT(n, r)		{ { n, CW_FT_STR, false, r, CW_FK_ABSENT, 0 } }
#define ABSENT_ARG(n, r)	{ { n, CW_FT_STR, true, r, CW_FK_ABSENT, 0 } }
#define NOTCOL(n, r)		{ { n, CW_FT_STR, false, r, CW_FK_UNCOLLECTED, 0 } }
#define NOTCOL_ARG(n, r)	{ { n, CW_FT_STR, true, r, CW_FK_UNCOLLECTED, 0 } }

struct falco_only {
	struct cw_field_info info;	/* indexed: takes any [arg] */
};

/* The evt.arg entries every argument not listed below resolves to. */
#define FO_ARG_OTHER	0
#define FO_RAWARG	1

static const struct falco_only falco_only[] = {
	[FO_ARG_OTHER] = ABSENT("evt.arg.*", R_ARG),
	[FO_RAWARG] = NOTCOL("evt.rawarg.*", R_OPENARG),
	NOTCOL_ARG("evt.arg", R_OPENARG),	/* evt.arg[N] */
	NOTCOL("evt.arg.mode", R_OPENARG), NOTCOL("evt.arg.dirfd", R_OPENARG),
	NOTCOL("evt.arg.resolve", R_OPENARG), NOTCOL("evt.arg.mountfd", R_OPENARG),
	NOTCOL("evt.arg.path", R_OPENARG), NOTCOL("evt.args", R_OPENARG),
	/* sockets */
	ABSENT("fd.cip", R_SOCKET), ABSENT("fd.cip.name", R_SOCKET), ABSENT("fd.cnet", R_SOCKET),
	ABSENT("fd.connected", R_SOCKET), ABSENT("fd.cport", R_SOCKET), ABSENT("fd.cproto", R_SOCKET),
	ABSENT("fd.ip", R_SOCKET), ABSENT("fd.is_server", R_SOCKET), ABSENT("fd.l4proto", R_SOCKET),
	ABSENT("fd.lip", R_SOCKET), ABSENT("fd.lip.name", R_SOCKET), ABSENT("fd.lnet", R_SOCKET),
	ABSENT("fd.lport", R_SOCKET), ABSENT("fd.lproto", R_SOCKET), ABSENT("fd.net", R_SOCKET),
	ABSENT("fd.port", R_SOCKET), ABSENT("fd.proto", R_SOCKET), ABSENT("fd.rip", R_SOCKET),
	ABSENT("fd.rip.name", R_SOCKET), ABSENT("fd.rnet", R_SOCKET), ABSENT("fd.rport", R_SOCKET),
	ABSENT("fd.rproto", R_SOCKET), ABSENT("fd.sip", R_SOCKET), ABSENT("fd.sip.name", R_SOCKET),
	ABSENT("fd.snet", R_SOCKET), ABSENT("fd.sockfamily", R_SOCKET), ABSENT("fd.sport", R_SOCKET),
	ABSENT("fd.sproto", R_SOCKET),
	ABSENT("fdlist.cips", R_OTHER), ABSENT("fdlist.cports", R_OTHER),
	ABSENT("fdlist.names", R_OTHER), ABSENT("fdlist.nums", R_OTHER),
	ABSENT("fdlist.sips", R_OTHER), ABSENT("fdlist.sports", R_OTHER),
	/* other event types */
	ABSENT("evt.buffer", R_OTHER), ABSENT("evt.buflen", R_OTHER),
	ABSENT("evt.abspath", R_OTHER), ABSENT("evt.abspath.src", R_OTHER),
	ABSENT("evt.abspath.dst", R_OTHER),
	ABSENT("fs.path.name", R_OTHER), ABSENT("fs.path.nameraw", R_OTHER),
	ABSENT("fs.path.source", R_OTHER), ABSENT("fs.path.sourceraw", R_OTHER),
	ABSENT("fs.path.target", R_OTHER), ABSENT("fs.path.targetraw", R_OTHER),
	/* event data */
	NOTCOL("evt.hostname", R_EVT), NOTCOL("evt.cpu", R_EVT), NOTCOL("evt.latency", R_EVT),
	NOTCOL("evt.info", R_EVT), NOTCOL("evt.category", R_EVT), NOTCOL("evt.failed", R_EVT),
	/* process */
	NOTCOL_ARG("proc.env", R_ENV), NOTCOL_ARG("proc.aenv", R_ENV),
	NOTCOL("proc.cwd", R_PROC), NOTCOL_ARG("proc.aargs", R_PROC),
	NOTCOL_ARG("proc.acmdline", R_PROC), NOTCOL("proc.exeline", R_PROC),
	NOTCOL("proc.cmdnargs", R_PROC), NOTCOL("proc.cmdlenargs", R_PROC),
	NOTCOL("proc.loginshellid", R_PROC), NOTCOL("proc.pvpid", R_PROC),
	NOTCOL("proc.vpgid", R_PROC), NOTCOL("proc.vpgid.name", R_PROC),
	NOTCOL("proc.vpgid.exe", R_PROC), NOTCOL("proc.vpgid.exepath", R_PROC),
	NOTCOL("proc.pgid", R_PROC), NOTCOL("proc.pgid.name", R_PROC),
	NOTCOL("proc.pgid.exe", R_PROC), NOTCOL("proc.pgid.exepath", R_PROC),
	NOTCOL("proc.sid.exe", R_PROC), NOTCOL("proc.sid.exepath", R_PROC),
	NOTCOL("proc.ppid.duration", R_PROC), NOTCOL("proc.ppid.ts", R_PROC),
	NOTCOL("proc.pidns_init_start_ts", R_PROC),
	NOTCOL("proc.exe_ino.ctime", R_PROC), NOTCOL("proc.exe_ino.mtime", R_PROC),
	NOTCOL("proc.exe_ino.ctime_duration_proc_start", R_PROC),
	NOTCOL("proc.exe_ino.ctime_duration_pidns_start", R_PROC),
	NOTCOL("proc.is_exe_writable", R_PROC), NOTCOL("proc.is_exe_upper_layer", R_PROC),
	NOTCOL("proc.is_exe_lower_layer", R_PROC), NOTCOL("proc.is_sid_leader", R_PROC),
	NOTCOL("proc.is_vpgid_leader", R_PROC), NOTCOL("proc.is_pgid_leader", R_PROC),
	NOTCOL("proc.fdopencount", R_PROC), NOTCOL("proc.fdlimit", R_PROC),
	NOTCOL("proc.fdusage", R_PROC), NOTCOL("proc.vmsize", R_PROC),
	NOTCOL("proc.vmrss", R_PROC), NOTCOL("proc.vmswap", R_PROC),
	NOTCOL("proc.nthreads", R_PROC), NOTCOL("proc.nchilds", R_PROC),
	NOTCOL("proc.stdin.type", R_PROC), NOTCOL("proc.stdout.type", R_PROC),
	NOTCOL("proc.stderr.type", R_PROC), NOTCOL("proc.stdin.name", R_PROC),
	NOTCOL("proc.stdout.name", R_PROC), NOTCOL("proc.stderr.name", R_PROC),
	NOTCOL("thread.vtid", R_PROC), NOTCOL("thread.ismain", R_PROC),
	NOTCOL("thread.cgroups", R_PROC), NOTCOL_ARG("thread.cgroup", R_PROC),
	NOTCOL("thread.nametid", R_PROC), NOTCOL("thread.pfmajor", R_PROC),
	NOTCOL("thread.pfminor", R_PROC), NOTCOL("thread.vmsize", R_PROC),
	NOTCOL("thread.vmrss", R_PROC), NOTCOL("thread.cpu", R_PROC),
	/* fd, user */
	NOTCOL_ARG("fd.types", R_FD), NOTCOL("fd.uid", R_FD), NOTCOL("fd.containername", R_FD),
	NOTCOL("fd.containerdirectory", R_FD), NOTCOL("fd.is_upper_layer", R_FD),
	NOTCOL("fd.is_lower_layer", R_FD), NOTCOL("fd.dev.major", R_FD), NOTCOL("fd.dev.minor", R_FD),
	NOTCOL("user.homedir", R_USER), NOTCOL("user.shell", R_USER), NOTCOL("group.name", R_USER),
	/* container, Kubernetes */
	NOTCOL("container.full_id", R_CTR), NOTCOL("container.image", R_CTR),
	NOTCOL("container.image.id", R_CTR), NOTCOL("container.image.tag", R_CTR),
	NOTCOL("container.image.digest", R_CTR), NOTCOL("container.type", R_CTR),
	NOTCOL("container.mounts", R_CTR), NOTCOL_ARG("container.mount", R_CTR),
	NOTCOL_ARG("container.mount.source", R_CTR), NOTCOL_ARG("container.mount.dest", R_CTR),
	NOTCOL_ARG("container.mount.mode", R_CTR), NOTCOL_ARG("container.mount.rdwr", R_CTR),
	NOTCOL_ARG("container.mount.propagation", R_CTR),
	NOTCOL("container.healthcheck", R_CTR), NOTCOL("container.liveness_probe", R_CTR),
	NOTCOL("container.readiness_probe", R_CTR), NOTCOL("container.start_ts", R_CTR),
	NOTCOL("container.duration", R_CTR), NOTCOL("container.ip", R_CTR),
	NOTCOL("container.cni.json", R_CTR), NOTCOL("container.host_pid", R_CTR),
	NOTCOL("container.host_network", R_CTR), NOTCOL("container.host_ipc", R_CTR),
	NOTCOL_ARG("container.label", R_CTR), NOTCOL("container.labels", R_CTR),
	NOTCOL_ARG("k8s.pod.label", R_K8S), NOTCOL("k8s.pod.labels", R_K8S),
	NOTCOL("k8s.pod.ip", R_K8S), NOTCOL("k8s.pod.cni.json", R_K8S),
	NOTCOL("k8s.pod.sandbox_id", R_K8S), NOTCOL("k8s.pod.full_sandbox_id", R_K8S),
	NOTCOL("k8s.ns.id", R_K8S), NOTCOL_ARG("k8s.ns.label", R_K8S), NOTCOL("k8s.ns.labels", R_K8S),
	NOTCOL("k8s.deployment.name", R_K8S), NOTCOL("k8s.rs.name", R_K8S),
	NOTCOL("k8s.rc.name", R_K8S), NOTCOL("k8s.svc.name", R_K8S),
};

#define NFALCO_ONLY	((int)(sizeof(falco_only) / sizeof(falco_only[0])))

/* evt.arg.NAME of the open syscalls, as credwatch names them */
static const struct { const char *arg; int id; } open_args[] = {
	{ "name", CW_F_EVT_ARG_NAME }, { "flags", CW_F_EVT_ARG_FLAGS },
	{ "fd", CW_F_EVT_ARG_FD }, { "dev", CW_F_FD_DEV }, { "ino", CW_F_FD_INO },
};

const struct cw_field_info *field_info(int id)
{
	if (id >= 0 && id < CW_F__ALL)
		return &fields_slots[id].info;
	if (id >= CW_F__ALL && id < CW_F__ALL + NFALCO_ONLY)
		return &falco_only[id - CW_F__ALL].info;
	return NULL;
}

const char *field_absent_reason(int id)
{
	const struct cw_field_info *fi = field_info(id);

	return fi && (fi->kind == CW_FK_ABSENT || fi->kind == CW_FK_UNCOLLECTED) ? fi->desc : "";
}

bool field_is_collected(int id, int index)
{
	const struct cw_field_info *fi = field_info(id);

	if (!fi || fi->kind == CW_FK_UNCOLLECTED)
		return false;
	if (id == CW_F_PROC_AEXE)
		return index == 0 || index == 1;
	if (id == CW_F_PROC_AEXEPATH)
		return index >= 0 && index <= CW_ANCESTORS;
	return true;
}

static bool name_is(const char *name, size_t len, const char *want)
{
	return strlen(want) == len && !strncmp(name, want, len);
}

/* evt.arg.X / evt.rawarg.X: the open arguments credwatch has, else one shared entry. */
static int lookup_arg(const char *name, size_t len)
{
	static const char arg[] = "evt.arg.", raw[] = "evt.rawarg.";
	const char *a;
	size_t n;

	if (len > sizeof(raw) - 1 && !strncmp(name, raw, sizeof(raw) - 1))
		return CW_F__ALL + FO_RAWARG;
	if (len <= sizeof(arg) - 1 || strncmp(name, arg, sizeof(arg) - 1))
		return -ENOENT;
	a = name + sizeof(arg) - 1;
	n = len - (sizeof(arg) - 1);
	for (size_t i = 0; i < sizeof(open_args) / sizeof(open_args[0]); i++)
		if (name_is(a, n, open_args[i].arg))
			return open_args[i].id;
	for (int i = 0; i < NFALCO_ONLY; i++)
		if (name_is(name, len, falco_only[i].info.name))
			return CW_F__ALL + i;
	return CW_F__ALL + FO_ARG_OTHER;
}

int field_lookup(const char *name, int *index)
{
	const char *br = strchr(name, '[');
	size_t len = br ? (size_t)(br - name) : strlen(name);
	const struct cw_field_info *fi = NULL;
	int id = -ENOENT;
	char *end;
	long n;

	*index = 0;
	for (int i = 0; i < CW_F__ALL && id < 0; i++) {
		if (!fields_slots[i].hidden && name_is(name, len, fields_slots[i].info.name))
			id = i;
	}
	if (id < 0 && !br)
		id = lookup_arg(name, len);
	for (int i = 0; i < NFALCO_ONLY && id < 0; i++) {
		if (name_is(name, len, falco_only[i].info.name))
			id = CW_F__ALL + i;
	}
	if (id < 0)
		return id;
	fi = field_info(id);
	if (!br) {
		if (fi->indexed && id < CW_F__ALL)
			*index = CW_INDEX_ANY;
		return id;
	}
	if (!fi->indexed || !strchr(br, ']') || strchr(br, ']')[1] != '\0')
		return -EINVAL;
	if (id >= CW_F__ALL)		/* proc.env[NAME], fd.types[0]: any argument */
		return id;
	if (br[1] < '0' || br[1] > '9')
		return -EINVAL;
	n = strtol(br + 1, &end, 10);
	if (end[0] != ']' || end[1] != '\0' || n < 0 || n > CW_REC_ANC_MAX)
		return -EINVAL;
	*index = (int)n;
	return id;
}

