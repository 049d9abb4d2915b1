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
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "discovery/catalog.h"
#include "discovery/safepath.h"
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
#define HOMES_DIR		"/home"
#define REFUSALS_SEEN_MAX	4096	/* refusals remembered, so each is logged once */

struct wd_entry {
	int wd;
	bool pinned;		/* wanted by two groups: only the kernel removes it */
	uint32_t seen;		/* scan generation that last confirmed it */
	char group[80];		/* group to rescan, or "pods" */
	struct wd_entry *next;	/* in wds[wd % WD_BUCKETS] */
	struct wd_entry *gnext, **gprev;	/* in gwds[hash(group)] */
};

/* A refusal as it stands: the public part, its key and group, when last seen. */
struct refused_rec {
	struct watch_refused pub;
	uint64_t key;
	char *group, *strings;		/* strings: pub.cred's and pub.why, one allocation */
	uint32_t seen;
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
	const struct catalog *catalog;	/* NULL: pods and --watch only */
	bool catalog_pods;		/* it has pod entries */
	struct safepath *sp;		/* every host path is resolved through it */
	uint32_t max_per_pod;		/* UINT32_MAX: no bound */
	uint32_t max_watched, token_reserve;	/* 0: no bound */
	uint64_t *refusals_seen;	/* REFUSALS_SEEN_MAX keys, 0 = free */
	uint32_t nrefusals_seen;
	struct refused_rec *refused;	/* what is refused now, WATCH_REFUSED_KEPT at most */
	size_t nrefused;
	uint32_t refusal_gen;		/* rescan that last re-saw a record */
	bool reserve_warned;
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

	if (safepath__stat(w->sp, hpath, &pol, &res) || !S_ISREG(res.st.st_mode))
		return 0;
	memset(&c, 0, sizeof(c));
	c.kind = CW_CRED_CUSTOM;
	c.group = "host";
	c.path = hpath;
	c.entry = "watch";
	host_path(w, res.resolved, where, sizeof(where));
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

	if (safepath__opendir(w->sp, hdir, &pol, &d, &res))
		return 0;
	wd_add(w, hdir, "host");
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

/* ------------------------------------------------ the catalog: host and homes */

/* The host root, opened for safepath once it exists. */
static bool sp_ready(struct watch *w)
{
	struct safepath_opts so = { .root = w->root[0] ? w->root : "/" };

	return w->sp || !safepath__new(&w->sp, &so);
}

static uint64_t refusal_key(enum watch_refusal r, const char *a, const char *b)
{
	uint32_t h1 = path_hash(a), h2 = path_hash(b);

	return ((uint64_t)h1 << 32 | h2) ^ ((uint64_t)r * 0x9E3779B97F4A7C15ULL);
}

/*
 * First time this refusal is seen (by reason and place)? Remembers up to
 * REFUSALS_SEEN_MAX; past that every refusal is new, so a flood of them
 * costs counting, not memory.
 */
static bool refusal_is_new(struct watch *w, uint64_t key)
{
	uint32_t i;

	if (!key)
		key = 1;
	i = (uint32_t)(key % REFUSALS_SEEN_MAX);
	for (uint32_t n = 0; n < REFUSALS_SEEN_MAX; n++, i = (i + 1) % REFUSALS_SEEN_MAX) {
		if (w->refusals_seen[i] == key)
			return false;
		if (!w->refusals_seen[i]) {
			if (w->nrefusals_seen + 1 >= REFUSALS_SEEN_MAX * 3 / 4)
				return true;	/* full enough: stop remembering */
			w->refusals_seen[i] = key;
			w->nrefusals_seen++;
			return true;
		}
	}
	return true;
}

static void refused_rec_free(struct refused_rec *r)
{
	free(r->strings);
	free(r->group);
}

/* Keep (or refresh) the record of a refusal seen by the rescan under way. */
static void refused_keep(struct watch *w, uint64_t key, enum watch_refusal reason,
			 const struct cred_entry *c, uint64_t files, bool add, const char *why)
{
	const char *src[5] = { c->path, c->entry, c->pod_uid, c->volume, why };
	size_t len[5], total = 0;
	struct refused_rec *r = NULL;
	char *buf, *p;

	for (size_t i = 0; i < w->nrefused; i++)
		if (w->refused[i].key == key) {
			r = &w->refused[i];
			break;
		}
	if (r) {	/* add: one more file of the same place in this rescan */
		r->pub.files = add && r->seen == w->refusal_gen ? r->pub.files + files : files;
		r->seen = w->refusal_gen;
		return;
	}
	if (w->nrefused == WATCH_REFUSED_KEPT)
		return;
	for (int i = 0; i < 5; i++) {
		len[i] = src[i] ? strlen(src[i]) : 0;
		total += len[i] + 1;
	}
	buf = malloc(total);
	r = &w->refused[w->nrefused];
	memset(r, 0, sizeof(*r));
	r->group = strdup(c->group ? c->group : "");
	if (!buf || !r->group) {
		free(buf);
		free(r->group);
		return;
	}
	r->strings = buf;
	r->key = key;
	r->seen = w->refusal_gen;
	r->pub.reason = reason;
	r->pub.cred = *c;
	r->pub.files = files;
	p = buf;
	for (int i = 0; i < 5; i++) {
		memcpy(p, src[i] ? src[i] : "", len[i]);
		p[len[i]] = '\0';
		if (i == 0)
			r->pub.cred.path = p;
		else if (i == 1)
			r->pub.cred.entry = p;
		else if (i == 2)
			r->pub.cred.pod_uid = p;
		else if (i == 3)
			r->pub.cred.volume = p;
		else
			r->pub.why = p;
		p += len[i] + 1;
	}
	r->pub.cred.group = r->group;
	r->pub.cred.secret_name = "";
	w->nrefused++;
}

/* After a rescan of group: forget its refusals that rescan did not see again. */
static void refused_sweep(struct watch *w, const char *group, uint32_t gen)
{
	for (size_t i = w->nrefused; i-- > 0;) {
		struct refused_rec *r = &w->refused[i];

		if (r->seen == gen || strcmp(r->group, group))
			continue;
		refused_rec_free(r);
		*r = w->refused[--w->nrefused];
	}
}

const struct watch_refused *watch_refused(const struct watch *w, size_t i)
{
	return i < w->nrefused ? &w->refused[i].pub : NULL;
}

/* Count, log and pass on a refusal, once per reason and place. */
static void refuse(struct watch *w, enum watch_refusal r, const struct cred_entry *c,
		   const char *where, const char *place, uint64_t files, const char *fmt, ...)
	__attribute__((format(printf, 7, 8)));

static void refuse(struct watch *w, enum watch_refusal r, const struct cred_entry *c,
		   const char *where, const char *place, uint64_t files, const char *fmt, ...)
{
	char why[PATH_MAX * 2 + 256];
	uint64_t key = refusal_key(r, where, place);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	refused_keep(w, key, r, c, files, false, why);
	if (!refusal_is_new(w, key))
		return;
	w->stats.refused[r] += files;
	log_warn("watch: %s: %s: not watched", where, why);
	if (w->sink.refused)
		w->sink.refused(w->sink.ctx, r, c, files, why);
}

struct hit_ctx {
	struct watch *w;
	struct found *f;
	const char *group;
};

static void on_catalog_dir(void *ctx, const char *dir)
{
	struct hit_ctx *h = ctx;

	wd_add(h->w, dir, h->group);
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
	host_path(w, hit->resolved && hit->resolved[0] ? hit->resolved : hit->path, agent_path,
		  sizeof(agent_path));
	if (hit->st)
		fill_identity(w, &c, agent_path, hit->st);
	switch (hit->refused) {
	case CATALOG_OK:
		break;
	case CATALOG_REFUSED_SYMLINK:
		refuse(w, WATCH_REFUSED_SYMLINK, &c, where, hit->path, 1, "%s: a symlink (to %s) "
		       "where the entry follows none", path,
		       text_escape(hit->link_target, target, sizeof(target)));
		return 0;
	case CATALOG_REFUSED_OUTSIDE:
		refuse(w, WATCH_REFUSED_OUTSIDE, &c, where, hit->path, 1, "%s: a symlink (%s -> %s) "
		       "leads out of where the entry may follow it, to %s", path,
		       hit->link, text_escape(hit->link_target, target, sizeof(target)),
		       hit->resolved);
		return 0;
	case CATALOG_REFUSED_OWNER:
		refuse(w, WATCH_REFUSED_OWNER, &c, where, hit->path, 1, "%s: owned by uid %u, not by "
		       "the home's owner (uid %u) or root", path, (unsigned)hit->st->st_uid,
		       (unsigned)hit->target->uid);
		return 0;
	case CATALOG_REFUSED_BOUND:
	default:
		refuse(w, WATCH_REFUSED_ENTRY_BOUND, &c, where, h->group, hit->count, "%s %s: %u more "
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

	if (!sp_ready(w))
		return 0;		/* no host root (yet): nothing to find */
	if (w->catalog) {
		err = catalog__scan(w->catalog, w->sp, &t, &cbs);
		if (err)
			return err;
	}
	for (int i = 0; i < w->nextra; i++) {
		struct safepath_res res;
		int serr;

		serr = safepath__stat(w->sp, w->extra[i], NULL, &res);
		if (serr == -ELOOP) {	/* the operator's own path: its links are followed */
			struct safepath_policy pol = { .trusted = w->extra[i] };

			serr = safepath__stat(w->sp, w->extra[i], &pol, &res);
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

	if (!w->catalog || !sp_ready(w))
		return 0;
	if (safepath__stat(w->sp, home, &pol, &res))
		return 0;		/* gone: the apply drops what it had */
	if (!S_ISDIR(res.st.st_mode))
		return 0;
	t.uid = res.st.st_uid;
	t.user = user ? user + 1 : home;
	wd_add(w, home, group);
	return catalog__scan(w->catalog, w->sp, &t, &cbs);
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
			host_path(w, vhdir, path, sizeof(path));
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
	const char *const *plugins = volume_plugins;
	char hdir[PATH_MAX], path[PATH_MAX];
	uint32_t budget = w->max_per_pod;
	uint64_t over = 0;
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
			DIR *vd;

			if (vde->d_name[0] == '.')
				continue;
			snprintf(vhdir, sizeof(vhdir), "%s/%s", hdir, vde->d_name);
			host_path(w, vhdir, vpath, sizeof(vpath));
			vd = opendir(vpath);
			if (!vd)
				continue;
			wd_add(w, vhdir, group);
			err = collect_volume(w, f, uid, group, plugins[p], vde->d_name, vhdir, vd,
					     p == 1 && volume_has_sa_keys(vpath), &budget, &over);
			closedir(vd);
		}
		closedir(pd);
	}
	/* the catalog's pod entries (Secrets Store CSI mounts), inside the same budget */
	snprintf(hdir, sizeof(hdir), KUBELET_PODS "/%s", uid);
	host_path(w, hdir, path, sizeof(path));
	if (!err && w->catalog && w->catalog_pods && catalog__pod_may_match(w->catalog, path) &&
	    sp_ready(w)) {
		struct catalog_target t = { .scope = CATALOG_SCOPE_POD, .pod_uid = uid };
		struct hit_ctx h = { w, f, group };
		struct catalog_scan_cbs cbs = { on_catalog_hit, on_catalog_dir, &h };
		size_t before = f->n;

		snprintf(hdir, sizeof(hdir), KUBELET_PODS "/%s", uid);
		t.base = hdir;
		err = catalog__scan(w->catalog, w->sp, &t, &cbs);
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
		refuse(w, WATCH_REFUSED_POD_BOUND, &c, where, group, over, "%llu credential files "
		       "beyond --max-watched-per-pod (%u; its service-account tokens are always "
		       "watched)", (unsigned long long)over, w->max_per_pod);
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
	/*
	 * The map's last token_reserve places are for service-account tokens:
	 * whatever fills the rest (a flood of Secret keys, a home full of
	 * files), every pod's token is still watched.
	 */
	if (w->max_watched && c->kind != CW_CRED_SA_TOKEN &&
	    creds_count(w->table) - creds_count_kind(w->table, CW_CRED_SA_TOKEN) + w->token_reserve >=
	    w->max_watched) {
		char path[PATH_MAX];

		w->stats.refused[WATCH_REFUSED_RESERVE]++;
		refused_keep(w, refusal_key(WATCH_REFUSED_RESERVE, "map", c->group),
			     WATCH_REFUSED_RESERVE, c, 1, true, "the watched map is full but for the "
			     "places kept for service-account tokens (raise --max-watched)");
		if (!w->reserve_warned || !(w->stats.refused[WATCH_REFUSED_RESERVE] % 1000))
			log_warn("watch: %s: not watched: the last %u places of --max-watched (%u) "
				 "are kept for service-account tokens (%llu refused so far)",
				 text_escape(c->path, path, sizeof(path)), w->token_reserve,
				 w->max_watched,
				 (unsigned long long)w->stats.refused[WATCH_REFUSED_RESERVE]);
		w->reserve_warned = true;
		return false;
	}
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
	if (!strncmp(group, "home:", 5))
		return collect_home(w, f, group + 5, group);
	return -EINVAL;
}

static int rescan_group(struct watch *w, const char *group)
{
	struct found f = { 0 };
	int err;

	w->refusal_gen++;
	err = collect_group(w, &f, group);
	if (!err) {
		apply_group(w, group, &f, NULL);
		wd_sweep_group(w, group);
		refused_sweep(w, group, w->refusal_gen);
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

static int rescan_home(void *ctx, const char *home, const char *user, uint32_t uid)
{
	struct watch *w = ctx;
	char group[80];

	(void)user;
	(void)uid;
	if ((size_t)snprintf(group, sizeof(group), "home:%s", home) >= sizeof(group))
		return 0;		/* a name longer than any user's */
	return rescan_group(w, group);
}

/* Every home, plus every home group in the table whose directory has gone. */
static int rescan_homes(struct watch *w)
{
	const struct cred_entry *e;
	char (*gone)[80] = NULL;
	size_t ngone = 0, cap = 0;
	uint32_t cursor = 0;
	int err;

	if (!w->catalog || !sp_ready(w))
		return 0;
	w->gen++;
	wd_add(w, HOMES_DIR, "homes");	/* a new user's home, as a new pod's dir */
	wd_sweep_group(w, "homes");
	err = catalog__homes(w->sp, rescan_home, w);
	if (err)
		return err;
	while ((e = creds_next(w->table, &cursor))) {
		struct safepath_policy pol = { .trusted = e->group + 5 };	/* root's links */
		struct safepath_res res;

		if (strncmp(e->group, "home:", 5))
			continue;
		if (!safepath__stat(w->sp, e->group + 5, &pol, &res))
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
	if (w->sp)
		safepath__flush(w->sp);	/* a batch sees the host as it is now */
	fsident_invalidate(w->fsid);
	mounts_refresh(w, true);
	err = rescan_group(w, "host");
	if (!err)
		err = rescan_homes(w);
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
				if (we && strcmp(we->group, "pods") && strcmp(we->group, "homes"))
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
			if (!strcmp(we->group, "homes")) {
				char group[80];

				if (ev->len && ev->name[0] != '.' &&
				    (size_t)snprintf(group, sizeof(group), "home:" HOMES_DIR "/%s",
						     ev->name) < sizeof(group))
					mark_dirty(w, group);
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

	if (w->sp)
		safepath__flush(w->sp);

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

	if (w->sp)
		safepath__flush(w->sp);
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

const char *watch_refusal_name(enum watch_refusal r)
{
	static const char *const names[WATCH_REFUSED__COUNT] = {
		[WATCH_REFUSED_SYMLINK] = "symlink",
		[WATCH_REFUSED_OUTSIDE] = "outside",
		[WATCH_REFUSED_OWNER] = "owner",
		[WATCH_REFUSED_ENTRY_BOUND] = "entry_bound",
		[WATCH_REFUSED_POD_BOUND] = "pod_bound",
		[WATCH_REFUSED_RESERVE] = "reserve",
	};

	return (unsigned)r < WATCH_REFUSED__COUNT ? names[r] : "unknown";
}

void watch_set_catalog(struct watch *w, const struct catalog *catalog)
{
	w->catalog = catalog;
	w->catalog_pods = catalog && catalog__has_scope(catalog, CATALOG_SCOPE_POD);
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
	w->catalog = opts->catalog;
	w->catalog_pods = opts->catalog && catalog__has_scope(opts->catalog, CATALOG_SCOPE_POD);
	w->max_per_pod = opts->max_per_pod ? opts->max_per_pod : UINT32_MAX;
	w->max_watched = opts->max_watched;
	w->token_reserve = opts->token_reserve < opts->max_watched ? opts->token_reserve : 0;
	w->recheck_ns = (uint64_t)opts->recheck_ms * 1000000ULL;
	w->recheck_next_ns = mono_ns() + w->recheck_ns;
	w->recheck_pos = -1;
	snprintf(w->root, sizeof(w->root), "%s", opts->host_root ? opts->host_root : "/");
	len = strlen(w->root);
	while (len > 0 && w->root[len - 1] == '/')
		w->root[--len] = '\0';
	w->dirty = calloc(MAX_DIRTY, sizeof(*w->dirty));
	w->gwds = calloc(GROUP_BUCKETS, sizeof(*w->gwds));
	w->refusals_seen = calloc(REFUSALS_SEEN_MAX, sizeof(*w->refusals_seen));
	w->refused = calloc(WATCH_REFUSED_KEPT, sizeof(*w->refused));
	if (!w->dirty || !w->gwds || !w->refusals_seen || !w->refused ||
	    fsident_new(&w->fsid, mountinfo))
		goto cleanup;
	sp_ready(w);	/* a host root that does not exist yet is tried again at each scan */
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
	if (opts->once) {	/* one scan and done: nothing to follow */
		resolve_pods_dir(w);
		*out = w;
		return 0;
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
	safepath__free(w->sp);
	for (size_t i = 0; i < w->nrefused; i++)
		refused_rec_free(&w->refused[i]);
	free(w->refused);
	free(w->refusals_seen);
	free(w->gwds);
	free(w->dirty);
	free(w);
}
