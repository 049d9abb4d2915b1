// SPDX-License-Identifier: Apache-2.0
/*
 * sensor_maps.c - the sensor's maps from user space: the watched inode map
 * and the pre-filter bitmap in front of it (grown with the map, old bits
 * cleaned after a grace period), btrfs subvolume keys, the per-CPU drop
 * and stat counters, the repeat and per-cgroup budget maps.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "log.h"
#include "sensor_int.h"

static void bloom_set(struct sensor *s, uint32_t bit, bool on)
{
	__u64 *word = &s->skel->bss->bloom[bit / 64];
	__u64 mask = 1ULL << (bit & 63);

	if (on)
		__atomic_fetch_or(word, mask, __ATOMIC_RELAXED);
	else
		__atomic_fetch_and(word, ~mask, __ATOMIC_RELAXED);
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/*
 * Double the bitmap while it is more than 1/16 full (a false positive costs
 * one hash lookup). Safe against the kernel reading concurrently:
 *  1. set every entry's bit for the new size, only adding bits, so a
 *     program still using the old size sees extra bits, never fewer;
 *  2. publish the new size;
 *  3. a grace period later (no program runs for 100 ms), rewrite every word
 *     from the reference counts, which drops the old size's stale bits.
 */
static void bloom_maybe_grow(struct sensor *s)
{
	struct cw_inode_key key, next;
	uint32_t log2 = s->bloom_log2;
	int fd = bpf_map__fd(s->skel->maps.watched);
	void *prev = NULL;

	while (log2 < CW_BLOOM_BITS_LOG2 && s->watched * 16 > (1ULL << log2))
		log2++;
	if (log2 == s->bloom_log2)
		return;
	memset(s->bloom_refs, 0, sizeof(*s->bloom_refs) << log2);
	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		uint32_t bit = cw_bloom_bit(next.ino, next.dev, log2);

		if (s->bloom_refs[bit] < UINT16_MAX)
			s->bloom_refs[bit]++;
		bloom_set(s, bit, true);
		key = next;
		prev = &key;
	}
	__atomic_store_n(&s->skel->data->bloom_bits_log2, log2, __ATOMIC_RELEASE);
	s->bloom_log2 = log2;
	s->bloom_clean_at_ns = mono_ns() + 100000000ULL;
}

void sensor_bloom_clean(struct sensor *s)
{
	uint32_t words = (1u << s->bloom_log2) / 64;

	if (!s->bloom_clean_at_ns || mono_ns() < s->bloom_clean_at_ns)
		return;
	for (uint32_t w = 0; w < words; w++) {
		__u64 v = 0;

		for (int b = 0; b < 64; b++)
			if (s->bloom_refs[w * 64 + b])
				v |= 1ULL << b;
		__atomic_store_n(&s->skel->bss->bloom[w], v, __ATOMIC_RELAXED);
	}
	s->bloom_clean_at_ns = 0;
}

/* One entry fewer behind a bitmap bit: clear the bit at zero. */
static void bloom_unref(struct sensor *s, uint32_t bit)
{
	/* a saturated count stays set forever: only costs a map lookup */
	if (s->bloom_refs[bit] && s->bloom_refs[bit] < UINT16_MAX &&
	    --s->bloom_refs[bit] == 0)
		bloom_set(s, bit, false);
}

/* Insert or replace one entry of the watched map and count its bitmap bit once. */
static int map_put(struct sensor *s, const struct cw_inode_key *key,
		   const struct cw_watch_val *val, bool existed)
{
	uint32_t bit = cw_bloom_bit(key->ino, key->dev, s->bloom_log2);
	int err;

	/*
	 * The bit first, then the entry: an entry in the map is a watched
	 * inode (discovery's add is done, tests/integration/watched.c looks
	 * there), so from then on an open of it must pass the bitmap. Entry
	 * first left a window - the agent preempted between the two on a
	 * loaded node - in which an open of a new pod's token found the entry
	 * but no bit, and was neither an event nor a drop. A bit without its
	 * entry only costs the kernel one map lookup.
	 */
	if (!existed) {
		if (s->bloom_refs[bit] < UINT16_MAX)
			s->bloom_refs[bit]++;
		bloom_set(s, bit, true);
	}
	if (bpf_map_update_elem(bpf_map__fd(s->skel->maps.watched), key, val, BPF_ANY)) {
		err = -errno;
		if (!existed)
			bloom_unref(s, bit);
		return err;
	}
	if (!existed) {
		s->watched++;
		bloom_maybe_grow(s);
	}
	return 0;
}

static int map_drop(struct sensor *s, const struct cw_inode_key *key)
{
	uint32_t bit = cw_bloom_bit(key->ino, key->dev, s->bloom_log2);

	/* the entry first, then the bit: the kernel never sees an entry without its bit */
	if (bpf_map_delete_elem(bpf_map__fd(s->skel->maps.watched), key))
		return -errno;
	if (s->watched)
		s->watched--;
	bloom_unref(s, bit);
	return 0;
}

static bool map_get(struct sensor *s, const struct cw_inode_key *key, struct cw_watch_val *val)
{
	return bpf_map_lookup_elem(bpf_map__fd(s->skel->maps.watched), key, val) == 0;
}

int sensor_watch_add(struct sensor *s, uint64_t ino, uint32_t kdev,
		     uint32_t cred_id, uint32_t kind)
{
	struct cw_inode_key key = { .ino = ino, .dev = kdev };
	struct cw_watch_val val = { .cred_id = cred_id, .kind = (uint16_t)kind };
	struct cw_watch_val old;

	return map_put(s, &key, &val, map_get(s, &key, &old));
}

int sensor_watch_add_alias(struct sensor *s, uint64_t ino, uint32_t kdev,
			   uint32_t cred_id, uint32_t kind)
{
	struct cw_inode_key key = { .ino = ino, .dev = kdev };
	struct cw_watch_val val = { .cred_id = cred_id, .kind = (uint16_t)kind };
	struct cw_watch_val old;

	if (map_get(s, &key, &old))
		return old.cred_id == cred_id ? 0 : -EEXIST;
	return map_put(s, &key, &val, false);
}

int sensor_watch_del(struct sensor *s, uint64_t ino, uint32_t kdev)
{
	struct cw_inode_key key = { .ino = ino, .dev = kdev };

	return map_drop(s, &key);
}

int sensor_watch_del_owned(struct sensor *s, uint64_t ino, uint32_t kdev, uint32_t cred_id)
{
	struct cw_inode_key key = { .ino = ino, .dev = kdev };
	struct cw_watch_val old;

	if (!map_get(s, &key, &old))
		return -ENOENT;
	if (old.cred_id != cred_id || (old.flags & CW_WATCH_SUBVOL))
		return 0;		/* another credential's own key: not ours to drop */
	return map_drop(s, &key);
}

bool sensor_btrfs_subvol(const struct sensor *s)
{
	return s->btrfs_subvol;
}

int sensor_watch_add_subvol(struct sensor *s, uint64_t ino, uint32_t sb_kdev,
			    uint32_t subvol_kdev, uint32_t cred_id, uint32_t kind)
{
	struct cw_inode_key marker = { .ino = ino, .dev = sb_kdev };
	struct cw_inode_key key = { .ino = ino, .dev = subvol_kdev };
	struct cw_watch_val val = { .cred_id = cred_id, .kind = (uint16_t)kind };
	struct cw_watch_val mval = { .flags = CW_WATCH_SUBVOL }, old;
	bool had_marker, had_key;
	int err;

	if (!s->btrfs_subvol)
		return -EOPNOTSUPP;
	had_key = map_get(s, &key, &old);
	err = map_put(s, &key, &val, had_key);
	if (err || had_key)
		return err;	/* a known key (a new kind): the marker already counts it */
	/* the marker's cred_id counts the credentials behind it (credwatch.h) */
	had_marker = map_get(s, &marker, &old) && (old.flags & CW_WATCH_SUBVOL);
	mval.cred_id = had_marker ? old.cred_id + 1 : 1;
	err = map_put(s, &marker, &mval, had_marker);
	if (err)
		map_drop(s, &key);
	return err;
}

int sensor_watch_del_subvol(struct sensor *s, uint64_t ino, uint32_t sb_kdev,
			    uint32_t subvol_kdev)
{
	struct cw_inode_key marker = { .ino = ino, .dev = sb_kdev };
	struct cw_watch_val mval;
	int err = sensor_watch_del(s, ino, subvol_kdev);

	if (!map_get(s, &marker, &mval) || !(mval.flags & CW_WATCH_SUBVOL))
		return err;
	if (mval.cred_id > 1) {
		mval.cred_id--;
		return map_put(s, &marker, &mval, true) ?: err;
	}
	return map_drop(s, &marker) ?: err;
}

static void sum_percpu(struct sensor *s, struct bpf_map *map, uint64_t *out, int n)
{
	uint64_t *vals = calloc((size_t)s->ncpus, sizeof(*vals));

	for (int i = 0; i < n; i++) {
		uint32_t key = i;

		out[i] = 0;
		if (!vals || bpf_map_lookup_elem(bpf_map__fd(map), &key, vals))
			continue;
		for (int c = 0; c < s->ncpus; c++)
			out[i] += vals[c];
	}
	free(vals);
}

void sensor_drops(struct sensor *s, uint64_t drops[CW_DROP__MAX])
{
	sum_percpu(s, s->skel->maps.drops, drops, CW_DROP__MAX);
}

void sensor_stats(struct sensor *s, uint64_t stats[CW_STAT__MAX])
{
	sum_percpu(s, s->skel->maps.stats, stats, CW_STAT__MAX);
}

int sensor_repeat_lookup(struct sensor *s, const struct cw_repeat_key *key,
			 struct cw_repeat_val *val)
{
	if (bpf_map_lookup_elem(bpf_map__fd(s->skel->maps.repeats), key, val))
		return -errno;
	return 0;
}

void sensor_repeat_delete(struct sensor *s, const struct cw_repeat_key *key)
{
	bpf_map_delete_elem(bpf_map__fd(s->skel->maps.repeats), key);
}

int sensor_budgets(struct sensor *s, sensor_budget_fn fn, void *ctx)
{
	int fd = bpf_map__fd(s->skel->maps.budgets), ret;
	uint64_t key, next;
	struct cw_budget b;
	void *prev = NULL;

	/* bounded: an LRU map holds at most CW_BUDGETS_MAX keys */
	for (int n = 0; n < CW_BUDGETS_MAX && !bpf_map_get_next_key(fd, prev, &next); n++) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &b))
			continue;	/* evicted meanwhile */
		ret = fn(ctx, key, &b);
		if (ret)
			return ret;
	}
	return 0;
}
