// SPDX-License-Identifier: Apache-2.0
/*
 * watch.c - credential discovery under --host-root and live updates.
 * Over 600 lines: the group rescan and its diff against the table, the
 * generation sweep and the periodic re-check are one algorithm over one
 * table; what could stand apart already does (watch_scan.c what a group
 * holds, watch_inotify.c, watch_mounts.c, watch_refuse.c).
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
 * is never opened. What a group is on disk is watch_scan.c's, refusals
 * watch_refuse.c's, directory watches watch_inotify.c's and the mount table
 * watch_mounts.c's (watch_int.h).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"
#include "discovery/catalog.h"
#include "discovery/safepath.h"
#include "fsident.h"
#include "hash.h"
#include "json.h"
#include "log.h"
#include "mountinfo.h"
#include "watch_int.h"

static void drop_entry(struct watch *w, const struct cred_entry *e)
{
	uint32_t id = e->id;

	if (e->unmatched && w->stats.unmatched)
		w->stats.unmatched--;
	if (w->sink.del)
		w->sink.del(w->sink.ctx, e);
	creds_remove(w->table, id);
}

/*
 * Is e, an entry that holds the inode of a file just found elsewhere, a
 * file that has gone? tmpfs hands a freed device number to the next mount
 * and numbers each fresh filesystem's files from the same start, so under
 * pod churn a new pod's token has the (dev, ino) of the token of a pod
 * unmounted a moment ago - and when one batch of events holds both, the
 * new pod can be rescanned before the old one. A hard link or an
 * overlapping glob still names the file: stat() says which.
 */
static bool entry_is_gone(const struct watch *w, const struct cred_entry *e)
{
	char path[PATH_MAX];
	struct stat st;

	watch_host_path(w, e->path, path, sizeof(path));
	return stat(path, &st) || st.st_ino != e->ino || st.st_dev != e->dev;
}

/* Returns true when c is in the table (and the kernel map) afterwards, by this call. */
static bool add_entry(struct watch *w, const struct cred_entry *c)
{
	const struct cred_entry *e;
	uint32_t id, gone = 0;
	int err;

	/*
	 * One inode, one credential: hard links and globs that overlap. But an
	 * entry whose file has gone hands its inode over: refused, c would
	 * stay unwatched once that entry's own rescan drops it, and the kernel
	 * key with it (nothing rescans c's group again), so c's reads in
	 * between and after would be lost.
	 */
	e = creds_find_inode(w->table, c->ino, c->kdev);
	if (e && !entry_is_gone(w, e))
		return false;
	if (e)
		gone = e->id;
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
		watch_refused_keep(w, watch_refusal_key(WATCH_REFUSED_RESERVE, "map", c->group),
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
	/*
	 * After c's add, which made the kernel key name c: the gone entry's
	 * removal then leaves the key alone (user/agent.c, sink_del), so there
	 * is no moment in which a read of c goes unseen.
	 */
	if (gone && (e = creds_get(w->table, gone)))
		drop_entry(w, e);
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
		uint32_t h = hash_fnv32_str(f->v[i].path) & ix->mask;

		while (ix->slots[h] != SIZE_MAX)
			h = (h + 1) & ix->mask;
		ix->slots[h] = i;
	}
	return 0;
}

static struct cred_entry *found_lookup(const struct found_index *ix, const struct found *f,
				       const char *path)
{
	for (uint32_t h = hash_fnv32_str(path) & ix->mask; ix->slots[h] != SIZE_MAX; h = (h + 1) & ix->mask)
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

static int rescan_group(struct watch *w, const char *group)
{
	struct found f = { 0 };
	int err;

	w->refusal_gen++;
	err = watch_collect_group(w, &f, group);
	if (!err) {
		apply_group(w, group, &f, NULL);
		watch_wd_sweep_group(w, group);
		watch_refused_sweep(w, group, w->refusal_gen);
	}
	watch_found_free(&f);
	return err;
}

/*
 * Rescan every group of the table named prefix + a directory that has
 * gone (is_gone says), so its credentials are dropped. Collected first:
 * rescanning removes entries from the table being walked.
 */
static int rescan_gone(struct watch *w, const char *prefix,
		       bool (*is_gone)(struct watch *w, const char *dir))
{
	const struct cred_entry *e;
	char (*gone)[80] = NULL;
	size_t ngone = 0, cap = 0, plen = strlen(prefix);
	uint32_t cursor = 0;

	while ((e = creds_next(w->table, &cursor))) {
		if (strncmp(e->group, prefix, plen) || !is_gone(w, e->group + plen))
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

static bool pod_dir_is_gone(struct watch *w, const char *uid)
{
	char pdir[PATH_MAX];
	struct stat st;

	snprintf(pdir, sizeof(pdir), "%s" KUBELET_PODS "/%s", w->root, uid);
	return stat(pdir, &st) != 0;
}

static bool home_dir_is_gone(struct watch *w, const char *home)
{
	struct safepath_policy pol = { .trusted = home };	/* root's links */
	struct safepath_res res;

	return safepath_stat(w->sp, home, &pol, &res) != 0;
}

/* Every pod dir, plus every pod group in the table that has gone. */
static int rescan_pods(struct watch *w)
{
	char path[PATH_MAX], group[80];
	struct dirent *de;
	DIR *d;
	int err = 0;

	watch_host_path(w, KUBELET_PODS, path, sizeof(path));
	d = opendir(path);
	/* one watch on the pods dir, also after a mount replaced it */
	w->gen++;
	if (d)
		watch_wd_add(w, KUBELET_PODS, "pods");
	watch_wd_sweep_group(w, "pods");
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
	return rescan_gone(w, "pod:", pod_dir_is_gone);	/* pods deleted while we were not looking */
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
	int err;

	if (!w->catalog || !watch_sp_ready(w))
		return 0;
	w->gen++;
	watch_wd_add(w, HOMES_DIR, "homes");	/* a new user's home, as a new pod's dir */
	watch_wd_sweep_group(w, "homes");
	err = catalog_homes(w->sp, rescan_home, w);
	if (err)
		return err;
	return rescan_gone(w, "home:", home_dir_is_gone);
}

int watch_scan_all(struct watch *w)
{
	int err;

	w->stats.scans++;
	if (w->sp)
		safepath_flush(w->sp);	/* a batch sees the host as it is now */
	fsident_invalidate(w->fsid);
	watch_mounts_refresh(w, true);
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

/*
 * Everything already queued: inotify events, a mount table change (now, or
 * after the back-off unless now_mounts), then the rescans they call for.
 */
static int process_pending(struct watch *w, bool now_mounts)
{
	int err, done = 0;

	if (w->sp)
		safepath_flush(w->sp);

	err = watch_drain_inotify(w);
	if (now_mounts && watch_mounts_signalled(w))
		w->mounts_changed = true;
	if (w->mounts_changed && (now_mounts || clock_ns(CLOCK_MONOTONIC) >= w->mounts_not_before_ns))
		watch_mounts_refresh(w, false);
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
		else if (!(e = creds_find_inode(w->table, c->ino, c->kdev)) || entry_is_gone(w, e))
			return true;	/* would be added (add_entry) */
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
	if (watch_collect_group(w, &before, group))
		goto cleanup;
	if (!group_differs(w, group, &before)) {
		watch_wd_sweep_group(w, group);
		goto cleanup;
	}
	process_pending(w, true);
	if (!watch_collect_group(w, &now, group)) {
		apply_group(w, group, &now, &before);
		watch_wd_sweep_group(w, group);
	}
cleanup:
	watch_found_free(&before);
	watch_found_free(&now);
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
		safepath_flush(w->sp);
	watch_host_path(w, KUBELET_PODS, path, sizeof(path));
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

	if (w->recheck_ns && (now = clock_ns(CLOCK_MONOTONIC)) >= w->recheck_next_ns) {
		recheck_tick(w);
		w->recheck_next_ns = now + w->recheck_ns;
	}
	return done;
}

int watch_timeout_ms(const struct watch *w, int max_ms)
{
	uint64_t now = clock_ns(CLOCK_MONOTONIC), due = UINT64_MAX;

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

void watch_set_catalog(struct watch *w, const struct catalog *catalog)
{
	w->catalog = catalog;
	w->catalog_pods = catalog && catalog_has_scope(catalog, CATALOG_SCOPE_POD);
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
	w->catalog_pods = opts->catalog && catalog_has_scope(opts->catalog, CATALOG_SCOPE_POD);
	w->max_per_pod = opts->max_per_pod && opts->max_per_pod < UINT32_MAX ?
			 (uint32_t)opts->max_per_pod : UINT32_MAX;
	w->max_watched = opts->max_watched;
	w->token_reserve = opts->token_reserve < opts->max_watched ? (uint32_t)opts->token_reserve : 0;
	w->recheck_ns = opts->recheck_ms * 1000000ULL;
	w->recheck_next_ns = clock_ns(CLOCK_MONOTONIC) + w->recheck_ns;
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
	watch_sp_ready(w);	/* a host root that does not exist yet is tried again at each scan */
	if (opts->extra.n > 0) {
		w->extra = calloc((size_t)opts->extra.n, sizeof(char *));
		if (!w->extra)
			goto cleanup;
		for (int i = 0; i < opts->extra.n; i++) {
			const char *p = opts->extra.v[i];
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
		watch_resolve_pods_dir(w);
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
	watch_resolve_pods_dir(w);
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
	safepath_free(w->sp);
	for (size_t i = 0; i < w->nrefused; i++)
		watch_refused_rec_free(&w->refused[i]);
	free(w->refused);
	free(w->refusals_seen);
	free(w->gwds);
	free(w->dirty);
	free(w);
}

static const struct opt_desc watch_option_list[] = {
	OPT_LIST(struct watch_opts, extra, "watch", "PATH", "none",
		 "also watch this host file or directory (kind custom); repeatable"),
	OPT_LIST(struct watch_opts, catalog_files, "catalog", "FILE|DIR", "/etc/credwatch/catalog.d, "
		 "else catalog/ next to the build", "credential catalog: where credentials live on "
		 "a node (every .yaml file of a DIR); repeatable, applied in order"),
	OPT_UINT(struct watch_opts, recheck_ms, "discovery-recheck-ms", "MS", 1000, "1000",
		 "re-check the volumes of the next 16 pods this often, counting what the live "
		 "path missed (0: off)"),
	OPT_UINT(struct watch_opts, token_reserve, "token-reserve", "N", 8192, "8192",
		 "places of the watched map only service-account tokens may take (at most a quarter "
		 "of --max-watched)"),
	OPT_UINT(struct watch_opts, max_per_pod, "max-watched-per-pod", "N", 512, "512",
		 "credential files watched per pod, service-account tokens first (0: no bound)"),
};

static int watch_opts_check(const void *opts, char *err, size_t err_size)
{
	const struct watch_opts *o = opts;

	if (o->recheck_ms > 3600000) {
		snprintf(err, err_size, "--discovery-recheck-ms: %llu is above 3600000 (an hour)",
			 (unsigned long long)o->recheck_ms);
		return -EINVAL;
	}
	return 0;
}

const struct opt_table watch_options = OPT_TABLE(watch_option_list, NULL, watch_opts_check);
