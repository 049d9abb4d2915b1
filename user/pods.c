// SPDX-License-Identifier: Apache-2.0
/* pods.c - index of /var/log/pods and /var/log/containers under --host-root. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "pods.h"

struct ctr_ent {
	char id[PODS_CTR_ID_MAX];
	char name[PODS_CTR_NAME_MAX];
	char pod_uid[PODS_UID_MAX];
};

struct pods {
	char root[PATH_MAX];	/* host root without trailing '/' ("" for /) */
	size_t max_pods, max_ctrs;
	uint32_t min_refresh_ms, refresh_ms;
	uint64_t last_scan_ms;
	bool scanned;
	struct pod_ident *pods;	/* sorted by uid */
	size_t npods;
	struct ctr_ent *ctrs;	/* sorted by id */
	size_t nctrs;
	uint64_t scans, skipped;
};

int pods_new(struct pods **out, const struct pods_opts *opts)
{
	struct pods *p = calloc(1, sizeof(*p));
	const char *hr = opts && opts->host_root ? opts->host_root : "/";

	*out = NULL;
	if (!p)
		return -ENOMEM;
	snprintf(p->root, sizeof(p->root), "%s", strcmp(hr, "/") ? hr : "");
	while (p->root[0] && p->root[strlen(p->root) - 1] == '/')
		p->root[strlen(p->root) - 1] = '\0';
	p->max_pods = opts && opts->max_pods ? opts->max_pods : PODS_DEFAULT_MAX;
	p->max_ctrs = p->max_pods * 4;
	p->min_refresh_ms = opts && opts->min_refresh_ms ? opts->min_refresh_ms : 2000;
	p->refresh_ms = opts && opts->refresh_ms ? opts->refresh_ms : 30000;
	*out = p;
	return 0;
}

void pods_free(struct pods *p)
{
	if (!p)
		return;
	free(p->pods);
	free(p->ctrs);
	free(p);
}

/* Copy s[0..n) into a fixed buffer; false when empty or too long. */
static bool take(char *dst, size_t size, const char *s, size_t n)
{
	if (!n || n >= size)
		return false;
	memcpy(dst, s, n);
	dst[n] = '\0';
	return true;
}

/* A DNS-ish name or uid: no '/', no control bytes, nothing exotic. */
static bool plain(const char *s)
{
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '-' || *s == '.'))
			return false;
	return true;
}

/* "<ns>_<name>_<uid>" */
static bool parse_pod_dir(const char *d, struct pod_ident *pi)
{
	const char *a = strchr(d, '_'), *b = strrchr(d, '_');

	if (!a || a == b)
		return false;
	return take(pi->ns, sizeof(pi->ns), d, (size_t)(a - d)) &&
	       take(pi->name, sizeof(pi->name), a + 1, (size_t)(b - a - 1)) &&
	       take(pi->uid, sizeof(pi->uid), b + 1, strlen(b + 1)) &&
	       plain(pi->ns) && plain(pi->name) && plain(pi->uid);
}

static void scan_containers_of(struct pods *p, const char *dir, struct pod_ident *pi)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d)) && pi->ncontainers < PODS_CONTAINERS_MAX) {
		if (de->d_name[0] == '.' || (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN))
			continue;
		if (!plain(de->d_name) ||
		    strlen(de->d_name) >= sizeof(pi->containers[0])) {
			p->skipped++;
			continue;
		}
		snprintf(pi->containers[pi->ncontainers++], sizeof(pi->containers[0]),
			 "%s", de->d_name);
	}
	closedir(d);
}

static int cmp_pod(const void *a, const void *b)
{
	return strcmp(((const struct pod_ident *)a)->uid, ((const struct pod_ident *)b)->uid);
}

static int cmp_ctr(const void *a, const void *b)
{
	return strcmp(((const struct ctr_ent *)a)->id, ((const struct ctr_ent *)b)->id);
}

/*
 * One directory index: every entry parse() accepts, at most max, sorted
 * with cmp into a new array. parse() fills the zeroed entry and returns
 * false to skip it; finish() (optional) completes an entry that will be
 * kept. Skipped entries are counted; *over says the bound cut the rest.
 */
struct dir_index {
	const char *dir;
	size_t elem, max;
	bool (*parse)(struct pods *p, const char *dir, const char *name, void *entry);
	void (*finish)(struct pods *p, const char *dir, const char *name, void *entry);
	int (*cmp)(const void *, const void *);
};

static int scan_index(struct pods *p, const struct dir_index *ix, void **out, size_t *n,
		      bool *over)
{
	struct dirent *de;
	char *v = NULL;
	size_t cap = 0;
	DIR *d;

	*out = NULL;
	*n = 0;
	*over = false;
	d = opendir(ix->dir);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (*n == cap) {
			size_t nc = cap ? cap * 2 : 32;
			char *nv = realloc(v, nc * ix->elem);

			if (!nv) {
				free(v);
				closedir(d);
				return -ENOMEM;
			}
			v = nv;
			cap = nc;
		}
		memset(v + *n * ix->elem, 0, ix->elem);
		if (!ix->parse(p, ix->dir, de->d_name, v + *n * ix->elem)) {
			p->skipped++;
			continue;
		}
		if (*n >= ix->max) {
			p->skipped++;
			*over = true;
			continue;
		}
		if (ix->finish)
			ix->finish(p, ix->dir, de->d_name, v + *n * ix->elem);
		(*n)++;
	}
	closedir(d);
	if (*n)
		qsort(v, *n, ix->elem, ix->cmp);
	*out = v;
	return 0;
}

static bool parse_pod_entry(struct pods *p, const char *dir, const char *name, void *entry)
{
	(void)p;
	if (parse_pod_dir(name, entry))
		return true;
	log_debug("pods: %s/%s: not <namespace>_<pod>_<uid>", dir, name);
	return false;
}

static void finish_pod_entry(struct pods *p, const char *dir, const char *name, void *entry)
{
	char sub[PATH_MAX * 2];

	snprintf(sub, sizeof(sub), "%s/%s", dir, name);
	scan_containers_of(p, sub, entry);
}

static int scan_pods(struct pods *p, struct pod_ident **out, size_t *n)
{
	char dir[PATH_MAX + 32];
	struct dir_index ix = { dir, sizeof(**out), p->max_pods, parse_pod_entry,
				finish_pod_entry, cmp_pod };
	bool over;
	void *v;
	int err;

	snprintf(dir, sizeof(dir), "%s/var/log/pods", p->root);
	err = scan_index(p, &ix, &v, n, &over);
	*out = v;
	if (!err && over)
		log_warn("pods: %s: more than %zu pods, the rest is not indexed", dir, p->max_pods);
	return err;
}

/* "<pod>_<ns>_<container>-<id>.log" whose link target names the pod uid. */
static bool parse_ctr_link(struct pods *p, const char *dir, const char *fn, void *entry)
{
	struct ctr_ent *ce = entry;
	size_t len = strlen(fn);
	const char *dash, *a, *b, *target_uid;
	char link[PATH_MAX * 2], target[PATH_MAX], poddir[PATH_MAX];
	ssize_t tn;

	(void)p;

	if (len < 5 || strcmp(fn + len - 4, ".log"))
		return false;
	dash = memrchr(fn, '-', len - 4);
	if (!dash || !take(ce->id, sizeof(ce->id), dash + 1, (size_t)(fn + len - 4 - dash - 1)))
		return false;
	for (const char *c = ce->id; *c; c++)
		if (!((*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'f')))
			return false;
	a = strchr(fn, '_');
	b = a ? strchr(a + 1, '_') : NULL;
	if (!b || b > dash || !take(ce->name, sizeof(ce->name), b + 1, (size_t)(dash - b - 1)) ||
	    !plain(ce->name))
		return false;
	/* .../var/log/pods/<ns>_<pod>_<uid>/<container>/<n>.log */
	snprintf(link, sizeof(link), "%s/%s", dir, fn);
	tn = readlink(link, target, sizeof(target) - 1);
	if (tn <= 0)
		return false;
	target[tn] = '\0';
	target_uid = strstr(target, "/pods/");
	if (!target_uid)
		return false;
	snprintf(poddir, sizeof(poddir), "%s", target_uid + 6);
	if (strchr(poddir, '/'))
		*strchr(poddir, '/') = '\0';
	target_uid = strrchr(poddir, '_');
	return target_uid && take(ce->pod_uid, sizeof(ce->pod_uid), target_uid + 1,
				  strlen(target_uid + 1)) && plain(ce->pod_uid);
}

static int scan_ctrs(struct pods *p, struct ctr_ent **out, size_t *n)
{
	char dir[PATH_MAX + 32];
	struct dir_index ix = { dir, sizeof(**out), p->max_ctrs, parse_ctr_link, NULL, cmp_ctr };
	bool over;
	void *v;
	int err;

	snprintf(dir, sizeof(dir), "%s/var/log/containers", p->root);
	err = scan_index(p, &ix, &v, n, &over);	/* a cut is counted in skipped */
	*out = v;
	return err;
}

int pods_refresh(struct pods *p)
{
	struct pod_ident *pods = NULL;
	struct ctr_ent *ctrs = NULL;
	size_t npods = 0, nctrs = 0;
	int err;

	p->last_scan_ms = clock_ms(CLOCK_MONOTONIC);
	p->scanned = true;
	p->scans++;
	err = scan_pods(p, &pods, &npods);
	if (err) {
		log_warn("pods: %s/var/log/pods: scan: %s", p->root, strerror(-err));
		return err;	/* keep the previous index */
	}
	err = scan_ctrs(p, &ctrs, &nctrs);
	if (err) {
		log_warn("pods: %s/var/log/containers: scan: %s", p->root, strerror(-err));
		free(pods);
		return err;
	}
	free(p->pods);
	free(p->ctrs);
	p->pods = pods;
	p->npods = npods;
	p->ctrs = ctrs;
	p->nctrs = nctrs;
	return 0;
}

/* Rescan when due: periodically, or on a miss at most every min_refresh_ms. */
static bool maybe_refresh(struct pods *p, bool missed)
{
	uint64_t age = clock_ms(CLOCK_MONOTONIC) - p->last_scan_ms;

	if (!p->scanned || age >= p->refresh_ms || (missed && age >= p->min_refresh_ms)) {
		pods_refresh(p);
		return true;
	}
	return false;
}

/* bsearch with the uid string itself as the key: no key struct to build */
static int cmp_uid_key(const void *key, const void *elem)
{
	return strcmp(key, ((const struct pod_ident *)elem)->uid);
}

static struct pod_ident *find_pod(struct pods *p, const char *uid)
{
	if (strlen(uid) >= PODS_UID_MAX || !p->npods)
		return NULL;
	return bsearch(uid, p->pods, p->npods, sizeof(*p->pods), cmp_uid_key);
}

static struct ctr_ent *find_ctr(struct pods *p, const char *id)
{
	struct ctr_ent key = { .id = "" };

	if (strlen(id) >= sizeof(key.id) || !p->nctrs)
		return NULL;
	snprintf(key.id, sizeof(key.id), "%s", id);
	return bsearch(&key, p->ctrs, p->nctrs, sizeof(*p->ctrs), cmp_ctr);
}

int pods_lookup(struct pods *p, const char *uid, struct pod_ident *out)
{
	struct pod_ident *pi;

	if (!uid || !uid[0])
		return -ENOENT;
	maybe_refresh(p, false);
	pi = find_pod(p, uid);
	if (!pi && maybe_refresh(p, true))
		pi = find_pod(p, uid);
	if (!pi)
		return -ENOENT;
	/* per event, twice: copy the names in use, not all 32 container slots */
	memcpy(out->uid, pi->uid, sizeof(out->uid));
	memcpy(out->ns, pi->ns, sizeof(out->ns));
	memcpy(out->name, pi->name, sizeof(out->name));
	out->ncontainers = pi->ncontainers;
	memcpy(out->containers, pi->containers,
	       pi->ncontainers * sizeof(out->containers[0]));
	return 0;
}

int pods_container(struct pods *p, const char *container_id, char *name,
		    size_t name_size, char *pod_uid, size_t uid_size)
{
	struct ctr_ent *ce;

	if (!container_id || !container_id[0])
		return -ENOENT;
	maybe_refresh(p, false);
	ce = find_ctr(p, container_id);
	if (!ce && maybe_refresh(p, true))
		ce = find_ctr(p, container_id);
	if (!ce)
		return -ENOENT;
	snprintf(name, name_size, "%s", ce->name);
	if (pod_uid)
		snprintf(pod_uid, uid_size, "%s", ce->pod_uid);
	return 0;
}

void pods_stats(const struct pods *p, struct pods_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->pods = p->npods;
	st->containers = p->nctrs;
	st->max_pods = p->max_pods;
	st->scans = p->scans;
	st->skipped = p->skipped;
}
