// SPDX-License-Identifier: Apache-2.0
/*
 * test_throttle.c - per-pod counts of the kernel's refusals: growth of
 * cumulative counters, the flood alert's rate limit (first at once, then
 * once per interval with the interval's count, the rest at exit), metrics
 * and the exit summary.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <cjson/cJSON.h>

#include "user/throttle.h"

#define SEC 1000000000ULL

struct seen {
	struct throttle_alert a[8];
	char pods[8][64];
	int n;
};

/* cgroup 100, 101: pod team-a/web-1 (two containers); 200: the host */
static bool pod(void *ctx, uint64_t cg, char *uid, size_t us, char *ns, size_t ns_size,
		char *name, size_t name_size)
{
	(void)ctx;
	if (cg == 200)
		return false;
	snprintf(uid, us, "uid-a");
	snprintf(ns, ns_size, "team-a");
	snprintf(name, name_size, "web-1");
	return true;
}

static void alert(void *ctx, const struct throttle_alert *a)
{
	struct seen *s = ctx;

	assert_true(s->n < 8);
	s->a[s->n] = *a;
	snprintf(s->pods[s->n], sizeof(s->pods[0]), "%s/%s", a->ns, a->pod);
	s->n++;
}

static struct throttle *new_throttle(struct seen *s, struct metrics *m)
{
	struct throttle_opts o = { .interval_ns = 60 * SEC, .rate = 73, .burst = 146,
				   .metrics = m, .pod = pod, .alert = alert, .ctx = s };
	struct throttle *t;

	assert_int_equal(throttle_new(&t, &o), 0);
	return t;
}

static void observe(struct throttle *t, uint64_t cg, uint64_t thr, uint64_t res, uint64_t first)
{
	struct cw_budget b = { .throttled = thr, .reserve = res, .first_reads = first };

	assert_int_equal(throttle_observe(t, cg, &b), 0);
}

static void test_throttle_alerts_first_then_once_per_interval(void **state)
{
	struct seen s = { 0 };
	struct throttle *t = new_throttle(&s, NULL);
	struct throttle_stats st;

	(void)state;
	observe(t, 100, 0, 0, 0);
	throttle_tick(t, 1 * SEC, false);
	assert_int_equal(s.n, 0);		/* nothing refused: no alert */
	observe(t, 100, 500, 20, 1);
	observe(t, 101, 30, 0, 0);		/* the pod's other container */
	throttle_tick(t, 2 * SEC, false);
	assert_int_equal(s.n, 1);		/* at once, the first time */
	assert_string_equal(s.pods[0], "team-a/web-1");
	assert_string_equal(s.a[0].pod_uid, "uid-a");
	assert_int_equal(s.a[0].throttled, 530);
	assert_int_equal(s.a[0].reserve, 20);
	assert_int_equal(s.a[0].first_reads, 1);
	assert_int_equal(s.a[0].window_s, 0);
	assert_int_equal(s.a[0].rate, 73);
	/* cumulative counters: only the growth counts */
	observe(t, 100, 900, 20, 1);
	throttle_tick(t, 30 * SEC, false);
	assert_int_equal(s.n, 1);		/* within the interval: held */
	observe(t, 100, 1000, 20, 1);
	throttle_tick(t, 62 * SEC, false);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.a[1].throttled, 500);
	assert_int_equal(s.a[1].window_s, 60);
	assert_int_equal(s.a[1].total, 1050);
	/* at exit, whatever is pending, however recent */
	observe(t, 100, 1007, 20, 1);
	throttle_tick(t, 63 * SEC, false);
	assert_int_equal(s.n, 2);
	throttle_tick(t, 64 * SEC, true);
	assert_int_equal(s.n, 3);
	assert_int_equal(s.a[2].throttled, 7);
	throttle_stats(t, &st);
	assert_int_equal(st.throttled, 1037);
	assert_int_equal(st.reserve, 20);
	assert_int_equal(st.pods_refused, 1);
	assert_int_equal(st.alerts, 3);
	throttle_free(t);
}

static void test_throttle_counter_restart_counts_whole_value(void **state)
{
	struct seen s = { 0 };
	struct throttle *t = new_throttle(&s, NULL);
	struct throttle_stats st;

	(void)state;
	observe(t, 200, 100, 0, 0);
	observe(t, 200, 40, 0, 0);	/* the kernel's LRU made the bucket anew */
	throttle_tick(t, 1 * SEC, false);
	throttle_stats(t, &st);
	assert_int_equal(st.throttled, 140);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.a[0].pod_uid, "");	/* the host */
	assert_int_equal(s.a[0].cgroup_id, 200);
	throttle_free(t);
}

static void test_throttle_metrics_and_summary(void **state)
{
	struct seen s = { 0 };
	struct metrics *m = NULL;
	struct throttle *t;
	struct cw_record rec;
	struct jbuf jb;
	cJSON *o, *arr;
	int slot;

	(void)state;
	assert_int_equal(metrics_new(&m, 0), 0);
	assert_non_null(m);
	t = new_throttle(&s, m);
	observe(t, 100, 50, 5, 0);
	observe(t, 200, 3, 0, 0);
	record_reset(&rec);
	snprintf(rec.pod_uid, sizeof(rec.pod_uid), "uid-a");
	snprintf(rec.ns_name, sizeof(rec.ns_name), "team-a");
	snprintf(rec.pod_name, sizeof(rec.pod_name), "web-1");
	rec.count = 999;
	throttle_aggregated(t, &rec);
	slot = metrics_pod_slot(m, "team-a", "web-1");
	assert_int_equal(metrics_pod_get(m, CW_M_THROTTLED_TOTAL, slot), 55);
	assert_int_equal(metrics_pod_get(m, CW_M_AGGREGATED_TOTAL, slot), 999);
	assert_int_equal(metrics_pod_get(m, CW_M_THROTTLED_TOTAL, metrics_pod_slot(m, "", "")), 3);
	jbuf_init(&jb);
	jbuf_obj_begin(&jb);
	throttle_summary(t, &jb);
	jbuf_obj_end(&jb);
	o = cJSON_Parse(jb.buf);
	assert_non_null(o);
	arr = cJSON_GetObjectItem(o, "by_pod");
	assert_int_equal(cJSON_GetArraySize(arr), 2);
	/* most refused first */
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(arr, 0), "k8s.pod.name")->valuestring,
			    "web-1");
	assert_int_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(arr, 0), "throttled")->valueint, 50);
	assert_int_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(arr, 0), "reserve")->valueint, 5);
	assert_int_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(arr, 0), "aggregated")->valueint, 999);
	cJSON_Delete(o);
	jbuf_free(&jb);
	throttle_free(t);
	metrics_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_throttle_alerts_first_then_once_per_interval),
		cmocka_unit_test(test_throttle_counter_restart_counts_whole_value),
		cmocka_unit_test(test_throttle_metrics_and_summary),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
