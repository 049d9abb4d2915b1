// SPDX-License-Identifier: Apache-2.0
/*
 * agent.c - the event loop: sensor events become records, records are
 * attributed and written; discovery keeps the kernel's inode map current.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"
#include "alert.h"
#include "attrib.h"
#include "budget.h"
#include "creds.h"
#include "discovery/catalog.h"
#include "dump.h"
#include "event.h"
#include "health.h"
#include "identity.h"
#include "findings.h"
#include "json.h"
#include "log.h"
#include "nodeagents.h"
#include "metrics.h"
#include "privs.h"
#include "record.h"
#include "repeats.h"
#include "redact.h"
#include "rules.h"
#include "sensor.h"
#include "ship.h"
#include "throttle.h"
#include "watch.h"

#define POLL_MS		100
#define DROP_CHECK_NS	1000000000ULL
#define RULE_SLOTS	1024	/* rule -> metrics slot cache (power of 2) */
/*
 * Ring buffer records handled before the loop looks at everything else
 * (inotify, heartbeat, timers, flushes): a few ms of work at the pipeline's
 * 1-5 us per record, so rotation and health keep up during a flood.
 */
#define BATCH_EVENTS	2048
/* At exit (and before counting lost repeats), drain at most this many batches. */
#define DRAIN_BATCHES	64

/* What woke the loop (epoll data). */
enum { LOOP_SENSOR = 1, LOOP_INOTIFY, LOOP_MOUNTS };

struct rule_slot {
	const struct cw_rule *rule;
	int slot;
};

struct agent {
	const struct config *cfg;
	struct creds *creds;
	struct watch *watch;
	struct sensor *sensor;
	bool btrfs_warned;		/* btrfs credentials without the kernel's subvolume check */
	FILE *events_out;
	bool events_owned;
	struct rules *rules;
	struct alert_writer *alerts;
	FILE *alert_out;
	bool alert_out_owned;
	struct dump_writer *dump;
	struct metrics *metrics;
	struct health *health;
	struct attrib *attrib;
	struct node_agents *agents;	/* proc.node_agent's inventory */
	struct redact *redact;		/* NULL with --no-redact */
	uint64_t redactions_reported;
	struct ship *ship;
	const struct cw_record *cur_rec;	/* the record whose alert is being written */
	struct rule_slot rule_slots[RULE_SLOTS];
	struct catalog *catalog;	/* where credentials live (--catalog) */
	struct findings *findings;	/* NULL unless --findings */
	FILE *findings_out;
	bool findings_owned;
	char host_root[4096];		/* --host-root; "" for "/" */
	char node_name[256];
	struct cw_record rec;
	struct cluster_identity identity;	/* detected once at start-up */
	bool node_identity_applied;		/* refined from the API's Node object */
	struct jbuf jb;
	int64_t boot_to_real_ns;
	char proc_root[4096];	/* <host-root>/proc when present, else /proc */
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

static uint64_t now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/*
 * Put one key of credential c in the kernel's map as its match mode says
 * (fsident.h); alias: a second key (the layer file behind an overlay),
 * which never displaces another credential's own key.
 */
static int watch_key(struct agent *a, const struct cred_entry *c, const struct fs_key *k,
		     bool alias)
{
	if (k->match == FS_MATCH_SUBVOL) {
		if (sensor_btrfs_subvol(a->sensor))
			return sensor_watch_add_subvol(a->sensor, k->ino, k->sb_kdev, k->kdev,
						       c->id, c->kind);
		if (!a->btrfs_warned) {
			char path[PATH_MAX + 64];

			log_warn("sensor: %s: on btrfs, but the kernel's BTF does not describe "
				 "btrfs: matched by the superblock and inode number, so the same "
				 "inode number in another subvolume also alerts",
				 text_escape(c->path, path, sizeof(path)));
			a->btrfs_warned = true;
		}
	}
	if (alias)
		return sensor_watch_add_alias(a->sensor, k->ino, fs_key_lookup_dev(k), c->id,
					      c->kind);
	return sensor_watch_add(a->sensor, k->ino, fs_key_lookup_dev(k), c->id, c->kind);
}

/* c's key or its layer's; one another credential took over (recycled tmpfs dev/ino) stays */
static int unwatch_key(struct agent *a, const struct cred_entry *c, const struct fs_key *k)
{
	if (k->match == FS_MATCH_SUBVOL && sensor_btrfs_subvol(a->sensor))
		return sensor_watch_del_subvol(a->sensor, k->ino, k->sb_kdev, k->kdev);
	return sensor_watch_del_owned(a->sensor, k->ino, fs_key_lookup_dev(k), c->id);
}

static int sink_add(void *ctx, const struct cred_entry *c)
{
	struct fs_key k = { .ino = c->ino, .kdev = c->kdev, .sb_kdev = c->sb_kdev,
			    .match = c->match };
	struct agent *a = ctx;
	int err;

	if (!a->sensor)
		return 0;
	err = watch_key(a, c, &k, false);
	if (err || !c->has_layer)
		return err;
	/* the layer's key belongs to a credential watched by that path, if any: keep it */
	err = watch_key(a, c, &c->layer, true);
	if (err == -EEXIST)
		return 0;
	if (err)
		unwatch_key(a, c, &k);	/* all or nothing: the caller drops c */
	return err;
}

static void sink_del(void *ctx, const struct cred_entry *c)
{
	struct fs_key k = { .ino = c->ino, .kdev = c->kdev, .sb_kdev = c->sb_kdev,
			    .match = c->match };
	struct agent *a = ctx;
	int err;

	if (!a->sensor)
		return;
	err = unwatch_key(a, c, &k);
	if (err && err != -ENOENT)
		log_warn("sensor: %s: unwatch: %s", c->path, strerror(-err));
	if (c->has_layer) {
		err = unwatch_key(a, c, &c->layer);
		if (err && err != -ENOENT)
			log_warn("sensor: %s: unwatch its layer file: %s", c->path,
				 strerror(-err));
	}
}

/*
 * io_uring and open_by_handle_at carry no path argument: name the fd by
 * what the process's fd table says now, else by the credential's path.
 */
static void fill_fd_name(struct agent *a, struct cw_record *rec)
{
	char link[64 + 4096];
	ssize_t n;

	if (rec->fd_name[0])
		return;
	snprintf(link, sizeof(link), "%s/%" PRIu64 "/fd/%" PRId64,
		 a->proc_root, rec->pid, rec->res);
	n = readlink(link, rec->fd_name, sizeof(rec->fd_name) - 1);
	if (n > 0) {
		rec->fd_name[n] = '\0';
		return;
	}
	record_strlcpy(rec->fd_name, rec->cred_path, sizeof(rec->fd_name));
}

static void write_event(struct agent *a, const struct cw_record *rec)
{
	jbuf_reset(&a->jb);
	jbuf_obj_begin(&a->jb);
	jbuf_record_fields(&a->jb, rec);
	jbuf_obj_end(&a->jb);
	if (a->jb.oom) {
		log_warn("events: out of memory formatting an event");
		return;
	}
	jbuf_raw(&a->jb, "\n", 1);
	if (fwrite(a->jb.buf, 1, a->jb.len, a->events_out) != a->jb.len)
		log_warn("events: write: %s", strerror(errno));
}

static int rule_metrics_slot(struct agent *a, const struct cw_rule *rule)
{
	uint32_t h = (uint32_t)(((uintptr_t)rule >> 4) * 2654435761u) & (RULE_SLOTS - 1);

	for (uint32_t i = 0; i < RULE_SLOTS; i++) {
		struct rule_slot *rs = &a->rule_slots[(h + i) & (RULE_SLOTS - 1)];

		if (rs->rule == rule)
			return rs->slot;
		if (!rs->rule) {
			rs->rule = rule;
			rs->slot = metrics_rule_slot(a->metrics, rule_name(rule),
						     priority_name(rule_priority(rule)));
			return rs->slot;
		}
	}
	return -ENOSPC;
}

static uint64_t mono_ns(void)
{
	return now_ns(CLOCK_MONOTONIC);
}

static void on_match(void *ctx, const struct cw_rule *rule, const struct cw_record *rec)
{
	struct agent *a = ctx;
	int ret, slot;

	ret = alert_writer_emit(a->alerts, rule, rec, mono_ns());
	if (ret < 0) {
		metrics_inc(a->metrics, CW_M_EVENTS_LOST_TOTAL, CW_LOST_OUTPUT_ERROR);
		return;
	}
	if (ret == 1) {
		slot = rule_metrics_slot(a, rule);
		if (slot >= 0)
			metrics_alert_inc(a->metrics, slot);
	}
}

/* Every alert line, summaries included: into the dump (and the shipper). */
static void on_alert_line(void *ctx, const char *json, size_t len)
{
	struct agent *a = ctx;

	/* the writer's jbuf keeps the line NUL-terminated */
	if (a->dump && dump_write_alert(a->dump, a->cur_rec, json))
		metrics_inc(a->metrics, CW_M_EVENTS_LOST_TOTAL, CW_LOST_OUTPUT_ERROR);
	/* spool failures (disk full) are counted by the shipper; stdout still has it */
	if (a->ship)
		ship_submit(a->ship, SPOOL_ALERT, json, len);
}

static int open_ship(struct agent *a)
{
	const struct config *cfg = a->cfg;
	struct ship_opts o;
	int err;

	if (!cfg->backend)
		return 0;
	ship_opts_default(&o);
	o.url = cfg->backend;
	if (cfg->backend_format && ship_format_parse(cfg->backend_format, &o.format))
		return -EINVAL;
	o.insecure = cfg->backend_insecure;
	o.token_file = cfg->backend_token_file;
	o.ca_file = cfg->backend_ca;
	o.cert_file = cfg->backend_cert;
	o.key_file = cfg->backend_key;
	o.connect_timeout_ms = (unsigned)cfg->backend_connect_timeout_ms;
	o.timeout_ms = (unsigned)cfg->backend_timeout_ms;
	o.batch_max = (unsigned)cfg->backend_batch_max;
	o.batch_bytes = (unsigned)cfg->backend_batch_bytes;
	o.flush_ms = (unsigned)cfg->backend_flush_ms;
	o.retry_base_ms = (unsigned)cfg->backend_retry_base_ms;
	o.retry_max_ms = (unsigned)cfg->backend_retry_max_ms;
	o.hostname = a->node_name;
	if (cfg->spool)
		o.spool.dir = cfg->spool;
	o.spool.max_bytes = cfg->spool_max_bytes;
	o.spool.fsync_ms = (unsigned)cfg->spool_fsync_ms;
	err = ship_new(&a->ship, &o);
	return err;
}

static uint64_t kernel_drops_total(struct agent *a)
{
	uint64_t drops[CW_DROP__MAX], total = 0;

	if (!a->sensor)
		return a->drops_reported + a->refused_reported;
	sensor_drops(a->sensor, drops);
	for (int i = 0; i < CW_DROP__MAX; i++)
		total += drops[i];
	return total;
}

/*
 * The one delivery summary at exit, after the drain: every way an alert can
 * fail to reach the backend is on this line, kernel drops included, so an
 * operator (or a test) reads loss from a single place.
 */
static void close_ship(struct agent *a)
{
	struct ship_stats st;
	int err;

	if (!a->ship)
		return;
	err = ship_close(a->ship, (unsigned)a->cfg->backend_drain_ms, &st);
	a->ship = NULL;
	log_info("backend: delivery summary: %" PRIu64 " records submitted, %" PRIu64 " sent, %"
		 PRIu64 " retried, %" PRIu64 " acknowledged, %" PRIu64 " dead-lettered, %" PRIu64
		 " evicted from the spool, %" PRIu64 " spool write errors (%" PRIu64 " disk full), %"
		 PRIu64 " records left in the spool (%" PRIu64 " bytes)%s, %" PRIu64
		 " events lost in the kernel", st.submitted, st.sent, st.retried, st.acked,
		 st.dead_lettered, st.spool.evicted, st.submit_errors, st.spool.disk_full,
		 st.spool.pending, st.spool.pending_bytes,
		 err == -EAGAIN ? " for the next start" : "", kernel_drops_total(a));
}

/*
 * Every record, full or aggregated, the same way: --events, the dump, the
 * rules, findings. An aggregated record (the repeats of a key, evt.count of
 * them) goes through the rules again: a rule may test evt.count, and one
 * that matched the first open matches its repeats too; a key yields at
 * most one aggregated record a second, and the alert rate limit applies on
 * top.
 */
static void write_record(struct agent *a, struct cw_record *rec)
{
	a->events += rec->count;
	a->records++;
	metrics_add(a->metrics, CW_M_EVENTS_TOTAL, rec->syscall, rec->count);
	if (a->events_out)
		write_event(a, rec);
	if (a->dump && dump_write_event(a->dump, rec))
		metrics_inc(a->metrics, CW_M_EVENTS_LOST_TOTAL, CW_LOST_OUTPUT_ERROR);
	if (a->rules) {
		a->cur_rec = rec;
		rules_eval(a->rules, rec, on_match, a);
		a->cur_rec = NULL;
	}
	if (a->findings)
		findings_observe(a->findings, rec, rec->time_ns / 1000000000ULL);
}

/* user/repeats.c hands over an aggregated record: the first record, evt.count = repeats. */
static void on_aggregated(void *ctx, struct cw_record *rec)
{
	struct agent *a = ctx;

	a->aggregated_records++;
	if (a->throttle)
		throttle_aggregated(a->throttle, rec);
	write_record(a, rec);
}

/* credwatch_redactions_total follows the redactor's counters. */
static void report_redactions(struct agent *a)
{
	uint64_t counts[REDACT__MAX];

	redact_counts(a->redact, counts);
	for (int k = 0; k < REDACT__MAX; k++)
		metrics_set(a->metrics, CW_M_REDACTIONS_TOTAL, (unsigned)k, (int64_t)counts[k]);
	a->redactions_reported = redact_total(a->redact);
}

static int on_event(void *ctx, const struct cw_event *e, size_t size)
{
	struct agent *a = ctx;
	struct cw_record *rec = &a->rec;
	const struct cred_entry *cred;

	if (size < CW_EVENT_HDR_SIZE)
		return 0;
	cred = creds_get(a->creds, e->cred_id);
	if (event_to_record(e, size, cred, a->boot_to_real_ns, a->redact, rec))
		return 0;
	fill_fd_name(a, rec);
	if (a->attrib)
		attrib_fill(a->attrib, rec, e);
	if (a->redact && redact_total(a->redact) != a->redactions_reported)
		report_redactions(a);
	identity_apply(&a->identity, rec);
	/* first what the key's previous record is owed, then keep this one */
	if (a->repeats)
		repeats_first(a->repeats, e, rec, a->boot_to_real_ns);
	write_record(a, rec);
	return 0;
}

static int repeat_lookup(void *ctx, const struct cw_repeat_key *key, struct cw_repeat_val *val)
{
	struct agent *a = ctx;

	return sensor_repeat_lookup(a->sensor, key, val);
}

static void repeat_delete(void *ctx, const struct cw_repeat_key *key)
{
	struct agent *a = ctx;

	sensor_repeat_delete(a->sensor, key);
}

static bool throttle_pod(void *ctx, uint64_t cgroup_id, char *uid, size_t uid_size, char *ns,
			 size_t ns_size, char *name, size_t name_size)
{
	struct agent *a = ctx;

	return attrib_cgroup_pod(a->attrib, cgroup_id, uid, uid_size, ns, ns_size, name,
				 name_size);
}

struct throttle_fields {
	const struct throttle_alert *t;
	char container_id[64];
};

static void throttle_alert_fields(void *ctx, struct jbuf *jb)
{
	const struct throttle_fields *f = ctx;
	const struct throttle_alert *t = f->t;

	jbuf_kv_str_or_null(jb, "k8s.ns.name", t->ns[0] ? t->ns : NULL);
	jbuf_kv_str_or_null(jb, "k8s.pod.name", t->pod[0] ? t->pod : NULL);
	jbuf_kv_str_or_null(jb, "k8s.pod.uid", t->pod_uid[0] ? t->pod_uid : NULL);
	jbuf_kv_u64(jb, "credwatch.cgroup_id", t->cgroup_id);
	jbuf_kv_u64(jb, "credwatch.throttled", t->throttled);
	jbuf_kv_u64(jb, "credwatch.throttled_reserve", t->reserve);
	jbuf_kv_u64(jb, "credwatch.first_reads", t->first_reads);
	jbuf_kv_u64(jb, "credwatch.throttled_total", t->total);
	jbuf_kv_u64(jb, "credwatch.throttled_window_s", t->window_s);
	jbuf_kv_u64(jb, "credwatch.budget_rate", t->rate);
	jbuf_kv_u64(jb, "credwatch.budget_burst", t->burst);
}

/* The flood alert (user/throttle.h): built in, rate-limited by throttle.c. */
static void on_throttle_alert(void *ctx, const struct throttle_alert *t)
{
	static const char *const tags[] = { "credwatch", "flood", "defense_evasion" };
	struct agent *a = ctx;
	struct throttle_fields f = { .t = t };
	struct alert_builtin b = {
		.rule = THROTTLE_RULE, .priority = CW_PRIO_WARNING, .tags = tags, .ntags = 3,
		.fields = throttle_alert_fields, .ctx = &f,
	};
	char who[600], window[64] = "", out[1200];
	int slot;

	if (!t->pod_uid[0])
		snprintf(who, sizeof(who), "Host processes (cgroup %" PRIu64 ")", t->cgroup_id);
	else if (t->pod[0])
		snprintf(who, sizeof(who), "Pod %s/%s", t->ns[0] ? t->ns : "<NA>", t->pod);
	else
		snprintf(who, sizeof(who), "Pod uid %s", t->pod_uid);
	if (t->window_s)
		snprintf(window, sizeof(window), " in the last %" PRIu64 "s", t->window_s);
	snprintf(out, sizeof(out), "%s flooded credential opens: %" PRIu64 " full events "
		 "refused%s (%" PRIu64 " over its budget of %" PRIu64 "/s, burst %" PRIu64 ", %"
		 PRIu64 " kept out of the ring buffer's reserve); %" PRIu64 " first reads of a "
		 "credential still reported (pod_uid=%s cgroup=%" PRIu64 " total=%" PRIu64 ")",
		 who, t->throttled + t->reserve, window, t->throttled, t->rate, t->burst,
		 t->reserve, t->first_reads, t->pod_uid[0] ? t->pod_uid : "<NA>", t->cgroup_id,
		 t->total);
	b.output = out;
	if (alert_writer_emit_builtin(a->alerts, &b) < 0) {
		metrics_inc(a->metrics, CW_M_EVENTS_LOST_TOTAL, CW_LOST_OUTPUT_ERROR);
		return;
	}
	slot = metrics_rule_slot(a->metrics, THROTTLE_RULE, "warning");
	if (slot >= 0)
		metrics_alert_inc(a->metrics, slot);
}

/* Drops that lose an event (the ring buffer, scratch, fd lookup), and refusals by the budget. */
static uint64_t drops_lost(const uint64_t drops[CW_DROP__MAX])
{
	return drops[CW_DROP_RINGBUF] + drops[CW_DROP_SCRATCH] + drops[CW_DROP_FD_LOOKUP];
}

static uint64_t drops_refused(const uint64_t drops[CW_DROP__MAX])
{
	return drops[CW_DROP_THROTTLED] + drops[CW_DROP_RESERVE];
}

/*
 * Once a second: losses are logged while they grow (refusals are reported
 * per pod by the flood alert instead).
 */
static void report_drops(struct agent *a)
{
	uint64_t drops[CW_DROP__MAX], lost;

	if (!a->sensor)
		return;
	sensor_drops(a->sensor, drops);
	lost = drops_lost(drops);
	if (lost != a->drops_reported)
		log_warn("sensor: %" PRIu64 " events lost in the kernel so far "
			 "(ring buffer full %" PRIu64 ", scratch %" PRIu64 ", fd lookup %" PRIu64
			 "): raise --ringbuf-bytes", lost, drops[CW_DROP_RINGBUF],
			 drops[CW_DROP_SCRATCH], drops[CW_DROP_FD_LOOKUP]);
	a->drops_reported = lost;
	a->refused_reported = drops_refused(drops);
}

/*
 * The accounting at exit, in one place: every open of a watched credential
 * is an open in a record (evt.count), a kernel drop or refusal by reason,
 * or a repeat whose key the kernel evicted before it was read. One log
 * line, and the "credwatch.summary" record on --events.
 */
static void exit_summary(struct agent *a)
{
	uint64_t drops[CW_DROP__MAX], stats[CW_STAT__MAX], total = 0;
	struct repeats_stats rs = { 0 };
	struct throttle_stats ts = { 0 };

	if (!a->sensor)
		return;
	sensor_drops(a->sensor, drops);
	sensor_stats(a->sensor, stats);
	for (int i = 0; i < CW_DROP__MAX; i++)
		total += drops[i];
	if (a->repeats)
		repeats_stats(a->repeats, &rs);
	if (a->throttle)
		throttle_stats(a->throttle, &ts);
	a->drops_reported = drops_lost(drops);
	a->refused_reported = drops_refused(drops);
	if (stats[CW_STAT_REPEATS] > rs.delivered)
		a->repeats_lost = stats[CW_STAT_REPEATS] - rs.delivered;
	log_info("sensor: %" PRIu64 " opens of watched credentials in the kernel: %" PRIu64
		 " events written to the ring buffer (%" PRIu64 " bytes), %" PRIu64 " repeats "
		 "counted (%" PRIu64 " delivered in %" PRIu64 " aggregated records, %" PRIu64
		 " lost), %" PRIu64 " refused by the per-cgroup budget, %" PRIu64 " lost",
		 stats[CW_STAT_HITS], stats[CW_STAT_EMITTED], stats[CW_STAT_RINGBUF_BYTES],
		 stats[CW_STAT_REPEATS], rs.delivered, a->aggregated_records, a->repeats_lost,
		 a->refused_reported, a->drops_reported);
	if (!a->events_out) {
		if (a->throttle)
			throttle_summary(a->throttle, NULL);
		return;
	}
	jbuf_reset(&a->jb);
	jbuf_obj_begin(&a->jb);
	jbuf_key(&a->jb, "credwatch.summary");
	jbuf_obj_begin(&a->jb);
	jbuf_kv_u64(&a->jb, "events", a->records);
	jbuf_kv_u64(&a->jb, "opens", a->events);
	jbuf_kv_u64(&a->jb, "aggregated_records", a->aggregated_records);
	jbuf_kv_u64(&a->jb, "kernel_drops", total);
	jbuf_kv_u64(&a->jb, "kernel_drops.ringbuf", drops[CW_DROP_RINGBUF]);
	jbuf_kv_u64(&a->jb, "kernel_drops.scratch", drops[CW_DROP_SCRATCH]);
	jbuf_kv_u64(&a->jb, "kernel_drops.fd_lookup", drops[CW_DROP_FD_LOOKUP]);
	jbuf_kv_u64(&a->jb, "kernel_drops.throttled", drops[CW_DROP_THROTTLED]);
	jbuf_kv_u64(&a->jb, "kernel_drops.reserve", drops[CW_DROP_RESERVE]);
	jbuf_kv_u64(&a->jb, "kernel.hits", stats[CW_STAT_HITS]);
	jbuf_kv_u64(&a->jb, "kernel.ringbuf_events", stats[CW_STAT_EMITTED]);
	jbuf_kv_u64(&a->jb, "kernel.ringbuf_bytes", stats[CW_STAT_RINGBUF_BYTES]);
	jbuf_kv_u64(&a->jb, "kernel.first_reads", stats[CW_STAT_FIRST_READS]);
	jbuf_kv_u64(&a->jb, "repeats", stats[CW_STAT_REPEATS]);
	jbuf_kv_u64(&a->jb, "repeats.delivered", rs.delivered);
	jbuf_kv_u64(&a->jb, "repeats.lost", a->repeats_lost);
	if (a->throttle)
		throttle_summary(a->throttle, &a->jb);	/* and its log line */
	jbuf_kv_u64(&a->jb, "watched", creds_count(a->creds));
	jbuf_obj_end(&a->jb);
	jbuf_obj_end(&a->jb);
	jbuf_raw(&a->jb, "\n", 1);
	fwrite(a->jb.buf, 1, a->jb.len, a->events_out);
}

/*
 * Drain what the ring buffer holds now, in batches, at most DRAIN_BATCHES
 * of them. Returns true when it ran dry (so every event queued before the
 * call was handled), false during a flood.
 */
static bool drain(struct agent *a)
{
	bool more = true;

	for (int i = 0; i < DRAIN_BATCHES && more; i++)
		if (sensor_consume(a->sensor, BATCH_EVENTS, &more) < 0)
			return false;
	return !more;
}

/*
 * Once a second (and at exit): deliver the repeats the kernel counted, and
 * count per pod what the budget refused. Lost repeats are counted only
 * when the ring buffer runs dry, with the kernel's total read before that:
 * then every counted repeat's first event has been handled, and the count
 * can only fall short of the truth, never exceed it (exact at exit).
 */
static void settle_kernel_counts(struct agent *a, bool ring_busy, bool final)
{
	uint64_t stats[CW_STAT__MAX];
	struct repeats_stats rs;
	bool dry;

	if (a->repeats) {
		sensor_stats(a->sensor, stats);
		/* during a flood, don't: the loop's batches keep the other work going */
		dry = !ring_busy && drain(a);
		repeats_flush(a->repeats, now_ns(CLOCK_BOOTTIME), a->boot_to_real_ns, final);
		repeats_stats(a->repeats, &rs);
		if (dry && stats[CW_STAT_REPEATS] > rs.delivered + rs.owed &&
		    stats[CW_STAT_REPEATS] - rs.delivered - rs.owed > a->repeats_lost)
			a->repeats_lost = stats[CW_STAT_REPEATS] - rs.delivered - rs.owed;
		metrics_set(a->metrics, CW_M_REPEATS_LOST_TOTAL, 0, (int64_t)a->repeats_lost);
	}
	if (a->throttle) {
		sensor_budgets(a->sensor, throttle_observe, a->throttle);
		throttle_tick(a->throttle, mono_ns(), final);
	}
}

/* Owner identity for findings, from attribution. */
static bool findings_pod_lookup(void *ctx, const char *uid, char *ns, size_t ns_size,
				char *name, size_t name_size, char *sa, size_t sa_size)
{
	struct agent *a = ctx;

	return attrib_pod_lookup(a->attrib, uid, ns, ns_size, name, name_size, sa, sa_size);
}

static void emit_finding(void *ctx, const char *line, size_t len)
{
	struct agent *a = ctx;

	if (fwrite(line, 1, len, a->findings_out) != len || fputc('\n', a->findings_out) == EOF)
		log_warn("findings: %s: write: %s", a->cfg->findings, strerror(errno));
	/* the dump keeps the line as written, for credwatch-inspect findings/summary */
	if (a->dump && dump_write_finding(a->dump, line, len))
		metrics_inc(a->metrics, CW_M_EVENTS_LOST_TOTAL, CW_LOST_OUTPUT_ERROR);
	/* same no-loss path as alerts */
	if (a->ship)
		ship_submit(a->ship, SPOOL_FINDING, line, len);
}

/* Evaluate, write, save: every --findings-interval and at exit. */
static void run_findings(struct agent *a)
{
	size_t nref = 0;
	struct findings_refusal *fr;
	int n;

	while (a->watch && watch_refused(a->watch, nref))
		nref++;
	fr = nref ? calloc(nref, sizeof(*fr)) : NULL;
	/* what discovery refuses is a finding too (refused places, bounds, a full map) */
	for (size_t i = 0; fr && i < nref; i++) {
		const struct watch_refused *r = watch_refused(a->watch, i);

		fr[i].cred = &r->cred;
		fr[i].reason = watch_refusal_name(r->reason);
		fr[i].why = r->why;
		fr[i].files = r->files;
		fr[i].owner = r->reason == WATCH_REFUSED_OWNER;
		fr[i].map_full = r->reason == WATCH_REFUSED_RESERVE;
	}
	findings_set_refusals(a->findings, fr, fr ? nref : 0);
	n = findings_evaluate(a->findings, a->creds, (uint64_t)time(NULL), findings_pod_lookup, a,
			      emit_finding, a);
	findings_set_refusals(a->findings, NULL, 0);
	free(fr);
	if (n < 0)
		log_warn("findings: evaluate: %s", strerror(-n));
	if (fflush(a->findings_out))
		log_warn("findings: %s: write: %s", a->cfg->findings, strerror(errno));
	findings_save(a->findings);	/* logs its own failure; retried next interval */
}

static int open_findings(struct agent *a)
{
	const struct config *cfg = a->cfg;
	struct findings_opts fo = { 0 };
	const char *env = getenv("NODE_NAME");
	struct utsname u;
	int err;

	if (!cfg->findings)
		return 0;
	if (cfg->node_name)
		snprintf(a->node_name, sizeof(a->node_name), "%s", cfg->node_name);
	else if (env && env[0])
		snprintf(a->node_name, sizeof(a->node_name), "%s", env);
	else if (!uname(&u))
		snprintf(a->node_name, sizeof(a->node_name), "%s", u.nodename);
	if (!strcmp(cfg->findings, "-")) {
		a->findings_out = stdout;
	} else {
		a->findings_out = fopen(cfg->findings, "ae");
		if (!a->findings_out) {
			err = -errno;
			log_error("findings: --findings %s: %s", cfg->findings, strerror(-err));
			return err;
		}
		a->findings_owned = true;
	}
	fo.window_s = cfg->findings_window_s;
	fo.interval_s = cfg->findings_interval_s;
	fo.state_dir = cfg->state_dir;
	fo.host_root = cfg->host_root;
	fo.node_name = a->node_name;
	fo.cluster_name = cfg->cluster_name;
	return findings_new(&a->findings, &fo);
}

static void findings_summary(struct agent *a)
{
	struct findings_stats st;

	if (!a->findings)
		return;
	findings_get_stats(a->findings, &st);
	log_info("findings: %" PRIu64 " open, %" PRIu64 " lines written (%" PRIu64 " resolved); "
		 "not tracked: %" PRIu64 " credentials, %" PRIu64 " readers, %" PRIu64
		 " reader pods, %" PRIu64 " findings", st.findings_open, st.emitted, st.resolved,
		 st.creds_untracked, st.readers_untracked, st.reader_pods_untracked,
		 st.findings_untracked);
}

static void startup_summary(struct agent *a)
{
	const struct sensor_hook_status *hooks;
	uint32_t kinds[CW_CRED__MAX];
	struct utsname u;
	char line[512];
	size_t o = 0;
	int nhooks;

	uname(&u);
	log_info("credwatch %s on Linux %s (%s)", CW_VERSION, u.release, u.machine);
	log_info("kernel %s: BPF variant %s", u.release, sensor_variant(a->sensor));
	hooks = sensor_hooks(a->sensor, &nhooks);
	for (int i = 0; i < nhooks; i++)
		o += (size_t)snprintf(line + o, sizeof(line) - o, "%s%s%s", i ? ", " : "",
				      hooks[i].name, hooks[i].attached ? "" : " (NOT attached)");
	log_info("hooks: %s", line);
	for (int i = 0; i < nhooks; i++)
		if (!hooks[i].attached)
			log_info("hook %s not attached: %s", hooks[i].name, hooks[i].reason);
	log_info("ia32: %s", sensor_ia32(a->sensor));
	if (a->repeats)
		log_info("repeats: an open repeated by the same process within %" PRIu64
			 " ms is counted in the kernel and reported as evt.count",
			 a->cfg->repeat_window_ms);
	else
		log_info("repeats: not aggregated (--repeat-window-ms 0): every open is an event");
	if (a->budget.off)
		log_info("budget: none (--cgroup-budget off): one cgroup can fill the ring buffer");
	else
		log_info("budget: %" PRIu64 " full events/s per cgroup, burst %" PRIu64 "; past %"
			 PRIu64 " bytes queued only cgroups that spent at most %" PRIu64 " are "
			 "admitted (ring buffer of about %" PRIu64 " events)", a->budget.rate,
			 a->budget.burst, a->budget.reserve_bytes, a->budget.quiet, a->budget.slots);
	creds_count_by_kind(a->creds, kinds);
	o = 0;
	for (int k = 0; k < CW_CRED__MAX; k++)
		o += (size_t)snprintf(line + o, sizeof(line) - o, "%s%s %u", k ? ", " : "",
				      cred_kind_name(k), kinds[k]);
	log_info("cluster %s, cloud provider %s%s%s%s, region %s",
		 a->identity.cluster_name[0] ? a->identity.cluster_name : "<NA>",
		 a->identity.provider[0] ? a->identity.provider : "<NA>",
		 a->identity.source[0] ? " (from " : "", a->identity.source,
		 a->identity.source[0] ? ")" : "",
		 a->identity.region[0] ? a->identity.region : "<NA>");
	log_info("watching %u credentials under %s: %s", creds_count(a->creds),
		 a->cfg->host_root ? a->cfg->host_root : "/", line);
	if (!creds_count(a->creds))
		log_info("no credentials found: add files with --watch PATH, or point "
			 "--host-root at a node's root filesystem");
}

static int open_events(struct agent *a)
{
	const char *path = a->cfg->events;

	if (!path)
		return 0;
	if (!strcmp(path, "-")) {
		a->events_out = stdout;
		return 0;
	}
	a->events_out = fopen(path, "ae");
	if (!a->events_out) {
		log_error("events: --events %s: %s", path, strerror(errno));
		return -errno;
	}
	a->events_owned = true;
	return 0;
}

int agent_rules_files(const struct config *cfg, const char ***files, int *n)
{
	static const char *defaults[1];
	static char near_build[4096];
	char exe[4096];
	ssize_t len;

	if (cfg->rules.n) {
		*files = (const char **)cfg->rules.v;
		*n = cfg->rules.n;
		return 0;
	}
	/*
	 * installed, else the source tree's rules/ a few levels above the
	 * binary (build/credwatch, build/sanitize/credwatch)
	 */
	defaults[0] = CW_RULES_DIR "/credwatch_rules.yaml";
	if (access(defaults[0], R_OK)) {
		len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
		for (int up = 1; len > 0 && up <= 3; up++) {
			char *slash;

			exe[len] = '\0';
			slash = strrchr(exe, '/');
			if (!slash)
				break;
			*slash = '\0';
			len = slash - exe;
			snprintf(near_build, sizeof(near_build), "%s/rules/credwatch_rules.yaml", exe);
			if (up > 1 && !access(near_build, R_OK)) {
				defaults[0] = near_build;
				break;
			}
		}
	}
	*files = defaults;
	*n = 1;
	return 0;
}

/*
 * The credential catalog (--catalog, else the installed catalog.d): a
 * broken entry is FILE:LINE on stderr and exit 2, before any BPF is loaded.
 */
static int open_catalog(struct agent *a)
{
	struct catalog_diag diag = { 0 };
	struct catalog_opts o = { (const char *const *)a->cfg->catalog.v, a->cfg->catalog.n, &diag };
	int err;

	err = catalog__new(&a->catalog, &o);
	if (err) {
		catalog__diag_print(&diag, stderr);
		if (err == -ENOMEM)
			log_error("catalog: out of memory");
		return err == -ENOMEM ? err : -EINVAL;
	}
	log_info("catalog: %d entries from %d file%s", catalog__count(a->catalog),
		 catalog__nfiles(a->catalog), catalog__nfiles(a->catalog) == 1 ? "" : "s");
	return 0;
}

/* Falco rule files: how many rules apply to credential opens (one line, or none). */
static void log_rules_summary(const struct rules *r)
{
	char line[512];

	if (rules_summary(r, line, sizeof(line))[0])
		log_info("%s", line);
}

static int open_alerts(struct agent *a)
{
	const struct config *cfg = a->cfg;
	struct alert_opts ao = { 0 };
	struct rules_diag diag = { 0 };
	const char **files;
	int nfiles;
	bool tty;

	agent_rules_files(cfg, &files, &nfiles);
	a->rules = rules_load(files, nfiles, &diag);
	if (!a->rules) {
		rules_diag_print(&diag, stderr);
		return -EINVAL;
	}
	rules_set_match_all(a->rules, cfg->rule_matching && !strcmp(cfg->rule_matching, "all"));
	metrics_set(a->metrics, CW_M_RULES_LOADED, 0, rules_count(a->rules));
	log_info("loaded %d rules from %d file%s", rules_count(a->rules), rules_nfiles(a->rules),
		 rules_nfiles(a->rules) == 1 ? "" : "s");
	log_rules_summary(a->rules);

	if (!cfg->output || !strcmp(cfg->output, "-")) {
		a->alert_out = stdout;
	} else {
		a->alert_out = fopen(cfg->output, "ae");
		if (!a->alert_out) {
			log_error("output: --output %s: %s", cfg->output, strerror(errno));
			return -errno;
		}
		a->alert_out_owned = true;
	}
	tty = isatty(fileno(a->alert_out));
	ao.rate = (double)cfg->alert_rate;
	ao.burst = cfg->alert_burst ? (double)cfg->alert_burst : 1.0;
	ao.summary_interval_ns = cfg->alert_summary_interval_s * 1000000000ULL;
	ao.hostname = a->node_name;
	ao.text = cfg->output_format ? !strcmp(cfg->output_format, "text") : tty;
	ao.color = ao.text && tty && !cfg->no_color && !getenv("NO_COLOR");
	ao.sink = on_alert_line;
	ao.sink_ctx = a;
	a->alerts = alert_writer_new(&ao, a->alert_out);
	if (!a->alerts)
		return -ENOMEM;
	return 0;
}

static int open_dump(struct agent *a)
{
	struct dump_opts o;

	if (!a->cfg->dump)
		return 0;
	dump_opts_default(&o);
	o.dir = a->cfg->dump;
	o.hostname = a->node_name;
	o.max_bytes = a->cfg->dump_max_bytes;
	o.max_age_s = (uint32_t)a->cfg->dump_max_age_s;
	o.keep = (uint32_t)a->cfg->dump_keep;
	return dump_writer_open(&a->dump, &o);
}

/*
 * The redactor every command line passes through before a record is made
 * of it (event.c, attrib.c): the configured lists and their extras. Off
 * only when asked, and then said at every start.
 */
static int open_redact(struct agent *a)
{
	const struct config *cfg = a->cfg;
	const struct { enum redact_list list; const char *key; const struct strlist *items; }
	lists[] = {
		{ REDACT_LIST_NAMES, "redact-names", &cfg->redact_names },
		{ REDACT_LIST_NAMES, "redact-extra-names", &cfg->redact_extra_names },
		{ REDACT_LIST_PREFIXES, "redact-prefixes", &cfg->redact_prefixes },
		{ REDACT_LIST_PREFIXES, "redact-extra-prefixes", &cfg->redact_extra_prefixes },
		{ REDACT_LIST_PROGRAMS, "redact-programs", &cfg->redact_programs },
		{ REDACT_LIST_PROGRAMS, "redact-extra-programs", &cfg->redact_extra_programs },
	};
	char why[256];
	int err;

	if (cfg->no_redact) {
		log_warn("redact: --no-redact: command lines go to events, alerts, dumps, the "
			 "spool and the backend as they are, with any secret they carry");
		return 0;
	}
	a->redact = redact_new();
	if (!a->redact) {
		log_error("redact: out of memory");
		return -ENOMEM;
	}
	for (size_t l = 0; l < sizeof(lists) / sizeof(lists[0]); l++) {
		for (int i = 0; i < lists[l].items->n; i++) {
			err = redact_add(a->redact, lists[l].list, lists[l].items->v[i], why,
					 sizeof(why));
			if (err == -EINVAL)
				log_error("redact: --%s: %s", lists[l].key, why);
			else if (err)
				log_error("redact: out of memory");
			if (err)
				return err;
		}
	}
	log_info("redact: on: %d names, %d token prefixes, %d program flags",
		 cfg->redact_names.n + cfg->redact_extra_names.n,
		 cfg->redact_prefixes.n + cfg->redact_extra_prefixes.n,
		 cfg->redact_programs.n + cfg->redact_extra_programs.n);
	return 0;
}

static void resolve_node_name(struct agent *a)
{
	const char *env = getenv("NODE_NAME");

	if (a->cfg->node_name)
		snprintf(a->node_name, sizeof(a->node_name), "%s", a->cfg->node_name);
	else if (env && *env)
		snprintf(a->node_name, sizeof(a->node_name), "%s", env);
	else if (gethostname(a->node_name, sizeof(a->node_name)))
		snprintf(a->node_name, sizeof(a->node_name), "unknown");
}

/* The budget sized to the ring buffer, and the two consumers of the kernel's counters. */
static int open_kernel_counts(struct agent *a)
{
	const struct config *cfg = a->cfg;
	struct repeats_opts ro = {
		.window_ns = cfg->repeat_window_ms * 1000000ULL, .lookup = repeat_lookup,
		.del = repeat_delete, .emit = on_aggregated, .ctx = a,
	};
	struct throttle_opts to = {
		.interval_ns = cfg->alert_summary_interval_s * 1000000000ULL,
		.metrics = a->metrics, .pod = throttle_pod, .alert = on_throttle_alert, .ctx = a,
	};
	uint64_t rate, burst;
	char err[256];
	bool off;
	int ret;

	/* validated with the rest of the configuration */
	budget_parse(cfg->cgroup_budget, &off, &rate, &burst, err, sizeof(err));
	budget_size(cfg->ringbuf_bytes ? cfg->ringbuf_bytes : 8u << 20, off, rate, burst,
		    &a->budget);
	to.rate = a->budget.rate;
	to.burst = a->budget.burst;
	if (ro.window_ns) {
		ret = repeats_new(&a->repeats, &ro);
		if (ret)
			return ret;
	}
	return throttle_new(&a->throttle, &to);
}

static int agent_setup(struct agent *a, const struct config *cfg, bool with_sensor)
{
	struct watch_opts wo = { 0 };
	struct watch_sink sink = { sink_add, sink_del, a, NULL };
	struct sensor_opts so = { 0 };
	char why[512];
	uint64_t t0;
	int err;

	a->cfg = cfg;
	jbuf_init(&a->jb);
	snprintf(a->host_root, sizeof(a->host_root), "%s",
		 cfg->host_root && strcmp(cfg->host_root, "/") ? cfg->host_root : "");
	snprintf(a->proc_root, sizeof(a->proc_root), "%s/proc",
		 cfg->host_root && strcmp(cfg->host_root, "/") ? cfg->host_root : "");
	if (access(a->proc_root, X_OK))
		snprintf(a->proc_root, sizeof(a->proc_root), "/proc");
	err = creds_new(&a->creds, 0);
	if (err)
		return err;
	if (with_sensor) {
		err = sensor_probe(why, sizeof(why));
		if (err) {
			log_error("%s", why);
			return err;
		}
		so.max_watched = (uint32_t)cfg->max_watched;
		so.ringbuf_bytes = (uint32_t)cfg->ringbuf_bytes;
		so.variant = cfg->bpf_variant;
		so.repeat_window_ns = cfg->repeat_window_ms * 1000000ULL;
		so.budget = &a->budget;
		so.ia32 = cfg->ia32_syscalls;
		err = open_kernel_counts(a);
		if (err)
			return err;
		err = sensor_open(&a->sensor, &so, on_event, a);
		if (err)
			return err;
	}
	wo.host_root = cfg->host_root ? cfg->host_root : "/";
	wo.extra = (const char *const *)cfg->watch.v;
	wo.nextra = cfg->watch.n;
	wo.recheck_ms = (uint32_t)cfg->discovery_recheck_ms;
	wo.catalog = a->catalog;
	wo.max_per_pod = (uint32_t)cfg->max_watched_per_pod;
	if (with_sensor) {
		/* the map's size as the BPF object sets it unless --max-watched says */
		wo.max_watched = cfg->max_watched ? (uint32_t)cfg->max_watched : 65536;
		wo.token_reserve = (uint32_t)(cfg->token_reserve < wo.max_watched / 4 ?
					       cfg->token_reserve : wo.max_watched / 4);
	}
	err = watch_new(&a->watch, &wo, a->creds, &sink);
	if (err)
		return err;
	/* timed for the discovery benchmark (tests/bench/run.sh reads this line) */
	t0 = now_ns(CLOCK_MONOTONIC);
	err = watch_scan_all(a->watch);
	if (!err)
		log_info("discovery: %u credentials in %.1f ms", creds_count(a->creds),
			 (double)(now_ns(CLOCK_MONOTONIC) - t0) / 1e6);
	return err;
}

/* One line: how many node-agent executables rules can trust, and which. */
static void log_node_agents(const struct node_agents *na, const char *prefix)
{
	char names[512];
	size_t n = node_agents__count(na), o = 0;

	names[0] = '\0';
	for (size_t i = 0; i < n && o < sizeof(names); i++) {
		const struct node_agent *e = node_agents__get(na, i);
		bool dup = false;

		for (size_t j = 0; j < i && !dup; j++)
			dup = !strcmp(node_agents__get(na, j)->name, e->name);
		if (!dup)
			o += (size_t)snprintf(names + o, sizeof(names) - o, "%s%s", o ? ", " : "",
					      e->name);
	}
	log_info("%snode agents: %zu executables registered by inode%s%s", prefix, n,
		 n ? ": " : " (no reader is proc.node_agent)", names);
}

static int open_node_agents(struct agent *a)
{
	const struct config *cfg = a->cfg;
	int err;

	err = node_agents__new(&a->agents, &(struct node_agents_opts){
		.host_root = cfg->host_root,
		.names = cfg->node_agents.v, .n_names = cfg->node_agents.n,
		.paths = cfg->node_agent_paths.v, .n_paths = cfg->node_agent_paths.n });
	if (err) {
		log_error("node agents: %s", strerror(-err));
		return err;
	}
	log_node_agents(a->agents, "");
	return 0;
}

/*
 * SIGHUP: reload the rules (a broken file keeps the running set) and
 * rescan credentials.
 */
static void reload_config(struct agent *a);

static void agent_reload(struct agent *a)
{
	struct rules_diag diag = { 0 };
	struct rules *next;
	const char **files;
	int nfiles;

	reload_config(a);
	agent_rules_files(a->cfg, &files, &nfiles);
	next = rules_load(files, nfiles, &diag);
	if (!next) {
		log_error("SIGHUP: rules not reloaded, keeping the %d running rules:",
			  rules_count(a->rules));
		rules_diag_print(&diag, stderr);
	} else {
		rules_set_match_all(next, a->cfg->rule_matching &&
				    !strcmp(a->cfg->rule_matching, "all"));
		rules_free(a->rules);
		a->rules = next;
		/* rule pointers changed: forget their metrics slots (slots persist by name) */
		memset(a->rule_slots, 0, sizeof(a->rule_slots));
		metrics_set(a->metrics, CW_M_RULES_LOADED, 0, rules_count(a->rules));
		log_info("SIGHUP: loaded %d rules from %d files", rules_count(a->rules),
			 rules_nfiles(a->rules));
		log_rules_summary(a->rules);
		attrib_set_wants(a->attrib, rules_wants(a->rules));
	}
	{
		struct catalog_diag cdiag = { 0 };
		struct catalog_opts co = { (const char *const *)a->cfg->catalog.v, a->cfg->catalog.n,
					   &cdiag };
		struct catalog *cnext;

		if (catalog__new(&cnext, &co)) {
			log_error("SIGHUP: catalog not reloaded, keeping the %d running entries:",
				  catalog__count(a->catalog));
			catalog__diag_print(&cdiag, stderr);
		} else {
			watch_set_catalog(a->watch, cnext);
			catalog__free(a->catalog);
			a->catalog = cnext;
		}
	}
	if (node_agents__scan(a->agents) >= 0)
		log_node_agents(a->agents, "SIGHUP: ");
	log_info("SIGHUP: rescanning credentials");
	watch_scan_all(a->watch);
}

static void agent_teardown(struct agent *a)
{
	health__stop(a->health);
	if (a->alerts) {
		/* the last summary alerts still reach the shipper */
		alert_writer_flush(a->alerts, mono_ns());
	}
	close_ship(a);
	attrib_free(a->attrib);
	node_agents__free(a->agents);
	redact_free(a->redact);	/* after attrib, which borrows it */
	findings_free(a->findings);
	if (a->findings_out && a->findings_owned)
		fclose(a->findings_out);
	else if (a->findings_out)
		fflush(a->findings_out);
	watch_free(a->watch);
	catalog__free(a->catalog);
	repeats_free(a->repeats);
	throttle_free(a->throttle);
	sensor_free(a->sensor);
	creds_free(a->creds);
	alert_writer_free(a->alerts);
	if (a->alert_out && a->alert_out_owned)
		fclose(a->alert_out);
	else if (a->alert_out)
		fflush(a->alert_out);
	rules_free(a->rules);
	if (a->dump && dump_writer_close(a->dump))
		log_warn("dump: closing: some records may be lost");
	if (a->events_out && a->events_owned)
		fclose(a->events_out);
	else if (a->events_out)
		fflush(a->events_out);
	metrics_free(a->metrics);
	jbuf_free(&a->jb);
}

/* Gauges and cumulative counters the loop refreshes once a second. */
static void update_metrics(struct agent *a)
{
	uint64_t drops[CW_DROP__MAX], stats[CW_STAT__MAX];
	uint32_t kinds[CW_CRED__MAX];
	struct watch_stats ws;

	sensor_drops(a->sensor, drops);
	sensor_stats(a->sensor, stats);
	for (int i = 0; i < CW_DROP__MAX; i++)
		metrics_set(a->metrics, CW_M_KERNEL_DROPS_TOTAL, i, (int64_t)drops[i]);
	creds_count_by_kind(a->creds, kinds);
	for (int k = 0; k < CW_CRED__MAX; k++)
		metrics_set(a->metrics, CW_M_WATCHED_CREDENTIALS, k, kinds[k]);
	watch_stats(a->watch, &ws);
	metrics_set(a->metrics, CW_M_DISCOVERY_LATE_FINDS_TOTAL, 0, (int64_t)ws.late_finds);
	metrics_set(a->metrics, CW_M_DISCOVERY_LATE_REMOVALS_TOTAL, 0, (int64_t)ws.late_removals);
	metrics_set(a->metrics, CW_M_DISCOVERY_RECHECKED_PODS_TOTAL, 0,
		    (int64_t)ws.rechecked_pods);
	metrics_set(a->metrics, CW_M_DISCOVERY_VOLUME_MOUNTS, 0, (int64_t)ws.volume_mounts);
	metrics_set(a->metrics, CW_M_DISCOVERY_INOTIFY_WATCHES, 0, (int64_t)ws.inotify_watches);
	for (int r = 0; r < WATCH_REFUSED__COUNT; r++)
		metrics_set(a->metrics, CW_M_DISCOVERY_REFUSED_TOTAL, r, (int64_t)ws.refused[r]);
	metrics_set(a->metrics, CW_M_WATCHED_UNMATCHED, 0, (int64_t)ws.unmatched);
	metrics_set(a->metrics, CW_M_KERNEL_SUBVOL_MISSES_TOTAL, 0,
		    (int64_t)stats[CW_STAT_SUBVOL_MISS]);
	if (a->attrib && !a->node_identity_applied) {
		struct cluster_identity node;

		/* the Node object's providerID and labels win over DMI */
		if (attrib_node_identity(a->attrib, &node)) {
			if (node.provider[0]) {
				snprintf(a->identity.provider, sizeof(a->identity.provider), "%s",
					 node.provider);
				snprintf(a->identity.source, sizeof(a->identity.source), "node");
			}
			if (node.region[0])
				snprintf(a->identity.region, sizeof(a->identity.region), "%s", node.region);
			if (node.zone[0])
				snprintf(a->identity.zone, sizeof(a->identity.zone), "%s", node.zone);
			a->node_identity_applied = true;
		}
	}
	if (a->attrib) {
		struct attrib_stats as;

		attrib_stats(a->attrib, &as);
		metrics_set(a->metrics, CW_M_ATTRIBUTION_CACHE_ENTRIES, 0, (int64_t)as.cgroup_entries);
		metrics_set(a->metrics, CW_M_K8S_API_WATCH_UP, 0,
			    as.api_state && !strcmp(as.api_state, "watching"));
	}
	if (a->ship) {
		struct ship_stats st;

		ship_stats(a->ship, &st);
		metrics_set(a->metrics, CW_M_BACKEND_SENT_TOTAL, 0, (int64_t)st.sent);
		metrics_set(a->metrics, CW_M_BACKEND_ACKED_TOTAL, 0, (int64_t)st.acked);
		metrics_set(a->metrics, CW_M_BACKEND_RETRIED_TOTAL, 0, (int64_t)st.retried);
		metrics_set(a->metrics, CW_M_BACKEND_DEAD_LETTERED_TOTAL, 0,
			    (int64_t)st.dead_lettered);
		metrics_set(a->metrics, CW_M_SPOOL_EVICTED_TOTAL, 0, (int64_t)st.spool.evicted);
		metrics_set(a->metrics, CW_M_SPOOL_WRITE_ERRORS_TOTAL, 0,
			    (int64_t)st.submit_errors);
		/* what waits for the backend: acked records linger in the active segment */
		metrics_set(a->metrics, CW_M_SPOOL_BYTES, 0, (int64_t)st.spool.pending_bytes);
	}
}

static int attached_hooks(struct agent *a)
{
	const struct sensor_hook_status *hooks = sensor_hooks(a->sensor, &(int){ 0 });
	int n = 0;

	for (int i = 0; i < SENSOR_HOOKS; i++)
		n += hooks[i].attached;
	return n;
}

/*
 * SIGHUP: re-read the config file (and the flags on top). A bad file is
 * reported and the running configuration kept. Which settings apply live
 * is decided here, setting by setting; the others are named as needing a
 * restart.
 */
static void reload_config(struct agent *a)
{
	char err[512], changed[512];
	struct config next;

	if (config_reload(a->cfg, &next, err, sizeof(err))) {
		log_warn("config: reload: %s: keeping the running configuration", err);
		return;
	}
	if (config_diff(a->cfg, &next, changed, sizeof(changed)))
		log_warn("config: reload: changed %s: takes effect at restart", changed);
	config_free(&next);
}

int agent_run(const struct config *cfg, struct agent_signals *sig)
{
	struct agent *a = calloc(1, sizeof(*a));
	uint64_t deadline = 0, next_second = 0, next_findings = 0, t;
	int err, ret = 1, loop_fd = -1;
	bool ring_busy = false;

	if (!a) {
		log_error("out of memory");
		return 1;
	}
	a->cfg = cfg;
	jbuf_init(&a->jb);
	resolve_node_name(a);
	a->metrics = metrics_new(0);
	if (!a->metrics) {
		log_error("out of memory");
		goto cleanup;
	}
	/*
	 * Threads start only after privs_drop_after_attach(): capset() changes
	 * the calling thread alone, and a thread inherits its creator's
	 * capabilities. So the endpoint binds now (a bad --listen fails before
	 * BPF loads) but serves later, and the shipper and the API client are
	 * set up here and started below.
	 */
	if (cfg->listen) {
		a->health = health__open(cfg->listen, a->metrics, 0);
		if (!a->health) {
			/* health__open names --listen and the reason itself */
			if (errno == ENOMEM)
				log_error("listen: --listen %s: out of memory", cfg->listen);
			ret = errno == EINVAL ? 2 : 1;
			goto cleanup;
		}
	}
	err = open_alerts(a);
	if (err) {
		ret = err == -EINVAL ? 2 : 1;
		goto cleanup;
	}
	err = open_catalog(a);
	if (err) {
		ret = err == -EINVAL ? 2 : 1;
		goto cleanup;
	}
	err = open_ship(a);
	if (err) {
		ret = (err == -EINVAL || err == -ENOENT || err == -EACCES) ? 2 : 1;
		goto cleanup;
	}
	err = open_redact(a);
	if (err) {
		ret = err == -EINVAL ? 2 : 1;
		goto cleanup;
	}
	err = open_node_agents(a);
	if (err) {
		ret = 1;
		goto cleanup;
	}
	err = attrib_new(&a->attrib, &(struct attrib_opts){
		.host_root = cfg->host_root, .cgroup_root = cfg->cgroup_root,
		.kubeconfig = cfg->kubeconfig, .node_name = a->node_name,
		.in_cluster = true, .cache_max = cfg->attrib_cache_max, .redact = a->redact,
		.agents = a->agents });
	if (err) {
		if (err != -EINVAL)
			log_error("attribution: %s", strerror(-err));
		ret = err == -EINVAL ? 2 : 1;
		goto cleanup;
	}
	/* /proc reads for the Falco fields the rules use (proc.duration, thread.cap_*) */
	attrib_set_wants(a->attrib, rules_wants(a->rules));
	if (open_events(a) || open_dump(a))
		goto cleanup;
	if (open_findings(a))
		goto cleanup;
	a->boot_to_real_ns = event_boot_to_real_ns();
	err = agent_setup(a, cfg, true);
	if (err)
		goto cleanup;
	metrics_set(a->metrics, CW_M_BPF_PROGRAMS_ATTACHED, 0, attached_hooks(a));
	err = privs_drop_after_attach();
	if (err == -EBUSY)
		goto cleanup;
	if (err)
		log_warn("privs: dropping capabilities: %s", strerror(-err));
	if ((a->health && health__serve(a->health)) || (a->ship && ship_start(a->ship)) ||
	    attrib_start(a->attrib))
		goto cleanup;	/* each logged why */
	update_metrics(a);
	identity_detect(cfg->host_root, cfg->cluster_name, &a->identity);
	metrics_set_ready(a->metrics, true);
	startup_summary(a);
	if (cfg->duration_s)
		deadline = now_ns(CLOCK_MONOTONIC) + cfg->duration_s * 1000000000ULL;

	/*
	 * One wait for the ring buffer, inotify and the mount table, so a
	 * token rotation or a new pod's volume mount reaches the kernel map at
	 * once rather than after a poll timeout.
	 */
	loop_fd = epoll_create1(EPOLL_CLOEXEC);
	if (loop_fd < 0 ||
	    epoll_ctl(loop_fd, EPOLL_CTL_ADD, sensor_epoll_fd(a->sensor),
		      &(struct epoll_event){ .events = EPOLLIN, .data.u32 = LOOP_SENSOR }) ||
	    (watch_fd(a->watch) >= 0 &&
	     epoll_ctl(loop_fd, EPOLL_CTL_ADD, watch_fd(a->watch),
		       &(struct epoll_event){ .events = EPOLLIN, .data.u32 = LOOP_INOTIFY })) ||
	    (watch_mount_fd(a->watch) >= 0 &&
	     epoll_ctl(loop_fd, EPOLL_CTL_ADD, watch_mount_fd(a->watch),
		       &(struct epoll_event){ .events = EPOLLPRI, .data.u32 = LOOP_MOUNTS }))) {
		log_error("agent: epoll: %s", strerror(errno));
		goto cleanup;
	}
	/*
	 * Bounded batches: a flood of events never keeps the loop from the
	 * rest (inotify for rotations, the heartbeat /healthz and /readyz
	 * read, timers, flushes); with a batch pending the wait does not block.
	 */
	while (!sig->stop) {
		struct epoll_event evs[3];
		int n;

		n = epoll_wait(loop_fd, evs, 3, ring_busy ? 0 : watch_timeout_ms(a->watch, POLL_MS));
		if (n < 0 && errno != EINTR) {
			log_error("agent: epoll_wait: %s", strerror(errno));
			goto cleanup;
		}
		/* the wait consumed the mount table's signal: pass it on */
		for (int i = 0; i < n; i++)
			if (evs[i].data.u32 == LOOP_MOUNTS)
				watch_mounts_changed(a->watch);
		err = sensor_consume(a->sensor, BATCH_EVENTS, &ring_busy);
		if (err < 0) {
			log_error("sensor: reading events: %s", strerror(-err));
			goto cleanup;
		}
		metrics_heartbeat(a->metrics);
		err = watch_process(a->watch);
		if (err < 0)
			log_warn("watch: processing changes: %s", strerror(-err));
		if (sig->reload) {
			sig->reload = 0;
			agent_reload(a);
		}
		if (a->events_out)
			fflush(a->events_out);
		t = now_ns(CLOCK_MONOTONIC);
		alert_writer_tick(a->alerts, t);
		if (a->alert_out)
			fflush(a->alert_out);
		if (t >= next_second) {
			settle_kernel_counts(a, ring_busy, false);
			report_drops(a);
			update_metrics(a);
			if (a->dump)
				dump_flush(a->dump);
			a->boot_to_real_ns = event_boot_to_real_ns();	/* follow clock steps */
			next_second = t + DROP_CHECK_NS;
		}
		if (a->findings && t >= next_findings) {
			run_findings(a);
			next_findings = t + cfg->findings_interval_s * 1000000000ULL;
		}
		if (deadline && t >= deadline)
			break;
	}
	/* flush: whatever the kernel queued before we stop, then what it counted */
	drain(a);
	settle_kernel_counts(a, false, true);
	exit_summary(a);
	if (a->findings) {
		run_findings(a);
		findings_summary(a);
	}
	log_info("stopping: %" PRIu64 " credential accesses seen, %" PRIu64
		 " lost in the kernel (%" PRIu64 " more refused by the per-cgroup budget); %"
		 PRIu64 " records (%" PRIu64 " aggregated), %" PRIu64 " repeats lost",
		 a->events, a->drops_reported, a->refused_reported, a->records,
		 a->aggregated_records, a->repeats_lost);
	ret = 0;
cleanup:
	if (loop_fd >= 0)
		close(loop_fd);
	agent_teardown(a);
	free(a);
	return ret;
}

int agent_list_watched(const struct config *cfg)
{
	struct agent *a = calloc(1, sizeof(*a));
	const struct cred_entry *c;
	struct watch_stats ws;
	uint32_t cursor = 0, unmatched = 0;
	int ret = 1, err;

	if (!a)
		return 1;
	a->cfg = cfg;
	err = open_catalog(a);
	if (err) {
		ret = err == -EINVAL ? 2 : 1;
		goto cleanup;
	}
	if (agent_setup(a, cfg, false))
		goto cleanup;
	printf("%-10s %-30s %-20s %-10s %-36s %s\n", "KIND", "ENTRY", "DEV:INO", "FS", "OWNER",
	       "PATH");
	while ((c = creds_next(a->creds, &cursor))) {
		char devino[64], path[8192], owner[64], fs[FS_TYPE_LEN * 4 + 1];

		snprintf(devino, sizeof(devino), "%u:%u:%" PRIu64, major(c->dev), minor(c->dev),
			 c->ino);
		if (c->pod_uid[0])
			snprintf(owner, sizeof(owner), "%s", c->pod_uid);
		else if (c->owner == CRED_OWNER_HOME)
			snprintf(owner, sizeof(owner), "home:%u", c->home_uid);
		else
			snprintf(owner, sizeof(owner), "%s", cred_owner_name(c->owner));
		printf("%-10s %-30s %-20s %-10s %-36s %s\n", cred_kind_name(c->kind),
		       c->entry[0] ? c->entry : "-", devino,
		       c->fstype[0] ? text_escape(c->fstype, fs, sizeof(fs)) : "?", owner,
		       text_escape(c->path, path, sizeof(path)));
		unmatched += c->unmatched != NULL;
	}
	{
		uint32_t kinds[CW_CRED__MAX];

		creds_count_by_kind(a->creds, kinds);
		printf("%u credentials", creds_count(a->creds));
		for (int k = 0; k < CW_CRED__MAX; k++)
			printf("%s%s %u", k ? ", " : ": ", cred_kind_name(k), kinds[k]);
		printf("\n");
		if (unmatched)
			printf("%u on a filesystem where opens may not be matched (logged above)\n",
			       unmatched);
	}
	watch_stats(a->watch, &ws);
	printf("refused");
	for (int r = 0; r < WATCH_REFUSED__COUNT; r++)
		printf("%s%s %llu", r ? ", " : ": ", watch_refusal_name(r),
		       (unsigned long long)ws.refused[r]);
	printf("\n");
	ret = 0;
cleanup:
	agent_teardown(a);
	free(a);
	return ret;
}
