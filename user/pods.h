/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pods.h - node-local pod identity, no API needed: kubelet's log tree.
 *
 *   <host-root>/var/log/pods/<namespace>_<pod-name>_<pod-uid>/<container>/
 *       namespace, pod name, uid and container names of every pod on the node
 *   <host-root>/var/log/containers/<pod-name>_<namespace>_<container>-<id>.log
 *       symlinks into the tree above: container id -> container name
 *
 * Namespaces, pod names and container names are DNS names and never hold
 * '_', so both names split unambiguously. The index is rebuilt from a scan:
 * on a lookup miss (at most every min_refresh_ms) and every refresh_ms.
 * Bounded by max_pods (and 4 containers ids per pod on average). Owned by
 * one thread (the event loop); not thread-safe.
 */
#ifndef CW_PODS_H
#define CW_PODS_H

#include <stddef.h>
#include <stdint.h>

#define PODS_NS_MAX		64	/* DNS label, incl. NUL */
#define PODS_NAME_MAX		254	/* DNS subdomain, incl. NUL */
#define PODS_CTR_NAME_MAX	64
#define PODS_UID_MAX		40
#define PODS_CTR_ID_MAX		129
#define PODS_CONTAINERS_MAX	32	/* container names kept per pod */
#define PODS_DEFAULT_MAX	4096	/* pods per node index; kubelet allows 110 */

struct pod_ident {
	char uid[PODS_UID_MAX];
	char ns[PODS_NS_MAX];
	char name[PODS_NAME_MAX];
	size_t ncontainers;
	char containers[PODS_CONTAINERS_MAX][PODS_CTR_NAME_MAX];
};

struct pods_opts {
	const char *host_root;		/* "/" when NULL */
	size_t max_pods;		/* 0: PODS_DEFAULT_MAX */
	uint32_t min_refresh_ms;	/* 0: 2000; rate limit of miss-driven scans */
	uint32_t refresh_ms;		/* 0: 30000; periodic rescan */
};

struct pods;

/*
 * 0 or -ENOMEM, *out NULL on error. A missing var/log/pods is not an
 * error: the index is empty.
 */
int pods_new(struct pods **out, const struct pods_opts *opts);
void pods_free(struct pods *p);

/* Rescan now. 0, or -errno when var/log/pods exists but cannot be read. */
int pods_refresh(struct pods *p);

/* Identity of a pod by uid: 0 or -ENOENT. */
int pods_lookup(struct pods *p, const char *uid, struct pod_ident *out);

/*
 * Name and pod uid of a container by full container id: 0 or -ENOENT.
 * pod_uid may be NULL.
 */
int pods_container(struct pods *p, const char *container_id, char *name,
		    size_t name_size, char *pod_uid, size_t uid_size);

struct pods_stats {
	size_t pods, containers, max_pods;
	uint64_t scans, skipped;	/* skipped: malformed or over the bound */
};
void pods_stats(const struct pods *p, struct pods_stats *st);

#endif /* CW_PODS_H */
