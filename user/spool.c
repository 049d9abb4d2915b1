// SPDX-License-Identifier: Apache-2.0
/* spool.c - segment files, record framing, ack cursor and eviction of the spool. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "log.h"
#include "spool.h"

#define REC_MAGIC     0x31525743u	/* "CWR1" little endian */
#define STATE_FILE    "state"
#define STATE_TMP     "state.tmp"
#define STATE_VERSION 1
#define SEG_FMT       "seg-%020" PRIu64 ".log"

struct seg {
	uint64_t seq;
	uint64_t size;
	uint64_t nrec;
};

struct spool {
	pthread_mutex_t mu;
	char *dir;
	int dirfd;
	int lockfd;
	int fd;			/* active segment = segs[nsegs - 1] */
	struct seg *segs;
	size_t nsegs, capsegs;
	uint64_t total_bytes;
	struct spool_pos ack;
	uint64_t cur_acked;	/* records before ack.off in segment ack.seg */
	bool ack_clamped;	/* open moved ack.off back to its segment's end */
	uint64_t evicted_unreported;
	uint64_t max_bytes;
	uint64_t segment_bytes;
	unsigned fsync_ms;
	bool dirty;
	uint64_t last_sync_ms;
	struct spool_stats st;
	/*
	 * The state file is written outside mu (an ack's two fsyncs must not hold
	 * up appends); state_mu orders writers and a generation drops a snapshot
	 * older than the one already on disk. Lock order: mu, then state_mu.
	 */
	pthread_mutex_t state_mu;
	uint64_t state_gen, state_written_gen;
};

struct state_snap {
	struct spool_pos ack;
	uint64_t evicted_unreported;
	uint64_t gen;
};

enum rec_status { REC_OK, REC_BAD, REC_SHORT };

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void put_le32(uint8_t *p, uint32_t v)
{
	p[0] = v; p[1] = v >> 8; p[2] = v >> 16; p[3] = v >> 24;
}

static uint32_t get_le32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint32_t rec_crc(const uint8_t *len_le, uint8_t kind, const void *payload, size_t len)
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
	if (!crc_ok(get_le32(b + o + 8), rec_crc(b + o + 4, b[o + 12], b + o + SPOOL_HDR_BYTES, l)))
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
typedef int (*walk_fn)(void *ctx, size_t off, uint8_t kind, const uint8_t *payload, uint32_t len);

static size_t seg_walk(const uint8_t *b, size_t n, size_t from, walk_fn fn, void *ctx,
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

/*
 * Open a file of the spool directory as one of ours: never through a
 * symlink (O_NOFOLLOW), never blocking on a FIFO (O_NONBLOCK), and only a
 * regular file with a single link that we own. A file planted while the
 * directory was open to others (a hostPath someone made world-writable)
 * cannot make us truncate, write or map something else. Returns the fd or
 * -errno (-ELOOP for a symlink, -EPERM for anything else refused), logged.
 */
int spool_file_open(struct spool *s, const char *name, int flags, mode_t mode)
{
	struct stat st;
	int fd, err;

	for (int attempt = 0;; attempt++) {
		fd = openat(s->dirfd, name, flags | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, mode);
		if (fd < 0) {
			err = -errno;
			if (err != -ENOENT)
				log_warn("spool: %s/%s: open: %s%s", s->dir, name, strerror(-err),
					 err == -ELOOP ? " (a symlink: refused)" : "");
		} else if (fstat(fd, &st)) {
			err = -errno;
			close(fd);
			return err;
		} else if (!S_ISREG(st.st_mode) || st.st_nlink != 1 || st.st_uid != geteuid()) {
			log_warn("spool: %s/%s: refused: not a regular file of ours with one link "
				 "(mode %06o, %lu links, uid %u)", s->dir, name, (unsigned)st.st_mode,
				 (unsigned long)st.st_nlink, (unsigned)st.st_uid);
			close(fd);
			err = -EPERM;
		} else {
			return fd;
		}
		/*
		 * A file we are about to create (the lock, the dead letters):
		 * drop the planted entry itself, never what it points to, once.
		 */
		if (!(flags & O_CREAT) || attempt || (err != -ELOOP && err != -EPERM) ||
		    unlinkat(s->dirfd, name, 0))
			return err;
		log_warn("spool: %s/%s: removed; creating our own", s->dir, name);
		flags |= O_EXCL;
	}
}

int spool_file_rotate(struct spool *s, const char *name, uint64_t max_bytes)
{
	char old[256];
	struct stat st;

	if (fstatat(s->dirfd, name, &st, AT_SYMLINK_NOFOLLOW))
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size <= max_bytes)
		return 0;
	snprintf(old, sizeof(old), "%s.1", name);
	if (renameat(s->dirfd, name, s->dirfd, old))
		return -errno;
	return 1;
}

/* Map a segment read-only; *map NULL for an empty one. */
static int seg_map(struct spool *s, const struct seg *g, uint8_t **map, int *fdp)
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

static void seg_unmap(const struct seg *g, uint8_t *map, int fd)
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
static uint64_t seg_count(struct spool *s, const struct seg *g, uint64_t from, uint64_t upto)
{
	uint64_t n = 0, c = 0, cb = 0;
	uint8_t *map;
	int fd, stop;

	if (upto > g->size)
		upto = g->size;
	if (from >= upto || seg_map(s, g, &map, &fd))
		return 0;
	seg_walk(map, upto, from, count_cb, &n, &c, &cb, &stop);
	seg_unmap(g, map, fd);
	return n;
}

static int fsync_dir(struct spool *s)
{
	if (fsync(s->dirfd)) {
		int err = -errno;

		log_warn("spool: %s: fsync dir: %s", s->dir, strerror(-err));
		return err;
	}
	return 0;
}

/* Under mu: what the state file should say now. */
static struct state_snap state_snap(struct spool *s)
{
	return (struct state_snap){ s->ack, s->evicted_unreported, ++s->state_gen };
}

/* Replace the state file atomically: temp, fsync, rename, fsync dir. */
static int state_write_snap(struct spool *s, const struct state_snap *snap)
{
	char buf[160];
	int fd, n, err = 0;

	pthread_mutex_lock(&s->state_mu);
	if (snap->gen <= s->state_written_gen)
		goto unlock;	/* a newer snapshot is already durable */
	n = snprintf(buf, sizeof(buf), "credwatch-spool %d %" PRIu64 " %" PRIu64 " %" PRIu64 "\n",
		     STATE_VERSION, snap->ack.seg, snap->ack.off, snap->evicted_unreported);
	/*
	 * A fresh file every time: O_TRUNC on whatever is there would truncate
	 * the target of a planted hard link before any check could refuse it.
	 */
	if (unlinkat(s->dirfd, STATE_TMP, 0) && errno != ENOENT) {
		err = -errno;
		log_warn("spool: %s/%s: unlink: %s", s->dir, STATE_TMP, strerror(-err));
		goto unlock;
	}
	fd = spool_file_open(s, STATE_TMP, O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (fd < 0) {
		err = fd;
		goto unlock;
	}
	if (write(fd, buf, n) != n) {
		err = errno ? -errno : -EIO;
		log_warn("spool: %s/%s: write: %s", s->dir, STATE_TMP, strerror(-err));
		goto cleanup;
	}
	if (fsync(fd)) {
		err = -errno;
		log_warn("spool: %s/%s: fsync: %s", s->dir, STATE_TMP, strerror(-err));
		goto cleanup;
	}
	if (renameat(s->dirfd, STATE_TMP, s->dirfd, STATE_FILE)) {
		err = -errno;
		log_warn("spool: %s/%s: rename: %s", s->dir, STATE_FILE, strerror(-err));
		goto cleanup;
	}
	err = fsync_dir(s);
cleanup:
	close(fd);
	if (err)
		unlinkat(s->dirfd, STATE_TMP, 0);
	else
		s->state_written_gen = snap->gen;
unlock:
	pthread_mutex_unlock(&s->state_mu);
	return err;
}

/* Under mu, for the rare writers (eviction, eviction report). */
static int state_write(struct spool *s)
{
	struct state_snap snap = state_snap(s);

	return state_write_snap(s, &snap);
}

static void state_read(struct spool *s)
{
	char buf[160] = "";
	int fd, ver = 0;
	ssize_t n;

	fd = spool_file_open(s, STATE_FILE, O_RDONLY, 0);
	if (fd < 0) {
		if (fd == -ELOOP || fd == -EPERM)
			unlinkat(s->dirfd, STATE_FILE, 0);	/* planted: not ours */
		if (fd != -ENOENT)
			log_warn("spool: %s/%s: replaying everything", s->dir, STATE_FILE);
		return;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	if (sscanf(buf, "credwatch-spool %d %" SCNu64 " %" SCNu64 " %" SCNu64, &ver,
		   &s->ack.seg, &s->ack.off, &s->evicted_unreported) != 4 || ver != STATE_VERSION) {
		/* at-least-once: with no trusted cursor, resend everything */
		log_warn("spool: %s/%s: unreadable state: replaying everything", s->dir, STATE_FILE);
		s->ack.seg = s->ack.off = 0;
		s->evicted_unreported = 0;
	}
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

static void segs_drop_first(struct spool *s)
{
	s->total_bytes -= s->segs[0].size;
	memmove(s->segs, s->segs + 1, (s->nsegs - 1) * sizeof(*s->segs));
	s->nsegs--;
}

static int seg_unlink(struct spool *s, uint64_t seq)
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
static int seg_create(struct spool *s)
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
	fsync_dir(s);
	if (s->fd >= 0)
		close(s->fd);
	s->fd = fd;
	return 0;
}

static int seg_rotate(struct spool *s)
{
	if (s->dirty && fdatasync(s->fd) == 0) {
		s->st.syncs++;
		s->dirty = false;
	}
	return seg_create(s);
}

/* Drop the oldest segment, counting its unacknowledged records as evicted. */
static void seg_evict_oldest(struct spool *s)
{
	struct seg g = s->segs[0];
	uint64_t lost = 0;

	if (g.seq > s->ack.seg)
		lost = g.nrec;
	else if (g.seq == s->ack.seg)
		lost = g.nrec - (s->cur_acked < g.nrec ? s->cur_acked : g.nrec);
	seg_unlink(s, g.seq);
	segs_drop_first(s);
	if (g.seq == s->ack.seg) {
		/* the cursor now names a deleted segment: reading restarts at the next one */
		s->ack.off = g.size;
		s->cur_acked = g.nrec;
	}
	s->st.evicted += lost;
	s->evicted_unreported += lost;
	log_warn("spool: %s: full (%" PRIu64 " bytes max): evicted segment %" PRIu64
		 " with %" PRIu64 " unacknowledged records", s->dir, s->max_bytes, g.seq, lost);
	state_write(s);
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
static int seg_scan(struct spool *s, uint64_t seq)
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
		end = seg_walk(map, st.st_size, 0, scan_cb, &c, &corrupt, &corrupt_bytes, &stop);
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
static int list_segments(struct spool *s, uint64_t **out, size_t *n)
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

/* mkdir -p; the spool directory itself is 0700 since records name pods and paths. */
static int make_dir(const char *dir)
{
	char path[PATH_MAX];
	size_t i, n = strlen(dir);

	if (n == 0 || n >= sizeof(path))
		return -ENAMETOOLONG;
	memcpy(path, dir, n + 1);
	for (i = 1; i < n; i++) {
		if (path[i] != '/')
			continue;
		path[i] = '\0';
		if (mkdir(path, 0755) && errno != EEXIST)
			return -errno;
		path[i] = '/';
	}
	if (mkdir(path, 0700) && errno != EEXIST)
		return -errno;
	return 0;
}

void spool_opts_default(struct spool_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->dir = SPOOL_DEFAULT_DIR;
	o->max_bytes = SPOOL_DEFAULT_MAX_BYTES;
	o->fsync_ms = SPOOL_DEFAULT_FSYNC_MS;
}

int spool_open(struct spool **sp, const struct spool_opts *o)
{
	struct spool_stats st0;
	uint64_t *seqs = NULL;
	struct spool *s;
	struct stat st;
	size_t n = 0, i;
	int err;

	*sp = NULL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	pthread_mutex_init(&s->mu, NULL);
	pthread_mutex_init(&s->state_mu, NULL);
	s->dirfd = s->lockfd = s->fd = -1;
	s->dir = strdup(o->dir && *o->dir ? o->dir : SPOOL_DEFAULT_DIR);
	if (!s->dir) {
		err = -ENOMEM;
		goto cleanup;
	}
	s->max_bytes = o->max_bytes ? o->max_bytes : SPOOL_DEFAULT_MAX_BYTES;
	s->segment_bytes = o->segment_bytes;
	if (!s->segment_bytes) {
		s->segment_bytes = s->max_bytes / 16;
		if (s->segment_bytes < (64 << 10))
			s->segment_bytes = 64 << 10;
		if (s->segment_bytes > (16 << 20))
			s->segment_bytes = 16 << 20;
	}
	if (s->segment_bytes > s->max_bytes / 2)
		s->segment_bytes = s->max_bytes / 2;
	s->fsync_ms = o->fsync_ms;
	if (s->max_bytes < SPOOL_MIN_BYTES) {
		log_error("spool: --spool-max-bytes %" PRIu64 ": too small (minimum %u)",
			  s->max_bytes, SPOOL_MIN_BYTES);
		err = -EINVAL;
		goto cleanup;
	}
	err = make_dir(s->dir);
	if (err) {
		log_error("spool: %s: mkdir: %s", s->dir, strerror(-err));
		goto cleanup;
	}
	/* the directory itself: not through a symlink, and ours */
	s->dirfd = open(s->dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (s->dirfd < 0 || fstat(s->dirfd, &st)) {
		err = -errno;
		log_error("spool: %s: open: %s%s", s->dir, strerror(-err),
			  err == -ELOOP || err == -ENOTDIR ? " (a symlink or not a directory: refused)" : "");
		goto cleanup;
	}
	if (st.st_uid != geteuid()) {
		log_error("spool: %s: owned by uid %u, not by us (uid %u): refused; whoever owns it "
			  "can plant files in it", s->dir, (unsigned)st.st_uid, (unsigned)geteuid());
		err = -EPERM;
		goto cleanup;
	}
	if ((st.st_mode & 077) && fchmod(s->dirfd, 0700) == 0)
		log_warn("spool: %s: mode %03o tightened to 0700", s->dir, st.st_mode & 0777);
	s->lockfd = spool_file_open(s, "lock", O_RDWR | O_CREAT, 0600);
	if (s->lockfd < 0) {
		err = s->lockfd;
		log_error("spool: %s/lock: cannot use the lock file", s->dir);
		goto cleanup;
	}
	if (flock(s->lockfd, LOCK_EX | LOCK_NB)) {
		err = errno == EWOULDBLOCK ? -EBUSY : -errno;
		log_error("spool: %s: in use by another credwatch (lock held)", s->dir);
		goto cleanup;
	}
	state_read(s);
	err = list_segments(s, &seqs, &n);
	if (err) {
		log_error("spool: %s: list: %s", s->dir, strerror(-err));
		goto cleanup;
	}
	for (i = 0; i < n; i++) {
		if (seqs[i] < s->ack.seg) {
			seg_unlink(s, seqs[i]);	/* acknowledged before a crash */
			continue;
		}
		err = seg_scan(s, seqs[i]);
		if (err)
			goto cleanup;
	}
	/*
	 * seg_scan clamped a cursor that was past the end of its segment (a
	 * torn tail cut, a stale or edited state file). Persist that now: the
	 * old cursor would make every record appended there look acknowledged
	 * at the next start, and skip it.
	 */
	if (s->ack_clamped && state_write(s))
		log_warn("spool: %s: acknowledged records may be resent", s->dir);
	/* a wholly acknowledged segment that is not the last can go */
	while (s->nsegs > 1 && s->segs[0].seq == s->ack.seg && s->ack.off >= s->segs[0].size) {
		seg_unlink(s, s->segs[0].seq);
		segs_drop_first(s);
	}
	if (s->nsegs) {
		char name[64];

		snprintf(name, sizeof(name), SEG_FMT, s->segs[s->nsegs - 1].seq);
		s->fd = spool_file_open(s, name, O_WRONLY | O_APPEND, 0);
		if (s->fd < 0) {
			err = s->fd;
			log_error("spool: %s/%s: cannot append to it", s->dir, name);
			goto cleanup;
		}
	} else {
		err = seg_create(s);
		if (err) {
			log_error("spool: %s: cannot create a segment: %s", s->dir, strerror(-err));
			goto cleanup;
		}
	}
	s->last_sync_ms = now_ms();
	spool_stats(s, &st0);
	if (st0.pending)
		log_info("spool: %s: %" PRIu64 " unacknowledged records to replay", s->dir,
			 st0.pending);
	*sp = s;
	s = NULL;
cleanup:
	free(seqs);
	spool_close(s);
	return err;
}

int spool_append(struct spool *s, enum spool_kind kind, const char *json, size_t len)
{
	uint8_t hdr[SPOOL_HDR_BYTES];
	uint64_t need = SPOOL_HDR_BYTES + len;
	struct iovec iov[2];
	struct seg *a;
	ssize_t w;
	size_t done = 0;
	int err = 0;

	if (kind < SPOOL_ALERT || kind > SPOOL_SUMMARY || !json)
		return -EINVAL;
	if (len == 0 || len > SPOOL_RECORD_MAX || need > s->max_bytes)
		return -EMSGSIZE;
	put_le32(hdr, REC_MAGIC);
	put_le32(hdr + 4, len);
	hdr[12] = kind;
	put_le32(hdr + 8, rec_crc(hdr + 4, kind, json, len));

	pthread_mutex_lock(&s->mu);
	a = &s->segs[s->nsegs - 1];
	if (a->size && a->size + need > s->segment_bytes) {
		err = seg_rotate(s);
		if (err)
			goto cleanup;
	}
	while (s->total_bytes + need > s->max_bytes) {
		if (s->nsegs == 1) {
			if (s->segs[0].size == 0)
				break;
			err = seg_rotate(s);
			if (err)
				goto cleanup;
		}
		seg_evict_oldest(s);
	}
	a = &s->segs[s->nsegs - 1];
	iov[0] = (struct iovec){ hdr, sizeof(hdr) };
	iov[1] = (struct iovec){ (void *)json, len };
	while (done < need) {
		size_t skip = done;
		int i = 0;

		while (skip >= iov[i].iov_len) {	/* resume after a short write */
			skip -= iov[i].iov_len;
			i++;
		}
		iov[i].iov_base = (char *)iov[i].iov_base + skip;
		iov[i].iov_len -= skip;
		w = writev(s->fd, iov + i, 2 - i);
		iov[i].iov_base = (char *)iov[i].iov_base - skip;
		iov[i].iov_len += skip;
		if (w < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			break;
		}
		done += w;
	}
	if (err) {
		/* leave no partial record behind: the next append starts clean */
		if (ftruncate(s->fd, a->size))
			log_warn("spool: %s: truncate after failed write: %s", s->dir,
				 strerror(errno));
		goto cleanup;
	}
	a->size += need;
	a->nrec++;
	s->total_bytes += need;
	s->st.appended++;
	s->dirty = true;
	if (s->fsync_ms == 0) {
		if (fdatasync(s->fd)) {
			err = -errno;
			log_warn("spool: %s: fdatasync: %s", s->dir, strerror(-err));
		} else {
			s->st.syncs++;
			s->dirty = false;
		}
	}
cleanup:
	if (err) {
		/* rotation or write: either way the record is not in the spool */
		s->st.append_errors++;
		if (err == -ENOSPC || err == -EDQUOT || err == -EFBIG)
			s->st.disk_full++;
	}
	pthread_mutex_unlock(&s->mu);
	return err;
}

int spool_sync(struct spool *s, bool force)
{
	uint64_t now = now_ms();
	int fd, err = 0;

	pthread_mutex_lock(&s->mu);
	if (!s->dirty || (!force && now - s->last_sync_ms < s->fsync_ms)) {
		pthread_mutex_unlock(&s->mu);
		return 0;
	}
	/* sync a dup outside the lock so appends never wait for the disk */
	fd = dup(s->fd);
	s->dirty = false;
	s->last_sync_ms = now;
	pthread_mutex_unlock(&s->mu);
	if (fd < 0 || fdatasync(fd)) {
		err = -errno;
		log_warn("spool: %s: fdatasync: %s", s->dir, strerror(-err));
		pthread_mutex_lock(&s->mu);
		s->dirty = true;
		pthread_mutex_unlock(&s->mu);
	} else {
		pthread_mutex_lock(&s->mu);
		s->st.syncs++;
		pthread_mutex_unlock(&s->mu);
	}
	if (fd >= 0)
		close(fd);
	return err;
}

struct read_ctx {
	spool_read_cb cb;
	void *ctx;
	uint64_t seq;
	size_t seg_size;
	bool is_last;
	size_t max_records, max_bytes;
	size_t given, bytes;
	int err;
};

static int read_cb(void *ctx, size_t off, uint8_t kind, const uint8_t *p, uint32_t len)
{
	struct read_ctx *r = ctx;
	struct spool_pos next = { r->seq, off + SPOOL_HDR_BYTES + len };
	int ret;

	if (r->given && (r->given >= r->max_records || r->bytes + len > r->max_bytes))
		return 1;
	ret = r->cb(r->ctx, kind, (const char *)p, len, &next);
	if (ret) {
		if (ret < 0)
			r->err = ret;
		return 1;
	}
	r->given++;
	r->bytes += len;
	return 0;
}

int spool_read(struct spool *s, size_t max_records, size_t max_bytes,
	       spool_read_cb cb, void *ctx)
{
	struct read_ctx r = { .cb = cb, .ctx = ctx, .max_records = max_records,
			      .max_bytes = max_bytes };
	uint64_t corrupt = 0, corrupt_bytes = 0;
	uint8_t *map;
	size_t i, from;
	int fd, stop = 0, err;

	pthread_mutex_lock(&s->mu);
	for (i = 0; i < s->nsegs && !stop; i++) {
		struct seg *g = &s->segs[i];

		if (g->seq < s->ack.seg)
			continue;
		from = g->seq == s->ack.seg ? s->ack.off : 0;
		if (from >= g->size)
			continue;
		err = seg_map(s, g, &map, &fd);
		if (err) {
			r.err = err;
			break;
		}
		r.seq = g->seq;
		r.seg_size = g->size;
		seg_walk(map, g->size, from, read_cb, &r, &corrupt, &corrupt_bytes, &stop);
		seg_unmap(g, map, fd);
	}
	if (corrupt) {
		s->st.corrupt_records += corrupt;
		s->st.corrupt_bytes += corrupt_bytes;
		log_warn("spool: %s: %" PRIu64 " corrupt regions skipped while reading", s->dir,
			 corrupt);
	}
	pthread_mutex_unlock(&s->mu);
	return r.err ? r.err : (int)r.given;
}

int spool_ack(struct spool *s, const struct spool_pos *end)
{
	struct state_snap snap;
	struct spool_pos old;
	size_t i;
	int err = 0;

	pthread_mutex_lock(&s->mu);
	old = s->ack;
	if (end->seg < old.seg || (end->seg == old.seg && end->off <= old.off)) {
		pthread_mutex_unlock(&s->mu);
		return 0;
	}
	s->ack = *end;
	/* how many records the cursor's segment now has behind it */
	for (i = 0; i < s->nsegs && s->segs[i].seq != end->seg; i++)
		;
	if (i == s->nsegs)
		s->cur_acked = 0;
	else if (end->seg == old.seg)
		s->cur_acked += seg_count(s, &s->segs[i], old.off, end->off);
	else
		s->cur_acked = seg_count(s, &s->segs[i], 0, end->off);
	snap = state_snap(s);
	pthread_mutex_unlock(&s->mu);

	err = state_write_snap(s, &snap);
	if (err)
		return err;
	/* unlink only what the durable cursor covers */
	pthread_mutex_lock(&s->mu);
	while (s->nsegs > 1 && (s->segs[0].seq < snap.ack.seg ||
	       (s->segs[0].seq == snap.ack.seg && snap.ack.off >= s->segs[0].size))) {
		seg_unlink(s, s->segs[0].seq);
		segs_drop_first(s);
	}
	pthread_mutex_unlock(&s->mu);
	return 0;
}

uint64_t spool_evicted_take(struct spool *s)
{
	uint64_t n;

	pthread_mutex_lock(&s->mu);
	n = s->evicted_unreported;
	pthread_mutex_unlock(&s->mu);
	return n;
}

int spool_evicted_done(struct spool *s, uint64_t n)
{
	int err;

	pthread_mutex_lock(&s->mu);
	s->evicted_unreported -= n < s->evicted_unreported ? n : s->evicted_unreported;
	err = state_write(s);
	pthread_mutex_unlock(&s->mu);
	return err;
}

static void stats_locked(struct spool *s, struct spool_stats *st)
{
	uint64_t pending = 0, pending_bytes = 0;
	size_t i;

	/* the active segment keeps acknowledged records until it rotates */
	for (i = 0; i < s->nsegs; i++) {
		const struct seg *g = &s->segs[i];

		if (g->seq > s->ack.seg) {
			pending += g->nrec;
			pending_bytes += g->size;
		} else if (g->seq == s->ack.seg) {
			if (g->nrec > s->cur_acked)
				pending += g->nrec - s->cur_acked;
			if (g->size > s->ack.off)
				pending_bytes += g->size - s->ack.off;
		}
	}
	*st = s->st;
	st->pending = pending;
	st->pending_bytes = pending_bytes;
	st->bytes = s->total_bytes;
	st->segments = s->nsegs;
	st->evicted_unreported = s->evicted_unreported;
}

void spool_stats(struct spool *s, struct spool_stats *st)
{
	pthread_mutex_lock(&s->mu);
	stats_locked(s, st);
	pthread_mutex_unlock(&s->mu);
}

const char *spool_dir(const struct spool *s)
{
	return s->dir;
}

const char *spool_kind_name(enum spool_kind kind)
{
	switch (kind) {
	case SPOOL_ALERT: return "alert";
	case SPOOL_FINDING: return "finding";
	case SPOOL_SUMMARY: return "alert";
	}
	return "unknown";
}

void spool_close(struct spool *s)
{
	if (!s)
		return;
	if (s->fd >= 0) {
		if (s->dirty && fdatasync(s->fd))
			log_warn("spool: %s: fdatasync: %s", s->dir, strerror(errno));
		close(s->fd);
	}
	if (s->lockfd >= 0)
		close(s->lockfd);
	if (s->dirfd >= 0)
		close(s->dirfd);
	pthread_mutex_destroy(&s->state_mu);
	pthread_mutex_destroy(&s->mu);
	free(s->segs);
	free(s->dir);
	free(s);
}
