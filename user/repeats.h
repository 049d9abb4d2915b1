/* SPDX-License-Identifier: Apache-2.0 */
/*
 * repeats.h - the agent's half of in-kernel repeat aggregation.
 *
 * The kernel sends the first open of a key (reader process, credential,
 * access mode, syscall: struct cw_repeat_key) as a full event and only
 * counts the key's repeats within the window (--repeat-window-ms). This
 * module keeps each key's first record, as attributed, reads the kernel's
 * counters once a second and hands the growth on as an aggregated record:
 * the first record with evt.count = the new repeats and evt.time = the
 * latest of them, through the same outputs as any record.
 *
 * Bookkeeping: every repeat the kernel counted (CW_STAT_REPEATS) is either
 * delivered here (repeats_stats.delivered), still owed to a key whose newer
 * full event is on its way, or lost with a key the kernel's LRU evicted
 * before it was read. After the final flush at exit nothing is owed, so
 * kernel repeats - delivered is exactly what was lost.
 *
 * A key idle for longer than the window (plus a second of grace) is
 * forgotten here; the kernel, seeing it idle, sends its next open as a new
 * full event, so the two sides never disagree about what a repeat is.
 * Single-threaded: the event loop's.
 */
#ifndef CW_REPEATS_H
#define CW_REPEATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../bpf/credwatch.h"
#include "record.h"

/* An idle key is forgotten this long after the window has passed. */
#define REPEATS_GRACE_NS	1000000000ULL

/* The kernel's counter of key: 0, -ENOENT when the kernel no longer holds it, or -errno. */
typedef int (*repeats_lookup_fn)(void *ctx, const struct cw_repeat_key *key,
				 struct cw_repeat_val *val);
/* Remove key from the kernel (a key this side had to give up on). */
typedef void (*repeats_delete_fn)(void *ctx, const struct cw_repeat_key *key);
/* An aggregated record; valid during the call only. */
typedef void (*repeats_emit_fn)(void *ctx, struct cw_record *rec);

struct repeats_opts {
	size_t max_keys;		/* 0: CW_REPEATS_MAX */
	uint64_t window_ns;		/* --repeat-window-ms in ns (> 0) */
	repeats_lookup_fn lookup;
	repeats_delete_fn del;
	repeats_emit_fn emit;
	void *ctx;
};

struct repeats;

struct repeats_stats {
	uint64_t delivered;	/* repeats delivered in aggregated records */
	uint64_t records;	/* aggregated records emitted */
	uint64_t owed;		/* repeats counted but not yet delivered (last flush) */
	uint64_t keys;		/* keys tracked now */
	uint64_t evicted;	/* keys the kernel dropped (LRU) before their repeats were read */
	uint64_t given_up;	/* keys this side dropped (full, or out of memory) */
};

/* 0, -EINVAL (no window, no callbacks) or -ENOMEM. */
int repeats_new(struct repeats **out, const struct repeats_opts *o);
void repeats_free(struct repeats *r);

/* The key of a full event, as the kernel built it. */
void repeats_key(const struct cw_event *e, struct cw_repeat_key *key);

/*
 * repeats_first - a full event e, attributed as rec. Delivers what the
 * key's previous record is still owed (e->repeats: the kernel's count
 * before this event), then keeps rec for the key's repeats to come.
 */
void repeats_first(struct repeats *r, const struct cw_event *e, const struct cw_record *rec,
		   int64_t boot_to_real_ns);

/*
 * repeats_flush - read the kernel's counter of every tracked key and emit
 * an aggregated record for each that grew; forget keys idle past the
 * window. now_boot_ns is CLOCK_BOOTTIME (the kernel's clock). final (at
 * exit): deliver everything, even to a key whose newer full event has not
 * arrived (it never will), and forget nothing.
 */
void repeats_flush(struct repeats *r, uint64_t now_boot_ns, int64_t boot_to_real_ns, bool final);

void repeats_stats(const struct repeats *r, struct repeats_stats *st);

#endif /* CW_REPEATS_H */
