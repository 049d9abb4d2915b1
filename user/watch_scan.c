// SPDX-License-Identifier: Apache-2.0
/*
 * watch_scan.c - what one group of credentials is, found on disk: the host
 * globs (kubeconfigs, cluster PKI, cloud credentials, --watch paths) and a
 * pod's kubelet volumes (projected service-account tokens, Secrets). stat,
 * lstat, readdir and readlink only; a credential file is never opened.
 */
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "sensor.h"
#include "watch_int.h"

const char *const watch_volume_plugins[WATCH_VOLUME_PLUGINS] = {
	"kubernetes.io~projected", "kubernetes.io~secret",
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

	watch_host_path(w, hpath, path, sizeof(path));
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

	watch_host_path(w, hdir, path, sizeof(path));
	d = opendir(path);
	if (!d)
		return 0;
	watch_wd_add(w, hdir, "host");
	while (!err && (de = readdir(d))) {
		struct stat st;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") ||
		    !strncmp(de->d_name, "..", 2))
			continue;
		if ((size_t)snprintf(child, sizeof(child), "%s/%s",
				     strcmp(hdir, "/") ? hdir : "", de->d_name) >= sizeof(child))
			continue;
		watch_host_path(w, child, path, sizeof(path));
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
	watch_host_path(w, prefix[0] ? prefix : "/", path, sizeof(path));
	d = opendir(path);
	if (!d)
		return 0;
	if (!slash)
		watch_wd_add(w, prefix[0] ? prefix : "/", "host");
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

		watch_host_path(w, w->extra[i], path, sizeof(path));
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
	const char *const *plugins = watch_volume_plugins;
	char hdir[PATH_MAX], path[PATH_MAX];
	int err = 0;

	snprintf(hdir, sizeof(hdir), KUBELET_PODS "/%s", uid);
	watch_wd_add(w, hdir, group);
	snprintf(hdir, sizeof(hdir), KUBELET_PODS "/%s/volumes", uid);
	watch_wd_add(w, hdir, group);
	for (size_t p = 0; p < WATCH_VOLUME_PLUGINS && !err; p++) {
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
			struct dirent *de;
			bool sa_keys;
			DIR *vd;

			if (vde->d_name[0] == '.')
				continue;
			snprintf(vhdir, sizeof(vhdir), "%s/%s", hdir, vde->d_name);
			watch_host_path(w, vhdir, vpath, sizeof(vpath));
			vd = opendir(vpath);
			if (!vd)
				continue;
			watch_wd_add(w, vhdir, group);
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

int watch_collect_group(struct watch *w, struct found *f, const char *group)
{
	w->gen++;
	if (!strcmp(group, "host"))
		return collect_host(w, f);
	if (!strncmp(group, "pod:", 4))
		return collect_pod(w, f, group + 4, group);
	return -EINVAL;
}
