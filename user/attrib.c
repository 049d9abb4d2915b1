// SPDX-License-Identifier: Apache-2.0
/* attrib.c - the per-event attribution facade: reader, owner, user, lineage, exec. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "attrib.h"
#include "fields.h"
#include "fileio.h"
#include "cgroup.h"
#include "k8s.h"
#include "kubeconfig.h"
#include "log.h"
#include "nodeagents.h"
#include "lru.h"
#include "passwd.h"
#include "pods.h"
#include "rootfs.h"
#include "sensor.h"
#include "redact.h"
#include "procfs.h"

#define USER_CACHE_MAX		4096	/* (container, mnt ns, uid) -> name */
#define USER_TTL_MS		60000	/* passwd files change rarely */
#define USER_NEG_TTL_MS		10000
#define EXEC_CACHE_MAX		1024	/* container -> its init process */
#define CHAIN_PROC_MAX		32	/* ancestors read from /proc past the kernel's 5 */
#define PROCS_MAX		4096	/* cgroup.procs entries examined */
/*
 * (parent pid, parent comm) -> proc.pcmdline. Reading /proc/<ppid>/stat and
 * cmdline per event was a fifth of the agent's hit-path CPU; a process
 * hammering a token has the same parent for every event. Short-lived: a
 * parent that execs or a pid reused under the same comm within the TTL is
 * the window in which the cached line may be stale.
 */
#define PCMD_CACHE_MAX		128
#define PCMD_TTL_MS		1000

struct user_val {
	uint32_t uid, mnt_ns;
	char cid[CG_ID_MAX];
	char name[PASSWD_NAME_MAX];
	uint64_t expires_ms;
};

struct pcmd_val {
	uint32_t ppid;
	char comm[CW_COMM_LEN];
	uint64_t expires_ms;
	char cmdline[CW_REC_CMDLINE_MAX];	/* "" when unknown */
	char exe[CW_ARGS_MAX + 4];		/* its argv[0], "" when unknown */
};

struct exec_val {
	char cid[CG_ID_MAX];
	uint32_t init_pid;
	uint64_t init_start;	/* starttime, to notice pid reuse */
	bool init_has_tty;
};

struct attrib {
	char root[PATH_MAX];	/* host root prefix; "" for "/" */
	char node[256];
	struct cgroup_cache *cg;
	struct pods *pods;
	struct k8s *k8s;
	struct lru *users, *execs, *pcmds;
	struct redact *redact;	/* borrowed; NULL: --no-redact */
	const struct node_agents *agents;	/* borrowed; NULL: no inventory */
	uint32_t host_mnt_ns;
	bool pidns_own;		/* the agent is not in the initial pid namespace */
	uint64_t fills;
	bool warned_rootfs;	/* said once that a container's root is out of reach */
	uint32_t wants;		/* enum cw_want: on-demand fields the rules need */
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int proc_stat(const struct attrib *a, uint32_t pid, struct procfs_stat *ps)
{
	return procfs_stat(a->root, pid, ps);
}

bool attrib_is_runtime_shim(const char *comm)
{
	/* comm is cut at 15 bytes: containerd-shim-runc-v2 is "containerd-shim". */
	return !strncmp(comm, "containerd-shim", 15) || !strcmp(comm, "conmon") ||
	       !strncmp(comm, "docker-containe", 15) || !strncmp(comm, "runc", 4) ||
	       !strncmp(comm, "crun", 4);
}

void attrib_cmdline_format(const char *comm, const char *args, size_t len, char *out,
			   size_t size)
{
	size_t o, i = 0;

	if (!size)
		return;
	o = strnlen(comm, CW_COMM_LEN);
	if (o >= size)
		o = size - 1;
	memcpy(out, comm, o);
	/* argv[0] is replaced by comm, as in Falco's proc.cmdline. */
	while (i < len && args[i])
		i++;
	while (++i < len && o + 1 < size) {
		out[o++] = ' ';
		for (; i < len && args[i]; i++) {
			unsigned char ch = (unsigned char)args[i];

			if (ch >= 0x20 && ch != 0x7f) {
				if (o + 1 >= size)
					break;
				out[o++] = (char)ch;
			} else {
				if (o + 5 >= size)
					break;
				o += (size_t)snprintf(out + o, size - o, "\\x%02x", ch);
			}
		}
	}
	out[o] = '\0';
}

void attrib_node_name(const char *flag, char *buf, size_t size)
{
	const char *env = getenv("NODE_NAME");

	if (flag && flag[0])
		snprintf(buf, size, "%s", flag);
	else if (env && env[0])
		snprintf(buf, size, "%s", env);
	else if (gethostname(buf, size))
		buf[0] = '\0';
	buf[size - 1] = '\0';
}

static uint32_t read_mnt_ns(const char *root, const char *pid)
{
	char path[PATH_MAX + 32], link[64];
	unsigned long ns = 0;
	ssize_t n;

	snprintf(path, sizeof(path), "%s/proc/%s/ns/mnt", root, pid);
	n = readlink(path, link, sizeof(link) - 1);
	if (n <= 0)
		return 0;
	link[n] = '\0';
	if (sscanf(link, "mnt:[%lu]", &ns) != 1)
		return 0;
	return (uint32_t)ns;
}

/*
 * Whether we run in a pid namespace of our own: NSpid lists more than one
 * pid when read through the host's procfs (our own /proc shows only ours).
 */
static bool own_pidns(const char *root)
{
	char path[PATH_MAX + 32], buf[4096], *l;
	int n = 0;

	snprintf(path, sizeof(path), "%s/proc/self/status", root);
	if (read_file_small(path, buf, sizeof(buf)) <= 0)
		return false;
	l = strstr(buf, "\nNSpid:");
	if (!l)
		return false;
	for (l += 7; *l && *l != '\n'; l++)
		if ((*l == ' ' || *l == '\t') && l[1] >= '0' && l[1] <= '9')
			n++;
	return n > 1;
}

static int setup_api(struct attrib *a, const struct attrib_opts *o)
{
	struct k8s_opts ko = { .node_name = a->node };
	struct kube_config *cfg = NULL;

	if (o->kubeconfig) {
		if (kube_config_load_file(o->kubeconfig, &cfg))
			return -EINVAL;	/* logged with the file and the reason */
	} else if (o->in_cluster) {
		if (kube_config_in_cluster(NULL, &cfg))
			return 0;	/* not in a pod: node-local only (logged) */
	} else {
		return 0;
	}
	if (!a->node[0]) {
		log_error("attrib: no node name: set --node-name or NODE_NAME");
		kube_config_free(cfg);
		return -EINVAL;
	}
	ko.config = cfg;
	a->k8s = k8s__new(&ko);	/* owns cfg from here */
	if (!a->k8s)
		return -errno;
	return 0;
}

int attrib_start(struct attrib *a)
{
	int err;

	if (!a->k8s)
		return 0;
	err = k8s__start(a->k8s);
	if (err)
		log_error("attrib: k8s: start thread: %s", strerror(-err));
	return err;
}

int attrib_new(struct attrib **out, const struct attrib_opts *opts)
{
	struct attrib_opts none = { 0 };
	const struct attrib_opts *o = opts ? opts : &none;
	struct cgroup_cache_opts co = { 0 };
	struct pods_opts po = { 0 };
	char cgroot[PATH_MAX];
	struct attrib *a;
	int err;

	*out = NULL;
	a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	snprintf(a->root, sizeof(a->root), "%s",
		 o->host_root && strcmp(o->host_root, "/") ? o->host_root : "");
	while (a->root[0] && a->root[strlen(a->root) - 1] == '/')
		a->root[strlen(a->root) - 1] = '\0';
	attrib_node_name(o->node_name, a->node, sizeof(a->node));

	if (o->cgroup_root) {
		snprintf(cgroot, sizeof(cgroot), "%s", o->cgroup_root);
	} else if (cgroup_root_detect(o->host_root ? o->host_root : "/", cgroot, sizeof(cgroot))) {
		log_warn("attrib: no cgroup2 mount found (host root %s): container attribution "
			 "off; set --cgroup-root", o->host_root ? o->host_root : "/");
		cgroot[0] = '\0';
	}
	if (cgroot[0]) {
		co.root = cgroot;
		co.max_entries = o->cache_max;
		a->cg = cgroup_cache__new(&co);
		if (!a->cg) {
			err = -errno;
			log_error("attrib: --cgroup-root %s: %s", cgroot, strerror(-err));
			err = -EINVAL;
			goto cleanup;
		}
	}
	po.host_root = o->host_root;
	a->pods = pods__new(&po);
	a->users = lru__new(USER_CACHE_MAX, sizeof(struct user_val));
	a->execs = lru__new(EXEC_CACHE_MAX, sizeof(struct exec_val));
	a->pcmds = lru__new(PCMD_CACHE_MAX, sizeof(struct pcmd_val));
	if (!a->pods || !a->users || !a->execs || !a->pcmds) {
		err = -ENOMEM;
		goto cleanup;
	}
	a->redact = o->redact;
	a->agents = o->agents;
	a->host_mnt_ns = read_mnt_ns(a->root, "1");
	a->pidns_own = own_pidns(a->root);
	err = setup_api(a, o);
	if (err)
		goto cleanup;
	*out = a;
	return 0;
cleanup:
	attrib_free(a);
	return err;
}

void attrib_free(struct attrib *a)
{
	if (!a)
		return;
	k8s__free(a->k8s);
	cgroup_cache__free(a->cg);
	pods__free(a->pods);
	lru__free(a->users);
	lru__free(a->execs);
	lru__free(a->pcmds);
	free(a);
}

/* The oldest process of the reader's cgroup is the container's init. */
static bool container_init(struct attrib *a, const struct cw_event *e,
			   const struct cgroup_attr *ca, struct exec_val *out)
{
	uint64_t key = lru_hash_str(ca->container_id);
	struct exec_val *v = lru__get(a->execs, key);
	char rel[PATH_MAX], path[PATH_MAX * 2 + 32], *buf = NULL, *line, *save = NULL;
	struct exec_val best = { .init_pid = 0 };
	struct procfs_stat ps;
	int n = 0;

	if (v && !strcmp(v->cid, ca->container_id) && !proc_stat(a, v->init_pid, &ps) &&
	    ps.start_ticks == v->init_start) {
		*out = *v;
		return true;
	}
	if (!a->cg || cgroup_cache__path(a->cg, e->cgroup_id, rel, sizeof(rel)))
		return false;
	snprintf(path, sizeof(path), "%s/%s/cgroup.procs", cgroup_cache__root(a->cg), rel);
	buf = malloc(PROCS_MAX * 12);
	if (!buf || read_file_small(path, buf, PROCS_MAX * 12) <= 0) {
		free(buf);
		return false;
	}
	for (line = strtok_r(buf, "\n", &save); line && n < PROCS_MAX;
	     line = strtok_r(NULL, "\n", &save), n++) {
		uint32_t pid = (uint32_t)strtoul(line, NULL, 10);

		if (!pid || proc_stat(a, pid, &ps))
			continue;
		if (!best.init_pid || ps.start_ticks < best.init_start ||
		    (ps.start_ticks == best.init_start && pid < best.init_pid)) {
			best.init_pid = pid;
			best.init_start = ps.start_ticks;
			best.init_has_tty = ps.tty_nr != 0;
		}
	}
	free(buf);
	if (!best.init_pid)
		return false;
	snprintf(best.cid, sizeof(best.cid), "%s", ca->container_id);
	v = lru__put(a->execs, key);
	if (v)
		*v = best;
	*out = best;
	return true;
}

/*
 * Exec session: the reader's ancestry reaches the runtime shim through a
 * process that is not the container's init (or never reaches the shim).
 */
static int8_t exec_session(struct attrib *a, const struct cw_event *e,
			   const struct cgroup_attr *ca)
{
	struct { uint32_t pid; char comm[CW_COMM_LEN]; } ch[1 + CW_ANCESTORS + CHAIN_PROC_MAX];
	size_t n = 0;
	int s = -1;
	bool ended = false;
	struct exec_val init;
	struct procfs_stat ps;

	if (ca->kind == CG_HOST)
		return CW_FALSE;
	if (ca->kind != CG_CONTAINER)
		return CW_UNKNOWN;
	ch[n].pid = e->tgid;
	memcpy(ch[n++].comm, e->comm, CW_COMM_LEN);
	for (size_t i = 0; i < CW_ANCESTORS; i++) {
		if (!e->anc[i].tgid) {
			ended = true;
			break;
		}
		ch[n].pid = e->anc[i].tgid;
		memcpy(ch[n++].comm, e->anc[i].comm, CW_COMM_LEN);
	}
	for (size_t i = 0; i < n; i++)
		ch[i].comm[CW_COMM_LEN - 1] = '\0';
	for (size_t i = 1; i < n && s < 0; i++)
		if (attrib_is_runtime_shim(ch[i].comm))
			s = (int)i;
	/* The kernel kept 5 ancestors; a deeper tree continues in /proc. */
	while (s < 0 && !ended && n < sizeof(ch) / sizeof(ch[0])) {
		if (proc_stat(a, ch[n - 1].pid, &ps))
			break;
		if (!ps.ppid) {
			ended = true;
			break;
		}
		ch[n].pid = ps.ppid;
		if (proc_stat(a, ps.ppid, &ps))
			break;
		memcpy(ch[n].comm, ps.comm, CW_COMM_LEN);
		if (attrib_is_runtime_shim(ch[n].comm))
			s = (int)n;
		n++;
	}
	if (s < 0)	/* entered the container from outside (nsenter, setns) */
		return ended ? CW_TRUE : CW_UNKNOWN;
	if (!strncmp(ch[s].comm, "runc", 4) || !strncmp(ch[s].comm, "crun", 4))
		return CW_TRUE;	/* the OCI runtime is still setting up an exec */
	/* ch[s - 1], the shim's child: the kernel said what it is (credwatch.h) */
	if (s - 1 <= CW_ANCESTORS) {
		if (e->flags & CW_EVF_NSINIT(s - 1))	/* its container's init */
			return e->tty && !proc_stat(a, ch[s - 1].pid, &ps) && !ps.tty_nr ?
			       CW_TRUE : CW_FALSE;	/* a terminal init never had */
		/*
		 * In the container's own pid namespace but not its pid 1: an exec.
		 * Or a pod sharing one process namespace (pause is pid 1): only
		 * cgroup.procs, in the host's pid namespace, tells those apart.
		 */
		if (!(e->flags & CW_EVF_HOSTPID(s - 1)) && a->pidns_own)
			return CW_TRUE;
	}
	/* cgroup.procs lists pids of our own pid namespace: useless from another */
	if (a->pidns_own)
		return CW_UNKNOWN;
	if (!container_init(a, e, ca, &init))
		return CW_UNKNOWN;
	if (ch[s - 1].pid != init.init_pid)
		return CW_TRUE;
	if (e->tty && !init.init_has_tty)
		return CW_TRUE;	/* a terminal the container's init never had */
	return CW_FALSE;
}

/*
 * The name of uid as the reader sees it, cached: from the reader's own
 * /etc/passwd, since a container has its own users and a name from the
 * host's database would be a stranger's. Its root comes from rootfs_open(),
 * which needs no ptrace access (rootfs.h).
 */
static void user_name(struct attrib *a, const struct cw_event *e, const struct cgroup_attr *ca,
		      uint32_t uid, char *out, size_t size)
{
	const char *cid = ca->kind == CG_CONTAINER || ca->kind == CG_POD ? ca->container_id : "host";
	uint64_t key = lru_hash_str(cid) ^ (((uint64_t)e->mnt_ns << 32) | uid);
	struct user_val *v = lru__get(a->users, key);
	char root[PATH_MAX + 32], name[PASSWD_NAME_MAX] = "";
	bool own = ca->kind != CG_HOST || (a->host_mnt_ns && e->mnt_ns != a->host_mnt_ns);
	int err, rfd;

	if (v && v->uid == uid && v->mnt_ns == e->mnt_ns && !strcmp(v->cid, cid) &&
	    v->expires_ms > now_ms()) {
		record_strlcpy(out, v->name, size);
		return;
	}
	if (own) {
		snprintf(root, sizeof(root), "%s/proc", a->root);
		rfd = rootfs_open(root, e->tgid, dev_from_kernel(e->root_dev), e->root_ino);
		err = rfd < 0 ? rfd : passwd_lookup_at(rfd, uid, name, sizeof(name));
		if (rfd >= 0)
			close(rfd);
		if (rfd < 0 && !a->warned_rootfs) {
			a->warned_rootfs = true;
			log_warn("attrib: user.name: the root filesystem of pid %u (container %.12s) "
				 "is not visible to the agent: %s; mount the container runtime's "
				 "rootfs directory (chart value runtime.rootfsDirs)", e->tgid,
				 ca->container_id[0] ? ca->container_id : "?", strerror(-rfd));
		}
	} else {
		snprintf(root, sizeof(root), "%s/", a->root);
		err = passwd_lookup(root, uid, name, sizeof(name));
	}
	v = lru__put(a->users, key);
	if (v) {
		v->uid = uid;
		v->mnt_ns = e->mnt_ns;
		snprintf(v->cid, sizeof(v->cid), "%s", cid);
		snprintf(v->name, sizeof(v->name), "%s", err ? "" : name);
		v->expires_ms = now_ms() + (err ? USER_NEG_TTL_MS : USER_TTL_MS);
	}
	record_strlcpy(out, err ? "" : name, size);
}

static void fill_user(struct attrib *a, struct cw_record *rec, const struct cw_event *e,
		      const struct cgroup_attr *ca)
{
	user_name(a, e, ca, e->uid, rec->user_name, sizeof(rec->user_name));
	/* user.loginname: Falco's name of the audit login uid; unset is (u32)-1 */
	if ((a->wants & CW_WANT_LOGINNAME) && e->loginuid != UINT32_MAX)
		user_name(a, e, ca, e->loginuid, rec->user_loginname, sizeof(rec->user_loginname));
}

/*
 * proc.pcmdline (and proc.pexe, its argv[0]) from /proc, only when the
 * parent is still the same process; redacted here, before it is formatted
 * or cached, as the kernel's argv is in event_to_record().
 */
static void read_pcmdline(struct attrib *a, uint32_t ppid, const char *comm, struct pcmd_val *v)
{
	char path[PATH_MAX + 32], args[CW_ARGS_MAX], clean[REDACT_OUT_SIZE(CW_ARGS_MAX)];
	const char *argv = args;
	struct procfs_stat ps;
	bool cut;
	ssize_t n;
	int fd;

	v->cmdline[0] = v->exe[0] = '\0';
	/* A reused pid would lend us a stranger's command line. */
	if (proc_stat(a, ppid, &ps) || strcmp(ps.comm, comm))
		return;
	snprintf(path, sizeof(path), "%s/proc/%u/cmdline", a->root, ppid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, args, sizeof(args));
	close(fd);
	if (n <= 0)
		return;
	if (a->redact) {
		/* a full buffer may have cut the last argument inside a secret */
		n = (ssize_t)redact_argv(a->redact, comm, args, (size_t)n,
					 (size_t)n == sizeof(args), clean, sizeof(clean), &cut);
		argv = clean;
	}
	attrib_cmdline_format(comm, argv, (size_t)n, v->cmdline, sizeof(v->cmdline));
	n = (ssize_t)strnlen(argv, (size_t)n);		/* argv[0] */
	if ((size_t)n >= sizeof(v->exe))
		n = sizeof(v->exe) - 1;
	memcpy(v->exe, argv, (size_t)n);
	v->exe[n] = '\0';
}

static void fill_pcmdline(struct attrib *a, struct cw_record *rec, const struct cw_event *e)
{
	uint32_t ppid = rec->ppid ? (uint32_t)rec->ppid : e->anc[0].tgid;
	char comm[CW_COMM_LEN];
	struct pcmd_val *v, tmp;
	uint64_t key, now;

	if (rec->proc_pcmdline[0] || !ppid)
		return;
	memcpy(comm, e->anc[0].comm, CW_COMM_LEN);
	comm[CW_COMM_LEN - 1] = '\0';
	key = lru_hash_str(comm) ^ ((uint64_t)ppid * 0x9e3779b97f4a7c15ull);
	now = now_ms();
	v = lru__get(a->pcmds, key);
	if (!v || v->ppid != ppid || strcmp(v->comm, comm) || v->expires_ms <= now) {
		v = lru__put(a->pcmds, key);
		if (!v)		/* no memory for the cache: read it uncached */
			v = &tmp;
		v->ppid = ppid;
		memcpy(v->comm, comm, sizeof(v->comm));
		v->expires_ms = now + PCMD_TTL_MS;
		read_pcmdline(a, ppid, comm, v);
	}
	record_strlcpy(rec->proc_pcmdline, v->cmdline, sizeof(rec->proc_pcmdline));
	record_strlcpy(rec->proc_pexe, v->exe, sizeof(rec->proc_pexe));
}

/*
 * proc.is_host_mntns and proc.node_agent: what the reader cannot choose.
 * The host's mount namespace is the kernel's (pid 1's, found at a hit),
 * else the inventory's (re-read on each scan), else the one read at start.
 */
static void fill_identity(struct attrib *a, struct cw_record *rec, const struct cw_event *e)
{
	uint32_t host = node_agents__host_mnt_ns(a->agents);
	const struct node_agent *na;

	if (!host)
		host = a->host_mnt_ns;
	if (e->flags & CW_EVF_MNTNS_KNOWN)
		rec->is_host_mntns = e->flags & CW_EVF_HOST_MNTNS ? CW_TRUE : CW_FALSE;
	else if (host && e->mnt_ns)
		rec->is_host_mntns = e->mnt_ns == host ? CW_TRUE : CW_FALSE;
	if (rec->is_host_mntns == CW_TRUE &&
	    (na = node_agents__find(a->agents, e->exe_ino, e->exe_dev)))
		record_strlcpy(rec->node_agent, na->name, sizeof(rec->node_agent));
}

/*
 * proc.aexepath[N] that /proc could not give (the ancestor exited, or the
 * ptrace check refused it, as it does under the chart's capabilities for
 * host processes): the host path of the inventory's file with the inode
 * the kernel captured, for an ancestor running a registered node agent.
 */
static void fill_aexepaths_by_inode(struct attrib *a, struct cw_record *rec,
				    const struct cw_event *e)
{
	for (int i = 0; i < CW_ANCESTORS && e->anc[i].tgid; i++) {
		char *out = i ? rec->aexepath[i - 1] : rec->proc_pexepath;
		size_t size = i ? sizeof(rec->aexepath[0]) : sizeof(rec->proc_pexepath);
		const struct node_agent *na;

		if (!out[0] && (na = node_agents__find(a->agents, e->anc[i].exe_ino,
							e->anc[i].exe_dev)))
			record_strlcpy(out, na->path, size);
	}
}

void attrib_set_wants(struct attrib *a, uint32_t wants)
{
	if (a)
		a->wants = wants;
}

/* Attributed to a pod, a container outside pods, or the host. */
static bool cgroup_known(const struct cgroup_attr *ca)
{
	return ca->pod_uid[0] || ca->kind == CG_HOST || ca->kind == CG_CONTAINER;
}

/* What cred.same_pod compares: the pod uid, else the container id, else "host". */
static const char *cgroup_scope(const struct cgroup_attr *ca)
{
	if (ca->pod_uid[0])
		return ca->pod_uid;
	return ca->kind == CG_CONTAINER ? ca->container_id : "host";
}

/*
 * environ_owner - the owner side of an environ read: the cgroup of the
 * process whose environment it was, captured by the kernel at the open,
 * attributed like the reader's (the process may be gone by now).
 */
static void environ_owner(struct attrib *a, struct cw_record *rec, const struct cw_event *e,
			  struct cgroup_attr *oa)
{
	if (!a->cg || !e->owner_cgroup_id || cgroup_cache__lookup(a->cg, e->owner_cgroup_id, oa)) {
		oa->kind = CG_UNKNOWN;
		oa->pod_uid[0] = '\0';
		return;
	}
	record_strlcpy(rec->owner_pod_uid, oa->pod_uid, sizeof(rec->owner_pod_uid));
}

void attrib_fill(struct attrib *a, struct cw_record *rec, const struct cw_event *e)
{
	struct cgroup_attr ca = { .kind = CG_UNKNOWN }, oa = { .kind = CG_UNKNOWN };
	struct k8s_pod_view kv;
	struct pod_ident pi;
	char cname[PODS_CTR_NAME_MAX];

	a->fills++;
	if (!rec->cgroup_id)
		rec->cgroup_id = e->cgroup_id;
	if (a->cg)
		cgroup_cache__lookup(a->cg, e->cgroup_id, &ca);

	/* Reader: container and pod. */
	if (ca.kind == CG_HOST) {
		record_strlcpy(rec->container_id, "host", sizeof(rec->container_id));
		record_strlcpy(rec->systemd_unit, ca.unit, sizeof(rec->systemd_unit));
	}
	else if (ca.kind == CG_CONTAINER)
		snprintf(rec->container_id, sizeof(rec->container_id), "%.*s",
			 ATTRIB_SHORT_ID_LEN, ca.container_id);
	if (ca.pod_uid[0]) {
		record_strlcpy(rec->pod_uid, ca.pod_uid, sizeof(rec->pod_uid));
		if (!pods__lookup(a->pods, ca.pod_uid, &pi)) {
			record_strlcpy(rec->ns_name, pi.ns, sizeof(rec->ns_name));
			record_strlcpy(rec->pod_name, pi.name, sizeof(rec->pod_name));
		}
	}
	if (ca.kind == CG_CONTAINER &&
	    !pods__container(a->pods, ca.container_id, cname, sizeof(cname), NULL, 0))
		record_strlcpy(rec->container_name, cname, sizeof(rec->container_name));
	if (ca.pod_uid[0] && !k8s__lookup(a->k8s, ca.pod_uid, ca.container_id, NULL, &kv)) {
		record_strlcpy(rec->pod_sa, kv.sa, sizeof(rec->pod_sa));
		if (!rec->ns_name[0])
			record_strlcpy(rec->ns_name, kv.ns, sizeof(rec->ns_name));
		if (!rec->pod_name[0])
			record_strlcpy(rec->pod_name, kv.name, sizeof(rec->pod_name));
		if (kv.container_name[0])
			record_strlcpy(rec->container_name, kv.container_name,
				       sizeof(rec->container_name));
		if (kv.container_image[0])
			record_strlcpy(rec->container_image, kv.container_image,
				       sizeof(rec->container_image));
		if (kv.container_found)
			rec->container_privileged = kv.container_privileged ? CW_TRUE : CW_FALSE;
	}

	/* Owner: the pod whose volume holds the credential, or whose environment was read. */
	if (e->flags & CW_EVF_ENVIRON)
		environ_owner(a, rec, e, &oa);
	if (rec->owner_pod_uid[0]) {
		if (!pods__lookup(a->pods, rec->owner_pod_uid, &pi)) {
			record_strlcpy(rec->owner_ns, pi.ns, sizeof(rec->owner_ns));
			record_strlcpy(rec->owner_pod, pi.name, sizeof(rec->owner_pod));
		}
		if (!k8s__lookup(a->k8s, rec->owner_pod_uid, NULL, rec->secret_name, &kv)) {
			record_strlcpy(rec->owner_sa, kv.sa, sizeof(rec->owner_sa));
			if (!rec->owner_ns[0])
				record_strlcpy(rec->owner_ns, kv.ns, sizeof(rec->owner_ns));
			if (!rec->owner_pod[0])
				record_strlcpy(rec->owner_pod, kv.name, sizeof(rec->owner_pod));
			/* The Secret's name when the volume maps to one; else the volume's. */
			if (kv.secret_name[0])
				record_strlcpy(rec->secret_name, kv.secret_name,
					       sizeof(rec->secret_name));
		}
	}
	if (rec->pod_uid[0] && rec->owner_pod_uid[0])
		rec->same_pod = strcmp(rec->pod_uid, rec->owner_pod_uid) ? CW_FALSE : CW_TRUE;
	else if (ca.kind == CG_HOST && rec->owner_pod_uid[0])
		rec->same_pod = CW_FALSE;
	else if ((e->flags & CW_EVF_ENVIRON) && cgroup_known(&ca) && cgroup_known(&oa))
		rec->same_pod = strcmp(cgroup_scope(&ca), cgroup_scope(&oa)) ? CW_FALSE : CW_TRUE;
	else
		rec->same_pod = CW_UNKNOWN;

	fill_identity(a, rec, e);
	fill_user(a, rec, e, &ca);
	fill_pcmdline(a, rec, e);
	rec->is_exec_session = exec_session(a, e, &ca);
	rec->evt_num = a->fills;
	procfs_fill(a->root, rec, e, a->wants);
	if (a->wants & CW_WANT_PEXEPATH)
		fill_aexepaths_by_inode(a, rec, e);
}

void attrib_stats(struct attrib *a, struct attrib_stats *st)
{
	struct cgroup_cache_stats cs;
	struct pods_stats ps;
	struct k8s_stats ks;

	memset(st, 0, sizeof(*st));
	if (a->cg) {
		cgroup_cache__stats(a->cg, &cs);
		st->cgroup_entries = cs.entries;
		st->cgroup_max = cs.max_entries;
		st->cgroup_hits = cs.hits;
		st->cgroup_misses = cs.misses;
		st->cgroup_evictions = cs.evictions;
		st->cgroup_walks = cs.walks;
		st->cgroup_not_found = cs.not_found;
	}
	pods__stats(a->pods, &ps);
	st->pods_local = ps.pods;
	st->pods_scans = ps.scans;
	st->user_entries = lru__count(a->users);
	st->exec_entries = lru__count(a->execs);
	st->api_state = "disabled";
	st->fills = a->fills;
	if (!a->k8s)
		return;
	k8s__stats(a->k8s, &ks);
	st->api_configured = true;
	st->api_state = k8s_state_name(ks.state);
	st->api_synced = ks.synced;
	st->api_pods = ks.pods;
	st->api_lists = ks.lists;
	st->api_watches = ks.watches;
	st->api_events = ks.events;
	st->api_gone = ks.gone;
	st->api_errors = ks.errors;
}

bool attrib_pod_lookup(struct attrib *a, const char *pod_uid, char *ns, size_t ns_size,
		       char *name, size_t name_size, char *sa, size_t sa_size)
{
	struct k8s_pod_view kv;
	struct pod_ident pi;
	bool found = false;

	ns[0] = name[0] = sa[0] = '\0';
	if (!a || !pod_uid[0])
		return false;
	if (!pods__lookup(a->pods, pod_uid, &pi)) {
		snprintf(ns, ns_size, "%s", pi.ns);
		snprintf(name, name_size, "%s", pi.name);
		found = true;
	}
	if (!k8s__lookup(a->k8s, pod_uid, NULL, NULL, &kv)) {
		snprintf(sa, sa_size, "%s", kv.sa);
		if (!ns[0])
			snprintf(ns, ns_size, "%s", kv.ns);
		if (!name[0])
			snprintf(name, name_size, "%s", kv.name);
		found = true;
	}
	return found;
}

bool attrib_cgroup_pod(struct attrib *a, uint64_t cgroup_id, char *uid, size_t uid_size,
		       char *ns, size_t ns_size, char *name, size_t name_size)
{
	struct cgroup_attr ca = { .kind = CG_UNKNOWN };
	char sa[CW_REC_NAME_MAX];

	uid[0] = ns[0] = name[0] = '\0';
	if (!a || !a->cg || cgroup_cache__lookup(a->cg, cgroup_id, &ca) || !ca.pod_uid[0])
		return false;
	snprintf(uid, uid_size, "%s", ca.pod_uid);
	attrib_pod_lookup(a, ca.pod_uid, ns, ns_size, name, name_size, sa, sizeof(sa));
	return true;
}

bool attrib_node_identity(struct attrib *a, struct cluster_identity *out)
{
	return a && k8s__node_identity(a->k8s, out);
}
