/* SPDX-License-Identifier: Apache-2.0 */
/*
 * watch_int.h - inside discovery: the state watch.c (groups applied to the
 * table, rescans, the re-check, the loop's entry points) shares with
 * watch_scan.c (what a group is on disk), watch_inotify.c (directory
 * watches) and watch_mounts.c (the mount table). Not for other modules:
 * their interface is watch.h.
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
/* Candidates of one group: "host", or "pod:<uid>" (0 or -errno). */
int watch_collect_group(struct watch *w, struct found *f, const char *group);
void watch_found_free(struct found *f);
/* hpath (a host path) under --host-root, into out. */
void watch_host_path(const struct watch *w, const char *hpath, char *out, size_t size);

/* watch_inotify.c */
/* Watch directory dir for group (a new inode after a mount is a new watch). */
void watch_wd_add(struct watch *w, const char *dir, const char *group);
/* After a complete scan of group: drop the watches it did not confirm. */
void watch_wd_sweep_group(struct watch *w, const char *group);
/* Rescan group on the next watch_process(). */
void watch_mark_dirty(struct watch *w, const char *group);
/* Read pending inotify events into dirty groups. 0 or -errno. */
int watch_drain_inotify(struct watch *w);

/* watch_mounts.c */
/* The pods directory as the mount table names it. */
void watch_resolve_pods_dir(struct watch *w);
/* Re-read the mount table, marking the pods of changed volume mounts (baseline: only remember). */
void watch_mounts_refresh(struct watch *w, bool baseline);
/* Has the mount table changed since the loop last polled it? (Consumes the signal.) */
bool watch_mounts_signalled(struct watch *w);

#endif /* CW_WATCH_INT_H */
