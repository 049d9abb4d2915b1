// SPDX-License-Identifier: Apache-2.0
/*
 * throttle.c - per-pod counts of the kernel's refusals and of delivered
 * repeats, the flood alert and the exit summary (throttle.h).
 *
 * The kernel keeps cumulative counters per cgroup; the last values seen are
 * kept per cgroup here, so each walk adds only the growth (a counter that
 * went down belongs to a bucket the kernel's LRU evicted and made anew: all
 * of it is growth). Counts are kept per pod, keyed by its uid ("" for the
 * host and for cgroups no pod owns).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "log.h"
#include "lru.h"
#include "throttle.h"

#define SUMMARY_LOG_PODS	5
#define SUMMARY_JSON_PODS	20

struct cg_seen {
	uint64_t throttled, reserve, first_reads;
};

struct pod_acct {
	char uid[CW_REC_NAME_MAX];
	char ns[CW_REC_NAME_MAX];
	char name[CW_REC_NAME_MAX];
	uint64_t throttled, reserve, first_reads, aggregated;	/* since start */
	uint64_t p_throttled, p_reserve, p_first_reads;		/* since the last alert */
	uint64_t last_cgroup;
	uint64_t last_alert_ns;		/* CLOCK_MONOTONIC */
	bool alerted;
	int slot;			/* metrics pod slot, -1 none yet */
};

struct throttle {
	struct throttle_opts o;
	struct lru *cgroups;		/* cgroup id -> struct cg_seen */
	struct lru *pods;		/* hash of the uid -> struct pod_acct */
	struct throttle_stats st;
};

int throttle_new(struct throttle **out, const struct throttle_opts *o)
{
	struct throttle *t = calloc(1, sizeof(*t));
	int err;

	*out = NULL;
	if (!t)
		return -ENOMEM;
	t->o = *o;
	if (!t->o.interval_ns)
		t->o.interval_ns = 60ULL * 1000000000ULL;
	err = lru_new(&t->cgroups, CW_BUDGETS_MAX, sizeof(struct cg_seen));
	if (!err)
		err = lru_new(&t->pods, THROTTLE_PODS_MAX, sizeof(struct pod_acct));
	if (err) {
		throttle_free(t);
		return err;
	}
	*out = t;
	return 0;
}

void throttle_free(struct throttle *t)
{
	if (!t)
		return;
	lru_free(t->cgroups);
	lru_free(t->pods);
	free(t);
}

/* The pod entry for uid, made (with its names) when new. */
static struct pod_acct *pod_get(struct throttle *t, const char *uid, const char *ns,
				const char *name)
{
	uint64_t h = hash_fnv64_str(HASH_FNV64_INIT, uid);
	struct pod_acct *p = lru_get(t->pods, h);

	if (p && strcmp(p->uid, uid))
		p = NULL;	/* a hash collision: the newer pod takes the slot */
	if (!p) {
		p = lru_put(t->pods, h);
		if (!p)
			return NULL;
		memset(p, 0, sizeof(*p));
		record_strlcpy(p->uid, uid, sizeof(p->uid));
		p->slot = -1;
	}
	/* names may come later than the uid (the API, /var/log/pods) */
	if (ns[0] && strcmp(p->ns, ns))
		record_strlcpy(p->ns, ns, sizeof(p->ns));
	if (name[0] && strcmp(p->name, name)) {
		record_strlcpy(p->name, name, sizeof(p->name));
		p->slot = -1;
	}
	if (p->slot < 0 && t->o.metrics)
		p->slot = metrics_pod_slot(t->o.metrics, p->ns, p->name[0] ? p->name : p->uid);
	return p;
}

static uint64_t growth(uint64_t now, uint64_t before)
{
	return now >= before ? now - before : now;
}

int throttle_observe(void *ctx, uint64_t cgroup_id, const struct cw_budget *b)
{
	struct throttle *t = ctx;
	char uid[CW_REC_NAME_MAX], ns[CW_REC_NAME_MAX], name[CW_REC_NAME_MAX];
	struct cg_seen *seen = lru_get(t->cgroups, cgroup_id);
	uint64_t dt, dr, df;
	struct pod_acct *p;

	if (!seen) {
		seen = lru_put(t->cgroups, cgroup_id);
		if (!seen)
			return 0;
	}
	dt = growth(b->throttled, seen->throttled);
	dr = growth(b->reserve, seen->reserve);
	df = growth(b->first_reads, seen->first_reads);
	seen->throttled = b->throttled;
	seen->reserve = b->reserve;
	seen->first_reads = b->first_reads;
	if (!dt && !dr && !df)
		return 0;
	if (!t->o.pod || !t->o.pod(t->o.ctx, cgroup_id, uid, sizeof(uid), ns, sizeof(ns), name,
				   sizeof(name)))
		uid[0] = ns[0] = name[0] = '\0';
	p = pod_get(t, uid, ns, name);
	if (!p)
		return 0;
	if ((dt || dr) && !p->throttled && !p->reserve)
		t->st.pods_refused++;
	p->throttled += dt;
	p->reserve += dr;
	p->first_reads += df;
	p->p_throttled += dt;
	p->p_reserve += dr;
	p->p_first_reads += df;
	p->last_cgroup = cgroup_id;
	t->st.throttled += dt;
	t->st.reserve += dr;
	t->st.first_reads += df;
	if (t->o.metrics && p->slot >= 0 && (dt || dr))
		metrics_pod_add(t->o.metrics, CW_M_THROTTLED_TOTAL, p->slot, dt + dr);
	return 0;
}

static void raise_alert(struct throttle *t, struct pod_acct *p, uint64_t now)
{
	struct throttle_alert a = {
		.ns = p->ns, .pod = p->name, .pod_uid = p->uid, .cgroup_id = p->last_cgroup,
		.throttled = p->p_throttled, .reserve = p->p_reserve,
		.first_reads = p->p_first_reads, .total = p->throttled + p->reserve,
		.window_s = p->alerted && now > p->last_alert_ns ?
			    (now - p->last_alert_ns) / 1000000000ULL : 0,
		.rate = t->o.rate, .burst = t->o.burst,
	};

	if (t->o.alert)
		t->o.alert(t->o.ctx, &a);
	t->st.alerts++;
	p->p_throttled = p->p_reserve = p->p_first_reads = 0;
	p->last_alert_ns = now;
	p->alerted = true;
}

void throttle_tick(struct throttle *t, uint64_t now_mono_ns, bool final)
{
	struct pod_acct *p;
	uint64_t h;

	for (size_t i = 0; (p = lru_at(t->pods, i, &h)); i++) {
		if (!p->p_throttled && !p->p_reserve)
			continue;
		if (final || !p->alerted || now_mono_ns - p->last_alert_ns >= t->o.interval_ns)
			raise_alert(t, p, now_mono_ns);
	}
}

void throttle_aggregated(struct throttle *t, const struct cw_record *rec)
{
	struct pod_acct *p = pod_get(t, rec->pod_uid, rec->ns_name, rec->pod_name);

	t->st.aggregated += rec->count;
	if (!p)
		return;
	p->aggregated += rec->count;
	if (t->o.metrics && p->slot >= 0)
		metrics_pod_add(t->o.metrics, CW_M_AGGREGATED_TOTAL, p->slot, rec->count);
}

void throttle_stats(const struct throttle *t, struct throttle_stats *st)
{
	*st = t->st;
}

/* "ns/name", the uid when no name is known, "the host" for "" */
static const char *pod_label(const struct pod_acct *p, char *buf, size_t size)
{
	if (!p->uid[0])
		return "the host";
	if (p->name[0])
		snprintf(buf, size, "%s/%s", p->ns[0] ? p->ns : "<NA>", p->name);
	else
		snprintf(buf, size, "pod %s", p->uid);
	return buf;
}

/* Most refused first, then most aggregated. */
static int by_refused(const void *a, const void *b)
{
	const struct pod_acct *x = *(const struct pod_acct *const *)a;
	const struct pod_acct *y = *(const struct pod_acct *const *)b;
	uint64_t rx = x->throttled + x->reserve, ry = y->throttled + y->reserve;

	if (rx != ry)
		return rx < ry ? 1 : -1;
	return x->aggregated < y->aggregated ? 1 : x->aggregated > y->aggregated ? -1 : 0;
}

static int by_aggregated(const void *a, const void *b)
{
	const struct pod_acct *x = *(const struct pod_acct *const *)a;
	const struct pod_acct *y = *(const struct pod_acct *const *)b;

	return x->aggregated < y->aggregated ? 1 : x->aggregated > y->aggregated ? -1 : 0;
}

/* ": a 5, b 3 and 2 more" over the first SUMMARY_LOG_PODS of v by count() */
static void pods_text(struct pod_acct **v, size_t n, bool refused, char *line, size_t size)
{
	char label[600];
	size_t o = 0;

	line[0] = '\0';
	for (size_t i = 0; i < n && i < SUMMARY_LOG_PODS && o < size; i++)
		o += (size_t)snprintf(line + o, size - o, "%s%s %" PRIu64, i ? ", " : ": ",
				      pod_label(v[i], label, sizeof(label)),
				      refused ? v[i]->throttled + v[i]->reserve : v[i]->aggregated);
	if (n > SUMMARY_LOG_PODS && o < size)
		snprintf(line + o, size - o, " and %zu more", n - SUMMARY_LOG_PODS);
}

void throttle_summary(struct throttle *t, struct jbuf *jb)
{
	size_t n = 0, nr = 0, cap = lru_count(t->pods);
	struct pod_acct **v = calloc(cap ? cap : 1, sizeof(*v));
	char line[1024];
	struct pod_acct *p;
	uint64_t h;

	if (!v) {
		log_warn("throttle: summary: out of memory");
		return;
	}
	for (size_t i = 0; (p = lru_at(t->pods, i, &h)); i++) {
		if (p->throttled || p->reserve)
			nr++;
		if (p->throttled || p->reserve || p->aggregated)
			v[n++] = p;
	}
	if (nr) {
		qsort(v, n, sizeof(*v), by_refused);	/* the refused ones first */
		pods_text(v, nr, true, line, sizeof(line));
		log_info("throttle: %" PRIu64 " full events refused (%" PRIu64 " over budget, %"
			 PRIu64 " kept out of the ring buffer's reserve) in %zu pods%s; %" PRIu64
			 " first reads of a credential admitted over budget",
			 t->st.throttled + t->st.reserve, t->st.throttled, t->st.reserve, nr, line,
			 t->st.first_reads);
	}
	if (t->st.aggregated) {
		size_t na = 0;

		qsort(v, n, sizeof(*v), by_aggregated);
		while (na < n && v[na]->aggregated)
			na++;
		pods_text(v, na, false, line, sizeof(line));
		log_info("repeats: %" PRIu64 " repeated opens delivered as evt.count%s",
			 t->st.aggregated, line);
	}
	if (jb) {
		qsort(v, n, sizeof(*v), by_refused);
		jbuf_key(jb, "by_pod");
		jbuf_arr_begin(jb);
		for (size_t i = 0; i < n && i < SUMMARY_JSON_PODS; i++) {
			jbuf_elem(jb);
			jbuf_obj_begin(jb);
			jbuf_kv_str(jb, "k8s.ns.name", v[i]->ns);
			jbuf_kv_str(jb, "k8s.pod.name", v[i]->name);
			jbuf_kv_str(jb, "k8s.pod.uid", v[i]->uid);
			jbuf_kv_u64(jb, "throttled", v[i]->throttled);
			jbuf_kv_u64(jb, "reserve", v[i]->reserve);
			jbuf_kv_u64(jb, "first_reads", v[i]->first_reads);
			jbuf_kv_u64(jb, "aggregated", v[i]->aggregated);
			jbuf_obj_end(jb);
		}
		jbuf_arr_end(jb);
	}
	free(v);
}
