// SPDX-License-Identifier: Apache-2.0
/*
 * test_hash.c - the hashes of user/hash.h: FNV-1a's published test
 * vectors, the values the agent keeps (finding ids, the batch
 * Idempotency-Key) staying what they were when each module had its own
 * copy, and SipHash-1-3 fed in pieces.
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

static uint64_t sip(const uint64_t key[2], const void *p, size_t n, size_t piece)
{
	const unsigned char *b = p;
	struct hash_sip h;

	hash_sip_init(&h, key);
	for (size_t o = 0; o < n; o += piece)
		hash_sip_update(&h, b + o, n - o < piece ? n - o : piece);
	return hash_sip_final(&h);
}

/*
 * SipHash-1-3 (the redactor's memo key): values pinned from the code as it
 * was in redact.c, and any split of the input hashes the same.
 */
static void test_hash_siphash13_pinned_and_streaming(void **state)
{
	static const uint64_t key[2] = { 0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL };
	unsigned char in[64];

	for (int i = 0; i < 64; i++)
		in[i] = (unsigned char)i;
	assert_true(sip(key, in, 0, 1) == 0xabac0158050fc4dcULL);
	assert_true(sip(key, in, 15, 15) == 0xd320d86d2a519956ULL);
	for (size_t piece = 1; piece <= 17; piece++)
		assert_true(sip(key, in, 64, piece) == sip(key, in, 64, 64));
	assert_true(sip(key, in, 15, 15) != sip(key, in, 14, 14));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hash_fnv_matches_reference_vectors),
		cmocka_unit_test(test_hash_fnv64_continues_across_calls),
		cmocka_unit_test(test_hash_mix64_spreads_neighbours),
		cmocka_unit_test(test_hash_idempotency_key_is_stable),
		cmocka_unit_test(test_hash_siphash13_pinned_and_streaming),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
