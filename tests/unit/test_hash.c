// SPDX-License-Identifier: Apache-2.0
/*
 * test_hash.c - the one FNV-1a of user/hash.h: the published test vectors,
 * and the values the agent keeps (finding ids, the batch Idempotency-Key)
 * staying what they were when each module had its own copy.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "user/hash.h"
#include "user/shipfmt.h"

/* FNV-1a vectors from the reference test suite (draft-eastlake-fnv). */
static void test_hash_fnv_matches_reference_vectors(void **state)
{
	assert_int_equal(hash_fnv32_str(""), 0x811c9dc5u);
	assert_int_equal(hash_fnv32_str("a"), 0xe40c292cu);
	assert_int_equal(hash_fnv32_str("foobar"), 0xbf9cf968u);
	assert_true(hash_fnv64_str(HASH_FNV64_INIT, "") == 0xcbf29ce484222325ULL);
	assert_true(hash_fnv64_str(HASH_FNV64_INIT, "a") == 0xaf63dc4c8601ec8cULL);
	assert_true(hash_fnv64_str(HASH_FNV64_INIT, "foobar") == 0x85944171f73967e8ULL);
	assert_true(hash_fnv64(HASH_FNV64_INIT, "foobar", 6) == 0x85944171f73967e8ULL);
}

static void test_hash_fnv64_continues_across_calls(void **state)
{
	uint64_t h = hash_fnv64_str(HASH_FNV64_INIT, "foo");

	assert_true(hash_fnv64_str(h, "bar") == hash_fnv64_str(HASH_FNV64_INIT, "foobar"));
	assert_true(hash_fnv64(h, "bar", 3) == hash_fnv64_str(h, "bar"));
}

static void test_hash_mix64_spreads_neighbours(void **state)
{
	assert_true(hash_mix64(0) == 0);
	assert_true(hash_mix64(1) != hash_mix64(2));
	/* low bits of consecutive keys differ after mixing (table slots) */
	assert_true(((hash_mix64(1) ^ hash_mix64(2)) & 0xff) != 0);
}

/* A batch's Idempotency-Key survives restarts: it must never change. */
static void test_hash_idempotency_key_is_stable(void **state)
{
	char key[SHIPFMT_KEY_LEN + 1];
	struct shipfmt_key k;

	shipfmt_key_init(&k);
	shipfmt_key_add(&k, "{\"a\":1}", 7);
	shipfmt_key_add(&k, "{\"b\":2}", 7);
	shipfmt_key_final(&k, key);
	assert_string_equal(key, "cw-fec9f25809300d77720845511c983488");	/* before hash.h */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hash_fnv_matches_reference_vectors),
		cmocka_unit_test(test_hash_fnv64_continues_across_calls),
		cmocka_unit_test(test_hash_mix64_spreads_neighbours),
		cmocka_unit_test(test_hash_idempotency_key_is_stable),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
