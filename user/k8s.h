/* SPDX-License-Identifier: Apache-2.0 */
/*
 * k8s.h - pods of this node from the Kubernetes API, kept current on a
 * thread of its own so the event loop never waits for the network.
 *
 * The thread lists /api/v1/pods?fieldSelector=spec.nodeName=<node> (pages
 * of 500), then watches from the list's resourceVersion. A watch that ends
 * cleanly or drops is resumed from the last resourceVersion seen; a 410 Gone
 * (HTTP status or ERROR event) relists; other errors back off exponentially
 * with jitter and relist. Lookups copy out under a mutex and only ever see
 * complete pods. While the API is unreachable the last known pods stay.
 */
#ifndef CW_K8S_H
#define CW_K8S_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define K8S_DEFAULT_MAX_PODS	8192
#define K8S_DEFAULT_MAX_BODY	(16u << 20)	/* one list page: 500 pods of 32 KiB; buffered and parsed whole */
#define K8S_DEFAULT_MAX_EVENT	(4u << 20)	/* one watch event */

struct kube_config;

struct k8s_opts {
	struct kube_config *config;	/* required; k8s_new takes ownership, even on failure */
	const char *node_name;			/* required */
	size_t max_pods;			/* 0: K8S_DEFAULT_MAX_PODS */
	size_t max_body;			/* 0: K8S_DEFAULT_MAX_BODY */
	size_t max_event;			/* 0: K8S_DEFAULT_MAX_EVENT */
	uint32_t backoff_min_ms;		/* 0: 500 */
	uint32_t backoff_max_ms;		/* 0: 30000 */
	uint32_t watch_timeout_s;		/* 0: 300; server-side watch timeout */
};

/* What a lookup copies out. Empty strings are unknown. */
struct k8s_pod_view {
	char uid[40];
	char ns[64];
	char name[254];
	char sa[254];			/* spec.serviceAccountName */
	char container_name[64];	/* for the container id asked about */
	char container_image[256];	/* repository, no tag or digest */
	bool container_found;		/* the container id asked about is in the pod */
	bool container_privileged;	/* its securityContext.privileged */
	char secret_name[254];		/* for the volume asked about */
	bool volume_found;		/* the volume exists in the pod spec */
	bool volume_sa_token;		/* projected serviceAccountToken volume */
};

enum k8s_state {
	K8S_STARTING = 0,
	K8S_LISTING,
	K8S_WATCHING,
	K8S_BACKOFF,
	K8S_STOPPED,
};

struct k8s_stats {
	enum k8s_state state;
	bool synced;		/* a list has succeeded at least once */
	size_t pods;
	uint64_t lists, watches, events, gone, errors, dropped_pods, oversize;
	char resource_version[64];
};

struct k8s;

/*
 * 0, -EINVAL (no node name or config) or -ENOMEM; *out NULL on error.
 * Owns opts->config from the call on, also on error. Does not start the
 * thread.
 */
int k8s_new(struct k8s **out, const struct k8s_opts *opts);
/* Start the list/watch thread. 0 or -errno. */
int k8s_start(struct k8s *k);
/* Stop the thread (aborts a transfer within about a second) and free. */
void k8s_free(struct k8s *k);

/*
 * k8s_lookup - copy out the pod with this uid. container_id (full id) and
 * volume (pod volume name) are optional; when given, container_name/image
 * and secret_name are filled from that container and volume. 0 or -ENOENT.
 */
int k8s_lookup(struct k8s *k, const char *pod_uid, const char *container_id,
		const char *volume, struct k8s_pod_view *out);

void k8s_stats(struct k8s *k, struct k8s_stats *st);

struct cluster_identity;
/* This node's identity from its Node object, once fetched; false until then. */
bool k8s_node_identity(struct k8s *k, struct cluster_identity *out);
const char *k8s_state_name(enum k8s_state s);

/*
 * k8s_ingest_list / k8s_ingest_watch - what the thread does with bytes
 * from the API, without the network (tests, fuzzing; not while the thread
 * runs). ingest_list applies one pod list response body as a complete
 * relist (the store is replaced, resourceVersion taken): 0 or -EPROTO.
 * ingest_watch applies the complete lines of a watch stream in order: 0,
 * -ESTALE for a 410 ERROR event (relist), -EPROTO for a bad event; it stops
 * at the first error as the watch does. Both may return -ENOMEM.
 */
int k8s_ingest_list(struct k8s *k, const char *body, size_t len);
int k8s_ingest_watch(struct k8s *k, const char *data, size_t len);

/* "docker.io/library/nginx:1.25@sha256:..." -> "docker.io/library/nginx" */
void k8s_image_repository(const char *image, char *out, size_t size);

#endif /* CW_K8S_H */
