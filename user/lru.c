// SPDX-License-Identifier: Apache-2.0
/* lru.c - bounded LRU map: chained hash of array indices plus a recency list. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lru.h"

#define NIL UINT32_MAX

struct lru_node {
	uint64_t key;
	uint32_t hnext;		/* next in hash chain */
	uint32_t prev, next;	/* recency list, head = most recent */
};

struct lru {
	size_t max, value_size, count, cap;
	uint64_t evictions;
	uint32_t *buckets;	/* power of two, >= max */
	size_t nbuckets;
	struct lru_node *nodes;	/* [cap] */
	unsigned char *values;	/* [cap * value_size] */
	uint32_t head, tail;
};

static uint32_t bucket_of(const struct lru *l, uint64_t key)
{
	key ^= key >> 33;
	key *= 0xff51afd7ed558ccdULL;
	key ^= key >> 33;
	return (uint32_t)(key & (l->nbuckets - 1));
}

int lru_new(struct lru **out, size_t max_entries, size_t value_size)
{
	struct lru *l;

	*out = NULL;
	if (!max_entries || !value_size || max_entries >= NIL)
		return -EINVAL;
	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	l->max = max_entries;
	l->value_size = value_size;
	for (l->nbuckets = 16; l->nbuckets < max_entries; l->nbuckets <<= 1)
		;
	l->buckets = malloc(l->nbuckets * sizeof(*l->buckets));
	if (!l->buckets) {
		free(l);
		return -ENOMEM;
	}
	memset(l->buckets, 0xff, l->nbuckets * sizeof(*l->buckets));
	l->head = l->tail = NIL;
	*out = l;
	return 0;
}

void lru_free(struct lru *l)
{
	if (!l)
		return;
	free(l->buckets);
	free(l->nodes);
	free(l->values);
	free(l);
}

static void *value_at(const struct lru *l, uint32_t i)
{
	return l->values + (size_t)i * l->value_size;
}

static void list_unlink(struct lru *l, uint32_t i)
{
	struct lru_node *n = &l->nodes[i];

	if (n->prev != NIL)
		l->nodes[n->prev].next = n->next;
	else
		l->head = n->next;
	if (n->next != NIL)
		l->nodes[n->next].prev = n->prev;
	else
		l->tail = n->prev;
}

static void list_push_front(struct lru *l, uint32_t i)
{
	struct lru_node *n = &l->nodes[i];

	n->prev = NIL;
	n->next = l->head;
	if (l->head != NIL)
		l->nodes[l->head].prev = i;
	l->head = i;
	if (l->tail == NIL)
		l->tail = i;
}

static uint32_t find(const struct lru *l, uint64_t key)
{
	uint32_t i = l->buckets[bucket_of(l, key)];

	while (i != NIL && l->nodes[i].key != key)
		i = l->nodes[i].hnext;
	return i;
}

static void hash_unlink(struct lru *l, uint32_t i)
{
	uint32_t *p = &l->buckets[bucket_of(l, l->nodes[i].key)];

	while (*p != i)
		p = &l->nodes[*p].hnext;
	*p = l->nodes[i].hnext;
}

void *lru_get(struct lru *l, uint64_t key)
{
	uint32_t i = find(l, key);

	if (i == NIL)
		return NULL;
	list_unlink(l, i);
	list_push_front(l, i);
	return value_at(l, i);
}

/* Make room for one more node: grow the arrays, or recycle the tail. */
static uint32_t alloc_node(struct lru *l)
{
	uint32_t i;

	if (l->count < l->cap)
		return (uint32_t)l->count++;
	if (l->cap < l->max) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		struct lru_node *nodes;
		unsigned char *values;

		if (cap > l->max)
			cap = l->max;
		nodes = realloc(l->nodes, cap * sizeof(*nodes));
		if (!nodes)
			return NIL;
		l->nodes = nodes;
		values = realloc(l->values, cap * l->value_size);
		if (!values)
			return NIL;
		l->values = values;
		l->cap = cap;
		return (uint32_t)l->count++;
	}
	i = l->tail;
	list_unlink(l, i);
	hash_unlink(l, i);
	l->evictions++;
	return i;
}

void *lru_put(struct lru *l, uint64_t key)
{
	uint32_t i = find(l, key), b;

	if (i != NIL) {
		list_unlink(l, i);
		list_push_front(l, i);
		return value_at(l, i);
	}
	i = alloc_node(l);
	if (i == NIL) {
		errno = ENOMEM;
		return NULL;
	}
	b = bucket_of(l, key);
	l->nodes[i].key = key;
	l->nodes[i].hnext = l->buckets[b];
	l->buckets[b] = i;
	list_push_front(l, i);
	memset(value_at(l, i), 0, l->value_size);
	return value_at(l, i);
}

void lru_del(struct lru *l, uint64_t key)
{
	uint32_t i = find(l, key), last;

	if (i == NIL)
		return;
	list_unlink(l, i);
	hash_unlink(l, i);
	/* Keep nodes dense: move the last used node into the hole. */
	last = (uint32_t)--l->count;
	if (i != last) {
		uint32_t *p = &l->buckets[bucket_of(l, l->nodes[last].key)];

		while (*p != last)
			p = &l->nodes[*p].hnext;
		*p = i;
		l->nodes[i] = l->nodes[last];
		memcpy(value_at(l, i), value_at(l, last), l->value_size);
		if (l->nodes[i].prev != NIL)
			l->nodes[l->nodes[i].prev].next = i;
		else
			l->head = i;
		if (l->nodes[i].next != NIL)
			l->nodes[l->nodes[i].next].prev = i;
		else
			l->tail = i;
	}
}

void *lru_at(struct lru *l, size_t i, uint64_t *key)
{
	if (i >= l->count)
		return NULL;
	*key = l->nodes[i].key;
	return value_at(l, (uint32_t)i);
}

void *lru_oldest(struct lru *l, uint64_t *key)
{
	if (l->tail == NIL)
		return NULL;
	*key = l->nodes[l->tail].key;
	return value_at(l, l->tail);
}

size_t lru_count(const struct lru *l)
{
	return l->count;
}

size_t lru_max(const struct lru *l)
{
	return l->max;
}

uint64_t lru_evictions(const struct lru *l)
{
	return l->evictions;
}
