// SPDX-License-Identifier: Apache-2.0
/*
 * agent_report.c - what the agent tells the operator about itself: the
 * start-up summary (kernel, hooks, identity, what is watched), the findings
 * summary at exit, and --list-watched.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "agent_int.h"
#include "creds.h"
#include "identity.h"
#include "findings.h"
#include "json.h"
#include "log.h"
#include "nodeagents.h"
#include "record.h"
#include "sensor.h"
#include "watch.h"


void agent_findings_summary(struct agent *a)
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

void agent_startup_summary(struct agent *a)
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
			 a->cfg->agent.repeat_window_ms);
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
		 a->cfg->agent.host_root ? a->cfg->agent.host_root : "/", line);
	if (!creds_count(a->creds))
		log_info("no credentials found: add files with --watch PATH, or point "
			 "--host-root at a node's root filesystem");
}

void agent_log_node_agents(const struct node_agents *na, const char *prefix)
{
	char names[512];
	size_t n = node_agents_count(na), o = 0;

	names[0] = '\0';
	for (size_t i = 0; i < n && o < sizeof(names); i++) {
		const struct node_agent *e = node_agents_get(na, i);
		bool dup = false;

		for (size_t j = 0; j < i && !dup; j++)
			dup = !strcmp(node_agents_get(na, j)->name, e->name);
		if (!dup)
			o += (size_t)snprintf(names + o, sizeof(names) - o, "%s%s", o ? ", " : "",
					      e->name);
	}
	log_info("%snode agents: %zu executables registered by inode%s%s", prefix, n,
		 n ? ": " : " (no reader is proc.node_agent)", names);
}

int agent_list_watched(const struct config *cfg)
{
	struct agent *a = calloc(1, sizeof(*a));
	const struct cred_entry *c;
	struct watch_stats ws;
	uint32_t cursor = 0, unmatched = 0;
	int err;

	if (!a)
		return -ENOMEM;
	a->cfg = cfg;
	err = agent_open_catalog(a);
	if (!err)
		err = agent_runtime(agent_setup(a, cfg, false));
	if (err)
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
cleanup:
	agent_teardown(a);
	free(a);
	return err;
}
