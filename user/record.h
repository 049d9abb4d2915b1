/* SPDX-License-Identifier: Apache-2.0 */
/*
 * record.h - one credential access as every consumer sees it.
 *
 * The sensor turns a kernel struct cw_event into a struct cw_record;
 * attribution fills the container, pod and owner parts; rules, the
 * --events stream, alerts, dumps and credwatch-inspect read it through the
 * field table in fields.h, never by poking at members directly. Strings are
 * fixed buffers so that evaluating a rule or writing an event allocates
 * nothing. An empty string means "not known" and is printed as <NA>.
 */
#ifndef CW_RECORD_H
#define CW_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "../bpf/credwatch.h"

#define CW_REC_NAME_MAX		256	/* names, ids, namespaces */
#define CW_REC_PATH_MAX		(CW_PATH_MAX + 64)
#define CW_REC_CMDLINE_MAX	(CW_ARGS_MAX * 4 + 32)	/* escaped argv */
#define CW_REC_CAPS_MAX		768	/* every capability name, space-separated */
/*
 * Ancestors past the kernel's CW_ANCESTORS, read from /proc at attribution
 * time when a rule asks for them (proc.aname[N], unindexed proc.aname):
 * proc.aname[N] takes N in 0..CW_REC_ANC_MAX.
 */
#define CW_REC_ANC_MAX		32
#define CW_REC_ANC_EXTRA	(CW_REC_ANC_MAX - CW_ANCESTORS)

/*
 * cred.kind: the one place kinds are defined (the kernel only carries the
 * number in cw_watch_val.kind). Names in record.c, meanings in the README's
 * field table and docs/catalog.md; new kinds go at the end (dumps and the
 * findings state keep the names, the map keeps the numbers).
 */
enum cw_cred_kind {
	CW_CRED_SA_TOKEN = 0,
	CW_CRED_SECRET,
	CW_CRED_KUBECONFIG,
	CW_CRED_PKI,
	CW_CRED_CLOUD,
	CW_CRED_CUSTOM,
	CW_CRED_REGISTRY,	/* container registry logins (docker, podman, kubelet, helm) */
	CW_CRED_SSH,		/* SSH private keys, user and host */
	CW_CRED_ETCD,		/* etcd data and the API server's encryption-at-rest keys */
	CW_CRED_CI,		/* CI runner registration credentials */
	CW_CRED_TOKEN,		/* other bearer tokens: cluster join, Vault, git credential stores */
	CW_CRED__MAX,
};

/*
 * cred.kind of a read of another process's /proc/<pid>/environ
 * (CW_EVF_ENVIRON): no watched file, so no enum cw_cred_kind (catalogs and
 * --watch cannot name it).
 */
#define CW_CRED_KIND_ENVIRON	"environ"

const char *cred_kind_name(enum cw_cred_kind kind);
/* Returns the kind for a name, or -EINVAL. */
int cred_kind_parse(const char *name);

/* A boolean field that may be unknown. */
enum cw_tristate {
	CW_UNKNOWN = -1,
	CW_FALSE = 0,
	CW_TRUE = 1,
};

struct cw_record {
	/* evt.* */
	uint64_t time_ns;		/* evt.time: ns since the Unix epoch */
	int64_t res;			/* evt.res: fd, or -errno */
	uint32_t syscall;		/* enum cw_syscall -> evt.type */
	uint64_t count;			/* evt.count: opens this record stands for, 1 but
					 * for an aggregated record (user/repeats.c) */

	/* proc.*, user.* */
	uint64_t pid, tid, ppid, sid, tty;
	uint64_t uid, gid, loginuid;
	char proc_name[CW_COMM_LEN + 1];
	char proc_exepath[CW_REC_PATH_MAX];
	char proc_cmdline[CW_REC_CMDLINE_MAX];
	char proc_pname[CW_COMM_LEN + 1];
	char proc_pcmdline[CW_REC_CMDLINE_MAX];
	uint64_t apid[CW_ANCESTORS + 1];	/* [0] is the process itself */
	char aname[CW_ANCESTORS + 1][CW_COMM_LEN + 1];
	char user_name[CW_REC_NAME_MAX];
	int8_t is_exec_session;		/* enum cw_tristate */
	/*
	 * What the reader cannot choose: its executable's identity as the
	 * kernel captured it ([0] the reader, [1 + n] anc[n]; 0 unknown) and
	 * whether it runs in the host's mount namespace (user/nodeagents.h).
	 */
	uint64_t aexe_ino[CW_ANCESTORS + 1];	/* proc.exe_ino is [0] */
	uint64_t aexe_dev[CW_ANCESTORS + 1];	/* st_dev encoding; proc.exe_dev is [0] */
	int8_t is_host_mntns;		/* proc.is_host_mntns: enum cw_tristate */
	char node_agent[64];		/* proc.node_agent: inventory name, "" none */
	char systemd_unit[128];		/* proc.systemd_unit: host service, "" none */

	/* Falco's process fields; the ones read from /proc are "" or 0 when unknown */
	uint64_t evt_num;		/* evt.num: the agent's event sequence, 0 unset */
	char proc_exe[CW_ARGS_MAX + 4];	/* proc.exe: argv[0] as captured */
	char proc_pexe[CW_ARGS_MAX + 4];	/* proc.pexe: the parent's argv[0] */
	char proc_pexepath[CW_REC_PATH_MAX];	/* proc.pexepath */
	char aexepath[CW_ANCESTORS - 1][CW_REC_PATH_MAX];	/* proc.aexepath[2..5] */
	uint64_t proc_start_ns;		/* proc.pid.ts: process start, ns since the epoch */
	uint64_t vpid;			/* proc.vpid: pid in its own pid namespace */
	char proc_sname[CW_COMM_LEN + 1];	/* proc.sname: session leader's comm */
	char user_loginname[CW_REC_NAME_MAX];	/* user.loginname */
	char cap_effective[CW_REC_CAPS_MAX];	/* thread.cap_*: Falco's "CAP_A CAP_B" */
	char cap_permitted[CW_REC_CAPS_MAX];
	char cap_inheritable[CW_REC_CAPS_MAX];
	uint8_t nanc_extra;		/* ancestors past CW_ANCESTORS below */
	uint64_t apid_extra[CW_REC_ANC_EXTRA];	/* proc.apid[CW_ANCESTORS + 1 + i] */
	char aname_extra[CW_REC_ANC_EXTRA][CW_COMM_LEN + 1];

	/* fd.* */
	char fd_name[CW_REC_PATH_MAX];	/* the path passed; an absolute one normalized */
	char fd_nameraw[CW_REC_PATH_MAX];	/* the path exactly as passed */
	char fd_flags[160];		/* "O_RDONLY|O_CLOEXEC" */
	uint64_t fd_ino, fd_dev;	/* fd.dev in userspace st_dev encoding */
	uint64_t open_flags;		/* raw O_* bits */
	uint64_t cgroup_id, mnt_ns, pid_ns;

	/* container.*, k8s.* (the reader) */
	char container_id[CW_REC_NAME_MAX];	/* "host" outside containers */
	char container_name[CW_REC_NAME_MAX];
	char container_image[CW_REC_NAME_MAX];	/* container.image.repository */
	int8_t container_privileged;	/* container.privileged: enum cw_tristate */
	char ns_name[CW_REC_NAME_MAX];
	char pod_name[CW_REC_NAME_MAX];
	char pod_uid[CW_REC_NAME_MAX];
	char pod_sa[CW_REC_NAME_MAX];

	/* cred.* (whose credential it was) */
	uint32_t cred_id;
	char cred_kind[16];
	char cred_path[CW_REC_PATH_MAX];
	char owner_ns[CW_REC_NAME_MAX];
	char owner_pod[CW_REC_NAME_MAX];
	char owner_pod_uid[CW_REC_NAME_MAX];
	char owner_sa[CW_REC_NAME_MAX];
	uint64_t owner_pid;		/* cred.owner.pid: whose environ was read, 0 unset */
	char secret_name[CW_REC_NAME_MAX];
	int8_t same_pod;		/* enum cw_tristate */

	/* where */
	char cluster_name[CW_REC_NAME_MAX];
	char cloud_provider[64];
	char cloud_region[64];

	uint32_t ev_flags;		/* CW_EVF_* from the kernel */
};

/*
 * Set every string empty (its first byte: bytes past a NUL are not
 * cleared), every tristate unknown, every number 0 but evt.count, which is
 * 1 (one open; a dump written before evt.count existed reads as 1 each).
 */
void record_reset(struct cw_record *rec);

/*
 * record_pack / record_unpack (record_pack.c) - a record in as few bytes
 * as its contents need (strings to their NUL), for keeping many in memory
 * (user/repeats.c keeps each aggregated key's first record). Process-local:
 * the bytes are not a file format. record_pack returns the bytes needed,
 * writing them when they fit in size (call with size 0 to measure).
 * record_unpack returns 0, or -EINVAL for bytes record_pack did not make.
 * Every member of struct cw_record is listed in record_pack.c's table
 * (test_record_pack checks that none is missing).
 */
size_t record_pack(const struct cw_record *rec, unsigned char *buf, size_t size);
int record_unpack(struct cw_record *rec, const unsigned char *buf, size_t len);

/* One member of struct cw_record, for record_pack and its test. */
struct record_member {
	size_t offset, size, align;
	int is_string;
};
const struct record_member *record_members(size_t *n);

/* evt.type name for an enum cw_syscall; "unknown" when out of range. */
const char *syscall_name(uint32_t syscall);

/* Render O_* flags as "O_RDONLY|O_CLOEXEC" into buf. */
void open_flags_format(uint64_t flags, char *buf, size_t size);

/* Copy src into a fixed buffer, always NUL-terminated. */
void record_strlcpy(char *dst, const char *src, size_t size);

/*
 * record_path_normalize - an absolute path as Falco's fd.name shows it:
 * "." components and repeated '/' dropped, ".." removing the component
 * before it (lexically, as libsinsp does; symlinks are not followed), no
 * trailing '/'. A relative path is copied unchanged. dst may not alias src.
 */
void record_path_normalize(const char *src, char *dst, size_t size);

#endif /* CW_RECORD_H */
