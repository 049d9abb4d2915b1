// SPDX-License-Identifier: Apache-2.0
/* test_dump.c - trace dumps: round trip, rotation, keep, damaged input. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <cmocka.h>

#include "user/dump.h"
#include "user/dump_format.h"
#include "user/fields.h"

#define NREC 300

struct damage_log {
	int count;
	uint64_t offset[32];
	char what[32][512];
	char file[32][4096];
};

static void on_damage(void *ctx, const char *file, uint64_t offset, const char *what)
{
	struct damage_log *d = ctx;

	if (d->count < 32) {
		d->offset[d->count] = offset;
		snprintf(d->what[d->count], sizeof(d->what[0]), "%s", what);
		snprintf(d->file[d->count], sizeof(d->file[0]), "%s", file);
	}
	d->count++;
}

static char *make_tmpdir(void)
{
	char *t = strdup("/tmp/test_dump.XXXXXX");

	assert_non_null(mkdtemp(t));
	return t;
}

static void rm_rf(const char *dir)
{
	char cmd[4200];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

/* A string of exactly len bytes for field id i, hostile on odd seeds. */
static void fill_str(char *buf, size_t len, int seed)
{
	static const char hostile[] = "\"\\\n\t\x1b[31m\x7f\xff\xc3\x28\xe2\x82\xac<>";

	for (size_t k = 0; k < len; k++)
		buf[k] = (seed & 1) ? hostile[(k + (size_t)seed) % (sizeof(hostile) - 1)]
				    : (char)('a' + (k + (size_t)seed) % 26);
	buf[len] = '\0';
}

/* Every field set; strings as long as their buffers allow on seed % 7 == 0. */
static void fill_record(struct cw_record *rec, int seed)
{
	static char s[8192];

	record_reset(rec);
	for (int id = 0; id < CW_F__COUNT; id++) {
		const struct cw_field_info *fi = field_info(id);
		int last = fi->indexed ? CW_ANCESTORS : 0;

		for (int idx = 0; idx <= last; idx++) {
			switch (fi->type) {
			case CW_FT_STR:
				if (id == CW_F_EVT_TYPE) {
					field_set_str(rec, id, 0, seed % 2 ? "openat2" : "io_uring_openat");
					break;
				}
				/* 4095 is as long as record_strlcpy keeps in the smallest path buffer */
				fill_str(s, seed % 7 == 0 ? 4200 : (size_t)(5 + (seed + id) % 40),
					 seed + id + idx);
				assert_int_equal(field_set_str(rec, id, idx, s), 0);
				break;
			case CW_FT_U64:
				field_set_u64(rec, id, idx, (uint64_t)seed * 0x10001ull + (uint64_t)id +
					      (seed % 5 == 0 ? UINT64_MAX - 100 : 0));
				break;
			case CW_FT_S64:
				field_set_u64(rec, id, idx, (uint64_t)(int64_t)(seed % 3 ? -13 : seed));
				break;
			case CW_FT_BOOL:
				field_set_u64(rec, id, idx, (uint64_t)(seed % 2));
				break;
			}
		}
	}
	rec->time_ns = 1700000000000000000ull + (uint64_t)seed * 1000;
	/* some records leave fields unknown, so delta coding must clear them */
	if (seed % 4 == 3) {
		field_set_str(rec, CW_F_K8S_POD_NAME, 0, "");
		field_set_str(rec, CW_F_PROC_ANAME, 4, "");
		field_set_u64(rec, CW_F_PROC_APID, 5, 0);
		field_set_u64(rec, CW_F_CRED_SAME_POD, 0, (uint64_t)(int64_t)CW_UNKNOWN);
		rec->syscall = 0;
	}
}

static void assert_records_equal(const struct cw_record *a, const struct cw_record *b)
{
	struct cw_value va, vb;

	for (int id = 0; id < CW_F__COUNT; id++) {
		const struct cw_field_info *fi = field_info(id);
		int last = fi->indexed ? CW_ANCESTORS : 0;

		for (int idx = 0; idx <= last; idx++) {
			field_get(a, id, idx, &va);
			field_get(b, id, idx, &vb);
			if (va.is_set != vb.is_set)
				fail_msg("%s[%d]: is_set %d != %d", fi->name, idx, va.is_set, vb.is_set);
			if (!va.is_set)
				continue;
			if (fi->type == CW_FT_STR)
				assert_string_equal(va.str, vb.str);
			else if (fi->type == CW_FT_S64)
				assert_int_equal(va.s64, vb.s64);
			else
				assert_int_equal(va.u64, vb.u64);
		}
	}
}

static void writer_opts(struct dump_opts *o, const char *dir)
{
	dump_opts_default(o);
	o->dir = dir;
	o->hostname = "node-1";
	o->agent_version = "9.9.9";
}

static int count_files(const char *dir, char names[][64], int max)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (n < max)
			snprintf(names[n], 64, "%.63s", de->d_name);
		n++;
	}
	closedir(d);
	return n;
}

static uint64_t fake_clock(void *ctx)
{
	return *(uint64_t *)ctx;
}

/*
 * The finding line write_fixture records after event seed: hostile bytes
 * (escapes, a raw newline, invalid UTF-8) and, on seed 45, 200 KiB long.
 * The dump stores the line opaquely, so it need not even be JSON.
 */
static size_t fixture_finding(int seed, char *buf, size_t size)
{
	int n = snprintf(buf, size, "{\"kind\":\"finding\",\"id\":\"cwf-%016x\","
			 "\"status\":\"%s\",\"evidence\":\"q\\\"\\u001b\n\xff\"",
			 (unsigned)seed * 2654435761u, seed % 2 ? "resolved" : "open");
	size_t len = (size_t)n;

	if (seed == 45)
		for (; len < (200u << 10) - 1 && len + 2 < size; len++)
			buf[len] = (char)('a' + len % 26);
	buf[len++] = '}';
	buf[len] = '\0';
	return len;
}

#define FINDING_BUF (256u << 10)

/*
 * Write NREC events (every 10th also as an alert, every 15th followed by a
 * finding) with the given block size: the three record types interleaved.
 */

static void write_fixture(const char *dir, uint32_t block_bytes, char *path_out)
{
	struct dump_writer *w;
	struct cw_record rec;
	struct dump_opts o;
	uint64_t now = 1700000000000000000ull;
	char json[128], *finding = malloc(FINDING_BUF);
	size_t flen;

	assert_non_null(finding);
	writer_opts(&o, dir);
	o.block_bytes = block_bytes;
	o.clock_ns = fake_clock;	/* alerts without an event take the clock's time */
	o.clock_ctx = &now;
	assert_int_equal(dump_writer_open(&w, &o), 0);
	for (int i = 0; i < NREC; i++) {
		now = 1700000000000000000ull + (uint64_t)i * 1000;
		fill_record(&rec, i);
		assert_int_equal(dump_write_event(w, &rec), 0);
		if (i % 10 == 0) {
			snprintf(json, sizeof(json), "{\"rule\":\"r%d\",\"output\":\"x\\u001b\"}", i);
			assert_int_equal(dump_write_alert(w, i % 20 ? &rec : NULL, json), 0);
		}
		if (i % 15 == 0) {
			flen = fixture_finding(i, finding, FINDING_BUF);
			assert_int_equal(dump_write_finding(w, finding, flen), 0);
		}
	}
	if (path_out)
		snprintf(path_out, 4096, "%s", dump_writer_path(w));
	{
		struct dump_writer_stats st;

		dump_writer_stats(w, &st);
		assert_int_equal(st.events, NREC);
		assert_int_equal(st.alerts, NREC / 10);
		assert_int_equal(st.findings, NREC / 15);
		assert_int_equal(st.dropped, 0);
	}
	assert_int_equal(dump_writer_close(w), 0);
	free(finding);
}

/*
 * Read everything; check each record against what write_fixture wrote, and
 * that each seed's event, alert and finding come in the order written.
 */
static void read_and_check(const char *path, struct damage_log *dl, int *events,
			   int *first_seed)
{
	struct dump_reader_opts ro = { .on_damage = on_damage, .ctx = dl };
	struct dump_reader_stats st;
	struct dump_reader *r;
	struct dump_item it;
	struct cw_record want;
	char *finding = malloc(FINDING_BUF);
	int ret, last = -1, findings = 0, last_type = 0;

	assert_non_null(finding);
	*events = 0;
	*first_seed = -1;
	assert_int_equal(dump_reader_open(&r, path, &ro), 0);
	while ((ret = dump_reader_next(r, &it)) == 1) {
		int seed = (int)((it.time_ns - 1700000000000000000ull) / 1000);

		assert_true(seed >= 0 && seed < NREC);
		if (it.type == DUMP_REC_FINDING) {
			size_t flen = fixture_finding(seed, finding, FINDING_BUF);

			assert_int_equal(seed % 15, 0);
			assert_int_equal(seed, last);	/* right after its event (and alert) */
			assert_true(last_type == DUMP_REC_EVENT || last_type == DUMP_REC_ALERT);
			assert_null(it.rec);
			assert_null(it.alert_json);
			assert_int_equal(it.finding_len, flen);
			assert_memory_equal(it.finding_json, finding, flen);
			assert_int_equal(it.finding_json[flen], '\0');
			findings++;
			last_type = DUMP_REC_FINDING;
			continue;
		}
		last_type = it.type;
		assert_null(it.finding_json);
		if (it.type == DUMP_REC_EVENT) {
			assert_true(seed > last);	/* in order, each once */
			last = seed;
			if (*first_seed < 0)
				*first_seed = seed;
			(*events)++;
		} else {
			char json[128];

			assert_int_equal(it.type, DUMP_REC_ALERT);
			snprintf(json, sizeof(json), "{\"rule\":\"r%d\",\"output\":\"x\\u001b\"}", seed);
			assert_string_equal(it.alert_json, json);
			assert_int_equal(it.alert_len, strlen(json));
			if (seed % 20 == 0) {
				assert_null(it.rec);
				continue;
			}
			assert_non_null(it.rec);
		}
		fill_record(&want, seed);
		assert_records_equal(&want, it.rec);
		assert_string_equal(it.file->hostname, "node-1");
		assert_string_equal(it.file->agent_version, "9.9.9");
	}
	assert_int_equal(ret, 0);
	if (*first_seed == 0) {		/* the whole fixture was read */
		assert_int_equal(findings, NREC / 15);
		dump_reader_stats(r, &st);
		assert_int_equal(st.findings, NREC / 15);
		assert_int_equal(st.alerts, NREC / 10);
		assert_int_equal(st.fields_skipped, 0);
	}
	dump_reader_close(r);
	free(finding);
}

static void test_dump_roundtrip_keeps_every_field(void **state)
{
	char *dir = make_tmpdir();
	struct damage_log dl = { 0 };
	int events, first;

	/* one huge block, then many small ones: both paths of the encoder */
	write_fixture(dir, 16u << 20, NULL);
	read_and_check(dir, &dl, &events, &first);
	assert_int_equal(dl.count, 0);
	assert_int_equal(events, NREC);
	rm_rf(dir);
	free(dir);
	dir = make_tmpdir();
	write_fixture(dir, 4096, NULL);
	read_and_check(dir, &dl, &events, &first);
	assert_int_equal(dl.count, 0);
	assert_int_equal(events, NREC);
	rm_rf(dir);
	free(dir);
}

static void test_dump_files_are_private(void **state)
{
	char *base = make_tmpdir(), dir[4200], path[4096];
	struct stat sb;

	snprintf(dir, sizeof(dir), "%s/sub", base);
	write_fixture(dir, 4096, path);
	assert_int_equal(stat(dir, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0700);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	rm_rf(base);
	free(base);
}

struct read_result {
	int events, alerts;
	uint64_t first_ns, last_ns;
	struct dump_reader_stats st;
	bool damaged;
};

/* Read path to the end, checking time order. */
static void read_all(const char *path, const struct dump_reader_opts *base,
		     struct damage_log *dl, struct read_result *res, bool ordered)
{
	struct dump_reader_opts ro = { 0 };
	struct dump_reader *r;
	struct dump_item it;
	int ret;

	if (base)
		ro = *base;
	ro.on_damage = on_damage;
	ro.ctx = dl;
	memset(res, 0, sizeof(*res));
	assert_int_equal(dump_reader_open(&r, path, &ro), 0);
	while ((ret = dump_reader_next(r, &it)) == 1) {
		if (it.type != DUMP_REC_EVENT) {
			res->alerts++;
			continue;
		}
		if (ordered)
			assert_true(it.time_ns > res->last_ns);
		if (!res->events)
			res->first_ns = it.time_ns;
		res->last_ns = it.time_ns;
		res->events++;
	}
	assert_int_equal(ret, 0);
	dump_reader_stats(r, &res->st);
	res->damaged = dump_reader_saw_damage(r);
	dump_reader_close(r);
}

#define T0 1700000000000000000ull

static void test_dump_rotates_by_size_and_keeps_newest(void **state)
{
	char *dir = make_tmpdir(), names[64][64];
	struct dump_writer_stats st;
	struct damage_log dl = { 0 };
	struct read_result res;
	struct dump_writer *w;
	struct cw_record rec;
	struct dump_opts o;
	int n;

	writer_opts(&o, dir);
	o.block_bytes = 2048;
	o.max_bytes = 16384;
	o.keep = 3;
	assert_int_equal(dump_writer_open(&w, &o), 0);
	for (int i = 0; i < NREC; i++) {
		fill_record(&rec, i % 7 ? i : i + 1);	/* no 4 KiB strings: many per file */
		rec.time_ns = T0 + (uint64_t)i * 1000;
		assert_int_equal(dump_write_event(w, &rec), 0);
	}
	dump_writer_stats(w, &st);
	assert_true(st.files > 3);
	assert_int_equal(st.files_deleted, st.files - 3);
	assert_int_equal(st.events, NREC);
	assert_int_equal(dump_writer_close(w), 0);
	n = count_files(dir, names, 64);
	assert_int_equal(n, 3);
	for (int i = 0; i < n; i++) {
		char p[4200];
		struct stat sb;

		snprintf(p, sizeof(p), "%s/%s", dir, names[i]);
		assert_int_equal(stat(p, &sb), 0);
		/* a file passes max_bytes only by a header and one block */
		assert_true(sb.st_size <= 16384);
		assert_int_equal(strlen(names[i]), 37);
	}
	/* the survivors hold the newest records, read in order to the last */
	read_all(dir, NULL, &dl, &res, true);
	assert_int_equal(dl.count, 0);
	assert_false(res.damaged);
	assert_true(res.events > 0 && res.events < NREC);
	assert_int_equal(res.last_ns, T0 + (NREC - 1) * 1000ull);
	rm_rf(dir);
	free(dir);
}

static void test_dump_rotates_by_age_with_ordered_names(void **state)
{
	char *dir = make_tmpdir(), names[64][64];
	uint64_t now = T0;
	struct dump_writer *w;
	struct cw_record rec;
	struct dump_opts o;
	int n;

	writer_opts(&o, dir);
	o.max_age_s = 10;
	o.keep = 0;
	o.clock_ns = fake_clock;
	o.clock_ctx = &now;
	assert_int_equal(dump_writer_open(&w, &o), 0);
	for (int i = 0; i < 4; i++) {
		fill_record(&rec, i + 1);
		assert_int_equal(dump_write_event(w, &rec), 0);
		assert_int_equal(dump_flush(w), 0);
		/* twice in the same second, then 11 s later: rotate only on age */
		now += i % 2 ? 11000000000ull : 0;
	}
	assert_int_equal(dump_writer_close(w), 0);
	n = count_files(dir, names, 64);
	assert_int_equal(n, 2);
	qsort(names, (size_t)n, sizeof(names[0]), (int (*)(const void *, const void *))strcmp);
	assert_string_equal(names[0], "credwatch-20231114T221320Z-000000.cwd");
	assert_string_equal(names[1], "credwatch-20231114T221331Z-000000.cwd");
	rm_rf(dir);
	free(dir);
}

static void test_dump_names_sort_last_when_clock_steps_back(void **state)
{
	char *dir = make_tmpdir(), names[64][64];
	uint64_t now = T0;
	struct dump_writer *w;
	struct dump_opts o;
	int n;

	writer_opts(&o, dir);
	o.clock_ns = fake_clock;
	o.clock_ctx = &now;
	o.keep = 0;
	for (int i = 0; i < 3; i++) {
		assert_int_equal(dump_writer_open(&w, &o), 0);
		assert_int_equal(dump_writer_close(w), 0);
		now -= 5000000000ull;
	}
	n = count_files(dir, names, 64);
	assert_int_equal(n, 3);
	qsort(names, (size_t)n, sizeof(names[0]), (int (*)(const void *, const void *))strcmp);
	assert_string_equal(names[0], "credwatch-20231114T221320Z-000000.cwd");
	assert_string_equal(names[1], "credwatch-20231114T221320Z-000001.cwd");
	assert_string_equal(names[2], "credwatch-20231114T221320Z-000002.cwd");
	rm_rf(dir);
	free(dir);
}

#define NBLK 5
#define PER_BLK 20

/*
 * One file of NBLK blocks of PER_BLK events each; off[k] is where block k
 * starts (off[NBLK] is the end of the file).
 */
static void write_blocks(const char *dir, char *path, uint64_t off[NBLK + 1])
{
	struct dump_writer *w;
	struct cw_record rec;
	struct dump_opts o;
	struct stat sb;

	writer_opts(&o, dir);
	o.block_bytes = 8u << 20;
	o.flush_ms = 3600000;
	assert_int_equal(dump_writer_open(&w, &o), 0);
	snprintf(path, 4096, "%s", dump_writer_path(w));
	assert_int_equal(stat(path, &sb), 0);
	off[0] = (uint64_t)sb.st_size;
	for (int b = 0; b < NBLK; b++) {
		for (int i = 0; i < PER_BLK; i++) {
			int seed = b * PER_BLK + i;

			fill_record(&rec, seed % 7 ? seed : seed + 1000);
			rec.time_ns = T0 + (uint64_t)seed * 1000;
			assert_int_equal(dump_write_event(w, &rec), 0);
		}
		assert_int_equal(dump_flush(w), 0);
		assert_int_equal(stat(path, &sb), 0);
		off[b + 1] = (uint64_t)sb.st_size;
	}
	assert_int_equal(dump_writer_close(w), 0);
}

static void flip_byte(const char *path, uint64_t off)
{
	unsigned char c;
	int fd = open(path, O_RDWR);

	assert_true(fd >= 0);
	assert_int_equal(pread(fd, &c, 1, (off_t)off), 1);
	c ^= 0x5a;
	assert_int_equal(pwrite(fd, &c, 1, (off_t)off), 1);
	close(fd);
}

static void test_dump_reader_skips_truncated_tail(void **state)
{
	char *dir = make_tmpdir(), path[4096];
	struct damage_log dl = { 0 };
	struct read_result res;
	uint64_t off[NBLK + 1];

	write_blocks(dir, path, off);
	assert_int_equal(truncate(path, (off_t)(off[4] + 50)), 0);
	read_all(path, NULL, &dl, &res, true);
	assert_int_equal(res.events, 4 * PER_BLK);
	assert_int_equal(dl.count, 1);
	assert_int_equal(dl.offset[0], off[4]);
	assert_non_null(strstr(dl.what[0], "truncated block"));
	assert_string_equal(dl.file[0], path);
	assert_true(res.damaged);
	assert_int_equal(res.st.truncated, 1);
	assert_int_equal(res.st.blocks_ok, 4);
	assert_int_equal(res.st.bytes_skipped, 50);
	/* cut inside a block header too */
	assert_int_equal(truncate(path, (off_t)(off[4] + 7)), 0);
	dl.count = 0;
	read_all(path, NULL, &dl, &res, true);
	assert_int_equal(res.events, 4 * PER_BLK);
	assert_int_equal(dl.count, 1);
	assert_non_null(strstr(dl.what[0], "truncated block header"));
	rm_rf(dir);
	free(dir);
}

static void test_dump_reader_skips_block_with_bad_crc(void **state)
{
	char *dir = make_tmpdir(), path[4096];
	struct damage_log dl = { 0 };
	struct read_result res;
	uint64_t off[NBLK + 1];

	write_blocks(dir, path, off);
	flip_byte(path, off[2] + DUMP_BLOCK_HDR + 30);
	read_all(path, NULL, &dl, &res, true);
	assert_int_equal(res.events, (NBLK - 1) * PER_BLK);
	assert_int_equal(dl.count, 1);
	assert_int_equal(dl.offset[0], off[2]);
	assert_non_null(strstr(dl.what[0], "CRC mismatch"));
	assert_int_equal(res.st.blocks_damaged, 1);
	assert_int_equal(res.st.blocks_ok, NBLK - 1);
	assert_int_equal(res.st.bytes_skipped, off[3] - off[2]);
	assert_int_equal(res.last_ns, T0 + (NBLK * PER_BLK - 1) * 1000ull);
	rm_rf(dir);
	free(dir);
}

static void test_dump_reader_resyncs_after_bad_block_header(void **state)
{
	char *dir = make_tmpdir(), path[4096], want[128];
	struct damage_log dl = { 0 };
	struct read_result res;
	uint64_t off[NBLK + 1];

	write_blocks(dir, path, off);
	flip_byte(path, off[1] + 5);	/* comp_len: must not be trusted */
	read_all(path, NULL, &dl, &res, true);
	assert_int_equal(res.events, (NBLK - 1) * PER_BLK);
	assert_int_equal(dl.count, 1);
	assert_int_equal(dl.offset[0], off[1]);
	snprintf(want, sizeof(want), "bad block header; skipped %llu bytes to next block at offset %llu",
		 (unsigned long long)(off[2] - off[1]), (unsigned long long)off[2]);
	assert_string_equal(dl.what[0], want);
	rm_rf(dir);
	free(dir);
}

static void test_dump_reader_resyncs_over_inserted_garbage(void **state)
{
	char *dir = make_tmpdir(), path[4096];
	struct damage_log dl = { 0 };
	struct read_result res;
	uint64_t off[NBLK + 1];
	unsigned char *buf, junk[1000];
	FILE *f;

	write_blocks(dir, path, off);
	buf = malloc(off[NBLK]);
	f = fopen(path, "rb");
	assert_int_equal(fread(buf, 1, off[NBLK], f), off[NBLK]);
	fclose(f);
	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (unsigned char)(i * 7);
	memcpy(junk + 100, "CWBK", 4);		/* a false magic must not fool resync */
	memcpy(junk + 996, "CWBK", 4);
	f = fopen(path, "wb");
	fwrite(buf, 1, off[2], f);
	fwrite(junk, 1, sizeof(junk), f);
	fwrite(buf + off[2], 1, off[NBLK] - off[2], f);
	fclose(f);
	read_all(path, NULL, &dl, &res, true);
	assert_int_equal(res.events, NBLK * PER_BLK);
	assert_int_equal(dl.count, 1);
	assert_int_equal(dl.offset[0], off[2]);
	assert_non_null(strstr(dl.what[0], "skipped 1000 bytes"));
	free(buf);
	rm_rf(dir);
	free(dir);
}

static void write_bytes(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(p, 1, n, f), n);
	fclose(f);
}

static void test_dump_reader_refuses_bad_files_and_reads_the_rest(void **state)
{
	char *dir = make_tmpdir(), *src = make_tmpdir(), path[4096], p[4200];
	struct damage_log dl = { 0 };
	struct read_result res;
	uint64_t off[NBLK + 1];
	unsigned char *buf;
	FILE *f;

	write_blocks(src, path, off);
	buf = malloc(off[NBLK]);
	f = fopen(path, "rb");
	assert_int_equal(fread(buf, 1, off[NBLK], f), off[NBLK]);
	fclose(f);
	snprintf(p, sizeof(p), "%s/a.cwd", dir);
	write_bytes(p, buf, off[NBLK]);
	snprintf(p, sizeof(p), "%s/b-empty.cwd", dir);
	write_bytes(p, "", 0);
	snprintf(p, sizeof(p), "%s/c-magic.cwd", dir);
	write_bytes(p, "GIF89a not a dump at all", 24);
	buf[7] = DUMP_VERSION + 1;
	snprintf(p, sizeof(p), "%s/d-newer.cwd", dir);
	write_bytes(p, buf, off[NBLK]);
	buf[7] = DUMP_VERSION;
	snprintf(p, sizeof(p), "%s/e.cwd", dir);
	write_bytes(p, buf, off[NBLK]);
	snprintf(p, sizeof(p), "%s/ignored.txt", dir);
	write_bytes(p, "x", 1);

	read_all(dir, NULL, &dl, &res, false);
	assert_int_equal(res.events, 2 * NBLK * PER_BLK);
	assert_int_equal(dl.count, 3);
	assert_non_null(strstr(dl.file[0], "/b-empty.cwd"));
	assert_string_equal(dl.what[0], "empty file (no dump header)");
	assert_non_null(strstr(dl.file[1], "/c-magic.cwd"));
	assert_string_equal(dl.what[1], "not a credwatch dump (bad magic)");
	assert_non_null(strstr(dl.file[2], "/d-newer.cwd"));
	assert_string_equal(dl.what[2], "dump format version 2 is newer than this reader "
			    "supports (1); use a newer credwatch-inspect");
	assert_int_equal(res.st.files, 5);
	assert_int_equal(res.st.files_refused, 3);
	assert_true(res.damaged);
	free(buf);
	rm_rf(dir);
	rm_rf(src);
	free(dir);
	free(src);
}

static void test_dump_reader_open_reports_missing_input(void **state)
{
	char *dir = make_tmpdir(), p[4200];
	struct dump_reader *r;

	assert_int_equal(dump_reader_open(&r, dir, NULL), -ENODATA);
	snprintf(p, sizeof(p), "%s/nope.cwd", dir);
	assert_int_equal(dump_reader_open(&r, p, NULL), -ENOENT);
	assert_null(r);
	rm_rf(dir);
	free(dir);
}

/* A newer writer's field this reader does not know is skipped, not fatal. */
static void test_dump_reader_skips_unknown_fields(void **state)
{
	char *dir = make_tmpdir(), path[4096];
	struct dump_reader_opts ro = { 0 };
	struct damage_log dl = { 0 };
	uint64_t off[NBLK + 1];
	struct dump_reader *r;
	struct cw_record want;
	struct dump_item it;
	unsigned char *buf, *hit;
	uint32_t tlv_len;
	int n = 0, ret;

	write_blocks(dir, path, off);
	buf = malloc(off[NBLK]);
	{
		FILE *f = fopen(path, "rb");

		assert_int_equal(fread(buf, 1, off[NBLK], f), off[NBLK]);
		fclose(f);
	}
	tlv_len = dump_get_u32(buf + 8);
	hit = memmem(buf, off[0], "user.name", 9);
	assert_non_null(hit);
	memcpy(hit, "user.nome", 9);
	dump_put_u32(buf + 12 + tlv_len, (uint32_t)crc32(0, buf, 12 + tlv_len));
	write_bytes(path, buf, off[NBLK]);
	ro.on_damage = on_damage;
	ro.ctx = &dl;
	assert_int_equal(dump_reader_open(&r, path, &ro), 0);
	while ((ret = dump_reader_next(r, &it)) == 1) {
		int seed = (int)((it.time_ns - T0) / 1000);

		fill_record(&want, seed % 7 ? seed : seed + 1000);
		want.time_ns = it.time_ns;
		field_set_str(&want, CW_F_USER_NAME, 0, "");
		assert_records_equal(&want, it.rec);
		n++;
	}
	assert_int_equal(ret, 0);
	assert_int_equal(n, NBLK * PER_BLK);
	assert_int_equal(dl.count, 0);
	{
		struct dump_reader_stats st;

		dump_reader_stats(r, &st);
		assert_true(st.fields_skipped > 0);
	}
	dump_reader_close(r);
	free(buf);
	rm_rf(dir);
	free(dir);
}

/*
 * evt.count across versions: a dump whose header does not name evt.count
 * (written before it existed) reads as one open per record, and a reader
 * that does not know the name (an older credwatch-inspect) skips it. The
 * header's name is changed in place to stand for both.
 */
static void test_dump_without_evt_count_reads_as_one_open(void **state)
{
	char *dir = make_tmpdir(), path[4096];
	struct dump_reader_opts ro = { 0 };
	uint64_t off[NBLK + 1];
	struct dump_reader *r;
	struct dump_item it;
	unsigned char *buf, *hit;
	uint32_t tlv_len;
	int n = 0, ret;

	(void)state;
	write_blocks(dir, path, off);
	buf = malloc(off[NBLK]);
	{
		FILE *f = fopen(path, "rb");

		assert_int_equal(fread(buf, 1, off[NBLK], f), off[NBLK]);
		fclose(f);
	}
	tlv_len = dump_get_u32(buf + 8);
	hit = memmem(buf, off[0], "evt.count", 9);
	assert_non_null(hit);
	memcpy(hit, "evt.cXunt", 9);
	dump_put_u32(buf + 12 + tlv_len, (uint32_t)crc32(0, buf, 12 + tlv_len));
	write_bytes(path, buf, off[NBLK]);
	assert_int_equal(dump_reader_open(&r, path, &ro), 0);
	while ((ret = dump_reader_next(r, &it)) == 1) {
		assert_int_equal(it.rec->count, 1);
		n++;
	}
	assert_int_equal(ret, 0);
	assert_int_equal(n, NBLK * PER_BLK);
	dump_reader_close(r);
	free(buf);
	rm_rf(dir);
	free(dir);
}

/* A finding longer than DUMP_FINDING_MAX is refused and counted; the writer goes on. */
static void test_dump_refuses_oversize_finding_and_keeps_writing(void **state)
{
	char *dir = make_tmpdir(), *big = malloc(DUMP_FINDING_MAX + 1);
	struct dump_writer_stats st;
	struct damage_log dl = { 0 };
	struct read_result res;
	struct dump_writer *w;
	struct cw_record rec;
	struct dump_opts o;

	assert_non_null(big);
	memset(big, 'x', DUMP_FINDING_MAX + 1);
	writer_opts(&o, dir);
	assert_int_equal(dump_writer_open(&w, &o), 0);
	assert_int_equal(dump_write_finding(w, big, DUMP_FINDING_MAX + 1), -EMSGSIZE);
	assert_int_equal(dump_write_finding(w, NULL, 0), -EINVAL);
	assert_int_equal(dump_write_finding(w, big, DUMP_FINDING_MAX), 0);
	assert_int_equal(dump_write_finding(w, "", 0), 0);
	fill_record(&rec, 3);
	assert_int_equal(dump_write_event(w, &rec), 0);
	dump_writer_stats(w, &st);
	assert_int_equal(st.findings, 2);
	assert_int_equal(st.dropped, 1);
	assert_int_equal(dump_writer_close(w), 0);
	read_all(dir, NULL, &dl, &res, false);
	assert_int_equal(res.events, 1);
	assert_int_equal(res.st.findings, 2);
	assert_false(res.damaged);
	free(big);
	rm_rf(dir);
	free(dir);
}

typedef void (*patch_fn)(unsigned char *raw, size_t len, void *ctx);

/*
 * Inflate every block of path, let fn change its records in place, and
 * write it back with its new length and CRCs: an intact file holding what
 * fn made of the records.
 */
static void patch_blocks(const char *path, patch_fn fn, void *ctx)
{
	unsigned char *buf, *raw, *comp, hdr[DUMP_BLOCK_HDR];
	uint64_t off;
	size_t size;
	struct stat sb;
	FILE *f;

	assert_int_equal(stat(path, &sb), 0);
	size = (size_t)sb.st_size;
	buf = malloc(size);
	raw = malloc(DUMP_RAW_MAX);
	comp = malloc(DUMP_COMP_MAX);
	assert_true(buf && raw && comp);
	f = fopen(path, "rb");
	assert_int_equal(fread(buf, 1, size, f), size);
	fclose(f);
	f = fopen(path, "wb");
	off = DUMP_FILE_HDR_FIXED + dump_get_u32(buf + 8) + 4;
	fwrite(buf, 1, off, f);
	while (off < size) {
		uint32_t clen = dump_get_u32(buf + off + 4);
		uLongf rlen = DUMP_RAW_MAX, nclen = DUMP_COMP_MAX;

		assert_int_equal(uncompress(raw, &rlen, buf + off + DUMP_BLOCK_HDR, clen), Z_OK);
		fn(raw, rlen, ctx);
		assert_int_equal(compress(comp, &nclen, raw, rlen), Z_OK);
		memcpy(hdr, buf + off, DUMP_BLOCK_HDR);
		dump_put_u32(hdr + 4, (uint32_t)nclen);
		dump_put_u32(hdr + 32, (uint32_t)crc32(0, comp, (uInt)nclen));
		dump_put_u32(hdr + 36, (uint32_t)crc32(0, hdr, 36));
		fwrite(hdr, 1, DUMP_BLOCK_HDR, f);
		fwrite(comp, 1, nclen, f);
		off += DUMP_BLOCK_HDR + clen;
	}
	fclose(f);
	free(buf);
	free(raw);
	free(comp);
}

/* Length of the record at raw: type, time, varint body length, body. */
static size_t record_len(const unsigned char *raw, size_t *body_at)
{
	uint64_t body = 0;
	size_t k = 9;

	for (int shift = 0;; shift += 7) {
		body |= (uint64_t)(raw[k] & 0x7f) << shift;
		if (!(raw[k++] & 0x80))
			break;
	}
	if (body_at)
		*body_at = k;
	return k + body;
}

/* Finding records become type 0x7e, which no reader knows; ctx counts them. */
static void retype_findings(unsigned char *raw, size_t len, void *ctx)
{
	size_t pos = 0;

	while (pos < len) {
		if (raw[pos] == DUMP_REC_FINDING) {
			raw[pos] = 0x7e;
			(*(int *)ctx)++;
		}
		pos += record_len(raw + pos, NULL);
	}
	assert_int_equal(pos, len);
}

/* The first finding record's line length becomes 127: past its body. */
static void cut_finding(unsigned char *raw, size_t len, void *ctx)
{
	size_t pos = 0, body_at;

	(void)ctx;
	while (pos < len && raw[pos] != DUMP_REC_FINDING)
		pos += record_len(raw + pos, NULL);
	assert_true(pos < len);
	record_len(raw + pos, &body_at);
	raw[pos + body_at] = 0x7f;
}

/*
 * A record type this reader does not know (as findings were to the readers
 * before them) is skipped whole and counted; every other record of its
 * block is read, and nothing is reported as damage.
 */
static void test_dump_reader_skips_record_types_it_does_not_know(void **state)
{
	char *dir = make_tmpdir(), path[4096];
	struct dump_reader_opts ro = { .on_damage = on_damage };
	struct damage_log dl = { 0 };
	struct dump_reader_stats st;
	struct dump_reader *r;
	struct dump_item it;
	int events = 0, alerts = 0, changed = 0, ret;

	write_fixture(dir, 4096, path);
	patch_blocks(path, retype_findings, &changed);
	assert_int_equal(changed, NREC / 15);
	ro.ctx = &dl;
	assert_int_equal(dump_reader_open(&r, path, &ro), 0);
	while ((ret = dump_reader_next(r, &it)) == 1) {
		assert_true(it.type == DUMP_REC_EVENT || it.type == DUMP_REC_ALERT);
		events += it.type == DUMP_REC_EVENT;
		alerts += it.type == DUMP_REC_ALERT;
	}
	assert_int_equal(ret, 0);
	assert_int_equal(events, NREC);
	assert_int_equal(alerts, NREC / 10);
	assert_int_equal(dl.count, 0);
	assert_false(dump_reader_saw_damage(r));
	dump_reader_stats(r, &st);
	assert_int_equal(st.fields_skipped, NREC / 15);
	assert_int_equal(st.findings, 0);
	assert_int_equal(st.blocks_damaged, 0);
	dump_reader_close(r);
	rm_rf(dir);
	free(dir);
}

/* A finding whose line runs past its record is damage, reported; not a crash. */
static void test_dump_reader_reports_cut_finding(void **state)
{
	char *dir = make_tmpdir(), path[4096];
	struct damage_log dl = { 0 };
	struct read_result res;
	struct dump_writer *w;
	struct dump_opts o;
	struct cw_record rec;

	writer_opts(&o, dir);
	assert_int_equal(dump_writer_open(&w, &o), 0);
	snprintf(path, sizeof(path), "%s", dump_writer_path(w));
	fill_record(&rec, 2);
	assert_int_equal(dump_write_event(w, &rec), 0);
	assert_int_equal(dump_write_finding(w, "{}", 2), 0);
	assert_int_equal(dump_writer_close(w), 0);
	patch_blocks(path, cut_finding, NULL);
	read_all(path, NULL, &dl, &res, false);
	assert_int_equal(res.events, 1);
	assert_int_equal(res.st.findings, 0);
	assert_true(res.damaged);
	assert_int_equal(dl.count, 1);
	assert_non_null(strstr(dl.what[0], "finding cut"));
	rm_rf(dir);
	free(dir);
}

static void test_dump_reader_since_until_select_records(void **state)
{
	char *dir = make_tmpdir(), path[4096];
	struct dump_reader_opts ro = { 0 };
	struct damage_log dl = { 0 };
	struct read_result res;
	uint64_t off[NBLK + 1];

	write_blocks(dir, path, off);
	ro.since_ns = T0 + 25 * 1000;
	ro.until_ns = T0 + 44 * 1000;
	read_all(path, &ro, &dl, &res, true);
	assert_int_equal(res.events, 20);
	assert_int_equal(res.first_ns, T0 + 25 * 1000);
	assert_int_equal(res.last_ns, T0 + 44 * 1000);
	assert_int_equal(res.st.blocks_out_of_range, 3);
	assert_int_equal(dl.count, 0);
	rm_rf(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dump_roundtrip_keeps_every_field),
		cmocka_unit_test(test_dump_files_are_private),
		cmocka_unit_test(test_dump_rotates_by_size_and_keeps_newest),
		cmocka_unit_test(test_dump_rotates_by_age_with_ordered_names),
		cmocka_unit_test(test_dump_names_sort_last_when_clock_steps_back),
		cmocka_unit_test(test_dump_reader_skips_truncated_tail),
		cmocka_unit_test(test_dump_reader_skips_block_with_bad_crc),
		cmocka_unit_test(test_dump_reader_resyncs_after_bad_block_header),
		cmocka_unit_test(test_dump_reader_resyncs_over_inserted_garbage),
		cmocka_unit_test(test_dump_reader_refuses_bad_files_and_reads_the_rest),
		cmocka_unit_test(test_dump_reader_open_reports_missing_input),
		cmocka_unit_test(test_dump_reader_skips_unknown_fields),
		cmocka_unit_test(test_dump_without_evt_count_reads_as_one_open),
		cmocka_unit_test(test_dump_reader_since_until_select_records),
		cmocka_unit_test(test_dump_refuses_oversize_finding_and_keeps_writing),
		cmocka_unit_test(test_dump_reader_skips_record_types_it_does_not_know),
		cmocka_unit_test(test_dump_reader_reports_cut_finding),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
