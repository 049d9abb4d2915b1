// SPDX-License-Identifier: Apache-2.0
/*
 * watch_scan.c - what one group is on disk: the host's and each home's
 * places the catalog lists, --watch paths, and a pod's Secret and
 * projected volumes (and what the catalog says of pods). Only stat(),
 * lstat(), readdir() and safepath's resolution by name: a credential file
 * is never opened.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "discovery/catalog.h"
#include "discovery/safepath.h"
#include "fsident.h"
#include "json.h"
#include "log.h"
#include "sensor.h"
#include "watch_int.h"

const char *const watch_volume_plugins[WATCH_VOLUME_PLUGINS] = { "kubernetes.io~projected", "kubernetes.io~secret" };

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

void watch_found_free(struct found *f)
{
	for (size_t i = 0; i < f->n; i++)
		free((char *)f->v[i].path);
	free(f->v);
}

void watch_host_path(const struct watch *w, const char *hpath, char *out, size_t size)
{
	snprintf(out, size, "%s%s", w->root, hpath);
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
	c->size = (uint64_t)st->st_size;
	c->mtime_s = (int64_t)st->st_mtim.tv_sec;
}

/*
 * Add hpath (a --watch path: the operator's choice) as a credential if it is
 * a regular file. Its own links are followed, inside --host-root; below a
 * --watch directory only links that stay in it.
 */
static int consider_file(struct watch *w, struct found *f, const char *hpath, const char *top)
{
	struct safepath_policy pol = { .trusted = top, .follow = SAFEPATH_FOLLOW_WITHIN };
	struct safepath_res res;
	struct cred_entry c;
	char where[PATH_MAX];

	if (safepath_stat(w->sp, hpath, &pol, &res) || !S_ISREG(res.st.st_mode))
		return 0;
	memset(&c, 0, sizeof(c));
	c.kind = CW_CRED_CUSTOM;
	c.group = "host";
	c.path = hpath;
	c.entry = "watch";
	watch_host_path(w, res.resolved, where, sizeof(where));
	fill_identity(w, &c, where, &res.st);
	return found_push(f, &c);
}

/* Regular files under a --watch directory, depth-bounded, not into dir symlinks. */
static int scan_tree(struct watch *w, struct found *f, const char *hdir, const char *top,
		     int depth)
{
	struct safepath_policy pol = { .trusted = top, .follow = SAFEPATH_FOLLOW_WITHIN };
	struct safepath_res res;
	char child[PATH_MAX];
	struct dirent *de;
	DIR *d;
	int err = 0;

	if (safepath_opendir(w->sp, hdir, &pol, &d, &res))
		return 0;
	watch_wd_add(w, hdir, "host");
	while (!err && (de = readdir(d))) {
		struct stat st;

		if (!strncmp(de->d_name, "..", 2) || !strcmp(de->d_name, "."))
			continue;
		if ((size_t)snprintf(child, sizeof(child), "%s/%s",
				     strcmp(hdir, "/") ? hdir : "", de->d_name) >= sizeof(child))
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW))
			continue;
		if (S_ISDIR(st.st_mode)) {
			if (depth < w->max_depth)
				err = scan_tree(w, f, child, top, depth + 1);
			continue;
		}
		err = consider_file(w, f, child, top);
	}
	closedir(d);
	return err;
}

/* ---- the catalog: host and homes ---- */

/* The host root, opened for safepath once it exists. */
bool watch_sp_ready(struct watch *w)
{
	struct safepath_opts so = { .root = w->root[0] ? w->root : "/" };

	return w->sp || !safepath_new(&w->sp, &so);
}

struct hit_ctx {
	struct watch *w;
	struct found *f;
	const char *group;
};

static void on_catalog_dir(void *ctx, const char *dir)
{
	struct hit_ctx *h = ctx;

	watch_wd_add(h->w, dir, h->group);
}

static int on_catalog_hit(void *ctx, const struct catalog_hit *hit)
{
	struct hit_ctx *h = ctx;
	struct watch *w = h->w;
	const struct catalog_entry *e = hit->entry;
	char where[128], path[PATH_MAX], target[PATH_MAX], agent_path[PATH_MAX];
	struct cred_entry c;

	snprintf(where, sizeof(where), "catalog entry '%s'", e->name);
	text_escape(hit->path, path, sizeof(path));
	memset(&c, 0, sizeof(c));
	c.kind = e->kind;
	c.group = h->group;
	c.path = hit->path;
	c.pod_uid = hit->target->pod_uid;
	c.entry = e->name;
	c.owner = (uint8_t)e->owner;
	c.exposure = (uint8_t)(1 + e->severity);
	c.flags = e->flags;
	c.home_uid = hit->target->uid;
	watch_host_path(w, hit->resolved && hit->resolved[0] ? hit->resolved : hit->path, agent_path,
			sizeof(agent_path));
	if (hit->st)
		fill_identity(w, &c, agent_path, hit->st);
	switch (hit->refused) {
	case CATALOG_OK:
		break;
	case CATALOG_REFUSED_SYMLINK:
		watch_refuse(w, WATCH_REFUSED_SYMLINK, &c, where, hit->path, 1, "%s: a symlink (to %s) "
		       "where the entry follows none", path,
		       text_escape(hit->link_target, target, sizeof(target)));
		return 0;
	case CATALOG_REFUSED_OUTSIDE:
		watch_refuse(w, WATCH_REFUSED_OUTSIDE, &c, where, hit->path, 1, "%s: a symlink (%s -> %s) "
		       "leads out of where the entry may follow it, to %s", path,
		       hit->link, text_escape(hit->link_target, target, sizeof(target)),
		       hit->resolved);
		return 0;
	case CATALOG_REFUSED_OWNER:
		watch_refuse(w, WATCH_REFUSED_OWNER, &c, where, hit->path, 1, "%s: owned by uid %u, not by "
		       "the home's owner (uid %u) or root", path, (unsigned)hit->st->st_uid,
		       (unsigned)hit->target->uid);
		return 0;
	case CATALOG_REFUSED_BOUND:
	default:
		watch_refuse(w, WATCH_REFUSED_ENTRY_BOUND, &c, where, h->group, hit->count, "%s %s: %u more "
		       "files than the entry's max of %u",
		       hit->target->scope == CATALOG_SCOPE_HOME ? "in home" :
		       hit->target->scope == CATALOG_SCOPE_POD ? "in pod" : "on the node",
		       hit->target->scope == CATALOG_SCOPE_HOME ? hit->target->base :
		       hit->target->scope == CATALOG_SCOPE_POD ? hit->target->pod_uid : "",
		       hit->count, e->max);
		return 0;
	}
	if (hit->target->scope == CATALOG_SCOPE_POD) {
		/* <pod>/volumes/<plugin>/<volume>/...: the volume's name */
		size_t bl = strlen(hit->target->base);
		const char *v = hit->path + bl, *slash;

		if (!strncmp(hit->path, hit->target->base, bl) && !strncmp(v, "/volumes/", 9) &&
		    (slash = strchr(v + 9, '/'))) {
			v = slash + 1;
			slash = strchr(v, '/');
			snprintf(target, sizeof(target), "%.*s",
				 slash ? (int)(slash - v) : (int)strlen(v), v);
			c.volume = target;
		}
	}
	return found_push(h->f, &c) ? -ENOMEM : 0;
}

static int collect_host(struct watch *w, struct found *f)
{
	struct catalog_target t = { .scope = CATALOG_SCOPE_NODE };
	struct hit_ctx h = { w, f, "host" };
	struct catalog_scan_cbs cbs = { on_catalog_hit, on_catalog_dir, &h };
	int err;

	if (!watch_sp_ready(w))
		return 0;		/* no host root (yet): nothing to find */
	if (w->catalog) {
		err = catalog_scan(w->catalog, w->sp, &t, &cbs);
		if (err)
			return err;
	}
	for (int i = 0; i < w->nextra; i++) {
		struct safepath_res res;
		int serr;

		serr = safepath_stat(w->sp, w->extra[i], NULL, &res);
		if (serr == -ELOOP) {	/* the operator's own path: its links are followed */
			struct safepath_policy pol = { .trusted = w->extra[i] };

			serr = safepath_stat(w->sp, w->extra[i], &pol, &res);
		}
		if (serr) {
			log_warn("watch: %s%s: %s (watched once it exists; SIGHUP rescans)",
				 w->root, w->extra[i], strerror(-serr));
			continue;
		}
		err = S_ISDIR(res.st.st_mode) ? scan_tree(w, f, w->extra[i], w->extra[i], 0) :
		      consider_file(w, f, w->extra[i], w->extra[i]);
		if (err)
			return err;
	}
	return 0;
}

/* One home: its group is "home:<dir>"; its owner is the directory's. */
static int collect_home(struct watch *w, struct found *f, const char *home, const char *group)
{
	struct catalog_target t = { .scope = CATALOG_SCOPE_HOME, .base = home };
	struct hit_ctx h = { w, f, group };
	struct catalog_scan_cbs cbs = { on_catalog_hit, on_catalog_dir, &h };
	struct safepath_policy pol = { .trusted = home };
	struct safepath_res res;
	const char *user = strrchr(home, '/');

	if (!w->catalog || !watch_sp_ready(w))
		return 0;
	if (safepath_stat(w->sp, home, &pol, &res))
		return 0;		/* gone: the apply drops what it had */
	if (!S_ISDIR(res.st.st_mode))
		return 0;
	t.uid = res.st.st_uid;
	t.user = user ? user + 1 : home;
	watch_wd_add(w, home, group);
	return catalog_scan(w->catalog, w->sp, &t, &cbs);
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

/*
 * One volume's files: names classified first (no syscall), the pod's
 * bound applied tokens first, and only the files kept are stat()ed, so a
 * volume of 70,000 keys costs a directory listing, not 70,000 stats.
 */
struct vol_name {
	char *name;
	int kind;
	bool legacy;
};

static int collect_volume(struct watch *w, struct found *f, const char *uid, const char *group,
			  const char *plugin, const char *vol, const char *vhdir, DIR *vd,
			  bool sa_keys, uint32_t *budget, uint64_t *over)
{
	struct vol_name *names = NULL;
	size_t n = 0, cap = 0;
	char path[PATH_MAX], hpath[PATH_MAX];
	struct dirent *de;
	int err = 0;

	while ((de = readdir(vd))) {
		bool legacy;
		int kind = watch_classify_volume_file(plugin, de->d_name, sa_keys, &legacy);

		if (kind < 0)
			continue;
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			struct vol_name *v = realloc(names, ncap * sizeof(*v));

			if (!v) {
				err = -ENOMEM;
				goto out;
			}
			names = v;
			cap = ncap;
		}
		names[n].name = strdup(de->d_name);
		if (!names[n].name) {
			err = -ENOMEM;
			goto out;
		}
		names[n].kind = kind;
		names[n].legacy = legacy;
		n++;
	}
	/* tokens first: a pod's bound never costs it its service-account token */
	for (int pass = 0; pass < 2 && !err; pass++) {
		for (size_t i = 0; i < n && !err; i++) {
			struct cred_entry c;
			struct stat st;

			if ((names[i].kind == CW_CRED_SA_TOKEN) != (pass == 0))
				continue;
			if (!*budget && names[i].kind != CW_CRED_SA_TOKEN) {
				(*over)++;
				continue;
			}
			watch_host_path(w, vhdir, path, sizeof(path));
			snprintf(hpath, sizeof(hpath), "%s/%s", path, names[i].name);
			if (stat(hpath, &st) || !S_ISREG(st.st_mode))
				continue;
			if (*budget)
				(*budget)--;
			memset(&c, 0, sizeof(c));
			fill_identity(w, &c, hpath, &st);
			c.kind = names[i].kind;
			c.legacy_token = names[i].legacy;
			snprintf(hpath, sizeof(hpath), "%s/%s", vhdir, names[i].name);
			c.group = group;
			c.path = hpath;
			c.pod_uid = uid;
			c.volume = vol;
			c.owner = CRED_OWNER_POD;
			c.entry = !strcmp(plugin, "kubernetes.io~projected") ? "kubelet-projected" :
				  "kubelet-secret";
			err = found_push(f, &c);
		}
	}
out:
	for (size_t i = 0; i < n; i++)
		free(names[i].name);
	free(names);
	return err;
}

static int collect_pod(struct watch *w, struct found *f, const char *uid, const char *group)
{
	const char *const *plugins = watch_volume_plugins;
	char hdir[PATH_MAX], path[PATH_MAX];
	uint32_t budget = w->max_per_pod;
	uint64_t over = 0;
	int err = 0;

	snprintf(hdir, sizeof(hdir), KUBELET_PODS "/%s", uid);
	watch_wd_add(w, hdir, group);
	snprintf(hdir, sizeof(hdir), KUBELET_PODS "/%s/volumes", uid);
	watch_wd_add(w, hdir, group);
	for (size_t p = 0; p < sizeof(watch_volume_plugins) / sizeof(watch_volume_plugins[0]) && !err; p++) {
		struct dirent *vde;
		DIR *pd;

		snprintf(hdir, sizeof(hdir), KUBELET_PODS "/%s/volumes/%s", uid, plugins[p]);
		watch_host_path(w, hdir, path, sizeof(path));
		pd = opendir(path);
		if (!pd)
			continue;
		watch_wd_add(w, hdir, group);
		while (!err && (vde = readdir(pd))) {
			char vhdir[PATH_MAX], vpath[PATH_MAX];
			DIR *vd;

			if (vde->d_name[0] == '.')
				continue;
			snprintf(vhdir, sizeof(vhdir), "%s/%s", hdir, vde->d_name);
			watch_host_path(w, vhdir, vpath, sizeof(vpath));
			vd = opendir(vpath);
			if (!vd)
				continue;
			watch_wd_add(w, vhdir, group);
			err = collect_volume(w, f, uid, group, plugins[p], vde->d_name, vhdir, vd,
					     p == 1 && volume_has_sa_keys(vpath), &budget, &over);
			closedir(vd);
		}
		closedir(pd);
	}
	/* the catalog's pod entries (Secrets Store CSI mounts), inside the same budget */
	snprintf(hdir, sizeof(hdir), KUBELET_PODS "/%s", uid);
	watch_host_path(w, hdir, path, sizeof(path));
	if (!err && w->catalog && w->catalog_pods && catalog_pod_may_match(w->catalog, path) &&
	    watch_sp_ready(w)) {
		struct catalog_target t = { .scope = CATALOG_SCOPE_POD, .pod_uid = uid };
		struct hit_ctx h = { w, f, group };
		struct catalog_scan_cbs cbs = { on_catalog_hit, on_catalog_dir, &h };
		size_t before = f->n;

		snprintf(hdir, sizeof(hdir), KUBELET_PODS "/%s", uid);
		t.base = hdir;
		err = catalog_scan(w->catalog, w->sp, &t, &cbs);
		while (f->n > before && f->n - before > budget) {
			over++;
			free((char *)f->v[--f->n].path);
		}
	}
	if (over) {
		struct cred_entry c = { .kind = CW_CRED_SECRET, .group = group, .pod_uid = uid,
					.owner = CRED_OWNER_POD, .entry = "max-watched-per-pod" };
		char where[96];

		snprintf(where, sizeof(where), "pod %s", uid);
		snprintf(hdir, sizeof(hdir), KUBELET_PODS "/%s", uid);
		c.path = hdir;
		watch_refuse(w, WATCH_REFUSED_POD_BOUND, &c, where, group, over, "%llu credential files "
		       "beyond --max-watched-per-pod (%u; its service-account tokens are always "
		       "watched)", (unsigned long long)over, w->max_per_pod);
	}
	return err;
}

int watch_collect_group(struct watch *w, struct found *f, const char *group)
{
	w->gen++;
	if (!strcmp(group, "host"))
		return collect_host(w, f);
	if (!strncmp(group, "pod:", 4))
		return collect_pod(w, f, group + 4, group);
	if (!strncmp(group, "home:", 5))
		return collect_home(w, f, group + 5, group);
	return -EINVAL;
}
