/* SPDX-License-Identifier: Apache-2.0 */
/*
 * spool.h - the crash-safe, bounded on-disk queue between the agent and the
 * backend shipper.
 *
 * Layout of --spool DIR (0700, every file 0600):
 *   lock                       flock()ed by the one agent using the spool
 *   state                      "credwatch-spool 1 <ack_seg> <ack_off> <evicted>\n",
 *                              replaced atomically (temp, fsync, rename, fsync dir)
 *   seg-<20 digit seq>.log     segments; the highest seq is the one appended to
 *   deadletter.ndjson[.1]      records the backend refused (written by ship.c)
 *
 * Record (little endian):
 *   u32 magic "CWR1" | u32 len | u32 crc32(len, kind, payload) | u8 kind | payload
 * The magic lets a reader resynchronise after a corrupt record in the middle
 * of a segment; the CRC covers the length so a corrupt length is caught too.
 *
 * Acknowledgement is a cursor (segment, offset): every record before it was
 * acknowledged by the backend. A segment is unlinked once the cursor is past
 * its end. Records after the cursor are replayed after a restart.
 *
 * Durability: spool_append() write()s the record before returning, so it
 * survives a crash of the process (kill -9, OOM, segfault) at once. It
 * survives a power loss or kernel crash only after fdatasync: with fsync_ms 0
 * every append syncs; otherwise spool_sync() (called by the shipper's thread)
 * syncs when the last sync is fsync_ms old, so the window is fsync_ms plus the
 * time of one fdatasync. Records are always synced before they are sent.
 *
 * Thread safety: one mutex inside; append from the agent thread, read, ack
 * and sync from the sender thread.
 */
#ifndef CW_SPOOL_H
#define CW_SPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum spool_kind {
	SPOOL_ALERT = 1,
	SPOOL_FINDING = 2,
	SPOOL_SUMMARY = 3,	/* an alert made by credwatch itself (eviction report) */
};

#define SPOOL_DEFAULT_DIR        "/var/lib/credwatch/spool"
#define SPOOL_DEFAULT_MAX_BYTES  (256ULL << 20)
#define SPOOL_DEFAULT_FSYNC_MS   100
#define SPOOL_RECORD_MAX         (1U << 20)	/* largest payload accepted */
#define SPOOL_HDR_BYTES          13
#define SPOOL_MIN_BYTES          4096

struct spool_opts {
	const char *dir;
	uint64_t max_bytes;	/* bound on the segments' total size */
	uint64_t segment_bytes;	/* rotate size; 0 = max_bytes / 16 in [64 KiB, 16 MiB];
				   never above max_bytes / 2 */
	unsigned fsync_ms;	/* 0: fdatasync every append */
};

struct spool_pos {
	uint64_t seg;	/* segment sequence number */
	uint64_t off;	/* byte offset inside it */
};

struct spool_stats {
	uint64_t appended;		/* records appended since open */
	uint64_t append_errors;		/* appends that failed (any reason) */
	uint64_t disk_full;		/* of which ENOSPC, EDQUOT or EFBIG */
	uint64_t bytes;			/* bytes in segments now (acknowledged ones included) */
	uint64_t pending_bytes;		/* bytes of the records not acknowledged now */
	uint64_t segments;		/* segments now */
	uint64_t pending;		/* records not acknowledged now */
	uint64_t evicted;		/* records evicted unacknowledged since open */
	uint64_t evicted_unreported;	/* evicted and not yet reported (persisted) */
	uint64_t torn_tails;		/* torn tails truncated at open */
	uint64_t torn_bytes;		/* bytes cut by those truncations */
	uint64_t corrupt_records;	/* corrupt regions skipped (open and reads) */
	uint64_t corrupt_bytes;
	uint64_t syncs;			/* fdatasync calls */
};

struct spool;

void spool_opts_default(struct spool_opts *o);

/*
 * spool_open - create or reopen the spool in o->dir: takes its lock, scans
 * every segment (torn tails truncated, corrupt records skipped, both logged
 * and counted), deletes fully acknowledged segments. Returns 0 or -errno
 * (-EBUSY: another process holds the spool); errors are logged naming the dir.
 */
int spool_open(struct spool **sp, const struct spool_opts *o);

/*
 * spool_append - write one record. Returns 0 once write() accepted it,
 * -EMSGSIZE / -EINVAL for a bad record, -ENOSPC (or the write's -errno)
 * when the disk is full; the segment is then cut back to its previous end.
 * Evicts the oldest segments first when the spool would exceed max_bytes.
 */
int spool_append(struct spool *s, enum spool_kind kind, const char *json, size_t len);

/* spool_sync - fdatasync the active segment if force or fsync_ms elapsed. */
int spool_sync(struct spool *s, bool force);

/*
 * spool_read_cb - one record at [pos, next); return 0 to continue, 1 to stop
 * before this record (it is then not consumed), negative to abort.
 */
typedef int (*spool_read_cb)(void *ctx, enum spool_kind kind, const char *payload,
			     size_t len, const struct spool_pos *next);

/*
 * spool_read - call cb for records from the acknowledgement cursor on, at
 * most max_records / max_bytes of payload (the first record is always given).
 * Returns the number of records given, or -errno.
 */
int spool_read(struct spool *s, size_t max_records, size_t max_bytes,
	       spool_read_cb cb, void *ctx);

/*
 * spool_ack - every record before end is acknowledged: persist the cursor
 * and unlink segments wholly before it. A cursor behind the current one is
 * ignored. Returns 0 or -errno (the cursor then stays in memory and is
 * written again with the next ack).
 */
int spool_ack(struct spool *s, const struct spool_pos *end);

/*
 * spool_evicted_take - the number of evicted records not yet reported;
 * spool_evicted_done subtracts n once the report is safely spooled.
 */
uint64_t spool_evicted_take(struct spool *s);
int spool_evicted_done(struct spool *s, uint64_t n);

void spool_stats(struct spool *s, struct spool_stats *st);
const char *spool_dir(const struct spool *s);
const char *spool_kind_name(enum spool_kind kind);

/*
 * spool_file_open - open name in the spool directory (openat flags and mode;
 * O_NOFOLLOW, O_NONBLOCK and O_CLOEXEC are added) only if it is a regular
 * file of ours with one link: never through a symlink, never a FIFO or
 * device, never a planted hard link. The fd, or -ELOOP (a symlink), -EPERM
 * (refused), -errno; logged except -ENOENT. Also for the dead-letter file.
 */
int spool_file_open(struct spool *s, const char *name, int flags, mode_t mode);

/*
 * spool_file_rotate - rename name to name.1 in the spool directory (the
 * entry itself, whatever it is) when it is a regular file over max_bytes.
 * Returns 1 when rotated, 0 when not needed, -errno.
 */
int spool_file_rotate(struct spool *s, const char *name, uint64_t max_bytes);

/* spool_close - sync and release; accepts NULL. */
void spool_close(struct spool *s);

#endif /* CW_SPOOL_H */
