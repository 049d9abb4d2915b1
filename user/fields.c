// SPDX-License-Identifier: Apache-2.0
/* fields.c - the field table: names, types and where each lives in a record. */
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fields.h"

struct field_slot {
	struct cw_field_info info;
	size_t offset;		/* member of struct cw_record */
	size_t size;		/* for strings: buffer size */
	bool hidden;		/* not found by name (evt.res compared as text) */
	bool zero_unset;	/* a number whose 0 means "not known" */
};

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

static const struct field_slot slots[CW_F__ALL] = {
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

static const char *const cap_names[] = {
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID",
	"CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE",
	"CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW",
	"CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT",
	"CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
	"CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE",
	"CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE",
	"CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ",
	"CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
};

/* Values built per call (fd.directory, unindexed proc.aname): see fields.h. */
static __thread char scratch[CW_REC_PATH_MAX];

const struct cw_field_info *field_info(int id)
{
	if (id >= 0 && id < CW_F__ALL)
		return &slots[id].info;
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
		if (!slots[i].hidden && name_is(name, len, slots[i].info.name))
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

/* The flags an open passed, read back from fd.flags (so replays have them too). */
static bool has_flag(const char *flags, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = flags; (p = strstr(p, name)); p += n)
		if ((p == flags || p[-1] == '|') && (p[n] == '\0' || p[n] == '|'))
			return true;
	return false;
}

/* evt.is_open_read / write: open, openat, openat2, open_by_handle_at and io_uring opens. */
static void open_mode(const struct cw_record *rec, int id, struct cw_value *out)
{
	const char *f = rec->fd_flags;
	bool rd = !strncmp(f, "O_RDONLY", 8) || !strncmp(f, "O_RDWR", 6);
	bool wr = !strncmp(f, "O_WRONLY", 8) || !strncmp(f, "O_RDWR", 6);

	if (!rec->syscall || !f[0])
		return;
	out->is_set = true;
	if (rec->syscall == CW_SYS_CREAT)	/* Falco: creat is neither */
		return;
	out->u64 = id == CW_F_EVT_IS_OPEN_READ ? rd : wr;
}

static void set_str(struct cw_value *out, const char *s)
{
	out->str = s;
	out->is_set = s[0] != '\0';
}

/* Falco's fd.directory: the name up to its last '/', or "/" */
static const char *fd_directory(const struct cw_record *rec)
{
	const char *name = rec->fd_name, *slash = strrchr(name, '/');
	size_t n;

	if (name[0] != '/')	/* relative: the directory is not known */
		return "";
	if (has_flag(rec->fd_flags, "O_DIRECTORY"))
		return name;
	n = (size_t)(slash - name);
	if (n == 0)
		return "/";
	if (slash[1] == '\0')
		return name;
	memcpy(scratch, name, n);
	scratch[n] = '\0';
	return scratch;
}

static const char *fd_filename(const struct cw_record *rec)
{
	const char *slash = strrchr(rec->fd_name, '/');

	if (has_flag(rec->fd_flags, "O_DIRECTORY"))
		return "";
	if (!slash || slash[1] == '\0')
		return rec->fd_name;
	return slash + 1;
}

/* proc.args: what follows argv[0] and one space in the command line */
static const char *proc_args(const struct cw_record *rec)
{
	size_t n = strlen(rec->proc_exe);

	if (!n || strncmp(rec->proc_cmdline, rec->proc_exe, n) || rec->proc_cmdline[n] != ' ')
		return "";
	return rec->proc_cmdline + n + 1;
}

/* Unindexed proc.aname in an output: every ancestor's name, space-separated. */
static const char *anames_joined(const struct cw_record *rec)
{
	size_t o = 0;

	for (int i = 1; i <= CW_REC_ANC_MAX; i++) {
		const char *s = i <= CW_ANCESTORS ? rec->aname[i] :
				i - CW_ANCESTORS - 1 < rec->nanc_extra ?
				rec->aname_extra[i - CW_ANCESTORS - 1] : "";
		size_t n = strlen(s);

		if (!n || o + n + 2 > sizeof(scratch))
			break;
		if (o)
			scratch[o++] = ' ';
		memcpy(scratch + o, s, n);
		o += n;
	}
	scratch[o] = '\0';
	return scratch;
}

static void ancestor(const struct cw_record *rec, int id, int index, struct cw_value *out)
{
	if (index == CW_INDEX_ANY) {
		if (id == CW_F_PROC_ANAME)
			set_str(out, anames_joined(rec));
		else			/* Falco prints proc.apid as apid[0] */
			index = 0;
	}
	if (index < 0 || index > CW_REC_ANC_MAX)
		return;
	if (index <= CW_ANCESTORS) {
		if (id == CW_F_PROC_ANAME) {
			set_str(out, rec->aname[index]);
		} else {
			out->u64 = rec->apid[index];
			out->is_set = out->u64 != 0;
		}
		return;
	}
	index -= CW_ANCESTORS + 1;
	if (index >= rec->nanc_extra)
		return;
	if (id == CW_F_PROC_ANAME) {
		set_str(out, rec->aname_extra[index]);
	} else {
		out->u64 = rec->apid_extra[index];
		out->is_set = out->u64 != 0;
	}
}

/* Fields computed from the record; stored members of derived fields fall through. */
static bool derived(const struct cw_record *rec, int id, int index, struct cw_value *out)
{
	const char *s;

	switch (id) {
	case CW_F_EVT_TYPE:
		out->str = syscall_name(rec->syscall);
		out->is_set = rec->syscall != 0;
		return true;
	case CW_F_PROC_ANAME:
	case CW_F_PROC_APID:
		ancestor(rec, id, index, out);
		return true;
	case CW_F_EVT_DIR:
		set_str(out, "<");
		return true;
	case CW_F_EVT_RAWRES:
	case CW_F_EVT_ARG_FD:
	case CW_F_FD_NUM:
		out->s64 = rec->res;
		out->is_set = true;
		return true;
	case CW_F_EVT_RES_STR:
		if (rec->res >= 0) {
			set_str(out, "SUCCESS");
		} else {
			s = strerrorname_np((int)-rec->res);
			set_str(out, s ? s : "E?");
		}
		return true;
	case CW_F_EVT_IS_OPEN_READ:
	case CW_F_EVT_IS_OPEN_WRITE:
		open_mode(rec, id, out);
		return true;
	case CW_F_EVT_IS_OPEN_EXEC:
		/* true needs the mode argument, which is not captured */
		out->is_set = rec->fd_flags[0] && !has_flag(rec->fd_flags, "O_CREAT") &&
			      !has_flag(rec->fd_flags, "O_TMPFILE") && rec->syscall != CW_SYS_CREAT;
		return true;
	case CW_F_EVT_IS_OPEN_CREATE:
	case CW_F_FD_NAME_CHANGED:
		out->is_set = true;	/* false */
		return true;
	case CW_F_EVT_ARG_NAME:
		set_str(out, rec->fd_nameraw);
		return true;
	case CW_F_EVT_ARG_FLAGS:
		set_str(out, rec->fd_flags);
		return true;
	case CW_F_FD_TYPE:
		set_str(out, has_flag(rec->fd_flags, "O_DIRECTORY") ? "directory" : "file");
		return true;
	case CW_F_FD_TYPECHAR:
		set_str(out, has_flag(rec->fd_flags, "O_DIRECTORY") ? "d" : "f");
		return true;
	case CW_F_FD_DIRECTORY:
		set_str(out, fd_directory(rec));
		return true;
	case CW_F_FD_FILENAME:
		set_str(out, fd_filename(rec));
		return true;
	case CW_F_PROC_ARGS:
		set_str(out, proc_args(rec));
		return true;
	case CW_F_PROC_AEXE:
		set_str(out, index == 0 ? rec->proc_exe : index == 1 || index == CW_INDEX_ANY ?
			rec->proc_pexe : "");
		return true;
	case CW_F_PROC_AEXEPATH:
		set_str(out, index == 0 ? rec->proc_exepath : index == 1 || index == CW_INDEX_ANY ?
			rec->proc_pexepath : index >= 2 && index <= CW_ANCESTORS ?
			rec->aexepath[index - 2] : "");
		return true;
	case CW_F_PROC_DURATION:
		out->is_set = rec->proc_start_ns && rec->time_ns >= rec->proc_start_ns;
		out->u64 = out->is_set ? rec->time_ns - rec->proc_start_ns : 0;
		return true;
	case CW_F_PROC_IS_EXE_FROM_MEMFD:
		/* the kernel names every memfd "memfd:<name>" */
		s = strrchr(rec->proc_exepath, '/');
		s = s ? s + 1 : rec->proc_exepath;
		out->is_set = rec->proc_exepath[0] != '\0';
		out->u64 = !strncmp(s, "memfd:", 6);
		return true;
	case CW_F_THREAD_TID:
		out->u64 = rec->tid;
		out->is_set = true;
		return true;
	case CW_F_K8S_POD_ID:
		set_str(out, rec->pod_uid);
		return true;
	case CW_F_PROC_IS_NODE_AGENT:
		out->is_set = rec->is_host_mntns != CW_UNKNOWN || rec->node_agent[0];
		out->u64 = rec->node_agent[0] != '\0';
		return true;
	case CW_F_PROC_AEXE_INO:
		out->is_set = index >= 0 && index <= CW_ANCESTORS && rec->aexe_ino[index];
		out->u64 = out->is_set ? rec->aexe_ino[index] : 0;
		return true;
	default:
		return false;
	}
}

void field_get(const struct cw_record *rec, int id, int index, struct cw_value *out)
{
	const struct field_slot *s;
	const char *base = (const char *)rec;

	/* per field per event (rules, dumps): plain stores, not a memset */
	out->type = CW_FT_STR;
	out->is_set = false;
	out->str = NULL;
	out->u64 = 0;
	out->s64 = 0;
	if ((unsigned)id >= CW_F__ALL) {	/* Falco-only: never set */
		out->str = "";
		return;
	}
	s = &slots[id];
	out->type = s->info.type;
	/* per field per event: a record member (s->size) skips the computed ones' switch */
	if (!s->size && derived(rec, id, index, out))
		return;
	switch (s->info.type) {
	case CW_FT_STR:
		out->str = base + s->offset;
		out->is_set = out->str[0] != '\0';
		break;
	case CW_FT_U64:
		memcpy(&out->u64, base + s->offset, 8);
		/* evt.num, proc.vpid, proc.pid.ts: 0 is "not known" */
		out->is_set = !s->zero_unset || out->u64 != 0;
		break;
	case CW_FT_S64:
		memcpy(&out->s64, base + s->offset, 8);
		out->is_set = true;
		break;
	case CW_FT_BOOL: {
		int8_t t = *(const int8_t *)(base + s->offset);

		out->is_set = t != CW_UNKNOWN;
		out->u64 = t == CW_TRUE;
		break;
	}
	}
}

bool field_equal(const struct cw_record *a, const struct cw_record *b, enum cw_field_id id,
		 int index)
{
	const struct field_slot *s = &slots[id];
	const char *pa = (const char *)a + s->offset, *pb = (const char *)b + s->offset;

	switch (id) {
	case CW_F_EVT_TYPE:	/* distinct static names: equal pointers, equal text */
		return !a->syscall == !b->syscall &&
		       syscall_name(a->syscall) == syscall_name(b->syscall);
	case CW_F_PROC_ANAME:
		if (index < 0 || index > CW_ANCESTORS)
			index = 0;
		return !strcmp(a->aname[index], b->aname[index]);
	case CW_F_PROC_APID:
		if (index < 0 || index > CW_ANCESTORS)
			index = 0;
		return a->apid[index] == b->apid[index];
	default:
		break;
	}
	switch (s->info.type) {
	case CW_FT_STR:		/* unset is "", so text equality is the answer */
		return pa[0] == pb[0] && !strcmp(pa, pb);
	case CW_FT_U64:
	case CW_FT_S64:
		return !memcmp(pa, pb, 8);
	case CW_FT_BOOL: {
		int8_t ta = *(const int8_t *)pa, tb = *(const int8_t *)pb;

		if ((ta == CW_UNKNOWN) != (tb == CW_UNKNOWN))
			return false;
		return ta == CW_UNKNOWN || (ta == CW_TRUE) == (tb == CW_TRUE);
	}
	}
	return false;
}

int field_set_str(struct cw_record *rec, int id, int index, const char *str)
{
	const struct field_slot *s;

	if (id < 0 || id >= CW_F__ALL)
		return -EINVAL;
	s = &slots[id];
	if (id == CW_F_EVT_TYPE) {
		for (uint32_t i = 1; i < CW_SYS__MAX; i++) {
			if (!strcmp(syscall_name(i), str)) {
				rec->syscall = i;
				return 0;
			}
		}
		return -EINVAL;
	}
	if (id == CW_F_PROC_ANAME) {
		if (index < 0 || index > CW_ANCESTORS)
			return -EINVAL;
		record_strlcpy(rec->aname[index], str, sizeof(rec->aname[index]));
		return 0;
	}
	if (s->info.type != CW_FT_STR || !s->size)
		return -EINVAL;
	record_strlcpy((char *)rec + s->offset, str, s->size);
	return 0;
}

int field_set_u64(struct cw_record *rec, int id, int index, uint64_t v)
{
	const struct field_slot *s;

	if (id < 0 || id >= CW_F__ALL)
		return -EINVAL;
	s = &slots[id];
	if (id == CW_F_PROC_APID) {
		if (index < 0 || index > CW_ANCESTORS)
			return -EINVAL;
		rec->apid[index] = v;
		return 0;
	}
	if (!s->size)
		return -EINVAL;
	switch (s->info.type) {
	case CW_FT_U64:
	case CW_FT_S64:
		memcpy((char *)rec + s->offset, &v, 8);
		return 0;
	case CW_FT_BOOL:
		*(int8_t *)((char *)rec + s->offset) = v == (uint64_t)CW_UNKNOWN ?
			CW_UNKNOWN : (v ? CW_TRUE : CW_FALSE);
		return 0;
	default:
		return -EINVAL;
	}
}

const char *field_format(const struct cw_value *v, char *buf, size_t size)
{
	if (!v->is_set)
		return "<NA>";
	switch (v->type) {
	case CW_FT_STR:
		return v->str;
	case CW_FT_U64:
		snprintf(buf, size, "%" PRIu64, v->u64);
		return buf;
	case CW_FT_S64:
		snprintf(buf, size, "%" PRId64, v->s64);
		return buf;
	case CW_FT_BOOL:
		return v->u64 ? "true" : "false";
	}
	return "<NA>";
}

void field_caps_format(uint64_t caps, char *buf, size_t size)
{
	size_t o = 0;

	if (!size)
		return;
	for (size_t i = 0; i < sizeof(cap_names) / sizeof(cap_names[0]); i++) {
		size_t n = strlen(cap_names[i]);

		if (!(caps & (1ull << i)))
			continue;
		if (o + (o != 0) + n + 1 > size)
			break;
		if (o)
			buf[o++] = ' ';
		memcpy(buf + o, cap_names[i], n);
		o += n;
	}
	buf[o] = '\0';
}
