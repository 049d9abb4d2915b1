// SPDX-License-Identifier: Apache-2.0
/* test_lru.c - the bounded LRU map behind the attribution caches. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <string.h>
#include <cmocka.h>

#include "user/lru.h"

static struct lru *new_lru(size_t max_entries, size_t value_size)
{
	struct lru *l = (struct lru *)1;

	assert_int_equal(lru_new(&l, max_entries, value_size), 0);
	assert_non_null(l);
	return l;
}

static void test_lru_evicts_least_recently_used(void **state)
{
	struct lru *l = new_lru(3, sizeof(uint64_t));
	uint64_t *v;

	assert_non_null(l);
	for (uint64_t k = 1; k <= 3; k++)
		*(uint64_t *)lru_put(l, k) = k * 10;
	assert_non_null(lru_get(l, 1));	/* 1 is now the most recent */
	*(uint64_t *)lru_put(l, 4) = 40;	/* evicts 2 */
	assert_null(lru_get(l, 2));
	v = lru_get(l, 1);
	assert_non_null(v);
	assert_int_equal(*v, 10);
	assert_int_equal(*(uint64_t *)lru_get(l, 4), 40);
	assert_int_equal(lru_count(l), 3);
	assert_int_equal(lru_evictions(l), 1);
	lru_free(l);
}

static void test_lru_put_existing_keeps_value_and_count(void **state)
{
	struct lru *l = new_lru(4, sizeof(uint64_t));

	*(uint64_t *)lru_put(l, 7) = 70;
	assert_int_equal(*(uint64_t *)lru_put(l, 7), 70);
	assert_int_equal(lru_count(l), 1);
	lru_free(l);
}

static void test_lru_del_keeps_other_entries_reachable(void **state)
{
	struct lru *l = new_lru(1000, sizeof(uint64_t));

	for (uint64_t k = 0; k < 1000; k++)
		*(uint64_t *)lru_put(l, k * 7919) = k;
	for (uint64_t k = 0; k < 1000; k += 3)
		lru_del(l, k * 7919);
	for (uint64_t k = 0; k < 1000; k++) {
		uint64_t *v = lru_get(l, k * 7919);

		if (k % 3 == 0) {
			assert_null(v);
		} else {
			assert_non_null(v);
			assert_int_equal(*v, k);
		}
	}
	/* Refill past the bound after deletions: still bounded, still consistent. */
	for (uint64_t k = 5000; k < 7000; k++)
		*(uint64_t *)lru_put(l, k) = k;
	assert_int_equal(lru_count(l), 1000);
	for (uint64_t k = 6000; k < 7000; k++)
		assert_int_equal(*(uint64_t *)lru_get(l, k), k);
	lru_free(l);
}

static void test_lru_rejects_zero_sizes(void **state)
{
	struct lru *l = (struct lru *)1;

	assert_int_equal(lru_new(&l, 0, 8), -EINVAL);
	assert_null(l);
	l = (struct lru *)1;
	assert_int_equal(lru_new(&l, 8, 0), -EINVAL);
	assert_null(l);
	lru_free(NULL);
}

/* By-hand iteration and eviction, for values that own memory. */
static void test_lru_at_and_oldest_walk_every_entry(void **state)
{
	struct lru *l = new_lru(4, sizeof(uint64_t));
	uint64_t key, seen = 0;
	uint64_t *v;

	(void)state;
	assert_null(lru_oldest(l, &key));
	assert_null(lru_at(l, 0, &key));
	for (uint64_t k = 1; k <= 4; k++)
		*(uint64_t *)lru_put(l, k) = k * 10;
	lru_get(l, 1);				/* 2 is now the oldest */
	v = lru_oldest(l, &key);
	assert_int_equal(key, 2);
	assert_int_equal(*v, 20);
	for (size_t i = 0; (v = lru_at(l, i, &key)); i++) {
		assert_int_equal(*v, key * 10);
		seen |= 1u << key;
	}
	assert_int_equal(seen, 0x1e);
	/* walking down while deleting visits every entry once */
	for (size_t i = lru_count(l); i-- > 0;) {
		v = lru_at(l, i, &key);
		if (key % 2)
			lru_del(l, key);
	}
	assert_int_equal(lru_count(l), 2);
	assert_null(lru_get(l, 1));
	assert_null(lru_get(l, 3));
	assert_non_null(lru_get(l, 4));
	lru_free(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lru_at_and_oldest_walk_every_entry),
		cmocka_unit_test(test_lru_evicts_least_recently_used),
		cmocka_unit_test(test_lru_put_existing_keeps_value_and_count),
		cmocka_unit_test(test_lru_del_keeps_other_entries_reachable),
		cmocka_unit_test(test_lru_rejects_zero_sizes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
