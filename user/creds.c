// SPDX-License-Identifier: Apache-2.0
/*
 * creds.c - slot table of watched credentials with generation-tagged ids,
 * indexed by path, by inode and by group (chained hashes over slot numbers)
 * so discovery of thousands of pods stays linear.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "creds.h"
#include "hash.h"

/*
 * 20 bits of slot (a million credentials), 12 of generation: a slot taken
 * and freed 4,096 times comes back with its old id. The kernel keys repeats
 * and first reads by id (bpf/credwatch.h), and the free list is a stack, so
 * under pod churn a few slots take every new pod: 8 bits wrapped within
 * minutes on a busy node.
 */
#define SLOT_BITS	20
#define GEN_MASK	((1u << (32 - SLOT_BITS)) - 1)
#define SLOT_MASK	((1u << SLOT_BITS) - 1)
#define NONE		UINT32_MAX
#define BUCKETS		(1u << 16)

enum { IDX_PATH, IDX_INODE, IDX_GROUP, IDX__COUNT };

struct slot {
	struct cred_entry e;
	char *strings;			/* the entry's strings, one allocation */
	uint32_t next[IDX__COUNT];	/* chain in each index */
	uint16_t gen;		/* GEN_MASK bits */
	bool used;
};

struct creds {
	struct slot *slots;
	uint32_t cap, max, count;
	uint32_t by_kind[CW_CRED__MAX];
	uint32_t *free_list;	/* stack of free slot numbers below cap */
	uint32_t nfree;
	uint32_t *heads[IDX__COUNT];
};

static uint32_t hash_str(const char *s)
{
	return hash_fnv32_str(s) & (BUCKETS - 1);
}

static uint32_t hash_inode(uint64_t ino, uint32_t kdev)
{
	uint64_t h = (ino ^ ((uint64_t)kdev << 32)) * 0x9E3779B97F4A7C15ULL;

	return (uint32_t)(h >> 48) & (BUCKETS - 1);
}

static uint32_t bucket_of(const struct cred_entry *e, int idx)
{
	switch (idx) {
	case IDX_PATH:
		return hash_str(e->path);
	case IDX_INODE:
		return hash_inode(e->ino, e->kdev);
	default:
		return hash_str(e->group);
	}
}

static void kind_count(struct creds *t, enum cw_cred_kind kind, int delta)
{
	if ((unsigned)kind < CW_CRED__MAX)
		t->by_kind[kind] += (uint32_t)delta;
}

static const char *const owner_names[] = {
	[CRED_OWNER_NODE] = "node",
	[CRED_OWNER_CONTROL_PLANE] = "control-plane",
	[CRED_OWNER_HOME] = "home",
	[CRED_OWNER_POD] = "pod",
};

const char *cred_owner_name(enum cred_owner owner)
{
	if ((unsigned)owner >= sizeof(owner_names) / sizeof(owner_names[0]))
		return "node";
	return owner_names[owner];
}

int cred_owner_parse(const char *name)
{
	for (size_t i = 0; i < sizeof(owner_names) / sizeof(owner_names[0]); i++)
		if (!strcmp(owner_names[i], name))
			return (int)i;
	return -EINVAL;
}

int creds_new(struct creds **out, uint32_t max_entries)
{
	struct creds *t = calloc(1, sizeof(*t));

	*out = NULL;
	if (!t)
		return -ENOMEM;
	if (!max_entries)
		max_entries = CREDS_MAX_DEFAULT;
	if (max_entries > SLOT_MASK)
		max_entries = SLOT_MASK;
	t->max = max_entries;
	for (int i = 0; i < IDX__COUNT; i++) {
		t->heads[i] = malloc(BUCKETS * sizeof(uint32_t));
		if (!t->heads[i]) {
			creds_free(t);
			return -ENOMEM;
		}
		memset(t->heads[i], 0xff, BUCKETS * sizeof(uint32_t));
	}
	*out = t;
	return 0;
}

void creds_free(struct creds *t)
{
	if (!t)
		return;
	for (int i = 0; i < IDX__COUNT; i++)
		free(t->heads[i]);
	for (uint32_t i = 0; i < t->cap; i++)
		free(t->slots[i].strings);
	free(t->slots);
	free(t->free_list);
	free(t);
}

static int creds_grow(struct creds *t)
{
	uint32_t cap = t->cap ? t->cap * 2 : 256;
	struct slot *slots;
	uint32_t *fl;

	if (cap > t->max)
		cap = t->max;
	if (cap <= t->cap)
		return -ENOSPC;
	fl = realloc(t->free_list, (size_t)cap * sizeof(*fl));
	if (!fl)
		return -ENOMEM;
	t->free_list = fl;
	slots = realloc(t->slots, (size_t)cap * sizeof(*slots));
	if (!slots)
		return -ENOMEM;
	t->slots = slots;
	memset(slots + t->cap, 0, (size_t)(cap - t->cap) * sizeof(*slots));
	for (uint32_t i = cap; i > t->cap; i--)
		t->free_list[t->nfree++] = i - 1;
	t->cap = cap;
	return 0;
}

/* Copy c into slot s, strings into one fresh allocation. */
static int slot_fill(struct slot *s, const struct cred_entry *c)
{
	const char *src[6] = { c->group, c->path, c->pod_uid, c->volume, c->secret_name,
			       c->entry };
	const char **dst[6] = { &s->e.group, &s->e.path, &s->e.pod_uid, &s->e.volume,
				&s->e.secret_name, &s->e.entry };
	size_t len[6], total = 0;
	char *buf, *p;

	for (int i = 0; i < 6; i++) {
		len[i] = src[i] ? strlen(src[i]) : 0;
		total += len[i] + 1;
	}
	buf = malloc(total);
	if (!buf)
		return -ENOMEM;
	free(s->strings);
	s->strings = buf;
	s->e = *c;
	for (int i = 0, off = 0; i < 6; i++) {
		p = buf + off;
		memcpy(p, src[i] ? src[i] : "", len[i]);
		p[len[i]] = '\0';
		*dst[i] = p;
		off += (int)len[i] + 1;
	}
	return 0;
}

static void index_link(struct creds *t, uint32_t n)
{
	for (int i = 0; i < IDX__COUNT; i++) {
		uint32_t b = bucket_of(&t->slots[n].e, i);

		t->slots[n].next[i] = t->heads[i][b];
		t->heads[i][b] = n;
	}
}

static void index_unlink(struct creds *t, uint32_t n)
{
	for (int i = 0; i < IDX__COUNT; i++) {
		uint32_t *link = &t->heads[i][bucket_of(&t->slots[n].e, i)];

		while (*link != NONE && *link != n)
			link = &t->slots[*link].next[i];
		if (*link == n)
			*link = t->slots[n].next[i];
	}
}

int creds_add(struct creds *t, const struct cred_entry *c, uint32_t *id)
{
	struct slot *s;
	uint32_t n;
	int err;

	if (!t->nfree && (err = creds_grow(t)))
		return err;
	n = t->free_list[t->nfree - 1];
	s = &t->slots[n];
	err = slot_fill(s, c);
	if (err)
		return err;
	t->nfree--;
	s->used = true;
	s->gen = (uint16_t)((s->gen + 1) & GEN_MASK);
	s->e.id = ((uint32_t)s->gen << SLOT_BITS) | n;
	index_link(t, n);
	t->count++;
	kind_count(t, s->e.kind, 1);
	*id = s->e.id;
	return 0;
}

static struct slot *slot_of(const struct creds *t, uint32_t id)
{
	uint32_t n = id & SLOT_MASK;
	struct slot *s;

	if (n >= t->cap)
		return NULL;
	s = &t->slots[n];
	if (!s->used || s->e.id != id)
		return NULL;
	return s;
}

int creds_update(struct creds *t, uint32_t id, const struct cred_entry *c)
{
	struct slot *s = slot_of(t, id);
	uint32_t n = id & SLOT_MASK;

	struct slot tmp = { 0 };
	int err;

	if (!s)
		return -ENOENT;
	err = slot_fill(&tmp, c);	/* c may point into s: copy first */
	if (err)
		return err;
	index_unlink(t, n);
	kind_count(t, s->e.kind, -1);
	kind_count(t, tmp.e.kind, 1);
	free(s->strings);
	s->strings = tmp.strings;
	s->e = tmp.e;
	s->e.id = id;
	index_link(t, n);
	return 0;
}

int creds_remove(struct creds *t, uint32_t id)
{
	struct slot *s = slot_of(t, id);

	if (!s)
		return -ENOENT;
	index_unlink(t, id & SLOT_MASK);
	kind_count(t, s->e.kind, -1);
	free(s->strings);
	s->strings = NULL;
	s->used = false;
	t->free_list[t->nfree++] = id & SLOT_MASK;
	t->count--;
	return 0;
}

const struct cred_entry *creds_get(const struct creds *t, uint32_t id)
{
	struct slot *s = slot_of(t, id);

	return s ? &s->e : NULL;
}

const struct cred_entry *creds_find_path(const struct creds *t, const char *path)
{
	for (uint32_t n = t->heads[IDX_PATH][hash_str(path)]; n != NONE;
	     n = t->slots[n].next[IDX_PATH])
		if (!strcmp(t->slots[n].e.path, path))
			return &t->slots[n].e;
	return NULL;
}

const struct cred_entry *creds_find_inode(const struct creds *t, uint64_t ino, uint32_t kdev)
{
	for (uint32_t n = t->heads[IDX_INODE][hash_inode(ino, kdev)]; n != NONE;
	     n = t->slots[n].next[IDX_INODE])
		if (t->slots[n].e.ino == ino && t->slots[n].e.kdev == kdev)
			return &t->slots[n].e;
	return NULL;
}

const struct cred_entry *creds_group_next(const struct creds *t, const char *group,
					  uint32_t *cursor)
{
	/* cursor holds slot + 1 of the next candidate; 0 = start, NONE = end */
	uint32_t n;

	if (*cursor == NONE)
		return NULL;
	n = *cursor ? *cursor - 1 : t->heads[IDX_GROUP][hash_str(group)];

	for (; n != NONE; n = t->slots[n].next[IDX_GROUP]) {
		if (!strcmp(t->slots[n].e.group, group)) {
			uint32_t next = t->slots[n].next[IDX_GROUP];

			*cursor = next == NONE ? NONE : next + 1;
			return &t->slots[n].e;
		}
	}
	*cursor = NONE;
	return NULL;
}

uint32_t creds_count(const struct creds *t)
{
	return t->count;
}

uint32_t creds_count_kind(const struct creds *t, enum cw_cred_kind kind)
{
	return (unsigned)kind < CW_CRED__MAX ? t->by_kind[kind] : 0;
}

void creds_count_by_kind(const struct creds *t, uint32_t counts[CW_CRED__MAX])
{
	memcpy(counts, t->by_kind, sizeof(uint32_t) * CW_CRED__MAX);
}

const struct cred_entry *creds_next(const struct creds *t, uint32_t *cursor)
{
	while (*cursor < t->cap) {
		struct slot *s = &t->slots[(*cursor)++];

		if (s->used)
			return &s->e;
	}
	return NULL;
}
