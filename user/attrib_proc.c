// SPDX-License-Identifier: Apache-2.0
/*
 * attrib_proc.c - who read it, from the process side: whether the reader
 * is in an exec session (kubectl exec, nsenter) rather than the
 * container's own tree, its user name from the container's own passwd,
 * its parent's command line (redacted) from /proc, and Falco's
 * proc.cmdline shape. Cached per container, user and parent.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "attrib_int.h"
#include "clock.h"
#include "fields.h"
#include "fileio.h"
#include "hash.h"
#include "log.h"
#include "lru.h"
#include "passwd.h"
#include "procfs.h"
#include "redact.h"
#include "rootfs.h"
#include "sensor.h"

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

/* The oldest process of the reader's cgroup is the container's init. */
static bool container_init(struct attrib *a, const struct cw_event *e,
			   const struct cgroup_attr *ca, struct exec_val *out)
{
	uint64_t key = hash_fnv64_str(HASH_FNV64_INIT, ca->container_id);
	struct exec_val *v = lru_get(a->execs, key);
	char rel[PATH_MAX], path[PATH_MAX * 2 + 32], *buf = NULL, *line, *save = NULL;
	struct exec_val best = { .init_pid = 0 };
	struct procfs_stat ps;
	int n = 0;

	if (v && !strcmp(v->cid, ca->container_id) && !proc_stat(a, v->init_pid, &ps) &&
	    ps.start_ticks == v->init_start) {
		*out = *v;
		return true;
	}
	if (!a->cg || cgroup_cache_path(a->cg, e->cgroup_id, rel, sizeof(rel)))
		return false;
	snprintf(path, sizeof(path), "%s/%s/cgroup.procs", cgroup_cache_root(a->cg), rel);
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
	v = lru_put(a->execs, key);
	if (v)
		*v = best;
	*out = best;
	return true;
}

/*
 * Exec session: the reader's ancestry reaches the runtime shim through a
 * process that is not the container's init (or never reaches the shim).
 */
int8_t attrib_exec_session(struct attrib *a, const struct cw_event *e,
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
	uint64_t key = hash_fnv64_str(HASH_FNV64_INIT, cid) ^ (((uint64_t)e->mnt_ns << 32) | uid);
	struct user_val *v = lru_get(a->users, key);
	char root[PATH_MAX + 32], name[PASSWD_NAME_MAX] = "";
	bool own = ca->kind != CG_HOST || (a->host_mnt_ns && e->mnt_ns != a->host_mnt_ns);
	int err, rfd;

	if (v && v->uid == uid && v->mnt_ns == e->mnt_ns && !strcmp(v->cid, cid) &&
	    v->expires_ms > clock_ms(CLOCK_MONOTONIC)) {
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
	v = lru_put(a->users, key);
	if (v) {
		v->uid = uid;
		v->mnt_ns = e->mnt_ns;
		snprintf(v->cid, sizeof(v->cid), "%s", cid);
		snprintf(v->name, sizeof(v->name), "%s", err ? "" : name);
		v->expires_ms = clock_ms(CLOCK_MONOTONIC) + (err ? USER_NEG_TTL_MS : USER_TTL_MS);
	}
	record_strlcpy(out, err ? "" : name, size);
}

void attrib_fill_user(struct attrib *a, struct cw_record *rec, const struct cw_event *e,
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

void attrib_fill_pcmdline(struct attrib *a, struct cw_record *rec, const struct cw_event *e)
{
	uint32_t ppid = rec->ppid ? (uint32_t)rec->ppid : e->anc[0].tgid;
	char comm[CW_COMM_LEN];
	struct pcmd_val *v, tmp;
	uint64_t key, now;

	if (rec->proc_pcmdline[0] || !ppid)
		return;
	memcpy(comm, e->anc[0].comm, CW_COMM_LEN);
	comm[CW_COMM_LEN - 1] = '\0';
	key = hash_fnv64_str(HASH_FNV64_INIT, comm) ^ ((uint64_t)ppid * 0x9e3779b97f4a7c15ull);
	now = clock_ms(CLOCK_MONOTONIC);
	v = lru_get(a->pcmds, key);
	if (!v || v->ppid != ppid || strcmp(v->comm, comm) || v->expires_ms <= now) {
		v = lru_put(a->pcmds, key);
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
 * io_uring and open_by_handle_at carry no path argument: name the fd by
 * what the process's fd table says now, else by the credential's path.
 */
void attrib_fd_name(const struct attrib *a, struct cw_record *rec)
{
	char link[PATH_MAX + 64];
	ssize_t n;

	if (rec->fd_name[0])
		return;
	snprintf(link, sizeof(link), "%s/%" PRIu64 "/fd/%" PRId64, a->proc_root, rec->pid,
		 rec->res);
	n = readlink(link, rec->fd_name, sizeof(rec->fd_name) - 1);
	if (n > 0) {
		rec->fd_name[n] = '\0';
		return;
	}
	record_strlcpy(rec->fd_name, rec->cred_path, sizeof(rec->fd_name));
}
