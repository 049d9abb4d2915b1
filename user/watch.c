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
 * Only stat(), lstat(), readdir() and inotify are used: a credential file
 * is never opened.
 */
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "sensor.h"
#include "watch.h"

#define KUBELET_PODS	"/var/lib/kubelet/pods"
#define WD_BUCKETS	1024
#define DIR_EVENTS	(IN_CREATE | IN_DELETE | IN_MOVED_TO | IN_MOVED_FROM | \
			 IN_DELETE_SELF | IN_ONLYDIR)
#define MAX_DIRTY	4096

struct wd_entry {
	int wd;
	char group[80];		/* group to rescan, or "pods" */
	struct wd_entry *next;
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
	int ifd;
	struct wd_entry *wds[WD_BUCKETS];
	char (*dirty)[80];
	int ndirty;
	bool dirty_all;
	bool add_warned;
	struct watch_stats stats;
};

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

static void wd_add(struct watch *w, const char *dir, const char *group)
{
	struct wd_entry *e;
	char path[PATH_MAX];
	int wd;

	if (w->ifd < 0)
		return;
	host_path(w, dir, path, sizeof(path));
	wd = inotify_add_watch(w->ifd, path, DIR_EVENTS);
	if (wd < 0) {
		if (errno == ENOSPC && !w->add_warned) {
			log_warn("watch: %s: inotify: %s (raise fs.inotify.max_user_watches); "
				 "changes there are picked up on SIGHUP only", path, strerror(errno));
			w->add_warned = true;
		}
		return;
	}
	for (e = w->wds[wd % WD_BUCKETS]; e; e = e->next)
		if (e->wd == wd)
			return;
	e = calloc(1, sizeof(*e));
	if (!e)
		return;
	e->wd = wd;
	snprintf(e->group, sizeof(e->group), "%s", group);
	e->next = w->wds[wd % WD_BUCKETS];
	w->wds[wd % WD_BUCKETS] = e;
}

static void wd_forget(struct watch *w, int wd)
{
	struct wd_entry **link = &w->wds[wd % WD_BUCKETS];

	while (*link && (*link)->wd != wd)
		link = &(*link)->next;
	if (*link) {
		struct wd_entry *e = *link;

		*link = e->next;
		free(e);
	}
}

static const struct wd_entry *wd_find(const struct watch *w, int wd)
{
	for (struct wd_entry *e = w->wds[wd % WD_BUCKETS]; e; e = e->next)
		if (e->wd == wd)
			return e;
	return NULL;
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

static void fill_identity(struct cred_entry *c, const struct stat *st)
{
	c->ino = st->st_ino;
	c->dev = st->st_dev;
	c->kdev = dev_to_kernel(st->st_dev);
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
	fill_identity(&c, &st);
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
	static const char *const plugins[] = { "kubernetes.io~projected", "kubernetes.io~secret" };
	char hdir[PATH_MAX], path[PATH_MAX];
	int err = 0;

	snprintf(hdir, sizeof(hdir), KUBELET_PODS "/%s", uid);
	wd_add(w, hdir, group);
	snprintf(hdir, sizeof(hdir), KUBELET_PODS "/%s/volumes", uid);
	wd_add(w, hdir, group);
	for (int p = 0; p < 2 && !err; p++) {
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
				c.kind = kind;
				c.legacy_token = legacy;
				snprintf(path, sizeof(path), "%s/%s", vhdir, de->d_name);
				c.group = group;
				c.path = path;
				c.pod_uid = uid;
				c.volume = vde->d_name;
				fill_identity(&c, &st);
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

	if (w->sink.del)
		w->sink.del(w->sink.ctx, e);
	creds_remove(w->table, id);
}

static void add_entry(struct watch *w, const struct cred_entry *c)
{
	const struct cred_entry *e;
	uint32_t id;
	int err;

	/* one inode, one credential: hard links and globs that overlap */
	if (creds_find_inode(w->table, c->ino, c->kdev))
		return;
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
	}
}

static uint32_t path_hash(const char *s)
{
	uint32_t h = 2166136261u;	/* FNV-1a */

	while (*s)
		h = (h ^ (uint8_t)*s++) * 16777619u;
	return h;
}

/*
 * Make the table's group match what was just found: one hash of the found
 * paths, so a rescan is linear in the group's size (a --watch directory
 * may hold 100k files), not quadratic.
 */
static void apply_group(struct watch *w, const char *group, struct found *f)
{
	const struct cred_entry *e;
	uint32_t cursor = 0, size = 16, mask;
	size_t *slots;

	while (size < f->n * 2)
		size *= 2;
	mask = size - 1;
	slots = malloc(size * sizeof(*slots));
	if (!slots) {
		log_warn("watch: %s: out of memory applying a rescan", group);
		return;
	}
	for (uint32_t i = 0; i < size; i++)
		slots[i] = SIZE_MAX;
	for (size_t i = 0; i < f->n; i++) {
		uint32_t h = path_hash(f->v[i].path) & mask;

		while (slots[h] != SIZE_MAX)
			h = (h + 1) & mask;
		slots[h] = i;
	}

	/* drop what is gone or changed identity (a rotation) */
	while ((e = creds_group_next(w->table, group, &cursor))) {
		bool keep = false;

		for (uint32_t h = path_hash(e->path) & mask; slots[h] != SIZE_MAX; h = (h + 1) & mask) {
			struct cred_entry *c = &f->v[slots[h]];

			if (strcmp(c->path, e->path))
				continue;
			if (c->ino == e->ino && c->kdev == e->kdev) {
				keep = true;
				c->id = 1;		/* mark: already present */
			} else {
				w->stats.rotations++;
			}
			break;
		}
		if (!keep)
			drop_entry(w, e);
	}
	free(slots);
	for (size_t i = 0; i < f->n; i++)
		if (!f->v[i].id)
			add_entry(w, &f->v[i]);
}

static int rescan_group(struct watch *w, const char *group)
{
	struct found f = { 0 };
	int err;

	if (!strcmp(group, "host"))
		err = collect_host(w, &f);
	else if (!strncmp(group, "pod:", 4))
		err = collect_pod(w, &f, group + 4, group);
	else
		err = -EINVAL;
	if (!err)
		apply_group(w, group, &f);
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
	if (d) {
		wd_add(w, KUBELET_PODS, "pods");
		while (!err && (de = readdir(d))) {
			if (de->d_name[0] == '.' || strlen(de->d_name) > 64)
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

int watch_scan_all(struct watch *w)
{
	int err;

	w->stats.scans++;
	err = rescan_group(w, "host");
	if (!err)
		err = rescan_pods(w);
	if (err)
		log_error("watch: discovery under %s: %s", w->root[0] ? w->root : "/",
			  strerror(-err));
	return err;
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

int watch_process(struct watch *w)
{
	char buf[16384] __attribute__((aligned(__alignof__(struct inotify_event))));
	int done = 0;
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
	return done;
}

int watch_fd(const struct watch *w)
{
	return w->ifd;
}

void watch_stats(const struct watch *w, struct watch_stats *out)
{
	*out = w->stats;
}

int watch_new(struct watch **out, const struct watch_opts *opts, struct creds *table,
	      const struct watch_sink *sink)
{
	struct watch *w;
	size_t len;
	int err = -ENOMEM;

	*out = NULL;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->ifd = -1;
	w->table = table;
	w->sink = *sink;
	w->max_depth = opts->max_depth > 0 ? opts->max_depth : 8;
	snprintf(w->root, sizeof(w->root), "%s", opts->host_root ? opts->host_root : "/");
	len = strlen(w->root);
	while (len > 0 && w->root[len - 1] == '/')
		w->root[--len] = '\0';
	w->dirty = calloc(MAX_DIRTY, sizeof(*w->dirty));
	if (!w->dirty)
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
		log_warn("watch: inotify: %s: pods and rotations are picked up on SIGHUP only",
			 strerror(errno));
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
	for (int i = 0; i < WD_BUCKETS; i++) {
		while (w->wds[i]) {
			struct wd_entry *e = w->wds[i];

			w->wds[i] = e->next;
			free(e);
		}
	}
	for (int i = 0; i < w->nextra; i++)
		free(w->extra[i]);
	free(w->extra);
	free(w->dirty);
	free(w);
}
