// SPDX-License-Identifier: Apache-2.0
/*
 * spool_seg.c - the spool's segment files: record framing (magic, length,
 * kind, CRC), walking a segment past damage, creating, rotating,
 * scanning at open and evicting segments.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "log.h"
#include "spool_int.h"

void spool_put_le32(uint8_t *p, uint32_t v)
{
	p[0] = v; p[1] = v >> 8; p[2] = v >> 16; p[3] = v >> 24;
}

static uint32_t get_le32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

uint32_t spool_rec_crc(const uint8_t *len_le, uint8_t kind, const void *payload, size_t len)
{
	uLong crc = crc32(0L, Z_NULL, 0);

	crc = crc32(crc, len_le, 4);
	crc = crc32(crc, &kind, 1);
	crc = crc32(crc, payload, len);
	return (uint32_t)crc;
}

/*
 * Fuzz builds accept any CRC (the OSS-Fuzz convention, as dump_read.c),
 * so mutated lengths and kinds reach the scanner and the reader.
 */
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
#define crc_ok(want, got) ((void)(want), (void)(got), true)
#else
#define crc_ok(want, got) ((want) == (got))
#endif

/* Is there a whole, valid record at b[o..n)? */
static enum rec_status rec_check(const uint8_t *b, size_t n, size_t o,
				 uint8_t *kind, uint32_t *len)
{
	uint32_t l;

	if (n - o < SPOOL_HDR_BYTES)
		return REC_SHORT;
	if (get_le32(b + o) != REC_MAGIC)
		return REC_BAD;
	l = get_le32(b + o + 4);
	if (l == 0 || l > SPOOL_RECORD_MAX)
		return REC_BAD;
	if (n - o - SPOOL_HDR_BYTES < l)
		return REC_SHORT;
	if (b[o + 12] < SPOOL_ALERT || b[o + 12] > SPOOL_SUMMARY)
		return REC_BAD;
	if (!crc_ok(get_le32(b + o + 8), spool_rec_crc(b + o + 4, b[o + 12], b + o + SPOOL_HDR_BYTES, l)))
		return REC_BAD;
	*kind = b[o + 12];
	*len = l;
	return REC_OK;
}

/* The offset of the next valid record after a bad one at o, or n if none. */
static size_t rec_resync(const uint8_t *b, size_t n, size_t o)
{
	static const uint8_t magic[4] = { 0x43, 0x57, 0x52, 0x31 };
	uint8_t kind;
	uint32_t len;
	const uint8_t *p;

	for (o++; o < n; o++) {
		p = memmem(b + o, n - o, magic, sizeof(magic));
		if (!p)
			return n;
		o = p - b;
		if (rec_check(b, n, o, &kind, &len) == REC_OK)
			return o;
	}
	return n;
}

/*
 * seg_walk - call fn for each valid record of b[from..n). Corrupt regions
 * followed by a valid record are counted in *corrupt / *corrupt_bytes; the
 * offset where an unrecoverable tail starts (n when none) is returned.
 */
size_t spool_seg_walk(const uint8_t *b, size_t n, size_t from, walk_fn fn, void *ctx,
		       uint64_t *corrupt, uint64_t *corrupt_bytes, int *stop)
{
	size_t o = from, next;
	uint8_t kind;
	uint32_t len;

	*stop = 0;
	while (o < n) {
		if (rec_check(b, n, o, &kind, &len) == REC_OK) {
			if (fn) {
				*stop = fn(ctx, o, kind, b + o + SPOOL_HDR_BYTES, len);
				if (*stop)
					return o;
			}
			o += SPOOL_HDR_BYTES + len;
			continue;
		}
		next = rec_resync(b, n, o);
		if (next == n)
			return o;
		(*corrupt)++;
		*corrupt_bytes += next - o;
		o = next;
	}
	return n;
}

/* Map a segment read-only; *map NULL for an empty one. */
int spool_seg_map(struct spool *s, const struct seg *g, uint8_t **map, int *fdp)
{
	char name[64];
	int fd, err;

	*map = NULL;
	*fdp = -1;
	snprintf(name, sizeof(name), SEG_FMT, g->seq);
	fd = spool_file_open(s, name, O_RDONLY, 0);
	if (fd < 0)
		return fd;	/* logged */
	if (g->size) {
		*map = mmap(NULL, g->size, PROT_READ, MAP_SHARED, fd, 0);
		if (*map == MAP_FAILED) {
			err = -errno;
			*map = NULL;
			close(fd);
			log_warn("spool: %s/%s: mmap: %s", s->dir, name, strerror(-err));
			return err;
		}
	}
	*fdp = fd;
	return 0;
}

void spool_seg_unmap(const struct seg *g, uint8_t *map, int fd)
{
	if (map)
		munmap(map, g->size);
	if (fd >= 0)
		close(fd);
}

static int count_cb(void *ctx, size_t off, uint8_t kind, const uint8_t *p, uint32_t len)
{
	(void)off; (void)kind; (void)p; (void)len;
	(*(uint64_t *)ctx)++;
	return 0;
}

/*
 * Records of segment g in [from, upto); from must be a record boundary (0 or
 * an acknowledged position). Acks walk only the batch they cover: walking
 * from 0 on every ack was quadratic in the segment's size.
 */
uint64_t spool_seg_count(struct spool *s, const struct seg *g, uint64_t from, uint64_t upto)
{
	uint64_t n = 0, c = 0, cb = 0;
	uint8_t *map;
	int fd, stop;

	if (upto > g->size)
		upto = g->size;
	if (from >= upto || spool_seg_map(s, g, &map, &fd))
		return 0;
	spool_seg_walk(map, upto, from, count_cb, &n, &c, &cb, &stop);
	spool_seg_unmap(g, map, fd);
	return n;
}

static int segs_push(struct spool *s, uint64_t seq, uint64_t size, uint64_t nrec)
{
	struct seg *n;

	if (s->nsegs == s->capsegs) {
		size_t cap = s->capsegs ? s->capsegs * 2 : 16;

		n = realloc(s->segs, cap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		s->segs = n;
		s->capsegs = cap;
	}
	s->segs[s->nsegs++] = (struct seg){ .seq = seq, .size = size, .nrec = nrec };
	s->total_bytes += size;
	return 0;
}

void spool_segs_drop_first(struct spool *s)
{
	s->total_bytes -= s->segs[0].size;
	memmove(s->segs, s->segs + 1, (s->nsegs - 1) * sizeof(*s->segs));
	s->nsegs--;
}

int spool_seg_unlink(struct spool *s, uint64_t seq)
{
	char name[64];

	snprintf(name, sizeof(name), SEG_FMT, seq);
	if (unlinkat(s->dirfd, name, 0) && errno != ENOENT) {
		int err = -errno;

		log_warn("spool: %s/%s: unlink: %s", s->dir, name, strerror(-err));
		return err;
	}
	return 0;
}

/* Start a new active segment after the last one (or after the cursor). */
int spool_seg_create(struct spool *s)
{
	uint64_t seq = s->nsegs ? s->segs[s->nsegs - 1].seq + 1 : s->ack.seg + 1;
	char name[64];
	int fd, err;

	snprintf(name, sizeof(name), SEG_FMT, seq);
	fd = spool_file_open(s, name, O_WRONLY | O_CREAT | O_EXCL | O_APPEND, 0600);
	if (fd < 0)
		return fd;	/* logged */
	err = segs_push(s, seq, 0, 0);
	if (err) {
		close(fd);
		unlinkat(s->dirfd, name, 0);
		return err;
	}
	spool_fsync_dir(s);
	if (s->fd >= 0)
		close(s->fd);
	s->fd = fd;
	return 0;
}

int spool_seg_rotate(struct spool *s)
{
	if (s->dirty && fdatasync(s->fd) == 0) {
		s->st.syncs++;
		s->dirty = false;
	}
	return spool_seg_create(s);
}

/* Drop the oldest segment, counting its unacknowledged records as evicted. */
void spool_seg_evict_oldest(struct spool *s)
{
	struct seg g = s->segs[0];
	uint64_t lost = 0;

	if (g.seq > s->ack.seg)
		lost = g.nrec;
	else if (g.seq == s->ack.seg)
		lost = g.nrec - (s->cur_acked < g.nrec ? s->cur_acked : g.nrec);
	spool_seg_unlink(s, g.seq);
	spool_segs_drop_first(s);
	if (g.seq == s->ack.seg) {
		/* the cursor now names a deleted segment: reading restarts at the next one */
		s->ack.off = g.size;
		s->cur_acked = g.nrec;
	}
	s->st.evicted += lost;
	s->evicted_unreported += lost;
	log_warn("spool: %s: full (%" PRIu64 " bytes max): evicted segment %" PRIu64
		 " with %" PRIu64 " unacknowledged records", s->dir, s->max_bytes, g.seq, lost);
	spool_state_write(s);
}

struct scan_ctx {
	struct spool *s;
	uint64_t seq;
	uint64_t nrec;
	uint64_t acked;
};

static int scan_cb(void *ctx, size_t off, uint8_t kind, const uint8_t *p, uint32_t len)
{
	struct scan_ctx *c = ctx;

	(void)kind; (void)p; (void)len;
	c->nrec++;
	if (c->seq == c->s->ack.seg && off < c->s->ack.off)
		c->acked++;
	return 0;
}

/* Validate one segment at open: truncate a torn tail, count records. */
int spool_seg_scan(struct spool *s, uint64_t seq)
{
	struct scan_ctx c = { .s = s, .seq = seq };
	uint64_t corrupt = 0, corrupt_bytes = 0;
	uint8_t *map = NULL;
	struct stat st;
	char name[64];
	size_t end = 0;
	int fd, err = 0, stop;

	snprintf(name, sizeof(name), SEG_FMT, seq);
	fd = spool_file_open(s, name, O_RDWR, 0);
	if (fd == -ELOOP || fd == -EPERM) {
		/* planted: drop the directory entry (never what it points to), go on */
		if (!unlinkat(s->dirfd, name, 0))
			log_warn("spool: %s/%s: removed from the spool", s->dir, name);
		fd = -1;
		goto cleanup;
	}
	if (fd < 0) {
		err = fd;	/* logged */
		goto cleanup;
	}
	if (fstat(fd, &st)) {
		err = -errno;
		log_warn("spool: %s/%s: stat: %s", s->dir, name, strerror(-err));
		goto cleanup;
	}
	if (st.st_size > 0) {
		map = mmap(NULL, st.st_size, PROT_READ, MAP_SHARED, fd, 0);
		if (map == MAP_FAILED) {
			map = NULL;
			err = -errno;
			log_warn("spool: %s/%s: mmap: %s", s->dir, name, strerror(-err));
			goto cleanup;
		}
		end = spool_seg_walk(map, st.st_size, 0, scan_cb, &c, &corrupt, &corrupt_bytes, &stop);
	}
	if (corrupt) {
		s->st.corrupt_records += corrupt;
		s->st.corrupt_bytes += corrupt_bytes;
		log_warn("spool: %s/%s: %" PRIu64 " corrupt regions (%" PRIu64
			 " bytes) skipped, the records around them kept", s->dir, name,
			 corrupt, corrupt_bytes);
	}
	if (end < (size_t)st.st_size) {
		/* a crash mid-write leaves a partial record: cut it, keep the rest */
		if (ftruncate(fd, end) || fsync(fd)) {
			err = -errno;
			log_warn("spool: %s/%s: truncate torn tail: %s", s->dir, name, strerror(-err));
			goto cleanup;
		}
		s->st.torn_tails++;
		s->st.torn_bytes += st.st_size - end;
		log_warn("spool: %s/%s: torn tail of %" PRIu64 " bytes at offset %zu truncated",
			 s->dir, name, (uint64_t)(st.st_size - end), end);
	} else {
		end = st.st_size;
	}
	if (seq == s->ack.seg) {
		s->cur_acked = c.acked;
		if (s->ack.off > end) {
			log_warn("spool: %s/%s: acknowledged offset %" PRIu64 " past the end (%zu): "
				 "using the end", s->dir, name, s->ack.off, end);
			s->ack.off = end;
			s->ack_clamped = true;
		}
	}
	err = segs_push(s, seq, end, c.nrec);
cleanup:
	if (map)
		munmap(map, st.st_size);
	if (fd >= 0)
		close(fd);
	return err;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Segment sequence numbers in the directory, sorted. */
int spool_list_segments(struct spool *s, uint64_t **out, size_t *n)
{
	size_t cap = 0, cnt = 0;
	uint64_t *v = NULL, *nv, seq;
	struct dirent *de;
	char tail[8];
	DIR *d;
	int fd, err = 0;

	fd = dup(s->dirfd);
	if (fd < 0 || !(d = fdopendir(fd))) {
		err = -errno;
		if (fd >= 0)
			close(fd);
		return err;
	}
	rewinddir(d);
	while ((de = readdir(d))) {
		if (sscanf(de->d_name, "seg-%20" SCNu64 "%7s", &seq, tail) != 2 ||
		    strcmp(tail, ".log"))
			continue;
		if (cnt == cap) {
			cap = cap ? cap * 2 : 32;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv) {
				err = -ENOMEM;
				goto cleanup;
			}
			v = nv;
		}
		v[cnt++] = seq;
	}
	if (cnt)
		qsort(v, cnt, sizeof(*v), cmp_u64);
cleanup:
	closedir(d);
	if (err) {
		free(v);
		return err;
	}
	*out = v;
	*n = cnt;
	return 0;
}
