// SPDX-License-Identifier: Apache-2.0
/* cgroup.c - cgroup v2 path parsing and the cgroup id -> attribution cache. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"
#include "clock.h"
#include "log.h"
#include "lru.h"

/* kernfs exports file handles of this type whose 8 bytes are the node id. */
#define FILEID_KERNFS		0xfe
#define WALK_MAX_DEPTH		16
#define WALK_DEFAULT_DIRS	65536

/* One path component as a (pointer, length) view: paths are never copied. */
struct comp {
	const char *s;
	size_t n;
};

static bool comp_is(const struct comp *c, const char *lit)
{
	return c->n == strlen(lit) && !memcmp(c->s, lit, c->n);
}

static bool comp_has_prefix(const struct comp *c, const char *lit)
{
	size_t n = strlen(lit);

	return c->n >= n && !memcmp(c->s, lit, n);
}

static bool comp_has_suffix(const struct comp *c, const char *lit)
{
	size_t n = strlen(lit);

	return c->n >= n && !memcmp(c->s + c->n - n, lit, n);
}

static bool is_hex(char ch)
{
	return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f');
}

/* ID := 12..128 lowercase hex; copied into out. */
static bool parse_id(const char *s, size_t n, char *out)
{
	if (n < 12 || n >= CG_ID_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!is_hex(s[i]))
			return false;
	memcpy(out, s, n);
	out[n] = '\0';
	return true;
}

/* UID := 32..36 of hex and sep ('-' or '_'); copied with dashes. */
static bool parse_uid(const char *s, size_t n, char sep, char *out)
{
	/* 36 (a dashed UUID), not the buffer size: 37..39 are no pod uid */
	if (n < 32 || n > 36)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == sep)
			out[i] = '-';
		else if (is_hex(s[i]))
			out[i] = s[i];
		else
			return false;
	}
	out[n] = '\0';
	return true;
}

static bool is_kproot(const struct comp *c)
{
	return comp_is(c, "kubepods") || comp_is(c, "kubepods.slice") ||
	       (comp_has_suffix(c, "-kubepods.slice") && c->n > 15);
}

/* A container component: RT-ID.scope, RT-ID or a bare ID. */
static bool parse_container(const struct comp *c, struct cgroup_attr *out)
{
	static const struct { const char *prefix, *runtime; } rts[] = {
		{ "cri-containerd-", "containerd" },
		{ "crio-", "cri-o" },
		{ "docker-", "docker" },
	};
	const char *s = c->s;
	size_t n = c->n;

	if (comp_has_suffix(c, ".scope"))
		n -= 6;
	for (size_t i = 0; i < sizeof(rts) / sizeof(rts[0]); i++) {
		size_t pl = strlen(rts[i].prefix);

		if (n > pl && !memcmp(s, rts[i].prefix, pl)) {
			if (!parse_id(s + pl, n - pl, out->container_id))
				return false;
			snprintf(out->runtime, sizeof(out->runtime), "%s", rts[i].runtime);
			return true;
		}
	}
	if (n != c->n)		/* some other .scope */
		return false;
	return parse_id(s, n, out->container_id);
}

/* Pod component: "pod<UID>" (cgroupfs) or "<stem>-pod<UID_>.slice" (systemd). */
static bool parse_pod(const struct comp *c, struct cgroup_attr *out)
{
	const char *p;

	if (comp_has_prefix(c, "pod") && !comp_has_suffix(c, ".slice"))
		return parse_uid(c->s + 3, c->n - 3, '-', out->pod_uid);
	if (!comp_has_suffix(c, ".slice"))
		return false;
	p = memmem(c->s, c->n, "-pod", 4);
	if (!p)
		return false;
	p += 4;
	return parse_uid(p, (size_t)(c->s + c->n - 6 - p), '_', out->pod_uid);
}

static bool parse_qos(const struct comp *c, struct cgroup_attr *out)
{
	static const char *const qos[] = { "besteffort", "burstable" };

	for (size_t i = 0; i < 2; i++) {
		char slice[32];

		snprintf(slice, sizeof(slice), "-%s.slice", qos[i]);
		if (comp_is(c, qos[i]) || comp_has_suffix(c, slice)) {
			snprintf(out->qos, sizeof(out->qos), "%s", qos[i]);
			return true;
		}
	}
	return false;
}

/* Split the next component off *pp; false at the end. */
static bool next_comp(const char **pp, struct comp *c)
{
	const char *p = *pp;

	while (*p == '/')
		p++;
	if (!*p)
		return false;
	c->s = p;
	while (*p && *p != '/')
		p++;
	c->n = (size_t)(p - c->s);
	*pp = p;
	return true;
}

static int parse_kubepods(const char *p, struct cgroup_attr *out)
{
	struct comp c;

	if (!next_comp(&p, &c))
		return -ENOENT;
	if (parse_qos(&c, out) && !next_comp(&p, &c))
		return -ENOENT;
	if (!parse_pod(&c, out))
		return -EINVAL;
	out->kind = CG_POD;
	if (!out->qos[0])
		snprintf(out->qos, sizeof(out->qos), "guaranteed");
	if (!next_comp(&p, &c))
		return 0;
	if (comp_has_prefix(&c, "crio-conmon-"))
		return 0;	/* the runtime's monitor: pod level */
	if (!parse_container(&c, out))
		return -EINVAL;
	out->kind = CG_CONTAINER;
	/* Deeper components (a container's own sub-cgroups) stay in it. */
	return 0;
}

/*
 * The system manager's service a host cgroup belongs to:
 * /system.slice/<unit>.service[/...]. Only root creates units there (or
 * moves a process into one); a user's own units live under user.slice and
 * are not reported, so "kubelet.service" cannot come from a user.
 */
static void system_unit(const char *path, struct cgroup_attr *out)
{
	struct comp c;

	if (!next_comp(&path, &c) || !comp_is(&c, "system.slice") || !next_comp(&path, &c) ||
	    !comp_has_suffix(&c, ".service") || c.n >= sizeof(out->unit))
		return;
	memcpy(out->unit, c.s, c.n);
	out->unit[c.n] = '\0';
}

int cgroup_path_parse(const char *path, struct cgroup_attr *out)
{
	const char *p = path;
	struct comp c;
	int err;

	memset(out, 0, sizeof(*out));
	/* ".." would let a path climb out of the subtree it names. */
	for (const char *q = path; next_comp(&q, &c);)
		if (comp_is(&c, ".."))
			return -EINVAL;
	while (next_comp(&p, &c)) {
		if (is_kproot(&c)) {
			err = parse_kubepods(p, out);
			if (err) {
				memset(out, 0, sizeof(*out));
				out->kind = CG_UNKNOWN;
			}
			return err;
		}
		if (comp_has_suffix(&c, ".scope") && !comp_has_prefix(&c, "crio-conmon-") &&
		    parse_container(&c, out)) {
			out->kind = CG_CONTAINER;	/* a container outside Kubernetes */
			return 0;
		}
		out->container_id[0] = '\0';
		out->runtime[0] = '\0';
	}
	out->kind = CG_HOST;
	snprintf(out->container_id, sizeof(out->container_id), "host");
	system_unit(path, out);
	return 0;
}

const char *cgroup_kind_name(enum cgroup_kind kind)
{
	switch (kind) {
	case CG_HOST: return "host";
	case CG_POD: return "pod";
	case CG_CONTAINER: return "container";
	default: return "unknown";
	}
}

/* Undo mountinfo's octal escapes (\040 for a space) in place. */
static void unescape_octal(char *s)
{
	char *w = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*w++ = (char)(((s[1] - '0') << 6) | ((s[2] - '0') << 3) | (s[3] - '0'));
			s += 3;
		} else {
			*w++ = *s;
		}
	}
	*w = '\0';
}

static int find_cgroup2(const char *mountinfo, const char *prefix, char *buf, size_t size)
{
	FILE *f = fopen(mountinfo, "re");
	char *line = NULL;
	size_t cap = 0;
	int err = -ENOENT;

	if (!f)
		return -errno;
	while (getline(&line, &cap, f) > 0) {
		char *sep = strstr(line, " - "), *mnt, *save = NULL, *fstype;
		struct stat st;

		if (!sep)
			continue;
		fstype = strtok_r(sep + 3, " ", &save);
		if (!fstype || strcmp(fstype, "cgroup2"))
			continue;
		/* id parent maj:min root mountpoint ... */
		save = NULL;
		if (!strtok_r(line, " ", &save) || !strtok_r(NULL, " ", &save) ||
		    !strtok_r(NULL, " ", &save) || !strtok_r(NULL, " ", &save))
			continue;
		mnt = strtok_r(NULL, " ", &save);
		if (!mnt)
			continue;
		unescape_octal(mnt);
		if ((size_t)snprintf(buf, size, "%s%s", prefix, mnt) >= size)
			continue;
		if (!stat(buf, &st) && S_ISDIR(st.st_mode)) {
			err = 0;
			break;
		}
	}
	free(line);
	fclose(f);
	return err;
}

int cgroup_root_detect(const char *host_root, char *buf, size_t size)
{
	char mi[PATH_MAX], prefix[PATH_MAX];

	snprintf(prefix, sizeof(prefix), "%s", host_root && strcmp(host_root, "/") ? host_root : "");
	while (prefix[0] && prefix[strlen(prefix) - 1] == '/')
		prefix[strlen(prefix) - 1] = '\0';
	snprintf(mi, sizeof(mi), "%s/proc/1/mountinfo", prefix);
	if (!find_cgroup2(mi, prefix, buf, size))
		return 0;
	if (!find_cgroup2("/proc/self/mountinfo", "", buf, size))
		return 0;
	return -ENOENT;
}

struct cache_val {
	struct cgroup_attr attr;
	uint64_t expires_ms;	/* 0: never; negative entries expire */
	bool found;
};

struct cgroup_cache {
	char root[PATH_MAX];	/* as given */
	char real[PATH_MAX];	/* realpath, to strip from readlink results */
	int root_fd;
	struct lru *lru;
	bool no_handles;
	size_t walk_max_dirs;
	uint32_t negative_ttl_ms;
	uint64_t hits, misses, walks, handle_resolves, not_found;
};

int cgroup_cache_new(struct cgroup_cache **out, const struct cgroup_cache_opts *opts)
{
	struct cgroup_cache *c = NULL;
	int err;

	*out = NULL;
	if (!opts || !opts->root)
		return -EINVAL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->root_fd = -1;
	snprintf(c->root, sizeof(c->root), "%s", opts->root);
	if (!realpath(opts->root, c->real)) {
		err = -errno;
		goto cleanup;
	}
	c->root_fd = open(c->real, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (c->root_fd < 0) {
		err = -errno;
		goto cleanup;
	}
	err = lru_new(&c->lru, opts->max_entries ? opts->max_entries : CG_CACHE_DEFAULT,
		       sizeof(struct cache_val));
	if (err)
		goto cleanup;
	c->no_handles = opts->no_handles;
	c->walk_max_dirs = opts->walk_max_dirs ? opts->walk_max_dirs : WALK_DEFAULT_DIRS;
	c->negative_ttl_ms = opts->negative_ttl_ms ? opts->negative_ttl_ms : 10000;
	*out = c;
	return 0;
cleanup:
	cgroup_cache_free(c);
	return err;
}

void cgroup_cache_free(struct cgroup_cache *c)
{
	if (!c)
		return;
	if (c->root_fd >= 0)
		close(c->root_fd);
	lru_free(c->lru);
	free(c);
}

/* Resolve an id through a kernfs file handle: one syscall, no walk. */
static int resolve_by_handle(struct cgroup_cache *c, uint64_t id, char *buf, size_t size)
{
	struct {
		struct file_handle fh;
		uint64_t id;
	} h;
	char link[64], tmp[PATH_MAX];
	size_t rl = strlen(c->real);
	ssize_t n;
	int fd, err = 0;

	h.fh.handle_bytes = sizeof(h.id);
	h.fh.handle_type = FILEID_KERNFS;
	h.id = id;
	fd = open_by_handle_at(c->root_fd, &h.fh, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;	/* ESTALE: no such cgroup; EPERM: no capability */
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, tmp, sizeof(tmp) - 1);
	if (n < 0) {
		err = -errno;
		goto cleanup;
	}
	tmp[n] = '\0';
	if (!strcmp(c->real, "/"))
		rl = 0;
	/* Outside our view of the mount (another cgroup namespace): walk instead. */
	if (strncmp(tmp, c->real, rl) || (tmp[rl] != '/' && tmp[rl] != '\0')) {
		err = -EXDEV;
		goto cleanup;
	}
	snprintf(buf, size, "%s", tmp[rl] ? tmp + rl + 1 : "");
cleanup:
	close(fd);
	return err;
}

struct walk {
	uint64_t id;
	size_t budget;
	char path[PATH_MAX];	/* relative path of the directory being read */
};

/* Depth-first search for the directory whose inode is w->id. */
static int walk_dir(struct walk *w, int dfd, size_t len, int depth, int pass)
{
	DIR *d;
	struct dirent *de;
	int found = -ENOENT;

	d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return -ENOENT;
	}
	while (found && (de = readdir(d))) {
		size_t nl = strlen(de->d_name);
		bool kube;
		int sub;

		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		/* Pass 0 at the top only enters kubepods trees; pass 1 the rest. */
		kube = strstr(de->d_name, "kubepods") != NULL;
		if (depth == 0 && (pass == 0) != kube)
			continue;
		if (!w->budget--) {
			found = -E2BIG;
			break;
		}
		if (len + nl + 2 >= sizeof(w->path))
			continue;
		if (len)
			w->path[len] = '/';
		memcpy(w->path + len + (len ? 1 : 0), de->d_name, nl + 1);
		/* kernfs reports the node id as d_ino: no stat() needed. */
		if (de->d_ino == w->id)
			found = 0;
		else if (depth + 1 < WALK_MAX_DEPTH &&
			 (sub = openat(dirfd(d), de->d_name,
				       O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0)
			found = walk_dir(w, sub, len + nl + (len ? 1 : 0), depth + 1, 1);
		if (found)
			w->path[len] = '\0';
		if (found == -E2BIG)
			break;
	}
	closedir(d);
	return found;
}

static int resolve_by_walk(struct cgroup_cache *c, uint64_t id, char *buf, size_t size)
{
	struct walk *w = calloc(1, sizeof(*w));
	int err = -ENOENT;

	if (!w)
		return -ENOMEM;
	w->id = id;
	w->budget = c->walk_max_dirs;
	c->walks++;
	for (int pass = 0; pass < 2 && err == -ENOENT; pass++) {
		int fd = openat(c->root_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		if (fd < 0) {
			err = -errno;
			break;
		}
		w->path[0] = '\0';
		err = walk_dir(w, fd, 0, 0, pass);
	}
	if (err == -E2BIG)
		log_warn("cgroup: %s: walk for id %llu stopped after %zu directories",
			 c->root, (unsigned long long)id, c->walk_max_dirs);
	if (!err)
		snprintf(buf, size, "%s", w->path);
	free(w);
	return err;
}

static int resolve_path(struct cgroup_cache *c, uint64_t id, char *buf, size_t size)
{
	struct stat st;
	int err = -EOPNOTSUPP;

	/* The mount's own directory: the root cgroup. */
	if (!fstat(c->root_fd, &st) && st.st_ino == id) {
		buf[0] = '\0';
		return 0;
	}
	if (!c->no_handles) {
		err = resolve_by_handle(c, id, buf, size);
		if (!err) {
			c->handle_resolves++;
			return 0;
		}
		if (err == -ESTALE || err == -ENOENT)
			return -ENOENT;	/* the kernel says: no such cgroup */
	}
	return resolve_by_walk(c, id, buf, size);
}

int cgroup_cache_path(struct cgroup_cache *c, uint64_t id, char *buf, size_t size)
{
	return resolve_path(c, id, buf, size);
}

int cgroup_cache_lookup(struct cgroup_cache *c, uint64_t id, struct cgroup_attr *out)
{
	struct cache_val *v = lru_get(c->lru, id);
	char *path;
	int err;

	if (v && (!v->expires_ms || v->expires_ms > clock_ms(CLOCK_MONOTONIC))) {
		c->hits++;
		*out = v->attr;
		return v->found ? 0 : -ENOENT;
	}
	c->misses++;
	path = malloc(PATH_MAX);
	if (!path)
		return -ENOMEM;
	err = resolve_path(c, id, path, PATH_MAX);
	if (!err)
		cgroup_path_parse(path, out);	/* malformed: CG_UNKNOWN, cached too */
	else
		memset(out, 0, sizeof(*out));
	free(path);
	if (err && err != -ENOENT)
		return err;	/* transient (ENOMEM, EMFILE): do not cache */
	v = lru_put(c->lru, id);
	if (v) {
		v->attr = *out;
		v->found = !err;
		v->expires_ms = err ? clock_ms(CLOCK_MONOTONIC) + c->negative_ttl_ms : 0;
	}
	if (err)
		c->not_found++;
	return err;
}

void cgroup_cache_stats(const struct cgroup_cache *c, struct cgroup_cache_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->entries = lru_count(c->lru);
	st->max_entries = lru_max(c->lru);
	st->hits = c->hits;
	st->misses = c->misses;
	st->evictions = lru_evictions(c->lru);
	st->walks = c->walks;
	st->handle_resolves = c->handle_resolves;
	st->not_found = c->not_found;
}

const char *cgroup_cache_root(const struct cgroup_cache *c)
{
	return c->root;
}
