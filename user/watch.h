/* SPDX-License-Identifier: Apache-2.0 */
/*
 * watch.h - credential discovery and live updates.
 *
 * Finds credential files under --host-root (kubelet pod volumes, host
 * kubeconfigs, cluster PKI keys, cloud credentials, --watch paths) with
 * stat/readdir/readlink only - never opening a credential - and keeps the
 * table in creds.h, and through the sink the kernel's inode map, in step
 * with pods coming and going and tokens rotating (inotify, no full rescan).
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
};

struct watch_stats {
	uint64_t scans, pod_rescans, rotations, add_failures, inotify_overflows;
};

struct watch;

int watch_new(struct watch **out, const struct watch_opts *opts, struct creds *table,
	      const struct watch_sink *sink);
void watch_free(struct watch *w);

/* Full discovery: at start and on SIGHUP. Returns 0 or -errno. */
int watch_scan_all(struct watch *w);

/* Handle pending inotify events (non-blocking). Returns rescans done or -errno. */
int watch_process(struct watch *w);

/* The inotify descriptor, for poll(). */
int watch_fd(const struct watch *w);

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
