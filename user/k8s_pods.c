// SPDX-License-Identifier: Apache-2.0
/*
 * k8s_pods.c - the pod store of the Kubernetes client: v1.Pod JSON to the
 * few fields attribution needs, list pages and watch events applied to the
 * store, lookups copied out under the mutex.
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "k8s_int.h"
#include "kubeconfig.h"

static unsigned int hash_uid(const char *s)
{
	return hash_fnv32_str(s) % BUCKETS;
}

static void pod_free(struct kpod *p)
{
	if (!p)
		return;
	free(p->ctr);
	free(p->vol);
	free(p);
}

void k8s_store_clear(struct store *s)
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
int k8s_watch_lines(struct xfer *x)
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

/*
 * One page of a pod list response into fresh; *cont becomes the continue
 * token (NULL on the last page). 0, or -EPROTO for an unparsable body.
 */
int k8s_list_page(struct k8s *k, struct store *fresh, const char *body, size_t len,
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
void k8s_list_commit(struct k8s *k, struct store *fresh, size_t dropped)
{
	if (dropped)
		log_warn("k8s: %s: node %s has more than %zu pods; %zu not kept",
			 k->cfg->server, k->node, k->max_pods, dropped);
	pthread_mutex_lock(&k->mu);
	k8s_store_clear(&k->store);
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

int k8s_lookup(struct k8s *k, const char *pod_uid, const char *container_id,
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

int k8s_ingest_list(struct k8s *k, const char *body, size_t len)
{
	struct store *fresh = calloc(1, sizeof(*fresh));
	size_t dropped = 0;
	char *cont = NULL;
	int err;

	if (!fresh)
		return -ENOMEM;
	err = k8s_list_page(k, fresh, body, len, &cont, &dropped);
	free(cont);
	if (err) {
		k8s_store_clear(fresh);
		free(fresh);
		return err;
	}
	k8s_list_commit(k, fresh, dropped);
	return 0;
}

int k8s_ingest_watch(struct k8s *k, const char *data, size_t len)
{
	struct xfer x = { .k = k, .len = len, .watch = true };
	int err;

	x.buf = malloc(len + 1);
	if (!x.buf)
		return -ENOMEM;
	memcpy(x.buf, data, len);
	x.buf[len] = '\0';
	err = k8s_watch_lines(&x);
	free(x.buf);
	return err;
}
