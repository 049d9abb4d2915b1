// SPDX-License-Identifier: Apache-2.0
/*
 * spool.c - the spool as a queue: open (lock, scan, replay what was not
 * acknowledged), append with group commit, read from the cursor, ack,
 * evictions, stats. Record framing and segment files are in spool_seg.c,
 * the directory's files and the ack state file in spool_dir.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "spool_int.h"

static const struct opt_desc spool_option_list[] = {
	OPT_STR(struct spool_opts, dir, "spool", "DIR", SPOOL_DEFAULT_DIR,
		"on-disk queue of alerts and findings not yet acknowledged by the backend"),
	OPT_UINT(struct spool_opts, max_bytes, "spool-max-bytes", "BYTES", SPOOL_DEFAULT_MAX_BYTES,
		 "268435456", "spool bound; the oldest records are evicted, counted and reported"),
	OPT_UINT(struct spool_opts, fsync_ms, "spool-fsync-ms", "MS", SPOOL_DEFAULT_FSYNC_MS, "100",
		 "group commit window (0: fsync every record)"),
};

const struct opt_table spool_options = OPT_TABLE(spool_option_list, NULL, NULL);

void spool_opts_default(struct spool_opts *o)
{
	memset(o, 0, sizeof(*o));
	opt_table_defaults(&spool_options, o);	/* dir NULL: SPOOL_DEFAULT_DIR */
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
	err = spool_make_dir(s->dir);
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
	spool_state_read(s);
	err = spool_list_segments(s, &seqs, &n);
	if (err) {
		log_error("spool: %s: list: %s", s->dir, strerror(-err));
		goto cleanup;
	}
	for (i = 0; i < n; i++) {
		if (seqs[i] < s->ack.seg) {
			spool_seg_unlink(s, seqs[i]);	/* acknowledged before a crash */
			continue;
		}
		err = spool_seg_scan(s, seqs[i]);
		if (err)
			goto cleanup;
	}
	/*
	 * seg_scan clamped a cursor that was past the end of its segment (a
	 * torn tail cut, a stale or edited state file). Persist that now: the
	 * old cursor would make every record appended there look acknowledged
	 * at the next start, and skip it.
	 */
	if (s->ack_clamped && spool_state_write(s))
		log_warn("spool: %s: acknowledged records may be resent", s->dir);
	/* a wholly acknowledged segment that is not the last can go */
	while (s->nsegs > 1 && s->segs[0].seq == s->ack.seg && s->ack.off >= s->segs[0].size) {
		spool_seg_unlink(s, s->segs[0].seq);
		spool_segs_drop_first(s);
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
		err = spool_seg_create(s);
		if (err) {
			log_error("spool: %s: cannot create a segment: %s", s->dir, strerror(-err));
			goto cleanup;
		}
	}
	s->last_sync_ms = clock_ms(CLOCK_MONOTONIC);
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
	spool_put_le32(hdr, REC_MAGIC);
	spool_put_le32(hdr + 4, len);
	hdr[12] = kind;
	spool_put_le32(hdr + 8, spool_rec_crc(hdr + 4, kind, json, len));

	pthread_mutex_lock(&s->mu);
	a = &s->segs[s->nsegs - 1];
	if (a->size && a->size + need > s->segment_bytes) {
		err = spool_seg_rotate(s);
		if (err)
			goto cleanup;
	}
	while (s->total_bytes + need > s->max_bytes) {
		if (s->nsegs == 1) {
			if (s->segs[0].size == 0)
				break;
			err = spool_seg_rotate(s);
			if (err)
				goto cleanup;
		}
		spool_seg_evict_oldest(s);
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
	uint64_t now = clock_ms(CLOCK_MONOTONIC);
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
		err = spool_seg_map(s, g, &map, &fd);
		if (err) {
			r.err = err;
			break;
		}
		r.seq = g->seq;
		r.seg_size = g->size;
		spool_seg_walk(map, g->size, from, read_cb, &r, &corrupt, &corrupt_bytes, &stop);
		spool_seg_unmap(g, map, fd);
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
		s->cur_acked += spool_seg_count(s, &s->segs[i], old.off, end->off);
	else
		s->cur_acked = spool_seg_count(s, &s->segs[i], 0, end->off);
	snap = spool_state_snap(s);
	pthread_mutex_unlock(&s->mu);

	err = spool_state_write_snap(s, &snap);
	if (err)
		return err;
	/* unlink only what the durable cursor covers */
	pthread_mutex_lock(&s->mu);
	while (s->nsegs > 1 && (s->segs[0].seq < snap.ack.seg ||
	       (s->segs[0].seq == snap.ack.seg && snap.ack.off >= s->segs[0].size))) {
		spool_seg_unlink(s, s->segs[0].seq);
		spool_segs_drop_first(s);
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
	err = spool_state_write(s);
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
