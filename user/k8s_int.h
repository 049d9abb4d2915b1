/* SPDX-License-Identifier: Apache-2.0 */
/*
 * k8s_int.h - inside the Kubernetes client: the state k8s.c (the list and
 * watch thread, HTTP) and k8s_pods.c (the pod store and what the API's
 * JSON puts in it) share. Not for other modules: their interface is k8s.h.
 */
#ifndef CW_K8S_INT_H
#define CW_K8S_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <curl/curl.h>

#include "http.h"
#include "identity.h"
#include "k8s.h"
#include "log.h"

#define CTR_MAX		64	/* containers kept per pod (incl. init, ephemeral) */
#define VOL_MAX		128	/* volumes kept per pod */
#define BUCKETS		4096

struct kctr {
	char name[64];
	char image[256];
	char id[129];
	bool privileged;	/* securityContext.privileged (absent: false) */
};

struct kvol {
	char name[64];
	char secret[254];
	bool sa_token;
};

struct kpod {
	struct kpod *next;	/* hash chain */
	char uid[40], ns[64], name[254], sa[254];
	size_t nctr, nvol;
	/* sized to the pod: 8192 pods of CTR_MAX inline slots were 235 MB */
	struct kctr *ctr;	/* [nctr] */
	struct kvol *vol;	/* [nvol] */
};

struct store {
	struct kpod *b[BUCKETS];
	size_t n;
};

struct k8s {
	struct kube_config *cfg;
	char *node;
	size_t max_pods, max_body, max_event;
	uint32_t backoff_min_ms, backoff_max_ms, watch_timeout_s;

	pthread_t thread;
	bool started;
	atomic_bool stop;
	pthread_mutex_t mu;	/* store, stats */
	pthread_cond_t cv;	/* wakes the backoff sleep on stop */
	struct store store;
	struct k8s_stats st;
	char rv[64];		/* resourceVersion to watch from (thread only) */
	unsigned int seed;
	bool failing;		/* repeated failures log at debug, not warn */
	CURL *curl;
	/*
	 * The token file is the agent's own service-account token: a watched
	 * credential. Read it again only when stat() says it changed (kubelet
	 * rotates it about hourly), so the agent's own reads stay rare.
	 */
	struct http_token token;
	/* this node's cloud identity from its Node object, fetched once */
	struct cluster_identity node_id;
	bool node_id_ready, node_id_tried;
};

/* A response body or watch stream being received. */
struct xfer {
	struct k8s *k;
	char *buf;
	size_t len, cap, max;
	bool oversize;
	bool watch;		/* parse line by line as it arrives */
	int watch_result;	/* 0, or -ESTALE for 410 Gone, -EPROTO */
};

/* The first failure of a streak is a warning; the rest would only flood. */
#define fail_log(k, ...) do { \
		if ((k)->failing) \
			log_debug(__VA_ARGS__); \
		else \
			log_warn(__VA_ARGS__); \
	} while (0)


/* k8s_pods.c */
/* Free every pod; the store is empty and usable. */
void k8s_store_clear(struct store *s);
/*
 * Events are newline-delimited: handle every complete line in x->buf and
 * keep the partial one. 0, or the first event's error (also left in
 * x->watch_result: -ESTALE for 410 Gone, -EPROTO), which ends the watch.
 */
int k8s_watch_lines(struct xfer *x);
/* One page of a pod list into fresh; *cont the continue token or NULL. 0 or -EPROTO. */
int k8s_list_page(struct k8s *k, struct store *fresh, const char *body, size_t len,
		  char **cont, size_t *dropped);
/* A complete list replaces the store; takes fresh. */
void k8s_list_commit(struct k8s *k, struct store *fresh, size_t dropped);

#endif /* CW_K8S_INT_H */
