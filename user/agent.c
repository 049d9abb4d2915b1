// SPDX-License-Identifier: Apache-2.0
/*
 * agent.c - the agent's lifecycle and its loop: set up every stage, then
 * hand each sensor event along the pipeline by direct calls
 *
 *	sensor -> record (event.c) -> attribution -> rules -> outputs
 *				   \-> findings (posture) -> outputs
 *
 * while discovery keeps the kernel's inode map current; tear down in
 * reverse. The hand-offs of one event are agent_events.c's, what the agent
 * says about itself agent_report.c's (agent_int.h); what each stage does is
 * its module's, where things go outputs.c's, exit codes main's.
 * Over 600 lines: set-up and tear-down of every stage stay in one file, in
 * one order read top to bottom, so that what depends on what is visible.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "agent_int.h"
#include "attrib.h"
#include "budget.h"
#include "clock.h"
#include "creds.h"
#include "discovery/catalog.h"
#include "event.h"
#include "health.h"
#include "identity.h"
#include "findings.h"
#include "json.h"
#include "log.h"
#include "metrics.h"
#include "nodeagents.h"
#include "outputs.h"
#include "privs.h"
#include "record.h"
#include "redact.h"
#include "repeats.h"
#include "rules.h"
#include "sensor.h"
#include "throttle.h"
#include "watch.h"

#define POLL_MS		100
#define DROP_CHECK_NS	1000000000ULL

/* What woke the loop (epoll data). */
enum { LOOP_SENSOR = 1, LOOP_INOTIFY, LOOP_MOUNTS };

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

/* Owner identity for findings, from attribution. */
static bool findings_pod_lookup(void *ctx, const char *uid, char *ns, size_t ns_size,
				char *name, size_t name_size, char *sa, size_t sa_size)
{
	struct agent *a = ctx;

	return attrib_pod_lookup(a->attrib, uid, ns, ns_size, name, name_size, sa, sa_size);
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
			      outputs_finding, a->outputs);
	findings_set_refusals(a->findings, NULL, 0);
	free(fr);
	if (n < 0)
		log_warn("findings: evaluate: %s", strerror(-n));
	outputs_findings_done(a->outputs);
	findings_save(a->findings);	/* logs its own failure; retried next interval */
}

static int open_findings(struct agent *a)
{
	const struct config *cfg = a->cfg;
	struct findings_opts fo;

	if (!cfg->outputs.findings)
		return 0;
	fo = cfg->findings;
	fo.host_root = cfg->agent.host_root;
	fo.node_name = a->node_name;
	fo.cluster_name = cfg->identity.cluster_name;
	return findings_new(&a->findings, &fo);
}

/*
 * The credential catalog (--catalog, else the installed catalog.d): a
 * broken entry is FILE:LINE on stderr and exit 2, before any BPF is loaded.
 */
int agent_open_catalog(struct agent *a)
{
	struct catalog_diag diag = { 0 };
	struct catalog_opts o = { (const char *const *)a->cfg->watch.catalog_files.v,
				  a->cfg->watch.catalog_files.n, &diag };
	int err;

	err = catalog_new(&a->catalog, &o);
	if (err) {
		catalog_diag_print(&diag, stderr);
		if (err == -ENOMEM)
			log_error("catalog: out of memory");
		return err == -ENOMEM ? err : -EINVAL;
	}
	log_info("catalog: %d entries from %d file%s", catalog_count(a->catalog),
		 catalog_nfiles(a->catalog), catalog_nfiles(a->catalog) == 1 ? "" : "s");
	return 0;
}

/* Falco rule files: how many rules apply to credential opens (one line, or none). */
static void log_rules_summary(const struct rules *r)
{
	char line[512];

	if (rules_summary(r, line, sizeof(line))[0])
		log_info("%s", line);
}

static int open_rules(struct agent *a)
{
	struct rules_diag diag = { 0 };

	if (rules_open(&a->rules, &a->cfg->rules, &diag)) {
		rules_diag_print(&diag, stderr);
		return -EINVAL;
	}
	metrics_set(a->metrics, CW_M_RULES_LOADED, 0, rules_count(a->rules));
	log_info("loaded %d rules from %d file%s", rules_count(a->rules), rules_nfiles(a->rules),
		 rules_nfiles(a->rules) == 1 ? "" : "s");
	log_rules_summary(a->rules);
	return 0;
}

int agent_setup(struct agent *a, const struct config *cfg, bool with_sensor)
{
	struct watch_opts wo = cfg->watch;
	struct watch_sink sink = { sink_add, sink_del, a, NULL };
	struct sensor_opts so = { 0 };
	char why[512];
	uint64_t t0;
	int err;

	a->cfg = cfg;
	jbuf_init(&a->jb);
	err = creds_new(&a->creds, 0);
	if (err)
		return err;
	if (with_sensor) {
		err = sensor_probe(why, sizeof(why));
		if (err) {
			log_error("%s", why);
			return err;
		}
		so.max_watched = (uint32_t)cfg->agent.max_watched;
		so.ringbuf_bytes = (uint32_t)cfg->agent.ringbuf_bytes;
		so.variant = cfg->agent.bpf_variant;
		so.repeat_window_ns = cfg->agent.repeat_window_ms * 1000000ULL;
		so.budget = &a->budget;
		so.ia32 = cfg->agent.ia32_syscalls;
		err = agent_open_kernel_counts(a);
		if (err)
			return err;
		err = sensor_open(&a->sensor, &so, agent_on_event, a);
		if (err)
			return err;
	}
	wo.host_root = cfg->agent.host_root ? cfg->agent.host_root : "/";
	wo.catalog = a->catalog;
	wo.token_reserve = 0;
	if (with_sensor) {
		/* the map's size as the BPF object sets it unless --max-watched says */
		wo.max_watched = cfg->agent.max_watched ? (uint32_t)cfg->agent.max_watched : 65536;
		wo.token_reserve = cfg->watch.token_reserve < wo.max_watched / 4 ?
				   cfg->watch.token_reserve : wo.max_watched / 4;
	}
	err = watch_new(&a->watch, &wo, a->creds, &sink);
	if (err)
		return err;
	/* timed for the discovery benchmark (tests/bench/run.sh reads this line) */
	t0 = clock_ns(CLOCK_MONOTONIC);
	err = watch_scan_all(a->watch);
	if (!err)
		log_info("discovery: %u credentials in %.1f ms", creds_count(a->creds),
			 (double)(clock_ns(CLOCK_MONOTONIC) - t0) / 1e6);
	return err;
}

/*
 * SIGHUP: reload the rules (a broken file keeps the running set) and
 * rescan credentials.
 */
static void reload_config(struct agent *a);

/* SIGHUP: the catalog again; a broken one keeps the running entries. */
static void reload_catalog(struct agent *a)
{
	struct catalog_diag cdiag = { 0 };
	struct catalog_opts co = { (const char *const *)a->cfg->watch.catalog_files.v,
				   a->cfg->watch.catalog_files.n, &cdiag };
	struct catalog *cnext;

	if (catalog_new(&cnext, &co)) {
		log_error("SIGHUP: catalog not reloaded, keeping the %d running entries:",
			  catalog_count(a->catalog));
		catalog_diag_print(&cdiag, stderr);
		return;
	}
	watch_set_catalog(a->watch, cnext);
	catalog_free(a->catalog);
	a->catalog = cnext;
}

static void agent_reload(struct agent *a)
{
	struct rules_diag diag = { 0 };
	struct rules *next;

	reload_config(a);
	if (rules_open(&next, &a->cfg->rules, &diag)) {
		log_error("SIGHUP: rules not reloaded, keeping the %d running rules:",
			  rules_count(a->rules));
		rules_diag_print(&diag, stderr);
	} else {
		rules_free(a->rules);
		a->rules = next;
		outputs_rules_reloaded(a->outputs);
		metrics_set(a->metrics, CW_M_RULES_LOADED, 0, rules_count(a->rules));
		log_info("SIGHUP: loaded %d rules from %d files", rules_count(a->rules),
			 rules_nfiles(a->rules));
		log_rules_summary(a->rules);
		attrib_set_wants(a->attrib, rules_wants(a->rules));
	}
	reload_catalog(a);
	if (node_agents_scan(a->agents) >= 0)
		agent_log_node_agents(a->agents, "SIGHUP: ");
	log_info("SIGHUP: rescanning credentials");
	watch_scan_all(a->watch);
}

void agent_teardown(struct agent *a)
{
	health_stop(a->health);
	outputs_close(a->outputs, agent_kernel_drops_total(a));
	attrib_free(a->attrib);
	node_agents_free(a->agents);
	redact_free(a->redact);	/* after attrib, which borrows it */
	findings_free(a->findings);
	watch_free(a->watch);
	catalog_free(a->catalog);
	repeats_free(a->repeats);
	throttle_free(a->throttle);
	sensor_free(a->sensor);
	creds_free(a->creds);
	rules_free(a->rules);
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

		if (attrib_node_identity(a->attrib, &node)) {
			identity_merge(&a->identity, &node);
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

static int open_node_agents(struct agent *a)
{
	const struct config *cfg = a->cfg;
	int err;

	err = node_agents_new(&a->agents, &(struct node_agents_opts){
		.host_root = cfg->agent.host_root,
		.names = cfg->nodeagents.names.v, .n_names = cfg->nodeagents.names.n,
		.paths = cfg->nodeagents.paths.v, .n_paths = cfg->nodeagents.paths.n });
	if (err) {
		log_error("node agents: %s", strerror(-err));
		return err;
	}
	agent_log_node_agents(a->agents, "");
	return 0;
}

/*
 * What main maps to an exit code: -EINVAL for what the operator fixes in
 * the options (exit 2), any other errno for a runtime failure (exit 1). A
 * stage whose -EINVAL is not about the options goes through agent_runtime().
 */
int agent_runtime(int err)
{
	return err == -EINVAL ? -EIO : err;
}

int agent_run(const struct config *cfg, struct agent_signals *sig)
{
	struct agent *a = calloc(1, sizeof(*a));
	uint64_t deadline = 0, next_second = 0, next_findings = 0, t;
	struct attrib_opts ao;
	int err, loop_fd = -1;
	bool ring_busy = false;

	if (!a) {
		log_error("out of memory");
		return -ENOMEM;
	}
	a->cfg = cfg;
	jbuf_init(&a->jb);
	identity_node_name(cfg->identity.node_name, a->node_name, sizeof(a->node_name));
	err = metrics_new(&a->metrics, 0);
	if (err) {
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
	if (cfg->health.listen) {
		err = health_open(&a->health, cfg->health.listen, a->metrics, 0);
		if (err) {
			/* health_open names --listen and the reason itself; EINVAL: a bad address */
			if (err == -ENOMEM)
				log_error("listen: --listen %s: out of memory", cfg->health.listen);
			goto cleanup;
		}
	}
	/* usage errors here: the rules, the catalog, the kubeconfig, the backend's options */
	err = open_rules(a);
	if (!err)
		err = agent_open_catalog(a);
	if (!err)
		err = redact_open(&a->redact, &cfg->redact);
	if (err)
		goto cleanup;
	err = open_node_agents(a);
	if (err) {
		err = agent_runtime(err);
		goto cleanup;
	}
	ao = cfg->attrib;
	ao.host_root = cfg->agent.host_root;
	ao.node_name = a->node_name;
	ao.in_cluster = true;
	ao.redact = a->redact;
	ao.agents = a->agents;
	err = attrib_new(&a->attrib, &ao);
	if (err) {
		if (err != -EINVAL)
			log_error("attribution: %s", strerror(-err));
		goto cleanup;
	}
	/* the sinks last: a usage error above leaves no empty output file behind */
	err = outputs_open(&a->outputs, &cfg->outputs, &cfg->dump, &cfg->ship, a->node_name,
			   a->metrics);
	if (err)
		goto cleanup;
	/* /proc reads for the Falco fields the rules use (proc.duration, thread.cap_*) */
	attrib_set_wants(a->attrib, rules_wants(a->rules));
	/* runtime failures from here on, each logged where it happened */
	err = open_findings(a);
	if (err) {
		err = agent_runtime(err);
		goto cleanup;
	}
	a->boot_to_real_ns = event_boot_to_real_ns();
	err = agent_setup(a, cfg, true);
	if (err) {
		err = agent_runtime(err);
		goto cleanup;
	}
	metrics_set(a->metrics, CW_M_BPF_PROGRAMS_ATTACHED, 0, attached_hooks(a));
	err = privs_drop_after_attach();
	if (err == -EBUSY)
		goto cleanup;
	if (err)
		log_warn("privs: dropping capabilities: %s", strerror(-err));
	err = a->health ? health_serve(a->health) : 0;
	if (!err)
		err = outputs_start(a->outputs);
	if (!err)
		err = attrib_start(a->attrib);
	if (err) {
		err = agent_runtime(err < 0 ? err : -EIO);
		goto cleanup;
	}
	update_metrics(a);
	identity_detect(cfg->agent.host_root, cfg->identity.cluster_name, &a->identity);
	metrics_set_ready(a->metrics, true);
	agent_startup_summary(a);
	if (cfg->agent.duration_s)
		deadline = clock_ns(CLOCK_MONOTONIC) + cfg->agent.duration_s * 1000000000ULL;

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
		err = agent_runtime(-errno);
		log_error("agent: epoll: %s", strerror(-err));
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
			err = agent_runtime(-errno);
			log_error("agent: epoll_wait: %s", strerror(-err));
			goto cleanup;
		}
		/* the wait consumed the mount table's signal: pass it on */
		for (int i = 0; i < n; i++)
			if (evs[i].data.u32 == LOOP_MOUNTS)
				watch_mounts_changed(a->watch);
		err = sensor_consume(a->sensor, BATCH_EVENTS, &ring_busy);
		if (err < 0) {
			log_error("sensor: reading events: %s", strerror(-err));
			err = agent_runtime(err);
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
		t = clock_ns(CLOCK_MONOTONIC);
		outputs_tick(a->outputs, t);
		if (t >= next_second) {
			agent_settle_kernel_counts(a, ring_busy, false);
			agent_report_drops(a);
			update_metrics(a);
			outputs_second(a->outputs);
			a->boot_to_real_ns = event_boot_to_real_ns();	/* follow clock steps */
			next_second = t + DROP_CHECK_NS;
		}
		if (a->findings && t >= next_findings) {
			run_findings(a);
			next_findings = t + cfg->findings.interval_s * 1000000000ULL;
		}
		if (deadline && t >= deadline)
			break;
	}
	/* flush: whatever the kernel queued before we stop, then what it counted */
	agent_drain(a);
	agent_settle_kernel_counts(a, false, true);
	agent_exit_summary(a);
	if (a->findings) {
		run_findings(a);
		agent_findings_summary(a);
	}
	log_info("stopping: %" PRIu64 " credential accesses seen, %" PRIu64
		 " lost in the kernel (%" PRIu64 " more refused by the per-cgroup budget); %"
		 PRIu64 " records (%" PRIu64 " aggregated), %" PRIu64 " repeats lost",
		 a->events, a->drops_reported, a->refused_reported, a->records,
		 a->aggregated_records, a->repeats_lost);

	err = 0;
cleanup:
	if (loop_fd >= 0)
		close(loop_fd);
	agent_teardown(a);
	free(a);
	return err;
}
