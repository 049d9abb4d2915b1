/* SPDX-License-Identifier: Apache-2.0 */
/*
 * watch_int.h - inside discovery: the state watch.c (groups applied to the
 * table, rescans, the re-check, the loop's entry points) shares with
 * watch_scan.c (what a group is on disk: the catalog's places, pod
 * volumes, --watch), watch_refuse.c (what discovery will not watch, and
 * why), watch_inotify.c (directory watches) and watch_mounts.c (the mount
 * table). Not for other modules: their interface is watch.h.
 */
#ifndef CW_WATCH_INT_H
#define CW_WATCH_INT_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "mountinfo.h"
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

/* watch_scan.c */
/* The kubelet volume plugins whose files are credentials. */
#define WATCH_VOLUME_PLUGINS	2
extern const char *const watch_volume_plugins[WATCH_VOLUME_PLUGINS];
/* Candidates of one group: "host", "home:<dir>" or "pod:<uid>" (0 or -errno). */
int watch_collect_group(struct watch *w, struct found *f, const char *group);
void watch_found_free(struct found *f);
/* hpath (a host path) under --host-root, into out. */
void watch_host_path(const struct watch *w, const char *hpath, char *out, size_t size);
/* The host root, opened for safepath once it exists. */
bool watch_sp_ready(struct watch *w);

/* watch_refuse.c */
uint64_t watch_refusal_key(enum watch_refusal r, const char *a, const char *b);
void watch_refused_rec_free(struct refused_rec *r);
/* Keep (or refresh) the record of a refusal seen by the rescan under way. */
void watch_refused_keep(struct watch *w, uint64_t key, enum watch_refusal reason,
			const struct cred_entry *c, uint64_t files, bool add, const char *why);
/* After a rescan of group: forget its refusals that rescan did not see again. */
void watch_refused_sweep(struct watch *w, const char *group, uint32_t gen);
/* Count, log and pass on a refusal, once per reason and place. */
void watch_refuse(struct watch *w, enum watch_refusal r, const struct cred_entry *c,
		  const char *where, const char *place, uint64_t files, const char *fmt, ...)
	__attribute__((format(printf, 7, 8)));

/* watch_inotify.c */
/*
 * Watch a directory for group. inotify answers one wd per inode, so the
 * same path after a mount on it is a new wd (the new filesystem's root),
 * and the old one is left for the group's sweep.
 */
void watch_wd_add(struct watch *w, const char *dir, const char *group);
/*
 * After a complete scan of group: remove its watches the scan did not
 * confirm - a directory now covered by a mount, a filesystem unmounted here
 * that a container's namespace keeps alive, a directory gone. Its IN_IGNORED
 * then finds no entry.
 */
void watch_wd_sweep_group(struct watch *w, const char *group);
/* Rescan group on the next watch_process(). */
void watch_mark_dirty(struct watch *w, const char *group);
/* Read pending inotify events into dirty groups. 0 or -errno. */
int watch_drain_inotify(struct watch *w);

/* watch_mounts.c */
/*
 * The pods directory as the mount table names it: canonical (symlinks
 * resolved, as a node's /var/lib/kubelet often is) once it exists;
 * until then the absolute path as given.
 */
void watch_resolve_pods_dir(struct watch *w);
/*
 * Re-read the mount table and rescan the pod of every volume mount that
 * came or went (baseline: only remember the set, a full scan follows).
 */
void watch_mounts_refresh(struct watch *w, bool baseline);
/* Has the mount table changed since the loop last polled it? (Consumes the signal.) */
bool watch_mounts_signalled(struct watch *w);

#endif /* CW_WATCH_INT_H */
