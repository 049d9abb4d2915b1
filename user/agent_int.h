/* SPDX-License-Identifier: Apache-2.0 */
/*
 * agent_int.h - the running agent's state, shared by agent.c (lifecycle
 * and the loop), agent_events.c (one sensor event along the pipeline, and
 * what the kernel counted) and agent_report.c (what the agent says at
 * start and exit; --list-watched). Not for other modules: agent.h is.
 */
#ifndef CW_AGENT_INT_H
#define CW_AGENT_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent.h"
#include "budget.h"
#include "identity.h"
#include "json.h"
#include "record.h"

struct attrib;
struct catalog;
struct creds;
struct cw_event;
struct findings;
struct health;
struct metrics;
struct node_agents;
struct outputs;
struct redact;
struct repeats;
struct rules;
struct sensor;
struct throttle;
struct watch;

/*
 * Ring buffer records handled before the loop looks at everything else
 * (inotify, heartbeat, timers, flushes): a few ms of work at the pipeline's
 * 1-5 us per record, so rotation and health keep up during a flood.
 */
#define BATCH_EVENTS	2048
/* At exit (and before counting lost repeats), drain at most this many batches. */
#define DRAIN_BATCHES	64

struct agent {
	const struct config *cfg;
	struct creds *creds;
	struct watch *watch;
	struct sensor *sensor;
	bool btrfs_warned;		/* btrfs credentials without the kernel's subvolume check */
	struct rules *rules;
	struct outputs *outputs;	/* every sink; NULL for --list-watched */
	struct metrics *metrics;
	struct health *health;
	struct attrib *attrib;
	struct node_agents *agents;	/* proc.node_agent's inventory */
	struct redact *redact;		/* NULL with --no-redact */
	uint64_t redactions_reported;
	struct catalog *catalog;	/* where credentials live (--catalog) */
	struct findings *findings;	/* NULL unless --findings */
	char node_name[256];
	struct cw_record rec;
	struct cluster_identity identity;	/* detected once at start-up */
	bool node_identity_applied;		/* refined from the API's Node object */
	struct jbuf jb;
	int64_t boot_to_real_ns;
	uint64_t events;		/* opens seen: the sum of evt.count */
	uint64_t records;		/* records written: full events and aggregated */
	uint64_t aggregated_records;
	uint64_t drops_reported;	/* lost: ring buffer, scratch, fd lookup */
	uint64_t refused_reported;	/* refused: budget and reserve */
	struct budget budget;		/* --cgroup-budget, sized to the ring buffer */
	struct repeats *repeats;	/* NULL with --repeat-window-ms 0 */
	struct throttle *throttle;
	uint64_t repeats_lost;		/* credwatch_repeats_lost_total, never lower */
};

/* agent.c */
/*
 * The credential catalog (--catalog, else the installed catalog.d): a
 * broken entry is FILE:LINE on stderr and exit 2, before any BPF is loaded.
 */
int agent_open_catalog(struct agent *a);
int agent_setup(struct agent *a, const struct config *cfg, bool with_sensor);
void agent_teardown(struct agent *a);
/*
 * What main maps to an exit code: -EINVAL for what the operator fixes in
 * the options (exit 2), any other errno for a runtime failure (exit 1). A
 * stage whose -EINVAL is not about the options goes through agent_runtime().
 */
int agent_runtime(int err);

/* agent_events.c */
uint64_t agent_kernel_drops_total(struct agent *a);
int agent_on_event(void *ctx, const struct cw_event *e, size_t size);
/*
 * Once a second: losses are logged while they grow (refusals are reported
 * per pod by the flood alert instead).
 */
void agent_report_drops(struct agent *a);
/*
 * The accounting at exit, in one place: every open of a watched credential
 * is an open in a record (evt.count), a kernel drop or refusal by reason,
 * or a repeat whose key the kernel evicted before it was read. One log
 * line, and the "credwatch.summary" record on --events.
 */
void agent_exit_summary(struct agent *a);
/*
 * Drain what the ring buffer holds now, in batches, at most DRAIN_BATCHES
 * of them. Returns true when it ran dry (so every event queued before the
 * call was handled), false during a flood.
 */
bool agent_drain(struct agent *a);
/*
 * Once a second (and at exit): deliver the repeats the kernel counted, and
 * count per pod what the budget refused. Lost repeats are counted only
 * when the ring buffer runs dry, with the kernel's total read before that:
 * then every counted repeat's first event has been handled, and the count
 * can only fall short of the truth, never exceed it (exact at exit).
 */
void agent_settle_kernel_counts(struct agent *a, bool ring_busy, bool final);
/* The budget sized to the ring buffer, and the two consumers of the kernel's counters. */
int agent_open_kernel_counts(struct agent *a);

/* agent_report.c */
void agent_findings_summary(struct agent *a);
void agent_startup_summary(struct agent *a);
/* One line: how many node-agent executables rules can trust, and which. */
void agent_log_node_agents(const struct node_agents *na, const char *prefix);

#endif /* CW_AGENT_INT_H */
