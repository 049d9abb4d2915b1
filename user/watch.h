/* SPDX-License-Identifier: Apache-2.0 */
/*
 * watch.h - credential discovery and live updates.
 *
 * Finds credential files under --host-root (kubelet pod volumes, what the
 * catalog lists for the node, for every home and for pods, --watch paths)
 * with stat/readdir/readlink and O_PATH only - never opening a credential -
 * and keeps the table in creds.h, and through the sink the kernel's inode
 * map, in step with pods coming and going and tokens rotating (inotify, no
 * full rescan).
 *
 * What must not be watched is refused and reported (a log line naming the
 * catalog entry or pod, once; watch_stats().refused[]): a symlink the entry
 * does not follow or that leads out of the entry or home, a file under a
 * home owned by another user, files past an entry's or a pod's bound, and
 * anything but a service-account token once the map is full but for the
 * share kept for tokens.
 *
 * kubelet mounts a tmpfs on each Secret and projected volume before it
 * writes the files, so directory events alone never see a new pod's
 * credentials: the mount table is followed too (POLLPRI on
 * /proc/self/mountinfo), and a bounded periodic re-check of every pod's
 * volumes counts what both missed.
 *
 * The event loop waits for EPOLLIN on watch_fd() and EPOLLPRI on
 * watch_mount_fd(), calls watch_mounts_changed() when the latter fires,
 * and watch_process() on every iteration (it also runs the re-check).
 */
#ifndef CW_WATCH_H
#define CW_WATCH_H

#include "creds.h"
#include "opt.h"

struct catalog;

enum watch_refusal;

struct watch_sink {
	/* called after an entry is added (id assigned) or before it is removed */
	int (*add)(void *ctx, const struct cred_entry *c);
	void (*del)(void *ctx, const struct cred_entry *c);
	void *ctx;
	/*
	 * May be NULL: a file found but not watched, once per reason and
	 * place. c names it (path, entry, kind, owner; uid, gid, mode and size
	 * only for WATCH_REFUSED_OWNER; for a bound, path is the pattern or pod
	 * and count the files), why says it in words.
	 */
	void (*refused)(void *ctx, enum watch_refusal r, const struct cred_entry *c,
			uint64_t count, const char *why);
};

struct watch_opts {
	struct strlist extra;		/* --watch: more host files and directories */
	struct strlist catalog_files;	/* --catalog FILE|DIR; none: the installed catalog */
	uint64_t recheck_ms;		/* --discovery-recheck-ms; 0: never */
	uint64_t max_per_pod;		/* --max-watched-per-pod: files per pod; 0: no bound */
	uint64_t token_reserve;		/* --token-reserve: of max_watched, only sa_token
					   entries may use (the caller caps it at a quarter) */
	/* not options: */
	const char *host_root;		/* --host-root (the agent's); "/" by default */
	int max_depth;			/* recursion bound for directories (8) */
	const char *mountinfo;		/* "/proc/self/mountinfo" by default; tests */
	const struct catalog *catalog;	/* host, home and pod locations; NULL: none */
	uint32_t max_watched;		/* the kernel map's size; 0: no bound here */
	bool once;			/* one scan only (inventory): no inotify, no mount table */
};

/* --watch, --catalog, --discovery-recheck-ms, --max-watched-per-pod, --token-reserve (opt.h) */
extern const struct opt_table watch_options;

/* Why discovery did not watch a file it found. */
enum watch_refusal {
	WATCH_REFUSED_SYMLINK = 0,	/* a symlink the catalog entry does not follow */
	WATCH_REFUSED_OUTSIDE,		/* a followed symlink led out of the entry or home */
	WATCH_REFUSED_OWNER,		/* under a home, owned by another user than its own */
	WATCH_REFUSED_ENTRY_BOUND,	/* past the catalog entry's max files for one owner */
	WATCH_REFUSED_POD_BOUND,	/* past --max-watched-per-pod */
	WATCH_REFUSED_RESERVE,		/* the map's last token-reserve places are for tokens */
	WATCH_REFUSED__COUNT,
};

/* "symlink", "outside", "owner", "entry_bound", "pod_bound", "reserve" */
const char *watch_refusal_name(enum watch_refusal r);

struct watch_stats {
	uint64_t scans, pod_rescans, rotations, add_failures, inotify_overflows;
	uint64_t mount_reads;		/* mount table re-reads after a mount or unmount */
	uint64_t volume_mounts;		/* now: kubelet volume mounts followed */
	uint64_t inotify_watches;	/* now: directories watched */
	uint64_t rechecked_pods;	/* pods the periodic re-check looked at */
	uint64_t recheck_cycles;	/* full passes of the re-check over the pods */
	uint64_t late_finds;		/* credentials the re-check found that the live path missed */
	uint64_t late_removals;		/* stale credentials the re-check removed */
	/* files refused, counted once per reason and place (see watch_refusal) */
	uint64_t refused[WATCH_REFUSED__COUNT];
	uint64_t unmatched;		/* now: watched on a filesystem opens may not match on */
};

/* How many pods one re-check tick looks at (a full cycle: pods / this ticks). */
#define WATCH_RECHECK_PODS	16

struct watch;

int watch_new(struct watch **out, const struct watch_opts *opts, struct creds *table,
	      const struct watch_sink *sink);
void watch_free(struct watch *w);

/* Full discovery: at start and on SIGHUP. Returns 0 or -errno. */
int watch_scan_all(struct watch *w);

/*
 * Handle pending inotify events and mount changes (non-blocking), then a
 * re-check tick when one is due. Returns rescans done or -errno.
 */
int watch_process(struct watch *w);

/*
 * How long the event loop may wait before watch_process() has work that is
 * not signalled by a descriptor (a mount table re-read held back under a
 * mount storm, the next re-check tick): 0..max_ms.
 */
int watch_timeout_ms(const struct watch *w, int max_ms);

/* The inotify descriptor, for poll() with POLLIN; -1 without inotify. */
int watch_fd(const struct watch *w);

/*
 * The mount table, for poll() with POLLPRI (the kernel signals every mount
 * and unmount in this mount namespace); -1 when it could not be opened.
 * Polling consumes the signal: call watch_mounts_changed() when it fires.
 */
int watch_mount_fd(const struct watch *w);
void watch_mounts_changed(struct watch *w);

void watch_stats(const struct watch *w, struct watch_stats *out);

/*
 * What discovery refuses now: one record per reason and place, kept while a
 * rescan of its group (a home, a pod, the host) still refuses it, at most
 * WATCH_REFUSED_KEPT (the rest is counted, not kept). cred holds the place
 * (path, entry, kind, owner, pod uid, home uid; file identity for
 * WATCH_REFUSED_OWNER); files how many; why says it in words. Valid until
 * the next watch call that rescans.
 */
#define WATCH_REFUSED_KEPT	1024

struct watch_refused {
	enum watch_refusal reason;
	struct cred_entry cred;
	uint64_t files;
	const char *why;
};

/* The i-th refusal (0..), NULL past the last. */
const struct watch_refused *watch_refused(const struct watch *w, size_t i);

/* SIGHUP: use another catalog from the next scan on (the caller frees the old one after). */
void watch_set_catalog(struct watch *w, const struct catalog *catalog);

/*
 * Classify a file in a kubelet volume. plugin is "kubernetes.io~projected"
 * or "kubernetes.io~secret"; has_sa_keys is true when the volume holds
 * token, ca.crt and namespace (a legacy service-account token Secret).
 * Returns the kind, or -1 when the file is not a credential.
 */
int watch_classify_volume_file(const char *plugin, const char *name, bool has_sa_keys,
			       bool *legacy_token);

#endif /* CW_WATCH_H */
