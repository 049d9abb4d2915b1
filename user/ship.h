/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ship.h - delivery of alerts and findings to the audit backend.
 *
 * ship_submit() appends the record to the spool (user/spool.h) and wakes a
 * dedicated sender thread; the caller never waits on the network. The sender
 * batches records (count, bytes, time), POSTs them with libcurl, retries
 * network errors, timeouts, 408, 429 and 5xx with exponential backoff and
 * full jitter (honouring Retry-After), dead-letters other 4xx replies into
 * <spool>/deadletter.ndjson, and acknowledges the spool only after a 2xx.
 *
 * Delivery is at-least-once: a record can arrive twice (a reply lost after
 * the backend stored it, a crash between reply and ack); every record carries
 * a stable "uuid" and each credwatch-format batch an Idempotency-Key that is
 * the same on every retry, so a backend deduplicates on either.
 */
#ifndef CW_SHIP_H
#define CW_SHIP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "spool.h"

enum ship_format {
	SHIP_FORMAT_CREDWATCH,		/* gzip NDJSON batches with a "kind" per line */
	SHIP_FORMAT_FALCOSIDEKICK,	/* one Falco JSON alert per POST */
};

struct ship_opts {
	const char *url;		/* --backend (required) */
	enum ship_format format;	/* --backend-format */
	bool insecure;			/* --backend-insecure: allow http:// */
	const char *token_file;		/* --backend-token-file */
	const char *ca_file;		/* --backend-ca */
	const char *cert_file;		/* --backend-cert */
	const char *key_file;		/* --backend-key */
	unsigned connect_timeout_ms;	/* --backend-connect-timeout-ms, 5000 */
	unsigned timeout_ms;		/* --backend-timeout-ms, 10000 */
	unsigned batch_max;		/* --backend-batch-max, 500 records */
	unsigned batch_bytes;		/* --backend-batch-bytes, 1 MiB uncompressed */
	unsigned flush_ms;		/* --backend-flush-ms, 1000 */
	unsigned retry_base_ms;		/* --backend-retry-base-ms, 500 */
	unsigned retry_max_ms;		/* --backend-retry-max-ms, 60000 */
	const char *hostname;		/* for credwatch's own summary alerts; NULL = gethostname */
	struct spool_opts spool;	/* --spool, --spool-max-bytes, --spool-fsync-ms */
};

struct ship_stats {
	uint64_t submitted;		/* ship_submit calls accepted into the spool */
	uint64_t submit_errors;		/* ship_submit calls the spool refused */
	uint64_t requests;		/* HTTP requests made (each attempt) */
	uint64_t sent;			/* records carried by those requests */
	uint64_t retried;		/* attempts that failed and will be retried */
	uint64_t acked;			/* records acknowledged by a 2xx */
	uint64_t dead_lettered;		/* records refused by the backend (4xx) */
	uint64_t invalid;		/* records that were not a JSON object (dead-lettered) */
	uint64_t summaries;		/* eviction summary alerts emitted */
	long last_status;		/* last HTTP status, 0 = none or transport error */
	bool backend_up;		/* last attempt succeeded */
	struct spool_stats spool;	/* bytes, pending, evicted, torn, corrupt, disk_full */
};

struct ship;

void ship_opts_default(struct ship_opts *o);

/* ship_format_parse - "credwatch" or "falcosidekick"; -EINVAL otherwise. */
int ship_format_parse(const char *s, enum ship_format *out);

/*
 * ship_new - validate options (URL scheme, readable token/CA/cert/key files)
 * and open the spool (replaying what was not acknowledged). Starts no
 * thread: records submitted before ship_start() wait in the spool. Every
 * refusal is logged naming the flag or file. Returns 0 or -errno.
 */
int ship_new(struct ship **sp, const struct ship_opts *o);

/*
 * ship_start - start the sender thread. The agent calls it after dropping
 * its capabilities, so the thread that talks to the network holds none it
 * does not need (a thread inherits its creator's). 0 or -errno (logged).
 */
int ship_start(struct ship *s);

/*
 * ship_submit - spool one JSON object (one line, no newline needed) and wake
 * the sender. Returns 0 once spooled, or the spool's -errno (-ENOSPC when the
 * disk is full: the caller still has its own output). Thread-safe.
 */
int ship_submit(struct ship *s, enum spool_kind kind, const char *json, size_t len);

void ship_stats(struct ship *s, struct ship_stats *st);

/*
 * ship_close - flush what can be delivered within drain_timeout_ms, stop the
 * sender, leave the rest in the spool for the next start, free. When final is
 * not NULL it receives the counters after the sender stopped (for the exit
 * summary). Accepts NULL. Returns 0 when nothing was left pending, -EAGAIN
 * otherwise.
 */
int ship_close(struct ship *s, unsigned drain_timeout_ms, struct ship_stats *final);

#endif /* CW_SHIP_H */
