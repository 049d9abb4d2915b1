// SPDX-License-Identifier: Apache-2.0
/*
 * test_repeats.c - the agent's half of repeat aggregation against a fake
 * kernel map: every repeat is delivered once with the first record's
 * attribution, owed counts follow a newer full event, evicted and idle
 * keys are forgotten, and a full table gives up its oldest key.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "user/repeats.h"

#define MS 1000000ULL
#define WINDOW (1000 * MS)

/* The fake kernel: a few keys with their counters. */
struct fake {
	struct cw_repeat_key keys[8];
	struct cw_repeat_val vals[8];
	bool present[8];
	int deleted;
	/* what was emitted */
	uint64_t counts[16], times[16];
	char names[16][32];
	int nemit;
};

static int fake_find(struct fake *f, const struct cw_repeat_key *k)
{
	for (int i = 0; i < 8; i++)
		if (f->present[i] && !memcmp(&f->keys[i], k, sizeof(*k)))
			return i;
	return -1;
}

static int lookup(void *ctx, const struct cw_repeat_key *k, struct cw_repeat_val *v)
{
	struct fake *f = ctx;
	int i = fake_find(f, k);

	if (i < 0)
		return -ENOENT;
	*v = f->vals[i];
	return 0;
}

static void del(void *ctx, const struct cw_repeat_key *k)
{
	struct fake *f = ctx;
	int i = fake_find(f, k);

	if (i >= 0)
		f->present[i] = false;
	f->deleted++;
}

static void emit(void *ctx, struct cw_record *rec)
{
	struct fake *f = ctx;

	assert_true(f->nemit < 16);
	f->counts[f->nemit] = rec->count;
	f->times[f->nemit] = rec->time_ns;
	snprintf(f->names[f->nemit], sizeof(f->names[0]), "%s", rec->proc_cmdline);
	f->nemit++;
}

static struct cw_event *event(uint32_t tgid, uint64_t ts, uint64_t repeats)
{
	static struct cw_event e;

	memset(&e, 0, sizeof(e));
	e.ino = 42;
	e.dev = 7;
	e.cgroup_id = 1000;
	e.exec_id = 3;
	e.tgid = tgid;
	e.uid = 1001;
	e.f_mode = 0x1d;	/* FMODE_READ and other bits: only READ|WRITE count */
	e.syscall = CW_SYS_OPENAT;
	e.ts_ns = ts;
	e.repeats = repeats;
	return &e;
}

static struct cw_record *record(const char *cmdline)
{
	static struct cw_record rec;

	record_reset(&rec);
	rec.pid = 5;
	snprintf(rec.proc_cmdline, sizeof(rec.proc_cmdline), "%s", cmdline);
	snprintf(rec.pod_name, sizeof(rec.pod_name), "web-1");
	return &rec;
}

/* What the kernel holds for the key of e: count repeats, last at last_ns. */
static int fake_set(struct fake *f, const struct cw_event *e, uint64_t first, uint64_t last,
		    uint64_t count)
{
	struct cw_repeat_key k;
	int i;

	repeats_key(e, &k);
	i = fake_find(f, &k);
	for (int j = 0; i < 0 && j < 8; j++)
		if (!f->present[j])
			i = j;
	f->keys[i] = k;
	f->vals[i] = (struct cw_repeat_val){ .first_ns = first, .last_ns = last, .count = count };
	f->present[i] = true;
	return i;
}

static struct repeats *new_repeats(struct fake *f, size_t max)
{
	struct repeats_opts o = { .max_keys = max, .window_ns = WINDOW, .lookup = lookup,
				  .del = del, .emit = emit, .ctx = f };
	struct repeats *r;

	assert_int_equal(repeats_new(&r, &o), 0);
	return r;
}

static void test_repeats_key_matches_the_kernels(void **state)
{
	struct cw_repeat_key k;

	(void)state;
	repeats_key(event(77, 1, 0), &k);
	assert_int_equal(k.ino, 42);
	assert_int_equal(k.dev, 7);
	assert_int_equal(k.cgroup_id, 1000);
	assert_int_equal(k.exec_id, 3);
	assert_int_equal(k.tgid, 77);
	assert_int_equal(k.uid, 1001);
	assert_int_equal(k.mode, 1);		/* f_mode & FMODE_READ|FMODE_WRITE */
	assert_int_equal(k.syscall, CW_SYS_OPENAT);
	assert_int_equal(k.cred_id, event(77, 1, 0)->cred_id);
	assert_int_equal(k.pad, 0);
}

/*
 * A deleted pod's tmpfs device and inode numbers come back for the next
 * pod: the same (dev, ino) read by the same process is another credential,
 * so another key (a full event), never a repeat of the old one.
 */
static void test_repeats_key_tells_credentials_apart(void **state)
{
	struct cw_event e = *event(77, 1, 0);
	struct cw_repeat_key a, b;

	(void)state;
	repeats_key(&e, &a);
	e.cred_id++;
	repeats_key(&e, &b);
	assert_int_not_equal(memcmp(&a, &b, sizeof(a)), 0);
}

/* An environ read is keyed by whose environment: the owner's cgroup, as the kernel does. */
static void test_repeats_key_of_environ_is_the_owner_cgroup(void **state)
{
	struct cw_event e = *event(77, 1, 0);
	struct cw_repeat_key k;

	(void)state;
	e.flags |= CW_EVF_ENVIRON;
	e.owner_cgroup_id = 5555;
	e.owner_tgid = 900;
	repeats_key(&e, &k);
	assert_int_equal(k.ino, 5555);
	assert_int_equal(k.dev, CW_ENVIRON_DEV);
	assert_int_equal(k.cgroup_id, 1000);	/* the reader's, as for any open */
	assert_int_equal(k.tgid, 77);
	e.cred_id = CW_CRED_ID_NONE;
	repeats_key(&e, &k);
	assert_int_equal(k.cred_id, CW_CRED_ID_NONE);	/* the kernel's cred_id for environ */
}

static void test_repeats_delivers_growth_once_with_first_attribution(void **state)
{
	struct fake f = { 0 };
	struct repeats *r = new_repeats(&f, 0);
	struct repeats_stats st;
	const struct cw_event *e = event(77, 100 * MS, 0);

	(void)state;
	repeats_first(r, e, record("cat token"), 0);
	fake_set(&f, e, 100 * MS, 300 * MS, 40);
	repeats_flush(r, 400 * MS, 5, false);
	assert_int_equal(f.nemit, 1);
	assert_int_equal(f.counts[0], 40);
	assert_int_equal(f.times[0], 300 * MS + 5);	/* the latest repeat, wall clock */
	assert_string_equal(f.names[0], "cat token");
	/* nothing new: nothing emitted */
	repeats_flush(r, 500 * MS, 5, false);
	assert_int_equal(f.nemit, 1);
	fake_set(&f, e, 100 * MS, 600 * MS, 45);
	repeats_flush(r, 700 * MS, 5, false);
	assert_int_equal(f.nemit, 2);
	assert_int_equal(f.counts[1], 5);
	repeats_stats(r, &st);
	assert_int_equal(st.delivered, 45);
	assert_int_equal(st.records, 2);
	assert_int_equal(st.keys, 1);
	repeats_free(r);
}

static void test_repeats_newer_full_event_settles_the_old_record(void **state)
{
	struct fake f = { 0 };
	struct repeats *r = new_repeats(&f, 0);
	const struct cw_event *e = event(77, 100 * MS, 0);
	struct repeats_stats st;

	(void)state;
	repeats_first(r, e, record("first"), 0);
	/* idle past the window, then a new full event restarted the kernel's entry */
	fake_set(&f, e, 5000 * MS, 5200 * MS, 12);
	repeats_flush(r, 5300 * MS, 0, false);
	assert_int_equal(f.nemit, 0);		/* the 12 wait for the full event */
	repeats_stats(r, &st);
	assert_int_equal(st.owed, 12);
	/* the full event says 10 were counted before it: those are the old record's */
	repeats_first(r, event(77, 5000 * MS, 10), record("second"), 0);
	assert_int_equal(f.nemit, 1);
	assert_int_equal(f.counts[0], 10);
	assert_string_equal(f.names[0], "first");
	repeats_flush(r, 5400 * MS, 0, false);
	assert_int_equal(f.nemit, 2);
	assert_int_equal(f.counts[1], 2);
	assert_string_equal(f.names[1], "second");
	repeats_stats(r, &st);
	assert_int_equal(st.delivered, 12);
	assert_int_equal(st.owed, 0);
	repeats_free(r);
}

static void test_repeats_forgets_evicted_and_idle_keys(void **state)
{
	struct fake f = { 0 };
	struct repeats *r = new_repeats(&f, 0);
	const struct cw_event *a = event(1, 100 * MS, 0);
	struct repeats_stats st;

	(void)state;
	repeats_first(r, a, record("a"), 0);
	repeats_first(r, event(2, 100 * MS, 0), record("b"), 0);
	fake_set(&f, event(2, 0, 0), 100 * MS, 100 * MS, 0);
	/* a: evicted by the kernel's LRU (never in the fake map) */
	repeats_flush(r, 200 * MS, 0, false);
	repeats_stats(r, &st);
	assert_int_equal(st.evicted, 1);
	assert_int_equal(st.keys, 1);
	/* b: idle for longer than window + grace: forgotten here, kept there */
	repeats_flush(r, 100 * MS + WINDOW + REPEATS_GRACE_NS + 1, 0, false);
	repeats_stats(r, &st);
	assert_int_equal(st.keys, 0);
	assert_int_equal(f.deleted, 0);
	/* the kernel recreated a's key: the new full event says 0 */
	repeats_first(r, event(1, 900 * MS, 0), record("a2"), 0);
	repeats_stats(r, &st);
	assert_int_equal(st.keys, 1);
	repeats_free(r);
}

static void test_repeats_final_flush_delivers_everything(void **state)
{
	struct fake f = { 0 };
	struct repeats *r = new_repeats(&f, 0);
	const struct cw_event *e = event(9, 100 * MS, 0);
	struct repeats_stats st;

	(void)state;
	repeats_first(r, e, record("x"), 0);
	/* a newer full event that will never arrive (the agent is stopping) */
	fake_set(&f, e, 900 * MS, 950 * MS, 7);
	repeats_flush(r, 1000 * MS, 0, true);
	assert_int_equal(f.nemit, 1);
	assert_int_equal(f.counts[0], 7);
	repeats_stats(r, &st);
	assert_int_equal(st.keys, 1);		/* final forgets nothing */
	repeats_free(r);
}

static void test_repeats_full_table_gives_up_the_oldest(void **state)
{
	struct fake f = { 0 };
	struct repeats *r = new_repeats(&f, 2);
	struct repeats_stats st;

	(void)state;
	repeats_first(r, event(1, 100 * MS, 0), record("one"), 0);
	fake_set(&f, event(1, 0, 0), 100 * MS, 150 * MS, 3);
	repeats_first(r, event(2, 110 * MS, 0), record("two"), 0);
	repeats_first(r, event(3, 120 * MS, 0), record("three"), 0);
	/* "one" was settled (its 3 delivered) and removed on both sides */
	assert_int_equal(f.nemit, 1);
	assert_int_equal(f.counts[0], 3);
	assert_string_equal(f.names[0], "one");
	assert_int_equal(f.deleted, 1);
	repeats_stats(r, &st);
	assert_int_equal(st.keys, 2);
	assert_int_equal(st.given_up, 1);
	repeats_free(r);
}

static void test_repeats_refuses_a_zero_window(void **state)
{
	struct repeats_opts o = { .window_ns = 0, .lookup = lookup, .emit = emit };
	struct repeats *r;

	(void)state;
	assert_int_equal(repeats_new(&r, &o), -EINVAL);
	assert_null(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_repeats_key_matches_the_kernels),
		cmocka_unit_test(test_repeats_key_of_environ_is_the_owner_cgroup),
		cmocka_unit_test(test_repeats_key_tells_credentials_apart),
		cmocka_unit_test(test_repeats_delivers_growth_once_with_first_attribution),
		cmocka_unit_test(test_repeats_newer_full_event_settles_the_old_record),
		cmocka_unit_test(test_repeats_forgets_evicted_and_idle_keys),
		cmocka_unit_test(test_repeats_final_flush_delivers_everything),
		cmocka_unit_test(test_repeats_full_table_gives_up_the_oldest),
		cmocka_unit_test(test_repeats_refuses_a_zero_window),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
