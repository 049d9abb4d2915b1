/* SPDX-License-Identifier: Apache-2.0 */
/*
 * lru.h - a bounded least-recently-used map from a 64-bit key to a
 * fixed-size value, for the attribution caches (cgroup id, passwd, exec).
 *
 * Values live in one array that grows on demand up to max_entries, so an
 * idle cache costs little and a full one never grows. Pointers returned by
 * lru_get()/lru_put() stay valid until the next lru_put() or lru_del().
 * Not thread-safe: each cache has one owner thread.
 */
#ifndef CW_LRU_H
#define CW_LRU_H

#include <stddef.h>
#include <stdint.h>

struct lru;

/* 0, -EINVAL for a zero size, or -ENOMEM; *out NULL on error. */
int lru_new(struct lru **out, size_t max_entries, size_t value_size);
void lru_free(struct lru *l);

/* The value for key, now most recently used; NULL when absent. */
void *lru_get(struct lru *l, uint64_t key);

/*
 * A slot for key: the existing value, or a zeroed new one, evicting the
 * least recently used entry when full. NULL + ENOMEM when growing fails.
 */
void *lru_put(struct lru *l, uint64_t key);

void lru_del(struct lru *l, uint64_t key);

/*
 * Iteration and eviction by hand, for values that own memory (the LRU's
 * own eviction in lru_put() would drop it): lru_at() is the i-th entry
 * for i < lru_count(), in no particular order and without touching its
 * recency (lru_del() moves the last entry into the hole, so walk i down
 * when deleting); lru_oldest() is the least recently used. Both set *key
 * and return NULL when there is no such entry.
 */
void *lru_at(struct lru *l, size_t i, uint64_t *key);
void *lru_oldest(struct lru *l, uint64_t *key);
size_t lru_count(const struct lru *l);
size_t lru_max(const struct lru *l);
uint64_t lru_evictions(const struct lru *l);

#endif /* CW_LRU_H */
