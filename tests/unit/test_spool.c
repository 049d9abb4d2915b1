// SPDX-License-Identifier: Apache-2.0
/* test_spool.c - spool framing, replay, acks, rotation, corruption and eviction. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "user/spool.h"

struct fix {
	char dir[64];
	struct spool_opts o;
};

static int setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));

	strcpy(f->dir, "/tmp/cw-spool-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	spool_opts_default(&f->o);
	f->o.dir = f->dir;
	f->o.fsync_ms = 0;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fix *f = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static void append_n(struct spool *s, int from, int n, size_t pad)
{
	char buf[4096];
	int i, len;

	for (i = from; i < from + n; i++) {
		len = snprintf(buf, sizeof(buf), "{\"uuid\":\"u-%06d\",\"pad\":\"%0*d\"}", i,
			       (int)pad, 0);
		assert_int_equal(spool_append(s, SPOOL_ALERT, buf, len), 0);
	}
}

struct got {
	int n;
	int ids[4096];
	struct spool_pos end;
};

static int collect(void *ctx, enum spool_kind kind, const char *p, size_t len,
		   const struct spool_pos *next)
{
	struct got *g = ctx;

	assert_int_equal(kind, SPOOL_ALERT);
	assert_true(len > 14);
	assert_memory_equal(p, "{\"uuid\":\"u-", 11);
	g->ids[g->n++] = atoi(p + 11);
	g->end = *next;
	return 0;
}

/* Read everything pending, in batches of at most batch records. */
static struct got *read_all(struct spool *s, size_t batch, bool ack)
{
	struct got *g = calloc(1, sizeof(*g));
	int n;

	do {
		int before = g->n;

		n = spool_read(s, batch, 1 << 20, collect, g);
		assert_true(n >= 0);
		assert_int_equal(g->n - before, n);
		if (n && ack)
			assert_int_equal(spool_ack(s, &g->end), 0);
	} while (n && ack);
	return g;
}

static int count_segments(const char *dir)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d)))
		n += strncmp(de->d_name, "seg-", 4) == 0;
	closedir(d);
	return n;
}

static void last_segment(const char *dir, char *path, size_t size)
{
	struct dirent *de;
	char best[256] = "";
	DIR *d = opendir(dir);

	assert_non_null(d);
	while ((de = readdir(d)))
		if (strncmp(de->d_name, "seg-", 4) == 0 && strcmp(de->d_name, best) > 0)
			snprintf(best, sizeof(best), "%s", de->d_name);
	closedir(d);
	assert_true(best[0]);
	snprintf(path, size, "%s/%s", dir, best);
}

static void test_spool_replays_unacked_after_reopen(void **state)
{
	struct fix *f = *state;
	struct spool *s;
	struct spool_stats st;
	struct got *g;
	int i;

	assert_int_equal(spool_open(&s, &f->o), 0);
	append_n(s, 0, 10, 10);
	g = calloc(1, sizeof(*g));
	assert_int_equal(spool_read(s, 4, 1 << 20, collect, g), 4);
	assert_int_equal(spool_ack(s, &g->end), 0);
	free(g);
	spool_stats(s, &st);
	assert_int_equal(st.pending, 6);
	spool_close(s);

	assert_int_equal(spool_open(&s, &f->o), 0);
	spool_stats(s, &st);
	assert_int_equal(st.pending, 6);
	g = read_all(s, 100, false);
	assert_int_equal(g->n, 6);
	for (i = 0; i < 6; i++)
		assert_int_equal(g->ids[i], 4 + i);
	free(g);
	spool_close(s);
}

/* the metrics' credwatch_spool_bytes: what waits for the backend, not the file sizes */
static void test_spool_pending_bytes_fall_to_zero_once_acked(void **state)
{
	struct fix *f = *state;
	struct spool_stats st;
	struct spool *s;
	struct got *g;

	assert_int_equal(spool_open(&s, &f->o), 0);
	append_n(s, 0, 10, 10);
	spool_stats(s, &st);
	assert_int_equal(st.pending_bytes, st.bytes);
	assert_true(st.bytes > 0);
	g = calloc(1, sizeof(*g));
	assert_int_equal(spool_read(s, 4, 1 << 20, collect, g), 4);
	assert_int_equal(spool_ack(s, &g->end), 0);
	spool_stats(s, &st);
	assert_int_equal(st.pending_bytes, st.bytes - g->end.off);
	free(g);
	g = read_all(s, 100, true);
	assert_int_equal(g->n, 6);
	free(g);
	spool_stats(s, &st);
	assert_int_equal(st.pending, 0);
	assert_int_equal(st.pending_bytes, 0);
	assert_true(st.bytes > 0);	/* the active segment is kept until it rotates */
	spool_close(s);

	/* and after a restart */
	assert_int_equal(spool_open(&s, &f->o), 0);
	spool_stats(s, &st);
	assert_int_equal(st.pending_bytes, 0);
	spool_close(s);
}

static void test_spool_read_without_ack_rereads_same_records(void **state)
{
	struct fix *f = *state;
	struct spool *s;
	struct got *a, *b;

	assert_int_equal(spool_open(&s, &f->o), 0);
	append_n(s, 0, 3, 1);
	a = read_all(s, 2, false);
	b = read_all(s, 2, false);
	assert_int_equal(a->n, 2);
	assert_int_equal(b->n, 2);
	assert_memory_equal(a->ids, b->ids, 2 * sizeof(int));
	free(a);
	free(b);
	spool_close(s);
}

static void test_spool_rotates_and_deletes_acked_segments(void **state)
{
	struct fix *f = *state;
	struct spool_stats st;
	struct spool *s;
	struct got *g;
	int i;

	f->o.segment_bytes = 4096;
	assert_int_equal(spool_open(&s, &f->o), 0);
	append_n(s, 0, 100, 200);
	assert_true(count_segments(f->dir) >= 5);
	g = read_all(s, 7, true);
	assert_int_equal(g->n, 100);
	for (i = 0; i < 100; i++)
		assert_int_equal(g->ids[i], i);
	free(g);
	/* only the active segment remains once everything is acknowledged */
	assert_int_equal(count_segments(f->dir), 1);
	spool_stats(s, &st);
	assert_int_equal(st.pending, 0);
	spool_close(s);

	assert_int_equal(spool_open(&s, &f->o), 0);
	spool_stats(s, &st);
	assert_int_equal(st.pending, 0);
	append_n(s, 100, 1, 1);
	g = read_all(s, 10, false);
	assert_int_equal(g->n, 1);
	assert_int_equal(g->ids[0], 100);
	free(g);
	spool_close(s);
}

static void test_spool_replays_after_torn_tail(void **state)
{
	struct fix *f = *state;
	static const unsigned char torn[] = { 0x43, 0x57, 0x52, 0x31, 100, 0, 0, 0, 1, 2, 3, 4, 1,
					      '{', '"', 'u' };
	struct spool_stats st;
	struct spool *s;
	struct stat sb;
	struct got *g;
	char path[256];
	off_t good;
	int fd, i;

	assert_int_equal(spool_open(&s, &f->o), 0);
	append_n(s, 0, 5, 10);
	spool_close(s);
	last_segment(f->dir, path, sizeof(path));
	assert_int_equal(stat(path, &sb), 0);
	good = sb.st_size;
	fd = open(path, O_WRONLY | O_APPEND);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, torn, sizeof(torn)), sizeof(torn));
	close(fd);

	assert_int_equal(spool_open(&s, &f->o), 0);
	spool_stats(s, &st);
	assert_int_equal(st.torn_tails, 1);
	assert_int_equal(st.torn_bytes, sizeof(torn));
	assert_int_equal(st.pending, 5);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_size, good);
	append_n(s, 5, 1, 10);
	g = read_all(s, 100, false);
	assert_int_equal(g->n, 6);
	for (i = 0; i < 6; i++)
		assert_int_equal(g->ids[i], i);
	free(g);
	spool_close(s);
}

static void test_spool_skips_corrupt_record_in_middle(void **state)
{
	struct fix *f = *state;
	static const int want[] = { 0, 1, 3, 4 };
	struct spool_stats st;
	struct spool *s;
	struct got *g;
	char path[256], c;
	off_t rec = SPOOL_HDR_BYTES + 38;	/* each record's payload is 38 bytes */
	int fd, i;

	assert_int_equal(spool_open(&s, &f->o), 0);
	append_n(s, 0, 5, 10);
	spool_close(s);
	last_segment(f->dir, path, sizeof(path));
	fd = open(path, O_RDWR);
	assert_true(fd >= 0);
	/* flip one payload byte of the third record: its CRC no longer matches */
	assert_int_equal(pread(fd, &c, 1, 2 * rec + SPOOL_HDR_BYTES + 20), 1);
	c ^= 0x55;
	assert_int_equal(pwrite(fd, &c, 1, 2 * rec + SPOOL_HDR_BYTES + 20), 1);
	close(fd);

	assert_int_equal(spool_open(&s, &f->o), 0);
	spool_stats(s, &st);
	assert_int_equal(st.corrupt_records, 1);
	assert_int_equal(st.corrupt_bytes, rec);
	assert_int_equal(st.torn_tails, 0);
	assert_int_equal(st.pending, 4);
	g = read_all(s, 100, false);
	assert_int_equal(g->n, 4);
	for (i = 0; i < 4; i++)
		assert_int_equal(g->ids[i], want[i]);
	free(g);
	spool_close(s);
}

static void test_spool_counts_evictions_exactly(void **state)
{
	struct fix *f = *state;
	struct spool_stats st;
	struct spool *s;
	struct got *g;
	int i;

	f->o.max_bytes = 16384;
	f->o.segment_bytes = 4096;
	assert_int_equal(spool_open(&s, &f->o), 0);
	append_n(s, 0, 10, 100);
	g = calloc(1, sizeof(*g));
	/* acknowledge 3 records: they must not count as evicted */
	assert_int_equal(spool_read(s, 3, 1 << 20, collect, g), 3);
	assert_int_equal(spool_ack(s, &g->end), 0);
	free(g);
	append_n(s, 10, 290, 100);
	spool_stats(s, &st);
	assert_true(st.bytes <= 16384);
	assert_true(st.evicted > 0);
	assert_int_equal(st.evicted + st.pending + 3, 300);
	assert_int_equal(st.evicted_unreported, st.evicted);
	g = read_all(s, 1000, false);
	assert_int_equal(g->n, st.pending);
	/* what is left is the newest records, none missing in between */
	for (i = 0; i < g->n; i++)
		assert_int_equal(g->ids[i], 300 - g->n + i);
	free(g);
	spool_close(s);

	/* the unreported count survives a restart until it is reported */
	assert_int_equal(spool_open(&s, &f->o), 0);
	assert_int_equal(spool_evicted_take(s), st.evicted);
	assert_int_equal(spool_evicted_done(s, st.evicted), 0);
	spool_close(s);
	assert_int_equal(spool_open(&s, &f->o), 0);
	assert_int_equal(spool_evicted_take(s), 0);
	spool_close(s);
}

static void test_spool_files_are_private(void **state)
{
	struct fix *f = *state;
	char dir[128], path[512];
	struct spool *s;
	struct stat sb;
	struct got *g;

	snprintf(dir, sizeof(dir), "%s/a/b/spool", f->dir);
	f->o.dir = dir;
	assert_int_equal(spool_open(&s, &f->o), 0);
	append_n(s, 0, 2, 1);
	g = read_all(s, 1, false);
	assert_int_equal(spool_ack(s, &g->end), 0);
	free(g);
	assert_int_equal(stat(dir, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0700);
	last_segment(dir, path, sizeof(path));
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	snprintf(path, sizeof(path), "%s/state", dir);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	spool_close(s);

	/* a spool directory left group/world-readable is tightened on open */
	assert_int_equal(chmod(dir, 0755), 0);
	assert_int_equal(spool_open(&s, &f->o), 0);
	assert_int_equal(stat(dir, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0700);
	spool_close(s);
}

static void test_spool_reports_disk_full_and_keeps_no_partial_record(void **state)
{
	struct fix *f = *state;
	struct rlimit old, lim;
	struct spool_stats st;
	struct spool *s;
	struct got *g;
	char big[3000];
	int err;

	/* RLIMIT_FSIZE makes write() fail like a full disk (EFBIG) without a mount */
	signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(spool_open(&s, &f->o), 0);
	append_n(s, 0, 3, 10);
	memset(big, 'x', sizeof(big));
	big[0] = '{';
	big[sizeof(big) - 1] = '}';
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	lim = old;
	lim.rlim_cur = 1024;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	err = spool_append(s, SPOOL_ALERT, big, sizeof(big));
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	assert_int_equal(err, -EFBIG);
	spool_stats(s, &st);
	assert_int_equal(st.append_errors, 1);
	assert_int_equal(st.disk_full, 1);
	assert_int_equal(st.pending, 3);
	append_n(s, 3, 1, 10);
	spool_close(s);

	assert_int_equal(spool_open(&s, &f->o), 0);
	spool_stats(s, &st);
	assert_int_equal(st.torn_tails, 0);
	assert_int_equal(st.corrupt_records, 0);
	g = read_all(s, 100, false);
	assert_int_equal(g->n, 4);
	assert_int_equal(g->ids[3], 3);
	free(g);
	spool_close(s);
}

static void test_spool_refuses_second_user(void **state)
{
	struct fix *f = *state;
	struct spool *a, *b;

	assert_int_equal(spool_open(&a, &f->o), 0);
	assert_int_equal(spool_open(&b, &f->o), -EBUSY);
	assert_null(b);
	spool_close(a);
	assert_int_equal(spool_open(&b, &f->o), 0);
	spool_close(b);
}

static void test_spool_rejects_bad_records(void **state)
{
	struct fix *f = *state;
	struct spool *s;
	char *big = calloc(1, SPOOL_RECORD_MAX + 1);

	assert_int_equal(spool_open(&s, &f->o), 0);
	assert_int_equal(spool_append(s, SPOOL_ALERT, "", 0), -EMSGSIZE);
	assert_int_equal(spool_append(s, SPOOL_ALERT, big, SPOOL_RECORD_MAX + 1), -EMSGSIZE);
	assert_int_equal(spool_append(s, (enum spool_kind)9, "{}", 2), -EINVAL);
	spool_close(s);
	free(big);
	spool_close(NULL);
}

static void test_spool_replays_everything_when_state_is_garbage(void **state)
{
	struct fix *f = *state;
	struct spool *s;
	struct got *g;
	char path[256];
	FILE *fp;

	assert_int_equal(spool_open(&s, &f->o), 0);
	append_n(s, 0, 4, 1);
	g = read_all(s, 2, false);
	assert_int_equal(spool_ack(s, &g->end), 0);
	free(g);
	spool_close(s);
	snprintf(path, sizeof(path), "%s/state", f->dir);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs("garbage\n", fp);
	fclose(fp);
	/* at-least-once: an untrusted cursor means resend, never skip */
	assert_int_equal(spool_open(&s, &f->o), 0);
	g = read_all(s, 100, false);
	assert_int_equal(g->n, 4);
	free(g);
	spool_close(s);
}

/*
 * Found by tests/fuzz/spool_reader: a state cursor past the end of its
 * segment (a tail cut at open, a stale or edited state file) made every
 * record appended to that segment look acknowledged, lost at the restart.
 */
static void test_spool_keeps_appends_after_cursor_past_segment_end(void **state)
{
	struct fix *f = *state;
	struct spool_stats st;
	struct spool *s;
	struct got *g;
	char path[256];
	FILE *fp;

	assert_int_equal(spool_open(&s, &f->o), 0);
	append_n(s, 0, 2, 1);
	spool_close(s);
	snprintf(path, sizeof(path), "%s/state", f->dir);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs("credwatch-spool 1 1 1000000 0\n", fp);	/* segment 1 is ~80 bytes */
	fclose(fp);
	assert_int_equal(spool_open(&s, &f->o), 0);
	append_n(s, 7, 1, 1);
	spool_close(s);
	assert_int_equal(spool_open(&s, &f->o), 0);
	spool_stats(s, &st);
	assert_int_equal(st.pending, 1);
	g = read_all(s, 100, true);
	assert_int_equal(g->n, 1);
	assert_int_equal(g->ids[0], 7);
	free(g);
	spool_close(s);
}

/* Acks walk only the batch they cover; pending must stay exact across many of them. */
static void test_spool_pending_exact_across_batched_acks(void **state)
{
	struct fix *f = *state;
	struct spool_stats st;
	struct spool *s;
	struct got *g;
	int acked = 0, n;

	assert_int_equal(spool_open(&s, &f->o), 0);
	append_n(s, 0, 1000, 20);
	g = calloc(1, sizeof(*g));
	while ((n = spool_read(s, 37, 1 << 20, collect, g)) > 0) {
		assert_int_equal(spool_ack(s, &g->end), 0);
		acked += n;
		spool_stats(s, &st);
		assert_int_equal(st.pending, 1000 - acked);
		if (acked >= 500)
			break;
	}
	free(g);
	spool_close(s);

	/* reopened, the cursor sits mid-segment: the next acks count from there */
	assert_int_equal(spool_open(&s, &f->o), 0);
	spool_stats(s, &st);
	assert_int_equal(st.pending, 1000 - acked);
	g = calloc(1, sizeof(*g));
	while ((n = spool_read(s, 37, 1 << 20, collect, g)) > 0) {
		assert_int_equal(spool_ack(s, &g->end), 0);
		acked += n;
		spool_stats(s, &st);
		assert_int_equal(st.pending, 1000 - acked);
	}
	assert_int_equal(acked, 1000);
	assert_int_equal(g->ids[g->n - 1], 999);
	free(g);
	spool_close(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_spool_replays_unacked_after_reopen, setup, teardown),
		cmocka_unit_test_setup_teardown(test_spool_pending_bytes_fall_to_zero_once_acked, setup, teardown),
		cmocka_unit_test_setup_teardown(test_spool_read_without_ack_rereads_same_records, setup, teardown),
		cmocka_unit_test_setup_teardown(test_spool_rotates_and_deletes_acked_segments, setup, teardown),
		cmocka_unit_test_setup_teardown(test_spool_replays_after_torn_tail, setup, teardown),
		cmocka_unit_test_setup_teardown(test_spool_skips_corrupt_record_in_middle, setup, teardown),
		cmocka_unit_test_setup_teardown(test_spool_counts_evictions_exactly, setup, teardown),
		cmocka_unit_test_setup_teardown(test_spool_files_are_private, setup, teardown),
		cmocka_unit_test_setup_teardown(test_spool_reports_disk_full_and_keeps_no_partial_record, setup, teardown),
		cmocka_unit_test_setup_teardown(test_spool_refuses_second_user, setup, teardown),
		cmocka_unit_test_setup_teardown(test_spool_rejects_bad_records, setup, teardown),
		cmocka_unit_test_setup_teardown(test_spool_replays_everything_when_state_is_garbage, setup, teardown),
		cmocka_unit_test_setup_teardown(test_spool_keeps_appends_after_cursor_past_segment_end, setup, teardown),
		cmocka_unit_test_setup_teardown(test_spool_pending_exact_across_batched_acks, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
