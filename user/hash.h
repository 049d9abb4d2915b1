/* SPDX-License-Identifier: Apache-2.0 */
/*
 * hash.h - the hashes of the agent and its tools: FNV-1a (Fowler, Noll,
 * Vo), 32 and 64 bits, and a 64-bit finalizer to spread it over table
 * slots, small enough to inline into every hash table's lookup; and
 * SipHash-1-3, keyed, where the input is an attacker's (a reader's argv)
 * and a collision aimed at another entry must not be possible.
 *
 * Some values are kept: finding ids (findings.c, saved in the state file
 * and shipped) and the batch Idempotency-Key (shipfmt.c, the same on every
 * retry, also after a restart). Never change the constants.
 */
#ifndef CW_HASH_H
#define CW_HASH_H

#include <stddef.h>
#include <stdint.h>

#define HASH_FNV32_INIT		2166136261u
#define HASH_FNV32_PRIME	16777619u
#define HASH_FNV64_INIT		0xcbf29ce484222325ULL
#define HASH_FNV64_PRIME	0x100000001b3ULL

/* hash_fnv64 - continue h over n bytes at p (start from HASH_FNV64_INIT). */
static inline uint64_t hash_fnv64(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * HASH_FNV64_PRIME;
	return h;
}

/* hash_fnv64_str - continue h over the bytes of s, not its terminator. */
static inline uint64_t hash_fnv64_str(uint64_t h, const char *s)
{
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * HASH_FNV64_PRIME;
	return h;
}

/* hash_fnv32_str - FNV-1a 32 of s, for tables of at most 2^32 slots. */
static inline uint32_t hash_fnv32_str(const char *s)
{
	uint32_t h = HASH_FNV32_INIT;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * HASH_FNV32_PRIME;
	return h;
}

/* hash_mix64 - MurmurHash3's finalizer: every input bit moves every output bit. */
static inline uint64_t hash_mix64(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	return h ^ h >> 33;
}

/* SipHash-1-3 with a 128-bit key, fed in pieces (hash.c). */
struct hash_sip {
	uint64_t v0, v1, v2, v3, tail;
	size_t len;
};

void hash_sip_init(struct hash_sip *h, const uint64_t key[2]);
void hash_sip_update(struct hash_sip *h, const void *data, size_t n);
uint64_t hash_sip_final(struct hash_sip *h);

#endif /* CW_HASH_H */
