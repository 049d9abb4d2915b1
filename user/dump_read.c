// SPDX-License-Identifier: Apache-2.0
/*
 * dump_read.c - trace dump reader: files in order, blocks, damage and resync.
 *
 * Over 600 lines on purpose: it is one state machine over a file set
 * (which file, which block, where the last good record ended) whose damage
 * handling - torn tails, bad checksums, a block that does not inflate -
 * must see all of it to resync at the next block and count what it skipped.
 */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "dump.h"
#include "dump_format.h"
#include "fields.h"
#include "log.h"

#define SCAN_CHUNK	(64u << 10)
#define REC_MIN		10	/* type, time, one-byte body length */

struct field_map {
	int16_t id;		/* reader's field id, -1: skip */
	uint8_t type;
};

struct dump_reader {
	struct dump_reader_opts opts;
	char **files;
	int nfiles, next_file;
	uint64_t *sizes;
	uint64_t done_before;	/* bytes of the files already finished */
	int fd;
	uint64_t off, size;	/* position in and size of the current file */
	struct dump_file_info info;
	struct field_map map[DUMP_FIELD_IDS_MAX];
	unsigned char *comp, *raw;
	size_t comp_cap, raw_cap, raw_len, raw_pos;
	uint32_t block_count, block_seen;
	uint64_t block_off;
	bool block_bad;
	z_stream zs;
	bool zs_ready;
	char *alert;		/* the alert or finding line returned last */
	size_t alert_cap;
	struct dump_reader_stats st;
	bool damage;
	struct cw_record rec;
};

static void damage(struct dump_reader *r, uint64_t off, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void damage(struct dump_reader *r, uint64_t off, const char *fmt, ...)
{
	char what[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	r->damage = true;
	if (r->opts.on_damage)
		r->opts.on_damage(r->opts.ctx, r->info.path, off, what);
	else
		log_warn("dump: %s: offset %llu: %s", r->info.path,
			 (unsigned long long)off, what);
}

static int grow(unsigned char **buf, size_t *cap, size_t need)
{
	unsigned char *p;

	if (need <= *cap)
		return 0;
	p = realloc(*buf, need);
	if (!p)
		return -ENOMEM;
	*buf = p;
	*cap = need;
	return 0;
}

static int read_at(int fd, void *buf, size_t len, uint64_t off)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = pread(fd, (char *)buf + done, len - done, (off_t)(off + done));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -ENODATA;	/* file shrank under us */
		done += (size_t)n;
	}
	return 0;
}

/* Bounded LEB128; returns bytes used or 0 when malformed or cut. */
static size_t get_varint(const unsigned char *p, size_t avail, uint32_t *out)
{
	uint64_t v = 0;

	for (size_t i = 0; i < avail && i < 5; i++) {
		v |= (uint64_t)(p[i] & 0x7f) << (7 * i);
		if (!(p[i] & 0x80)) {
			if (v > UINT32_MAX)
				return 0;
			*out = (uint32_t)v;
			return i + 1;
		}
	}
	return 0;
}

/*
 * Fuzz builds accept any CRC (the OSS-Fuzz convention), so mutated lengths
 * and payloads reach the decoder instead of stopping at the checksum.
 */
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
#define crc_ok(want, got) ((void)(want), (void)(got), true)
#else
#define crc_ok(want, got) ((want) == (got))
#endif

static bool block_hdr_parse(const unsigned char *p, struct dump_block_hdr *h)
{
	if (memcmp(p, DUMP_BLOCK_MAGIC, 4) ||
	    !crc_ok(dump_get_u32(p + 36), (uint32_t)crc32(0, p, 36)))
		return false;
	h->comp_len = dump_get_u32(p + 4);
	h->raw_len = dump_get_u32(p + 8);
	h->count = dump_get_u32(p + 12);
	h->ts_min = dump_get_u64(p + 16);
	h->ts_max = dump_get_u64(p + 24);
	h->payload_crc = dump_get_u32(p + 32);
	return h->comp_len > 0 && h->comp_len <= DUMP_COMP_MAX &&
	       h->raw_len <= DUMP_RAW_MAX && h->count > 0 &&
	       h->count <= h->raw_len / REC_MIN && h->ts_min <= h->ts_max;
}

/* Offset of the next valid block header after from, or the file size. */
static uint64_t resync(struct dump_reader *r, uint64_t from)
{
	unsigned char buf[SCAN_CHUNK];
	struct dump_block_hdr h;
	uint64_t pos = from;

	while (pos + DUMP_BLOCK_HDR <= r->size) {
		size_t len = r->size - pos < sizeof(buf) ? (size_t)(r->size - pos) : sizeof(buf);
		size_t i = 0;

		if (read_at(r->fd, buf, len, pos))
			break;
		while (i + DUMP_BLOCK_HDR <= len) {
			unsigned char *p = memmem(buf + i, len - i, DUMP_BLOCK_MAGIC, 4);
			size_t at;

			if (!p)
				break;
			at = (size_t)(p - buf);
			if (at + DUMP_BLOCK_HDR > len)
				break;
			if (block_hdr_parse(p, &h))
				return pos + at;
			i = at + 1;
		}
		if (pos + len >= r->size)
			break;
		/* the next chunk overlaps so a header across the edge is seen whole */
		pos += len - DUMP_BLOCK_HDR + 1;
	}
	return r->size;
}

static void skip_to(struct dump_reader *r, uint64_t off, uint64_t to, const char *why)
{
	r->st.bytes_skipped += to - off;
	if (to >= r->size)
		damage(r, off, "%s; skipped %llu bytes to end of file", why,
		       (unsigned long long)(to - off));
	else
		damage(r, off, "%s; skipped %llu bytes to next block at offset %llu", why,
		       (unsigned long long)(to - off), (unsigned long long)to);
	r->off = to;
}

static void refuse(struct dump_reader *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The whole file is unreadable: count it and say why once. */
static void refuse(struct dump_reader *r, const char *fmt, ...)
{
	char why[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	r->st.files_refused++;
	r->st.bytes_skipped += r->size;
	damage(r, 0, "%s", why);
}

static int lookup_base(const char *name)
{
	for (int id = 0; id < CW_F__COUNT; id++)
		if (!strcmp(field_info(id)->name, name))
			return id;
	return -ENOENT;
}

static void tlv_str(char *dst, size_t size, const unsigned char *v, size_t len)
{
	if (len >= size)
		len = size - 1;
	memcpy(dst, v, len);
	dst[len] = '\0';
}

/* Header TLVs into info and the field map; unknown tags are skipped. */
static void parse_tlvs(struct dump_reader *r, const unsigned char *p, size_t n)
{
	size_t i = 0;

	for (int k = 0; k < DUMP_FIELD_IDS_MAX; k++)
		r->map[k].id = -1;
	while (i + 4 <= n) {
		unsigned tag = p[i] | p[i + 1] << 8, len = p[i + 2] | p[i + 3] << 8;
		const unsigned char *v = p + i + 4;

		if (len > n - i - 4)
			break;
		i += 4 + len;
		switch (tag) {
		case DUMP_TAG_HOSTNAME:
			tlv_str(r->info.hostname, sizeof(r->info.hostname), v, len);
			break;
		case DUMP_TAG_KERNEL:
			tlv_str(r->info.kernel, sizeof(r->info.kernel), v, len);
			break;
		case DUMP_TAG_AGENT_VERSION:
			tlv_str(r->info.agent_version, sizeof(r->info.agent_version), v, len);
			break;
		case DUMP_TAG_BOOT_TIME:
			if (len == 8)
				r->info.boot_time_ns = dump_get_u64(v);
			break;
		case DUMP_TAG_CREATED:
			if (len == 8)
				r->info.created_ns = dump_get_u64(v);
			break;
		case DUMP_TAG_FIELD: {
			char name[128];
			unsigned wid;
			int id;

			if (len < 5)
				break;
			wid = v[0] | v[1] << 8;
			tlv_str(name, sizeof(name), v + 4, len - 4);
			id = lookup_base(name);
			if (wid >= DUMP_FIELD_IDS_MAX || id < 0 ||
			    field_info(id)->type != v[2] || field_info(id)->indexed != (v[3] != 0))
				break;
			r->map[wid].id = (int16_t)id;
			r->map[wid].type = v[2];
			break;
		}
		default:
			break;
		}
	}
}

/* Open files[next_file] and check its header. Returns 1 when readable, 0 if refused. */
static int open_next(struct dump_reader *r)
{
	unsigned char fixed[DUMP_FILE_HDR_FIXED], *tlv = NULL;
	const char *path = r->files[r->next_file];
	uint32_t tlv_len;
	struct stat sb;
	int ret = 0;

	memset(&r->info, 0, sizeof(r->info));
	tlv_str(r->info.path, sizeof(r->info.path), (const unsigned char *)path, strlen(path));
	r->size = r->sizes[r->next_file];
	r->off = 0;
	r->next_file++;
	r->st.files++;
	r->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (r->fd < 0 || fstat(r->fd, &sb)) {
		refuse(r, "cannot open: %s", strerror(errno));
		goto cleanup;
	}
	if (!S_ISREG(sb.st_mode)) {
		refuse(r, "not a regular file");
		goto cleanup;
	}
	r->size = (uint64_t)sb.st_size;
	if (r->size == 0) {
		refuse(r, "empty file (no dump header)");
		goto cleanup;
	}
	if (r->size < DUMP_MAGIC_LEN + 1 || read_at(r->fd, fixed, DUMP_MAGIC_LEN + 1, 0) ||
	    memcmp(fixed, DUMP_MAGIC, DUMP_MAGIC_LEN)) {
		refuse(r, "not a credwatch dump (bad magic)");
		goto cleanup;
	}
	r->info.version = fixed[DUMP_MAGIC_LEN];
	if (r->info.version > DUMP_VERSION) {
		refuse(r, "dump format version %u is newer than this reader supports (%u); "
		       "use a newer credwatch-inspect", r->info.version, DUMP_VERSION);
		goto cleanup;
	}
	if (r->info.version == 0 || r->size < DUMP_FILE_HDR_FIXED + 4 ||
	    read_at(r->fd, fixed, DUMP_FILE_HDR_FIXED, 0)) {
		refuse(r, "truncated or invalid file header");
		goto cleanup;
	}
	tlv_len = dump_get_u32(fixed + 8);
	if (tlv_len > DUMP_TLV_MAX || DUMP_FILE_HDR_FIXED + (uint64_t)tlv_len + 4 > r->size) {
		refuse(r, "truncated or invalid file header");
		goto cleanup;
	}
	tlv = malloc(tlv_len + 4);
	if (!tlv)
		return -ENOMEM;
	if (read_at(r->fd, tlv, tlv_len + 4, DUMP_FILE_HDR_FIXED) ||
	    !crc_ok(dump_get_u32(tlv + tlv_len),
		    (uint32_t)crc32(crc32(0, fixed, DUMP_FILE_HDR_FIXED), tlv, tlv_len))) {
		refuse(r, "file header CRC mismatch");
		goto cleanup;
	}
	parse_tlvs(r, tlv, tlv_len);
	r->off = DUMP_FILE_HDR_FIXED + tlv_len + 4;
	ret = 1;
cleanup:
	free(tlv);
	if (!ret && r->fd >= 0) {
		close(r->fd);
		r->fd = -1;
	}
	if (!ret)
		r->done_before += r->size;
	return ret;
}

static void close_current(struct dump_reader *r)
{
	if (r->fd >= 0)
		close(r->fd);
	r->fd = -1;
	r->done_before += r->size;
	r->size = r->off = 0;
}

static bool out_of_range(const struct dump_reader *r, uint64_t lo, uint64_t hi)
{
	return (r->opts.since_ns && hi < r->opts.since_ns) ||
	       (r->opts.until_ns && lo > r->opts.until_ns);
}

/* Load the next intact block of the current file. 1: loaded, 0: end of file. */
static int next_block(struct dump_reader *r)
{
	unsigned char hdr[DUMP_BLOCK_HDR];
	struct dump_block_hdr h;
	uint64_t off;

	for (;;) {
		off = r->off;
		if (off >= r->size)
			return 0;
		if (r->size - off < DUMP_BLOCK_HDR) {
			r->st.truncated++;
			skip_to(r, off, r->size, "truncated block header");
			return 0;
		}
		if (read_at(r->fd, hdr, sizeof(hdr), off)) {
			skip_to(r, off, r->size, "read error");
			return 0;
		}
		if (!block_hdr_parse(hdr, &h)) {
			r->st.blocks_damaged++;
			skip_to(r, off, resync(r, off + 1), "bad block header");
			continue;
		}
		if (h.comp_len > r->size - off - DUMP_BLOCK_HDR) {
			r->st.truncated++;
			r->st.blocks_damaged++;
			skip_to(r, off, r->size, "truncated block (file ends inside it)");
			return 0;
		}
		r->off = off + DUMP_BLOCK_HDR + h.comp_len;
		if (out_of_range(r, h.ts_min, h.ts_max)) {
			r->st.blocks_out_of_range++;
			continue;
		}
		if (grow(&r->comp, &r->comp_cap, h.comp_len) ||
		    grow(&r->raw, &r->raw_cap, h.raw_len ? h.raw_len : 1))
			return -ENOMEM;
		if (read_at(r->fd, r->comp, h.comp_len, off + DUMP_BLOCK_HDR)) {
			skip_to(r, off, r->size, "read error");
			return 0;
		}
		if (!crc_ok(h.payload_crc, (uint32_t)crc32(0, r->comp, h.comp_len))) {
			r->st.blocks_damaged++;
			r->st.bytes_skipped += DUMP_BLOCK_HDR + h.comp_len;
			damage(r, off, "block CRC mismatch; skipped %u bytes",
			       DUMP_BLOCK_HDR + h.comp_len);
			continue;
		}
		inflateReset(&r->zs);
		r->zs.next_in = r->comp;
		r->zs.avail_in = h.comp_len;
		r->zs.next_out = r->raw;
		r->zs.avail_out = h.raw_len;
		if (inflate(&r->zs, Z_FINISH) != Z_STREAM_END || r->zs.avail_out ||
		    r->zs.avail_in) {
			r->st.blocks_damaged++;
			r->st.bytes_skipped += DUMP_BLOCK_HDR + h.comp_len;
			damage(r, off, "bad compressed data; skipped %u bytes",
			       DUMP_BLOCK_HDR + h.comp_len);
			continue;
		}
		r->raw_len = h.raw_len;
		r->raw_pos = 0;
		r->block_count = h.count;
		r->block_seen = 0;
		r->block_off = off;
		r->block_bad = false;
		record_reset(&r->rec);
		return 1;
	}
}

/* Apply a record's fields to r->rec. Returns NULL or what is wrong. */
static const char *decode_fields(struct dump_reader *r, const unsigned char *p, size_t n)
{
	size_t i = 0;

	while (i < n) {
		uint32_t wid, len;
		unsigned idx, type;
		size_t k = get_varint(p + i, n - i, &wid);
		const struct field_map *m;
		uint64_t v = 0;

		if (!k || n - i - k < 2)
			return "field header cut";
		i += k;
		idx = p[i++];
		type = p[i++];
		k = get_varint(p + i, n - i, &len);
		if (!k || len > n - i - k)
			return "field length past the record";
		i += k;
		m = wid < DUMP_FIELD_IDS_MAX ? &r->map[wid] : NULL;
		if (!m || m->id < 0 || (type & ~DUMP_FIELD_CLEAR) != m->type ||
		    (field_info(m->id)->indexed ? idx > CW_ANCESTORS : idx != 0)) {
			r->st.fields_skipped++;
			i += len;
			continue;
		}
		if (type & DUMP_FIELD_CLEAR) {
			dump_field_clear(&r->rec, m->id, (int)idx);
		} else if (m->type == CW_FT_STR) {
			if (!len || p[i + len - 1] != '\0')
				return "string not terminated";
			if (field_set_str(&r->rec, m->id, (int)idx, (const char *)p + i))
				r->st.fields_skipped++;
		} else {
			if (len > 8)
				return "number longer than 8 bytes";
			for (unsigned b = 0; b < len; b++)
				v |= (uint64_t)p[i + b] << (8 * b);
			field_set_u64(&r->rec, m->id, (int)idx, v);
		}
		i += len;
	}
	return NULL;
}

/*
 * Decode the record at raw_pos. 1: it is in *it, 0: skipped (out of the
 * time range or of an unknown type), -1: the rest of the block is bad.
 */
static int decode_record(struct dump_reader *r, struct dump_item *it)
{
	const unsigned char *p = r->raw + r->raw_pos, *b;
	size_t avail = r->raw_len - r->raw_pos, k;
	uint32_t body, jlen;
	const char *bad = NULL;
	uint64_t t;

	if (avail < REC_MIN || !(k = get_varint(p + 9, avail - 9, &body)) ||
	    body > avail - 9 - k) {
		bad = "record cut";
		goto bad;
	}
	t = dump_get_u64(p + 1);
	b = p + 9 + k;
	r->raw_pos += 9 + k + body;
	r->block_seen++;
	memset(it, 0, sizeof(*it));
	it->type = p[0];
	it->time_ns = t;
	it->file = &r->info;
	it->block_offset = r->block_off;
	switch (p[0]) {
	case DUMP_REC_EVENT:
		bad = decode_fields(r, b, body);
		it->rec = &r->rec;
		break;
	case DUMP_REC_ALERT:
		if (!(k = get_varint(b, body, &jlen)) || jlen > body - k ||
		    body - k - jlen < 1) {
			bad = "alert cut";
			break;
		}
		if (grow((unsigned char **)&r->alert, &r->alert_cap, (size_t)jlen + 1))
			return -ENOMEM;
		memcpy(r->alert, b + k, jlen);
		r->alert[jlen] = '\0';
		it->alert_json = r->alert;
		it->alert_len = jlen;
		if (b[k + jlen]) {
			bad = decode_fields(r, b + k + jlen + 1, body - k - jlen - 1);
			it->rec = &r->rec;
		}
		break;
	case DUMP_REC_FINDING:
		/* bytes after the line are a newer writer's; ignored */
		if (!(k = get_varint(b, body, &jlen)) || jlen > body - k) {
			bad = "finding cut";
			break;
		}
		if (grow((unsigned char **)&r->alert, &r->alert_cap, (size_t)jlen + 1))
			return -ENOMEM;
		memcpy(r->alert, b + k, jlen);
		r->alert[jlen] = '\0';
		it->finding_json = r->alert;
		it->finding_len = jlen;
		break;
	default:
		r->st.fields_skipped++;	/* a record type of a newer writer */
		return 0;
	}
	if (bad)
		goto bad;
	if (out_of_range(r, t, t))
		return 0;
	if (it->type == DUMP_REC_EVENT)
		r->st.events++;
	else if (it->type == DUMP_REC_ALERT)
		r->st.alerts++;
	else
		r->st.findings++;
	return 1;
bad:
	r->st.blocks_damaged++;
	r->block_bad = true;
	damage(r, r->block_off, "bad record %u in block (%s); rest of block skipped",
	       r->block_seen, bad);
	r->raw_pos = r->raw_len;
	return -1;
}

int dump_reader_next(struct dump_reader *r, struct dump_item *it)
{
	int ret;

	for (;;) {
		if (r->raw_pos < r->raw_len) {
			ret = decode_record(r, it);
			if (ret == -ENOMEM || ret == 1)
				return ret;
			continue;
		}
		if (r->raw_len) {	/* a block just ended */
			if (!r->block_bad && r->block_seen != r->block_count) {
				r->st.blocks_damaged++;
				damage(r, r->block_off, "block holds %u records, header says %u",
				       r->block_seen, r->block_count);
			} else if (!r->block_bad) {
				r->st.blocks_ok++;
			}
			r->raw_len = r->raw_pos = 0;
		}
		if (r->fd >= 0) {
			ret = next_block(r);
			if (ret < 0)
				return ret;
			if (ret)
				continue;
			close_current(r);
		}
		if (r->next_file >= r->nfiles)
			return 0;
		ret = open_next(r);
		if (ret < 0)
			return ret;
	}
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int add_file(struct dump_reader *r, const char *path, int *cap)
{
	char **f;
	uint64_t *s;
	struct stat sb;

	if (r->nfiles == *cap) {
		*cap = *cap ? *cap * 2 : 16;
		f = realloc(r->files, (size_t)*cap * sizeof(*f));
		if (f)
			r->files = f;
		s = realloc(r->sizes, (size_t)*cap * sizeof(*s));
		if (s)
			r->sizes = s;
		if (!f || !s)
			return -ENOMEM;
	}
	r->files[r->nfiles] = strdup(path);
	if (!r->files[r->nfiles])
		return -ENOMEM;
	r->sizes[r->nfiles] = stat(path, &sb) ? 0 : (uint64_t)sb.st_size;
	r->st.bytes_total += r->sizes[r->nfiles];
	r->nfiles++;
	return 0;
}

static int list_dir(struct dump_reader *r, const char *dir)
{
	struct dirent *de;
	char path[4096];
	int cap = 0, err = 0;
	DIR *d = opendir(dir);

	if (!d)
		return -errno;
	while (!err && (de = readdir(d))) {
		size_t n = strlen(de->d_name);

		if (n < 5 || strcmp(de->d_name + n - 4, ".cwd") || de->d_name[0] == '.')
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) >= sizeof(path))
			continue;
		err = add_file(r, path, &cap);
	}
	closedir(d);
	if (err)
		return err;
	if (!r->nfiles)
		return -ENODATA;
	/* the writer's names sort in time order; sort the sizes along */
	for (int i = 0; i < r->nfiles; i++) {
		int m = i;

		for (int j = i + 1; j < r->nfiles; j++)
			if (cmp_str(&r->files[j], &r->files[m]) < 0)
				m = j;
		if (m != i) {
			char *t = r->files[i];
			uint64_t s = r->sizes[i];

			r->files[i] = r->files[m];
			r->files[m] = t;
			r->sizes[i] = r->sizes[m];
			r->sizes[m] = s;
		}
	}
	return 0;
}

int dump_reader_open(struct dump_reader **out, const char *path,
		     const struct dump_reader_opts *opts)
{
	struct dump_reader *r;
	struct stat sb;
	int cap = 0, err;

	*out = NULL;
	if (stat(path, &sb))
		return -errno;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->fd = -1;
	if (opts)
		r->opts = *opts;
	if (inflateInit(&r->zs) != Z_OK) {
		err = -ENOMEM;
		goto cleanup;
	}
	r->zs_ready = true;
	err = S_ISDIR(sb.st_mode) ? list_dir(r, path) : add_file(r, path, &cap);
	if (err)
		goto cleanup;
	record_reset(&r->rec);
	*out = r;
	return 0;
cleanup:
	dump_reader_close(r);
	return err;
}

void dump_reader_stats(const struct dump_reader *r, struct dump_reader_stats *st)
{
	*st = r->st;
	st->bytes_done = r->done_before + r->off;
}

bool dump_reader_saw_damage(const struct dump_reader *r)
{
	return r->damage;
}

void dump_reader_close(struct dump_reader *r)
{
	if (!r)
		return;
	if (r->fd >= 0)
		close(r->fd);
	if (r->zs_ready)
		inflateEnd(&r->zs);
	for (int i = 0; i < r->nfiles; i++)
		free(r->files[i]);
	free(r->files);
	free(r->sizes);
	free(r->comp);
	free(r->raw);
	free(r->alert);
	free(r);
}
