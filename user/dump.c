// SPDX-License-Identifier: Apache-2.0
/*
 * dump.c - trace dump writer: record encoding, block compression, rotation.
 *
 * Over 600 lines on purpose: the encoder, the block buffer it fills, the
 * compressor that seals a block and the rotation that closes a file all
 * share one open file and one block's state, and a crash may stop any of
 * them half way (the reader, dump_read.c, resyncs on the block framing
 * written here). Split, each would need the others' state.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "dump.h"
#include "dump_format.h"
#include "fields.h"
#include "log.h"

#ifndef CW_VERSION
#define CW_VERSION "0.0.0"
#endif

/* credwatch-20240501T120000Z-000000.cwd: fixed width, so name order is time order */
#define DUMP_NAME_PREFIX	"credwatch-"
#define DUMP_NAME_LEN		37
#define DUMP_TS_LEN		16
#define DUMP_SEQ_MAX		999999

/* Worst-case bytes one record's fields take (every field set, every string full). */
#define DUMP_EVENT_BOUND \
	(sizeof(struct cw_record) + CW_F__COUNT * (CW_ANCESTORS + 1) * 16 + 64)
#define DUMP_REC_HDR		12	/* type, time, 3-byte body length */

struct dump_writer {
	char *dir;
	struct dump_opts opts;
	char hostname[256];
	char agent_version[64];
	int fd;
	char path[4096];
	uint64_t file_bytes;	/* bytes in the current file */
	uint64_t file_created_ns;
	unsigned char *hdr;	/* file header, built once */
	size_t hdr_len;
	unsigned char *raw;	/* records of the block being filled */
	size_t raw_len, raw_cap;
	unsigned char *comp;
	size_t comp_cap;
	uint32_t count;
	uint64_t ts_min, ts_max;
	uint64_t block_start_ns;
	bool in_error;		/* log a failure streak once */
	z_stream zs;
	bool zs_ready;
	struct dump_writer_stats st;
	struct cw_record prev;	/* the record before, for delta coding */
};

static uint64_t clock_realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t writer_now(const struct dump_writer *w)
{
	return w->opts.clock_ns ? w->opts.clock_ns(w->opts.clock_ctx) : clock_realtime_ns();
}

static const struct opt_desc dump_option_list[] = {
	OPT_STR(struct dump_opts, dir, "dump", "DIR", "off",
		"record every event and alert to compressed trace dumps in DIR"),
	OPT_UINT(struct dump_opts, max_bytes, "dump-max-bytes", "BYTES", DUMP_DEFAULT_MAX_BYTES,
		 "67108864", "start a new dump file past this size (0: no limit)"),
	OPT_UINT(struct dump_opts, max_age_s, "dump-max-age", "SECONDS", DUMP_DEFAULT_MAX_AGE_S,
		 "3600", "start a new dump file past this age (0: no limit)"),
	OPT_UINT(struct dump_opts, keep, "dump-keep", "N", DUMP_DEFAULT_KEEP, "8",
		 "dump files kept; older ones are deleted (0: all)"),
};

static void dump_opts_init(void *opts)
{
	dump_opts_default(opts);
}

const struct opt_table dump_options = OPT_TABLE(dump_option_list, dump_opts_init, NULL);

void dump_opts_default(struct dump_opts *opts)
{
	memset(opts, 0, sizeof(*opts));
	opt_table_defaults(&dump_options, opts);
	opts->block_bytes = DUMP_DEFAULT_BLOCK_BYTES;
	opts->flush_ms = DUMP_DEFAULT_FLUSH_MS;
	opts->level = Z_BEST_SPEED;
}

/* Make a field unset the way record_reset() leaves it (writer and reader). */
void dump_field_clear(struct cw_record *rec, int id, int idx)
{
	switch (field_info(id)->type) {
	case CW_FT_STR:
		/* evt.type is derived from the syscall number, which has no setter for 0 */
		if (id == CW_F_EVT_TYPE)
			rec->syscall = 0;
		else
			field_set_str(rec, id, idx, "");
		break;
	case CW_FT_U64:
	case CW_FT_S64:
		field_set_u64(rec, id, idx, 0);
		break;
	case CW_FT_BOOL:
		field_set_u64(rec, id, idx, (uint64_t)(int64_t)CW_UNKNOWN);
		break;
	}
}

static size_t put_varint(unsigned char *p, uint64_t v)
{
	size_t n = 0;

	while (v >= 0x80) {
		p[n++] = (unsigned char)(v | 0x80);
		v >>= 7;
	}
	p[n++] = (unsigned char)v;
	return n;
}

static size_t put_tlv(unsigned char *p, uint16_t tag, const void *val, size_t len)
{
	p[0] = (unsigned char)tag;
	p[1] = (unsigned char)(tag >> 8);
	p[2] = (unsigned char)len;
	p[3] = (unsigned char)(len >> 8);
	memcpy(p + 4, val, len);
	return 4 + len;
}

static size_t put_tlv_str(unsigned char *p, uint16_t tag, const char *s)
{
	return put_tlv(p, tag, s, strlen(s));	/* callers pass bounded buffers */
}

static size_t put_tlv_u64(unsigned char *p, uint16_t tag, uint64_t v)
{
	unsigned char b[8];

	dump_put_u64(b, v);
	return put_tlv(p, tag, b, 8);
}

static uint64_t boot_time_ns(void)
{
	struct timespec rt, bt;

	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_BOOTTIME, &bt);
	return ((uint64_t)rt.tv_sec - (uint64_t)bt.tv_sec) * 1000000000ull +
	       (uint64_t)rt.tv_nsec - (uint64_t)bt.tv_nsec;
}

/* The file header with its field dictionary; the creation time is patched per file. */
static int build_header(struct dump_writer *w, uint64_t created_ns)
{
	struct utsname u;
	unsigned char *p;
	size_t tlv = 0;

	if (!w->hdr) {
		w->hdr = malloc(DUMP_FILE_HDR_FIXED + DUMP_TLV_MAX + 4);
		if (!w->hdr)
			return -ENOMEM;
	}
	if (uname(&u))
		memset(&u, 0, sizeof(u));
	p = w->hdr + DUMP_FILE_HDR_FIXED;
	tlv += put_tlv_str(p + tlv, DUMP_TAG_HOSTNAME, w->hostname);
	tlv += put_tlv_str(p + tlv, DUMP_TAG_KERNEL, u.release);
	tlv += put_tlv_u64(p + tlv, DUMP_TAG_BOOT_TIME, boot_time_ns());
	tlv += put_tlv_str(p + tlv, DUMP_TAG_AGENT_VERSION, w->agent_version);
	tlv += put_tlv_u64(p + tlv, DUMP_TAG_CREATED, created_ns);
	for (int id = 0; id < CW_F__COUNT; id++) {
		const struct cw_field_info *fi = field_info(id);
		unsigned char f[128];
		size_t nlen = strnlen(fi->name, sizeof(f) - 4);

		f[0] = (unsigned char)id;
		f[1] = (unsigned char)(id >> 8);
		f[2] = (unsigned char)fi->type;
		f[3] = fi->indexed;
		memcpy(f + 4, fi->name, nlen);
		tlv += put_tlv(p + tlv, DUMP_TAG_FIELD, f, 4 + nlen);
	}
	memcpy(w->hdr, DUMP_MAGIC, DUMP_MAGIC_LEN);
	w->hdr[DUMP_MAGIC_LEN] = DUMP_VERSION;
	dump_put_u32(w->hdr + 8, (uint32_t)tlv);
	dump_put_u32(p + tlv, (uint32_t)crc32(0, w->hdr, DUMP_FILE_HDR_FIXED + tlv));
	w->hdr_len = DUMP_FILE_HDR_FIXED + tlv + 4;
	return 0;
}

static bool is_dump_name(const char *name)
{
	size_t n = strlen(name);

	return n == DUMP_NAME_LEN && !strncmp(name, DUMP_NAME_PREFIX, 10) &&
	       !strcmp(name + n - 4, ".cwd");
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Our dump files in dir, oldest first. Returns the count or -errno. */
static int list_dumps(const char *dir, char ***out)
{
	char **names = NULL, **tmp;
	size_t n = 0, cap = 0;
	struct dirent *de;
	DIR *d;
	int err = 0;

	*out = NULL;
	d = opendir(dir);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		if (!is_dump_name(de->d_name))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			tmp = realloc(names, cap * sizeof(*names));
			if (!tmp) {
				err = -ENOMEM;
				goto cleanup;
			}
			names = tmp;
		}
		names[n] = strdup(de->d_name);
		if (!names[n]) {
			err = -ENOMEM;
			goto cleanup;
		}
		n++;
	}
	if (n)
		qsort(names, n, sizeof(*names), cmp_names);
cleanup:
	closedir(d);
	if (err) {
		while (n)
			free(names[--n]);
		free(names);
		return err;
	}
	*out = names;
	return (int)n;
}

static void free_names(char **names, int n)
{
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/*
 * A name later than every existing dump: the current UTC second and
 * sequence 0, or, when that would not sort last (same second, clock stepped
 * back), the last name's second with its sequence plus one.
 */
static void next_name(struct dump_writer *w, char **names, int n, char *name)
{
	time_t secs = (time_t)(writer_now(w) / 1000000000ull);
	char ts[DUMP_TS_LEN + 1];
	struct tm tm;
	unsigned seq = 0;

	gmtime_r(&secs, &tm);
	strftime(ts, sizeof(ts), "%Y%m%dT%H%M%SZ", &tm);
	snprintf(name, DUMP_NAME_LEN + 1, DUMP_NAME_PREFIX "%s-%06u.cwd", ts, seq);
	if (n > 0 && strcmp(name, names[n - 1]) <= 0) {
		memcpy(ts, names[n - 1] + 10, DUMP_TS_LEN);
		seq = (unsigned)strtoul(names[n - 1] + 10 + DUMP_TS_LEN + 1, NULL, 10) + 1;
		if (seq > DUMP_SEQ_MAX)
			seq = DUMP_SEQ_MAX;
		snprintf(name, DUMP_NAME_LEN + 1, DUMP_NAME_PREFIX "%s-%06u.cwd", ts, seq);
	}
}

/* Delete the oldest dump files so that at most keep remain. */
static void apply_keep(struct dump_writer *w, char **names, int n)
{
	char path[4096];

	if (!w->opts.keep)
		return;
	for (int i = 0; i + (int)w->opts.keep < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", w->dir, names[i]);
		if (unlink(path) && errno != ENOENT) {
			log_warn("dump: %s: unlink: %s", path, strerror(errno));
			continue;
		}
		w->st.files_deleted++;
	}
}

static int write_all(int fd, struct iovec *iov, int iovcnt)
{
	while (iovcnt > 0) {
		ssize_t n = writev(fd, iov, iovcnt);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		while (iovcnt > 0 && (size_t)n >= iov->iov_len) {
			n -= (ssize_t)iov->iov_len;
			iov++;
			iovcnt--;
		}
		if (iovcnt > 0) {
			iov->iov_base = (char *)iov->iov_base + n;
			iov->iov_len -= (size_t)n;
		}
	}
	return 0;
}

static void close_file(struct dump_writer *w)
{
	if (w->fd < 0)
		return;
	if (fsync(w->fd))
		log_warn("dump: %s: fsync: %s", w->path, strerror(errno));
	close(w->fd);
	w->fd = -1;
}

/* Start a new file: name it, write its header, then trim to keep. */
static int open_file(struct dump_writer *w)
{
	char name[DUMP_NAME_LEN + 1];
	struct iovec iov;
	char **names = NULL, **tmp;
	int n, fd = -1, err;

	n = list_dumps(w->dir, &names);
	if (n < 0) {
		err = n;
		log_warn("dump: %s: list: %s", w->dir, strerror(-err));
		return err;
	}
	next_name(w, names, n, name);
	snprintf(w->path, sizeof(w->path), "%s/%s", w->dir, name);
	fd = open(w->path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		err = -errno;
		log_warn("dump: %s: create: %s", w->path, strerror(-err));
		goto cleanup;
	}
	w->file_created_ns = writer_now(w);
	err = build_header(w, w->file_created_ns);
	if (err)
		goto cleanup;
	iov.iov_base = w->hdr;
	iov.iov_len = w->hdr_len;
	err = write_all(fd, &iov, 1);
	if (err) {
		log_warn("dump: %s: write header: %s", w->path, strerror(-err));
		goto cleanup;
	}
	w->fd = fd;
	fd = -1;
	w->file_bytes = w->hdr_len;
	w->st.files++;
	w->st.bytes += w->hdr_len;
	/* the new file counts towards keep; it is last in name order */
	tmp = realloc(names, (size_t)(n + 1) * sizeof(*names));
	if (tmp) {
		names = tmp;
		names[n] = strdup(name);
		if (names[n])
			n++;
	}
	apply_keep(w, names, n);
cleanup:
	if (fd >= 0) {
		close(fd);
		unlink(w->path);
		w->path[0] = '\0';
	}
	free_names(names, n);
	return err;
}

static bool rotation_due(const struct dump_writer *w, size_t block_len, uint64_t now)
{
	if (w->file_bytes <= w->hdr_len)	/* never rotate an empty file */
		return false;
	if (w->opts.max_bytes && w->file_bytes + block_len > w->opts.max_bytes)
		return true;
	return w->opts.max_age_s &&
	       now - w->file_created_ns >= (uint64_t)w->opts.max_age_s * 1000000000ull;
}

static void block_reset(struct dump_writer *w)
{
	w->raw_len = 0;
	w->count = 0;
	w->ts_min = UINT64_MAX;
	w->ts_max = 0;
	record_reset(&w->prev);
}

/* Compress the buffered records and append them as one block. */
static int write_block(struct dump_writer *w)
{
	unsigned char hdr[DUMP_BLOCK_HDR];
	struct iovec iov[2];
	uint64_t now, t0;
	size_t comp_len;
	int err;

	if (!w->count)
		return 0;
	t0 = clock_realtime_ns();
	deflateReset(&w->zs);
	w->zs.next_in = w->raw;
	w->zs.avail_in = (uInt)w->raw_len;
	w->zs.next_out = w->comp;
	w->zs.avail_out = (uInt)w->comp_cap;
	if (deflate(&w->zs, Z_FINISH) != Z_STREAM_END) {
		err = -EIO;	/* cannot happen with comp_cap >= deflateBound */
		goto dropped;
	}
	comp_len = w->comp_cap - w->zs.avail_out;
	w->st.compress_ns += clock_realtime_ns() - t0;

	memcpy(hdr, DUMP_BLOCK_MAGIC, 4);
	dump_put_u32(hdr + 4, (uint32_t)comp_len);
	dump_put_u32(hdr + 8, (uint32_t)w->raw_len);
	dump_put_u32(hdr + 12, w->count);
	dump_put_u64(hdr + 16, w->ts_min);
	dump_put_u64(hdr + 24, w->ts_max);
	dump_put_u32(hdr + 32, (uint32_t)crc32(0, w->comp, (uInt)comp_len));
	dump_put_u32(hdr + 36, (uint32_t)crc32(0, hdr, 36));

	now = writer_now(w);
	if (w->fd >= 0 && rotation_due(w, sizeof(hdr) + comp_len, now))
		close_file(w);
	if (w->fd < 0) {
		err = open_file(w);
		if (err)
			goto dropped;
	}
	iov[0].iov_base = hdr;
	iov[0].iov_len = sizeof(hdr);
	iov[1].iov_base = w->comp;
	iov[1].iov_len = comp_len;
	err = write_all(w->fd, iov, 2);
	if (err) {
		if (!w->in_error)
			log_warn("dump: %s: write: %s", w->path, strerror(-err));
		/* cut a torn block off so the file stays readable to its end */
		if (ftruncate(w->fd, (off_t)w->file_bytes))
			close_file(w);
		goto dropped;
	}
	w->in_error = false;
	w->file_bytes += sizeof(hdr) + comp_len;
	w->st.bytes += sizeof(hdr) + comp_len;
	w->st.blocks++;
	block_reset(w);
	return 0;
dropped:
	w->in_error = true;
	w->st.write_errors++;
	w->st.dropped += w->count;
	block_reset(w);
	return err;
}

/* Encode the fields of rec that differ from the previous record. */
static size_t encode_fields(struct dump_writer *w, const struct cw_record *rec,
			    unsigned char *p)
{
	struct cw_value v;
	size_t n = 0;

	for (int id = 0; id < CW_F__COUNT; id++) {
		const struct cw_field_info *fi = field_info(id);
		int last = fi->indexed ? CW_ANCESTORS : 0;

		for (int idx = 0; idx <= last; idx++) {
			/* most fields repeat the record before: compare in place */
			if (field_equal(rec, &w->prev, id, idx))
				continue;
			field_get(rec, id, idx, &v);
			n += put_varint(p + n, (uint64_t)id);
			p[n++] = (unsigned char)idx;
			if (!v.is_set) {
				p[n++] = (unsigned char)(fi->type | DUMP_FIELD_CLEAR);
				p[n++] = 0;
				dump_field_clear(&w->prev, id, idx);
				continue;
			}
			p[n++] = (unsigned char)fi->type;
			if (fi->type == CW_FT_STR) {
				size_t len = strlen(v.str) + 1;

				n += put_varint(p + n, len);
				memcpy(p + n, v.str, len);
				n += len;
				field_set_str(&w->prev, id, idx, v.str);
			} else {
				uint64_t x = fi->type == CW_FT_S64 ? (uint64_t)v.s64 : v.u64;
				unsigned char len = 0;

				for (uint64_t t = x; t; t >>= 8)
					len++;
				p[n++] = len;
				for (unsigned i = 0; i < len; i++)
					p[n++] = (unsigned char)(x >> (8 * i));
				field_set_u64(&w->prev, id, idx, x);
			}
		}
	}
	return n;
}

/* Room for need more bytes in the block: write it out first, or grow. */
static int reserve(struct dump_writer *w, size_t need)
{
	unsigned char *p;
	size_t cap;
	int err = 0;

	if (w->raw_len + need <= w->raw_cap)
		return 0;
	if (w->count)
		err = write_block(w);
	if (need <= w->raw_cap)
		return err;
	cap = need;
	p = realloc(w->raw, cap);
	if (!p)
		return -ENOMEM;
	w->raw = p;
	w->raw_cap = cap;
	p = realloc(w->comp, deflateBound(&w->zs, (uLong)cap));
	if (!p)
		return -ENOMEM;
	w->comp = p;
	w->comp_cap = deflateBound(&w->zs, (uLong)cap);
	return err;
}

static int append(struct dump_writer *w, enum dump_rec_type type,
		  const struct cw_record *rec, const char *json, size_t json_len)
{
	uint64_t t = rec ? rec->time_ns : writer_now(w);
	size_t body = 0, need;
	unsigned char *p;
	int err, err2 = 0;

	need = DUMP_REC_HDR + (rec ? DUMP_EVENT_BOUND : 0) + (json ? json_len + 16 : 0);
	err = reserve(w, need);
	if (err == -ENOMEM)
		return err;
	if (!w->count)
		w->block_start_ns = writer_now(w);
	p = w->raw + w->raw_len;
	p[0] = (unsigned char)type;
	dump_put_u64(p + 1, t);
	/* body length as a fixed 3-byte varint, patched once the body is known */
	if (type == DUMP_REC_ALERT || type == DUMP_REC_FINDING) {
		body += put_varint(p + DUMP_REC_HDR + body, json_len);
		memcpy(p + DUMP_REC_HDR + body, json, json_len);
		body += json_len;
	}
	if (type == DUMP_REC_ALERT)
		p[DUMP_REC_HDR + body++] = rec != NULL;
	if (rec)
		body += encode_fields(w, rec, p + DUMP_REC_HDR + body);
	p[9] = (unsigned char)(body | 0x80);
	p[10] = (unsigned char)((body >> 7) | 0x80);
	p[11] = (unsigned char)(body >> 14);
	w->raw_len += DUMP_REC_HDR + body;
	w->count++;
	if (t < w->ts_min)
		w->ts_min = t;
	if (t > w->ts_max)
		w->ts_max = t;
	if (type == DUMP_REC_EVENT)
		w->st.events++;
	else if (type == DUMP_REC_ALERT)
		w->st.alerts++;
	else
		w->st.findings++;
	if (w->raw_len >= w->opts.block_bytes ||
	    writer_now(w) - w->block_start_ns >= (uint64_t)w->opts.flush_ms * 1000000ull)
		err2 = write_block(w);
	return err ? err : err2;
}

int dump_write_event(struct dump_writer *w, const struct cw_record *rec)
{
	return append(w, DUMP_REC_EVENT, rec, NULL, 0);
}

int dump_write_alert(struct dump_writer *w, const struct cw_record *rec,
		     const char *alert_json)
{
	size_t len = strlen(alert_json);

	if (len > DUMP_ALERT_MAX) {
		w->st.dropped++;
		return -EMSGSIZE;
	}
	return append(w, DUMP_REC_ALERT, rec, alert_json, len);
}

int dump_write_finding(struct dump_writer *w, const char *json, size_t len)
{
	if (!json)
		return -EINVAL;
	if (len > DUMP_FINDING_MAX) {
		w->st.dropped++;
		return -EMSGSIZE;
	}
	/* no event: the writer's clock times it, and the delta state is untouched */
	return append(w, DUMP_REC_FINDING, NULL, json, len);
}

int dump_flush(struct dump_writer *w)
{
	if (!w->count) {
		/* an idle writer still closes a file that is due, so keep can act */
		if (w->fd >= 0 && rotation_due(w, 0, writer_now(w)))
			close_file(w);
		return 0;
	}
	return write_block(w);
}

const char *dump_writer_path(const struct dump_writer *w)
{
	return w->path;
}

void dump_writer_stats(const struct dump_writer *w, struct dump_writer_stats *st)
{
	*st = w->st;
}

int dump_writer_open(struct dump_writer **out, const struct dump_opts *opts)
{
	struct dump_writer *w;
	struct stat sb;
	int err;

	*out = NULL;
	if (!opts->dir || !opts->dir[0] || opts->level < 0 || opts->level > 9)
		return -EINVAL;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->fd = -1;
	w->opts = *opts;
	if (!w->opts.block_bytes)
		w->opts.block_bytes = DUMP_DEFAULT_BLOCK_BYTES;
	if (w->opts.block_bytes > DUMP_RAW_MAX / 2)
		w->opts.block_bytes = DUMP_RAW_MAX / 2;
	if (!w->opts.flush_ms)
		w->opts.flush_ms = DUMP_DEFAULT_FLUSH_MS;
	w->dir = strdup(opts->dir);
	if (!w->dir) {
		err = -ENOMEM;
		goto cleanup;
	}
	if (opts->hostname) {
		record_strlcpy(w->hostname, opts->hostname, sizeof(w->hostname));
	} else if (gethostname(w->hostname, sizeof(w->hostname) - 1)) {
		w->hostname[0] = '\0';
	}
	record_strlcpy(w->agent_version, opts->agent_version ?: CW_VERSION,
		       sizeof(w->agent_version));
	if (mkdir(w->dir, 0700) && errno != EEXIST) {
		err = -errno;
		log_error("dump: --dump %s: mkdir: %s", w->dir, strerror(-err));
		goto cleanup;
	}
	if (stat(w->dir, &sb)) {
		err = -errno;
		log_error("dump: --dump %s: stat: %s", w->dir, strerror(-err));
		goto cleanup;
	}
	if (!S_ISDIR(sb.st_mode)) {
		err = -ENOTDIR;
		log_error("dump: --dump %s: not a directory", w->dir);
		goto cleanup;
	}
	/* dumps name pods, paths and command lines: as the spool, tighten a wider mode */
	if ((sb.st_mode & 077) && chmod(w->dir, 0700) == 0)
		log_warn("dump: %s: mode %03o tightened to 0700", w->dir,
			 (unsigned)(sb.st_mode & 0777));
	else if (sb.st_mode & 077)
		log_warn("dump: %s: directory is accessible to group or others (mode %03o)",
			 w->dir, (unsigned)(sb.st_mode & 0777));
	if (deflateInit(&w->zs, w->opts.level ? w->opts.level : Z_BEST_SPEED) != Z_OK) {
		err = -ENOMEM;
		goto cleanup;
	}
	w->zs_ready = true;
	w->raw_cap = w->opts.block_bytes + DUMP_REC_HDR + DUMP_EVENT_BOUND + 64;
	w->raw = malloc(w->raw_cap);
	w->comp_cap = deflateBound(&w->zs, (uLong)w->raw_cap);
	w->comp = malloc(w->comp_cap);
	if (!w->raw || !w->comp) {
		err = -ENOMEM;
		goto cleanup;
	}
	block_reset(w);
	err = open_file(w);
	if (err)
		goto cleanup;
	*out = w;
	return 0;
cleanup:
	dump_writer_close(w);
	return err;
}

int dump_writer_close(struct dump_writer *w)
{
	int err = 0;

	if (!w)
		return 0;
	if (w->count)
		err = write_block(w);
	close_file(w);
	if (w->zs_ready)
		deflateEnd(&w->zs);
	free(w->raw);
	free(w->comp);
	free(w->hdr);
	free(w->dir);
	free(w);
	return err;
}
