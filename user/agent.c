// SPDX-License-Identifier: Apache-2.0
/*
 * agent.c - the event loop: sensor events become records, records are
 * attributed and written; discovery keeps the kernel's inode map current.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"
#include "creds.h"
#include "event.h"
#include "json.h"
#include "log.h"
#include "record.h"
#include "sensor.h"
#include "watch.h"

#define POLL_MS		100
#define DROP_CHECK_NS	1000000000ULL

struct agent {
	const struct config *cfg;
	struct creds *creds;
	struct watch *watch;
	struct sensor *sensor;
	FILE *events_out;
	bool events_owned;
	struct cw_record rec;
	struct jbuf jb;
	int64_t boot_to_real_ns;
	char proc_root[4096];	/* <host-root>/proc when present, else /proc */
	uint64_t events;
	uint64_t events_by_sys[CW_SYS__MAX];
	uint64_t drops_reported;
};

static uint64_t now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static int sink_add(void *ctx, const struct cred_entry *c)
{
	struct agent *a = ctx;

	if (!a->sensor)
		return 0;
	return sensor_watch_add(a->sensor, c->ino, c->kdev, c->id, c->kind);
}

static void sink_del(void *ctx, const struct cred_entry *c)
{
	struct agent *a = ctx;
	int err;

	if (!a->sensor)
		return;
	err = sensor_watch_del(a->sensor, c->ino, c->kdev);
	if (err && err != -ENOENT)
		log_warn("sensor: %s: unwatch: %s", c->path, strerror(-err));
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

static int on_event(void *ctx, const struct cw_event *e, size_t size)
{
	struct agent *a = ctx;
	struct cw_record *rec = &a->rec;
	const struct cred_entry *cred;

	if (size < CW_EVENT_HDR_SIZE)
		return 0;
	cred = creds_get(a->creds, e->cred_id);
	if (event_to_record(e, size, cred, a->boot_to_real_ns, rec))
		return 0;
	fill_fd_name(a, rec);
	if (a->cfg->cluster_name)
		record_strlcpy(rec->cluster_name, a->cfg->cluster_name, sizeof(rec->cluster_name));
	a->events++;
	a->events_by_sys[rec->syscall]++;
	if (a->events_out)
		write_event(a, rec);
	return 0;
}

static void report_drops(struct agent *a, bool final)
{
	uint64_t drops[CW_DROP__MAX], total = 0;

	if (!a->sensor)
		return;
	sensor_drops(a->sensor, drops);
	for (int i = 0; i < CW_DROP__MAX; i++)
		total += drops[i];
	if (total != a->drops_reported || final) {
		if (total != a->drops_reported)
			log_warn("sensor: %" PRIu64 " events lost in the kernel so far "
				 "(ring buffer full %" PRIu64 ", scratch %" PRIu64 ", fd lookup %" PRIu64
				 "): raise --ringbuf-bytes",
				 total, drops[CW_DROP_RINGBUF], drops[CW_DROP_SCRATCH],
				 drops[CW_DROP_FD_LOOKUP]);
		a->drops_reported = total;
	}
	if (final && a->events_out) {
		jbuf_reset(&a->jb);
		jbuf_obj_begin(&a->jb);
		jbuf_key(&a->jb, "credwatch.summary");
		jbuf_obj_begin(&a->jb);
		jbuf_kv_u64(&a->jb, "events", a->events);
		jbuf_kv_u64(&a->jb, "kernel_drops", total);
		jbuf_kv_u64(&a->jb, "kernel_drops.ringbuf", drops[CW_DROP_RINGBUF]);
		jbuf_kv_u64(&a->jb, "kernel_drops.scratch", drops[CW_DROP_SCRATCH]);
		jbuf_kv_u64(&a->jb, "kernel_drops.fd_lookup", drops[CW_DROP_FD_LOOKUP]);
		jbuf_kv_u64(&a->jb, "watched", creds_count(a->creds));
		jbuf_obj_end(&a->jb);
		jbuf_obj_end(&a->jb);
		jbuf_raw(&a->jb, "\n", 1);
		fwrite(a->jb.buf, 1, a->jb.len, a->events_out);
	}
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
	hooks = sensor_hooks(a->sensor, &nhooks);
	for (int i = 0; i < nhooks; i++)
		o += (size_t)snprintf(line + o, sizeof(line) - o, "%s%s%s", i ? ", " : "",
				      hooks[i].name, hooks[i].attached ? "" : " (NOT attached)");
	log_info("hooks: %s", line);
	for (int i = 0; i < nhooks; i++)
		if (!hooks[i].attached)
			log_info("hook %s not attached: %s", hooks[i].name, hooks[i].reason);
	creds_count_by_kind(a->creds, kinds);
	o = 0;
	for (int k = 0; k < CW_CRED__MAX; k++)
		o += (size_t)snprintf(line + o, sizeof(line) - o, "%s%s %u", k ? ", " : "",
				      cred_kind_name(k), kinds[k]);
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
		log_error("events: %s: %s", path, strerror(errno));
		return -errno;
	}
	a->events_owned = true;
	return 0;
}

static int agent_setup(struct agent *a, const struct config *cfg, bool with_sensor)
{
	struct watch_opts wo = { 0 };
	struct watch_sink sink = { sink_add, sink_del, a };
	struct sensor_opts so = { 0 };
	char why[512];
	uint64_t t0;
	int err;

	a->cfg = cfg;
	jbuf_init(&a->jb);
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
		err = sensor_open(&a->sensor, &so, on_event, a);
		if (err)
			return err;
	}
	wo.host_root = cfg->host_root ? cfg->host_root : "/";
	wo.extra = (const char *const *)cfg->watch.v;
	wo.nextra = cfg->watch.n;
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

static void agent_teardown(struct agent *a)
{
	watch_free(a->watch);
	sensor_free(a->sensor);
	creds_free(a->creds);
	if (a->events_out && a->events_owned)
		fclose(a->events_out);
	else if (a->events_out)
		fflush(a->events_out);
	jbuf_free(&a->jb);
}

int agent_run(const struct config *cfg, struct agent_signals *sig)
{
	struct agent *a = calloc(1, sizeof(*a));
	uint64_t deadline = 0, next_drop_check = 0, t;
	int err, ret = 1;

	if (!a) {
		log_error("out of memory");
		return 1;
	}
	a->cfg = cfg;
	if (open_events(a))
		goto cleanup;
	a->boot_to_real_ns = event_boot_to_real_ns();
	err = agent_setup(a, cfg, true);
	if (err)
		goto cleanup;
	startup_summary(a);
	if (cfg->duration_s)
		deadline = now_ns(CLOCK_MONOTONIC) + cfg->duration_s * 1000000000ULL;

	while (!sig->stop) {
		err = sensor_poll(a->sensor, POLL_MS);
		if (err < 0) {
			log_error("sensor: reading events: %s", strerror(-err));
			goto cleanup;
		}
		err = watch_process(a->watch);
		if (err < 0)
			log_warn("watch: processing changes: %s", strerror(-err));
		if (sig->reload) {
			sig->reload = 0;
			log_info("SIGHUP: rescanning credentials");
			watch_scan_all(a->watch);
		}
		if (a->events_out)
			fflush(a->events_out);
		t = now_ns(CLOCK_MONOTONIC);
		if (t >= next_drop_check) {
			report_drops(a, false);
			a->boot_to_real_ns = event_boot_to_real_ns();	/* follow clock steps */
			next_drop_check = t + DROP_CHECK_NS;
		}
		if (deadline && t >= deadline)
			break;
	}
	/* flush: whatever the kernel queued before we stop */
	sensor_poll(a->sensor, 0);
	report_drops(a, true);
	log_info("stopping: %" PRIu64 " credential accesses seen, %" PRIu64
		 " lost in the kernel", a->events, a->drops_reported);
	ret = 0;
cleanup:
	agent_teardown(a);
	free(a);
	return ret;
}

int agent_list_watched(const struct config *cfg)
{
	struct agent *a = calloc(1, sizeof(*a));
	const struct cred_entry *c;
	uint32_t cursor = 0;
	int ret = 1;

	if (!a)
		return 1;
	if (agent_setup(a, cfg, false))
		goto cleanup;
	printf("%-10s %-20s %-36s %s\n", "KIND", "DEV:INO", "OWNER", "PATH");
	while ((c = creds_next(a->creds, &cursor))) {
		char devino[64], path[8192];

		snprintf(devino, sizeof(devino), "%u:%u:%" PRIu64, major(c->dev), minor(c->dev),
			 c->ino);
		printf("%-10s %-20s %-36s %s\n", cred_kind_name(c->kind), devino,
		       c->pod_uid[0] ? c->pod_uid : "host",
		       text_escape(c->path, path, sizeof(path)));
	}
	printf("%u credentials\n", creds_count(a->creds));
	ret = 0;
cleanup:
	agent_teardown(a);
	free(a);
	return ret;
}
