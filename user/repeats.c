// SPDX-License-Identifier: Apache-2.0
/*
 * repeats.c - first records of aggregated keys, and the aggregated records
 * made from the kernel's repeat counters (repeats.h says why and how).
 *
 * Per key: the kernel count up to which repeats were delivered, the
 * first_ns of the newest full event seen (to tell whether the kernel's
 * entry already reflects a full event still on its way), and the first
 * record, packed (record_pack: about 1 KB instead of 25).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "lru.h"
#include "repeats.h"

struct tracked {
	struct cw_repeat_key key;
	uint64_t first_ns;	/* ts_ns of the newest full event of the key */
	uint64_t delivered;	/* the kernel's count up to which repeats are delivered */
	unsigned char *packed;	/* record_pack() of that event's record */
	size_t packed_len;
};

struct repeats {
	struct repeats_opts o;
	struct lru *keys;
	struct cw_record *rec;	/* scratch for unpacking: a record is 25 KB */
	struct repeats_stats st;
};

int repeats_new(struct repeats **out, const struct repeats_opts *o)
{
	struct repeats *r;
	int err;

	*out = NULL;
	if (!o->window_ns || !o->lookup || !o->emit)
		return -EINVAL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->o = *o;
	if (!r->o.max_keys)
		r->o.max_keys = CW_REPEATS_MAX;
	err = lru_new(&r->keys, r->o.max_keys, sizeof(struct tracked));
	if (err) {
		repeats_free(r);
		return err;
	}
	r->rec = malloc(sizeof(*r->rec));
	if (!r->rec) {
		repeats_free(r);
		return -ENOMEM;
	}
	*out = r;
	return 0;
}

void repeats_free(struct repeats *r)
{
	struct tracked *t;
	uint64_t h;

	if (!r)
		return;
	for (size_t i = 0; r->keys && (t = lru_at(r->keys, i, &h)); i++)
		free(t->packed);
	lru_free(r->keys);
	free(r->rec);
	free(r);
}

void repeats_key(const struct cw_event *e, struct cw_repeat_key *key)
{
	memset(key, 0, sizeof(*key));
	key->ino = e->ino;
	key->cgroup_id = e->cgroup_id;
	key->exec_id = e->exec_id;
	key->dev = e->dev;
	if (e->flags & CW_EVF_ENVIRON) {
		/* as the kernel keys them: by whose environment (credwatch.h) */
		key->ino = e->owner_cgroup_id;
		key->dev = CW_ENVIRON_DEV;
	}
	key->tgid = e->tgid;
	key->uid = e->uid;
	key->mode = (uint16_t)(e->f_mode & CW_REPEAT_MODE_MASK);
	key->syscall = e->syscall;
	key->cred_id = e->cred_id;
}

static uint64_t key_hash(const struct cw_repeat_key *k)
{
	return hash_fnv64(HASH_FNV64_INIT, k, sizeof(*k));
}

/* The key's record with evt.count = n and evt.time = when the latest of them happened. */
static void deliver(struct repeats *r, struct tracked *t, uint64_t n, uint64_t boot_ns,
		    int64_t boot_to_real_ns)
{
	if (!n || !t->packed || record_unpack(r->rec, t->packed, t->packed_len))
		return;
	r->rec->count = n;
	r->rec->time_ns = (uint64_t)((int64_t)boot_ns + boot_to_real_ns);
	r->st.delivered += n;
	r->st.records++;
	r->o.emit(r->o.ctx, r->rec);
}

static int keep_record(struct tracked *t, const struct cw_record *rec)
{
	size_t n = record_pack(rec, NULL, 0);
	unsigned char *buf = n <= t->packed_len ? t->packed : malloc(n);

	if (!buf)
		return -ENOMEM;
	record_pack(rec, buf, n);
	if (buf != t->packed) {
		free(t->packed);
		t->packed = buf;
	}
	t->packed_len = n;
	return 0;
}

/*
 * One key: read the kernel's counter, deliver its growth. Returns false
 * when the key is to be forgotten (the kernel dropped it, or it is idle).
 */
static bool flush_one(struct repeats *r, struct tracked *t, uint64_t now, int64_t b2r,
		      bool final)
{
	struct cw_repeat_val v;
	int err = r->o.lookup(r->o.ctx, &t->key, &v);

	if (err == -ENOENT) {
		r->st.evicted++;	/* its repeats since the last read are lost: counted */
		return false;
	}
	if (err)
		return true;		/* try again next time */
	if (!final && v.first_ns > t->first_ns) {
		/* a newer full event is on its way: it says what is owed to this record */
		if (v.count > t->delivered)
			r->st.owed += v.count - t->delivered;
		return true;
	}
	if (v.count > t->delivered) {
		deliver(r, t, v.count - t->delivered, v.last_ns, b2r);
		t->delivered = v.count;
	}
	return final || (int64_t)(now - v.last_ns) <= (int64_t)(r->o.window_ns + REPEATS_GRACE_NS);
}

static void forget(struct repeats *r, struct tracked *t, uint64_t h)
{
	free(t->packed);
	lru_del(r->keys, h);
}

/* The table is full: settle the least recently used key and drop it on both sides. */
static void give_up_oldest(struct repeats *r, uint64_t now, int64_t b2r)
{
	uint64_t h;
	struct tracked *t = lru_oldest(r->keys, &h);

	if (!t)
		return;
	flush_one(r, t, now, b2r, true);
	if (r->o.del)
		r->o.del(r->o.ctx, &t->key);
	r->st.given_up++;
	forget(r, t, h);
}

void repeats_first(struct repeats *r, const struct cw_event *e, const struct cw_record *rec,
		   int64_t boot_to_real_ns)
{
	struct cw_repeat_key key;
	struct tracked *t;
	uint64_t h;

	repeats_key(e, &key);
	h = key_hash(&key);
	t = lru_get(r->keys, h);
	if (t && memcmp(&t->key, &key, sizeof(key))) {
		/* two keys, one 64-bit hash: settle the old one and let it go */
		flush_one(r, t, e->ts_ns, boot_to_real_ns, true);
		if (r->o.del)
			r->o.del(r->o.ctx, &t->key);
		r->st.given_up++;
		forget(r, t, h);
		t = NULL;
	}
	if (t) {
		if (e->repeats > t->delivered) {
			/* counted before this event: the previous record's */
			deliver(r, t, e->repeats - t->delivered, e->ts_ns, boot_to_real_ns);
			t->delivered = e->repeats;
		} else if (e->repeats == 0) {
			t->delivered = 0;	/* the kernel made the key anew */
		}
		if (e->ts_ns >= t->first_ns) {
			t->first_ns = e->ts_ns;
			if (keep_record(t, rec)) {
				r->st.given_up++;
				forget(r, t, h);
			}
		}
		return;
	}
	if (lru_count(r->keys) >= lru_max(r->keys))
		give_up_oldest(r, e->ts_ns, boot_to_real_ns);
	t = lru_put(r->keys, h);
	if (!t) {
		r->st.given_up++;
		return;
	}
	t->key = key;
	t->first_ns = e->ts_ns;
	t->delivered = e->repeats;
	if (keep_record(t, rec)) {
		r->st.given_up++;
		lru_del(r->keys, h);
	}
}

void repeats_flush(struct repeats *r, uint64_t now_boot_ns, int64_t boot_to_real_ns, bool final)
{
	struct tracked *t;
	uint64_t h;

	r->st.owed = 0;
	/* downwards: forgetting moves the last entry into the hole */
	for (size_t i = lru_count(r->keys); i-- > 0;) {
		t = lru_at(r->keys, i, &h);
		if (t && !flush_one(r, t, now_boot_ns, boot_to_real_ns, final))
			forget(r, t, h);
	}
}

void repeats_stats(const struct repeats *r, struct repeats_stats *st)
{
	*st = r->st;
	st->keys = lru_count(r->keys);
}
