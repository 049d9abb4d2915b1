// SPDX-License-Identifier: Apache-2.0
/*
 * watch.c - credential discovery under --host-root and live updates.
 *
 * Credentials are grouped: "host" (kubeconfigs, PKI, cloud, --watch) and
 * "pod:<uid>" (one pod's volumes). A rescan recomputes one group and diffs
 * it against the table, so a token rotation - kubelet's atomic writer
 * swapping a new ..<timestamp> directory in behind ..data - costs one
 * pod's readdirs, never a node-wide scan. inotify tells which group moved.
 *
 * kubelet mounts a tmpfs on a volume directory before writing into it: a
 * watch on the directory underneath hears nothing more. So the mount table
 * is followed too: a mount or unmount of a volume rescans its pod, and the
 * rescan's inotify_add_watch() of the volume path then lands on the new
 * filesystem's root. Every rescan confirms the watches its group still
 * needs and removes the others (a covered directory, the root of a
 * filesystem unmounted here but kept alive by a container's namespace), so
 * watches never outlive what they watched. A periodic re-check of a few
 * pods per tick is the safety net: what it finds, the live path missed,
 * and it is counted and logged as such.
 *
 * Only stat(), lstat(), readdir() and inotify are used: a credential file
 * is never opened.
 */
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fsident.h"
#include "json.h"
#include "log.h"
#include "mountinfo.h"
#include "sensor.h"
#include "watch.h"

#define KUBELET_PODS	"/var/lib/kubelet/pods"
#define WD_BUCKETS	1024
#define GROUP_BUCKETS	4096
#define DIR_EVENTS	(IN_CREATE | IN_DELETE | IN_MOVED_TO | IN_MOVED_FROM | \
			 IN_DELETE_SELF | IN_ONLYDIR)
#define MAX_DIRTY	4096
#define UID_MAX_LEN	64	/* longer names under the pods directory are not pods */
#define RECHECK_SWEEP	256	/* table entries a re-check tick looks at for deleted pods */
/* mount table re-reads take at most 1/(1+N) of the loop under a mount storm */
#define MOUNT_READ_BACKOFF	4

struct wd_entry {
	int wd;
	bool pinned;		/* wanted by two groups: only the kernel removes it */
	uint32_t seen;		/* scan generation that last confirmed it */
	char group[80];		/* group to rescan, or "pods" */
	struct wd_entry *next;	/* in wds[wd % WD_BUCKETS] */
	struct wd_entry *gnext, **gprev;	/* in gwds[hash(group)] */
};

/* Candidates found by one group scan. */
struct found {
	struct cred_entry *v;
	size_t n, cap;
};

struct watch {
	char root[PATH_MAX];	/* host root without trailing '/'; "" for "/" */
	char **extra;
	int nextra, max_depth;
	struct creds *table;
	struct watch_sink sink;
	struct fsident *fsid;		/* what the kernel will see of each file */
	int ifd;
	struct wd_entry *wds[WD_BUCKETS];
	struct wd_entry **gwds;		/* GROUP_BUCKETS chains, by group */
	uint32_t gen;			/* scan generation, for wd_entry.seen */
	char (*dirty)[80];
	int ndirty;
	bool dirty_all;
	bool add_warned;

	/* the mount table (mountinfo.h) */
	int mfd;			/* /proc/self/mountinfo, or -1 */
	char pods_dir[PATH_MAX];	/* the pods directory as the mount table spells it */
	bool pods_dir_real;		/* realpath() resolved it */
	struct kvol_set mounts, next_mounts;
	bool mounts_changed;		/* a re-read is due */
	bool mounts_warned;
	uint64_t mounts_not_before_ns;	/* re-read back-off under a mount storm */

	/* the periodic re-check */
	uint64_t recheck_ns, recheck_next_ns;
	long recheck_pos;		/* where the last tick stopped in the pods dir; -1: start */
	uint32_t sweep_cursor;		/* where it stopped in the table */

	struct watch_stats stats;
};

static const char *const volume_plugins[] = { "kubernetes.io~projected", "kubernetes.io~secret" };

/* Host credential locations: (glob under host root, kind, recursive). */
static const struct host_glob {
	const char *pattern;
	enum cw_cred_kind kind;
	bool recursive;
} host_globs[] = {
	{ "/etc/kubernetes/*.conf", CW_CRED_KUBECONFIG, false },
	{ "/var/lib/kubelet/kubeconfig", CW_CRED_KUBECONFIG, false },
	{ "/root/.kube/config", CW_CRED_KUBECONFIG, false },
	{ "/home/*/.kube/config", CW_CRED_KUBECONFIG, false },
	{ "/etc/rancher/k3s/k3s.yaml", CW_CRED_KUBECONFIG, false },
	{ "/etc/rancher/rke2/rke2.yaml", CW_CRED_KUBECONFIG, false },
	{ "/var/lib/kube-proxy/kubeconfig.conf", CW_CRED_KUBECONFIG, false },
	{ "/etc/kubernetes/pki/*.key", CW_CRED_PKI, true },
	{ "/var/lib/kubelet/pki/*.pem", CW_CRED_PKI, false },
	{ "/var/lib/kubelet/pki/*.key", CW_CRED_PKI, false },
	{ "/root/.aws/credentials", CW_CRED_CLOUD, false },
	{ "/home/*/.aws/credentials", CW_CRED_CLOUD, false },
	{ "/root/.config/gcloud/*", CW_CRED_CLOUD, true },
	{ "/home/*/.config/gcloud/*", CW_CRED_CLOUD, true },
	{ "/root/.azure/*", CW_CRED_CLOUD, false },
	{ "/home/*/.azure/*", CW_CRED_CLOUD, false },
};

/* Keep a copy of c, its path (the first string) owning all its strings. */
static int found_push(struct found *f, const struct cred_entry *c)
{
	size_t lp = strlen(c->path), lg = strlen(c->group);
	size_t lu = c->pod_uid ? strlen(c->pod_uid) : 0, lv = c->volume ? strlen(c->volume) : 0;
	struct cred_entry *e;
	char *buf;

	if (f->n == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 16;
		struct cred_entry *v = realloc(f->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		f->v = v;
		f->cap = cap;
	}
	buf = malloc(lp + lg + lu + lv + 4);
	if (!buf)
		return -ENOMEM;
	e = &f->v[f->n++];
	*e = *c;
	/* e->path = buf, not memcpy's return: cppcheck then sees who owns buf */
	memcpy(buf, c->path, lp + 1);
	e->path = buf;
	e->group = memcpy(buf + lp + 1, c->group, lg + 1);
	e->pod_uid = memcpy(buf + lp + lg + 2, c->pod_uid ? c->pod_uid : "", lu + 1);
	e->volume = memcpy(buf + lp + lg + lu + 3, c->volume ? c->volume : "", lv + 1);
	e->secret_name = "";
	return 0;
}

static void found_free(struct found *f)
{
	for (size_t i = 0; i < f->n; i++)
		free((char *)f->v[i].path);
	free(f->v);
}

static void host_path(const struct watch *w, const char *hpath, char *out, size_t size)
{
	snprintf(out, size, "%s%s", w->root, hpath);
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static uint32_t path_hash(const char *s)
{
	uint32_t h = 2166136261u;	/* FNV-1a */

	while (*s)
		h = (h ^ (uint8_t)*s++) * 16777619u;
	return h;
}

static struct wd_entry *wd_find(const struct watch *w, int wd)
{
	for (struct wd_entry *e = w->wds[wd % WD_BUCKETS]; e; e = e->next)
		if (e->wd == wd)
			return e;
	return NULL;
}

/*
 * Watch a directory for group. inotify answers one wd per inode, so the
 * same path after a mount on it is a new wd (the new filesystem's root),
 * and the old one is left for the group's sweep.
 */
static void wd_add(struct watch *w, const char *dir, const char *group)
{
	struct wd_entry *e, **head;
	char path[PATH_MAX];
	int wd;

	if (w->ifd < 0)
		return;
	host_path(w, dir, path, sizeof(path));
	wd = inotify_add_watch(w->ifd, path, DIR_EVENTS);
	if (wd < 0) {
		if (errno == ENOSPC && !w->add_warned) {
			log_warn("watch: %s: inotify: %s (raise fs.inotify.max_user_watches); "
				 "changes there are picked up by the periodic re-check or on "
				 "SIGHUP only", path, strerror(errno));
			w->add_warned = true;
		}
		return;
	}
	e = wd_find(w, wd);
	if (e) {
		if (strcmp(e->group, group))
			e->pinned = true;	/* two groups: neither sweep may drop it */
		e->seen = w->gen;
		return;
	}
	e = calloc(1, sizeof(*e));
	if (!e) {
		inotify_rm_watch(w->ifd, wd);
		return;
	}
	e->wd = wd;
	e->seen = w->gen;
	snprintf(e->group, sizeof(e->group), "%s", group);
	e->next = w->wds[wd % WD_BUCKETS];
	w->wds[wd % WD_BUCKETS] = e;
	head = &w->gwds[path_hash(e->group) % GROUP_BUCKETS];
	e->gnext = *head;
	if (*head)
		(*head)->gprev = &e->gnext;
	e->gprev = head;
	*head = e;
	w->stats.inotify_watches++;
}

static void wd_unlink(struct watch *w, struct wd_entry *e)
{
	struct wd_entry **link = &w->wds[e->wd % WD_BUCKETS];

	while (*link && *link != e)
		link = &(*link)->next;
	if (*link)
		*link = e->next;
	*e->gprev = e->gnext;
	if (e->gnext)
		e->gnext->gprev = e->gprev;
	free(e);
	w->stats.inotify_watches--;
}

/* The kernel dropped the watch (IN_IGNORED): forget it. */
static void wd_forget(struct watch *w, int wd)
{
	struct wd_entry *e = wd_find(w, wd);

	if (e)
		wd_unlink(w, e);
}

/*
 * After a complete scan of group: remove its watches the scan did not
 * confirm - a directory now covered by a mount, a filesystem unmounted here
 * that a container's namespace keeps alive, a directory gone. Its IN_IGNORED
 * then finds no entry.
 */
static void wd_sweep_group(struct watch *w, const char *group)
{
	struct wd_entry *e = w->gwds[path_hash(group) % GROUP_BUCKETS], *next;

	for (; e; e = next) {
		next = e->gnext;
		if (e->seen == w->gen || e->pinned || strcmp(e->group, group))
			continue;
		inotify_rm_watch(w->ifd, e->wd);
		wd_unlink(w, e);
	}
}

int watch_classify_volume_file(const char *plugin, const char *name, bool has_sa_keys,
			       bool *legacy_token)
{
	*legacy_token = false;
	if (name[0] == '.')
		return -1;		/* ..data, ..<timestamp>: atomic-writer internals */
	if (!strcmp(plugin, "kubernetes.io~projected")) {
		/* kube-api-access-*: token is secret; ca.crt and namespace are public */
		if (strstr(name, "token"))
			return CW_CRED_SA_TOKEN;
		if (!strcmp(name, "ca.crt") || !strcmp(name, "namespace"))
			return -1;
		return CW_CRED_SECRET;
	}
	if (!strcmp(plugin, "kubernetes.io~secret")) {
		if (has_sa_keys && !strcmp(name, "token")) {
			*legacy_token = true;
			return CW_CRED_SA_TOKEN;
		}
		return CW_CRED_SECRET;
	}
	return -1;
}

/* c's identity from st, and how the kernel will see it (path: the file, with the host root) */
static void fill_identity(struct watch *w, struct cred_entry *c, const char *path,
			  const struct stat *st)
{
	struct fs_ident id;

	fsident_resolve(w->fsid, path, st, &id);
	c->ino = st->st_ino;
	c->dev = st->st_dev;
	c->kdev = dev_to_kernel(st->st_dev);
	c->sb_kdev = id.key.sb_kdev;
	c->match = id.key.match;
	c->has_layer = id.has_layer;
	c->layer = id.layer;
	memcpy(c->fstype, id.fstype, sizeof(c->fstype));
	c->unmatched = id.unmatched;
	c->mode = st->st_mode & 07777;
	c->uid = st->st_uid;
	c->gid = st->st_gid;
}

/* Add hpath (a host path) as a credential if it is a regular file. */
static int consider_file(struct watch *w, struct found *f, const char *hpath,
			 enum cw_cred_kind kind, const char *group)
{
	struct cred_entry c;
	char path[PATH_MAX];
	struct stat st;

	host_path(w, hpath, path, sizeof(path));
	if (stat(path, &st) || !S_ISREG(st.st_mode))
		return 0;
	memset(&c, 0, sizeof(c));
	c.kind = kind;
	c.group = group;
	c.path = hpath;
	fill_identity(w, &c, path, &st);
	return found_push(f, &c);
}

/* Regular files under a host directory, depth-bounded, not following dir symlinks. */
static int scan_tree(struct watch *w, struct found *f, const char *hdir, const char *pattern,
		     enum cw_cred_kind kind, int depth)
{
	char path[PATH_MAX], child[PATH_MAX];
	struct dirent *de;
	DIR *d;
	int err = 0;

	host_path(w, hdir, path, sizeof(path));
	d = opendir(path);
	if (!d)
		return 0;
	wd_add(w, hdir, "host");
	while (!err && (de = readdir(d))) {
		struct stat st;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") ||
		    !strncmp(de->d_name, "..", 2))
			continue;
		if ((size_t)snprintf(child, sizeof(child), "%s/%s",
				     strcmp(hdir, "/") ? hdir : "", de->d_name) >= sizeof(child))
			continue;
		host_path(w, child, path, sizeof(path));
		if (lstat(path, &st))
			continue;
		if (S_ISDIR(st.st_mode)) {
			if (depth < w->max_depth)
				err = scan_tree(w, f, child, pattern, kind, depth + 1);
			continue;
		}
		if (pattern && fnmatch(pattern, de->d_name, 0))
			continue;
		err = consider_file(w, f, child, kind, "host");
	}
	closedir(d);
	return err;
}

/*
 * Expand one glob segment by segment under the host root; '*' matches
 * within a path component. Uses readdir so nothing is opened but dirs.
 */
static int expand_glob(struct watch *w, struct found *f, const char *prefix, const char *rest,
		       const struct host_glob *g)
{
	char seg[NAME_MAX + 1], next[PATH_MAX], path[PATH_MAX];
	const char *slash;
	struct dirent *de;
	size_t len;
	DIR *d;
	int err = 0;

	while (*rest == '/')
		rest++;
	slash = strchr(rest, '/');
	len = slash ? (size_t)(slash - rest) : strlen(rest);
	if (len == 0 || len > NAME_MAX)
		return 0;
	memcpy(seg, rest, len);
	seg[len] = '\0';

	if (!strpbrk(seg, "*?[")) {
		snprintf(next, sizeof(next), "%s/%s", prefix, seg);
		if (slash)
			return expand_glob(w, f, next, slash, g);
		return consider_file(w, f, next, g->kind, "host");
	}
	if (!slash && g->recursive) {
		/* last segment of a recursive glob: match file names at any depth */
		return scan_tree(w, f, prefix[0] ? prefix : "/", seg, g->kind, 0);
	}
	host_path(w, prefix[0] ? prefix : "/", path, sizeof(path));
	d = opendir(path);
	if (!d)
		return 0;
	if (!slash)
		wd_add(w, prefix[0] ? prefix : "/", "host");
	while (!err && (de = readdir(d))) {
		if (de->d_name[0] == '.' || fnmatch(seg, de->d_name, 0))
			continue;
		snprintf(next, sizeof(next), "%s/%s", prefix, de->d_name);
		if (slash)
			err = expand_glob(w, f, next, slash, g);
		else
			err = consider_file(w, f, next, g->kind, "host");
	}
	closedir(d);
	return err;
}

static int collect_host(struct watch *w, struct found *f)
{
	int err;

	for (size_t i = 0; i < sizeof(host_globs) / sizeof(host_globs[0]); i++) {
		err = expand_glob(w, f, "", host_globs[i].pattern, &host_globs[i]);
		if (err)
			return err;
	}
	for (int i = 0; i < w->nextra; i++) {
		char path[PATH_MAX];
		struct stat st;

		host_path(w, w->extra[i], path, sizeof(path));
		if (stat(path, &st)) {
			log_warn("watch: %s: %s (watched once it exists; SIGHUP rescans)",
				 path, strerror(errno));
			continue;
		}
		err = S_ISDIR(st.st_mode) ?
		      scan_tree(w, f, w->extra[i], NULL, CW_CRED_CUSTOM, 0) :
		      consider_file(w, f, w->extra[i], CW_CRED_CUSTOM, "host");
		if (err)
			return err;
	}
	return 0;
}

static bool volume_has_sa_keys(const char *vdir)
{
	static const char *const keys[] = { "token", "ca.crt", "namespace" };
	char path[PATH_MAX];
	struct stat st;

	for (int i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/%s", vdir, keys[i]);
		if (stat(path, &st))
			return false;
	}
	return true;
}

static int collect_pod(struct watch *w, struct found *f, const char *uid, const char *group)
{
	const char *const *plugins = volume_plugins;
	char hdir[PATH_MAX], path[PATH_MAX];
	int err = 0;

	snprintf(hdir, sizeof(hdir), KUBELET_PODS "/%s", uid);
	wd_add(w, hdir, group);
	snprintf(hdir, sizeof(hdir), KUBELET_PODS "/%s/volumes", uid);
	wd_add(w, hdir, group);
	for (size_t p = 0; p < sizeof(volume_plugins) / sizeof(volume_plugins[0]) && !err; p++) {
		struct dirent *vde;
		DIR *pd;

		snprintf(hdir, sizeof(hdir), KUBELET_PODS "/%s/volumes/%s", uid, plugins[p]);
		host_path(w, hdir, path, sizeof(path));
		pd = opendir(path);
		if (!pd)
			continue;
		wd_add(w, hdir, group);
		while (!err && (vde = readdir(pd))) {
			char vhdir[PATH_MAX], vpath[PATH_MAX];
			struct dirent *de;
			bool sa_keys;
			DIR *vd;

			if (vde->d_name[0] == '.')
				continue;
			snprintf(vhdir, sizeof(vhdir), "%s/%s", hdir, vde->d_name);
			host_path(w, vhdir, vpath, sizeof(vpath));
			vd = opendir(vpath);
			if (!vd)
				continue;
			wd_add(w, vhdir, group);
			sa_keys = p == 1 && volume_has_sa_keys(vpath);
			while (!err && (de = readdir(vd))) {
				struct cred_entry c;
				struct stat st;
				bool legacy;
				int kind;

				kind = watch_classify_volume_file(plugins[p], de->d_name, sa_keys,
								  &legacy);
				if (kind < 0)
					continue;
				snprintf(path, sizeof(path), "%s/%s", vpath, de->d_name);
				if (stat(path, &st) || !S_ISREG(st.st_mode))
					continue;
				memset(&c, 0, sizeof(c));
				fill_identity(w, &c, path, &st);
				c.kind = kind;
				c.legacy_token = legacy;
				snprintf(path, sizeof(path), "%s/%s", vhdir, de->d_name);
				c.group = group;
				c.path = path;
				c.pod_uid = uid;
				c.volume = vde->d_name;
				err = found_push(f, &c);
			}
			closedir(vd);
		}
		closedir(pd);
	}
	return err;
}

static void drop_entry(struct watch *w, const struct cred_entry *e)
{
	uint32_t id = e->id;

	if (e->unmatched && w->stats.unmatched)
		w->stats.unmatched--;
	if (w->sink.del)
		w->sink.del(w->sink.ctx, e);
	creds_remove(w->table, id);
}

/* Returns true when c is in the table (and the kernel map) afterwards, by this call. */
static bool add_entry(struct watch *w, const struct cred_entry *c)
{
	const struct cred_entry *e;
	uint32_t id;
	int err;

	/* one inode, one credential: hard links and globs that overlap */
	if (creds_find_inode(w->table, c->ino, c->kdev))
		return false;
	err = creds_add(w->table, c, &id);
	if (!err && w->sink.add) {
		e = creds_get(w->table, id);
		err = w->sink.add(w->sink.ctx, e);
		if (err)
			creds_remove(w->table, id);
	}
	if (err) {
		w->stats.add_failures++;
		if (w->stats.add_failures == 1 || !(w->stats.add_failures % 1000))
			log_warn("watch: %s: cannot watch: %s (%llu credentials not watched; "
				 "raise --max-watched)", c->path, strerror(-err),
				 (unsigned long long)w->stats.add_failures);
		return false;
	}
	if (c->unmatched) {
		char path[PATH_MAX + 64], fs[FS_TYPE_LEN * 4 + 1];

		w->stats.unmatched++;
		log_warn("watch: %s: on %s: %s", text_escape(c->path, path, sizeof(path)),
			 c->fstype[0] ? text_escape(c->fstype, fs, sizeof(fs)) : "an unknown filesystem",
			 c->unmatched);
	}
	return true;
}

/* Open-addressing index of a found set by path: rescans stay linear in the group's size. */
struct found_index {
	size_t *slots;
	uint32_t mask;
};

static int found_index_build(struct found_index *ix, const struct found *f)
{
	uint32_t size = 16;

	while (size < f->n * 2)
		size *= 2;
	ix->mask = size - 1;
	ix->slots = malloc(size * sizeof(*ix->slots));
	if (!ix->slots)
		return -ENOMEM;
	for (uint32_t i = 0; i < size; i++)
		ix->slots[i] = SIZE_MAX;
	for (size_t i = 0; i < f->n; i++) {
		uint32_t h = path_hash(f->v[i].path) & ix->mask;

		while (ix->slots[h] != SIZE_MAX)
			h = (h + 1) & ix->mask;
		ix->slots[h] = i;
	}
	return 0;
}

static struct cred_entry *found_lookup(const struct found_index *ix, const struct found *f,
				       const char *path)
{
	for (uint32_t h = path_hash(path) & ix->mask; ix->slots[h] != SIZE_MAX; h = (h + 1) & ix->mask)
		if (!strcmp(f->v[ix->slots[h]].path, path))
			return &f->v[ix->slots[h]];
	return NULL;
}

static bool same_file(const struct cred_entry *a, const struct cred_entry *b)
{
	return a && b && a->ino == b->ino && a->kdev == b->kdev && a->match == b->match &&
	       a->sb_kdev == b->sb_kdev && a->has_layer == b->has_layer &&
	       (!a->has_layer || (a->layer.ino == b->layer.ino && a->layer.kdev == b->layer.kdev));
}

static void log_late(struct watch *w, const char *what, const struct cred_entry *c)
{
	char path[PATH_MAX + 64];

	log_warn("watch: late %s: pod %s: %s: seen by the periodic re-check, missed when it "
		 "changed (%llu found and %llu removed late so far)", what, c->pod_uid,
		 text_escape(c->path, path, sizeof(path)),
		 (unsigned long long)w->stats.late_finds,
		 (unsigned long long)w->stats.late_removals);
}

/*
 * Make the table's group match what was just found. With before (the
 * periodic re-check), a change that was already due when before was
 * collected - before the pending events were handled - is one the live
 * path missed: counted and logged as late.
 */
static void apply_group(struct watch *w, const char *group, struct found *f,
			const struct found *before)
{
	struct found_index ix = { 0 }, bix = { 0 };
	const struct cred_entry *e;
	uint32_t cursor = 0;

	if (found_index_build(&ix, f) || (before && found_index_build(&bix, before))) {
		free(ix.slots);
		log_warn("watch: %s: out of memory applying a rescan", group);
		return;
	}
	/* drop what is gone or changed identity (a rotation) */
	while ((e = creds_group_next(w->table, group, &cursor))) {
		struct cred_entry *c = found_lookup(&ix, f, e->path);

		if (same_file(c, e)) {
			/*
			 * mark: already present (1), or present with another kind
			 * (its id, never 1: ids carry a generation above bit 24):
			 * a legacy token Secret read while kubelet was still
			 * writing its ca.crt and namespace was a plain secret
			 */
			c->id = c->kind == e->kind && c->legacy_token == e->legacy_token ? 1 : e->id;
			continue;
		}
		if (c)
			w->stats.rotations++;
		if (before && !same_file(found_lookup(&bix, before, e->path), e)) {
			w->stats.late_removals++;
			log_late(w, "removal", e);
		}
		drop_entry(w, e);
	}
	for (size_t i = 0; i < f->n; i++) {
		const struct cred_entry *c = &f->v[i];

		if (c->id > 1 && !creds_update(w->table, c->id, c) && w->sink.add)
			w->sink.add(w->sink.ctx, creds_get(w->table, c->id));	/* the map's kind */
		if (c->id || !add_entry(w, c))
			continue;
		if (before && same_file(found_lookup(&bix, before, c->path), c)) {
			w->stats.late_finds++;
			log_late(w, "find", c);
		}
	}
	free(ix.slots);
	free(bix.slots);
}

static int collect_group(struct watch *w, struct found *f, const char *group)
{
	w->gen++;
	if (!strcmp(group, "host"))
		return collect_host(w, f);
	if (!strncmp(group, "pod:", 4))
		return collect_pod(w, f, group + 4, group);
	return -EINVAL;
}

static int rescan_group(struct watch *w, const char *group)
{
	struct found f = { 0 };
	int err;

	err = collect_group(w, &f, group);
	if (!err) {
		apply_group(w, group, &f, NULL);
		wd_sweep_group(w, group);
	}
	found_free(&f);
	return err;
}

/* Every pod dir, plus every pod group in the table that has gone. */
static int rescan_pods(struct watch *w)
{
	char path[PATH_MAX], group[80];
	const struct cred_entry *e;
	struct dirent *de;
	uint32_t cursor = 0;
	char (*gone)[80] = NULL;
	size_t ngone = 0, cap = 0;
	DIR *d;
	int err = 0;

	host_path(w, KUBELET_PODS, path, sizeof(path));
	d = opendir(path);
	/* one watch on the pods dir, also after a mount replaced it */
	w->gen++;
	if (d)
		wd_add(w, KUBELET_PODS, "pods");
	wd_sweep_group(w, "pods");
	if (d) {
		while (!err && (de = readdir(d))) {
			if (de->d_name[0] == '.' || strlen(de->d_name) > UID_MAX_LEN)
				continue;
			snprintf(group, sizeof(group), "pod:%s", de->d_name);
			err = rescan_group(w, group);
			w->stats.pod_rescans++;
		}
		closedir(d);
	}
	if (err)
		return err;
	/* pods deleted while we were not looking */
	while ((e = creds_next(w->table, &cursor))) {
		struct stat st;
		char pdir[PATH_MAX];

		if (strncmp(e->group, "pod:", 4))
			continue;
		snprintf(pdir, sizeof(pdir), "%s" KUBELET_PODS "/%s", w->root, e->group + 4);
		if (!stat(pdir, &st))
			continue;
		if (ngone == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			char (*g)[80] = realloc(gone, ncap * sizeof(*g));

			if (!g) {
				free(gone);
				return -ENOMEM;
			}
			gone = g;
			cap = ncap;
		}
		snprintf(gone[ngone++], 80, "%s", e->group);
	}
	for (size_t i = 0; i < ngone; i++)
		rescan_group(w, gone[i]);
	free(gone);
	return 0;
}

static void mark_dirty(struct watch *w, const char *group)
{
	for (int i = 0; i < w->ndirty; i++)
		if (!strcmp(w->dirty[i], group))
			return;
	if (w->ndirty == MAX_DIRTY) {
		w->dirty_all = true;
		return;
	}
	snprintf(w->dirty[w->ndirty++], 80, "%s", group);
}

/* ----------------------------------------------------------- the mount table */

static bool is_volume_plugin(const char *plugin)
{
	for (size_t i = 0; i < sizeof(volume_plugins) / sizeof(volume_plugins[0]); i++)
		if (!strcmp(plugin, volume_plugins[i]))
			return true;
	return false;
}

/*
 * The pods directory as the mount table names it: canonical (symlinks
 * resolved, as a node's /var/lib/kubelet often is) once it exists;
 * until then the absolute path as given.
 */
static void resolve_pods_dir(struct watch *w)
{
	char path[PATH_MAX], cwd[PATH_MAX];

	host_path(w, KUBELET_PODS, path, sizeof(path));
	if (realpath(path, w->pods_dir)) {
		w->pods_dir_real = true;
		return;
	}
	if (path[0] == '/' || !getcwd(cwd, sizeof(cwd)))
		snprintf(w->pods_dir, sizeof(w->pods_dir), "%s", path);
	else
		snprintf(w->pods_dir, sizeof(w->pods_dir), "%s/%s", cwd, path);
}

static void on_mount_change(void *ctx, const char *rel)
{
	struct watch *w = ctx;
	char group[80];
	size_t len = strcspn(rel, "/");

	if (!rel[0]) {
		w->dirty_all = true;	/* a new filesystem on the pods dir or above */
		return;
	}
	snprintf(group, sizeof(group), "pod:%.*s", (int)len, rel);
	mark_dirty(w, group);
}

/*
 * Re-read the mount table and rescan the pod of every volume mount that
 * came or went (baseline: only remember the set, a full scan follows).
 */
static void mounts_refresh(struct watch *w, bool baseline)
{
	uint64_t t0 = mono_ns(), took;
	struct kvol_set tmp;
	int err;

	if (w->mfd < 0)
		return;
	w->mounts_changed = false;
	if (!w->pods_dir_real)
		resolve_pods_dir(w);
	err = kvol_set_read(&w->next_mounts, w->mfd, w->pods_dir, is_volume_plugin);
	if (err) {
		if (!w->mounts_warned)
			log_warn("watch: mount table: %s: new pods' volumes are found by the "
				 "periodic re-check only", strerror(-err));
		w->mounts_warned = true;
		return;
	}
	w->stats.mount_reads++;
	if (!baseline)
		kvol_set_diff(&w->mounts, &w->next_mounts, on_mount_change, w);
	tmp = w->mounts;
	w->mounts = w->next_mounts;
	w->next_mounts = tmp;
	w->stats.volume_mounts = 0;
	for (size_t i = 0; i < w->mounts.n; i++)
		w->stats.volume_mounts += kvol_rel(&w->mounts, &w->mounts.v[i])[0] != '\0';
	took = mono_ns() - t0;
	w->mounts_not_before_ns = mono_ns() + MOUNT_READ_BACKOFF * took;
}

int watch_scan_all(struct watch *w)
{
	int err;

	w->stats.scans++;
	fsident_invalidate(w->fsid);
	mounts_refresh(w, true);
	err = rescan_group(w, "host");
	if (!err)
		err = rescan_pods(w);
	if (err)
		log_error("watch: discovery under %s: %s", w->root[0] ? w->root : "/",
			  strerror(-err));
	return err;
}

/* ----------------------------------------------------------- live changes */

static int drain_inotify(struct watch *w)
{
	char buf[16384] __attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t len;

	if (w->ifd < 0)
		return 0;
	while ((len = read(w->ifd, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + len;) {
			struct inotify_event *ev = (struct inotify_event *)p;
			const struct wd_entry *we;

			p += sizeof(*ev) + ev->len;
			if (ev->mask & IN_Q_OVERFLOW) {
				w->stats.inotify_overflows++;
				w->dirty_all = true;
				continue;
			}
			we = wd_find(w, ev->wd);
			if (ev->mask & IN_IGNORED) {
				if (we && strcmp(we->group, "pods"))
					mark_dirty(w, we->group);
				wd_forget(w, ev->wd);
				continue;
			}
			if (!we)
				continue;
			if (!strcmp(we->group, "pods")) {
				char group[80];

				if (ev->len && ev->name[0] != '.') {
					snprintf(group, sizeof(group), "pod:%s", ev->name);
					mark_dirty(w, group);
				}
				continue;
			}
			mark_dirty(w, we->group);
		}
	}
	if (len < 0 && errno != EAGAIN && errno != EINTR)
		return -errno;
	return 0;
}

/* Has the mount table changed since the loop last polled it? (Consumes the signal.) */
static bool mounts_signalled(struct watch *w)
{
	struct pollfd p = { .fd = w->mfd, .events = POLLPRI };

	return w->mfd >= 0 && poll(&p, 1, 0) > 0 && (p.revents & (POLLPRI | POLLERR));
}

/*
 * Everything already queued: inotify events, a mount table change (now, or
 * after the back-off unless now_mounts), then the rescans they call for.
 */
static int process_pending(struct watch *w, bool now_mounts)
{
	int err, done = 0;

	err = drain_inotify(w);
	if (now_mounts && mounts_signalled(w))
		w->mounts_changed = true;
	if (w->mounts_changed && (now_mounts || mono_ns() >= w->mounts_not_before_ns))
		mounts_refresh(w, false);
	if (w->dirty_all) {
		w->dirty_all = false;
		w->ndirty = 0;
		return watch_scan_all(w) ? -EIO : 1;
	}
	for (int i = 0; i < w->ndirty; i++) {
		rescan_group(w, w->dirty[i]);
		done++;
	}
	w->ndirty = 0;
	return err ? err : done;
}

/* --------------------------------------------------------- the safety net */

/* Does the table's group differ from what was found? */
static bool group_differs(struct watch *w, const char *group, const struct found *f)
{
	const struct cred_entry *e;
	uint32_t cursor = 0;
	size_t matched = 0, in_table = 0;

	for (size_t i = 0; i < f->n; i++) {
		const struct cred_entry *c = &f->v[i];

		e = creds_find_path(w->table, c->path);
		if (same_file(e, c) && !strcmp(e->group, group))
			matched++;
		else if (!creds_find_inode(w->table, c->ino, c->kdev))
			return true;	/* would be added */
	}
	while (creds_group_next(w->table, group, &cursor))
		in_table++;
	return in_table != matched;
}

/*
 * Scan one pod as a rescan would. If the table disagrees, first handle
 * whatever is already queued (the live path may be a moment behind, not
 * wrong), scan again and apply: what was due before that and is still
 * missing, the live path missed.
 */
static void recheck_pod(struct watch *w, const char *uid)
{
	struct found before = { 0 }, now = { 0 };
	char group[80];

	snprintf(group, sizeof(group), "pod:%s", uid);
	w->stats.rechecked_pods++;
	if (collect_group(w, &before, group))
		goto cleanup;
	if (!group_differs(w, group, &before)) {
		wd_sweep_group(w, group);
		goto cleanup;
	}
	process_pending(w, true);
	if (!collect_group(w, &now, group)) {
		apply_group(w, group, &now, &before);
		wd_sweep_group(w, group);
	}
cleanup:
	found_free(&before);
	found_free(&now);
}

/*
 * One tick: the next WATCH_RECHECK_PODS pods of the pods directory (a full
 * cycle takes pods / WATCH_RECHECK_PODS ticks), then the next RECHECK_SWEEP
 * table entries, for pods deleted without a word. Bounded work per tick,
 * no descriptor kept between ticks.
 */
static void recheck_tick(struct watch *w)
{
	char path[PATH_MAX], uid[UID_MAX_LEN + 1], last[80] = "";
	const struct cred_entry *e;
	int done = 0, looked = 0;
	struct dirent *de;
	DIR *d;

	host_path(w, KUBELET_PODS, path, sizeof(path));
	d = opendir(path);
	if (d) {
		if (w->recheck_pos >= 0)
			seekdir(d, w->recheck_pos);
		while (done < WATCH_RECHECK_PODS && (de = readdir(d))) {
			w->recheck_pos = de->d_off;
			if (de->d_name[0] == '.' || strlen(de->d_name) > UID_MAX_LEN)
				continue;
			snprintf(uid, sizeof(uid), "%s", de->d_name);
			recheck_pod(w, uid);
			done++;
		}
		if (done < WATCH_RECHECK_PODS) {
			w->recheck_pos = -1;
			w->stats.recheck_cycles++;
		}
		closedir(d);
	}
	while (looked++ < RECHECK_SWEEP && (e = creds_next(w->table, &w->sweep_cursor))) {
		struct stat st;

		if (strncmp(e->group, "pod:", 4) || !strcmp(e->group, last))
			continue;
		snprintf(last, sizeof(last), "%s", e->group);
		snprintf(path, sizeof(path), "%s" KUBELET_PODS "/%s", w->root, e->group + 4);
		if (!stat(path, &st) || errno != ENOENT)
			continue;
		snprintf(uid, sizeof(uid), "%s", e->group + 4);	/* e dies in the re-check */
		recheck_pod(w, uid);
	}
	if (looked <= RECHECK_SWEEP)
		w->sweep_cursor = 0;		/* the table's end: start over */
}

int watch_process(struct watch *w)
{
	int done = process_pending(w, false);
	uint64_t now;

	if (w->recheck_ns && (now = mono_ns()) >= w->recheck_next_ns) {
		recheck_tick(w);
		w->recheck_next_ns = now + w->recheck_ns;
	}
	return done;
}

int watch_timeout_ms(const struct watch *w, int max_ms)
{
	uint64_t now = mono_ns(), due = UINT64_MAX;

	if (w->mounts_changed)
		due = w->mounts_not_before_ns;
	if (w->recheck_ns && w->recheck_next_ns < due)
		due = w->recheck_next_ns;
	if (due <= now)
		return 0;
	if (due == UINT64_MAX || due - now >= (uint64_t)max_ms * 1000000ULL)
		return max_ms;
	return (int)((due - now + 999999) / 1000000);
}

int watch_fd(const struct watch *w)
{
	return w->ifd;
}

int watch_mount_fd(const struct watch *w)
{
	return w->mfd;
}

void watch_mounts_changed(struct watch *w)
{
	w->mounts_changed = true;
	fsident_invalidate(w->fsid);
}

void watch_stats(const struct watch *w, struct watch_stats *out)
{
	*out = w->stats;
}

int watch_new(struct watch **out, const struct watch_opts *opts, struct creds *table,
	      const struct watch_sink *sink)
{
	const char *mountinfo = opts->mountinfo ? opts->mountinfo : "/proc/self/mountinfo";
	struct watch *w;
	size_t len;
	int err = -ENOMEM;

	*out = NULL;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->ifd = -1;
	w->mfd = -1;
	w->table = table;
	w->sink = *sink;
	w->max_depth = opts->max_depth > 0 ? opts->max_depth : 8;
	w->recheck_ns = (uint64_t)opts->recheck_ms * 1000000ULL;
	w->recheck_next_ns = mono_ns() + w->recheck_ns;
	w->recheck_pos = -1;
	snprintf(w->root, sizeof(w->root), "%s", opts->host_root ? opts->host_root : "/");
	len = strlen(w->root);
	while (len > 0 && w->root[len - 1] == '/')
		w->root[--len] = '\0';
	w->dirty = calloc(MAX_DIRTY, sizeof(*w->dirty));
	w->gwds = calloc(GROUP_BUCKETS, sizeof(*w->gwds));
	if (!w->dirty || !w->gwds || fsident_new(&w->fsid, mountinfo))
		goto cleanup;
	if (opts->nextra > 0) {
		w->extra = calloc((size_t)opts->nextra, sizeof(char *));
		if (!w->extra)
			goto cleanup;
		for (int i = 0; i < opts->nextra; i++) {
			const char *p = opts->extra[i];
			size_t n;

			w->extra[i] = malloc(strlen(p) + 2);
			if (!w->extra[i])
				goto cleanup;
			w->nextra = i + 1;
			/* host paths are absolute; drop a trailing '/' */
			snprintf(w->extra[i], strlen(p) + 2, "%s%s", p[0] == '/' ? "" : "/", p);
			n = strlen(w->extra[i]);
			while (n > 1 && w->extra[i][n - 1] == '/')
				w->extra[i][--n] = '\0';
		}
	}
	w->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (w->ifd < 0)
		log_warn("watch: inotify: %s: pods and rotations are picked up by the periodic "
			 "re-check or on SIGHUP only", strerror(errno));
	/* opened before the first scan: a mount from then on is signalled */
	w->mfd = open(mountinfo, O_RDONLY | O_CLOEXEC);
	if (w->mfd < 0)
		log_warn("watch: %s: %s: new pods' volumes are found by the periodic re-check "
			 "only", mountinfo, strerror(errno));
	resolve_pods_dir(w);
	*out = w;
	return 0;

cleanup:
	watch_free(w);
	return err;
}

void watch_free(struct watch *w)
{
	if (!w)
		return;
	if (w->ifd >= 0)
		close(w->ifd);
	if (w->mfd >= 0)
		close(w->mfd);
	for (int i = 0; i < WD_BUCKETS; i++) {
		while (w->wds[i]) {
			struct wd_entry *e = w->wds[i];

			w->wds[i] = e->next;
			free(e);
		}
	}
	kvol_set_free(&w->mounts);
	kvol_set_free(&w->next_mounts);
	fsident_free(w->fsid);
	for (int i = 0; i < w->nextra; i++)
		free(w->extra[i]);
	free(w->extra);
	free(w->gwds);
	free(w->dirty);
	free(w);
}
