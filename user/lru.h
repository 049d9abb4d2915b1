/* SPDX-License-Identifier: Apache-2.0 */
/*
 * lru.h - a bounded least-recently-used map from a 64-bit key to a
 * fixed-size value, for the attribution caches (cgroup id, passwd, exec).
 *
 * Values live in one array that grows on demand up to max_entries, so an
 * idle cache costs little and a full one never grows. Pointers returned by
 * lru__get()/lru__put() stay valid until the next lru__put() or lru__del().
 * Not thread-safe: each cache has one owner thread.
 */
#ifndef CW_LRU_H
#define CW_LRU_H

#include <stddef.h>
#include <stdint.h>

struct lru;

/* 0, -EINVAL for a zero size, or -ENOMEM; *out NULL on error. */
int lru__new(struct lru **out, size_t max_entries, size_t value_size);
void lru__free(struct lru *l);

/* The value for key, now most recently used; NULL when absent. */
void *lru__get(struct lru *l, uint64_t key);

/*
 * A slot for key: the existing value, or a zeroed new one, evicting the
 * least recently used entry when full. NULL + ENOMEM when growing fails.
 */
void *lru__put(struct lru *l, uint64_t key);

void lru__del(struct lru *l, uint64_t key);

/*
 * Iteration and eviction by hand, for values that own memory (the LRU's
 * own eviction in lru__put() would drop it): lru__at() is the i-th entry
 * for i < lru__count(), in no particular order and without touching its
 * recency (lru__del() moves the last entry into the hole, so walk i down
 * when deleting); lru__oldest() is the least recently used. Both set *key
 * and return NULL when there is no such entry.
 */
void *lru__at(struct lru *l, size_t i, uint64_t *key);
void *lru__oldest(struct lru *l, uint64_t *key);
size_t lru__count(const struct lru *l);
size_t lru__max(const struct lru *l);
uint64_t lru__evictions(const struct lru *l);

#endif /* CW_LRU_H */
