// SPDX-License-Identifier: Apache-2.0
/*
 * test_sensor_maps - the watched map and the bitmap in front of it as the
 * kernel program sees them while user space changes both
 * (user/sensor_maps.c). libbpf's map calls are replaced by an in-memory
 * map (the executable's definitions come before the shared library's),
 * which looks, at the moment each entry appears, at what an open of that
 * inode would find: from then on the inode is watched (discovery's add is
 * done, tests/integration/watched.c waits for exactly that), so the open
 * must pass the bitmap.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "user/sensor_int.h"

#define FAKE_FD		77
#define FAKE_MAX	64

static struct credwatch_bpf skel;
static struct {
	struct cw_inode_key key;
	struct cw_watch_val val;
} entries[FAKE_MAX];
static int nentries;
static int fail_next_update;	/* errno the next update fails with; 0: none */
static int unseen_inserts;	/* entries that appeared while an open of them found no bit */

/* What handle_open() tests first (bpf/credwatch.bpf.c). */
static bool kernel_bit(const struct cw_inode_key *k)
{
	uint32_t bit = cw_bloom_bit(k->ino, k->dev, skel.data->bloom_bits_log2);

	return skel.bss->bloom[(bit / 64) & (CW_BLOOM_WORDS - 1)] & (1ULL << (bit & 63));
}

static int find(const void *key)
{
	for (int i = 0; i < nentries; i++)
		if (!memcmp(&entries[i].key, key, sizeof(entries[i].key)))
			return i;
	return -1;
}

int bpf_map__fd(const struct bpf_map *map)
{
	assert_ptr_equal(map, skel.maps.watched);
	return FAKE_FD;
}

int bpf_map_lookup_elem(int fd, const void *key, void *value)
{
	int i = find(key);

	assert_int_equal(fd, FAKE_FD);
	if (i < 0) {
		errno = ENOENT;
		return -1;
	}
	memcpy(value, &entries[i].val, sizeof(entries[i].val));
	return 0;
}

int bpf_map_update_elem(int fd, const void *key, const void *value, __u64 flags)
{
	int i = find(key);

	assert_int_equal(fd, FAKE_FD);
	assert_int_equal(flags, BPF_ANY);
	if (fail_next_update) {
		errno = fail_next_update;
		fail_next_update = 0;
		return -1;
	}
	if (i < 0) {
		assert_true(nentries < FAKE_MAX);
		i = nentries++;
		memcpy(&entries[i].key, key, sizeof(entries[i].key));
		/* visible from here on: an open now runs handle_open() against this state */
		if (!kernel_bit(key))
			unseen_inserts++;
	}
	memcpy(&entries[i].val, value, sizeof(entries[i].val));
	return 0;
}

int bpf_map_delete_elem(int fd, const void *key)
{
	int i = find(key);

	assert_int_equal(fd, FAKE_FD);
	if (i < 0) {
		errno = ENOENT;
		return -1;
	}
	entries[i] = entries[--nentries];
	return 0;
}

static int setup(void **state)
{
	static struct sensor s;

	memset(&skel, 0, sizeof(skel));
	skel.bss = calloc(1, sizeof(*skel.bss));
	skel.data = calloc(1, sizeof(*skel.data));
	skel.maps.watched = (struct bpf_map *)&skel;	/* opaque: only compared */
	assert_non_null(skel.bss);
	assert_non_null(skel.data);
	skel.data->bloom_bits_log2 = CW_BLOOM_MIN_LOG2;
	memset(&s, 0, sizeof(s));
	s.skel = &skel;
	s.bloom_log2 = CW_BLOOM_MIN_LOG2;
	s.bloom_refs = calloc(1u << CW_BLOOM_BITS_LOG2, sizeof(*s.bloom_refs));
	assert_non_null(s.bloom_refs);
	nentries = 0;
	fail_next_update = 0;
	unseen_inserts = 0;
	*state = &s;
	return 0;
}

static int teardown(void **state)
{
	struct sensor *s = *state;

	free(s->bloom_refs);
	free(skel.bss);
	free(skel.data);
	return 0;
}

/*
 * Pod churn: every new pod's token is inode 3 of a fresh tmpfs, on a device
 * number a pod before it had. Each add is watched the moment its entry is
 * in the map; each key's bit goes with its last entry.
 */
static void test_sensor_maps_an_entry_is_never_visible_without_its_bit(void **state)
{
	struct sensor *s = *state;

	for (int round = 0; round < 3; round++) {
		for (uint32_t dev = 40; dev < 60; dev++)
			assert_int_equal(sensor_watch_add(s, 3, dev, round * 100 + dev, 1), 0);
		assert_int_equal(nentries, 20);
		for (int i = 0; i < nentries; i++)
			assert_true(kernel_bit(&entries[i].key));
		for (uint32_t dev = 40; dev < 60; dev++)
			assert_int_equal(sensor_watch_del_owned(s, 3, dev, round * 100 + dev), 0);
		assert_int_equal(nentries, 0);
	}
	assert_int_equal(unseen_inserts, 0);
	for (uint32_t dev = 40; dev < 60; dev++) {
		struct cw_inode_key k = { .ino = 3, .dev = dev };

		assert_false(kernel_bit(&k));	/* no entry left behind any bit */
	}
}

/* An add the map refuses leaves no bit: the bitmap counts entries, not attempts. */
static void test_sensor_maps_a_failed_add_leaves_no_bit(void **state)
{
	struct sensor *s = *state;
	struct cw_inode_key k = { .ino = 3, .dev = 49 };

	fail_next_update = E2BIG;
	assert_int_equal(sensor_watch_add(s, 3, 49, 7, 1), -E2BIG);
	assert_int_equal(nentries, 0);
	assert_false(kernel_bit(&k));
	assert_int_equal(sensor_watch_add(s, 3, 49, 8, 1), 0);
	assert_true(kernel_bit(&k));
	assert_int_equal(sensor_watch_del_owned(s, 3, 49, 8), 0);
	assert_false(kernel_bit(&k));
	assert_int_equal(unseen_inserts, 0);
}

/* A key another credential took over stays, with its bit, when the first one goes. */
static void test_sensor_maps_a_taken_over_key_keeps_its_bit(void **state)
{
	struct sensor *s = *state;
	struct cw_inode_key k = { .ino = 3, .dev = 49 };

	assert_int_equal(sensor_watch_add(s, 3, 49, 1, 1), 0);
	assert_int_equal(sensor_watch_add(s, 3, 49, 2, 1), 0);	/* the new pod's token */
	assert_int_equal(nentries, 1);
	assert_int_equal(sensor_watch_del_owned(s, 3, 49, 1), 0);	/* the old pod's removal */
	assert_int_equal(nentries, 1);
	assert_int_equal(entries[0].val.cred_id, 2);
	assert_true(kernel_bit(&k));
	assert_int_equal(sensor_watch_del_owned(s, 3, 49, 2), 0);
	assert_int_equal(nentries, 0);
	assert_false(kernel_bit(&k));
	assert_int_equal(unseen_inserts, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_sensor_maps_an_entry_is_never_visible_without_its_bit,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_sensor_maps_a_failed_add_leaves_no_bit, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_sensor_maps_a_taken_over_key_keeps_its_bit, setup,
						teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
