// SPDX-License-Identifier: Apache-2.0
/*
 * test_health.c - the metrics registry and the --listen endpoint, scraped
 * over loopback with libcurl; /metrics is also checked by promtool.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include <curl/curl.h>

#include "user/health.h"
#include "user/log.h"
#include "user/metrics.h"

struct fixture {
	struct metrics *m;
	struct health *h;
	char base[64];
};

struct reply {
	long status;
	char *body;
	size_t len;
	char ctype[128];
};

static size_t collect(char *p, size_t sz, size_t n, void *arg)
{
	struct reply *r = arg;
	char *nb = realloc(r->body, r->len + sz * n + 1);

	if (!nb)
		return 0;
	memcpy(nb + r->len, p, sz * n);
	r->body = nb;
	r->len += sz * n;
	r->body[r->len] = '\0';
	return sz * n;
}

/* One request, bounded in time; fails the test on transport errors. */
static void fetch(const struct fixture *f, const char *method, const char *path,
		  struct reply *r)
{
	char url[128];
	char *ct = NULL;
	CURL *c = curl_easy_init();

	assert_non_null(c);
	memset(r, 0, sizeof(*r));
	r->body = calloc(1, 1);
	snprintf(url, sizeof(url), "%s%s", f->base, path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	if (!strcmp(method, "HEAD"))
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	else
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
	curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
	assert_int_equal(curl_easy_perform(c), CURLE_OK);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ct);
	if (ct)
		snprintf(r->ctype, sizeof(r->ctype), "%s", ct);
	curl_easy_cleanup(c);
}

static void get(const struct fixture *f, const char *path, struct reply *r)
{
	fetch(f, "GET", path, r);
}

/* Value of the sample whose name+labels is exactly series; fails if absent. */
static long long sample(const char *body, const char *series)
{
	size_t n = strlen(series);
	const char *p = body;

	while ((p = strstr(p, series))) {
		if ((p == body || p[-1] == '\n') && p[n] == ' ')
			return strtoll(p + n + 1, NULL, 10);
		p += n;
	}
	fail_msg("series %s not in /metrics", series);
	return -1;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	cw_log_level = CW_LOG_ERROR;
	assert_int_equal(metrics_new(&f->m, 4), 0);
	assert_non_null(f->m);
	assert_int_equal(health_start(&f->h, "127.0.0.1:0", f->m, 0), 0);
	assert_non_null(f->h);
	assert_true(health_port(f->h) > 0);
	snprintf(f->base, sizeof(f->base), "http://127.0.0.1:%u", health_port(f->h));
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	health_stop(f->h);
	metrics_free(f->m);
	free(f);
	return 0;
}

static void reply_free(struct reply *r)
{
	free(r->body);
	r->body = NULL;
}

static void test_metrics_every_family_has_help_and_type(void **state)
{
	static const char *const families[] = {
		"credwatch_build_info gauge", "credwatch_start_time_seconds gauge",
		"credwatch_events_total counter", "credwatch_alerts_total counter",
		"credwatch_kernel_drops_total counter", "credwatch_events_lost_total counter",
		"credwatch_watched_credentials gauge", "credwatch_rules_loaded gauge",
		"credwatch_bpf_programs_attached gauge", "credwatch_spool_bytes gauge",
		"credwatch_spool_evicted_total counter", "credwatch_spool_write_errors_total counter",
		"credwatch_backend_sent_total counter",
		"credwatch_backend_acked_total counter", "credwatch_backend_retried_total counter",
		"credwatch_backend_dead_lettered_total counter",
		"credwatch_attribution_cache_entries gauge", "credwatch_k8s_api_watch_up gauge",
		"credwatch_event_loop_heartbeat_timestamp_seconds gauge", "credwatch_ready gauge",
		"credwatch_redactions_total counter",
	};
	struct fixture *f = *state;
	struct reply r;
	char line[160];
	int helps = 0, types = 0;

	get(f, "/metrics", &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.ctype, "text/plain; version=0.0.4; charset=utf-8");
	for (size_t i = 0; i < sizeof(families) / sizeof(families[0]); i++) {
		char name[96];

		snprintf(line, sizeof(line), "\n# TYPE %s\n", families[i]);
		assert_non_null(strstr(r.body, line));
		sscanf(families[i], "%95s", name);
		snprintf(line, sizeof(line), "# HELP %s ", name);
		assert_non_null(strstr(r.body, line));
	}
	for (const char *p = r.body; (p = strstr(p, "# ")); p++) {
		helps += !strncmp(p, "# HELP ", 7);
		types += !strncmp(p, "# TYPE ", 7);
	}
	assert_int_equal(helps, CW_M__COUNT);
	assert_int_equal(types, CW_M__COUNT);
	assert_int_equal(sample(r.body, "credwatch_build_info{version=\"" CW_VERSION "\"}"), 1);
	assert_true(sample(r.body, "credwatch_start_time_seconds") > 1600000000LL);
	/* Fixed label sets are exported from the start, at zero. */
	assert_int_equal(sample(r.body, "credwatch_events_total{syscall=\"openat2\"}"), 0);
	assert_int_equal(sample(r.body, "credwatch_kernel_drops_total{reason=\"ringbuf_full\"}"), 0);
	assert_int_equal(sample(r.body, "credwatch_watched_credentials{kind=\"sa_token\"}"), 0);
	assert_int_equal(sample(r.body, "credwatch_redactions_total{kind=\"private_key\"}"), 0);
	assert_int_equal(sample(r.body, "credwatch_events_lost_total{reason=\"queue_full\"}"), 0);
	assert_int_equal(r.body[r.len - 1], '\n');
	reply_free(&r);
}

static void test_metrics_counters_move_after_updates(void **state)
{
	struct fixture *f = *state;
	struct reply r;
	int slot;

	slot = metrics_rule_slot(f->m, "Read SA token", "WARNING");
	assert_true(slot >= 0);
	metrics_inc(f->m, CW_M_EVENTS_TOTAL, CW_SYS_OPENAT);
	metrics_add(f->m, CW_M_EVENTS_TOTAL, CW_SYS_IO_URING_OPENAT, 5);
	metrics_inc(f->m, CW_M_KERNEL_DROPS_TOTAL, CW_DROP_RINGBUF);
	metrics_inc(f->m, CW_M_EVENTS_LOST_TOTAL, CW_LOST_OUTPUT_ERROR);
	metrics_alert_inc(f->m, slot);
	metrics_alert_inc(f->m, slot);
	metrics_set(f->m, CW_M_WATCHED_CREDENTIALS, CW_CRED_PKI, 12);
	metrics_set(f->m, CW_M_SPOOL_BYTES, 0, 4096);
	metrics_add(f->m, CW_M_BACKEND_SENT_TOTAL, 0, 3);
	metrics_add(f->m, CW_M_BACKEND_ACKED_TOTAL, 0, 2);
	metrics_inc(f->m, CW_M_BACKEND_RETRIED_TOTAL, 0);
	metrics_inc(f->m, CW_M_BACKEND_DEAD_LETTERED_TOTAL, 0);
	metrics_inc(f->m, CW_M_SPOOL_EVICTED_TOTAL, 0);
	metrics_add(f->m, CW_M_SPOOL_WRITE_ERRORS_TOTAL, 0, 4);
	metrics_gauge_add(f->m, CW_M_ATTRIBUTION_CACHE_ENTRIES, 0, 7);
	metrics_gauge_add(f->m, CW_M_ATTRIBUTION_CACHE_ENTRIES, 0, -2);
	metrics_set(f->m, CW_M_K8S_API_WATCH_UP, 0, 1);

	get(f, "/metrics", &r);
	assert_int_equal(sample(r.body, "credwatch_events_total{syscall=\"openat\"}"), 1);
	assert_int_equal(sample(r.body, "credwatch_events_total{syscall=\"io_uring_openat\"}"), 5);
	assert_int_equal(sample(r.body, "credwatch_kernel_drops_total{reason=\"ringbuf_full\"}"), 1);
	assert_int_equal(sample(r.body, "credwatch_events_lost_total{reason=\"output_error\"}"), 1);
	assert_int_equal(sample(r.body,
		"credwatch_alerts_total{rule=\"Read SA token\",priority=\"warning\"}"), 2);
	assert_int_equal(sample(r.body, "credwatch_watched_credentials{kind=\"pki\"}"), 12);
	assert_int_equal(sample(r.body, "credwatch_spool_bytes"), 4096);
	assert_int_equal(sample(r.body, "credwatch_backend_sent_total"), 3);
	assert_int_equal(sample(r.body, "credwatch_backend_acked_total"), 2);
	assert_int_equal(sample(r.body, "credwatch_backend_retried_total"), 1);
	assert_int_equal(sample(r.body, "credwatch_backend_dead_lettered_total"), 1);
	assert_int_equal(sample(r.body, "credwatch_spool_evicted_total"), 1);
	assert_int_equal(sample(r.body, "credwatch_spool_write_errors_total"), 4);
	assert_int_equal(sample(r.body, "credwatch_attribution_cache_entries"), 5);
	assert_int_equal(sample(r.body, "credwatch_k8s_api_watch_up"), 1);
	reply_free(&r);

	metrics_inc(f->m, CW_M_EVENTS_TOTAL, CW_SYS_OPENAT);
	metrics_alert_inc(f->m, slot);
	get(f, "/metrics", &r);
	assert_int_equal(sample(r.body, "credwatch_events_total{syscall=\"openat\"}"), 2);
	assert_int_equal(sample(r.body,
		"credwatch_alerts_total{rule=\"Read SA token\",priority=\"warning\"}"), 3);
	reply_free(&r);
}

static void test_metrics_rule_slots_survive_reload_and_overflow(void **state)
{
	struct fixture *f = *state;	/* capacity 4 */
	struct reply r;
	int a, b, again, info, full;

	a = metrics_rule_slot(f->m, "A", "critical");
	b = metrics_rule_slot(f->m, "A", "notice");
	assert_true(a >= 0 && b >= 0 && a != b);
	metrics_alert_inc(f->m, a);
	/* A reload registers the same pair again: same slot, count kept. */
	again = metrics_rule_slot(f->m, "A", "Critical");
	assert_int_equal(again, a);
	assert_int_equal(metrics_alert_count(f->m, again), 1);
	info = metrics_rule_slot(f->m, "B", "info");
	assert_true(info >= 0);
	assert_true(metrics_rule_slot(f->m, "C", "debug") >= 0);
	/* The table is full: a new pair shares its priority's overflow slot. */
	full = metrics_rule_slot(f->m, "D", "error");
	assert_true(full >= 4);
	assert_int_equal(metrics_rule_slot(f->m, "E", "error"), full);
	metrics_alert_inc(f->m, full);
	metrics_alert_inc(f->m, metrics_rule_slot(f->m, "E", "error"));

	get(f, "/metrics", &r);
	assert_int_equal(sample(r.body, "credwatch_alerts_total{rule=\"A\",priority=\"critical\"}"), 1);
	assert_int_equal(sample(r.body, "credwatch_alerts_total{rule=\"A\",priority=\"notice\"}"), 0);
	assert_int_equal(sample(r.body, "credwatch_alerts_total{rule=\"B\",priority=\"informational\"}"), 0);
	assert_int_equal(sample(r.body,
		"credwatch_alerts_total{rule=\"_overflow\",priority=\"error\"}"), 2);
	/* Empty overflow slots are not exported. */
	assert_null(strstr(r.body, "rule=\"_overflow\",priority=\"debug\""));
	reply_free(&r);
}

static void test_metrics_rejects_unknown_priority_and_ignores_bad_labels(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(metrics_rule_slot(f->m, "A", "urgent"), -EINVAL);
	assert_int_equal(metrics_rule_slot(f->m, NULL, "debug"), -EINVAL);
	metrics_alert_inc(f->m, -EINVAL);	/* a failed lookup must not crash */
	metrics_alert_inc(f->m, 100000);
	metrics_inc(f->m, CW_M_EVENTS_TOTAL, CW_SYS__MAX);
	metrics_inc(f->m, CW_M_SPOOL_BYTES, 1);
	metrics_inc(f->m, CW_M__COUNT, 0);
	assert_int_equal(metrics_get(f->m, CW_M_SPOOL_BYTES, 0), 0);
	for (unsigned i = 0; i < CW_SYS__MAX; i++)
		assert_int_equal(metrics_get(f->m, CW_M_EVENTS_TOTAL, i), 0);
}

static void test_metrics_escapes_rule_label_values(void **state)
{
	struct fixture *f = *state;
	struct reply r;
	int slot = metrics_rule_slot(f->m, "say \"hi\"\\\nnow", "alert");

	metrics_alert_inc(f->m, slot);
	get(f, "/metrics", &r);
	assert_int_equal(sample(r.body,
		"credwatch_alerts_total{rule=\"say \\\"hi\\\"\\\\\\nnow\",priority=\"alert\"}"), 1);
	reply_free(&r);
}

struct hammer {
	struct metrics *m;
	int slot;
};

static void *hammer(void *arg)
{
	struct hammer *h = arg;

	for (int i = 0; i < 100000; i++) {
		metrics_inc(h->m, CW_M_EVENTS_TOTAL, CW_SYS_OPENAT);
		metrics_alert_inc(h->m, h->slot);
	}
	return NULL;
}

static void test_metrics_concurrent_updates_are_not_lost(void **state)
{
	struct fixture *f = *state;
	struct hammer h = { f->m, metrics_rule_slot(f->m, "R", "debug") };
	pthread_t t[4];
	struct reply r;

	for (int i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&t[i], NULL, hammer, &h), 0);
	get(f, "/metrics", &r);		/* scraping while they run */
	reply_free(&r);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	assert_int_equal(metrics_get(f->m, CW_M_EVENTS_TOTAL, CW_SYS_OPENAT), 400000);
	assert_int_equal(metrics_alert_count(f->m, h.slot), 400000);
}

static void test_healthz_503_until_attached_and_looping(void **state)
{
	struct fixture *f = *state;
	struct reply r;

	get(f, "/healthz", &r);
	assert_int_equal(r.status, 503);
	assert_string_equal(r.body, "not ok: no eBPF programs attached\n");
	reply_free(&r);

	metrics_set(f->m, CW_M_BPF_PROGRAMS_ATTACHED, 0, 7);
	get(f, "/healthz", &r);
	assert_int_equal(r.status, 503);
	assert_string_equal(r.body, "not ok: event loop has not started\n");
	reply_free(&r);

	metrics_heartbeat(f->m);
	get(f, "/healthz", &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body, "ok\n");
	reply_free(&r);

	get(f, "/metrics", &r);
	assert_true(sample(r.body, "credwatch_event_loop_heartbeat_timestamp_seconds") > 1600000000LL);
	assert_int_equal(sample(r.body, "credwatch_bpf_programs_attached"), 7);
	reply_free(&r);
}

static void test_healthz_503_when_heartbeat_is_stale(void **state)
{
	struct fixture *f = *state;
	struct timespec now;
	struct reply r;

	clock_gettime(CLOCK_MONOTONIC, &now);
	metrics_set(f->m, CW_M_BPF_PROGRAMS_ATTACHED, 0, 1);
	/* A heartbeat 60 s old, against the default 30 s limit. */
	metrics_heartbeat_at(f->m, ((uint64_t)now.tv_sec - 60) * 1000000000ull);
	get(f, "/healthz", &r);
	assert_int_equal(r.status, 503);
	assert_non_null(strstr(r.body, "not ok: event loop stalled: last heartbeat 6"));
	reply_free(&r);
}

static void test_readyz_503_until_discovery_done(void **state)
{
	struct fixture *f = *state;
	struct reply r;

	get(f, "/readyz", &r);
	assert_int_equal(r.status, 503);
	assert_string_equal(r.body, "not ready: start-up discovery not finished\n");
	reply_free(&r);
	metrics_set_ready(f->m, true);
	get(f, "/readyz", &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body, "ok\n");
	reply_free(&r);
	get(f, "/metrics", &r);
	assert_int_equal(sample(r.body, "credwatch_ready"), 1);
	reply_free(&r);
}

static void test_readyz_503_when_the_loop_falls_behind(void **state)
{
	struct fixture *f = *state;
	struct timespec now;
	struct reply r;

	clock_gettime(CLOCK_MONOTONIC, &now);
	metrics_set_ready(f->m, true);
	/* 10 s without a heartbeat: behind (not yet stalled for /healthz) */
	metrics_heartbeat_at(f->m, ((uint64_t)now.tv_sec - 10) * 1000000000ull);
	get(f, "/readyz", &r);
	assert_int_equal(r.status, 503);
	assert_non_null(strstr(r.body, "not ready: event loop behind: last heartbeat 1"));
	reply_free(&r);
	metrics_heartbeat(f->m);
	get(f, "/readyz", &r);
	assert_int_equal(r.status, 200);
	reply_free(&r);
}

static void test_metrics_pod_series_are_bounded(void **state)
{
	struct fixture *f = *state;
	struct reply r;
	int a, host, again, other = -1;

	a = metrics_pod_slot(f->m, "team-a", "web-1");
	host = metrics_pod_slot(f->m, "", "");
	assert_true(a >= 0 && host >= 0 && a != host);
	metrics_pod_add(f->m, CW_M_THROTTLED_TOTAL, a, 5);
	metrics_pod_add(f->m, CW_M_AGGREGATED_TOTAL, a, 1000);
	metrics_pod_add(f->m, CW_M_THROTTLED_TOTAL, host, 2);
	again = metrics_pod_slot(f->m, "team-a", "web-1");
	assert_int_equal(again, a);
	assert_int_equal(metrics_pod_get(f->m, CW_M_THROTTLED_TOTAL, a), 5);
	/* past CW_METRICS_POD_SLOTS pairs: one shared "_other" series */
	for (int i = 0; i < CW_METRICS_POD_SLOTS + 10; i++) {
		char name[32];

		snprintf(name, sizeof(name), "pod-%d", i);
		other = metrics_pod_slot(f->m, "flood", name);
		assert_true(other >= 0);
	}
	assert_int_equal(other, CW_METRICS_POD_SLOTS);
	metrics_pod_add(f->m, CW_M_THROTTLED_TOTAL, other, 3);
	metrics_pod_add(f->m, CW_M_THROTTLED_TOTAL, -ENOMEM, 3);	/* ignored */
	metrics_pod_add(f->m, CW_M_SPOOL_BYTES, a, 3);			/* not a pod family */
	get(f, "/metrics", &r);
	assert_int_equal(sample(r.body,
		"credwatch_throttled_total{namespace=\"team-a\",pod=\"web-1\"}"), 5);
	assert_int_equal(sample(r.body,
		"credwatch_aggregated_total{namespace=\"team-a\",pod=\"web-1\"}"), 1000);
	assert_int_equal(sample(r.body, "credwatch_throttled_total{namespace=\"\",pod=\"\"}"), 2);
	assert_int_equal(sample(r.body,
		"credwatch_throttled_total{namespace=\"_other\",pod=\"_other\"}"), 3);
	assert_null(strstr(r.body, "credwatch_aggregated_total{namespace=\"_other\""));
	reply_free(&r);
}

static void test_unknown_path_404_and_post_405(void **state)
{
	struct fixture *f = *state;
	struct reply r;

	get(f, "/", &r);
	assert_int_equal(r.status, 404);
	reply_free(&r);
	get(f, "/metrics/extra", &r);
	assert_int_equal(r.status, 404);
	reply_free(&r);
	fetch(f, "POST", "/metrics", &r);
	assert_int_equal(r.status, 405);
	reply_free(&r);
	fetch(f, "HEAD", "/healthz", &r);
	assert_int_equal(r.status, 503);
	reply_free(&r);
	/* A query string does not change the path. */
	get(f, "/metrics?x=1", &r);
	assert_int_equal(r.status, 200);
	reply_free(&r);
}

static void test_listen_parse_accepts_and_rejects(void **state)
{
	static const char *const good[] = {
		"127.0.0.1:8080", "0.0.0.0:0", ":9100", "[::1]:8080", "[::]:65535",
	};
	static const char *const bad[] = {
		"", "8080", "127.0.0.1", "127.0.0.1:", "127.0.0.1:65536", "127.0.0.1:-1",
		"127.0.0.1:80x", "localhost:8080", "::1:8080", "[::1]8080", "[]:80",
		"[::1]:", "1.2.3.4.5:80", "127.0.0.1: 80", "127.0.0.1:+80",
	};
	struct sockaddr_storage ss;
	socklen_t len;

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (health_parse_listen(good[i], &ss, &len))
			fail_msg("rejected good --listen '%s'", good[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (health_parse_listen(bad[i], &ss, &len) != -EINVAL)
			fail_msg("accepted bad --listen '%s'", bad[i]);
	assert_int_equal(health_parse_listen(NULL, &ss, &len), -EINVAL);
}

static void test_listen_on_busy_port_fails_with_eaddrinuse(void **state)
{
	struct fixture *f = *state;
	struct health *h = (struct health *)1;
	char addr[64];

	snprintf(addr, sizeof(addr), "127.0.0.1:%u", health_port(f->h));
	assert_int_equal(health_start(&h, addr, f->m, 0), -EADDRINUSE);
	assert_null(h);
	h = (struct health *)1;
	assert_int_equal(health_start(&h, "nonsense", f->m, 0), -EINVAL);
	assert_null(h);
}

/* promtool (Debian package prometheus) is the reference linter. */
static void test_metrics_pass_promtool_check(void **state)
{
	struct fixture *f = *state;
	struct reply r;
	FILE *p;
	int st;

	metrics_alert_inc(f->m, metrics_rule_slot(f->m, "Read SA token", "warning"));
	metrics_inc(f->m, CW_M_EVENTS_TOTAL, CW_SYS_OPENAT);
	get(f, "/metrics", &r);
	p = popen("promtool check metrics", "w");
	assert_non_null(p);
	fwrite(r.body, 1, r.len, p);
	st = pclose(p);
	reply_free(&r);
	if (!WIFEXITED(st) || WEXITSTATUS(st) == 127)
		fail_msg("promtool not found: install the Debian package prometheus (make deps)");
	if (WEXITSTATUS(st) != 0)
		fail_msg("promtool check metrics found problems (see above)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_metrics_every_family_has_help_and_type, setup, teardown),
		cmocka_unit_test_setup_teardown(test_metrics_counters_move_after_updates, setup, teardown),
		cmocka_unit_test_setup_teardown(test_metrics_rule_slots_survive_reload_and_overflow, setup, teardown),
		cmocka_unit_test_setup_teardown(test_metrics_rejects_unknown_priority_and_ignores_bad_labels, setup, teardown),
		cmocka_unit_test_setup_teardown(test_metrics_escapes_rule_label_values, setup, teardown),
		cmocka_unit_test_setup_teardown(test_metrics_concurrent_updates_are_not_lost, setup, teardown),
		cmocka_unit_test_setup_teardown(test_healthz_503_until_attached_and_looping, setup, teardown),
		cmocka_unit_test_setup_teardown(test_healthz_503_when_heartbeat_is_stale, setup, teardown),
		cmocka_unit_test_setup_teardown(test_readyz_503_until_discovery_done, setup, teardown),
		cmocka_unit_test_setup_teardown(test_readyz_503_when_the_loop_falls_behind, setup, teardown),
		cmocka_unit_test_setup_teardown(test_metrics_pod_series_are_bounded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_path_404_and_post_405, setup, teardown),
		cmocka_unit_test(test_listen_parse_accepts_and_rejects),
		cmocka_unit_test_setup_teardown(test_listen_on_busy_port_fails_with_eaddrinuse, setup, teardown),
		cmocka_unit_test_setup_teardown(test_metrics_pass_promtool_check, setup, teardown),
	};
	int ret;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	ret = cmocka_run_group_tests(tests, NULL, NULL);
	curl_global_cleanup();
	return ret;
}
