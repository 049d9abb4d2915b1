// SPDX-License-Identifier: Apache-2.0
/* rmap.c - string (or number) to index hash map for the inspect tables. */
#include <stdlib.h>
#include <string.h>

#include "rmap.h"

/* FNV-1a; rmap spreads it over the slots with a 64-bit finalizer. */
uint64_t rmap_hash(const char *s)
{
	uint64_t h = 1469598103934665603ull;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ull;
	return h;
}

static uint64_t mix64(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	return h ^ h >> 33;
}

/* The slot of (h, key): its own when present, else the empty one to fill. */
static struct rmap_slot *find(const struct rmap *m, uint64_t h, const char *key)
{
	size_t i = mix64(h) & (m->cap - 1);

	while (m->s[i].used && (m->s[i].h != h || (key && strcmp(m->s[i].key, key))))
		i = (i + 1) & (m->cap - 1);
	return &m->s[i];
}

static bool grow(struct rmap *m)
{
	struct rmap nm = { .cap = m->cap ? m->cap * 2 : 256 };

	if ((m->n + 1) * 2 <= m->cap)
		return true;
	nm.s = calloc(nm.cap, sizeof(*nm.s));
	if (!nm.s)
		return false;
	for (size_t i = 0; i < m->cap; i++)
		if (m->s[i].used)
			*find(&nm, m->s[i].h, m->s[i].key) = m->s[i];
	free(m->s);
	nm.n = m->n;
	*m = nm;
	return true;
}

uint32_t rmap_get(struct rmap *m, uint64_t h, const char *key, struct rmap_slot **slot)
{
	struct rmap_slot *s;

	*slot = NULL;
	if (!grow(m))
		return RMAP_NONE;
	s = find(m, h, key);
	if (s->used)
		return s->val;
	*slot = s;
	return RMAP_NONE;
}

void rmap_put(struct rmap *m, struct rmap_slot *slot, uint64_t h, const char *key, uint32_t val)
{
	*slot = (struct rmap_slot){ .h = h, .key = key, .val = val, .used = true };
	m->n++;
}

void rmap_clear(struct rmap *m)
{
	free(m->s);
	m->s = NULL;
	m->cap = m->n = 0;
}
