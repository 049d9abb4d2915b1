/* SPDX-License-Identifier: Apache-2.0 */
/*
 * metrics.h - the agent's counters and gauges, and their Prometheus text.
 *
 * Every family is declared once, in the table in metrics.c, with a fixed
 * name, help text, type and label set; enum cw_metric below is the index
 * into that table. Label values are bounded by construction: syscall, drop
 * reason, loss reason, credential and redaction kind come from fixed enums, and the
 * (rule, priority) pairs of credwatch_alerts_total come from the loaded
 * rules through a fixed-capacity slot table, and the (namespace, pod)
 * pairs of the per-pod families through another one (CW_METRICS_POD_SLOTS
 * pods, then one "_other" series). No path or other unbounded value can
 * become a label.
 *
 * Thread safety: updates are relaxed atomic adds and stores, no lock, so
 * the event loop can call them per event. metrics_write() may run in
 * another thread (the HTTP server) at the same time. metrics_rule_slot()
 * takes a mutex and is for rule loading, not the hot path.
 */
#ifndef CW_METRICS_H
#define CW_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "record.h"	/* enum cw_syscall, cw_drop, cw_cred_kind: label indexes */

struct metrics;

/*
 * Families. The label index passed with each one is:
 *   CW_M_EVENTS_TOTAL          enum cw_syscall (bpf/credwatch.h); 0 = "unknown"
 *   CW_M_KERNEL_DROPS_TOTAL    enum cw_drop (bpf/credwatch.h)
 *   CW_M_EVENTS_LOST_TOTAL     enum cw_lost_reason below
 *   CW_M_WATCHED_CREDENTIALS   enum cw_cred_kind (user/record.h)
 *   CW_M_REDACTIONS_TOTAL      enum redact_kind (user/redact.h)
 *   CW_M_DISCOVERY_REFUSED_TOTAL enum watch_refusal (user/watch.h)
 *   every other family         0
 * credwatch_alerts_total is updated with metrics_alert_inc() only.
 */
enum cw_metric {
	CW_M_BUILD_INFO = 0,		/* gauge {version} = 1 */
	CW_M_START_TIME_SECONDS,	/* gauge, Unix time of start-up */
	CW_M_EVENTS_TOTAL,		/* counter {syscall}: credential accesses seen */
	CW_M_ALERTS_TOTAL,		/* counter {rule,priority} */
	CW_M_KERNEL_DROPS_TOTAL,	/* counter {reason}: lost before leaving the kernel */
	CW_M_EVENTS_LOST_TOTAL,		/* counter {reason}: lost in the agent */
	CW_M_WATCHED_CREDENTIALS,	/* gauge {kind}: inodes in the watched map */
	CW_M_RULES_LOADED,		/* gauge */
	CW_M_BPF_PROGRAMS_ATTACHED,	/* gauge */
	CW_M_SPOOL_BYTES,		/* gauge: bytes not yet acknowledged by the backend */
	CW_M_SPOOL_EVICTED_TOTAL,	/* counter: alerts evicted from a full spool */
	CW_M_SPOOL_WRITE_ERRORS_TOTAL,	/* counter: alerts the spool could not store */
	CW_M_BACKEND_SENT_TOTAL,	/* counter: alerts sent to the backend */
	CW_M_BACKEND_ACKED_TOTAL,	/* counter: alerts the backend accepted */
	CW_M_BACKEND_RETRIED_TOTAL,	/* counter: send attempts that will be retried */
	CW_M_BACKEND_DEAD_LETTERED_TOTAL, /* counter: alerts the backend rejected for good */
	CW_M_ATTRIBUTION_CACHE_ENTRIES,	/* gauge */
	CW_M_K8S_API_WATCH_UP,		/* gauge 0/1 */
	CW_M_HEARTBEAT_TIMESTAMP_SECONDS, /* gauge, set by metrics_heartbeat() */
	CW_M_READY,			/* gauge 0/1, set by metrics_set_ready() */
	CW_M_THROTTLED_TOTAL,		/* counter {namespace,pod}: full events refused */
	CW_M_AGGREGATED_TOTAL,		/* counter {namespace,pod}: opens delivered as repeats */
	CW_M_REPEATS_LOST_TOTAL,	/* counter: repeats counted but never delivered */
	CW_M_DISCOVERY_LATE_FINDS_TOTAL,	/* counter: found by the re-check, missed live */
	CW_M_DISCOVERY_LATE_REMOVALS_TOTAL,	/* counter: stale entries the re-check removed */
	CW_M_DISCOVERY_RECHECKED_PODS_TOTAL,	/* counter: pods the re-check looked at */
	CW_M_DISCOVERY_VOLUME_MOUNTS,	/* gauge: kubelet volume mounts followed */
	CW_M_DISCOVERY_INOTIFY_WATCHES,	/* gauge: directories watched with inotify */
	CW_M_WATCHED_UNMATCHED,		/* gauge: credentials opens may not match on (fsident.h) */
	CW_M_KERNEL_SUBVOL_MISSES_TOTAL, /* counter: btrfs inode number hits in another subvolume */
	CW_M_REDACTIONS_TOTAL,		/* counter {kind}: secrets cut from command lines */
	CW_M_DISCOVERY_REFUSED_TOTAL,	/* counter {reason}: files discovery would not watch */
	CW_M__COUNT,
};

/* Why the agent lost an event after reading it from the ring buffer. */
enum cw_lost_reason {
	CW_LOST_QUEUE_FULL = 0,		/* output queue full */
	CW_LOST_OUTPUT_ERROR,		/* writing --output/--events failed */
	CW_LOST_DECODE,			/* malformed ring buffer record */
	CW_LOST__MAX,
};

/* Capacity of the (rule, priority) table when 0 is passed to metrics_new(). */
#define CW_METRICS_RULE_SLOTS	1024
/* Distinct (namespace, pod) series of the per-pod families; then "_other". */
#define CW_METRICS_POD_SLOTS	512

/*
 * metrics_new - all families at zero, build_info and start_time set.
 * @max_rule_slots: distinct (rule, priority) pairs kept across reloads;
 *                  0 means CW_METRICS_RULE_SLOTS.
 * Returns 0 or -ENOMEM (another -errno if the lock cannot be set up);
 * *out NULL on error.
 */
int metrics_new(struct metrics **out, size_t max_rule_slots);
void metrics_free(struct metrics *m);

/* Counter += n. Out-of-range ids or labels are ignored (programming error). */
void metrics_add(struct metrics *m, enum cw_metric id, unsigned label, uint64_t n);
static inline void metrics_inc(struct metrics *m, enum cw_metric id, unsigned label)
{
	metrics_add(m, id, label, 1);
}
/* Gauge = v, and gauge += delta (delta may be negative). */
void metrics_set(struct metrics *m, enum cw_metric id, unsigned label, int64_t v);
void metrics_gauge_add(struct metrics *m, enum cw_metric id, unsigned label, int64_t delta);
/* Current value (counters as uint64 cast to int64); 0 when out of range. */
int64_t metrics_get(const struct metrics *m, enum cw_metric id, unsigned label);

/*
 * metrics_rule_slot - the alert counter slot of a (rule, priority) pair,
 * created on first use. Call when rules are loaded (and on SIGHUP reload);
 * slots are never removed, so a counter never goes backwards across a
 * reload. priority is a Falco priority name in any case ("info" is taken as
 * "informational"). When the table is full, the pair shares the slot
 * rule="_overflow" of its priority, so no alert goes uncounted.
 * Returns the slot (>= 0) or -EINVAL (unknown priority, NULL rule) or
 * -ENOMEM.
 */
int metrics_rule_slot(struct metrics *m, const char *rule, const char *priority);
/* credwatch_alerts_total{slot} += 1. Lock-free. Bad slots are ignored. */
void metrics_alert_inc(struct metrics *m, int slot);
uint64_t metrics_alert_count(const struct metrics *m, int slot);

/*
 * metrics_pod_slot - the series slot of a (namespace, pod) pair in the
 * per-pod families (CW_M_THROTTLED_TOTAL, CW_M_AGGREGATED_TOTAL), created
 * on first use; host processes are namespace "" and pod "". Past
 * CW_METRICS_POD_SLOTS pairs, the slot of {namespace="_other",pod="_other"}.
 * Takes a mutex: cache the slot. Returns the slot or -ENOMEM.
 * metrics_pod_add: that family's counter of the slot += n (lock-free).
 */
int metrics_pod_slot(struct metrics *m, const char *ns, const char *pod);
void metrics_pod_add(struct metrics *m, enum cw_metric id, int slot, uint64_t n);
uint64_t metrics_pod_get(const struct metrics *m, enum cw_metric id, int slot);

/*
 * Liveness and readiness, read by the health endpoint.
 * metrics_heartbeat: the event loop calls this every iteration (it polls
 *   with a timeout, so it runs even when no credential is opened).
 * metrics_heartbeat_at: the same with an explicit CLOCK_MONOTONIC time in
 *   ns, for tests.
 * metrics_heartbeat_age_ns: ns since the last heartbeat, -1 if none yet.
 * metrics_set_ready: start-up discovery finished (true) or not.
 */
void metrics_heartbeat(struct metrics *m);
void metrics_heartbeat_at(struct metrics *m, uint64_t mono_ns);
int64_t metrics_heartbeat_age_ns(const struct metrics *m);
void metrics_set_ready(struct metrics *m, bool ready);
bool metrics_is_ready(const struct metrics *m);

/*
 * metrics_write - render every family in the Prometheus text exposition
 * format 0.0.4 (# HELP and # TYPE for each family) into a malloc'd,
 * NUL-terminated buffer; *len excludes the NUL. Returns 0 or -ENOMEM.
 */
int metrics_write(const struct metrics *m, char **buf, size_t *len);

/* Content-Type of metrics_write() output. */
#define CW_METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

#endif /* CW_METRICS_H */
