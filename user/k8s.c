// SPDX-License-Identifier: Apache-2.0
/* k8s.c - list + watch of this node's pods on a thread; lookups under a mutex. */
#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "identity.h"
#include "k8s.h"
#include "kubeconfig.h"
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
	char token[8192];
	struct stat token_st;
	bool token_cached;
	/* this node's cloud identity from its Node object, fetched once */
	struct cluster_identity node_id;
	bool node_id_ready, node_id_tried;
};

/* The bearer token, from the cache unless the file changed. 0 or -errno. */
static int token_get(struct k8s *k, char *out, size_t size)
{
	struct stat st;
	int err;

	if (!k->cfg->token_file)
		return kube_config_token(k->cfg, out, size);
	if (stat(k->cfg->token_file, &st))
		return -errno;
	if (!k->token_cached || st.st_ino != k->token_st.st_ino || st.st_dev != k->token_st.st_dev ||
	    st.st_size != k->token_st.st_size ||
	    st.st_mtim.tv_sec != k->token_st.st_mtim.tv_sec ||
	    st.st_mtim.tv_nsec != k->token_st.st_mtim.tv_nsec) {
		err = kube_config_token(k->cfg, k->token, sizeof(k->token));
		if (err)
			return err;
		k->token_st = st;
		k->token_cached = true;
	}
	snprintf(out, size, "%s", k->token);
	return 0;
}

/* The first failure of a streak is a warning; the rest would only flood. */
#define fail_log(k, ...) do { \
		if ((k)->failing) \
			log_debug(__VA_ARGS__); \
		else \
			log_warn(__VA_ARGS__); \
	} while (0)

/* A response body or watch stream being received. */
struct xfer {
	struct k8s *k;
	char *buf;
	size_t len, cap, max;
	bool oversize;
	bool watch;		/* parse line by line as it arrives */
	int watch_result;	/* 0, or -ESTALE for 410 Gone, -EPROTO */
};

const char *k8s_state_name(enum k8s_state s)
{
	static const char *const names[] = { "starting", "listing", "watching", "backoff", "stopped" };

	return (unsigned)s < 5 ? names[s] : "unknown";
}

static unsigned int hash_uid(const char *s)
{
	unsigned int h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h % BUCKETS;
}

static void pod_free(struct kpod *p)
{
	if (!p)
		return;
	free(p->ctr);
	free(p->vol);
	free(p);
}

static void store_clear(struct store *s)
{
	for (size_t i = 0; i < BUCKETS; i++) {
		while (s->b[i]) {
			struct kpod *p = s->b[i];

			s->b[i] = p->next;
			pod_free(p);
		}
	}
	s->n = 0;
}

static struct kpod **store_find(struct store *s, const char *uid)
{
	struct kpod **pp = &s->b[hash_uid(uid)];

	while (*pp && strcmp((*pp)->uid, uid))
		pp = &(*pp)->next;
	return pp;
}

static void store_remove(struct store *s, const char *uid)
{
	struct kpod **pp = store_find(s, uid), *p = *pp;

	if (!p)
		return;
	*pp = p->next;
	pod_free(p);
	s->n--;
}

/* Insert or replace; false (pod freed) when the store is full. */
static bool store_put(struct store *s, struct kpod *p, size_t max)
{
	struct kpod **pp = store_find(s, p->uid);

	if (*pp) {
		p->next = (*pp)->next;
		pod_free(*pp);
		*pp = p;
		return true;
	}
	if (s->n >= max) {
		pod_free(p);
		return false;
	}
	p->next = NULL;
	*pp = p;
	s->n++;
	return true;
}

void k8s_image_repository(const char *image, char *out, size_t size)
{
	const char *at = strchr(image, '@'), *slash, *colon;
	size_t n = at ? (size_t)(at - image) : strlen(image);

	/* A ':' after the last '/' starts the tag; one before it is a registry port. */
	slash = memrchr(image, '/', n);
	colon = memrchr(slash ? slash : image, ':', n - (size_t)((slash ? slash : image) - image));
	if (colon)
		n = (size_t)(colon - image);
	if (n >= size)
		n = size - 1;
	memcpy(out, image, n);
	out[n] = '\0';
}

static const char *jstr(const cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	return cJSON_IsString(v) && v->valuestring ? v->valuestring : NULL;
}

static void copy(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src ? src : "");
}

static struct kctr *ctr_by_name(struct kpod *p, const char *name)
{
	for (size_t i = 0; i < p->nctr; i++)
		if (!strcmp(p->ctr[i].name, name))
			return &p->ctr[i];
	return NULL;
}

static void parse_containers(struct kpod *p, const cJSON *spec, const cJSON *status)
{
	static const char *const specs[] = { "containers", "initContainers", "ephemeralContainers" };
	static const char *const stats[] = { "containerStatuses", "initContainerStatuses",
					     "ephemeralContainerStatuses" };
	const cJSON *c;
	size_t cap = 0;

	for (size_t i = 0; i < 3; i++)
		cap += (size_t)cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(spec, specs[i]));
	if (cap > CTR_MAX)
		cap = CTR_MAX;
	if (!cap || !(p->ctr = calloc(cap, sizeof(*p->ctr))))
		return;
	for (size_t i = 0; i < 3; i++) {
		cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(spec, specs[i])) {
			const char *name = jstr(c, "name"), *image = jstr(c, "image");

			if (!name || p->nctr >= cap || ctr_by_name(p, name))
				continue;
			copy(p->ctr[p->nctr].name, sizeof(p->ctr[0].name), name);
			if (image)
				k8s_image_repository(image, p->ctr[p->nctr].image,
						     sizeof(p->ctr[0].image));
			p->ctr[p->nctr].privileged = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(
				cJSON_GetObjectItemCaseSensitive(c, "securityContext"), "privileged"));
			p->ctr[p->nctr++].id[0] = '\0';
		}
	}
	for (size_t i = 0; i < 3; i++) {
		cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(status, stats[i])) {
			const char *name = jstr(c, "name"), *id = jstr(c, "containerID");
			struct kctr *kc = name ? ctr_by_name(p, name) : NULL;
			const char *sep;

			if (!kc || !id)
				continue;
			/* "containerd://<id>", "cri-o://<id>", "docker://<id>" */
			sep = strstr(id, "://");
			copy(kc->id, sizeof(kc->id), sep ? sep + 3 : id);
		}
	}
}

static void parse_volumes(struct kpod *p, const cJSON *spec)
{
	const cJSON *vols = cJSON_GetObjectItemCaseSensitive(spec, "volumes"), *v, *src;
	int n = cJSON_GetArraySize(vols);

	if (n <= 0)
		return;
	p->vol = calloc((size_t)(n < VOL_MAX ? n : VOL_MAX), sizeof(*p->vol));
	if (!p->vol)
		return;
	cJSON_ArrayForEach(v, vols) {
		struct kvol *kv;
		const cJSON *sec = cJSON_GetObjectItemCaseSensitive(v, "secret");
		const cJSON *proj = cJSON_GetObjectItemCaseSensitive(v, "projected");

		if (p->nvol >= VOL_MAX || !jstr(v, "name"))
			continue;
		kv = &p->vol[p->nvol++];
		copy(kv->name, sizeof(kv->name), jstr(v, "name"));
		if (sec)
			copy(kv->secret, sizeof(kv->secret), jstr(sec, "secretName"));
		cJSON_ArrayForEach(src, cJSON_GetObjectItemCaseSensitive(proj, "sources")) {
			const cJSON *ps = cJSON_GetObjectItemCaseSensitive(src, "secret");

			if (cJSON_GetObjectItemCaseSensitive(src, "serviceAccountToken"))
				kv->sa_token = true;
			if (ps && !kv->secret[0])
				copy(kv->secret, sizeof(kv->secret), jstr(ps, "name"));
		}
	}
}

/* A v1.Pod object to a kpod; NULL when it has no uid. */
static struct kpod *parse_pod(const cJSON *obj)
{
	const cJSON *meta = cJSON_GetObjectItemCaseSensitive(obj, "metadata");
	const cJSON *spec = cJSON_GetObjectItemCaseSensitive(obj, "spec");
	const cJSON *status = cJSON_GetObjectItemCaseSensitive(obj, "status");
	const char *uid = jstr(meta, "uid");
	struct kpod *p;

	if (!uid || strlen(uid) >= sizeof(p->uid))
		return NULL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	copy(p->uid, sizeof(p->uid), uid);
	copy(p->ns, sizeof(p->ns), jstr(meta, "namespace"));
	copy(p->name, sizeof(p->name), jstr(meta, "name"));
	copy(p->sa, sizeof(p->sa), jstr(spec, "serviceAccountName"));
	parse_containers(p, spec, status);
	parse_volumes(p, spec);
	return p;
}

static void set_state(struct k8s *k, enum k8s_state s)
{
	pthread_mutex_lock(&k->mu);
	k->st.state = s;
	pthread_mutex_unlock(&k->mu);
}

/* One watch event line: {"type": ..., "object": {...}}. */
static int handle_event(struct k8s *k, const char *line, size_t len)
{
	cJSON *ev = cJSON_ParseWithLength(line, len);
	const char *type, *rv;
	const cJSON *obj;
	struct kpod *p;
	int ret = 0;

	if (!ev) {
		log_warn("k8s: watch: unparsable event (%zu bytes)", len);
		return -EPROTO;
	}
	type = jstr(ev, "type");
	obj = cJSON_GetObjectItemCaseSensitive(ev, "object");
	if (!type || !obj) {
		ret = -EPROTO;
		goto cleanup;
	}
	if (!strcmp(type, "ERROR")) {
		const cJSON *code = cJSON_GetObjectItemCaseSensitive(obj, "code");

		ret = cJSON_IsNumber(code) && code->valueint == 410 ? -ESTALE : -EPROTO;
		if (ret == -EPROTO)
			log_warn("k8s: watch: error event: %s",
				 jstr(obj, "message") ? jstr(obj, "message") : "(no message)");
		goto cleanup;
	}
	rv = jstr(cJSON_GetObjectItemCaseSensitive(obj, "metadata"), "resourceVersion");
	if (rv)
		copy(k->rv, sizeof(k->rv), rv);
	pthread_mutex_lock(&k->mu);
	k->st.events++;
	copy(k->st.resource_version, sizeof(k->st.resource_version), k->rv);
	if (!strcmp(type, "ADDED") || !strcmp(type, "MODIFIED")) {
		p = parse_pod(obj);
		if (p && !store_put(&k->store, p, k->max_pods))
			k->st.dropped_pods++;
	} else if (!strcmp(type, "DELETED")) {
		const char *uid = jstr(cJSON_GetObjectItemCaseSensitive(obj, "metadata"), "uid");

		if (uid)
			store_remove(&k->store, uid);
	}
	/* BOOKMARK: only the resourceVersion matters. */
	k->st.pods = k->store.n;
	pthread_mutex_unlock(&k->mu);
cleanup:
	cJSON_Delete(ev);
	return ret;
}

/*
 * Events are newline-delimited: handle every complete line in x->buf and
 * keep the partial one. Returns 0, or the first event's error (also left
 * in x->watch_result), which ends the watch.
 */
static int watch_lines(struct xfer *x)
{
	char *nl;

	while ((nl = memchr(x->buf, '\n', x->len))) {
		size_t ll = (size_t)(nl - x->buf);
		int r = ll ? handle_event(x->k, x->buf, ll) : 0;

		memmove(x->buf, nl + 1, x->len - ll - 1);
		x->len -= ll + 1;
		x->buf[x->len] = '\0';
		if (r) {
			x->watch_result = r;
			return r;
		}
	}
	return 0;
}

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct xfer *x = arg;
	size_t n = size * nmemb;

	if (x->len + n + 1 > x->max) {
		x->oversize = true;
		return 0;	/* aborts the transfer */
	}
	if (x->len + n + 1 > x->cap) {
		size_t cap = x->cap ? x->cap : 65536;
		char *b;

		while (cap < x->len + n + 1)
			cap *= 2;
		b = realloc(x->buf, cap);
		if (!b)
			return 0;
		x->buf = b;
		x->cap = cap;
	}
	memcpy(x->buf + x->len, ptr, n);
	x->len += n;
	x->buf[x->len] = '\0';
	if (x->watch) {
		long status = 0;

		/* A non-200 body is a Status object, not a stream of events. */
		curl_easy_getinfo(x->k->curl, CURLINFO_RESPONSE_CODE, &status);
		if (status != 200)
			return n;
		if (watch_lines(x))
			return 0;	/* stop: relist or resume */
	}
	return n;
}

static int on_progress(void *arg, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	struct k8s *k = arg;

	(void)dt; (void)dn; (void)ut; (void)un;
	return atomic_load(&k->stop) ? 1 : 0;
}

/* GET url into x. 0 with *status set, or -EIO/-EINTR (stopped)/-E2BIG. */
static int http_get(struct k8s *k, const char *url, struct xfer *x, long timeout_s, long *status)
{
	struct curl_slist *hdrs = NULL;
	char token[8192], auth[8300];
	CURLcode rc;
	int err = 0;

	*status = 0;
	if (token_get(k, token, sizeof(token))) {
		fail_log(k, "k8s: %s: token file %s unreadable", k->cfg->source, k->cfg->token_file);
		return -EACCES;
	}
	hdrs = curl_slist_append(hdrs, "Accept: application/json");
	if (token[0]) {
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
		hdrs = curl_slist_append(hdrs, auth);
		explicit_bzero(auth, sizeof(auth));
	}
	explicit_bzero(token, sizeof(token));
	curl_easy_reset(k->curl);
	curl_easy_setopt(k->curl, CURLOPT_URL, url);
	curl_easy_setopt(k->curl, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(k->curl, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(k->curl, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(k->curl, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(k->curl, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(k->curl, CURLOPT_XFERINFODATA, k);
	curl_easy_setopt(k->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(k->curl, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(k->curl, CURLOPT_TIMEOUT, timeout_s);
	curl_easy_setopt(k->curl, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(k->curl, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(k->curl, CURLOPT_ACCEPT_ENCODING, "");
	if (k->cfg->ca.file)
		curl_easy_setopt(k->curl, CURLOPT_CAINFO, k->cfg->ca.file);
	if (k->cfg->ca.data) {
		struct curl_blob b = { k->cfg->ca.data, k->cfg->ca.len, CURL_BLOB_COPY };

		curl_easy_setopt(k->curl, CURLOPT_CAINFO_BLOB, &b);
	}
	if (k->cfg->cert.file)
		curl_easy_setopt(k->curl, CURLOPT_SSLCERT, k->cfg->cert.file);
	if (k->cfg->cert.data) {
		struct curl_blob b = { k->cfg->cert.data, k->cfg->cert.len, CURL_BLOB_COPY };

		curl_easy_setopt(k->curl, CURLOPT_SSLCERT_BLOB, &b);
		curl_easy_setopt(k->curl, CURLOPT_SSLCERTTYPE, "PEM");
	}
	if (k->cfg->key.file)
		curl_easy_setopt(k->curl, CURLOPT_SSLKEY, k->cfg->key.file);
	if (k->cfg->key.data) {
		struct curl_blob b = { k->cfg->key.data, k->cfg->key.len, CURL_BLOB_COPY };

		curl_easy_setopt(k->curl, CURLOPT_SSLKEY_BLOB, &b);
		curl_easy_setopt(k->curl, CURLOPT_SSLKEYTYPE, "PEM");
	}
	if (k->cfg->insecure) {
		curl_easy_setopt(k->curl, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(k->curl, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	rc = curl_easy_perform(k->curl);
	curl_easy_getinfo(k->curl, CURLINFO_RESPONSE_CODE, status);
	curl_slist_free_all(hdrs);
	if (atomic_load(&k->stop))
		return -EINTR;
	if (x->oversize) {
		fail_log(k, "k8s: %s: response over %zu bytes, dropped", k->cfg->server, x->max);
		pthread_mutex_lock(&k->mu);
		k->st.oversize++;
		pthread_mutex_unlock(&k->mu);
		return -E2BIG;
	}
	if (rc != CURLE_OK && !(x->watch && x->watch_result)) {
		fail_log(k, "k8s: %s: %s", k->cfg->server, curl_easy_strerror(rc));
		err = -EIO;
	}
	return err;
}

/*
 * One page of a pod list response into fresh; *cont becomes the continue
 * token (NULL on the last page). 0, or -EPROTO for an unparsable body.
 */
static int list_page(struct k8s *k, struct store *fresh, const char *body, size_t len,
		     char **cont, size_t *dropped)
{
	cJSON *doc = cJSON_ParseWithLength(body, len);
	const cJSON *item, *meta;
	const char *rv, *next;

	if (!doc) {
		fail_log(k, "k8s: %s: list pods: unparsable response", k->cfg->server);
		return -EPROTO;
	}
	cJSON_ArrayForEach(item, cJSON_GetObjectItemCaseSensitive(doc, "items")) {
		struct kpod *p = parse_pod(item);

		if (p && !store_put(fresh, p, k->max_pods))
			(*dropped)++;
	}
	meta = cJSON_GetObjectItemCaseSensitive(doc, "metadata");
	rv = jstr(meta, "resourceVersion");
	next = jstr(meta, "continue");
	if (rv)
		copy(k->rv, sizeof(k->rv), rv);
	free(*cont);
	*cont = next && next[0] ? strdup(next) : NULL;
	cJSON_Delete(doc);
	return 0;
}

/* A complete list replaces the store; takes fresh. */
static void list_commit(struct k8s *k, struct store *fresh, size_t dropped)
{
	if (dropped)
		log_warn("k8s: %s: node %s has more than %zu pods; %zu not kept",
			 k->cfg->server, k->node, k->max_pods, dropped);
	pthread_mutex_lock(&k->mu);
	store_clear(&k->store);
	k->store = *fresh;
	k->st.pods = k->store.n;
	k->st.lists++;
	k->st.synced = true;
	if (k->failing)
		log_info("k8s: %s: reachable again", k->cfg->server);
	k->failing = false;
	k->st.dropped_pods += dropped;
	copy(k->st.resource_version, sizeof(k->st.resource_version), k->rv);
	pthread_mutex_unlock(&k->mu);
	free(fresh);
	log_info("k8s: %s: %zu pods on node %s", k->cfg->server, k->st.pods, k->node);
}

/* List every pod of the node, page by page, into a fresh store. */
static int do_list(struct k8s *k)
{
	struct store *fresh = calloc(1, sizeof(*fresh));
	char *sel = curl_easy_escape(k->curl, k->node, 0), *cont = NULL, *url = NULL;
	size_t dropped = 0;
	int err = 0;

	if (!fresh || !sel) {
		err = -ENOMEM;
		goto cleanup;
	}
	set_state(k, K8S_LISTING);
	for (;;) {
		struct xfer x = { .k = k, .max = k->max_body };
		long status;
		char *ec = cont ? curl_easy_escape(k->curl, cont, 0) : NULL;

		free(url);
		url = NULL;
		if (asprintf(&url, "%s/api/v1/pods?fieldSelector=spec.nodeName%%3D%s&limit=500%s%s",
			     k->cfg->server, sel, ec ? "&continue=" : "", ec ? ec : "") < 0)
			url = NULL;
		curl_free(ec);
		if (!url) {
			err = -ENOMEM;
			goto cleanup;
		}
		err = http_get(k, url, &x, 120, &status);
		if (!err && status != 200) {
			fail_log(k, "k8s: %s: list pods: HTTP %ld", k->cfg->server, status);
			err = status == 410 ? -ESTALE : -EIO;
		}
		if (!err)
			err = list_page(k, fresh, x.buf, x.len, &cont, &dropped);
		free(x.buf);
		if (err)
			goto cleanup;
		if (!cont)
			break;
	}
	list_commit(k, fresh, dropped);
	fresh = NULL;
cleanup:
	if (fresh) {
		store_clear(fresh);
		free(fresh);
	}
	free(cont);
	free(url);
	curl_free(sel);
	return err;
}

/* Watch from k->rv until the stream ends. 0 (resume), -ESTALE (relist), <0. */
static int do_watch(struct k8s *k)
{
	struct xfer x = { .k = k, .max = k->max_event, .watch = true };
	char *sel = curl_easy_escape(k->curl, k->node, 0), *url = NULL;
	long status;
	int err;

	if (!sel)
		return -ENOMEM;
	if (asprintf(&url, "%s/api/v1/pods?fieldSelector=spec.nodeName%%3D%s&watch=1"
		     "&allowWatchBookmarks=true&resourceVersion=%s&timeoutSeconds=%u",
		     k->cfg->server, sel, k->rv, k->watch_timeout_s) < 0) {
		curl_free(sel);
		return -ENOMEM;
	}
	curl_free(sel);
	set_state(k, K8S_WATCHING);
	pthread_mutex_lock(&k->mu);
	k->st.watches++;
	pthread_mutex_unlock(&k->mu);
	err = http_get(k, url, &x, (long)k->watch_timeout_s + 30, &status);
	free(url);
	if (!err && x.watch_result)
		err = x.watch_result;
	else if (!err && status == 410)
		err = -ESTALE;
	else if (!err && status != 200) {
		fail_log(k, "k8s: %s: watch pods: HTTP %ld", k->cfg->server, status);
		err = -EIO;
	}
	free(x.buf);
	return err;
}

/* Sleep with exponential backoff and jitter; false when stopping. */
static bool backoff(struct k8s *k, unsigned int attempt)
{
	uint64_t d = k->backoff_min_ms;
	struct timespec ts;

	for (unsigned int i = 0; i < attempt && d < k->backoff_max_ms; i++)
		d *= 2;
	if (d > k->backoff_max_ms)
		d = k->backoff_max_ms;
	d = d / 2 + (uint64_t)rand_r(&k->seed) % (d / 2 + 1);	/* jitter: [d/2, d] */
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += (time_t)(d / 1000);
	ts.tv_nsec += (long)(d % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&k->mu);
	k->st.state = K8S_BACKOFF;
	k->st.errors++;
	k->failing = true;
	while (!atomic_load(&k->stop) &&
	       pthread_cond_timedwait(&k->cv, &k->mu, &ts) != ETIMEDOUT)
		;
	pthread_mutex_unlock(&k->mu);
	return !atomic_load(&k->stop);
}

/*
 * The Node object's providerID and topology labels name the cloud and
 * region. Needs RBAC get on nodes, which the chart grants only with
 * rbac.readNodes: a refusal is logged once and DMI stays the source.
 */
static void fetch_node(struct k8s *k)
{
	struct xfer x = { .k = k, .max = 4 << 20 };
	struct cluster_identity id;
	char *name = curl_easy_escape(k->curl, k->node, 0), *url = NULL;
	cJSON *doc = NULL;
	long status = 0;

	k->node_id_tried = true;
	if (!name || asprintf(&url, "%s/api/v1/nodes/%s", k->cfg->server, name) < 0)
		url = NULL;
	curl_free(name);
	if (!url)
		return;
	if (http_get(k, url, &x, 30, &status) || status != 200) {
		log_info("k8s: %s: get node %s: %s%ld: cloud identity from DMI only "
			 "(the chart grants this with rbac.readNodes)", k->cfg->server, k->node,
			 status ? "HTTP " : "transport error ", status);
		goto cleanup;
	}
	doc = cJSON_ParseWithLength(x.buf, x.len);
	memset(&id, 0, sizeof(id));
	if (doc && !identity_from_node_json(doc, &id)) {
		pthread_mutex_lock(&k->mu);
		k->node_id = id;
		k->node_id_ready = true;
		pthread_mutex_unlock(&k->mu);
		log_info("k8s: node %s: cloud provider %s, region %s", k->node,
			 id.provider[0] ? id.provider : "<NA>", id.region[0] ? id.region : "<NA>");
	}
cleanup:
	cJSON_Delete(doc);
	free(x.buf);
	free(url);
}

bool k8s__node_identity(struct k8s *k, struct cluster_identity *out)
{
	bool ready;

	if (!k)
		return false;
	pthread_mutex_lock(&k->mu);
	ready = k->node_id_ready;
	if (ready)
		*out = k->node_id;
	pthread_mutex_unlock(&k->mu);
	return ready;
}

static void *run(void *arg)
{
	struct k8s *k = arg;
	bool need_list = true;
	unsigned int attempt = 0;

	pthread_setname_np(pthread_self(), "cw-k8s-api");	/* names it in /proc/<pid>/task */
	while (!atomic_load(&k->stop)) {
		uint64_t events;
		int err;

		if (need_list) {
			err = do_list(k);
			if (err == -EINTR)
				break;
			if (err) {
				if (!backoff(k, attempt++))
					break;
				continue;
			}
			need_list = false;
			attempt = 0;
			if (!k->node_id_tried)
				fetch_node(k);
		}
		pthread_mutex_lock(&k->mu);
		events = k->st.events;
		pthread_mutex_unlock(&k->mu);
		err = do_watch(k);
		pthread_mutex_lock(&k->mu);
		if (k->st.events != events) {
			attempt = 0;	/* it made progress: a drop is not a streak */
			k->failing = false;
		}
		pthread_mutex_unlock(&k->mu);
		if (err == -EINTR)
			break;
		if (err == -ESTALE) {
			/* The resourceVersion is too old: only a relist catches up. */
			log_info("k8s: %s: watch: 410 Gone, relisting", k->cfg->server);
			pthread_mutex_lock(&k->mu);
			k->st.gone++;
			pthread_mutex_unlock(&k->mu);
			need_list = true;
			continue;
		}
		if (err == -EIO || err == -EPROTO || err == -E2BIG) {
			/* Dropped or failed: resume from the last version after a pause;
			 * relist when that keeps failing, in case the version is bad. */
			if (!backoff(k, attempt++))
				break;
			if (attempt >= 3 || err == -EPROTO || err == -E2BIG)
				need_list = true;
			continue;
		}
		if (err) {
			if (!backoff(k, attempt++))
				break;
			need_list = true;
			continue;
		}
		attempt = 0;	/* clean end (server timeout): resume */
	}
	set_state(k, K8S_STOPPED);
	return NULL;
}

struct k8s *k8s__new(const struct k8s_opts *opts)
{
	struct k8s *k;

	if (!opts || !opts->config || !opts->node_name || !opts->node_name[0]) {
		if (opts)
			kube_config_free(opts->config);
		errno = EINVAL;
		return NULL;
	}
	k = calloc(1, sizeof(*k));
	if (!k) {
		kube_config_free(opts->config);
		return NULL;
	}
	k->cfg = opts->config;
	k->node = strdup(opts->node_name);
	k->max_pods = opts->max_pods ? opts->max_pods : K8S_DEFAULT_MAX_PODS;
	k->max_body = opts->max_body ? opts->max_body : K8S_DEFAULT_MAX_BODY;
	k->max_event = opts->max_event ? opts->max_event : K8S_DEFAULT_MAX_EVENT;
	k->backoff_min_ms = opts->backoff_min_ms ? opts->backoff_min_ms : 500;
	k->backoff_max_ms = opts->backoff_max_ms ? opts->backoff_max_ms : 30000;
	k->watch_timeout_s = opts->watch_timeout_s ? opts->watch_timeout_s : 300;
	k->seed = (unsigned int)time(NULL) ^ (unsigned int)(uintptr_t)k;
	pthread_mutex_init(&k->mu, NULL);
	pthread_cond_init(&k->cv, NULL);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	k->curl = curl_easy_init();
	if (!k->node || !k->curl) {
		k8s__free(k);
		errno = ENOMEM;
		return NULL;
	}
	return k;
}

int k8s__start(struct k8s *k)
{
	int err = pthread_create(&k->thread, NULL, run, k);

	if (err)
		return -err;
	k->started = true;
	return 0;
}

void k8s__free(struct k8s *k)
{
	if (!k)
		return;
	if (k->started) {
		pthread_mutex_lock(&k->mu);
		atomic_store(&k->stop, true);
		pthread_cond_broadcast(&k->cv);
		pthread_mutex_unlock(&k->mu);
		pthread_join(k->thread, NULL);
	}
	store_clear(&k->store);
	explicit_bzero(k->token, sizeof(k->token));
	if (k->curl)
		curl_easy_cleanup(k->curl);
	curl_global_cleanup();
	pthread_cond_destroy(&k->cv);
	pthread_mutex_destroy(&k->mu);
	kube_config_free(k->cfg);
	free(k->node);
	free(k);
}

int k8s__lookup(struct k8s *k, const char *pod_uid, const char *container_id,
		const char *volume, struct k8s_pod_view *out)
{
	struct kpod *p;
	int err = -ENOENT;

	memset(out, 0, sizeof(*out));
	if (!k || !pod_uid || !pod_uid[0])
		return -ENOENT;
	pthread_mutex_lock(&k->mu);
	p = *store_find(&k->store, pod_uid);
	if (!p)
		goto cleanup;
	copy(out->uid, sizeof(out->uid), p->uid);
	copy(out->ns, sizeof(out->ns), p->ns);
	copy(out->name, sizeof(out->name), p->name);
	copy(out->sa, sizeof(out->sa), p->sa);
	for (size_t i = 0; container_id && container_id[0] && i < p->nctr; i++) {
		if (!strcmp(p->ctr[i].id, container_id)) {
			copy(out->container_name, sizeof(out->container_name), p->ctr[i].name);
			copy(out->container_image, sizeof(out->container_image), p->ctr[i].image);
			out->container_found = true;
			out->container_privileged = p->ctr[i].privileged;
			break;
		}
	}
	for (size_t i = 0; volume && volume[0] && i < p->nvol; i++) {
		if (!strcmp(p->vol[i].name, volume)) {
			out->volume_found = true;
			out->volume_sa_token = p->vol[i].sa_token;
			copy(out->secret_name, sizeof(out->secret_name), p->vol[i].secret);
			break;
		}
	}
	err = 0;
cleanup:
	pthread_mutex_unlock(&k->mu);
	return err;
}

void k8s__stats(struct k8s *k, struct k8s_stats *st)
{
	pthread_mutex_lock(&k->mu);
	*st = k->st;
	pthread_mutex_unlock(&k->mu);
}

int k8s__ingest_list(struct k8s *k, const char *body, size_t len)
{
	struct store *fresh = calloc(1, sizeof(*fresh));
	size_t dropped = 0;
	char *cont = NULL;
	int err;

	if (!fresh)
		return -ENOMEM;
	err = list_page(k, fresh, body, len, &cont, &dropped);
	free(cont);
	if (err) {
		store_clear(fresh);
		free(fresh);
		return err;
	}
	list_commit(k, fresh, dropped);
	return 0;
}

int k8s__ingest_watch(struct k8s *k, const char *data, size_t len)
{
	struct xfer x = { .k = k, .len = len, .watch = true };
	int err;

	x.buf = malloc(len + 1);
	if (!x.buf)
		return -ENOMEM;
	memcpy(x.buf, data, len);
	x.buf[len] = '\0';
	err = watch_lines(&x);
	free(x.buf);
	return err;
}
