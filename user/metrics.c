// SPDX-License-Identifier: Apache-2.0
/*
 * metrics.c - the metric family table, lock-free updates and the Prometheus
 * text rendering.
 *
 * All fixed-label values live in one array of atomics; each family owns a
 * contiguous run of it, one cell per label value. Alert counters live in an
 * append-only slot table: a slot is written fully, then published by a
 * release store of the slot count, so the scraper reads without a lock.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "metrics.h"
#include "record.h"
#include "redact.h"
#include "watch.h"

enum label_set {
	LS_NONE,	/* one unlabeled value */
	LS_VERSION,	/* {version="..."}, one value */
	LS_SYSCALL,	/* {syscall}: enum cw_syscall */
	LS_DROP,	/* {reason}: enum cw_drop */
	LS_LOST,	/* {reason}: enum cw_lost_reason */
	LS_KIND,	/* {kind}: enum cw_cred_kind */
	LS_REDACT,	/* {kind}: enum redact_kind */
	LS_REFUSAL,	/* {reason}: enum watch_refusal */
	LS_RULE,	/* {rule,priority}: the slot table, no fixed cells */
	LS_POD,		/* {namespace,pod}: the pod slot table, no fixed cells */
};

struct family {
	const char *name;
	const char *help;
	bool is_counter;
	enum label_set labels;
};

/*
 * The one declaration of every family. Names follow Prometheus practice:
 * credwatch_ prefix, base units (seconds, bytes), _total on counters only.
 */
static const struct family families[CW_M__COUNT] = {
	[CW_M_BUILD_INFO] = { "credwatch_build_info",
		"Always 1; the version label says which credwatch is running.", false, LS_VERSION },
	[CW_M_START_TIME_SECONDS] = { "credwatch_start_time_seconds",
		"Unix time the agent started, in seconds.", false, LS_NONE },
	[CW_M_EVENTS_TOTAL] = { "credwatch_events_total",
		"Credential file opens seen by the sensor, by syscall.", true, LS_SYSCALL },
	[CW_M_ALERTS_TOTAL] = { "credwatch_alerts_total",
		"Alerts raised, by rule and priority.", true, LS_RULE },
	[CW_M_KERNEL_DROPS_TOTAL] = { "credwatch_kernel_drops_total",
		"Events lost in the kernel before reaching the agent, by reason.", true, LS_DROP },
	[CW_M_EVENTS_LOST_TOTAL] = { "credwatch_events_lost_total",
		"Events the agent read but could not process or write, by reason.", true, LS_LOST },
	[CW_M_WATCHED_CREDENTIALS] = { "credwatch_watched_credentials",
		"Credential inodes currently watched, by kind.", false, LS_KIND },
	[CW_M_RULES_LOADED] = { "credwatch_rules_loaded",
		"Rules currently loaded.", false, LS_NONE },
	[CW_M_BPF_PROGRAMS_ATTACHED] = { "credwatch_bpf_programs_attached",
		"eBPF programs currently attached.", false, LS_NONE },
	[CW_M_SPOOL_BYTES] = { "credwatch_spool_bytes",
		"Bytes of alerts waiting in the on-disk spool for the backend's acknowledgement.",
		false, LS_NONE },
	[CW_M_SPOOL_EVICTED_TOTAL] = { "credwatch_spool_evicted_total",
		"Alerts evicted from the spool because it was full.", true, LS_NONE },
	[CW_M_SPOOL_WRITE_ERRORS_TOTAL] = { "credwatch_spool_write_errors_total",
		"Alerts the spool could not store (disk full, write error): written to the "
		"output but never sent to the backend.", true, LS_NONE },
	[CW_M_BACKEND_SENT_TOTAL] = { "credwatch_backend_sent_total",
		"Alerts sent to the audit backend.", true, LS_NONE },
	[CW_M_BACKEND_ACKED_TOTAL] = { "credwatch_backend_acked_total",
		"Alerts the audit backend accepted.", true, LS_NONE },
	[CW_M_BACKEND_RETRIED_TOTAL] = { "credwatch_backend_retried_total",
		"Backend send attempts that failed and will be retried.", true, LS_NONE },
	[CW_M_BACKEND_DEAD_LETTERED_TOTAL] = { "credwatch_backend_dead_lettered_total",
		"Alerts the audit backend rejected permanently, kept in the dead-letter file.", true, LS_NONE },
	[CW_M_ATTRIBUTION_CACHE_ENTRIES] = { "credwatch_attribution_cache_entries",
		"Entries in the cgroup to container and pod attribution cache.", false, LS_NONE },
	[CW_M_K8S_API_WATCH_UP] = { "credwatch_k8s_api_watch_up",
		"1 when the Kubernetes API pod watch is connected, else 0.", false, LS_NONE },
	[CW_M_HEARTBEAT_TIMESTAMP_SECONDS] = { "credwatch_event_loop_heartbeat_timestamp_seconds",
		"Unix time of the event loop's last iteration, in seconds.", false, LS_NONE },
	[CW_M_READY] = { "credwatch_ready",
		"1 once start-up discovery has finished, else 0.", false, LS_NONE },
	[CW_M_THROTTLED_TOTAL] = { "credwatch_throttled_total",
		"Full events the kernel refused because the reader's cgroup was over its budget "
		"or the ring buffer was in its reserve, by the reader's pod (host: empty labels).",
		true, LS_POD },
	[CW_M_AGGREGATED_TOTAL] = { "credwatch_aggregated_total",
		"Repeated opens counted in the kernel and delivered as evt.count of aggregated "
		"records, by the reader's pod (host: empty labels).", true, LS_POD },
	[CW_M_REPEATS_LOST_TOTAL] = { "credwatch_repeats_lost_total",
		"Repeated opens the kernel counted whose count could not be delivered (the key "
		"was evicted first).", true, LS_NONE },
	[CW_M_DISCOVERY_LATE_FINDS_TOTAL] = { "credwatch_discovery_late_finds_total",
		"Credentials the periodic re-check found that the live path (inotify, the mount "
		"table) had missed; each is also logged. Should stay 0.", true, LS_NONE },
	[CW_M_DISCOVERY_LATE_REMOVALS_TOTAL] = { "credwatch_discovery_late_removals_total",
		"Credentials gone from the node that the periodic re-check removed from the "
		"watched set, missed by the live path; each is also logged. Should stay 0.",
		true, LS_NONE },
	[CW_M_DISCOVERY_RECHECKED_PODS_TOTAL] = { "credwatch_discovery_rechecked_pods_total",
		"Pods whose volumes the periodic re-check compared with the watched set.",
		true, LS_NONE },
	[CW_M_DISCOVERY_VOLUME_MOUNTS] = { "credwatch_discovery_volume_mounts",
		"Kubelet Secret and projected volume mounts currently followed.", false, LS_NONE },
	[CW_M_DISCOVERY_INOTIFY_WATCHES] = { "credwatch_discovery_inotify_watches",
		"Directories currently watched with inotify (counts against "
		"fs.inotify.max_user_watches).", false, LS_NONE },
	[CW_M_WATCHED_UNMATCHED] = { "credwatch_watched_unmatched",
		"Watched credentials on a filesystem where an open may not be matched (FUSE, "
		"network filesystems, an overlay layer not found); each is logged once and is a "
		"finding.", false, LS_NONE },
	[CW_M_KERNEL_SUBVOL_MISSES_TOTAL] = { "credwatch_kernel_subvol_misses_total",
		"Opens of a watched inode number in another btrfs subvolume, told apart in the "
		"kernel and not reported.", true, LS_NONE },
	[CW_M_REDACTIONS_TOTAL] = { "credwatch_redactions_total",
		"Secrets replaced by <redacted> in command lines before anything kept them, "
		"by what recognised them.", true, LS_REDACT },
	[CW_M_DISCOVERY_REFUSED_TOTAL] = { "credwatch_discovery_refused_total",
		"Files discovery found but would not watch, by reason, counted once per reason "
		"and place: a symlink the catalog entry does not follow or that leads out of it, "
		"a file under a home owned by another user, past a catalog entry's or a pod's "
		"bound, or past the share of the watched map kept for service-account tokens.",
		true, LS_REFUSAL },
};

/* Which counter of a pod slot a per-pod family uses. */
static int pod_family(enum cw_metric id)
{
	switch (id) {
	case CW_M_THROTTLED_TOTAL: return 0;
	case CW_M_AGGREGATED_TOTAL: return 1;
	default: return -1;
	}
}
#define POD_FAMILIES 2

static const char *const drop_names[CW_DROP__MAX] = {
	[CW_DROP_RINGBUF] = "ringbuf_full",
	[CW_DROP_SCRATCH] = "scratch",
	[CW_DROP_FD_LOOKUP] = "fd_lookup",
	[CW_DROP_THROTTLED] = "throttled",
	[CW_DROP_RESERVE] = "reserve",
};

static const char *const lost_names[CW_LOST__MAX] = {
	[CW_LOST_QUEUE_FULL] = "queue_full",
	[CW_LOST_OUTPUT_ERROR] = "output_error",
	[CW_LOST_DECODE] = "decode",
};

/* Falco's priorities, most severe first; the label value is the name here. */
static const char *const priority_names[] = {
	"emergency", "alert", "critical", "error",
	"warning", "notice", "informational", "debug",
};
#define N_PRIORITIES (sizeof(priority_names) / sizeof(priority_names[0]))

struct rule_slot {
	char *rule;			/* owned; NULL for an unused overflow slot */
	const char *priority;		/* points into priority_names */
	_Atomic uint64_t count;
};

struct pod_slot {
	char *ns, *pod;			/* owned */
	_Atomic uint64_t count[POD_FAMILIES];
};

struct metrics {
	_Atomic uint64_t *vals;		/* fixed-label cells of every family */
	size_t off[CW_M__COUNT];	/* first cell of each family */
	size_t nvals;

	pthread_mutex_t slot_lock;	/* serialises slot creation only */
	struct rule_slot *slots;	/* cap named slots, then N_PRIORITIES overflow */
	size_t cap;
	_Atomic size_t nslots;		/* named slots published */

	struct pod_slot *pods;		/* CW_METRICS_POD_SLOTS named, then "_other" */
	_Atomic size_t npods;		/* named pod slots published */

	_Atomic uint64_t heartbeat_ns;	/* CLOCK_MONOTONIC; 0 = never */
	_Atomic bool ready;
};

static unsigned label_cells(enum label_set ls)
{
	switch (ls) {
	case LS_SYSCALL: return CW_SYS__MAX;	/* cell 0 is "unknown" */
	case LS_DROP: return CW_DROP__MAX;
	case LS_LOST: return CW_LOST__MAX;
	case LS_KIND: return CW_CRED__MAX;
	case LS_REDACT: return REDACT__MAX;
	case LS_REFUSAL: return WATCH_REFUSED__COUNT;
	case LS_RULE: return 0;
	case LS_POD: return 0;
	case LS_NONE:
	case LS_VERSION:
	default: return 1;
	}
}

static uint64_t now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int metrics_new(struct metrics **out, size_t max_rule_slots)
{
	struct metrics *m = NULL;
	size_t n = 0;
	int err;

	*out = NULL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	for (int i = 0; i < CW_M__COUNT; i++) {
		m->off[i] = n;
		n += label_cells(families[i].labels);
	}
	m->nvals = n;
	m->cap = max_rule_slots ? max_rule_slots : CW_METRICS_RULE_SLOTS;
	m->vals = calloc(n, sizeof(*m->vals));
	m->slots = calloc(m->cap + N_PRIORITIES, sizeof(*m->slots));
	m->pods = calloc(CW_METRICS_POD_SLOTS + 1, sizeof(*m->pods));
	if (!m->vals || !m->slots || !m->pods) {
		err = -ENOMEM;
		goto cleanup;
	}
	err = -pthread_mutex_init(&m->slot_lock, NULL);
	if (err)
		goto cleanup;
	for (size_t i = 0; i < N_PRIORITIES; i++)
		m->slots[m->cap + i].priority = priority_names[i];
	metrics_set(m, CW_M_BUILD_INFO, 0, 1);
	metrics_set(m, CW_M_START_TIME_SECONDS, 0,
		    (int64_t)(now_ns(CLOCK_REALTIME) / 1000000000ull));
	*out = m;
	return 0;

cleanup:
	free(m->vals);
	free(m->slots);
	free(m->pods);
	free(m);
	return err;
}

void metrics_free(struct metrics *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->cap; i++)
		free(m->slots[i].rule);
	for (size_t i = 0; i < CW_METRICS_POD_SLOTS; i++) {
		free(m->pods[i].ns);
		free(m->pods[i].pod);
	}
	free(m->pods);
	pthread_mutex_destroy(&m->slot_lock);
	free(m->slots);
	free(m->vals);
	free(m);
}

static _Atomic uint64_t *cell(const struct metrics *m, enum cw_metric id, unsigned label)
{
	if ((unsigned)id >= CW_M__COUNT || label >= label_cells(families[id].labels))
		return NULL;
	return &m->vals[m->off[id] + label];
}

void metrics_add(struct metrics *m, enum cw_metric id, unsigned label, uint64_t n)
{
	_Atomic uint64_t *c = cell(m, id, label);

	if (c)
		atomic_fetch_add_explicit(c, n, memory_order_relaxed);
}

void metrics_set(struct metrics *m, enum cw_metric id, unsigned label, int64_t v)
{
	_Atomic uint64_t *c = cell(m, id, label);

	if (c)
		atomic_store_explicit(c, (uint64_t)v, memory_order_relaxed);
}

void metrics_gauge_add(struct metrics *m, enum cw_metric id, unsigned label, int64_t delta)
{
	/* Two's complement: adding (uint64_t)delta subtracts when delta < 0. */
	metrics_add(m, id, label, (uint64_t)delta);
}

int64_t metrics_get(const struct metrics *m, enum cw_metric id, unsigned label)
{
	_Atomic uint64_t *c = cell(m, id, label);

	return c ? (int64_t)atomic_load_explicit(c, memory_order_relaxed) : 0;
}

static int priority_index(const char *priority)
{
	if (!strcasecmp(priority, "info"))
		priority = "informational";
	for (size_t i = 0; i < N_PRIORITIES; i++)
		if (!strcasecmp(priority, priority_names[i]))
			return (int)i;
	return -EINVAL;
}

int metrics_rule_slot(struct metrics *m, const char *rule, const char *priority)
{
	int pi, slot = -ENOMEM;
	size_t n;

	if (!rule || !priority)
		return -EINVAL;
	pi = priority_index(priority);
	if (pi < 0)
		return pi;
	pthread_mutex_lock(&m->slot_lock);
	n = atomic_load_explicit(&m->nslots, memory_order_relaxed);
	for (size_t i = 0; i < n; i++) {
		if (m->slots[i].priority == priority_names[pi] &&
		    !strcmp(m->slots[i].rule, rule)) {
			slot = (int)i;
			goto cleanup;
		}
	}
	if (n == m->cap) {
		/* Full: count under rule="_overflow" rather than lose the alert. */
		slot = (int)(m->cap + (size_t)pi);
		goto cleanup;
	}
	m->slots[n].rule = strdup(rule);
	if (!m->slots[n].rule)
		goto cleanup;
	m->slots[n].priority = priority_names[pi];
	atomic_store_explicit(&m->slots[n].count, 0, memory_order_relaxed);
	/* Publish only a fully written slot to the lock-free reader. */
	atomic_store_explicit(&m->nslots, n + 1, memory_order_release);
	slot = (int)n;
cleanup:
	pthread_mutex_unlock(&m->slot_lock);
	return slot;
}

void metrics_alert_inc(struct metrics *m, int slot)
{
	if (slot < 0 || (size_t)slot >= m->cap + N_PRIORITIES)
		return;
	atomic_fetch_add_explicit(&m->slots[slot].count, 1, memory_order_relaxed);
}

uint64_t metrics_alert_count(const struct metrics *m, int slot)
{
	if (slot < 0 || (size_t)slot >= m->cap + N_PRIORITIES)
		return 0;
	return atomic_load_explicit(&m->slots[slot].count, memory_order_relaxed);
}

int metrics_pod_slot(struct metrics *m, const char *ns, const char *pod)
{
	int slot = CW_METRICS_POD_SLOTS;	/* "_other" */
	size_t n;

	pthread_mutex_lock(&m->slot_lock);
	n = atomic_load_explicit(&m->npods, memory_order_relaxed);
	for (size_t i = 0; i < n; i++) {
		if (!strcmp(m->pods[i].ns, ns) && !strcmp(m->pods[i].pod, pod)) {
			slot = (int)i;
			goto cleanup;
		}
	}
	if (n == CW_METRICS_POD_SLOTS)
		goto cleanup;
	m->pods[n].ns = strdup(ns);
	m->pods[n].pod = strdup(pod);
	if (!m->pods[n].ns || !m->pods[n].pod) {
		free(m->pods[n].ns);
		free(m->pods[n].pod);
		m->pods[n].ns = m->pods[n].pod = NULL;
		slot = -ENOMEM;
		goto cleanup;
	}
	/* publish only a fully written slot to the lock-free reader */
	atomic_store_explicit(&m->npods, n + 1, memory_order_release);
	slot = (int)n;
cleanup:
	pthread_mutex_unlock(&m->slot_lock);
	return slot;
}

void metrics_pod_add(struct metrics *m, enum cw_metric id, int slot, uint64_t n)
{
	int f = pod_family(id);

	if (f < 0 || slot < 0 || slot > CW_METRICS_POD_SLOTS)
		return;
	atomic_fetch_add_explicit(&m->pods[slot].count[f], n, memory_order_relaxed);
}

uint64_t metrics_pod_get(const struct metrics *m, enum cw_metric id, int slot)
{
	int f = pod_family(id);

	if (f < 0 || slot < 0 || slot > CW_METRICS_POD_SLOTS)
		return 0;
	return atomic_load_explicit(&m->pods[slot].count[f], memory_order_relaxed);
}

void metrics_heartbeat_at(struct metrics *m, uint64_t mono_ns)
{
	atomic_store_explicit(&m->heartbeat_ns, mono_ns ? mono_ns : 1, memory_order_relaxed);
	metrics_set(m, CW_M_HEARTBEAT_TIMESTAMP_SECONDS, 0,
		    (int64_t)(now_ns(CLOCK_REALTIME) / 1000000000ull));
}

void metrics_heartbeat(struct metrics *m)
{
	metrics_heartbeat_at(m, now_ns(CLOCK_MONOTONIC));
}

int64_t metrics_heartbeat_age_ns(const struct metrics *m)
{
	uint64_t hb = atomic_load_explicit(&m->heartbeat_ns, memory_order_relaxed);
	uint64_t now = now_ns(CLOCK_MONOTONIC);

	if (!hb)
		return -1;
	return now > hb ? (int64_t)(now - hb) : 0;
}

void metrics_set_ready(struct metrics *m, bool ready)
{
	atomic_store_explicit(&m->ready, ready, memory_order_relaxed);
	metrics_set(m, CW_M_READY, 0, ready);
}

bool metrics_is_ready(const struct metrics *m)
{
	return atomic_load_explicit(&m->ready, memory_order_relaxed);
}

/* A label value as the exposition format wants it: \\, \" and \n escaped. */
static void put_label_value(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '\\': fputs("\\\\", f); break;
		case '"': fputs("\\\"", f); break;
		case '\n': fputs("\\n", f); break;
		default: fputc(*s, f);
		}
	}
}

static void put_value(FILE *f, const struct family *fam, uint64_t v)
{
	if (fam->is_counter)
		fprintf(f, " %" PRIu64 "\n", v);
	else
		fprintf(f, " %" PRId64 "\n", (int64_t)v);
}

static void put_one_label(FILE *f, const char *name, const char *key, const char *val)
{
	fprintf(f, "%s{%s=\"", name, key);
	put_label_value(f, val);
	fputs("\"}", f);
}

static void put_rule_slot(FILE *f, const char *name, const struct rule_slot *s, uint64_t v)
{
	fprintf(f, "%s{rule=\"", name);
	put_label_value(f, s->rule ? s->rule : "_overflow");
	fprintf(f, "\",priority=\"%s\"} %" PRIu64 "\n", s->priority, v);
}

static void put_pod_slot(FILE *f, const char *name, const char *ns, const char *pod, uint64_t v)
{
	fprintf(f, "%s{namespace=\"", name);
	put_label_value(f, ns);
	fputs("\",pod=\"", f);
	put_label_value(f, pod);
	fprintf(f, "\"} %" PRIu64 "\n", v);
}

static void put_family(FILE *f, const struct metrics *m, enum cw_metric id)
{
	const struct family *fam = &families[id];
	const _Atomic uint64_t *v = &m->vals[m->off[id]];
	size_t n;

	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", fam->name, fam->help,
		fam->name, fam->is_counter ? "counter" : "gauge");
	switch (fam->labels) {
	case LS_NONE:
		fputs(fam->name, f);
		put_value(f, fam, atomic_load_explicit(v, memory_order_relaxed));
		break;
	case LS_VERSION:
		put_one_label(f, fam->name, "version", CW_VERSION);
		put_value(f, fam, atomic_load_explicit(v, memory_order_relaxed));
		break;
	case LS_SYSCALL:
		for (unsigned i = 0; i < CW_SYS__MAX; i++) {
			put_one_label(f, fam->name, "syscall", syscall_name(i));
			put_value(f, fam, atomic_load_explicit(&v[i], memory_order_relaxed));
		}
		break;
	case LS_DROP:
	case LS_LOST:
	case LS_REFUSAL:
		for (unsigned i = 0; i < label_cells(fam->labels); i++) {
			put_one_label(f, fam->name, "reason",
				      fam->labels == LS_DROP ? drop_names[i] :
				      fam->labels == LS_LOST ? lost_names[i] : watch_refusal_name(i));
			put_value(f, fam, atomic_load_explicit(&v[i], memory_order_relaxed));
		}
		break;
	case LS_KIND:
	case LS_REDACT:
		for (unsigned i = 0; i < label_cells(fam->labels); i++) {
			put_one_label(f, fam->name, "kind", fam->labels == LS_KIND ?
				      cred_kind_name(i) : redact_kind_name(i));
			put_value(f, fam, atomic_load_explicit(&v[i], memory_order_relaxed));
		}
		break;
	case LS_RULE:
		n = atomic_load_explicit(&m->nslots, memory_order_acquire);
		for (size_t i = 0; i < n; i++)
			put_rule_slot(f, fam->name, &m->slots[i],
				      atomic_load_explicit(&m->slots[i].count, memory_order_relaxed));
		/* Overflow series appear only once something was counted there. */
		for (size_t i = 0; i < N_PRIORITIES; i++) {
			const struct rule_slot *s = &m->slots[m->cap + i];
			uint64_t c = atomic_load_explicit(&s->count, memory_order_relaxed);

			if (c)
				put_rule_slot(f, fam->name, s, c);
		}
		break;
	case LS_POD: {
		int pf = pod_family(id);
		uint64_t c;

		n = atomic_load_explicit(&m->npods, memory_order_acquire);
		for (size_t i = 0; i < n; i++)
			put_pod_slot(f, fam->name, m->pods[i].ns, m->pods[i].pod,
				     atomic_load_explicit(&m->pods[i].count[pf], memory_order_relaxed));
		c = atomic_load_explicit(&m->pods[CW_METRICS_POD_SLOTS].count[pf],
					 memory_order_relaxed);
		if (c)
			put_pod_slot(f, fam->name, "_other", "_other", c);
		break;
	}
	}
}

int metrics_write(const struct metrics *m, char **buf, size_t *len)
{
	FILE *f;

	*buf = NULL;
	*len = 0;
	f = open_memstream(buf, len);
	if (!f)
		return -ENOMEM;
	for (int i = 0; i < CW_M__COUNT; i++)
		put_family(f, m, i);
	/* open_memstream reports a failed growth as a stream error. */
	if (ferror(f) | fclose(f)) {
		free(*buf);
		*buf = NULL;
		*len = 0;
		return -ENOMEM;
	}
	return 0;
}
