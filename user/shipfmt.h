/* SPDX-License-Identifier: Apache-2.0 */
/*
 * shipfmt.h - the backend wire formats: credwatch NDJSON lines with a "kind",
 * falcosidekick-shaped alerts, gzip, idempotency keys, credwatch's own
 * eviction summary alert. Pure functions; no I/O.
 */
#ifndef CW_SHIPFMT_H
#define CW_SHIPFMT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "json.h"
#include "spool.h"

#define SHIPFMT_KEY_LEN  35	/* "cw-" + 32 hex digits */
#define SHIPFMT_UUID_LEN 36

/*
 * shipfmt_ndjson_line - append json as one NDJSON line with a top-level
 * "kind" member ("alert" or "finding"; inserted first unless the object
 * already has one). -EINVAL when json is not a JSON object.
 */
int shipfmt_ndjson_line(struct jbuf *out, enum spool_kind kind, const char *json, size_t len);

/*
 * shipfmt_falco - write json as the Falco alert falcosidekick's "/" handler
 * accepts: output, priority (a Falco priority name), rule, time (RFC 3339),
 * output_fields (object), source, tags, hostname and uuid, all non-empty.
 * Missing ones are filled; a finding is wrapped as an alert whose rule and
 * output come from the finding and whose output_fields hold its scalar
 * members. A missing uuid is derived from the record's bytes so it is the
 * same on every retry. -EINVAL when json is not a JSON object.
 */
int shipfmt_falco(struct jbuf *out, enum spool_kind kind, const char *json, size_t len,
		  const char *hostname);

/* shipfmt_gzip - gzip in[0..n) into a malloc()ed *out. 0 or -errno. */
int shipfmt_gzip(const void *in, size_t n, unsigned char **out, size_t *outlen);

/* A content hash over a batch's records: the same bytes give the same key. */
struct shipfmt_key {
	uint64_t h1, h2;
};
void shipfmt_key_init(struct shipfmt_key *k);
void shipfmt_key_add(struct shipfmt_key *k, const void *p, size_t n);
void shipfmt_key_final(const struct shipfmt_key *k, char out[SHIPFMT_KEY_LEN + 1]);

/* shipfmt_uuid4 - a random RFC 4122 version 4 uuid. */
void shipfmt_uuid4(char out[SHIPFMT_UUID_LEN + 1]);

/* shipfmt_time_now - UTC RFC 3339 with nanoseconds, e.g. 2026-01-02T03:04:05.123456789Z. */
void shipfmt_time_now(char *out, size_t size);

/* shipfmt_summary - credwatch's alert reporting evicted spool records. */
void shipfmt_summary(struct jbuf *out, uint64_t evicted, const char *spool_dir,
		     uint64_t max_bytes, const char *hostname);

/*
 * shipfmt_url_redact - the backend URL for logs and dead letters: the
 * user:password@ part becomes "***@" and every query value "***" (a token
 * passed as ?token=... or &sig=...), the fragment is dropped. malloc()ed;
 * NULL when out of memory.
 */
char *shipfmt_url_redact(const char *url);

/*
 * shipfmt_retry_after_ms - a Retry-After value (delay-seconds or an
 * HTTP-date, RFC 9110 10.2.3) as milliseconds from now, at most max_ms,
 * computed without overflow whatever the number; -1 when unparsable.
 * now is the current time (the date form is relative to it).
 */
long shipfmt_retry_after_ms(const char *value, time_t now, long max_ms);

#endif /* CW_SHIPFMT_H */
