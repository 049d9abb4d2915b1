/* SPDX-License-Identifier: Apache-2.0 */
/*
 * spool_int.h - inside the spool: the state spool.c (the queue: open,
 * append, sync, read, ack), spool_seg.c (record framing and segment
 * files) and spool_dir.c (the directory's files and the ack state file)
 * share. Not for other modules: their interface is spool.h.
 */
#ifndef CW_SPOOL_INT_H
#define CW_SPOOL_INT_H

#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "spool.h"

#define REC_MAGIC     0x31525743u	/* "CWR1" little endian */
#define STATE_FILE    "state"
#define STATE_TMP_SUFFIX ".tmp"	/* state.tmp while it is written */
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

/* Called for every valid record of a segment walk; non-zero stops the walk. */
typedef int (*walk_fn)(void *ctx, size_t off, uint8_t kind, const uint8_t *payload, uint32_t len);

/* spool_seg.c: record framing */
void spool_put_le32(uint8_t *p, uint32_t v);
/* CRC-32 of a record's length, kind and payload. */
uint32_t spool_rec_crc(const uint8_t *len_le, uint8_t kind, const void *payload, size_t len);
/*
 * spool_seg_walk - call fn for each valid record of b[from..n). Corrupt
 * regions followed by a valid record are counted in *corrupt and
 * *corrupt_bytes; returns where an unrecoverable tail starts (n when none).
 */
size_t spool_seg_walk(const uint8_t *b, size_t n, size_t from, walk_fn fn, void *ctx,
		      uint64_t *corrupt, uint64_t *corrupt_bytes, int *stop);

/* spool_seg.c: segment files (all under mu) */
/* Map a segment read-only; *map NULL for an empty one. 0 or -errno (logged). */
int spool_seg_map(struct spool *s, const struct seg *g, uint8_t **map, int *fdp);
void spool_seg_unmap(const struct seg *g, uint8_t *map, int fd);
/* Records of segment g in [from, upto); from is a record boundary. */
uint64_t spool_seg_count(struct spool *s, const struct seg *g, uint64_t from, uint64_t upto);
void spool_segs_drop_first(struct spool *s);
int spool_seg_unlink(struct spool *s, uint64_t seq);
/* Start a new active segment after the last one (or after the cursor). */
int spool_seg_create(struct spool *s);
int spool_seg_rotate(struct spool *s);
/* Drop the oldest segment, counting its unacknowledged records as evicted. */
void spool_seg_evict_oldest(struct spool *s);
/* Validate one segment at open: truncate a torn tail, count records. */
int spool_seg_scan(struct spool *s, uint64_t seq);
/* Segment sequence numbers in the directory, sorted (*out malloc'd). */
int spool_list_segments(struct spool *s, uint64_t **out, size_t *n);

/* spool_dir.c */
/* mkdir -p; the spool directory itself is 0700 (records name pods and paths). */
int spool_make_dir(const char *dir);
int spool_fsync_dir(struct spool *s);
/* Under mu: what the state file should say now. */
struct state_snap spool_state_snap(struct spool *s);
/* Replace the state file durably (outside mu; newer snapshots win). */
int spool_state_write_snap(struct spool *s, const struct state_snap *snap);
/* Under mu, for the rare writers (eviction, eviction report). */
int spool_state_write(struct spool *s);
/* At open: the ack cursor and unreported evictions, when the file is sound. */
void spool_state_read(struct spool *s);

#endif /* CW_SPOOL_INT_H */
