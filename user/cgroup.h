/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cgroup.h - cgroup v2 id -> directory -> container id, pod uid, runtime.
 *
 * The kernel reports bpf_get_current_cgroup_id(), which is the inode number
 * of the reader's cgroup v2 directory. The path of that directory, relative
 * to the cgroup2 mount, names the container and pod. Grammar accepted by
 * cgroup_path_parse() (components separated by '/', leading '/' optional):
 *
 *   path      := prefix* kproot qos? pod ctr? rest*
 *   kproot    := "kubepods" | "kubepods.slice" | <x> "-kubepods.slice"
 *   qos       := "besteffort" | "burstable"                    (cgroupfs)
 *              | <kproot-stem> "-" ("besteffort"|"burstable") ".slice"
 *   pod       := "pod" UID                                      (cgroupfs)
 *              | <stem> "-pod" UID_ ".slice"                    (systemd)
 *   ctr       := RT "-" ID ".scope" | RT "-" ID | ID
 *   RT        := "cri-containerd" | "crio" | "docker"
 *   UID       := 32..36 of [0-9a-f-]     UID_ := the same with '_' for '-'
 *   ID        := 12..128 of [0-9a-f]
 *
 * No pod component under kproot, a ".." component, an unparsable pod or
 * container component: unknown. Not under kproot: the host, except that a
 * runtime scope anywhere (system.slice/docker-<id>.scope) is a container
 * without a pod. "crio-conmon-<id>.scope" is the runtime's monitor: pod
 * level. Guaranteed QoS is the absence of a qos component.
 */
#ifndef CW_CGROUP_H
#define CW_CGROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CG_ID_MAX	129	/* container id, incl. NUL */
#define CG_UID_MAX	40	/* pod uid with dashes, incl. NUL */
#define CG_UNIT_MAX	128	/* systemd unit name, incl. NUL */
#define CG_CACHE_DEFAULT 16384	/* --attrib-cache-max default */

enum cgroup_kind {
	CG_UNKNOWN = 0,		/* could not be resolved or parsed */
	CG_HOST,		/* not in a container: container.id = "host" */
	CG_POD,			/* pod-level cgroup, no container */
	CG_CONTAINER,		/* a container (pod_uid "" outside Kubernetes) */
};

struct cgroup_attr {
	enum cgroup_kind kind;
	char container_id[CG_ID_MAX];	/* full id, lowercase hex */
	char pod_uid[CG_UID_MAX];	/* with dashes */
	char runtime[16];		/* containerd, cri-o, docker, "" */
	char qos[16];			/* guaranteed, burstable, besteffort, "" */
	char unit[CG_UNIT_MAX];		/* host: the system manager's service, "" */
};

/*
 * cgroup_path_parse - attribute a cgroup path (relative to the cgroup2
 * mount). Always fills *out. Returns 0 for host, pod or container, -EINVAL
 * for a malformed path, -ENOENT for a kubepods path without a pod.
 */
int cgroup_path_parse(const char *path, struct cgroup_attr *out);

/* Name of a kind: "unknown", "host", "pod", "container". */
const char *cgroup_kind_name(enum cgroup_kind kind);

/*
 * cgroup_root_detect - the cgroup2 mount as a path usable by this process.
 * Looks at <host_root>/proc/1/mountinfo (the host's view, prefixed with
 * host_root), then /proc/self/mountinfo. 0 or -ENOENT.
 */
int cgroup_root_detect(const char *host_root, char *buf, size_t size);

struct cgroup_cache;

struct cgroup_cache_opts {
	const char *root;	/* cgroup2 mount directory (required) */
	size_t max_entries;	/* 0: CG_CACHE_DEFAULT */
	bool no_handles;	/* only walk the tree (tests, no CAP_DAC_READ_SEARCH) */
	size_t walk_max_dirs;	/* 0: 65536 directories per miss */
	uint32_t negative_ttl_ms; /* 0: 10000; how long "not found" is kept */
};

/* 0 or -errno (-ENOENT/-ENOTDIR when root is not a directory); *out NULL on error. */
int cgroup_cache_new(struct cgroup_cache **out, const struct cgroup_cache_opts *opts);
void cgroup_cache_free(struct cgroup_cache *c);

/*
 * cgroup_cache_lookup - attribution of a cgroup id. Hits come from the
 * cache; a miss resolves the id with open_by_handle_at() (kernfs file
 * handles carry the id) and, when that is not possible, a bounded walk of
 * the kubepods subtrees first and then the rest. Returns 0 with *out filled
 * (kind may be CG_UNKNOWN) or -ENOENT when the id is not found (cached for
 * negative_ttl_ms so a vanished cgroup does not walk the tree every event).
 */
int cgroup_cache_lookup(struct cgroup_cache *c, uint64_t id,
			 struct cgroup_attr *out);

/* Relative path of the last resolved id, for cgroup.procs (exec heuristic). */
int cgroup_cache_path(struct cgroup_cache *c, uint64_t id, char *buf,
		       size_t size);

struct cgroup_cache_stats {
	size_t entries, max_entries;
	uint64_t hits, misses, evictions, walks, handle_resolves, not_found;
};
void cgroup_cache_stats(const struct cgroup_cache *c,
			 struct cgroup_cache_stats *st);
const char *cgroup_cache_root(const struct cgroup_cache *c);

#endif /* CW_CGROUP_H */
