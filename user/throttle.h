/* SPDX-License-Identifier: Apache-2.0 */
/*
 * throttle.h - per pod, what the kernel refused and what it folded:
 * the per-cgroup budget's refusals (bpf/credwatch.bpf.c budget_refuses)
 * read from the kernel's budget map once a second, and the repeats
 * delivered in aggregated records. Both become per-pod metrics
 * (credwatch_throttled_total, credwatch_aggregated_total), the exit
 * summary, and - for refusals - the built-in alert THROTTLE_RULE: a flood
 * of credential opens is itself suspicious.
 *
 * The alert names the pod (namespace, name, uid; host processes are "the
 * host") and how many full events were refused since its last alert. It
 * is raised at the first refusal seen and then at most once per interval
 * per pod, carrying the count of the whole interval, and once more at
 * exit for whatever is left: rate-limited, never silent. It is built in,
 * not a rule in rules/credwatch_rules.yaml: it describes no credential
 * access (no process, no file), so every rule's fields would be empty, and
 * a rules file that forgot it must not hide floods.
 */
#ifndef CW_THROTTLE_H
#define CW_THROTTLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../bpf/credwatch.h"
#include "json.h"
#include "metrics.h"
#include "record.h"

#define THROTTLE_RULE		"credwatch: pod throttled"
#define THROTTLE_PODS_MAX	4096	/* pods with counts kept (LRU) */

/* One alert's worth: a pod and what was refused since its previous alert. */
struct throttle_alert {
	const char *ns, *pod, *pod_uid;	/* "" when not known; all "" for the host */
	uint64_t cgroup_id;		/* the cgroup refused last */
	uint64_t throttled;		/* over the rate, since the previous alert */
	uint64_t reserve;		/* kept out of the ring buffer's reserve */
	uint64_t first_reads;		/* admitted over budget as first reads */
	uint64_t total;			/* refused since start */
	uint64_t window_s;		/* seconds since the previous alert (0: first) */
	uint64_t rate, burst;		/* the budget, for the text */
};

/* The pod of a cgroup: false for the host or an unknown cgroup (uid ""). */
typedef bool (*throttle_pod_fn)(void *ctx, uint64_t cgroup_id, char *uid, size_t uid_size,
				char *ns, size_t ns_size, char *name, size_t name_size);
typedef void (*throttle_alert_fn)(void *ctx, const struct throttle_alert *a);

struct throttle_opts {
	uint64_t interval_ns;		/* between two alerts of one pod (0: 60 s) */
	uint64_t rate, burst;		/* the budget in force, for the alert text */
	struct metrics *metrics;	/* may be NULL */
	throttle_pod_fn pod;
	throttle_alert_fn alert;
	void *ctx;
};

struct throttle;

/* 0 or -ENOMEM. */
int throttle_new(struct throttle **out, const struct throttle_opts *o);
void throttle_free(struct throttle *t);

/*
 * throttle_observe - one cgroup's cumulative counters from the kernel's
 * budget map (a sensor_budgets() callback: ctx is the throttle). Counts
 * the growth since the last observation for the cgroup's pod. Returns 0.
 */
int throttle_observe(void *t, uint64_t cgroup_id, const struct cw_budget *b);

/* After a walk: raise the alerts that are due (final: all that are pending). */
void throttle_tick(struct throttle *t, uint64_t now_mono_ns, bool final);

/* An aggregated record was delivered: count its opens for the reader's pod. */
void throttle_aggregated(struct throttle *t, const struct cw_record *rec);

struct throttle_stats {
	uint64_t throttled, reserve, first_reads;	/* since start, all pods */
	uint64_t aggregated;				/* opens delivered as repeats */
	uint64_t pods_refused;				/* pods with a refusal */
	uint64_t alerts;				/* alerts raised */
};
void throttle_stats(const struct throttle *t, struct throttle_stats *st);

/*
 * throttle_summary - the exit summary: a log line naming the pods with the
 * most refusals, one naming those with the most aggregated opens, and,
 * when jb is not NULL, a "by_pod" array of {k8s.ns.name, k8s.pod.name,
 * k8s.pod.uid, throttled, reserve, first_reads, aggregated} (at most 20
 * pods, most refused first) as a member of the object open in jb.
 */
void throttle_summary(struct throttle *t, struct jbuf *jb);

#endif /* CW_THROTTLE_H */
