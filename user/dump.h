/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dump.h - trace dumps: every sensor event, alert and finding, in rotated,
 * zlib-compressed, CRC-checked files that credwatch-inspect reads offline.
 *
 * The byte layout is in dump_format.h and docs/dumps.md. A writer buffers
 * records in memory and compresses one block when it fills or when
 * dump_flush() is called (the agent calls it every second and at exit), so
 * a crash loses at most the records of the last unflushed block and leaves
 * at most the last block of the last file incomplete.
 *
 * A reader opens one file or a directory (every *.cwd file in name order,
 * which the writer makes time order), returns records one by one, and
 * reports each damaged region (file, byte offset, reason) through a
 * callback and its stats, then carries on with the next intact block.
 */
#ifndef CW_DUMP_H
#define CW_DUMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "opt.h"
#include "record.h"

#define DUMP_DEFAULT_MAX_BYTES		(64ull << 20)	/* --dump-max-bytes */
#define DUMP_DEFAULT_MAX_AGE_S		3600		/* --dump-max-age */
#define DUMP_DEFAULT_KEEP		8		/* --dump-keep */
#define DUMP_DEFAULT_BLOCK_BYTES	(256u << 10)	/* uncompressed */
#define DUMP_DEFAULT_FLUSH_MS		1000
#define DUMP_ALERT_MAX			(1u << 20)	/* longest alert line */
#define DUMP_FINDING_MAX		(1u << 20)	/* longest finding line */

enum dump_rec_type {
	DUMP_REC_EVENT = 1,	/* one sensor event with its attribution */
	DUMP_REC_ALERT = 2,	/* an alert line, with the event that raised it */
	DUMP_REC_FINDING = 3,	/* a --findings line (docs/findings.md), no event */
};

struct dump_opts {
	char *dir;		/* --dump; created 0700 when absent */
	uint64_t max_bytes;	/* --dump-max-bytes: a new file before this; 0 = no limit */
	uint64_t max_age_s;	/* --dump-max-age: a new file when older; 0 = no limit */
	uint64_t keep;		/* --dump-keep: delete the oldest files beyond N; 0 = all */
	/* not options: */
	uint32_t block_bytes;	/* compress when this much is buffered */
	uint32_t flush_ms;	/* a buffered record is written at most this late */
	int level;		/* zlib level, 1 (fast) .. 9 */
	const char *hostname;	/* NULL: uname nodename */
	const char *agent_version; /* NULL: CW_VERSION */
	uint64_t (*clock_ns)(void *ctx); /* NULL: CLOCK_REALTIME; tests replace it */
	void *clock_ctx;
};

/* Fill opts with the defaults above (dir stays NULL). */
void dump_opts_default(struct dump_opts *opts);

struct dump_writer;

struct dump_writer_stats {
	uint64_t events;	/* records accepted */
	uint64_t alerts;
	uint64_t findings;
	uint64_t blocks;	/* blocks written */
	uint64_t bytes;		/* bytes written, all files */
	uint64_t files;		/* files created */
	uint64_t files_deleted;	/* by keep */
	uint64_t dropped;	/* records lost to write errors or oversize lines */
	uint64_t write_errors;
	uint64_t compress_ns;	/* time spent in deflate */
};

/*
 * dump_writer_open - create the directory if needed and the first file.
 * Returns 0, or -errno (the failure is logged with the path).
 */
int dump_writer_open(struct dump_writer **out, const struct dump_opts *opts);

/*
 * dump_write_event / dump_write_alert - append a record to the current
 * block. Cheap: encodes into memory; compresses and writes only when the
 * block is full or older than flush_ms. rec may be NULL for an alert not
 * tied to an event. Returns 0, or -errno when a block could not be written
 * (its records are counted as dropped; the writer stays usable).
 */
int dump_write_event(struct dump_writer *w, const struct cw_record *rec);
int dump_write_alert(struct dump_writer *w, const struct cw_record *rec,
		     const char *alert_json);

/*
 * dump_write_finding - append one finding line (the JSON object the agent
 * writes to --findings, without its newline), stored opaquely and timed by
 * the writer's clock. json need not be NUL-terminated. Returns 0, -EMSGSIZE
 * for a line longer than DUMP_FINDING_MAX (counted as dropped), or -errno as
 * dump_write_event. Readers older than the finding record skip it (counted in
 * their fields_skipped) and read everything else.
 */
int dump_write_finding(struct dump_writer *w, const char *json, size_t len);

/* dump_flush - write the buffered records as one block; rotate if due. */
int dump_flush(struct dump_writer *w);

/* The file being written ("" before the first one). */
const char *dump_writer_path(const struct dump_writer *w);
void dump_writer_stats(const struct dump_writer *w, struct dump_writer_stats *st);

/* dump_writer_close - flush, fsync, close. Accepts NULL. Returns 0 or -errno. */
int dump_writer_close(struct dump_writer *w);

/* ---- reading ---- */

struct dump_reader;

/* What the header of the file being read says. */
struct dump_file_info {
	char path[4096];
	uint32_t version;
	char hostname[256];
	char kernel[256];	/* uname release of the recording host */
	char agent_version[64];
	uint64_t boot_time_ns;	/* boot time of the recording host, epoch ns */
	uint64_t created_ns;
};

/* Called once per damaged region; what is one line, no trailing newline. */
typedef void (*dump_damage_fn)(void *ctx, const char *file, uint64_t offset,
			       const char *what);

/* --dump, --dump-max-bytes, --dump-max-age, --dump-keep (opt.h) */
extern const struct opt_table dump_options;

struct dump_reader_opts {
	uint64_t since_ns;	/* skip records before (0: no bound) */
	uint64_t until_ns;	/* skip records after (0: no bound) */
	dump_damage_fn on_damage; /* NULL: log_warn */
	void *ctx;
};

struct dump_item {
	enum dump_rec_type type;
	uint64_t time_ns;
	const struct cw_record *rec;	/* NULL: alert without an event */
	const char *alert_json;		/* DUMP_REC_ALERT: NUL-terminated line */
	size_t alert_len;
	const char *finding_json;	/* DUMP_REC_FINDING: NUL-terminated line */
	size_t finding_len;
	const struct dump_file_info *file;
	uint64_t block_offset;		/* where its block starts in the file */
};

struct dump_reader_stats {
	uint64_t files;		/* dump files opened */
	uint64_t files_refused;	/* empty, bad magic, newer version, unreadable */
	uint64_t blocks_ok;
	uint64_t blocks_damaged;	/* bad header, CRC, zlib or records */
	uint64_t blocks_out_of_range;	/* skipped unread by since/until */
	uint64_t truncated;	/* files ending in an incomplete block */
	uint64_t bytes_total;	/* size of every input file */
	uint64_t bytes_done;	/* input consumed so far (progress) */
	uint64_t bytes_skipped;	/* input not read because it was damaged */
	uint64_t events, alerts, findings;	/* records returned */
	uint64_t fields_skipped;	/* unknown or mistyped fields or record types (newer writer) */
};

/*
 * dump_reader_open - path is a dump file or a directory holding *.cwd files.
 * Returns 0; -ENOENT/-EACCES/... when path cannot be opened; -ENODATA for
 * a directory without *.cwd files.
 */
int dump_reader_open(struct dump_reader **out, const char *path,
		     const struct dump_reader_opts *opts);

/*
 * dump_reader_next - the next record. Returns 1 with *it filled (valid
 * until the next call), 0 at the end, -ENOMEM. Damage is reported through
 * on_damage and stats and never stops reading.
 */
int dump_reader_next(struct dump_reader *r, struct dump_item *it);

void dump_reader_stats(const struct dump_reader *r, struct dump_reader_stats *st);

/* True when anything could not be read (the inspector's exit code 1). */
bool dump_reader_saw_damage(const struct dump_reader *r);

void dump_reader_close(struct dump_reader *r);

#endif /* CW_DUMP_H */
