/* SPDX-License-Identifier: Apache-2.0 */
/*
 * watch.h - credential discovery and live updates.
 *
 * Finds credential files under --host-root (kubelet pod volumes, host
 * kubeconfigs, cluster PKI keys, cloud credentials, --watch paths) with
 * stat/readdir/readlink only - never opening a credential - and keeps the
 * table in creds.h, and through the sink the kernel's inode map, in step
 * with pods coming and going and tokens rotating (inotify, no full rescan).
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

struct watch_sink {
	/* called after an entry is added (id assigned) or before it is removed */
	int (*add)(void *ctx, const struct cred_entry *c);
	void (*del)(void *ctx, const struct cred_entry *c);
	void *ctx;
};

struct watch_opts {
	const char *host_root;		/* "/" by default */
	const char *const *extra;	/* --watch paths (host paths) */
	int nextra;
	int max_depth;			/* recursion bound for directories (8) */
	uint32_t recheck_ms;		/* re-check a few pods this often; 0: never */
	const char *mountinfo;		/* "/proc/self/mountinfo" by default; tests */
};

struct watch_stats {
	uint64_t scans, pod_rescans, rotations, add_failures, inotify_overflows;
	uint64_t mount_reads;		/* mount table re-reads after a mount or unmount */
	uint64_t volume_mounts;		/* now: kubelet volume mounts followed */
	uint64_t inotify_watches;	/* now: directories watched */
	uint64_t rechecked_pods;	/* pods the periodic re-check looked at */
	uint64_t recheck_cycles;	/* full passes of the re-check over the pods */
	uint64_t late_finds;		/* credentials the re-check found that the live path missed */
	uint64_t late_removals;		/* stale credentials the re-check removed */
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
 * Classify a file in a kubelet volume. plugin is "kubernetes.io~projected"
 * or "kubernetes.io~secret"; has_sa_keys is true when the volume holds
 * token, ca.crt and namespace (a legacy service-account token Secret).
 * Returns the kind, or -1 when the file is not a credential.
 */
int watch_classify_volume_file(const char *plugin, const char *name, bool has_sa_keys,
			       bool *legacy_token);

#endif /* CW_WATCH_H */
