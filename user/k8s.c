// SPDX-License-Identifier: Apache-2.0
/*
 * k8s.c - the Kubernetes client's thread: list then watch this node's pods
 * over HTTPS, resume, relist on 410, back off on errors, fetch the Node
 * object once. What the pods' JSON becomes is in k8s_pods.c.
 */
#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "http.h"
#include "identity.h"
#include "k8s_int.h"
#include "kubeconfig.h"
#include "log.h"

/* The bearer token: the file's, read again when it changed, else the kubeconfig's. */
static const char *token_get(struct k8s *k)
{
	if (!k->cfg->token_file)
		return k->cfg->token ? k->cfg->token : "";
	if (http_token_refresh(&k->token) < 0 && !k->token.value)
		return NULL;
	return k->token.value;	/* a failed re-read keeps the previous token */
}

const char *k8s_state_name(enum k8s_state s)
{
	static const char *const names[] = { "starting", "listing", "watching", "backoff", "stopped" };

	return (unsigned)s < 5 ? names[s] : "unknown";
}

static void set_state(struct k8s *k, enum k8s_state s)
{
	pthread_mutex_lock(&k->mu);
	k->st.state = s;
	pthread_mutex_unlock(&k->mu);
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
		if (k8s_watch_lines(x))
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
	const struct kube_config *cfg = k->cfg;
	struct curl_slist *hdrs = NULL;
	const char *token;
	CURLcode rc;
	int err = 0;

	*status = 0;
	token = token_get(k);
	if (!token) {
		fail_log(k, "k8s: %s: token file %s unreadable", cfg->source, cfg->token_file);
		return -EACCES;
	}
	hdrs = curl_slist_append(hdrs, "Accept: application/json");
	hdrs = http_bearer(hdrs, token);
	curl_easy_reset(k->curl);
	http_setup(k->curl, &(struct http_opts){
		.protocols = "https", .connect_timeout_ms = 10000,
		.ca = { cfg->ca.file, cfg->ca.data, cfg->ca.len },
		.cert = { cfg->cert.file, cfg->cert.data, cfg->cert.len },
		.key = { cfg->key.file, cfg->key.data, cfg->key.len },
		.skip_verify = cfg->insecure, .abort_cb = on_progress, .abort_ctx = k });
	curl_easy_setopt(k->curl, CURLOPT_URL, url);
	curl_easy_setopt(k->curl, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(k->curl, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(k->curl, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(k->curl, CURLOPT_TIMEOUT, timeout_s);
	curl_easy_setopt(k->curl, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(k->curl, CURLOPT_ACCEPT_ENCODING, "");
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
			err = k8s_list_page(k, fresh, x.buf, x.len, &cont, &dropped);
		free(x.buf);
		if (err)
			goto cleanup;
		if (!cont)
			break;
	}
	k8s_list_commit(k, fresh, dropped);
	fresh = NULL;
cleanup:
	if (fresh) {
		k8s_store_clear(fresh);
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
	clock_after_ms(&ts, CLOCK_REALTIME, d);
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

bool k8s_node_identity(struct k8s *k, struct cluster_identity *out)
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

int k8s_new(struct k8s **out, const struct k8s_opts *opts)
{
	struct k8s *k;

	*out = NULL;
	if (!opts || !opts->config || !opts->node_name || !opts->node_name[0]) {
		if (opts)
			kube_config_free(opts->config);
		return -EINVAL;
	}
	k = calloc(1, sizeof(*k));
	if (!k) {
		kube_config_free(opts->config);
		return -ENOMEM;
	}
	k->cfg = opts->config;
	k->token.path = k->cfg->token_file;
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
		k8s_free(k);
		return -ENOMEM;
	}
	*out = k;
	return 0;
}

int k8s_start(struct k8s *k)
{
	int err = pthread_create(&k->thread, NULL, run, k);

	if (err)
		return -err;
	k->started = true;
	return 0;
}

void k8s_free(struct k8s *k)
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
	k8s_store_clear(&k->store);
	http_token_clear(&k->token);
	if (k->curl)
		curl_easy_cleanup(k->curl);
	curl_global_cleanup();
	pthread_cond_destroy(&k->cv);
	pthread_mutex_destroy(&k->mu);
	kube_config_free(k->cfg);
	free(k->node);
	free(k);
}

void k8s_stats(struct k8s *k, struct k8s_stats *st)
{
	pthread_mutex_lock(&k->mu);
	*st = k->st;
	pthread_mutex_unlock(&k->mu);
}
