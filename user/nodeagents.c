// SPDX-License-Identifier: Apache-2.0
/* nodeagents.c - the node agents' executables by (device, inode): see nodeagents.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "log.h"
#include "nodeagents.h"
#include "procfs.h"
#include "sensor.h"

#define NODE_AGENTS_MAX		1024	/* entries; a node has a few dozen */

static const char *const default_names[] = {
	"kubelet", "containerd", "containerd-shim", "containerd-shim-runc-v1",
	"containerd-shim-runc-v2", "runc", "crun", "crio", "conmon", "dockerd", "docker-init",
	"cri-dockerd", "kube-proxy", "calico-node", "cilium-agent", "flanneld", "kube-router",
	"aws-k8s-agent", "antrea-agent", "kube-apiserver", "etcd", "kube-controller-manager",
	"kube-scheduler", "cloud-controller-manager", NULL,
};

static const char *const default_paths[] = {
	"/usr/bin/kubelet", "/usr/local/bin/kubelet",
	"/usr/bin/containerd", "/usr/local/bin/containerd",
	"/usr/bin/containerd-shim-runc-v2", "/usr/local/bin/containerd-shim-runc-v2",
	"/usr/bin/runc", "/usr/sbin/runc", "/usr/local/sbin/runc", "/usr/bin/crun",
	"/usr/bin/crio", "/usr/local/bin/crio", "/usr/bin/conmon", "/usr/libexec/crio/conmon",
	"/usr/bin/dockerd", "/usr/bin/kube-proxy", "/usr/local/bin/kube-proxy",
	"/usr/bin/kubectl", "/usr/local/bin/kubectl", "/usr/local/bin/helm", NULL,
};

struct node_agents {
	char root[PATH_MAX];		/* host root prefix; "" for "/" */
	const char *proc_root;		/* root, or "" when root has no /proc */
	char **names;
	int n_names;
	char **paths;
	int n_paths;
	uint32_t host_mnt_ns;
	struct node_agent *v;		/* sorted by (kdev, ino) */
	size_t n;
};

const char *const *node_agents_default_names(size_t *n)
{
	*n = sizeof(default_names) / sizeof(default_names[0]) - 1;
	return default_names;
}

const char *const *node_agents_default_paths(size_t *n)
{
	*n = sizeof(default_paths) / sizeof(default_paths[0]) - 1;
	return default_paths;
}

static const struct opt_desc nodeagents_option_list[] = {
	OPT_LIST(struct nodeagents_opts, names, "node-agents", "NAME", "kubelet, containerd, "
		 "containerd-shim-runc-v2, runc, crio, conmon, kube-proxy, calico-node, "
		 "cilium-agent and more (--print-config lists them)", "base names of node-agent "
		 "executables looked for in the host's process table at start and on SIGHUP: a "
		 "process of the host's mount namespace running one registers its executable's "
		 "(device, inode) as proc.node_agent; replaces the list",
		 .def_list = node_agents_default_names),
	OPT_LIST(struct nodeagents_opts, paths, "node-agent-paths", "PATH", "/usr/bin/kubelet, "
		 "/usr/local/bin/kubelet, /usr/bin/containerd, /usr/bin/runc, /usr/bin/kubectl "
		 "and more (--print-config lists them)", "host paths (inside --host-root) of "
		 "node-agent executables registered by (device, inode) whether or not they run; "
		 "each must be root's and not writable by group or others; replaces the list",
		 .def_list = node_agents_default_paths),
};

const struct opt_table nodeagents_options = OPT_TABLE(nodeagents_option_list, NULL, NULL);

static char **strv_dup(char *const *v, int n)
{
	char **out = calloc((size_t)n + 1, sizeof(*out));

	if (!out)
		return NULL;
	for (int i = 0; i < n; i++) {
		out[i] = strdup(v[i]);
		if (!out[i]) {
			for (int j = 0; j < i; j++)
				free(out[j]);
			free(out);
			return NULL;
		}
	}
	return out;
}

static void strv_free(char **v, int n)
{
	for (int i = 0; v && i < n; i++)
		free(v[i]);
	free(v);
}

/* Root's, and neither group nor others may write it. */
static bool owned_by_root(const struct stat *st)
{
	return st->st_uid == 0 && !(st->st_mode & (S_IWGRP | S_IWOTH));
}

/*
 * stat a host path below the host root: absolute symlinks and ".." stay in
 * it (RESOLVE_IN_ROOT), as the host would resolve them. 0 or -errno.
 */
static int stat_in_root(const char *root, const char *path, struct stat *st)
{
	struct open_how how = {
		.flags = O_PATH | O_CLOEXEC,
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	int dfd, fd, err = 0;

	dfd = open(root[0] ? root : "/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	while (*path == '/')
		path++;
	fd = (int)syscall(SYS_openat2, dfd, path[0] ? path : ".", &how, sizeof(how));
	if (fd < 0 && errno == ENOSYS)	/* before 5.6: only a plain root is safe */
		fd = root[0] ? -1 : openat(dfd, path, O_PATH | O_CLOEXEC);
	if (fd < 0 || fstat(fd, st))
		err = errno ? -errno : -ENOENT;
	if (fd >= 0)
		close(fd);
	close(dfd);
	return err;
}

/*
 * The checks every entry passes: the file is root's and not writable by
 * group or others, and so is the directory holding it (a hard link of a
 * root binary in a directory someone else controls is not the agent).
 */
static int trusted_file(const char *root, const char *path, const struct stat *file,
			const char **why)
{
	char dir[PATH_MAX];
	struct stat st;
	char *slash;

	if (!S_ISREG(file->st_mode)) {
		*why = "not a regular file";
		return -EPERM;
	}
	if (!owned_by_root(file)) {
		*why = "not root's, or writable by group or others";
		return -EPERM;
	}
	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash) {
		*why = "not an absolute path";
		return -EPERM;
	}
	slash[slash == dir ? 1 : 0] = '\0';
	if (stat_in_root(root, dir, &st) || !owned_by_root(&st)) {
		*why = "its directory is not root's, or is writable by group or others";
		return -EPERM;
	}
	return 0;
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

static bool name_listed(const struct node_agents *na, const char *name)
{
	for (int i = 0; i < na->n_names; i++)
		if (!strcmp(na->names[i], name))
			return true;
	return false;
}

static int entry_cmp(const void *a, const void *b)
{
	const struct node_agent *x = a, *y = b;

	if (x->kdev != y->kdev)
		return x->kdev < y->kdev ? -1 : 1;
	return x->ino < y->ino ? -1 : x->ino > y->ino;
}

struct scan {
	struct node_agent *v;
	size_t n, cap;
};

static int scan_add(struct scan *s, const struct stat *st, const char *path, const char *source)
{
	struct node_agent *e;

	for (size_t i = 0; i < s->n; i++)
		if (s->v[i].ino == st->st_ino && s->v[i].kdev == dev_to_kernel(st->st_dev))
			return 0;	/* one entry per inode: the first name found */
	if (s->n == NODE_AGENTS_MAX)
		return 0;
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 32;
		struct node_agent *v = realloc(s->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		s->v = v;
		s->cap = cap;
	}
	e = &s->v[s->n++];
	memset(e, 0, sizeof(*e));
	e->ino = st->st_ino;
	e->kdev = dev_to_kernel(st->st_dev);
	snprintf(e->name, sizeof(e->name), "%s", base_name(path));
	snprintf(e->path, sizeof(e->path), "%s", path);
	snprintf(e->source, sizeof(e->source), "%s", source);
	return 0;
}

/* Processes of the host's mount namespace running a listed executable. */
static int scan_proc(struct node_agents *na, struct scan *s)
{
	char proc[PATH_MAX + 8], path[PATH_MAX + 64], exe[PATH_MAX];
	struct dirent *de;
	struct stat st, at;
	const char *why;
	DIR *d;
	int err = 0;

	snprintf(proc, sizeof(proc), "%s/proc", na->proc_root);
	d = opendir(proc);
	if (!d)
		return 0;
	while (!err && (de = readdir(d))) {
		ssize_t n;

		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		if (procfs_mnt_ns(na->proc_root, de->d_name) != na->host_mnt_ns)
			continue;
		snprintf(path, sizeof(path), "%s/%s/exe", proc, de->d_name);
		n = readlink(path, exe, sizeof(exe) - 1);
		if (n <= 0 || exe[0] != '/')
			continue;	/* a kernel thread, gone, or refused */
		exe[n] = '\0';
		if (!name_listed(na, base_name(exe)) || stat(path, &st))
			continue;
		/* the file the path names now must be the one running */
		if (stat_in_root(na->proc_root, exe, &at) || at.st_ino != st.st_ino ||
		    at.st_dev != st.st_dev)
			continue;
		if (trusted_file(na->proc_root, exe, &st, &why)) {
			log_warn("node agents: pid %s runs %s: not registered: %s",
				 de->d_name, exe, why);
			continue;
		}
		err = scan_add(s, &st, exe, "proc");
	}
	closedir(d);
	return err;
}

static int scan_paths(struct node_agents *na, struct scan *s)
{
	const char *why;
	struct stat st;
	int err = 0;

	for (int i = 0; !err && i < na->n_paths; i++) {
		const char *p = na->paths[i];

		if (stat_in_root(na->root, p, &st))
			continue;	/* not installed on this node */
		if (trusted_file(na->root, p, &st, &why)) {
			log_warn("node agents: --node-agent-paths %s: not registered: %s", p, why);
			continue;
		}
		err = scan_add(s, &st, p, "config");
	}
	return err;
}

int node_agents_scan(struct node_agents *na)
{
	struct scan s = { 0 };
	int err;

	/*
	 * The host's process table: <host-root>/proc when it has one (the
	 * chart mounts the host's /proc there), else the agent's own /proc
	 * (hostPID, or a --host-root that is a tree of files only).
	 */
	na->host_mnt_ns = procfs_mnt_ns(na->root, "1");
	na->proc_root = na->root;
	if (!na->host_mnt_ns && na->root[0]) {
		na->proc_root = "";
		na->host_mnt_ns = procfs_mnt_ns("", "1");
	}
	err = scan_paths(na, &s);
	if (!err && na->host_mnt_ns)
		err = scan_proc(na, &s);
	if (err) {
		free(s.v);
		return err;
	}
	if (s.n)
		qsort(s.v, s.n, sizeof(*s.v), entry_cmp);
	free(na->v);
	na->v = s.v;
	na->n = s.n;
	return (int)s.n;
}

int node_agents_new(struct node_agents **out, const struct node_agents_opts *o)
{
	struct node_agents *na = calloc(1, sizeof(*na));
	int err;

	*out = NULL;
	if (!na)
		return -ENOMEM;
	if (o->host_root && strcmp(o->host_root, "/"))
		snprintf(na->root, sizeof(na->root), "%s", o->host_root);
	na->names = strv_dup(o->names, o->n_names);
	na->paths = strv_dup(o->paths, o->n_paths);
	na->n_names = o->n_names;
	na->n_paths = o->n_paths;
	if (!na->names || !na->paths) {
		node_agents_free(na);
		return -ENOMEM;
	}
	err = node_agents_scan(na);
	if (err < 0) {
		node_agents_free(na);
		return err;
	}
	*out = na;
	return 0;
}

void node_agents_free(struct node_agents *na)
{
	if (!na)
		return;
	strv_free(na->names, na->n_names);
	strv_free(na->paths, na->n_paths);
	free(na->v);
	free(na);
}

uint32_t node_agents_host_mnt_ns(const struct node_agents *na)
{
	return na ? na->host_mnt_ns : 0;
}

const struct node_agent *node_agents_find(const struct node_agents *na, uint64_t ino,
					   uint32_t kdev)
{
	struct node_agent key = { .ino = ino, .kdev = kdev };

	if (!na || !na->n || !ino)
		return NULL;
	return bsearch(&key, na->v, na->n, sizeof(*na->v), entry_cmp);
}

const struct node_agent *node_agents_get(const struct node_agents *na, size_t i)
{
	return na && i < na->n ? &na->v[i] : NULL;
}

size_t node_agents_count(const struct node_agents *na)
{
	return na ? na->n : 0;
}
